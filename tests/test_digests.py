"""Coordinators' digests: what they say, one per slot across sweeps and restarts, one after a
downtime (not one per missed week), /digest on and off, and the settings.

The admin coordinator belongs to no country: their zone is `coordinator_timezone` (Jakarta,
UTC+07:00), so the weekly digest is due on Mondays at 02:00 UTC. They enrol at the harness's
start, Monday 2 March 2026 10:00 in Jakarta: their first digest is the next Monday's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.models import CountryReport, Cycle, Delivery, Person
from bot.services.digests import DigestPolicy, plan_digests
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg
from tests.harness import START, BotHarness


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


NEXT_MONDAY_0900_JAKARTA = utc(2026, 3, 9, 2, 0)


def is_digest(message: Msg) -> bool:
    return "digest" in message.plain.split("\n", 1)[0]


async def digests_of(user: FakeUser) -> list[Msg]:
    return [m for m in await user.messages() if is_digest(m)]


def digest_rows(harness: BotHarness) -> list[tuple[str, str]]:
    with harness.db.session(write=False) as session:
        rows = session.exec(
            select(Delivery).where(Delivery.kind == "digest").order_by(col(Delivery.id))
        ).all()
        return [(row.slot, row.status) for row in rows]


def plain(message: Msg) -> str:
    return message.plain.replace("\u202f", " ")


async def test_weekly_digest_tells_changes_submissions_who_is_behind_and_unreachable(
    harness: BotHarness,
):
    admin = await harness.admin()
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle)).one()
        cycle.deadline = utc(2026, 3, 16, 3, 0)  # two weeks: half the time gone on the 9th
        session.add(cycle)
    harness.clock.advance(hours=1)
    alice = await harness.enrol(1001, "TH", name="Alice")
    for _ in range(3):
        await alice.press_and_wait("Implemented")
    await harness.enrol(1002, "VN", name="Bob <Nguyen>")
    with harness.db.session() as session:
        bob = session.exec(select(Person).where(Person.telegram_id == 1002)).one()
        bob.unreachable_at = utc(2026, 3, 4, 5, 0)
        session.add(bob)
        session.add(CountryReport(cycle_id=1, country_code="VN", submitted_at=utc(2026, 3, 3, 3)))

    harness.clock.set(NEXT_MONDAY_0900_JAKARTA - (NEXT_MONDAY_0900_JAKARTA - START) / 2)
    await harness.sweep()
    assert await digests_of(admin) == []  # not before Monday 09:00 in Jakarta

    harness.clock.set(NEXT_MONDAY_0900_JAKARTA)
    report = await harness.sweep()
    assert report.digests_planned == 1
    [digest] = await digests_of(admin)
    text = plain(digest)
    assert text.startswith("📰 Weekly digest\n")
    assert "From Mar 2, 2026 10:00 AM (UTC+07:00) to Mar 9, 2026 9:00 AM (UTC+07:00)" in text
    assert "First reporting cycle: deadline Mar 16, 2026 10:00 AM (UTC+07:00)" in text
    assert "Thailand: 3 items changed; 3 of 48 answered" in text
    assert "Viet Nam, Mar 3, 2026 10:00 AM (UTC+07:00)" in text
    assert "By now about 50% of the items should be answered." in text
    assert "Thailand: 3 of 48 (6%)" in text
    assert "Brunei Darussalam: 0 of 48 (0%) · no focal point yet" in text
    assert "Viet Nam: 0 of 48" not in text  # submitted: not behind
    assert "Bob <Nguyen> (Viet Nam), since Mar 4, 2026" in text
    assert "<b>" not in text and "&lt;" not in text
    assert digest_rows(harness) == [("digest:2026-W11", "sent")]


async def test_one_digest_per_slot_across_sweeps_and_restarts(harness: BotHarness):
    admin = await harness.admin()
    harness.clock.set(NEXT_MONDAY_0900_JAKARTA)
    await harness.sweep()
    await harness.sweep()
    await harness.restart()
    await harness.sweep()
    harness.clock.advance(days=6)
    await harness.sweep()
    assert len(await digests_of(admin)) == 1
    harness.clock.advance(days=1)  # the next Monday
    await harness.sweep()
    digests = await digests_of(admin)
    assert len(digests) == 2
    # The second covers the week since the first was sent.
    assert "From Mar 9, 2026 9:00 AM (UTC+07:00) to Mar 16, 2026 9:00 AM" in plain(digests[-1])
    assert digest_rows(harness) == [("digest:2026-W11", "sent"), ("digest:2026-W12", "sent")]


async def test_digests_missed_while_down_come_once(harness: BotHarness):
    admin = await harness.admin()
    harness.clock.set(NEXT_MONDAY_0900_JAKARTA)
    policy = DigestPolicy.from_settings(harness.settings)
    harness.db.call(plan_digests, policy=policy, now=harness.clock.now())  # then it went down
    await harness.stop()
    harness.clock.set(utc(2026, 3, 30, 3, 0))  # three Mondays later, 10:00 in Jakarta
    await harness.start()
    await harness.sweep()
    await harness.sweep()
    [digest] = await digests_of(admin)
    assert "From Mar 2, 2026 10:00 AM (UTC+07:00) to Mar 30, 2026 10:00 AM" in plain(digest)
    assert digest_rows(harness) == [("digest:2026-W11", "cancelled"), ("digest:2026-W14", "sent")]


async def test_a_late_digest_waits_for_working_hours(harness: BotHarness):
    admin = await harness.admin()
    harness.clock.set(utc(2026, 3, 9, 13, 0))  # Monday 20:00 in Jakarta: the bot was down
    await harness.sweep()
    assert await digests_of(admin) == []
    with harness.db.session(write=False) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == "digest")).one()
    assert (row.status, row.due_at) == ("planned", utc(2026, 3, 10, 2, 0))
    harness.clock.set(utc(2026, 3, 10, 2, 0))
    await harness.sweep()
    assert len(await digests_of(admin)) == 1


async def test_digest_command_shows_it_now_and_turns_the_schedule_off_and_on(
    harness: BotHarness,
):
    admin = await harness.admin()
    await admin.command("digest")
    preview = await admin.expect("Weekly digest")
    assert "Your next digest: Mar 9, 2026 9:00 AM (UTC+07:00)." in plain(preview)
    assert "No answers changed." in preview.plain
    shown = await admin.press_and_wait("Stop my digests")
    assert "You do not get scheduled digests." in shown.plain
    assert shown.has_button("Send me digests")
    harness.clock.set(NEXT_MONDAY_0900_JAKARTA)
    await harness.sweep()
    assert len(await digests_of(admin)) == 1  # only the preview
    shown = await admin.press_and_wait("Send me digests")
    assert "Your next digest: Mar 16, 2026" in plain(shown)
    await harness.sweep()  # this Monday's slot is due: it comes now
    assert len(await digests_of(admin)) == 2  # the preview (edited in place), the digest
    assert digest_rows(harness)[-1] == ("digest:2026-W11", "sent")

    alice = await harness.enrol(1001, "TH", name="Alice")
    await alice.command("digest")
    await alice.expect("Only coordinators can do this")


async def test_a_coordinator_in_myanmar_gets_it_at_0900_yangon_time(harness: BotHarness):
    await harness.admin()
    with harness.db.session() as session:  # the admin lets digests be: this is about Aye
        admin = session.exec(select(Person).where(Person.is_admin)).one()
        admin.digest_enabled = False
        session.add(admin)
    code = await harness.invite_code("MM", "coordinator")
    aye = await harness.user(2001, "Aye")
    await aye.command("start", code)
    await aye.expect(lambda m: m.has_button("English"))
    await aye.press_and_wait("English")
    harness.clock.set(utc(2026, 3, 9, 2, 29))  # 08:59 in Yangon
    await harness.sweep()
    assert await digests_of(aye) == []
    harness.clock.set(utc(2026, 3, 9, 2, 30))
    await harness.sweep()
    [digest] = await digests_of(aye)
    assert "to Mar 9, 2026 9:00 AM (UTC+06:30)" in plain(digest)


@pytest.fixture
async def quiet_harness(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    async with BotHarness(fake_api, tg, database, digest_enabled=False) as bot:
        yield bot


async def test_digests_switched_off_in_the_settings(quiet_harness: BotHarness):
    admin = await quiet_harness.admin()
    quiet_harness.clock.set(NEXT_MONDAY_0900_JAKARTA)
    await quiet_harness.sweep()
    assert await digests_of(admin) == []
    assert digest_rows(quiet_harness) == []
    await admin.command("digest")
    preview = await admin.expect("Weekly digest")
    assert "Scheduled digests are switched off for everyone." in preview.plain


@pytest.fixture
async def daily_harness(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    async with BotHarness(fake_api, tg, database, digest_frequency="daily") as bot:
        yield bot


async def test_daily_digests(daily_harness: BotHarness):
    admin = await daily_harness.admin()
    for day in (3, 4):
        daily_harness.clock.set(utc(2026, 3, day, 2, 0))
        await daily_harness.sweep()
        await daily_harness.sweep()
    digests = await digests_of(admin)
    assert [m.plain.split("\n", 1)[0] for m in digests] == ["📰 Daily digest"] * 2
    assert digest_rows(daily_harness) == [
        ("digest:2026-03-03", "sent"),
        ("digest:2026-03-04", "sent"),
    ]
