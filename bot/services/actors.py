"""Who is acting: the person behind an update, as plain data, and the access rules.

Access is decided here, in the services, so that every path (a command, a button, a job) is
held to the same rules: coordinators see every country, focal points only their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.models import Country, Person, Role
from bot.services.errors import (
    AdminsOnly,
    CoordinatorsOnly,
    FocalPointsOnly,
    NotEnrolled,
    NotYourCountry,
)
from bot.services.reads import person_zone


@dataclass(frozen=True)
class Actor:
    person_id: int
    telegram_id: int
    display_name: str
    role: Role
    is_admin: bool
    is_national_lead: bool
    country_code: str | None
    locale: str | None
    timezone: str | None
    last_active_at: datetime | None = None

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_focal_point(self) -> bool:
        return self.role is Role.FOCAL_POINT and self.country_code is not None

    def can_see_country(self, country_code: str) -> bool:
        return self.is_coordinator or self.country_code == country_code

    def require_coordinator(self) -> None:
        if not self.is_coordinator:
            raise CoordinatorsOnly()

    def require_admin(self) -> None:
        if not (self.is_coordinator and self.is_admin):
            raise AdminsOnly()

    def require_country(self, country_code: str) -> None:
        if not self.can_see_country(country_code):
            raise NotYourCountry(country=country_code)

    def require_focal_point(self) -> str:
        """The actor's country; only focal points answer the checklist."""
        if not self.is_focal_point or self.country_code is None:
            raise FocalPointsOnly()
        return self.country_code


def actor_from(person: Person, country: Country | None = None) -> Actor:
    """The actor for a person; their time zone is their own, else their country's."""
    assert person.id is not None
    return Actor(
        person_id=person.id,
        telegram_id=person.telegram_id,
        display_name=person.display_name,
        role=person.role,
        is_admin=person.is_admin,
        is_national_lead=person.is_national_lead,
        country_code=person.country_code,
        locale=person.locale,
        timezone=person_zone(person, country),
        last_active_at=person.last_active_at,
    )


def find_person(session: Session, telegram_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_id == telegram_id)).first()


def find_actor(session: Session, telegram_id: int) -> Actor | None:
    """The enrolled, active person with this Telegram id, or None for strangers.

    One query with the country (for the time zone): every update starts here.
    """
    found = session.exec(
        select(Person, Country)
        .outerjoin(Country, col(Country.code) == col(Person.country_code))
        .where(Person.telegram_id == telegram_id)
    ).first()
    if found is None or not found[0].active:
        return None
    return actor_from(*found)


def person_of(session: Session, actor: Actor) -> Person:
    person = session.get(Person, actor.person_id)
    if person is None or not person.active:
        raise NotEnrolled()
    return person


def touch(session: Session, actor: Actor, now: datetime) -> None:
    """Record activity (reminders stay quiet while someone is answering); they wrote to us,
    so they have not blocked the bot. `NotEnrolled` if they were revoked meanwhile.

    One UPDATE, not a load and a flush: the answering flow runs this on every tap. A Core
    statement on the session's connection: the ORM's would flush the session first and then
    look for the person among the objects it holds (the answering flow loads no person).
    """
    result = session.connection().execute(
        sa.update(Person)
        .where(col(Person.id) == actor.person_id, col(Person.active).is_(True))
        .values(last_active_at=now, unreachable_at=None)
    )
    if not result.rowcount:
        raise NotEnrolled()


ACTIVITY_GRANULARITY = timedelta(minutes=1)


def seen(session: Session, *, person_id: int, now: datetime) -> bool:
    """Note that an enrolled person used a command or a button ("last active" in /people).

    One conditional UPDATE that writes only when the last note is older than a minute, so a
    burst of taps costs one write; it also clears `unreachable_at` (they wrote to us, so they
    have not blocked the bot). True when a row was written.
    """
    result = session.execute(
        sa.update(Person)
        .where(
            col(Person.id) == person_id,
            col(Person.active).is_(True),
            sa.or_(
                col(Person.last_active_at).is_(None),
                col(Person.last_active_at) < now - ACTIVITY_GRANULARITY,
            ),
        )
        .values(last_active_at=now, unreachable_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
