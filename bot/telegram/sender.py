"""Sends what is due: claims notices, reminders and digests from the database and delivers
them.

The pace is set by PTB's `AIORateLimiter` (configured in `app.py`: about 30 messages a second
overall, retrying after a 429's `retry_after`), not by this loop: up to
`delivery_concurrency` sends wait on the limiter at once, and new rows are claimed whenever
half of them are done, so the limiter never runs dry and no row sits claimed for long. A small
per-chat pacer keeps to Telegram's one message a second per chat (the limiter only paces
groups).

Each result is recorded right after Telegram answers, one small UPDATE per message: that keeps
the window in which a crash could send a message twice (accepted by Telegram, not yet
recorded) as short as it can be. Failures: 403 (blocked) marks the person unreachable and
cancels what was planned for them; a 429 the limiter could not absorb, network errors,
time-outs and 5xx are retried later with backoff, up to `delivery_max_attempts`; any other 400
fails the row for good, with the error kept in `last_error`.

When the process is asked to stop (SIGTERM, see `drain.py`), a run claims nothing more, drops
the sends that have not begun, gives those under way `DRAIN_GRACE_SECONDS` to be answered and
recorded, and releases the claims it still holds: the next process sends those rows at once,
instead of waiting for the lease to run out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import metrics
from bot.i18n import Translator
from bot.services import deliveries
from bot.services.deliveries import Claimed, DeliveryPolicy, RetryOutcome
from bot.services.digests import DigestMessage, DigestPolicy, claim_digests
from bot.services.notices import NoticeMessage, claim_notices
from bot.services.reminders import ReminderMessage, ReminderPolicy, claim_reminders
from bot.telegram.runtime import Runtime
from bot.views.common import Rendered, split_text
from bot.views.digests import render_digest
from bot.views.notices import render_notice
from bot.views.reminders import render_reminder

log = logging.getLogger(__name__)

DRAIN_GRACE_SECONDS = 5.0  # for a send under way when the process stops
STOP_CHECK_SECONDS = 0.5  # how often a waiting run looks whether the process is stopping

Outgoing = ReminderMessage | DigestMessage | NoticeMessage


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    LOST = "lost"  # our claim was gone when we recorded: another sender took the row over


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unreachable: int = 0
    lost: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


class ChatPacer:
    """At most one message per second to one chat, within this process.

    A reminder, a coordinator's nudge and a long digest's second part can fall due together;
    the overall limiter would let them out back to back, Telegram would answer 429.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._next: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = time.monotonic()
        if len(self._next) > 10_000:  # forget chats whose turn passed long ago
            self._next = {chat: at for chat, at in self._next.items() if at > now}
        at = max(now, self._next.get(chat_id, 0.0))
        self._next[chat_id] = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


def kind_of(item: Outgoing) -> str:
    """The delivery kind, as the metrics label it."""
    if isinstance(item, ReminderMessage):
        return "reminder"
    return "notice" if isinstance(item, NoticeMessage) else "digest"


def _never() -> bool:
    return False


def _this_task() -> asyncio.Task[Any]:
    task = asyncio.current_task()
    assert task is not None
    return task


def _retry_after(error: RetryAfter) -> timedelta:
    value: Any = getattr(error, "_retry_after", None)
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value or 1))


def _render(rt: Runtime, item: Outgoing) -> Rendered:
    locale = item.locale or rt.i18n.negotiate(item.telegram_language)
    t: Translator = rt.i18n.translator(locale)
    if isinstance(item, ReminderMessage):
        return render_reminder(t, item)
    if isinstance(item, NoticeMessage):
        return render_notice(t, item, default_timezone=rt.settings.coordinator_timezone)
    return render_digest(t, item.digest, item.timezone, item.frequency)


