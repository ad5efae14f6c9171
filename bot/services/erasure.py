"""Erasing a person: the right to have one's personal data deleted (Singapore's and Thailand's
PDPA, Indonesia's PDP law, ...), without losing the national report they helped write.

An administrator erases a person whose access was revoked first (`/revoke`, then `/erase`).
What identifies them goes: their Telegram id, name, @username and Telegram language. The
`Person` row stays, under a stable pseudonym ("Focal point TH-7", "Coordinator 3", the number
being the person's id as in /people), because answers, their history (`AnswerRevision`),
reports, invites and the audit log refer to the person by id: from then on every one of them
shows the pseudonym. Their reminders and digests still planned are cancelled.

The Telegram id column is unique and required, so it gets a negative number derived from the
person's id: unique, and never the id of a real Telegram user (those are positive). If the
same human opens the bot again, they are a stranger and need a new invite.

The audit log is not touched: its hashed rows never held a name, @username or Telegram id
(see `bot/services/audit.py`), so its chain verifies as before. The erasure itself is
recorded there (`person_erased`), by person id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.models import Delivery, DeliveryStatus, Membership, Person, Role
from bot.services import audit
from bot.services.actors import Actor
from bot.services.errors import AlreadyErased, StaleAction, StillHasAccess, UnknownPerson

TOKEN_CHARS = 10


def pseudonym(person_id: int, role: Role, country_code: str | None) -> str:
    """The stable name an erased person is shown under (stored in English)."""
    if role == Role.COORDINATOR or not country_code:
        return f"Coordinator {person_id}"
    return f"Focal point {country_code}-{person_id}"


def role_of(session: Session, person: Person) -> Role:
    """Coordinator if the person coordinates any instrument, else focal point."""
    coordinates = session.exec(
        select(Membership.id).where(
            Membership.person_id == person.id, col(Membership.role) == Role.COORDINATOR
        )
    ).first()
    return Role.COORDINATOR if coordinates is not None else Role.FOCAL_POINT


def erased_telegram_id(person_id: int) -> int:
    """Negative: unique per person, and no real Telegram user has it."""
    return -person_id


def is_erased(person: Person) -> bool:
    return person.telegram_id < 0


def erase_token(person: Person, role: Role) -> str:
    """A short fingerprint of what would be erased, carried by the confirm button.

    A button shown before the person was re-admitted, renamed, or erased by someone else no
    longer matches, and its tap changes nothing.
    """
    state = "|".join(
        str(value)
        for value in (
            person.id,
            person.telegram_id,
            person.display_name,
            person.username,
            person.active,
            role,
            person.country_code,
        )
    )
    return hashlib.sha256(state.encode()).hexdigest()[:TOKEN_CHARS]


@dataclass(frozen=True)
class ErasePreview:
    """Whom the confirm screen names, for an administrator."""

    person_id: int
    display_name: str
    username: str | None
    role: Role
    country_code: str | None
    pseudonym: str
    token: str


@dataclass(frozen=True)
class Erased:
    person_id: int
    pseudonym: str


def _erasable(session: Session, actor: Actor, person_id: int) -> Person:
    actor.require_admin()
    person = session.get(Person, person_id)
    if person is None:
        raise UnknownPerson(person=person_id)
    if is_erased(person):
        raise AlreadyErased(person=person_id)
    if person.active:
        raise StillHasAccess(person=person_id)
    return person


def erase_preview(session: Session, *, actor: Actor, person_id: int) -> ErasePreview:
    """Who would be erased (for the confirm screen); raises if they cannot be."""
    person = _erasable(session, actor, person_id)
    assert person.id is not None
    role = role_of(session, person)
    return ErasePreview(
        person_id=person.id,
        display_name=person.display_name,
        username=person.username,
        role=role,
        country_code=person.country_code,
        pseudonym=pseudonym(person.id, role, person.country_code),
        token=erase_token(person, role),
    )


def erase(session: Session, *, actor: Actor, person_id: int, token: str, now: datetime) -> Erased:
    """Replace the person's identifying data by a pseudonym; cancel their planned messages.

    One conditional UPDATE (still revoked, still the same Telegram id): a re-admission or a
    second erasure in between makes it change nothing, and the tap is answered as stale.
    """
    person = _erasable(session, actor, person_id)
    role = role_of(session, person)
    if erase_token(person, role) != token:
        raise StaleAction()
    name = pseudonym(person_id, role, person.country_code)
    result = session.execute(
        sa.update(Person)
        .where(
            col(Person.id) == person_id,
            col(Person.active).is_(False),
            col(Person.telegram_id) == person.telegram_id,
        )
        .values(
            telegram_id=erased_telegram_id(person_id),
            display_name=name,
            username=None,
            telegram_language=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleAction()
    cancelled = session.execute(
        sa.update(Delivery)
        .where(
            col(Delivery.recipient_id) == person_id,
            col(Delivery.status) == DeliveryStatus.PLANNED,
        )
        .values(status=DeliveryStatus.CANCELLED, payload=None)
        .execution_options(synchronize_session=False)
    )
    count = int(cancelled.rowcount)  # type: ignore[attr-defined]
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.PERSON_ERASED,
        now=now,
        country_code=person.country_code,
        subject=f"person:{person_id}",
        details={"deliveries_cancelled": count},
    )
    return Erased(person_id, name)
