"""The one periodic job: every `sweep_interval_seconds` it reads due work from the database.

Reminders and digests are planned as `Delivery` rows; the sweeper (1) plans what is due next
for every focal point and coordinator, then (2) claims and sends what is due now (see
`sender.py`). Nothing about them lives only in this process's memory: a restarted process, or
a second one on the same PostgreSQL, carries on from the rows. The lock below only stops one
process from running two sweeps at once (a long backlog can outlast the interval).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot import metrics
from bot.services import updates
from bot.services.digests import DigestPolicy, plan_digests
from bot.services.reminders import ReminderPolicy, plan_reminders
from bot.telegram import drain
from bot.telegram.error_report import flush_error_reports, report_error
from bot.telegram.runtime import App, Runtime
from bot.telegram.sender import ChatPacer, SendReport, send_due

log = logging.getLogger(__name__)

STATE_KEY = "normsbot.sweeper"


@dataclass
class SweepReport:
    reminders_planned: int = 0
    digests_planned: int = 0
    sent: SendReport = field(default_factory=SendReport)


@dataclass
class _State:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    again: bool = False  # something became due while a sweep ran: send once more after it
    pacer: ChatPacer = field(default_factory=ChatPacer)


def _state(application: App) -> _State:
    state = application.bot_data.get(STATE_KEY)
    if not isinstance(state, _State):
        state = _State()
        application.bot_data[STATE_KEY] = state
    return state


async def plan(rt: Runtime) -> tuple[int, int]:
    """Plan reminders and digests, each in its own transaction. Returns the rows planned."""
    now = rt.clock.now()
    reminders = await rt.db.run(
        plan_reminders,
        checklists=rt.checklists,
        policy=ReminderPolicy.from_settings(rt.settings),
        now=now,
    )
    digests = await rt.db.run(plan_digests, policy=DigestPolicy.from_settings(rt.settings), now=now)
    metrics.DELIVERIES.labels("reminder", "planned").inc(reminders.planned)
    metrics.DELIVERIES.labels("digest", "planned").inc(digests)
    await rt.db.run(updates.prune, now=now)  # the ids of updates handled days ago
    return reminders.planned, digests


async def run_sweep(application: App, *, planning: bool = True, wait: bool = False) -> SweepReport:
    """One sweep: plan, then send everything due. A sweep asked for while one runs is folded
    into it (it sends once more at its end) rather than run beside it; with `wait` it runs
    after it instead (tests, which want this sweep's report)."""
    rt: Runtime = application.bot_data["normsbot"]
    await flush_error_reports(application)  # errors held back in the last minute: their count
    state = _state(application)
    report = SweepReport()
    stopping = drain.stopping(application)
    if state.lock.locked() and not wait:
        state.again = True
        return report
    async with state.lock:
        if planning:
            try:
                report.reminders_planned, report.digests_planned = await plan(rt)
            except Exception as error:  # sending what is already planned must not depend on it
                log.exception("planning reminders and digests failed")
                metrics.count_error(error)
                await report_error(application, None, error)
        while True:
            state.again = False
            sent = await send_due(application.bot, rt, state.pacer, stopping)
            for name in ("claimed", "sent", "retry", "failed", "unreachable", "lost"):
                setattr(report.sent, name, getattr(report.sent, name) + getattr(sent, name))
            if not state.again or stopping():
                break
    if report.sent.claimed:
        log.info("sweep: %s", report)
    return report


async def sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's callback: a full sweep."""
    try:
        await run_sweep(context.application)
    except Exception as error:
        log.exception("the sweep failed; the next one tries again")
        metrics.count_error(error)
        await report_error(context.application, None, error)


async def send_now(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A one-off job after /remind: send what is due without waiting for the next sweep."""
    try:
        await run_sweep(context.application, planning=False)
    except Exception:
        log.exception("sending the nudges failed; the next sweep tries again")


def send_soon(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A handler planned deliveries (a notice, a nudge): send them now, not at the next sweep.
    Nothing is lost if this process dies first: they are rows, and the next sweep sends them."""
    if context.job_queue is not None:
        context.job_queue.run_once(send_now, when=0, name="send-now")


def schedule(application: App, rt: Runtime) -> None:
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    interval = rt.settings.sweep_interval_seconds
    application.job_queue.run_repeating(
        sweep,
        interval=interval,
        # Right after a start the sweeper sends what fell due while the bot was down.
        first=1.0 if rt.settings.sweep_on_start else interval,
        name="sweeper",
        # A sweep that outlasts the interval (a long backlog) is not run twice at once: the
        # tick that comes meanwhile returns at once and asks the running sweep to look again.
        job_kwargs={"max_instances": 2, "coalesce": True, "misfire_grace_time": None},
    )
