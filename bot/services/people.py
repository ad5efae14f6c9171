"""People: language choice, the languages offered to them, the people list, revoking access,
and who is told when something happens (coordinators, a country's national lead, focal points).

The list is for coordinators (every country) and for focal points (their own country only).
Revoking sets `Person.active = False`, takes admin and national-lead rights and cancels the
invites the person made: answers keep their authors, and a revoked person is a stranger to the
bot from then on. No invite lets them back in; only a coordinator's /readmit does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.models import Country, Invite, Membership, Person, Role
from bot.services import audit
from bot.services.actors import Actor, actor_of, person_of
from bot.services.errors import (
    CannotRevokeSelf,
    ConfiguredAdmin,
    NotYourCountry,
    UnknownCountry,
    UnknownPerson,
)
from bot.services.reads import holding, people_with_country, person_zone
from bot.services.reads import open_cycle as _open_cycle


@dataclass(frozen=True)
class LocaleChoice:
    """The actor after a language choice; `changed` False: it was their language already."""

    actor: Actor
    changed: bool


def set_locale(
    session: Session, *, actor: Actor, locale: str, available: Sequence[str]
) -> LocaleChoice:
    """Store the person's explicit language choice (it always wins over Telegram's guess).

    One conditional UPDATE: a double tap (or a retried callback) finds the language already
    set and changes nothing, so the caller greets once.
    """
    if locale not in available:
        raise ValueError(f"unknown locale {locale!r}")
    person = person_of(session, actor)
    result = session.execute(
        sa.update(Person)
        .where(
            col(Person.id) == actor.person_id,
            sa.or_(col(Person.locale).is_(None), col(Person.locale) != locale),
        )
        .values(locale=locale)
    )
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    session.refresh(person)
    return LocaleChoice(actor_of(session, person, actor.checklist_id), changed=changed)


def offered_locales(
    session: Session,
    *,
    actor: Actor | None,
    available: Sequence[str],
    guess: str | None,
    everything: bool = False,
) -> list[str]:
    """Languages to offer: the country's plus English (all for coordinators), guess first.

    `guess` is the shipped locale negotiated from the person's Telegram language: it is
    offered first even when their country does not list it (a Khmer speaker reporting for
    Thailand reads the welcome in Khmer, and may keep Khmer).
    """
    if actor is not None and actor.country_code and not everything:
        country = session.get(Country, actor.country_code)
        wanted = [*country.locale_list(), "en"] if country else list(available)
        codes = [code for code in dict.fromkeys(wanted) if code in available]
    else:
        codes = list(available)
    if guess is not None and guess in available:
        if guess in codes:
            codes.remove(guess)
        codes.insert(0, guess)
    return codes


# --------------------------------------------------------------------------- who is told


@dataclass(frozen=True)
class Recipient:
    """Someone the bot writes to on its own: enough to pick their language and time zone."""

    person_id: int
    telegram_id: int
    locale: str | None
    telegram_language: str | None
    timezone: str | None


def _recipients(session: Session, *conditions: sa.ColumnElement[bool]) -> list[Recipient]:
    result = []
    for person, country in people_with_country(session, *conditions):
        assert person.id is not None
        result.append(
            Recipient(
                person_id=person.id,
                telegram_id=person.telegram_id,
                locale=person.locale,
                telegram_language=person.telegram_language,
                timezone=person_zone(person, country),
            )
        )
    return result


def coordinator_recipients(
    session: Session, checklist_id: str, *, exclude: int | None = None
) -> list[Recipient]:
    """Every active coordinator of an instrument (but `exclude`, a person id)."""
    conditions = [holding(checklist_id, Role.COORDINATOR)]
    if exclude is not None:
        conditions.append(col(Person.id) != exclude)
    return _recipients(session, *conditions)


def national_lead_recipients(
    session: Session, checklist_id: str, country_code: str, *, exclude: int | None = None
) -> list[Recipient]:
    """The active national lead(s) of a country in an instrument (but `exclude`, a person id)."""
    conditions = [
        holding(checklist_id, lead=True),
        col(Person.country_code) == country_code,
    ]
    if exclude is not None:
        conditions.append(col(Person.id) != exclude)
    return _recipients(session, *conditions)


def focal_point_recipients(session: Session, checklist_id: str) -> list[Recipient]:
    """Every active focal point of every country in an instrument."""
    return _recipients(
        session,
        holding(checklist_id, Role.FOCAL_POINT),
        col(Person.country_code).is_not(None),
    )


# --------------------------------------------------------------------------- the people list


@dataclass(frozen=True)
class PersonRow:
    person_id: int
    telegram_id: int
    display_name: str
    username: str | None
    role: Role
    is_admin: bool
    is_national_lead: bool
    country_code: str | None
    last_active_at: datetime | None
    unreachable: bool
    muted: bool
    active: bool = True


@dataclass(frozen=True)
class CountryPeople:
    """The people of one country; `country_code` None holds coordinators of no country."""

    country_code: str | None
    focal_points: list[PersonRow]
    coordinators: list[PersonRow]


@dataclass(frozen=True)
class PeopleList:
    groups: list[CountryPeople]
    can_revoke: bool


def _held(session: Session, person: Person, checklist_id: str) -> tuple[Role, bool, int | None]:
    """A person's role, national-lead flag and muted cycle in an instrument (admins
    coordinate all)."""
    membership = session.exec(
        select(Membership).where(
            Membership.person_id == person.id, Membership.checklist_id == checklist_id
        )
    ).first()
    if membership is not None:
        return membership.role, membership.is_national_lead, membership.muted_cycle_id
    return (Role.COORDINATOR if person.is_admin else Role.FOCAL_POINT), False, None


def _row(
    person: Person,
    held: tuple[Role, bool, int | None],
    open_cycle_id: int | None,
    now: datetime,
    *,
    with_username: bool = True,
) -> PersonRow:
    """A person as listed with their role in the instrument (`held`); `with_username` False
    hides their @username (colleagues' view)."""
    assert person.id is not None
    muted = (open_cycle_id is not None and held[2] == open_cycle_id) or (
        person.snoozed_until is not None and person.snoozed_until > now
    )
    return PersonRow(
        person_id=person.id,
        telegram_id=person.telegram_id,
        display_name=person.display_name,
        username=person.username if with_username else None,
        role=held[0],
        is_admin=person.is_admin,
        is_national_lead=held[1],
        country_code=person.country_code,
        last_active_at=person.last_active_at,
        unreachable=person.unreachable_at is not None,
        muted=muted,
        active=person.active,
    )


def list_people(
    session: Session, *, actor: Actor, country_code: str | None, now: datetime
) -> PeopleList:
    """Active people of the actor's instrument by country: every country for coordinators,
    their own for focal points (without @usernames: those are shown to coordinators only).

    Countries without anyone enrolled are listed too (for coordinators), so a gap shows.
    """
    if country_code is not None:
        country_code = country_code.upper()
        if session.get(Country, country_code) is None:
            raise UnknownCountry(country=country_code)
    if not actor.is_coordinator:
        own = actor.require_focal_point()
        if country_code is not None and country_code != own:
            raise NotYourCountry(country=country_code)
        country_code = own
    cycle = _open_cycle(session, actor.checklist_id)
    query = select(Person).where(col(Person.active).is_(True), holding(actor.checklist_id))
    if country_code is not None:
        query = query.where(col(Person.country_code) == country_code)
    people = session.exec(query.order_by(col(Person.display_name), col(Person.id))).all()
    held = {
        m.person_id: (m.role, m.is_national_lead, m.muted_cycle_id)
        for m in session.exec(
            select(Membership).where(Membership.checklist_id == actor.checklist_id)
        ).all()
    }

    codes: list[str | None]
    if country_code is not None:
        codes = [country_code]
    else:
        codes = [None, *session.exec(select(Country.code).order_by(col(Country.code))).all()]
    groups = {code: CountryPeople(code, [], []) for code in codes}
    for person in people:
        group = groups.get(person.country_code)
        if group is None:  # a country removed from the table by hand: still show the person
            group = groups[person.country_code] = CountryPeople(person.country_code, [], [])
        # @usernames are for coordinators only: a colleague sees names, not a handle to write to.
        assert person.id is not None
        row = _row(
            person,
            held.get(person.id, (Role.COORDINATOR, False, None)),  # else an admin
            cycle.id if cycle else None,
            now,
            with_username=actor.is_coordinator,
        )
        (group.coordinators if row.role is Role.COORDINATOR else group.focal_points).append(row)
    kept = [
        group
        for group in groups.values()
        if group.country_code is not None or group.coordinators or group.focal_points
    ]
    return PeopleList(kept, can_revoke=actor.is_coordinator)


# --------------------------------------------------------------------------- revoking


@dataclass(frozen=True)
class AccessChange:
    """The outcome of /revoke or /readmit: `changed` False when it was already so (a second
    tap or a retried callback), in which case nothing was written and nobody is told."""

    person: PersonRow
    changed: bool


def _managed(session: Session, actor: Actor, person_id: int) -> Person:
    """A person whose access `actor` may change (revoked or not), or why not."""
    actor.require_coordinator()
    person = session.get(Person, person_id)
    if person is None or person.telegram_id < 0:
        # A negative Telegram id marks an erased person (services/erasure.py): nobody is
        # left to re-admit, only a pseudonym in the history.
        raise UnknownPerson(person=person_id)
    if person.id == actor.person_id:
        raise CannotRevokeSelf()
    if (
        not actor.is_admin
        and session.exec(
            select(Membership.id).where(
                Membership.person_id == person.id, Membership.checklist_id == actor.checklist_id
            )
        ).first()
        is None
    ):
        raise UnknownPerson(person=person_id)  # not in the coordinator's instrument
    coordinates = session.exec(
        select(Membership.id).where(
            Membership.person_id == person.id, col(Membership.role) == Role.COORDINATOR
        )
    ).first()
    if coordinates is not None or person.is_admin:
        # Only administrators invite coordinators; only they remove or re-admit one.
        actor.require_admin()
    return person


def _revocable(
    session: Session, actor: Actor, person_id: int, config_admins: Collection[int]
) -> Person:
    """The person `actor` may revoke, or the reason why not (as a ServiceError)."""
    person = _managed(session, actor, person_id)
    if person.is_admin and person.telegram_id in config_admins:
        # Listed in NORMSBOT_ADMINS: their next /start would make them an admin again.
        raise ConfiguredAdmin()
    return person


def _current_row(session: Session, actor: Actor, person: Person, now: datetime) -> PersonRow:
    cycle = _open_cycle(session, actor.checklist_id)
    return _row(
        person, _held(session, person, actor.checklist_id), cycle.id if cycle else None, now
    )


def revoke_preview(
    session: Session, *, actor: Actor, person_id: int, config_admins: Collection[int], now: datetime
) -> PersonRow:
    """Who would lose access (for the confirm screen); raises if `actor` may not revoke them."""
    person = _revocable(session, actor, person_id, config_admins)
    if not person.active:
        raise UnknownPerson(person=person_id)  # nobody with access has this number
    return _current_row(session, actor, person, now)


def revoke(
    session: Session, *, actor: Actor, person_id: int, config_admins: Collection[int], now: datetime
) -> AccessChange:
    """Remove a person's access. Nothing else is deleted: their answers keep their name.

    The person's state is the button's version: only an active person is revoked (one
    conditional UPDATE), so a double tap changes nothing the second time. Their open invites
    are cancelled and admin and national-lead rights cleared, so nothing they left behind
    lets them back in.
    """
    person = _revocable(session, actor, person_id, config_admins)
    result = session.execute(
        sa.update(Person)
        .where(col(Person.id) == person_id, col(Person.active).is_(True))
        .values(active=False, is_admin=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(person)
        return AccessChange(_current_row(session, actor, person, now), changed=False)
    row = _current_row(session, actor, person, now)  # their role, before losing the lead
    session.execute(
        sa.update(Membership)
        .where(col(Membership.person_id) == person_id)
        .values(is_national_lead=False)
    )
    cancelled = session.execute(
        sa.update(Invite)
        .where(
            col(Invite.created_by) == person_id,
            col(Invite.used_at).is_(None),
            col(Invite.cancelled_at).is_(None),
        )
        .values(cancelled_at=now)
    )
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.PERSON_REVOKED,
        now=now,
        country_code=person.country_code,
        subject=f"person:{person_id}",
        checklist_id=actor.checklist_id,
        details={
            "role": row.role,
            "cancelled_invites": int(cancelled.rowcount),  # type: ignore[attr-defined]
        },
    )
    session.refresh(person)
    return AccessChange(_current_row(session, actor, person, now), changed=True)


def readmit_preview(session: Session, *, actor: Actor, person_id: int, now: datetime) -> PersonRow:
    """Who would get access back (for the confirm screen); raises if `actor` may not.

    `active` True in the row: they have access already (the screen says so).
    """
    person = _managed(session, actor, person_id)
    return _current_row(session, actor, person, now)


def readmit(session: Session, *, actor: Actor, person_id: int, now: datetime) -> AccessChange:
    """Give a revoked person their access back, with their old country and role.

    Never as an administrator or national lead (revoking took those; NORMSBOT_ADMINS or a new
    lead invite gives them again). Only a revoked person is re-admitted (one conditional
    UPDATE), so a second tap changes nothing.
    """
    person = _managed(session, actor, person_id)
    result = session.execute(
        sa.update(Person)
        .where(col(Person.id) == person_id, col(Person.active).is_(False))
        .values(active=True, is_admin=False, unreachable_at=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(person)
        return AccessChange(_current_row(session, actor, person, now), changed=False)
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.PERSON_READMITTED,
        now=now,
        country_code=person.country_code,
        subject=f"person:{person_id}",
        checklist_id=actor.checklist_id,
        details={"role": _held(session, person, actor.checklist_id)[0]},
    )
    session.refresh(person)
    return AccessChange(_current_row(session, actor, person, now), changed=True)
