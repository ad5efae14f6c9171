"""Races on shared rows under real concurrency: many people send the same invite code at
once; several bot processes start on an empty database at once.

Each thread has its own session (its own connection and transaction), as two bot processes
or two worker threads would; a barrier releases them together. Exactly one redemption per
code may win, and exactly one person may be enrolled by it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlmodel import col, select

from bot.checklist import ChecklistRegistry, bundled_checklist_dir
from bot.countries import ASEAN_MEMBER_STATES
from bot.db import Database
from bot.models import Country, Cycle, Invite, Person, Role
from bot.services import enrolment, setup
from bot.services.actors import actor_from
from bot.services.errors import InviteInvalid

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
RACERS = 8
CODES = 5


def _admin_and_codes(db: Database) -> list[str]:
    with db.session() as session:
        setup.seed_countries(session)
        admin = Person(telegram_id=1, display_name="Admin", is_admin=True)
        admin.created_at = NOW
        session.add(admin)
        session.flush()
        actor = actor_from(admin)  # an admin coordinates every instrument
        return [
            enrolment.create_invite(
                session, actor=actor, country_code="TH", role=Role.FOCAL_POINT, now=NOW, ttl_days=7
            ).code
            for _ in range(CODES)
        ]


def _race(db: Database, code: str, first_id: int) -> list[str]:
    """RACERS people send `code` at the same moment; what each of them got."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = [""] * RACERS

    def redeem(index: int) -> None:
        barrier.wait()
        try:
            db.call(
                enrolment.redeem_invite,
                code=code,
                telegram_id=first_id + index,
                display_name=f"Racer {index}",
                username=None,
                language_code="en",
                now=NOW,
            )
            outcomes[index] = "enrolled"
        except InviteInvalid as refused:
            outcomes[index] = str(refused.reason)
        except Exception as error:  # any other failure is a finding too
            outcomes[index] = repr(error)

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_redemptions_enrol_exactly_one_person_per_code(database: Database):
    codes = _admin_and_codes(database)
    for number, code in enumerate(codes):
        first_id = 10_000 + 100 * number
        outcomes = _race(database, code, first_id)
        assert sorted(outcomes) == ["enrolled"] + ["used"] * (RACERS - 1), outcomes
        with database.session() as session:
            racers = range(first_id, first_id + RACERS)
            enrolled = session.exec(
                select(Person).where(col(Person.telegram_id).in_(list(racers)))
            ).all()
            assert len(enrolled) == 1, [p.display_name for p in enrolled]
            invite = session.exec(
                select(Invite).where(Invite.code_hash == enrolment.hash_code(code))
            ).one()
            assert invite.used_by == enrolled[0].id
            winner = outcomes.index("enrolled")
            assert enrolled[0].telegram_id == first_id + winner


def test_two_processes_starting_at_once_seed_one_first_cycle(database: Database):
    """Bots starting at once on a database without a cycle: one first cycle, no failure.

    The countries are there already (an earlier start), so nothing but the start-up lock
    keeps the processes from each opening a first cycle.
    """
    registry = ChecklistRegistry.from_dir(bundled_checklist_dir())
    database.call(setup.seed_countries)
    barrier = threading.Barrier(RACERS)
    failures: list[str] = []

    def start() -> None:
        barrier.wait()
        try:
            database.call(
                setup.prepare,
                checklist=registry.default(),
                first_cycle_title="First",
                deadline_days=90,
                now=NOW,
                admins=[1],
            )
        except Exception as error:  # any failure is a finding
            failures.append(repr(error))

    threads = [threading.Thread(target=start) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with database.session() as session:
        assert len(session.exec(select(Cycle)).all()) == 1
        assert len(session.exec(select(Country)).all()) == len(ASEAN_MEMBER_STATES)
