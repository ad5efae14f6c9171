"""The one periodic job: every `sweep_interval_seconds` it reads due work from the database.

Reminders and digests are planned as `Delivery` rows; the sweeper plans what is due next and
sends what is due now. Nothing about them lives only in this process's memory.
"""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.telegram.runtime import App, Runtime, runtime

log = logging.getLogger(__name__)


async def sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    log.debug("sweep at %s", rt.clock.now().isoformat())


def schedule(application: App, rt: Runtime) -> None:
    if application.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    application.job_queue.run_repeating(
        sweep, interval=rt.settings.sweep_interval_seconds, first=1.0, name="sweeper"
    )
