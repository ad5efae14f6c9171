"""The Telegram side of the metrics (`bot/metrics.py`): what kind an update is, and the gauges
of a running application (its queues, its heavy jobs, its database pool), read when scraped."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.constants import UpdateType

from bot import metrics
from bot.db import Database
from bot.telegram.runtime import App, Runtime

# The attribute names of an update's parts, in PTB's order (message first: the most common).
_KINDS: tuple[str, ...] = tuple(str(kind.value) for kind in UpdateType)


def kind_of(update: object) -> str:
    """A bounded label for an update: "command" or "message" for messages, else the name of
    the update's part (callback_query, my_chat_member, …)."""
    if not isinstance(update, Update):
        return "other"
    message = update.message
    if message is not None:
        return "command" if message.text and message.text.startswith("/") else "message"
    return next((kind for kind in _KINDS if getattr(update, kind, None) is not None), "other")


def _checked_out(engine_of: str) -> Callable[[Database], float]:
    def read(db: Database) -> float:
        pool = getattr(db, engine_of).pool
        checkedout = getattr(pool, "checkedout", None)  # QueuePool has it; NullPool has not
        return float(checkedout()) if checkedout is not None else 0.0

    return read


def watch_application(application: App, rt: Runtime) -> None:
    """Expose the application's gauges for as long as it lives (the fairness queues and the
    heavy jobs are watched where they are made: `fairness.attach`, `offload.attach`)."""
    processor = application.update_processor
    metrics.watch("normsbot_updates_in_progress", processor, lambda p: p.current_concurrent_updates)
    metrics.watch(
        "normsbot_queue_depth", application, lambda a: a.update_queue.qsize(), queue="updates"
    )
    metrics.watch("normsbot_db_connections_in_use", rt.db, _checked_out("engine"), pool="write")
    if rt.db.read_engine is not rt.db.engine:
        metrics.watch(
            "normsbot_db_connections_in_use", rt.db, _checked_out("read_engine"), pool="read"
        )
