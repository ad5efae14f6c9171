"""The outbox of what the bot sends on its own: planning, claiming and recording `Delivery` rows.

A reminder or digest is a row before it is a message. Its life:

    planned ──claim──▶ claimed ──Telegram accepted──▶ sent
       ▲                  │ └──transient error (retry later, with backoff)──▶ planned
       └──defer (outside working hours, snoozed, busy)┘ └──gave up / blocked──▶ failed
    planned ──no longer wanted──▶ cancelled (or deleted, if it was only ever a plan)

Exactly once: rows are unique on (recipient, kind, slot), so planning twice, or from two
processes, inserts one row (`INSERT … ON CONFLICT DO NOTHING`, on SQLite and PostgreSQL alike).
A due row is claimed by one sender only: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` hands
each sender other rows; on SQLite the claim runs in a `BEGIN IMMEDIATE` transaction, which
admits one writer at a time. The claim is a lease: a row left claimed by a process that died is
claimed again after `lease`. That is the one window for a duplicate: a process that dies after
Telegram accepted a message and before `record_sent` committed. `record_sent` runs right after
the answer arrives, so the window is one small UPDATE wide.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import insert_new
from bot.models import Delivery, DeliveryKind, DeliveryStatus, Person

if TYPE_CHECKING:
    from bot.config import Settings

ERROR_MAX = 500  # characters of an error kept in `last_error`


REMINDER_KINDS = (DeliveryKind.REMINDER, DeliveryKind.NUDGE)

T = TypeVar("T")


@dataclass(frozen=True)
class Claimed(Generic[T]):
    """What one claim yielded: messages ready to send, and how many rows it claimed (some
    may have gone back as planned, or been cancelled, after the send-time checks)."""

    ready: list[T]
    claimed: int


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long a claim lasts, and how often and how patiently a failed send is retried."""

    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            max_attempts=settings.delivery_max_attempts,
            retry_base=timedelta(seconds=settings.delivery_retry_seconds),
        )

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the next try after `attempts` failed ones: base, 2x base, 4x … capped."""
        return min(self.retry_max, self.retry_base * (1 << max(0, min(attempts - 1, 20))))


def new_claimer(instance: str) -> str:
    """A token naming one claim: the process's name plus randomness, so that two processes
    (or two claims of one process) never mistake each other's rows for their own."""
    return f"{instance[:40]}:{secrets.token_hex(6)}"


def plan(
    session: Session,
    *,
    recipient_id: int,
    kind: DeliveryKind,
    slot: str,
    due_at: datetime,
    now: datetime,
    cycle_id: int | None = None,
    payload: str | None = None,
) -> bool:
    """Plan one delivery; False when this recipient already has one for this slot."""
    values = {
        "recipient_id": recipient_id,
        "kind": kind,
        "slot": slot,
        "cycle_id": cycle_id,
        "due_at": due_at,
        "status": DeliveryStatus.PLANNED,
        "attempts": 0,
        "payload": payload,
        "created_at": now,
    }
    return insert_new(session, Delivery, values, ["recipient_id", "kind", "slot"])


def record_named(
    session: Session, *, recipient_id: int, slot: str, cycle_id: int, reason: str, now: datetime
) -> None:
    """A reminder slot another reminder stood for (it named this cycle too): kept as done, so
    it is never sent on its own. A plan of that slot is cancelled; a row past planning stays."""
    values = {
        "recipient_id": recipient_id,
        "kind": DeliveryKind.REMINDER,
        "slot": slot,
        "cycle_id": cycle_id,
        "due_at": now,
        "status": DeliveryStatus.CANCELLED,
        "attempts": 0,
        "last_error": reason[:ERROR_MAX],
        "created_at": now,
    }
    if not insert_new(session, Delivery, values, ["recipient_id", "kind", "slot"]):
        session.execute(
            sa.update(Delivery)
            .where(
                col(Delivery.recipient_id) == recipient_id,
                col(Delivery.kind) == DeliveryKind.REMINDER,
                col(Delivery.slot) == slot,
                col(Delivery.status) == DeliveryStatus.PLANNED,
            )
            .values(status=DeliveryStatus.CANCELLED, last_error=reason[:ERROR_MAX])
        )


