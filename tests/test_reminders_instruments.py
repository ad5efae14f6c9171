"""Reminders and digests with several instruments: one nudge names every instrument a person is
behind in, /remind acts in the instrument named, and a coordinator's digest covers only the
instruments they coordinate.

The bot loads the norms checklist and the small `scams` instrument (see test_instruments.py).
The clock starts on Monday 2026-03-02 03:00 UTC (10:00 in Bangkok).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.models import Membership, Person
from fakegram import FakeUser
from tests.conftest import BACKENDS, make_freshly_migrated_database
from tests.harness import BotHarness, item_id_of
from tests.test_instruments import instruments_dir, two  # noqa: F401 (fixtures)
from tests.test_reminders import is_reminder, reminders_of

FIRST_NUDGE = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)  # three days on, Thursday 10:00 Bangkok
NEXT_MONDAY_0900_JAKARTA = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
T0 = "2026-01-05 03:00:00"


async def join(bot: BotHarness, user: FakeUser, country: str, *words: str) -> None:
    """An enrolled person redeems an invite to another instrument (or a stranger a first one)."""
    code = await bot.invite_code(country, *words)
    await user.command("start", code)
    await user.expect(lambda m: m.has_button("English"))
    await user.press("English")
    await user.expect(lambda m: m.has_button("Implemented") or "Commands" in m.plain)


async def scams_focal_point(bot: BotHarness, telegram_id: int, name: str) -> FakeUser:
    user = await bot.user(telegram_id, name)
    await join(bot, user, "TH", "scams")
    return user


async def test_one_nudge_names_both_open_instruments(two: BotHarness):  # noqa: F811
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    alice = await two.enrol(7601, "TH", name="Alice")  # norms
    await join(two, alice, "TH", "scams")
    two.clock.set(FIRST_NUDGE)
    await two.sweep()
    [reminder] = await reminders_of(alice)
    text = reminder.plain
    assert "Cyber norms" in text and "Online scams" in text, text
    assert "48 open items out of 48" in text and "3 open items out of 3" in text, text
    assert "Deadline: Jun 30, 2026" in text  # the scams cycle's deadline
    await two.sweep()  # nothing more: both instruments were named once
    assert len(await reminders_of(alice)) == 1


async def test_a_reminder_of_a_scams_cycle_names_it(two: BotHarness):  # noqa: F811
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    somsak = await scams_focal_point(two, 7611, "Somsak")
    two.clock.set(FIRST_NUDGE)
    await two.sweep()
    [reminder] = await reminders_of(somsak)
    assert "Online scams" in reminder.plain and "Scams 2026" in reminder.plain
    assert "Cyber norms" not in reminder.plain
    assert "Open per theme: gov: 2, prev: 1" in reminder.plain, reminder.plain


async def test_muting_one_instrument_keeps_the_others_reminders(two: BotHarness):  # noqa: F811
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    alice = await two.enrol(7621, "TH", name="Alice")
    await join(two, alice, "TH", "scams")
    two.clock.set(FIRST_NUDGE)
    await two.sweep()
    [reminder] = await reminders_of(alice)
    mute_buttons = [b.text for b in reminder.buttons() if "Mute" in b.text]
    assert mute_buttons == ["🔕 Mute: Cyber norms", "🔕 Mute: Online scams"]  # one each
    answer = await alice.press("🔕 Mute: Online scams")
    assert answer is not None and "No more reminders" in (answer.text or "")
    assert (await alice.messages())[-1].has_button("Unmute")
    two.clock.set(datetime(2026, 3, 12, 3, 0, tzinfo=UTC))  # a week on: the next nudge
    await two.sweep()
    reminders = await reminders_of(alice)
    assert len(reminders) == 2
    assert "Cyber norms" in reminders[-1].plain and "Online scams" not in reminders[-1].plain


async def test_remind_a_country_in_the_scams_instrument(two: BotHarness):  # noqa: F811
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    somsak = await scams_focal_point(two, 7631, "Somsak")
    admin = await two.admin()
    two.clock.advance(minutes=31)
    await admin.command("remind", "TH", "scams")
    answer = await admin.expect("Reminding the focal points of Thailand")
    assert "Somsak: now" in answer.plain and "Online scams" in answer.plain
    nudge = await somsak.expect("A coordinator asks you to continue")
    assert "Online scams" in nudge.plain and "Scams 2026" in nudge.plain
    assert is_reminder(nudge)
    await two.sweep()  # sent once: not "cancelled, the cycle is closed", nor twice
    assert len(await reminders_of(somsak)) == 1
    await admin.command("reminders", "scams")
    overview = await admin.expect("Reminders")
    assert "Online scams" in overview.plain and "Scams 2026" in overview.plain, overview.plain
    assert "· 1 sent" in overview.plain, overview.plain


async def test_a_scams_coordinators_digest_has_no_norms_data(two: BotHarness):  # noqa: F811
    admin = await two.admin()
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    carol = await two.user(7641, "Carol")
    await join(two, carol, "ID", "coordinator", "scams")
    two.clock.advance(minutes=5)  # the answers below come after her enrolment
    alice = await two.enrol(7642, "TH", name="Alice")  # norms only
    await alice.press_and_wait("Implemented")
    with two.db.session() as session:
        row = session.exec(select(Person).where(Person.telegram_id == 7642)).one()
        row.unreachable_at = two.clock.now()
        session.add(row)
    somsak = await scams_focal_point(two, 7643, "Somsak")
    await somsak.press_and_wait("Implemented")

    two.clock.set(NEXT_MONDAY_0900_JAKARTA)
    await two.sweep()
    [digest] = [m for m in await carol.messages() if "Weekly digest" in m.plain]
    text = digest.plain
    assert "Online scams" in text and "Scams 2026" in text, text
    assert "Cyber norms" not in text and "First reporting cycle" not in text, text
    assert "Alice" not in text and "of 48" not in text, text
    assert "Thailand: 1 item changed; 1 of 3 answered" in text, text
    # The admin coordinates both: one digest, a part per instrument.
    [both] = [m for m in await admin.messages() if "Weekly digest" in m.plain]
    assert "Cyber norms" in both.plain and "Online scams" in both.plain, both.plain
    assert "Thailand: 1 item changed; 1 of 48 answered" in both.plain


@pytest.fixture(params=BACKENDS)
def before_mutes_moved(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with memberships whose mutes are still the person's (one per person)."""
    yield from make_freshly_migrated_database(request.param, tmp_path, "e4b2c9a7f13d")


