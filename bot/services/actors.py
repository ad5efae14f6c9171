"""Who is acting: the person behind an update, as plain data, and the access rules.

Access is decided here, in the services, so that every path (a command, a button, a job) is
held to the same rules: coordinators see every country, focal points only their own.

Roles belong to an instrument (`Membership`): an `Actor` holds the role of ONE instrument, its
`checklist_id`, so every rule below reads as it did with one checklist, and a coordinator of
one instrument is refused another's data. `actor.within(checklist_id)` gives the same person
acting in another instrument (no role there: every `require_*` refuses). Admins (named in
NORMSBOT_ADMINS) coordinate every instrument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.checklist import ASEAN_NORMS_ID
from bot.models import Country, Membership, Person, Role
from bot.services.errors import (
    AdminsOnly,
    CoordinatorsOnly,
    FocalPointsOnly,
    NoRoleInInstrument,
    NotEnrolled,
    NotYourCountry,
)
from bot.services.reads import person_zone

T = TypeVar("T")


@dataclass(frozen=True)
class InstrumentRole:
    """A person's role in one instrument (a `Membership` row as plain data)."""

    checklist_id: str
    role: Role
    is_national_lead: bool = False


@dataclass(frozen=True)
class Actor:
    person_id: int
    telegram_id: int
    display_name: str
    role: Role | None  # in `checklist_id`; None: no role there
    is_admin: bool
    is_national_lead: bool  # in `checklist_id`
    country_code: str | None
    locale: str | None
    timezone: str | None
    last_active_at: datetime | None = None
    checklist_id: str = ASEAN_NORMS_ID  # the instrument this actor acts in
    roles: tuple[InstrumentRole, ...] = ()  # every instrument the person holds a role in

    def within(self, checklist_id: str) -> Actor:
        """The same person acting in `checklist_id`, with the role they hold there."""
        if checklist_id == self.checklist_id:
            return self
        held = self.role_in(checklist_id)
        return replace(
            self,
            checklist_id=checklist_id,
            role=held.role if held else None,
            is_national_lead=held.is_national_lead if held else False,
        )

    def role_in(self, checklist_id: str) -> InstrumentRole | None:
        """The person's role in an instrument; admins coordinate every one."""
        for held in self.roles:
            if held.checklist_id == checklist_id:
                return held
        return InstrumentRole(checklist_id, Role.COORDINATOR) if self.is_admin else None

    def holds(self, checklist_id: str) -> bool:
        return self.role_in(checklist_id) is not None

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def is_focal_point(self) -> bool:
        return self.role is Role.FOCAL_POINT and self.country_code is not None

    def can_see_country(self, country_code: str) -> bool:
        return self.is_coordinator or self.country_code == country_code

    def require_role(self) -> None:
        """Any role in the actor's instrument; else `NoRoleInInstrument`."""
        if self.role is None:
            raise NoRoleInInstrument()

    def require_coordinator(self) -> None:
        self.require_role()
        if not self.is_coordinator:
            raise CoordinatorsOnly()

    def require_admin(self) -> None:
        if not (self.is_coordinator and self.is_admin):
            raise AdminsOnly()

    def require_country(self, country_code: str) -> None:
        self.require_role()
        if not self.can_see_country(country_code):
            raise NotYourCountry(country=country_code)

    def require_focal_point(self) -> str:
        """The actor's country; only focal points answer the checklist."""
        self.require_role()
        if not self.is_focal_point or self.country_code is None:
            raise FocalPointsOnly()
        return self.country_code


# Default instrument first, then by instrument id: `Actor.roles` and `actor_from` rely on it.
_ROLE_ORDER = (col(Membership.checklist_id) != ASEAN_NORMS_ID, col(Membership.checklist_id))


def roles_of(session: Session, person_id: int) -> tuple[InstrumentRole, ...]:
    """Every role a person holds, the default instrument first, then by instrument id."""
    rows = session.exec(
        select(Membership).where(Membership.person_id == person_id).order_by(*_ROLE_ORDER)
    ).all()
    return tuple(InstrumentRole(m.checklist_id, m.role, m.is_national_lead) for m in rows)


def actor_from(
    person: Person,
    country: Country | None = None,
    *,
    roles: tuple[InstrumentRole, ...] = (),
    checklist_id: str | None = None,
) -> Actor:
    """The actor for a person with their `roles`, acting in `checklist_id` (else their
    current instrument, else their first, else the default); their time zone is their own,
    else their country's."""
    return _actor(person, person_zone(person, country), roles, checklist_id)


