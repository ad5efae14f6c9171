"""Invites and enrolment: how a person gets in, and nobody else does.

Codes are random and single-use, expire, and only their SHA-256 is stored: a copy of the
database does not let anyone in. A stranger learns nothing but how to ask for access.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.checklist import ASEAN_NORMS_ID
from bot.models import Country, Invite, Membership, Person, Role
from bot.services import audit
from bot.services.actors import Actor, actor_of, find_person, grant, roles_of
from bot.services.errors import (
    InviteForAnotherCountry,
    InviteInvalid,
    InviteProblem,
    UnknownCountry,
)

CODE_BYTES = 12  # 16 URL-safe characters: fits Telegram's 64-character start parameter


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class CreatedInvite:
    invite_id: int
    code: str
    country_code: str | None
    role: Role
    is_national_lead: bool
    expires_at: datetime
    checklist_id: str


@dataclass(frozen=True)
class InviteRow:
    invite_id: int
    country_code: str | None
    role: Role
    is_national_lead: bool
    expires_at: datetime
    checklist_id: str


def create_invite(
    session: Session,
    *,
    actor: Actor,
    country_code: str | None,
    role: Role,
    now: datetime,
    ttl_days: int,
    national_lead: bool = False,
) -> CreatedInvite:
    """A new invite to the actor's instrument. Its coordinators invite anyone; only admins
    invite coordinators."""
    actor.require_coordinator()
    if role is Role.COORDINATOR:
        actor.require_admin()
    if country_code is not None:
        country_code = country_code.upper()
        if session.get(Country, country_code) is None:
            raise UnknownCountry(country=country_code)
    elif role is Role.FOCAL_POINT:
        raise UnknownCountry(country="")
    code = secrets.token_urlsafe(CODE_BYTES)
    invite = Invite(
        code_hash=hash_code(code),
        country_code=country_code,
        role=role,
        is_national_lead=national_lead,
        checklist_id=actor.checklist_id,
        created_by=actor.person_id,
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    session.add(invite)
    session.flush()
    assert invite.id is not None and invite.expires_at is not None
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.INVITE_CREATED,
        now=now,
        country_code=country_code,
        subject=f"invite:{invite.id}",
        checklist_id=invite.checklist_id,
        details={
            "role": role.value,
            "national_lead": national_lead,
            "instrument": actor.checklist_id,
        },
    )
    return CreatedInvite(
        invite.id, code, country_code, role, national_lead, invite.expires_at, actor.checklist_id
    )


def redeem_invite(
    session: Session,
    *,
    code: str,
    telegram_id: int,
    display_name: str,
    username: str | None,
    language_code: str | None,
    now: datetime,
) -> Actor:
    """Bind the person to the invite's country and their role in its instrument (kept beside
    their roles in other instruments); the invite is then used up.

    The invite is claimed first, by one conditional UPDATE: of two people sending the same
    code at the same moment exactly one changes the row, and the other raises before any
    person row is written (its transaction rolls back, leaving nobody half-enrolled).
    A revoked person is refused whatever invite they hold: only a coordinator's /readmit
    brings them back.
    """
    code_hash = hash_code(code)
    claimed = session.execute(
        sa.update(Invite)
        .where(
            col(Invite.code_hash) == code_hash,
            col(Invite.used_at).is_(None),
            col(Invite.cancelled_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InviteInvalid(reason=_why_unusable(session, code_hash))
    invite = session.exec(select(Invite).where(Invite.code_hash == code_hash)).one()

    person = find_person(session, telegram_id)
    if person is not None and not person.active:
        # Raising rolls the claim back: the invite stays open, for a coordinator to cancel.
        raise InviteInvalid(reason=InviteProblem.REVOKED)
    if person is not None and _moves_country_of_another_instrument(session, person, invite):
        assert person.country_code is not None and invite.country_code is not None
        raise InviteForAnotherCountry(current=person.country_code, invited=invite.country_code)
    if person is None:
        person = Person(telegram_id=telegram_id, created_at=now)
    person.display_name = display_name
    person.username = username
    person.telegram_language = language_code
    person.country_code = invite.country_code
    person.current_checklist_id = invite.checklist_id
    person.active = True
    person.unreachable_at = None
    person.last_active_at = now
    session.add(person)
    session.flush()
    assert person.id is not None
    grant(
        session,
        person.id,
        invite.checklist_id,
        invite.role,
        national_lead=invite.is_national_lead,
    )
    invite.used_by = person.id
    session.add(invite)
    audit.record(
        session,
        actor_id=person.id,
        action=audit.Action.INVITE_REDEEMED,
        now=now,
        country_code=invite.country_code,
        subject=f"invite:{invite.id}",
        checklist_id=invite.checklist_id,
        details={
            "person": person.id,
            "role": invite.role,
            "national_lead": invite.is_national_lead,
            "instrument": invite.checklist_id,
        },
    )
    return actor_of(session, person)


def _moves_country_of_another_instrument(session: Session, person: Person, invite: Invite) -> bool:
    """Would this invite give a person who represents a country in another instrument another
    country? (An invite of the same instrument may move them: a coordinator's correction.)"""
    if invite.country_code is None or person.country_code in (None, invite.country_code):
        return False
    elsewhere = session.exec(
        select(Membership.id).where(
            Membership.person_id == person.id, Membership.checklist_id != invite.checklist_id
        )
    ).first()
    return elsewhere is not None


def _why_unusable(session: Session, code_hash: str) -> InviteProblem:
    """Why the claim of an invite changed no row: unknown, used, cancelled or expired."""
    invite = session.exec(select(Invite).where(Invite.code_hash == code_hash)).first()
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.used_at is not None:
        return InviteProblem.USED
    if invite.cancelled_at is not None:
        return InviteProblem.CANCELLED
    return InviteProblem.EXPIRED


def enrol_admin(
    session: Session,
    *,
    telegram_id: int,
    display_name: str,
    username: str | None,
    language_code: str | None,
    now: datetime,
) -> Actor:
    """A person listed in NORMSBOT_ADMINS becomes a coordinator (of the default instrument,
    and as an admin of every one) and admin on first contact."""
    person = find_person(session, telegram_id) or Person(telegram_id=telegram_id, created_at=now)
    held = (
        next((r for r in roles_of(session, person.id) if r.checklist_id == ASEAN_NORMS_ID), None)
        if person.id is not None
        else None
    )
    was = (person.id, held.role if held else None, person.is_admin, person.active)  # audit
    person.display_name = display_name or person.display_name
    person.username = username
    person.telegram_language = language_code
    person.is_admin = True
    person.active = True
    person.last_active_at = now
    session.add(person)
    session.flush()
    assert person.id is not None
    grant(session, person.id, ASEAN_NORMS_ID, Role.COORDINATOR)
    if was != (person.id, Role.COORDINATOR, True, True):
        audit.record(
            session,
            actor_id=None,
            action=audit.Action.ROLE_CHANGED,
            now=now,
            subject=f"person:{person.id}",
            details={
                "role": Role.COORDINATOR,
                "admin": True,
                "was_role": was[1] if was[0] else None,
                "was_admin": bool(was[0] and was[2]),
                "reason": "settings",
            },
        )
    return actor_of(session, person)


def list_open_invites(session: Session, *, actor: Actor, now: datetime) -> list[InviteRow]:
    actor.require_coordinator()
    invites = session.exec(
        select(Invite)
        .where(
            col(Invite.checklist_id) == actor.checklist_id,
            col(Invite.used_at).is_(None),
            col(Invite.cancelled_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .order_by(col(Invite.id))
    ).all()
    result = []
    for invite in invites:
        assert invite.id is not None and invite.expires_at
        result.append(
            InviteRow(
                invite.id,
                invite.country_code,
                invite.role,
                invite.is_national_lead,
                invite.expires_at,
                invite.checklist_id,
            )
        )
    return result


def cancel_invite(session: Session, *, actor: Actor, invite_id: int, now: datetime) -> bool:
    """Cancel an unused invite; False when there is no such open invite (or it just went).

    One conditional UPDATE, so a cancel racing a redemption either wins or reports False.
    """
    actor.require_coordinator()
    result = session.execute(
        sa.update(Invite)
        .where(
            col(Invite.id) == invite_id,
            col(Invite.checklist_id) == actor.checklist_id,
            col(Invite.used_at).is_(None),
            col(Invite.cancelled_at).is_(None),
        )
        .values(cancelled_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    invite = session.get(Invite, invite_id)
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.INVITE_CANCELLED,
        now=now,
        country_code=invite.country_code if invite else None,
        subject=f"invite:{invite_id}",
        checklist_id=actor.checklist_id,
    )
    return True
