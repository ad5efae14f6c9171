"""The outbox rows themselves: planned once, claimed once (also by two senders at a time),
leases, recording, retries with backoff, and what a blocked bot cancels."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database, MigrationRecording, scratch_postgres_schema
from bot.models import Delivery, DeliveryKind, Person
from bot.services import deliveries
from bot.services.deliveries import DeliveryPolicy, RetryOutcome
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(lease=timedelta(minutes=5), max_attempts=3)
ALL = tuple(DeliveryKind)


def people(db: Database, count: int) -> list[int]:
    with db.session() as session:
        rows = [Person(telegram_id=7000 + n, created_at=NOW) for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows if row.id is not None]


def plan(db: Database, person_id: int, slot: str = "s", *, due: datetime = NOW) -> bool:
    return db.call(
        deliveries.plan,
        recipient_id=person_id,
        kind=DeliveryKind.REMINDER,
        slot=slot,
        due_at=due,
        now=NOW,
    )


def claim(db: Database, claimer: str, *, now: datetime = NOW, limit: int = 100) -> list[int]:
    rows = db.call(
        deliveries.claim_due, kinds=ALL, claimer=claimer, now=now, limit=limit, policy=POLICY
    )
    return [row.id for row in rows if row.id is not None]


def row(db: Database, delivery_id: int) -> Delivery:
    with db.session(write=False) as session:
        found = session.get(Delivery, delivery_id)
        assert found is not None
        return found


def test_planning_a_slot_twice_makes_one_row(database: Database):
    [person] = people(database, 1)
    assert plan(database, person) is True
    assert plan(database, person) is False
    assert plan(database, person, "other") is True
    with database.session(write=False) as session:
        assert len(session.exec(select(Delivery)).all()) == 2


def test_a_due_row_is_claimed_once_and_a_future_one_not_at_all(database: Database):
    [person] = people(database, 1)
    plan(database, person, "now")
    plan(database, person, "later", due=NOW + timedelta(hours=1))
    first = claim(database, "a:1")
    assert len(first) == 1
    assert claim(database, "b:1") == []
    claimed = row(database, first[0])
    assert (claimed.slot, claimed.status, claimed.claimed_by) == ("now", "claimed", "a:1")


def test_a_lapsed_claim_is_taken_over_and_counts_as_an_attempt(database: Database):
    [person] = people(database, 1)
    plan(database, person)
    [delivery] = claim(database, "dead:1")
    assert claim(database, "b:1", now=NOW + timedelta(minutes=4, seconds=59)) == []
    assert claim(database, "b:1", now=NOW + timedelta(minutes=5)) == [delivery]
    taken = row(database, delivery)
    assert (taken.claimed_by, taken.attempts) == ("b:1", 1)
    # The dead process's record comes too late: its claim is gone.
    assert not database.call(
        deliveries.record_sent, delivery_id=delivery, claimer="dead:1", message_id=1, now=NOW
    )
    assert database.call(
        deliveries.record_sent, delivery_id=delivery, claimer="b:1", message_id=42, now=NOW
    )
    sent = row(database, delivery)
    assert (sent.status, sent.telegram_message_id) == ("sent", 42)
    assert claim(database, "c:1", now=NOW + timedelta(hours=1)) == []


def test_a_row_whose_senders_keep_dying_fails_after_max_attempts(database: Database):
    [person] = people(database, 1)
    plan(database, person)
    now = NOW
    for attempt in range(POLICY.max_attempts):  # each try dies before it records
        assert len(claim(database, f"p:{attempt}", now=now)) == 1
        now += POLICY.lease
    assert claim(database, "last:1", now=now) == []
    with database.session(write=False) as session:
        [failed] = session.exec(select(Delivery)).all()
    assert (failed.status, failed.attempts) == ("failed", POLICY.max_attempts)


def test_failures_back_off_then_give_up(database: Database):
    [person] = people(database, 1)
    plan(database, person)
    assert POLICY.backoff(1) == timedelta(seconds=30)
    assert POLICY.backoff(3) == timedelta(minutes=2)
    assert POLICY.backoff(30) == timedelta(hours=1)
    now = NOW
    outcomes = []
    for n in range(POLICY.max_attempts):
        [delivery] = claim(database, f"s:{n}", now=now)
        outcomes.append(
            database.call(
                deliveries.record_failure,
                delivery_id=delivery,
                claimer=f"s:{n}",
                error="NetworkError: boom",
                now=now,
                policy=POLICY,
            )
        )
        failed = row(database, delivery)
        if n < POLICY.max_attempts - 1:
            assert failed.due_at == now + POLICY.backoff(n + 1)
            now = failed.due_at
    assert outcomes == [RetryOutcome.RETRY, RetryOutcome.RETRY, RetryOutcome.GAVE_UP]
    assert (failed.status, failed.attempts, failed.last_error) == (
        "failed",
        3,
        "NetworkError: boom",
    )


def test_retry_after_is_honoured_when_longer_than_the_backoff(database: Database):
    [person] = people(database, 1)
    plan(database, person)
    [delivery] = claim(database, "s:1")
    database.call(
        deliveries.record_failure,
        delivery_id=delivery,
        claimer="s:1",
        error="RetryAfter",
        now=NOW,
        policy=POLICY,
        retry_after=timedelta(minutes=3),
    )
    assert row(database, delivery).due_at == NOW + timedelta(minutes=3)


def test_a_blocked_bot_fails_the_row_and_cancels_everything_planned(database: Database):
    [person, other] = people(database, 2)
    plan(database, person, "now")
    plan(database, person, "later", due=NOW + timedelta(days=1))
    database.call(
        deliveries.plan,
        recipient_id=person,
        kind=DeliveryKind.DIGEST,
        slot="digest:2026-W11",
        due_at=NOW + timedelta(days=4),
        now=NOW,
    )
    plan(database, other, "later", due=NOW + timedelta(days=1))
    [delivery] = claim(database, "s:1")
    assert (
        database.call(
            deliveries.mark_unreachable,
            delivery_id=delivery,
            claimer="s:1",
            error="Forbidden: bot was blocked by the user",
            now=NOW,
        )
        == person
    )
    with database.session(write=False) as session:
        rows = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
        blocked = session.get(Person, person)
        assert blocked is not None and blocked.unreachable_at == NOW
    assert [(r.recipient_id, r.slot, r.status) for r in rows] == [
        (person, "now", "failed"),
        (person, "later", "cancelled"),
        (person, "digest:2026-W11", "cancelled"),
        (other, "later", "planned"),
    ]


def test_two_senders_claiming_at_once_never_share_a_row(database: Database):
    """Two engines (as two processes would have), claiming in small batches in threads."""
    persons = people(database, 10)
    for person in persons:
        for n in range(10):
            plan(database, person, f"s{n}")
    second = Database(database.url, schema=database.schema)
    got: dict[str, list[int]] = {"one": [], "two": []}
    start = threading.Barrier(2)

    def sender(db: Database, name: str) -> None:
        start.wait()
        while batch := claim(db, f"{name}:1", limit=3):
            got[name].extend(batch)

    threads = [
        threading.Thread(target=sender, args=(database, "one")),
        threading.Thread(target=sender, args=(second, "two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    second.dispose()
    assert len(got["one"]) + len(got["two"]) == 100
    assert set(got["one"]).isdisjoint(got["two"])


def test_the_planners_lock_belongs_to_one_schema(postgres_recording: MigrationRecording):
    """Two bots on one PostgreSQL database in schemas of their own (two regional bodies, or
    two tests at once) each plan their own reminders: advisory locks are database-wide, so
    the planner's key must name the schema, or one bot's planning skips the other's."""
    with (
        scratch_postgres_schema(POSTGRES_URL, prefix="one", recording=postgres_recording) as one,
        scratch_postgres_schema(POSTGRES_URL, prefix="two", recording=postgres_recording) as two,
        one.session() as holding,
    ):
        assert deliveries.planning_lock(holding, "reminders")
        with two.session() as session:
            assert deliveries.planning_lock(session, "reminders")
        with one.session() as session:  # the same schema still waits its turn
            assert not deliveries.planning_lock(session, "reminders")


def test_the_planners_lock_is_taken_without_a_current_schema(
    postgres_recording: MigrationRecording,
):
    """A search_path that names no existing schema makes current_schema() NULL: the lock must
    still be taken, or that bot would never plan a reminder again."""
    with (
        scratch_postgres_schema(POSTGRES_URL, prefix="one", recording=postgres_recording) as one,
        one.session() as session,
    ):
        session.execute(sa.text("SET LOCAL search_path TO normsbot_no_such_schema"))
        assert deliveries.planning_lock(session, "reminders")