class _PersonFacts(Protocol):
    """What an `Actor` is made of: a `Person`, or `find_actor`'s row of the same columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def telegram_id(self) -> int: ...
    @property
    def display_name(self) -> str: ...
    @property
    def is_admin(self) -> bool: ...
    @property
    def country_code(self) -> str | None: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def last_active_at(self) -> datetime | None: ...
    @property
    def current_checklist_id(self) -> str | None: ...


def _actor(
    person: _PersonFacts,
    zone: str | None,
    roles: tuple[InstrumentRole, ...],
    checklist_id: str | None,
) -> Actor:
    assert person.id is not None
    held = {role.checklist_id for role in roles}
    if checklist_id is None:
        current = person.current_checklist_id
        if current is not None and (current in held or person.is_admin):
            checklist_id = current
        elif roles and ASEAN_NORMS_ID not in held:
            checklist_id = roles[0].checklist_id
        else:
            checklist_id = ASEAN_NORMS_ID
    actor = Actor(
        person_id=person.id,
        telegram_id=person.telegram_id,
        display_name=person.display_name,
        role=None,
        is_admin=person.is_admin,
        is_national_lead=False,
        country_code=person.country_code,
        locale=person.locale,
        timezone=zone,
        last_active_at=person.last_active_at,
        checklist_id="",
        roles=roles,
    )
    return actor.within(checklist_id)


def find_person(session: Session, telegram_id: int) -> Person | None:
    return session.exec(select(Person).where(Person.telegram_id == telegram_id)).first()


# Every update starts here, so the statement is built once (building and keying it cost more
# than running it): the person's columns an `Actor` needs, their zone (else their country's)
# and each role they hold, a row per role (one row with no role for a person who holds none).
# Plain columns, not ORM entities: loading a `Person` and a `Country` into the session cost
# more than the query itself, and nothing here writes them.
_ACTOR_BY_TELEGRAM_ID = (
    sa.select(
        col(Person.id),
        col(Person.telegram_id),
        col(Person.display_name),
        col(Person.is_admin),
        col(Person.country_code),
        col(Person.locale),
        col(Person.last_active_at),
        col(Person.current_checklist_id),
        col(Person.active),
        sa.func.coalesce(col(Person.timezone), col(Country.timezone)).label("zone"),
        col(Membership.checklist_id).label("held"),
        col(Membership.role),
        col(Membership.is_national_lead),
    )
    .outerjoin(Country, col(Country.code) == col(Person.country_code))
    .outerjoin(Membership, col(Membership.person_id) == col(Person.id))
    .where(col(Person.telegram_id) == sa.bindparam("telegram_id"))
    .order_by(*_ROLE_ORDER)
)


def find_actor(session: Session, telegram_id: int, checklist_id: str | None = None) -> Actor | None:
    """The enrolled, active person with this Telegram id acting in `checklist_id` (None: their
    current instrument), or None for strangers. One query (see `_ACTOR_BY_TELEGRAM_ID`), on
    the session's connection: it does not flush the session first (callers read in a
    transaction of their own, or first in one: `as_person`)."""
    rows = session.connection().execute(_ACTOR_BY_TELEGRAM_ID, {"telegram_id": telegram_id}).all()
    if not rows or not rows[0].active:
        return None
    roles = tuple(
        InstrumentRole(row.held, row.role, bool(row.is_national_lead))
        for row in rows
        if row.held is not None
    )
    return _actor(rows[0], rows[0].zone, roles, checklist_id)


def as_person(
    session: Session, telegram_id: int, service: Callable[..., T], /, **kwargs: Any
) -> tuple[Actor, T]:
    """Find who acts (`find_actor`) and run `service` as them (`actor=`), in one transaction.

    The answering buttons, pressed on every item, work this way: finding the person in a
    transaction of their own cost a connection checked out and pinged, a BEGIN, a COMMIT and
    a thread hop on every tap. `NotEnrolled` for strangers and people revoked. The session
    remembers whom it found active (`session.info`), so that `touch` in the same transaction
    need not check them again within a minute of their last note.
    """
    actor = find_actor(session, telegram_id)
    if actor is None:
        raise NotEnrolled()
    session.info[_FOUND_HERE] = actor.person_id
    return actor, service(session, actor=actor, **kwargs)


def actor_of(session: Session, person: Person, checklist_id: str | None = None) -> Actor:
    """`actor_from` with the person's roles read from the database."""
    assert person.id is not None
    country = session.get(Country, person.country_code) if person.country_code else None
    return actor_from(
        person, country, roles=roles_of(session, person.id), checklist_id=checklist_id
    )


def grant(
    session: Session,
    person_id: int,
    checklist_id: str,
    role: Role,
    *,
    national_lead: bool = False,
) -> None:
    """Give a person a role in one instrument, replacing the one they held there.

    One INSERT … ON CONFLICT DO UPDATE: two invites of one person redeemed at once both land.
    """
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(Membership).values(
        person_id=person_id, checklist_id=checklist_id, role=role, is_national_lead=national_lead
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id", "checklist_id"],
            set_={"role": statement.excluded.role, "is_national_lead": national_lead},
        )
    )


def person_of(session: Session, actor: Actor) -> Person:
    person = session.get(Person, actor.person_id)
    if person is None or not person.active:
        raise NotEnrolled()
    return person


ACTIVITY_GRANULARITY = timedelta(minutes=1)
# `session.info` key: the person `as_person` found active in this session's transaction.
_FOUND_HERE = "normsbot.actor_found_here"


def noted_lately(actor: Actor, now: datetime) -> bool:
    """Their activity was noted less than `ACTIVITY_GRANULARITY` ago, as `find_actor` read it."""
    last = actor.last_active_at
    return last is not None and last >= now - ACTIVITY_GRANULARITY


_TOUCH = (
    sa.update(Person)
    .where(col(Person.id) == sa.bindparam("b_person"), col(Person.active).is_(True))
    .values(last_active_at=sa.bindparam("b_now"), unreachable_at=None)
)


def touch(session: Session, actor: Actor, now: datetime) -> None:
    """Record activity (reminders stay quiet while someone is answering); they wrote to us,
    so they have not blocked the bot. `NotEnrolled` if they were revoked meanwhile.

    One UPDATE, not a load and a flush: the answering flow runs this on every tap. A Core
    statement on the session's connection: the ORM's would flush the session first and then
    look for the person among the objects it holds (the answering flow loads no person).

    Nothing is written when this transaction itself found them active (`as_person`) and their
    last note is less than a minute old, as `seen` keeps it for every other command: a revoke
    committed since then is simply ordered after this action, which read the person before
    it. An actor read in an earlier transaction is checked here, always.
    """
    if session.info.get(_FOUND_HERE) == actor.person_id and noted_lately(actor, now):
        return
    result = session.connection().execute(_TOUCH, {"b_person": actor.person_id, "b_now": now})
    if not result.rowcount:
        raise NotEnrolled()


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