def test_a_persons_mute_moves_to_the_membership_of_its_instrument(before_mutes_moved: Database):
    statements = [
        "INSERT INTO country (code, name, timezone, locales) "
        "VALUES ('TH', 'Thailand', 'Asia/Bangkok', 'th,en')",
        "INSERT INTO cycle (id, checklist_id, checklist_version, title, opens_at, created_at, "
        f"version) VALUES (7, 'test-scams', '0.1', 'Scams', '{T0}', '{T0}', 0)",
        "INSERT INTO person (id, telegram_id, display_name, is_admin, country_code, active, "
        f"digest_enabled, created_at, muted_cycle_id) VALUES (1, 5001, 'Alice', false, 'TH', "
        f"true, true, '{T0}', 7)",
        "INSERT INTO membership (person_id, checklist_id, role, is_national_lead) VALUES "
        "(1, 'asean-norms', 'focal_point', false), (1, 'test-scams', 'focal_point', false)",
    ]
    with before_mutes_moved.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    before_mutes_moved.migrate()
    with before_mutes_moved.session(write=False) as session:
        rows = session.exec(select(Membership).order_by(col(Membership.checklist_id))).all()
        assert [(m.checklist_id, m.muted_cycle_id) for m in rows] == [
            ("asean-norms", None),
            ("test-scams", 7),
        ]


async def test_a_notice_names_its_instrument(two: BotHarness):  # noqa: F811
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    somsak = await scams_focal_point(two, 7651, "Somsak")
    admin = await two.admin()
    await admin.command("deadline", "scams", "2026-07-31")
    await admin.expect("is now")
    await two.sweep()
    moved = await somsak.expect("has changed")
    assert "Online scams" in moved.plain and "Scams 2026" in moved.plain, moved.plain


async def test_snooze_works_while_acting_in_an_instrument_they_coordinate(
    two: BotHarness,  # noqa: F811
):
    alice = await two.enrol(7661, "TH", name="Alice")  # a focal point of the norms
    await join(two, alice, "TH", "coordinator", "scams")  # and now acting as scams coordinator
    assert two.actor(7661).checklist_id == "test-scams"
    two.clock.set(FIRST_NUDGE)
    await two.sweep()
    assert len(await reminders_of(alice)) == 1
    answer = await alice.press("Snooze 1 day")
    assert answer is not None and "No reminders before" in (answer.text or ""), answer


async def test_continue_opens_the_instrument_the_reminder_names_first(two: BotHarness):  # noqa: F811
    await two.open_cycle("scams", "2026-06-30", "Scams 2026")
    alice = await two.enrol(7671, "TH", name="Alice")
    await join(two, alice, "TH", "scams")  # now acting in the scams instrument
    assert two.actor(7671).checklist_id == "test-scams"
    two.clock.set(FIRST_NUDGE)
    await two.sweep()
    [reminder] = await reminders_of(alice)
    assert reminder.plain.index("Cyber norms") < reminder.plain.index("Online scams")
    shown = await alice.press_and_wait("Continue")
    assert item_id_of(shown) == "a.1", shown.plain
