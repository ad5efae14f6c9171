"""Each Telegram update takes effect once: its id is recorded in the transaction of its effect.

Telegram serves an update again when the process that received it died before confirming its
offset, and retries a webhook post whose answer was lost. The Telegram layer runs `record` at
the start of the first writing transaction of an update's handling (`bot/telegram/once.py`):
the insert and the effect commit together, or neither does. A repeat finds the id taken and
raises `AlreadyHandled` before changing anything; two processes handling the same update at
once queue on the primary key, and the second finds it taken once the first commits.

Telegram keeps an unconfirmed update for at most a day; the sweeper forgets ids after `KEEP`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.db import insert_new
from bot.models import HandledUpdate

KEEP = timedelta(days=3)


class AlreadyHandled(Exception):
    """This update's effect was committed before: handle it no further."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} was handled before")
        self.update_id = update_id


def record(session: Session, *, update_id: int, now: datetime) -> None:
    """Note the update as handled in this transaction; `AlreadyHandled` if it was before."""
    if not insert_new(session, HandledUpdate, {"update_id": update_id, "at": now}, ["update_id"]):
        raise AlreadyHandled(update_id)


def prune(session: Session, *, now: datetime) -> int:
    """Forget the updates handled more than `KEEP` ago; returns how many."""
    result = session.execute(sa.delete(HandledUpdate).where(col(HandledUpdate.at) < now - KEEP))
    return int(result.rowcount)  # type: ignore[attr-defined]
