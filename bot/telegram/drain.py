"""A stop (SIGTERM from `docker stop` or systemd, Ctrl-C) that loses nothing and is never cut short.

What is already there: `normsbot run` (`bot/web/server.py`, `serve`) turns SIGTERM and SIGINT
into an orderly stop, as python-telegram-bot's `run_polling` does. The web server finishes the
webhook requests in flight (each answered once its update was handled); in polling mode the
updater stops fetching (one last `getUpdates` confirms the updates already fetched, so
Telegram does not serve them again);
`Application.stop()` lets every update already fetched be handled to the end, the fairness
lanes' waiting ones included, and waits for the jobs that run; then post_stop, `shutdown()`
(the Bot API client's connections) and post_shutdown.

What it cannot know, added here:

- A sweep sending a long batch (a deadline's reminders: minutes at Telegram's pace) would hold
  the stop until the batch is done, while `docker stop` kills after 10 s and leaves the rows
  claimed for the lease. The sender asks `stopping(application)` and hands its claims back
  instead (`sender.py`, `deliveries.release`): the next process sends them at once.
- The database's connection pools are closed at the end (`attach`), so PostgreSQL sees
  clean disconnections, not broken ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.telegram.runtime import KEY, App, Runtime


def stopping(application: App) -> Callable[[], bool]:
    """For work starting now: a check that turns True once the application is stopping.

    `Application.stop()` marks the application not running first, before it waits for the
    running jobs. Work started outside a running application (a test sweeping by hand) is
    never told to stop.
    """
    if not application.running:
        return lambda: False
    return lambda: not application.running


def attach(application: App) -> None:
    """Close the database's pools after everything else has shut down."""
    previous = application.post_shutdown

    async def post_shutdown(app: App) -> None:
        if previous is not None:
            await previous(app)
        rt = app.bot_data.get(KEY)
        if isinstance(rt, Runtime):
            await asyncio.to_thread(rt.db.dispose)

    application.post_shutdown = post_shutdown
