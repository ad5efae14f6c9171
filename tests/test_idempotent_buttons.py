"""Every state-changing button of cycles, reports and reminders works once.

A tap carries the version of what it changes: pressed twice, retried by Telegram (the same
callback_data again) or raced by a second process, exactly one tap changes the database and
tells people; the others get an alert and are shown where things stand now. The races run
with real threads, each with its own session, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session, col, select

from bot.checklist import ChecklistRegistry, bundled_checklist_dir
from bot.db import MIGRATIONS_DIR, Database
from bot.models import Answer, Cycle, CycleDraft, Membership, Person
from bot.services import cycles, submission
from bot.services.actors import Actor
from bot.services.errors import StaleAction
from bot.services.submission import Outcome
from fakegram import FakeUser
from tests.harness import ADMIN_ID, START, BotHarness

SETTLE = 0.5  # seconds for a notification a second tap would (wrongly) send


def _cycles(harness: BotHarness) -> list[Cycle]:
    with harness.db.session() as session:
        return list(session.exec(select(Cycle).order_by(col(Cycle.id))).all())


async def _told(user: FakeUser, text: str) -> int:
    """How many messages the fake API delivered to `user` containing `text`."""
    await asyncio.sleep(SETTLE)
    return sum(text in message.plain for message in await user.messages())


def _race(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released at the same moment; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --------------------------------------------------------------------------- /cycle buttons


async def test_plus_one_week_pressed_twice_and_replayed_moves_the_deadline_once(
    harness: BotHarness,
):
    alice = await harness.enrol(3001, "TH", name="Alice")
    admin = await harness.admin()
    await admin.command("cycle")
    shown = await admin.expect("First reporting cycle")
    data = shown.button("+1 week").callback_data
    assert data is not None
    before = _cycles(harness)[0].deadline
    assert before is not None

    # Two taps at once (a double tap), then Telegram retrying the same callback_data.
    answers = await asyncio.gather(
        admin.press(data, message_id=shown.message_id, force=True),
        admin.press(data, message_id=shown.message_id, force=True),
    )
    replay = await admin.press(data, message_id=shown.message_id, force=True)

    assert _cycles(harness)[0].deadline == before + timedelta(days=7)
    assert _cycles(harness)[0].version == 1
    texts = [answer.text or "" for answer in [*answers, replay] if answer is not None]
    assert sum("no longer current" in text for text in texts) == 2
    assert await _told(alice, "The deadline of the reporting cycle") == 1


async def test_a_stale_cycle_button_is_followed_by_the_cycle_as_it_is_now(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("cycle")
    old = await admin.expect("First reporting cycle")
    await admin.command("deadline", "2026-12-31")
    await admin.expect("is now")

    answer = await admin.press("+1 week", message_id=old.message_id)
    assert answer is not None and "no longer current" in (answer.text or "")
    assert answer.show_alert
    assert _cycles(harness)[0].deadline == datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)
    # Not the alert alone: the pressed message now shows the cycle with today's buttons.
    now = await admin.expect(lambda m: m.message_id == old.message_id and "Dec 31" in m.plain)
    assert now.button("+1 week").callback_data != old.button("+1 week").callback_data


async def test_close_confirmed_twice_closes_once(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("closecycle")
    ask = await admin.expect("Close “First reporting cycle”?")
    data = ask.button("Yes, close it").callback_data
    assert data is not None
    first = await admin.press(data, message_id=ask.message_id)
    assert first is not None and not first.show_alert
    closed_at = _cycles(harness)[0].closed_at
    assert closed_at is not None

    harness.clock.advance(minutes=5)
    replay = await admin.press(data, message_id=ask.message_id, force=True)
    assert replay is not None and "is closed" in (replay.text or "")  # what happened instead
    [cycle] = _cycles(harness)
    assert (cycle.closed_at, cycle.version) == (closed_at, 1)


async def test_a_close_confirm_drawn_before_a_deadline_change_is_refused(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("closecycle")
    ask = await admin.expect("Close “First reporting cycle”?")
    await admin.command("deadline", "2026-12-31")
    await admin.expect("is now")
    answer = await admin.press("Yes, close it", message_id=ask.message_id)
    assert answer is not None and "no longer current" in (answer.text or "")
    assert _cycles(harness)[0].closed_at is None
    await admin.expect(lambda m: m.message_id == ask.message_id and m.has_button("+1 week"))


async def test_open_cycle_confirmed_twice_opens_one_and_tells_once(harness: BotHarness):
    alice = await harness.enrol(3002, "TH", name="Alice")
    admin = await harness.admin()
    await admin.command("newcycle", "2026-12-31", "Second")
    draft = await admin.expect("New reporting cycle")
    data = draft.button("Open the cycle").callback_data
    assert data is not None
    answers = await asyncio.gather(
        admin.press(data, message_id=draft.message_id, force=True),
        admin.press(data, message_id=draft.message_id, force=True),
    )
    replay = await admin.press(data, message_id=draft.message_id, force=True)
    texts = [answer.text or "" for answer in [*answers, replay] if answer is not None]
    assert sum("no longer current" in text for text in texts) == 2
    assert [(c.title, c.closed_at is None) for c in _cycles(harness)] == [
        ("", False),  # the bot's own first cycle: titled per reader
        ("Second", True),
    ]
    assert await _told(alice, "A new reporting cycle is open") == 1


# --------------------------------------------------------------------------- reminder buttons


async def test_reminder_snooze_and_mute_pressed_twice_change_once(harness: BotHarness):
    alice = await harness.enrol(3003, "TH", name="Alice")
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle)).one()
        cycle.deadline = datetime(2026, 3, 6, 16, 59, 59, tzinfo=UTC)
        session.add(cycle)
    harness.clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    await harness.sweep()
    reminder = await alice.expect("A reminder about")
    snooze = reminder.button("Snooze 1 day").callback_data
    mute = reminder.button("Mute for this cycle").callback_data
    assert snooze is not None and mute is not None

    def state() -> tuple[datetime | None, int | None]:
        with harness.db.session() as session:
            person = session.exec(select(Person).where(Person.telegram_id == 3003)).one()
            held = session.exec(select(Membership).where(Membership.person_id == person.id)).one()
            return person.snoozed_until, held.muted_cycle_id

    await alice.press(snooze, message_id=reminder.message_id)
    snoozed = state()
    assert snoozed[0] is not None
    harness.clock.advance(hours=2)  # a later tap would have moved the snooze on
    again = await alice.press(snooze, message_id=reminder.message_id, force=True)
    assert again is not None and "no longer current" in (again.text or "")
    assert state() == snoozed

    await alice.press(mute, message_id=reminder.message_id)
    assert state()[1] == cycle.id
    again = await alice.press(mute, message_id=reminder.message_id, force=True)
    assert again is not None and "no longer current" in (again.text or "")
    assert (await alice.messages())[-1].has_button("Unmute")  # the state as it is now
    await alice.press("Unmute", message_id=reminder.message_id)
    assert state()[1] is None
    unmute = f"rm:um:{cycle.id}"
    again = await alice.press(unmute, message_id=reminder.message_id, force=True)
    assert again is not None and "no longer current" in (again.text or "")
    assert state()[1] is None


# --------------------------------------------------------------------------- races


def _draft(harness: BotHarness, admin: Actor, title: str) -> int:
    draft = harness.db.call(
        cycles.draft_cycle,
        actor=admin,
        checklists=harness.runtime.checklists,
        title=title,
        deadline_day=date(2026, 12, 31),
        timezone=None,
        now=START,
    )
    return draft.draft_id


async def test_two_confirms_of_one_draft_at_once_open_one_cycle(harness: BotHarness):
    await harness.admin()
    admin = harness.actor(ADMIN_ID)
    checklists: ChecklistRegistry = harness.runtime.checklists
    draft_id = _draft(harness, admin, "Second")

    def confirm() -> object:
        return harness.db.call(
            cycles.open_drafted_cycle,
            actor=admin,
            checklists=checklists,
            draft_id=draft_id,
            now=START + timedelta(hours=1),
        )

    results = await asyncio.to_thread(_race, 2, confirm)
    assert sum(isinstance(result, cycles.OpenedCycle) for result in results) == 1
    assert sum(isinstance(result, StaleAction) for result in results) == 1
    assert [c.title for c in _cycles(harness)] == ["", "Second"]


async def test_two_drafts_confirmed_at_once_leave_one_open_cycle(harness: BotHarness):
    await harness.admin()
    admin = harness.actor(ADMIN_ID)
    drafts = [_draft(harness, admin, "Second"), _draft(harness, admin, "Third")]
    barrier = threading.Barrier(2)

    def confirm(draft_id: int) -> None:
        barrier.wait()
        harness.db.call(
            cycles.open_drafted_cycle,
            actor=admin,
            checklists=harness.runtime.checklists,
            draft_id=draft_id,
            now=START + timedelta(hours=1),
        )

    def both() -> None:
        threads = [threading.Thread(target=confirm, args=(d,)) for d in drafts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    await asyncio.to_thread(both)
    opened = [c.title for c in _cycles(harness) if c.closed_at is None]
    assert len(opened) == 1 and opened[0] in ("Second", "Third")
    with harness.db.session() as session:
        assert all(d.used_at is not None for d in session.exec(select(CycleDraft)).all())


async def test_two_deadline_moves_with_the_same_seen_version_apply_once(harness: BotHarness):
    await harness.admin()
    admin = harness.actor(ADMIN_ID)
    [cycle] = _cycles(harness)
    cycle_id = cycle.id
    assert cycle_id is not None and cycle.deadline is not None

    def extend() -> object:
        return harness.db.call(
            cycles.extend_deadline,
            actor=admin,
            checklists=harness.runtime.checklists,
            cycle_id=cycle_id,
            days=7,
            version=cycle.version,
            now=START,
        )

    results = await asyncio.to_thread(_race, 2, extend)
    assert sum(isinstance(result, cycles.DeadlineMoved) for result in results) == 1
    assert sum(isinstance(result, StaleAction) for result in results) == 1
    assert _cycles(harness)[0].deadline == cycle.deadline + timedelta(days=7)


def _answer_everything(session: Session, harness: BotHarness, country: str) -> None:
    cycle = session.exec(select(Cycle)).one()
    assert cycle.id is not None
    for item in cycles.checklist_of(cycle, harness.runtime.checklists).items:
        session.add(
            Answer(cycle_id=cycle.id, country_code=country, item_id=item.id, status="x", version=1)
        )


async def test_two_submits_and_two_sign_offs_at_once_record_and_tell_once(harness: BotHarness):
    await harness.enrol(3004, "TH", name="Alice")
    await harness.enrol(3005, "TH", name="Lena", national_lead=True)
    with harness.db.session() as session:
        _answer_everything(session, harness, "TH")
    alice, lena = harness.actor(3004), harness.actor(3005)

    def submit() -> submission.ReportResult:
        return harness.db.call(
            submission.submit_report, actor=alice, checklists=harness.runtime.checklists, now=START
        )

    def sign_off() -> submission.ReportResult:
        return harness.db.call(
            submission.sign_off, actor=lena, checklists=harness.runtime.checklists, now=START
        )

    for work in (submit, sign_off):
        results = await asyncio.to_thread(_race, 2, work)
        outcomes = sorted(getattr(result, "outcome", repr(result)) for result in results)
        assert outcomes == [Outcome.ALREADY, Outcome.DONE]
        done = next(result for result in results if result.outcome is Outcome.DONE)
        already = next(result for result in results if result.outcome is Outcome.ALREADY)
        assert done.tell and not already.tell  # only the winner tells the coordinators


def test_two_processes_starting_at_once_create_one_first_cycle(database: Database):
    checklist = ChecklistRegistry.from_dir(bundled_checklist_dir()).default()

    def start() -> Cycle:
        return database.call(
            cycles.ensure_first_cycle,
            checklist=checklist,
            title="First",
            deadline_days=90,
            now=START,
            timezone="Asia/Jakarta",
        )

    results = _race(2, start)
    assert all(isinstance(result, Cycle) for result in results)
    with database.session() as session:
        assert len(session.exec(select(Cycle)).all()) == 1


# --------------------------------------------------------------------------- the migration


def test_the_cycle_version_migration_upgrades_a_database_with_cycles(database: Database):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "f2523687d1f5")  # a database from before the column
        connection.commit()
        connection.execute(
            sa.text(
                "INSERT INTO cycle (checklist_id, checklist_version, title, opens_at, created_at)"
                " VALUES ('c', '1', 'Old', :at, :at)"
            ),
            {"at": START},
        )
        connection.commit()
        command.upgrade(config, "head")
        connection.commit()
    with database.session() as session:
        [cycle] = session.exec(select(Cycle)).all()
        assert (cycle.title, cycle.version) == ("Old", 0)
