"""What every start does before taking updates: reference data and the first cycle."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.checklist import Checklist
from bot.countries import ASEAN_MEMBER_STATES
from bot.models import Country, Person
from bot.services import audit
from bot.services.cycles import ensure_first_cycle

PREPARE_LOCK = 0x6E6F726D  # "norm": the advisory lock key of start-up preparation


def seed_countries(session: Session) -> None:
    """Insert the member states; keep any row a deployment changed by hand.

    INSERT … ON CONFLICT DO NOTHING rather than read-then-insert: two processes starting at
    once must not fail on each other's rows.
    """
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(
        insert(Country)
        .values(
            [
                {
                    "code": info.code,
                    "name": info.name,
                    "timezone": info.timezone,
                    "locales": ",".join(info.locales),
                }
                for info in ASEAN_MEMBER_STATES
            ]
        )
        .on_conflict_do_nothing(index_elements=["code"])
    )


def demote_former_admins(session: Session, *, admins: Collection[int], now: datetime) -> int:
    """Take admin rights from everyone no longer named in NORMSBOT_ADMINS; returns how many.

    The setting is the only source of admin rights: removing an id and restarting must
    demote that person (they stay a coordinator, without the right to invite coordinators).
    """
    query = sa.update(Person).where(col(Person.is_admin).is_(True))
    if admins:
        query = query.where(col(Person.telegram_id).not_in(list(admins)))
    demoted = session.execute(
        query.values(is_admin=False).returning(col(Person.id), col(Person.country_code))
    ).all()
    for person_id, country_code in demoted:
        # Nobody pressed a button: the settings did it (actor None).
        audit.record(
            session,
            actor_id=None,
            action=audit.Action.ADMIN_DEMOTED,
            now=now,
            country_code=country_code,
            subject=f"person:{person_id}",
        )
    return len(demoted)


def prepare(
    session: Session,
    *,
    checklist: Checklist,
    first_cycle_title: str,
    deadline_days: int,
    now: datetime,
    admins: Collection[int],
    timezone: str | None = None,
) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Two processes starting at once would both find no cycle and open two: the first to
        # get this lock does the work, the other waits and then finds it done. (SQLite's
        # BEGIN IMMEDIATE already lets only one writer in.)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PREPARE_LOCK})
    seed_countries(session)
    demote_former_admins(session, admins=admins, now=now)
    session.flush()
    ensure_first_cycle(
        session,
        checklist=checklist,
        # "" (no title of its own): the views show the default name in each reader's language.
        title=" ".join(first_cycle_title.split()),
        deadline_days=deadline_days,
        now=now,
        timezone=timezone,
    )
