"""Per-person fairness: one person's flood of updates never slows anyone else down.

python-telegram-bot hands every update to an update processor (`BaseUpdateProcessor`), which
holds one of `concurrent_updates` slots while the update is handled; PTB's own
`SimpleUpdateProcessor` simply awaits it. Without more, 80 texts from one person take 64 slots
and the database's attention, and another country's tap waits seconds behind them.
`FairUpdateProcessor` gives each person a lane:

- A person's updates are handled one at a time, in the order they came (a tap never overtakes
  the text before it), at a pace of `user_updates_per_second` after a burst of `user_burst`
  (a leaky bucket: `aiolimiter.AsyncLimiter`).
- At most `user_backlog` updates of one person wait for their turn; beyond that they are
  dropped at once (their slot freed for others), and the person gets ONE notice per flood. A
  flood ends when the person's lane is idle and their bucket empty.
- Updates without a person (channel posts and the like) are handled as before.

Drops happen before anything reads the database, so a flood costs a few microseconds per
update. A person's waiting updates do hold slots: `concurrent_updates` should be several
times `user_backlog` (64 and 5 by default). Heavy commands (/chart, /export) do not hold the
lane while their file is made: their handlers do not block (see `handlers/reports.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor, CallbackContext

from bot import metrics
from bot.telegram.common import identify
from bot.telegram.instrument import kind_of
from bot.telegram.limiter import replying_to
from bot.telegram.runtime import App

log = logging.getLogger(__name__)

# Lanes of people who went quiet are forgotten when there are more than this many.
FORGET_ABOVE = 1000


@dataclass
class _Lane:
    """One person's place in the queue."""

    limiter: AsyncLimiter
    pending: int = 0  # being handled or waiting for their turn
    noticed: bool = False  # told about this flood already
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    def idle(self) -> bool:
        # The bucket is empty: a new lane would behave exactly as this one.
        return self.pending == 0 and self.limiter.has_capacity(self.limiter.max_rate)


class FairUpdateProcessor(BaseUpdateProcessor):
    """Serialises and paces each person's updates; drops a flood's excess with one notice."""

    def __init__(
        self, max_concurrent_updates: int, *, burst: int, per_second: float, backlog: int
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.burst = burst
        self.per_second = per_second
        self.backlog = backlog
        self.application: App | None = None  # set by `attach`; needed for the notice
        self._lanes: dict[int, _Lane] = {}
        self.dropped = 0  # updates dropped since the start (for the log and the benchmark)

    async def initialize(self) -> None:
        """Nothing to allocate: lanes are made on a person's first update."""

    async def shutdown(self) -> None:
        self._lanes.clear()

    def waiting(self) -> int:
        """Updates waiting behind an earlier one of the same person (a gauge)."""
        return sum(max(lane.pending - 1, 0) for lane in list(self._lanes.values()))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        kind = kind_of(update)
        user = update.effective_user if isinstance(update, Update) else None
        if user is None or not isinstance(update, Update):
            with metrics.handling(kind):
                await coroutine
            return
        lane = self._lane(user.id)
        if lane.pending > self.backlog:  # one being handled, `backlog` waiting
            _discard(coroutine)
            self.dropped += 1
            metrics.UPDATES_HANDLED.labels(kind, metrics.Outcome.SKIPPED_FLOOD.value).inc()
            if not lane.noticed:
                lane.noticed = True
                log.info("user %s floods: skipping their updates beyond %d", user.id, self.backlog)
                await self._notice(update)
            return
        lane.pending += 1
        try:
            async with lane.turn:
                await lane.limiter.acquire()
                with metrics.handling(kind):  # timed from its turn: the wait is not its cost
                    await coroutine
        finally:
            lane.pending -= 1
            if lane.idle():
                self._lanes.pop(user.id, None)

    def _lane(self, user_id: int) -> _Lane:
        lane = self._lanes.get(user_id)
        if lane is None:
            if len(self._lanes) > FORGET_ABOVE:
                self._lanes = {k: v for k, v in self._lanes.items() if not v.idle()}
            lane = _Lane(AsyncLimiter(self.burst, self.burst / self.per_second))
            self._lanes[user_id] = lane
        return lane

    async def _notice(self, update: Update) -> None:
        """Tell the person, in their language, that some of their updates were skipped."""
        chat = update.effective_chat
        if self.application is None or chat is None:
            return
        context = CallbackContext.from_update(update, self.application)
        caller = await identify(update, context)
        if caller is None:
            return
        text = "⏳ " + caller.t.gettext(
            "You are sending messages faster than I can read them; I skipped some. Wait a moment."
        )
        try:
            with replying_to(chat.id):
                await chat.send_message(text)
        except TelegramError as error:  # a courtesy: never an error of its own
            log.info("flood notice not sent: %s", error)


def _discard(coroutine: Awaitable[Any]) -> None:
    """Drop an update's handling that was never started (no "never awaited" warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()


def attach(application: App) -> None:
    """Let the application's fair processor (if it has one) send its notices."""
    processor = application.update_processor
    if isinstance(processor, FairUpdateProcessor):
        processor.application = application
        metrics.watch(
            "normsbot_queue_depth", processor, FairUpdateProcessor.waiting, queue="fairness"
        )