def drop_plan(session: Session, delivery_id: int) -> bool:
    """Delete a row that is still only a plan (never claimed): nothing was sent, nothing lost.

    Conditional on the status, so a row another process claimed meanwhile stays.
    """
    result = session.execute(
        sa.delete(Delivery).where(
            col(Delivery.id) == delivery_id,
            col(Delivery.status) == DeliveryStatus.PLANNED,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_due(
    session: Session,
    *,
    kinds: Collection[DeliveryKind],
    claimer: str,
    now: datetime,
    limit: int,
    policy: DeliveryPolicy,
) -> list[Delivery]:
    """Claim up to `limit` due rows of these kinds for `claimer`, oldest first.

    Due rows are planned ones whose time has come, and claimed ones whose lease ran out (their
    sender died). Such a re-claim counts as an attempt; a row out of attempts becomes failed.
    """
    expired = now - policy.lease
    rows = session.exec(
        select(Delivery)
        .where(
            col(Delivery.kind).in_(kinds),
            sa.or_(
                sa.and_(
                    col(Delivery.status) == DeliveryStatus.PLANNED,
                    col(Delivery.due_at) <= now,
                ),
                sa.and_(
                    col(Delivery.status) == DeliveryStatus.CLAIMED,
                    col(Delivery.claimed_at) <= expired,
                ),
            ),
        )
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(limit)
        # PostgreSQL: rows another sender holds are skipped, not waited for. SQLite ignores
        # this clause; its BEGIN IMMEDIATE already lets one writer in at a time.
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        if row.status == DeliveryStatus.CLAIMED:
            row.attempts += 1
            row.last_error = "the sending process stopped before it recorded the result"
            if row.attempts >= policy.max_attempts:
                row.status = DeliveryStatus.FAILED
                session.add(row)
                continue
        row.status = DeliveryStatus.CLAIMED
        row.claimed_by = claimer
        row.claimed_at = now
        session.add(row)
        claimed.append(row)
    session.flush()
    return claimed


def defer(session: Session, row: Delivery, until: datetime) -> None:
    """Give a claimed row back as planned, due at `until` (not a failed attempt)."""
    row.status = DeliveryStatus.PLANNED
    row.due_at = until
    row.claimed_by = None
    row.claimed_at = None
    session.add(row)


def release(session: Session, *, claimer: str) -> int:
    """Give back every row `claimer` still holds, due as before: its process is stopping and
    will not send them (not a failed try). Returns how many."""
    result = session.execute(
        sa.update(Delivery)
        .where(
            col(Delivery.status) == DeliveryStatus.CLAIMED,
            col(Delivery.claimed_by) == claimer,
        )
        .values(status=DeliveryStatus.PLANNED, claimed_by=None, claimed_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel(session: Session, row: Delivery, reason: str) -> None:
    """A claimed row that must not be sent after all (completed, muted …): kept as history."""
    row.status = DeliveryStatus.CANCELLED
    row.last_error = reason[:ERROR_MAX]
    session.add(row)


def _mine(delivery_id: int, claimer: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(Delivery.id) == delivery_id,
        col(Delivery.status) == DeliveryStatus.CLAIMED,
        col(Delivery.claimed_by) == claimer,
    )


def record_sent(
    session: Session, *, delivery_id: int, claimer: str, message_id: int | None, now: datetime
) -> bool:
    """Telegram accepted the message: mark the row sent. False if the claim was lost meanwhile."""
    result = session.execute(
        sa.update(Delivery)
        .where(_mine(delivery_id, claimer))
        .values(
            status=DeliveryStatus.SENT,
            sent_at=now,
            telegram_message_id=message_id,
            last_error=None,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


class RetryOutcome(StrEnum):
    RETRY = "retry"
    GAVE_UP = "gave_up"
    LOST = "lost"  # the claim was no longer ours: someone else decides


def record_failure(
    session: Session,
    *,
    delivery_id: int,
    claimer: str,
    error: str,
    now: datetime,
    policy: DeliveryPolicy,
    retry_after: timedelta | None = None,
    permanent: bool = False,
) -> RetryOutcome:
    """A send failed: plan the next try with backoff, or give up after `max_attempts`."""
    row = session.exec(
        select(Delivery).where(_mine(delivery_id, claimer)).with_for_update()
    ).first()
    if row is None:
        return RetryOutcome.LOST
    row.attempts += 1
    row.last_error = error[:ERROR_MAX]
    row.claimed_by = None
    row.claimed_at = None
    if permanent or row.attempts >= policy.max_attempts:
        row.status = DeliveryStatus.FAILED
        session.add(row)
        return RetryOutcome.GAVE_UP
    row.status = DeliveryStatus.PLANNED
    row.due_at = now + max(retry_after or timedelta(0), policy.backoff(row.attempts))
    session.add(row)
    return RetryOutcome.RETRY


def cancel_planned(
    session: Session,
    *,
    recipient_id: int,
    kinds: Collection[DeliveryKind],
    reason: str,
    cycle_id: int | None = None,
) -> int:
    """Cancel a recipient's planned rows of these kinds (all cycles unless one is given)."""
    conditions = [
        col(Delivery.recipient_id) == recipient_id,
        col(Delivery.status) == DeliveryStatus.PLANNED,
        col(Delivery.kind).in_(kinds),
    ]
    if cycle_id is not None:
        conditions.append(col(Delivery.cycle_id) == cycle_id)
    result = session.execute(
        sa.update(Delivery)
        .where(*conditions)
        .values(status=DeliveryStatus.CANCELLED, last_error=reason[:ERROR_MAX])
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_unreachable(
    session: Session, *, delivery_id: int, claimer: str, error: str, now: datetime
) -> int | None:
    """Telegram refused the chat (the person blocked the bot): the row fails, the person is
    marked unreachable, and everything else planned for them is cancelled. Returns their id.

    They become reachable again as soon as they write to the bot (see `actors.touch`).
    """
    row = session.exec(select(Delivery).where(_mine(delivery_id, claimer))).first()
    if row is None:
        return None
    row.status = DeliveryStatus.FAILED
    row.attempts += 1
    row.last_error = error[:ERROR_MAX]
    session.add(row)
    person = session.get(Person, row.recipient_id)
    if person is not None:
        person.unreachable_at = now
        session.add(person)
    cancel_planned(
        session,
        recipient_id=row.recipient_id,
        kinds=tuple(DeliveryKind),
        reason="the person blocked the bot",
    )
    return row.recipient_id


def planning_lock(session: Session, name: str) -> bool:
    """Take the planner's lock for this transaction; False if another process holds it.

    Planning from two processes at once would be safe (the unique slot sees to that) but
    wasteful, and two planners inserting the same rows in different orders could deadlock on
    PostgreSQL. SQLite needs nothing: its writers already take turns (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    # Advisory locks are database-wide: the key names the schema too, so two bots on one
    # database in schemas of their own (or two test runs) do not skip each other's planning.
    return bool(
        session.execute(
            sa.text(
                "SELECT pg_try_advisory_xact_lock("
                "hashtextextended(coalesce(current_schema(), '') || :name, 0))"
            ),
            {"name": f":normsbot:{name}"},
        ).scalar()
    )
