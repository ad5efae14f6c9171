"""Reminders to focal points: the cadence, local working hours, quiet while answering, snooze
and mute, completion, restarts, two senders, and what Telegram answers (429, 403, 5xx).

The clock is the harness's `FrozenClock` (Monday 2026-03-02 03:00 UTC, 10:00 in Bangkok); the
sweeper runs when a test calls `harness.sweep()`, exactly as its periodic job would.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.bootstrap import prepare_runtime
from bot.checklist import ASEAN_NORMS_ID
from bot.db import Database
from bot.models import (
    Answer,
    CountryReport,
    Cycle,
    Delivery,
    DeliveryStatus,
    Membership,
    Person,
    Role,
)
from bot.services.actors import grant
from bot.services.reminders import (
    ReminderHistory,
    ReminderPolicy,
    due_time,
    next_reminder,
)
from bot.services.schedule import zone
from bot.telegram.app import build_application
from bot.telegram.jobs import run_sweep
from fakegram import FakeUser, Msg
from tests.harness import START, BotHarness, is_prompt, item_id_of, make_settings

DEADLINE = datetime(2026, 4, 30, 16, 59, 59, tzinfo=UTC)  # end of Thursday 30 April, Jakarta


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --------------------------------------------------------------------------- the policy alone


def simulate(
    timezone: str,
    *,
    deadline: datetime | None = DEADLINE,
    policy: ReminderPolicy | None = None,
    now: datetime = START,
) -> list[tuple[str, str]]:
    """Every reminder one silent focal point gets: (slot, local time it goes)."""
    policy = policy or ReminderPolicy()
    tz = zone(timezone)
    history = ReminderHistory()
    sent: list[tuple[str, str]] = []
    while True:
        slot = next_reminder(
            policy=policy,
            tz=tz,
            cycle_id=1,
            opens_at=START,
            deadline=deadline,
            enrolled_at=START,
            last_active_at=START,
            history=history,
            now=now,
        )
        if slot is None:
            return sent
        now = max(now, due_time(slot, history=history, snoozed_until=None, policy=policy, tz=tz))
        sent.append((slot.key, now.astimezone(tz).strftime("%a %d %b %H:%M")))
        history = ReminderHistory(history.sent + 1, now, history.done | {slot.key})


def test_first_nudge_after_three_days_then_the_deadline_cadence_within_the_cap():
    assert simulate("Asia/Bangkok") == [
        ("c1:i20260305", "Thu 05 Mar 10:00"),  # three days after enrolment
        ("c1:i20260312", "Thu 12 Mar 10:00"),  # every week while nothing happens …
        ("c1:i20260319", "Thu 19 Mar 10:00"),  # … as far as the cap leaves room
        ("c1:d14-20260430", "Thu 16 Apr 09:00"),
        ("c1:d7-20260430", "Thu 23 Apr 09:00"),
        ("c1:d3-20260430", "Mon 27 Apr 09:00"),
        ("c1:d1-20260430", "Wed 29 Apr 09:00"),
        ("c1:d0-20260430", "Thu 30 Apr 09:00"),
    ]


def test_half_hour_offset_yangon_gets_its_reminders_at_0900_local():
    sent = simulate("Asia/Yangon")
    assert len(sent) == 8
    assert sent[0] == ("c1:i20260305", "Thu 05 Mar 09:30")  # 3 days after 09:30 local
    assert sent[3:] == [
        ("c1:d14-20260430", "Thu 16 Apr 09:00"),
        ("c1:d7-20260430", "Thu 23 Apr 09:00"),
        ("c1:d3-20260430", "Mon 27 Apr 09:00"),
        ("c1:d1-20260430", "Wed 29 Apr 09:00"),
        ("c1:d0-20260430", "Thu 30 Apr 09:00"),
    ]


def test_dili_deadline_falls_after_midnight_so_the_last_reminder_is_the_day_before():
    sent = simulate("Asia/Dili")  # +9: the Jakarta deadline is 01:59 on 1 May in Dili
    assert sent[-1] == ("c1:d1-20260501", "Thu 30 Apr 09:00")
    assert all("d0-" not in key for key, _ in sent)
    assert len(sent) == 8


def test_a_reminder_on_a_weekend_moves_to_monday_and_merges_with_that_days_own():
    monday_deadline = utc(2026, 4, 27, 16, 59, 59)
    sent = simulate("Asia/Bangkok", deadline=monday_deadline)
    deadline_part = [entry for entry in sent if ":d" in entry[0]]
    assert deadline_part == [
        ("c1:d14-20260427", "Mon 13 Apr 09:00"),
        ("c1:d7-20260427", "Mon 20 Apr 09:00"),
        ("c1:d3-20260427", "Fri 24 Apr 09:00"),
        ("c1:d0-20260427", "Mon 27 Apr 09:00"),  # d1 is a Sunday: one reminder on Monday
    ]


def test_a_small_cap_keeps_the_reminders_closest_to_the_deadline():
    sent = simulate("Asia/Bangkok", policy=ReminderPolicy(cap=3))
    assert [key for key, _ in sent] == ["c1:d3-20260430", "c1:d1-20260430", "c1:d0-20260430"]


def test_after_downtime_only_the_latest_due_reminder_goes():
    sent = simulate("Asia/Bangkok", now=utc(2026, 4, 28, 3, 0))
    assert sent == [
        ("c1:d3-20260430", "Tue 28 Apr 10:00"),
        ("c1:d1-20260430", "Wed 29 Apr 09:00"),
        ("c1:d0-20260430", "Thu 30 Apr 09:00"),
    ]


def test_without_a_deadline_the_weekly_nudges_stop_at_the_cap():
    sent = simulate("Asia/Bangkok", deadline=None, policy=ReminderPolicy(cap=4))
    assert [key for key, _ in sent] == [
        "c1:i20260305",
        "c1:i20260312",
        "c1:i20260319",
        "c1:i20260326",
    ]


# --------------------------------------------------------------------------- helpers


def set_deadline(harness: BotHarness, deadline: datetime) -> int:
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle).where(col(Cycle.closed_at).is_(None))).one()
        cycle.deadline = deadline
        session.add(cycle)
        assert cycle.id is not None
        return cycle.id


def rows_of(harness: BotHarness, telegram_id: int) -> list[Delivery]:
    with harness.db.session(write=False) as session:
        person = session.exec(select(Person).where(Person.telegram_id == telegram_id)).one()
        return list(
            session.exec(
                select(Delivery)
                .where(Delivery.recipient_id == person.id)
                .order_by(col(Delivery.id))
            ).all()
        )


def person(harness: BotHarness, telegram_id: int) -> Person:
    with harness.db.session(write=False) as session:
        return session.exec(select(Person).where(Person.telegram_id == telegram_id)).one()


def muted_cycle(harness: BotHarness, telegram_id: int) -> int | None:
    """The cycle whose reminders the person muted, in the norms instrument."""
    with harness.db.session(write=False) as session:
        return session.exec(
            select(Membership.muted_cycle_id)
            .join(Person, col(Person.id) == col(Membership.person_id))
            .where(Person.telegram_id == telegram_id, Membership.checklist_id == ASEAN_NORMS_ID)
        ).one()


def is_reminder(message: Msg) -> bool:
    return any(data.startswith("rm:") for data in message.callback_data())


async def reminders_of(user: FakeUser) -> list[Msg]:
    return [m for m in await user.messages() if is_reminder(m)]


def answer_all(harness: BotHarness, country: str) -> None:
    """Every item of the open cycle answered for the country (as if typed by its people)."""
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle).where(col(Cycle.closed_at).is_(None))).one()
        checklist = harness.runtime.checklists.get(cycle.checklist_id, cycle.checklist_version)
        assert cycle.id is not None
        for item in checklist.items:
            session.add(
                Answer(
                    cycle_id=cycle.id,
                    country_code=country,
                    item_id=item.id,
                    status="implemented",
                    updated_at=harness.clock.now(),
                )
            )


# --------------------------------------------------------------------------- stories


async def test_focal_point_gets_a_reminder_in_their_language_and_continues(harness: BotHarness):
    set_deadline(harness, DEADLINE)
    alice = await harness.enrol(1001, "TH", name="Alice")
    for expected in ("a.2", "a.3"):
        shown = await alice.press_and_wait("Implemented")
        assert item_id_of(shown) == expected

    await harness.sweep()
    assert await reminders_of(alice) == []  # nothing due yet
    planned = rows_of(harness, 1001)
    assert [(r.kind, r.slot, r.status) for r in planned] == [
        ("reminder", "c1:i20260305", "planned")
    ]
    assert planned[0].due_at == utc(2026, 3, 5, 3, 0)  # Thursday 10:00 in Bangkok

    harness.clock.set(utc(2026, 3, 5, 3, 0))
    report = await harness.sweep()
    assert report.sent.sent == 1
    reminder = (await reminders_of(alice))[-1]
    assert "A reminder about" in reminder.plain
    assert "Cyber norms" in reminder.plain  # the reminder names its instrument
    assert "Thailand still has" in reminder.plain
    total = len(harness.runtime.checklists.default().items)
    assert f"{total - 2} open items out of {total}" in reminder.plain
    assert "a: 2" in reminder.plain  # a.1 and a.2 answered; norm a has four items
    assert "Deadline: Apr 30, 2026" in reminder.plain and "(UTC+07:00)" in reminder.plain
    assert [b.text for b in reminder.buttons()] == [
        "▶️ Continue",
        "⏰ Snooze 1 day",
        "⏰ Snooze 1 week",
        "🔕 Mute for this cycle",
    ]
    sent = rows_of(harness, 1001)[0]
    assert sent.status == "sent" and sent.telegram_message_id == reminder.message_id

    shown = await alice.press_and_wait("Continue")
    assert is_prompt(shown) and item_id_of(shown) == "a.3"

    # Sweeping again sends nothing more: the next one is a week after this activity.
    await harness.sweep()
    assert len(await reminders_of(alice)) == 1


async def test_reminder_text_in_the_persons_language_thai_with_buddhist_era(harness: BotHarness):
    set_deadline(harness, DEADLINE)
    somchai = await harness.enrol(1002, "TH", name="Somchai")
    with harness.db.session() as session:
        row = session.exec(select(Person).where(Person.telegram_id == 1002)).one()
        row.locale = "th"
        session.add(row)
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    await harness.sweep()
    reminder = (await reminders_of(somchai))[-1]
    assert "2569" in reminder.plain  # 2026 in the Buddhist era
    assert "(UTC+07:00)" in reminder.plain
    assert "A reminder about" not in reminder.plain


async def test_no_reminder_while_answering_it_waits_half_an_hour(harness: BotHarness):
    set_deadline(harness, DEADLINE)
    alice = await harness.enrol(1001, "TH", name="Alice")
    harness.clock.set(utc(2026, 4, 23, 2, 0))  # Thursday 09:00 in Bangkok: the 7-days slot
    await alice.press_and_wait("Implemented")  # she is answering right now
    harness.clock.set(utc(2026, 4, 23, 2, 10))
    await harness.sweep()
    assert await reminders_of(alice) == []
    [row] = [r for r in rows_of(harness, 1001) if r.status == "planned"]
    assert row.slot == "c1:d7-20260430"
    assert row.due_at == utc(2026, 4, 23, 2, 30)  # 30 minutes after her last answer

    harness.clock.set(utc(2026, 4, 23, 2, 30))
    await harness.sweep()
    [reminder] = await reminders_of(alice)
    assert "47 open items" in reminder.plain


async def test_outside_working_hours_it_moves_to_the_next_opening(harness: BotHarness):
    set_deadline(harness, DEADLINE)
    alice = await harness.enrol(1001, "TH", name="Alice")
    await harness.sweep()
    [row] = rows_of(harness, 1001)
    # Planned from the start for Thursday 10:00 local, three days after enrolment.
    assert row.due_at == utc(2026, 3, 5, 3, 0)
    # Due while the bot was down, seen again on Friday 18:30 local: waits for Monday 09:00.
    with harness.db.session() as session:
        stored = session.get(Delivery, row.id)
        assert stored is not None
        stored.due_at = utc(2026, 3, 6, 11, 30)
        session.add(stored)
    harness.clock.set(utc(2026, 3, 6, 11, 30))
    await harness.sweep()
    assert await reminders_of(alice) == []
    [row] = rows_of(harness, 1001)
    assert (row.status, row.due_at) == ("planned", utc(2026, 3, 9, 2, 0))
    harness.clock.set(utc(2026, 3, 9, 2, 0))
    await harness.sweep()
    assert len(await reminders_of(alice)) == 1


async def test_snooze_holds_reminders_back_and_a_second_press_never_shortens_it(
    harness: BotHarness,
):
    set_deadline(harness, utc(2026, 3, 6, 16, 59, 59))  # Friday 6 March, end of day
    alice = await harness.enrol(1001, "TH", name="Alice")
    harness.clock.set(utc(2026, 3, 5, 2, 0))  # Thursday 09:00: the day before the deadline
    await harness.sweep()
    [reminder] = await reminders_of(alice)
    assert "Deadline: Mar 6, 2026" in reminder.plain
    snooze_week = reminder.button("Snooze 1 week").callback_data
    snooze_day = reminder.button("Snooze 1 day").callback_data
    assert snooze_week is not None and snooze_day is not None

    answer = await alice.press("Snooze 1 week")
    assert answer is not None and answer.text is not None
    assert "No reminders before Mar 12, 2026" in answer.text
    shown = (await alice.messages())[-1]
    assert [b.text for b in shown.buttons()] == ["▶️ Continue", "🔕 Mute for this cycle"]
    snoozed = person(harness, 1001).snoozed_until
    harness.clock.advance(hours=1)
    again = await alice.press(snooze_day, message_id=reminder.message_id, force=True)
    assert again is not None and again.text is not None
    assert "no longer current" in again.text  # snoozed once per reminder: nothing changes
    assert person(harness, 1001).snoozed_until == snoozed  # still a week, not shortened

    harness.clock.set(utc(2026, 3, 6, 2, 0))  # the deadline's day
    await harness.sweep()
    assert len(await reminders_of(alice)) == 1
    harness.clock.set(utc(2026, 3, 12, 2, 0))
    await harness.sweep()
    reminders = await reminders_of(alice)
    assert len(reminders) == 2
    assert "The deadline was Mar 6, 2026" in reminders[-1].plain


async def test_mute_stops_this_cycles_reminders_and_unmute_brings_them_back(
    harness: BotHarness,
):
    set_deadline(harness, DEADLINE)
    alice = await harness.enrol(1001, "TH", name="Alice")
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    await harness.sweep()
    [reminder] = await reminders_of(alice)
    answer = await alice.press("Mute for this cycle")
    assert answer is not None and answer.text is not None
    assert "No more reminders until the next reporting cycle" in answer.text
    assert (await alice.messages())[-1].has_button("Unmute")
    assert muted_cycle(harness, 1001) == 1
    again = await alice.press("rm:mute:1", message_id=reminder.message_id, force=True)
    assert again is not None and again.text is not None and "no longer current" in again.text
    assert (await alice.messages())[-1].has_button("Unmute")  # the keyboard shows the state

    for day in (utc(2026, 3, 12, 3, 0), utc(2026, 4, 16, 2, 0), utc(2026, 4, 30, 2, 0)):
        harness.clock.set(day)
        await harness.sweep()
    assert len(await reminders_of(alice)) == 1
    assert [r.status for r in rows_of(harness, 1001)] == ["sent"]

    admin = await harness.admin()
    await admin.command("reminders")
    overview = await admin.expect("Reminders")
    assert "Thailand: nothing planned · 1 sent · 🔕 1 muted" in overview.plain

    await alice.press("Unmute")
    assert muted_cycle(harness, 1001) is None
    harness.clock.advance(minutes=31)  # a tap is activity: reminders keep quiet for a while
    await harness.sweep()  # 30 April, 09:31: the deadline's own day
    reminders = await reminders_of(alice)
    assert len(reminders) == 2
    assert "The deadline is today" in reminders[-1].plain


async def test_old_cycles_reminder_buttons_change_nothing(harness: BotHarness):
    alice = await harness.enrol(1001, "TH", name="Alice")
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    await harness.sweep()
    [reminder] = await reminders_of(alice)
    answer = await alice.press("rm:mute:99", message_id=reminder.message_id, force=True)
    assert answer is not None and answer.text is not None
    assert "earlier reporting cycle" in answer.text
    assert muted_cycle(harness, 1001) is None
    answer = await alice.press("rm:s7:424242", message_id=reminder.message_id, force=True)
    assert answer is not None and answer.text is not None
    assert "earlier reporting cycle" in answer.text
    assert person(harness, 1001).snoozed_until is None


async def test_completion_stops_reminders(harness: BotHarness):
    set_deadline(harness, DEADLINE)
    alice = await harness.enrol(1001, "TH", name="Alice")
    bob = await harness.enrol(1002, "VN", name="Bob")
    await harness.sweep()
    assert {r.status for r in rows_of(harness, 1001)} == {"planned"}
    answer_all(harness, "TH")
    with harness.db.session() as session:
        session.add(CountryReport(cycle_id=1, country_code="VN", submitted_at=START))
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    await harness.sweep()
    assert await reminders_of(alice) == []
    assert await reminders_of(bob) == []
    assert rows_of(harness, 1001) == [] and rows_of(harness, 1002) == []
    # Continue on an old reminder of a complete report shows the end of the checklist.
    await alice.press("rm:go", force=True, message_id=(await alice.last()).message_id)
    done = await alice.expect(lambda m: not is_prompt(m) and "48" in m.plain)
    assert not is_reminder(done)


async def test_restart_sends_overdue_reminders_once(harness: BotHarness):
    alice = await harness.enrol(1001, "TH", name="Alice")
    await harness.sweep()
    await harness.stop()
    harness.clock.set(utc(2026, 3, 10, 4, 0))  # down for days; back on Tuesday 11:00
    await harness.start()
    await harness.sweep()
    await harness.sweep()
    await harness.restart()
    await harness.sweep()
    [reminder] = await reminders_of(alice)
    [row] = rows_of(harness, 1001)[:1]
    assert (row.slot, row.status, row.telegram_message_id) == (
        "c1:i20260305",
        "sent",
        reminder.message_id,
    )


async def test_a_claim_left_by_a_dead_process_is_sent_once_after_its_lease(
    harness: BotHarness,
):
    alice = await harness.enrol(1001, "TH", name="Alice")
    await harness.sweep()
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    [row] = rows_of(harness, 1001)
    with harness.db.session() as session:  # a process claimed it, then died
        session.execute(
            sa.update(Delivery)
            .where(col(Delivery.id) == row.id)
            .values(
                status=DeliveryStatus.CLAIMED, claimed_by="dead:0", claimed_at=harness.clock.now()
            )
        )
    harness.clock.advance(minutes=4)
    await harness.sweep()
    assert await reminders_of(alice) == []  # its lease (5 minutes) still holds
    harness.clock.advance(minutes=1)
    await harness.sweep()
    await harness.sweep()
    assert len(await reminders_of(alice)) == 1
    [row] = rows_of(harness, 1001)[:1]
    assert (row.status, row.attempts) == ("sent", 1)


async def test_429_is_retried_by_the_rate_limiter_then_succeeds(harness: BotHarness):
    alice = await harness.enrol(1001, "TH", name="Alice")
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    before = len(await harness.tg.calls("sendMessage"))
    await harness.tg.inject_fault("sendMessage", "retry_after", retry_after=1, chat_id=1001)
    report = await harness.sweep()
    assert report.sent.sent == 1
    calls = (await harness.tg.calls("sendMessage"))[before:]
    assert [call["status"] for call in calls] == [429, 200]
    assert len(await reminders_of(alice)) == 1
    [row] = rows_of(harness, 1001)[:1]
    assert (row.status, row.attempts) == ("sent", 0)


async def test_server_errors_are_retried_with_backoff(harness: BotHarness):
    alice = await harness.enrol(1001, "TH", name="Alice")
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    await harness.tg.inject_fault("sendMessage", "server_error", chat_id=1001, status=502)
    report = await harness.sweep()
    assert (report.sent.sent, report.sent.retry) == (0, 1)
    [row] = rows_of(harness, 1001)[:1]
    assert (row.status, row.attempts) == ("planned", 1)
    assert row.due_at == utc(2026, 3, 5, 3, 0, 30)
    assert "Bad Gateway" in (row.last_error or "")
    await harness.sweep()
    assert await reminders_of(alice) == []  # not before its backoff
    harness.clock.advance(seconds=30)
    await harness.sweep()
    assert len(await reminders_of(alice)) == 1
    assert rows_of(harness, 1001)[0].status == "sent"


async def test_a_blocked_bot_marks_the_person_unreachable_until_they_write_again(
    harness: BotHarness,
):
    alice = await harness.enrol(1001, "TH", name="Alice")
    await alice.block()
    harness.clock.set(utc(2026, 3, 5, 3, 0))
    report = await harness.sweep()
    assert report.sent.unreachable == 1
    assert person(harness, 1001).unreachable_at == utc(2026, 3, 5, 3, 0)
    [row] = rows_of(harness, 1001)
    assert row.status == "failed" and "blocked" in (row.last_error or "")
    harness.clock.set(utc(2026, 3, 12, 3, 0))
    await harness.sweep()
    assert len(rows_of(harness, 1001)) == 1  # nothing new planned for her

    admin = await harness.admin()
    await admin.command("reminders")
    overview = await admin.expect("Reminders")
    assert "⛔ Alice blocked the bot on Mar 5, 2026" in overview.plain

    await alice.unblock()
    await alice.command("continue")
    await alice.expect(is_prompt)
    assert person(harness, 1001).unreachable_at is None
    await harness.sweep()
    assert [r.status for r in rows_of(harness, 1001)] == ["failed", "planned"]


async def test_coordinator_reminds_a_country_now_once_a_day(harness: BotHarness):
    alice = await harness.enrol(1001, "TH", name="Alice")
    bob = await harness.enrol(1002, "TH", name="Bob <b>")
    admin = await harness.admin()
    await admin.command("remind", "TH")
    busy = await admin.expect("Reminding the focal points of Thailand")
    assert "Alice: is answering right now; at Mar 2, 2026" in busy.plain
    await admin.command("remind", "th")
    pending = await admin.expect("Reminding the focal points of Thailand")
    assert "Alice: already asked for today; it goes at Mar 2, 2026" in pending.plain
    harness.clock.advance(minutes=31)
    await harness.sweep()
    nudge = await alice.expect("A coordinator asks you to continue")
    assert nudge.has_button("Continue")
    await bob.expect("A coordinator asks you to continue")

    carol = await harness.enrol(1003, "TH", name="Carol")
    harness.clock.advance(minutes=31)
    await admin.command("remind", "TH")
    answer = await admin.expect("Reminding the focal points of Thailand")
    assert "Carol: now" in answer.plain
    await carol.expect("A coordinator asks you to continue")  # sent at once, no sweep

    await admin.command("remind", "TH")
    again = await admin.expect("Reminding the focal points of Thailand")
    assert "Alice: already reminded today" in again.plain
    assert "Bob &lt;b&gt;" not in again.plain and "Bob <b>: already" in again.plain
    await harness.sweep()
    assert len(await reminders_of(alice)) == 1

    await admin.command("remind", "XX")
    await admin.expect("Unknown country code “XX”")
    await admin.command("remind")
    await admin.expect("Usage: /remind COUNTRY")
    await admin.command("remind", "SG")
    await admin.expect("Singapore has no active focal point yet")
    await alice.command("remind", "TH")
    await alice.expect("Only coordinators can do this")


async def test_a_nudge_outside_working_hours_says_when_it_goes(harness: BotHarness):
    alice = await harness.enrol(1001, "MM", name="Aung")
    harness.clock.set(utc(2026, 3, 7, 5, 0))  # Saturday
    admin = await harness.admin()
    await admin.command("remind", "MM")
    answer = await admin.expect("Reminding the focal points of Myanmar")
    assert "Aung: at Mar 9, 2026 9:00 AM (UTC+06:30), their next working hours" in (
        answer.plain.replace("\u202f", " ")
    )
    await harness.sweep()
    assert await reminders_of(alice) == []
    harness.clock.set(utc(2026, 3, 9, 2, 30))
    await harness.sweep()
    [nudge] = await reminders_of(alice)
    assert "A coordinator asks you to continue" in nudge.plain


async def test_reminders_overview_per_country(harness: BotHarness):
    set_deadline(harness, DEADLINE)
    await harness.enrol(1001, "TH", name="Alice")
    await harness.enrol(1002, "MM", name="Aung")
    answer_all(harness, "VN")
    admin = await harness.admin()
    await admin.command("reminders")
    overview = (await admin.expect("Reminders")).plain.replace("\u202f", " ")
    assert "Thailand: next Mar 5, 2026 10:00 AM (UTC+07:00)" in overview
    assert "Myanmar: next Mar 5, 2026 9:30 AM (UTC+06:30)" in overview
    assert "Viet Nam: ✅ complete" in overview
    assert "Lao PDR: no focal point yet" in overview


# --------------------------------------------------------------------------- two senders


def seed_focal_points(db: Database, ids: list[int]) -> None:
    countries = ["TH", "MM", "TL", "PH", "ID", "VN"]
    with db.session() as session:
        for n, telegram_id in enumerate(ids):
            person = Person(
                telegram_id=telegram_id,
                display_name=f"Focal {telegram_id}",
                locale="en",
                country_code=countries[n % len(countries)],
                created_at=START - timedelta(days=10),
                last_active_at=START - timedelta(days=10),
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            grant(session, person.id, ASEAN_NORMS_ID, Role.FOCAL_POINT)


async def test_two_senders_send_every_reminder_exactly_once(harness: BotHarness):
    """Two bot processes (own engines, own rate limiters) on one database sweep at once."""
    ids = list(range(5000, 5040))
    seed_focal_points(harness.db, ids)
    for telegram_id in ids:
        await harness.tg.user(telegram_id, f"Focal {telegram_id}", started=True)
    await harness.sweep()  # plans; nothing is due yet
    harness.clock.set(utc(2026, 3, 5, 3, 0))  # open hours from Yangon to Dili
    apps, dbs = [], []
    for name in ("one", "two"):
        db = Database(harness.db.url, schema=harness.db.schema)
        rt = prepare_runtime(
            make_settings(harness.api, db, delivery_concurrency=4), db=db, clock=harness.clock
        )
        rt.instance = name
        app = build_application(rt)
        await app.initialize()
        apps.append(app)
        dbs.append(db)
    try:
        reports = await asyncio.gather(*(run_sweep(app) for app in apps))
    finally:
        for app, db in zip(apps, dbs, strict=True):
            await app.shutdown()
            db.dispose()
    assert sum(report.sent.sent for report in reports) == len(ids)
    calls = await harness.tg.calls("sendMessage")
    per_chat = {telegram_id: 0 for telegram_id in ids}
    for call in calls:
        if call["chat_id"] in per_chat and call["status"] == 200:
            per_chat[call["chat_id"]] += 1
    assert set(per_chat.values()) == {1}
    with harness.db.session(write=False) as session:
        rows = session.exec(select(Delivery).where(Delivery.slot == "c1:i20260305")).all()
    assert len(rows) == len(ids)
    assert {row.status for row in rows} == {"sent"}
    senders = {row.claimed_by.split(":")[0] for row in rows if row.claimed_by}
    assert senders == {"one", "two"}  # both took part