class Sender:
    """One sending run: claim, send, record, until nothing due is left."""

    def __init__(
        self, bot: Bot, rt: Runtime, pacer: ChatPacer, stopping: Callable[[], bool] = _never
    ) -> None:
        self.bot, self.rt, self.pacer = bot, rt, pacer
        self.stopping = stopping  # True once the process is asked to stop
        self.sending: set[asyncio.Task[Any]] = set()  # deliveries whose send has begun
        settings = rt.settings
        self.delivery = DeliveryPolicy.from_settings(settings)
        self.reminders = ReminderPolicy.from_settings(settings)
        self.digests = DigestPolicy.from_settings(settings)
        self.concurrency = settings.delivery_concurrency
        self.claimer = deliveries.new_claimer(rt.instance)

    async def _claim_digests(self, limit: int) -> Claimed[Any]:
        return await self.rt.db.run(
            claim_digests,
            claimer=self.claimer,
            checklists=self.rt.checklists,
            policy=self.digests,
            delivery=self.delivery,
            now=self.rt.clock.now(),
            limit=limit,
        )

    async def _claim_notices(self, limit: int) -> Claimed[Any]:
        return await self.rt.db.run(
            claim_notices,
            claimer=self.claimer,
            checklists=self.rt.checklists,
            delivery=self.delivery,
            now=self.rt.clock.now(),
            limit=limit,
        )

    async def _claim_reminders(self, limit: int) -> Claimed[Any]:
        return await self.rt.db.run(
            claim_reminders,
            claimer=self.claimer,
            checklists=self.rt.checklists,
            policy=self.reminders,
            delivery=self.delivery,
            now=self.rt.clock.now(),
            limit=limit,
        )

    async def run(self) -> SendReport:
        report = SendReport()
        sources: list[Callable[[int], Awaitable[Claimed[Any]]]] = [
            self._claim_notices,  # first: someone just acted, and the others should know
            self._claim_digests,
            self._claim_reminders,
        ]
        pending: set[asyncio.Task[Outcome]] = set()
        low_water = self.concurrency // 2
        try:
            while sources or pending:
                if self.stopping():
                    await self._drain(pending, report)
                    pending = set()
                    break
                while sources and len(pending) <= low_water and not self.stopping():
                    claimed = await sources[0](self.concurrency - len(pending))
                    report.claimed += claimed.claimed
                    if claimed.claimed == 0:
                        sources.pop(0)  # nothing of this kind is due any more
                    for item in claimed.ready:
                        pending.add(asyncio.create_task(self.deliver(item)))
                if pending:
                    done, pending = await asyncio.wait(
                        pending, timeout=STOP_CHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        report.add(task.result())
        finally:
            if pending:  # cancelled: the claims lapse and are taken up again after the lease
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        return report

    async def _drain(self, pending: set[asyncio.Task[Outcome]], report: SendReport) -> None:
        """The process stops: drop the sends not begun, give those under way a grace period,
        then hand back every row this run still holds (not a failed try: due again at once)."""
        for task in pending - self.sending:
            task.cancel()  # waiting for its turn: nothing went to Telegram
        if pending & self.sending:
            await asyncio.wait(pending & self.sending, timeout=DRAIN_GRACE_SECONDS)
        for task in pending:
            task.cancel()  # still under way after the grace: as if the process had died
        for result in await asyncio.gather(*pending, return_exceptions=True):
            if isinstance(result, Outcome):
                report.add(result)
        released = await self.rt.db.run(deliveries.release, claimer=self.claimer)
        log.info("stopping: %d deliveries handed back for the next process", released)

    async def deliver(self, item: Outgoing) -> Outcome:
        try:
            outcome = await self._deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug must not stop the other sends; the claim lapses
            log.exception("delivering %s failed unexpectedly", item.delivery_id)
            metrics.count_error(error)
            outcome = Outcome.FAILED
        finally:
            self.sending.discard(_this_task())
        metrics.DELIVERIES.labels(kind_of(item), outcome.value).inc()
        return outcome

    async def _deliver(self, item: Outgoing) -> Outcome:
        rendered = _render(self.rt, item)
        parts = split_text(rendered.text)
        db, clock = self.rt.db, self.rt.clock
        try:
            message_id: int | None = None
            for index, part in enumerate(parts):
                await self.pacer.wait(item.chat_id)
                self.sending.add(_this_task())
                last = index == len(parts) - 1
                message = await self.bot.send_message(
                    item.chat_id, part, reply_markup=rendered.keyboard if last else None
                )
                message_id = message.message_id
        except Forbidden as error:
            return await self._unreachable(item, str(error))
        except BadRequest as error:
            if "chat not found" in str(error).lower():
                return await self._unreachable(item, str(error))
            return await self._failed(item, str(error), permanent=True)
        except RetryAfter as error:  # the limiter's own retries did not get it through
            return await self._failed(item, str(error), retry_after=_retry_after(error))
        except TelegramError as error:  # network errors, time-outs, 5xx: try again later
            return await self._failed(item, f"{type(error).__name__}: {error}")
        recorded = await db.run(
            deliveries.record_sent,
            delivery_id=item.delivery_id,
            claimer=item.claimer,
            message_id=message_id,
            now=clock.now(),
        )
        if not recorded:
            log.warning("delivery %s was sent but its claim had lapsed", item.delivery_id)
            return Outcome.LOST
        return Outcome.SENT

    async def _unreachable(self, item: Outgoing, error: str) -> Outcome:
        person = await self.rt.db.run(
            deliveries.mark_unreachable,
            delivery_id=item.delivery_id,
            claimer=item.claimer,
            error=error,
            now=self.rt.clock.now(),
        )
        return Outcome.UNREACHABLE if person is not None else Outcome.LOST

    async def _failed(
        self,
        item: Outgoing,
        error: str,
        *,
        permanent: bool = False,
        retry_after: timedelta | None = None,
    ) -> Outcome:
        outcome = await self.rt.db.run(
            deliveries.record_failure,
            delivery_id=item.delivery_id,
            claimer=item.claimer,
            error=error,
            now=self.rt.clock.now(),
            policy=self.delivery,
            retry_after=retry_after,
            permanent=permanent,
        )
        log.info("delivery %s not sent (%s): %s", item.delivery_id, outcome.value, error)
        if outcome is RetryOutcome.RETRY:
            return Outcome.RETRY
        return Outcome.LOST if outcome is RetryOutcome.LOST else Outcome.FAILED


async def send_due(
    bot: Bot, rt: Runtime, pacer: ChatPacer | None = None, stopping: Callable[[], bool] = _never
) -> SendReport:
    """Send everything due now, or until `stopping()`; returns what happened (for logs, tests
    and benchmarks)."""
    return await Sender(bot, rt, pacer or ChatPacer(), stopping).run()
