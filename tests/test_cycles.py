"""Reporting cycles: the open cycle, a new one (with a baseline), the deadline, closing.

Stories through the real bot, plus the date rules (end of day in the coordinator's zone, days
to the deadline in the reader's zone) tested directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.checklist import ASEAN_NORMS_ID, ChecklistRegistry, bundled_checklist_dir
from bot.db import Database
from bot.models import Answer, AnswerRevision, Cursor, Cycle, CycleDraft
from bot.services import cycles
from bot.services.cycles import DaysLeft, days_left, end_of_day
from tests.harness import START, BotHarness, is_prompt, item_id_of


def _cycles(harness: BotHarness) -> list[Cycle]:
    with harness.db.session() as session:
        return list(session.exec(select(Cycle).order_by(col(Cycle.id))).all())


def _answers(harness: BotHarness, cycle_id: int, country: str) -> dict[str, Answer]:
    with harness.db.session() as session:
        rows = session.exec(
            select(Answer).where(Answer.cycle_id == cycle_id, Answer.country_code == country)
        ).all()
        return {answer.item_id: answer for answer in rows}


# --------------------------------------------------------------------------- date rules


def test_a_deadline_is_the_end_of_the_typed_day_in_the_zone():
    day = date(2026, 6, 30)
    assert end_of_day(day, "Asia/Jakarta") == datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC)
    assert end_of_day(day, "Asia/Manila") == datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC)
    assert end_of_day(day, "Asia/Yangon") == datetime(2026, 6, 30, 17, 29, 59, tzinfo=UTC)
    assert end_of_day(day, None) == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        # Deadline: end of 31 March in Jakarta = 16:59:59 UTC.
        (datetime(2026, 3, 30, 16, 30, tzinfo=UTC), "Asia/Jakarta", DaysLeft(1, False)),
        (datetime(2026, 3, 30, 17, 30, tzinfo=UTC), "Asia/Jakarta", DaysLeft(0, False)),
        # In Dili (+9) it is already 31 March at 16:30 UTC on the 30th; the deadline is at
        # 01:59 on 1 April there: still one calendar day away.
        (datetime(2026, 3, 30, 16, 30, tzinfo=UTC), "Asia/Dili", DaysLeft(1, False)),
        (datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "Asia/Dili", DaysLeft(0, False)),
        # Just after the deadline: in Manila it is the next day, yet only just over.
        (datetime(2026, 3, 31, 17, 30, tzinfo=UTC), "Asia/Manila", DaysLeft(0, True)),
        (datetime(2026, 4, 2, 10, 0, tzinfo=UTC), "Asia/Jakarta", DaysLeft(-2, True)),
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), None, DaysLeft(30, False)),
    ],
)
def test_days_to_the_deadline_count_calendar_days_in_the_readers_zone(now, zone, expected):
    deadline = end_of_day(date(2026, 3, 31), "Asia/Jakarta")
    assert days_left(deadline, now, zone) == expected


# --------------------------------------------------------------------------- /cycle


async def test_coordinator_sees_the_open_cycle_and_extends_its_deadline(harness: BotHarness):
    alice = await harness.enrol(2001, "TH", name="Alice")
    admin = await harness.admin()
    await admin.command("cycle")
    shown = await admin.expect("First reporting cycle")
    assert "90 days left" in shown.plain
    assert "Reports submitted: 0 of 11" in shown.plain
    before = _cycles(harness)[0].deadline
    assert before is not None

    await alice.mark()
    moved = await admin.press_and_wait("+1 week")
    assert "is now" in moved.plain
    after = _cycles(harness)[0].deadline
    assert after == before + timedelta(days=7)
    told = await alice.expect("The deadline of the reporting cycle")
    assert "First reporting cycle" in told.plain


async def test_focal_point_sees_the_cycle_without_buttons(harness: BotHarness):
    alice = await harness.enrol(2002, "TH", name="Alice")
    await alice.command("cycle")
    shown = await alice.expect("First reporting cycle")
    assert "Thailand's report is not submitted yet" in shown.plain
    assert shown.buttons() == []


async def test_deadline_command_uses_the_coordinators_zone(harness: BotHarness):
    admin = await harness.admin()  # no country: the coordinators' zone, Asia/Jakarta
    await admin.command("deadline", "2026-06-30")
    await admin.expect("is now")
    assert _cycles(harness)[0].deadline == datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC)

    manila = await harness.enrol_coordinator(2003, name="Maria", country="PH")
    await manila.command("deadline", "2026-07-31")
    shown = await manila.expect("is now")
    assert "(UTC+08:00)" in shown.plain
    assert _cycles(harness)[0].deadline == datetime(2026, 7, 31, 15, 59, 59, tzinfo=UTC)


async def test_bad_deadlines_are_refused_and_change_nothing(harness: BotHarness):
    admin = await harness.admin()
    before = _cycles(harness)[0].deadline
    await admin.command("deadline")
    await admin.expect("send /deadline followed by the day")
    await admin.command("deadline", "31/12/2026")
    await admin.expect("send /deadline followed by the day")
    await admin.command("deadline", "2027-02-30")  # the form is right, the day impossible
    await admin.expect("There is no day 2027-02-30 in the calendar.")
    await admin.command("deadline", "2026-03-01")  # yesterday in Jakarta
    await admin.expect("The deadline must be in the future.")
    assert _cycles(harness)[0].deadline == before


async def test_other_date_takes_the_next_typed_day_as_the_deadline(harness: BotHarness):
    alice = await harness.enrol(2004, "TH", name="Alice")
    admin = await harness.admin()
    await admin.command("cycle")
    await admin.expect("First reporting cycle")
    await admin.press("Other date")
    await admin.expect("Send the new deadline as a day")
    await admin.send("2026-13-01")
    await admin.expect("There is no day 2026-13-01 in the calendar.")
    await harness.restart()  # the awaited day is kept in the database, not in memory
    await alice.mark()
    await admin.send("2026-06-30")
    await admin.expect("is now")
    assert _cycles(harness)[0].deadline == datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC)
    await alice.expect("The deadline of the reporting cycle")
    await admin.send("2026-07-31")  # no longer awaited: a text is just a text again
    await admin.expect("Commands")
    assert _cycles(harness)[0].deadline == datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC)
    await admin.press("Other date")
    await admin.expect("Send the new deadline as a day")
    await admin.send("next month")  # no day at all: the bot stops waiting, nobody is stuck
    await admin.expect("That is not a day in the form YYYY-MM-DD; the deadline is unchanged.")
    await admin.send("2026-07-31")
    await admin.expect("Commands")
    assert _cycles(harness)[0].deadline == datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC)
    await alice.send("We adopted it in 2023")  # the answering flow is untouched
    await alice.expect("I was not waiting for a message")


async def test_a_coordinator_cancels_waiting_for_the_other_date(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("cycle")
    await admin.expect("First reporting cycle")
    await admin.press("Other date")
    await admin.expect("Send the new deadline as a day")
    deadline = _cycles(harness)[0].deadline
    await admin.command("cancel")
    await admin.expect("✔️ Cancelled.")
    await admin.send("2026-06-30")  # no longer awaited: a text is just a text again
    await admin.expect("Commands")
    assert _cycles(harness)[0].deadline == deadline
    await admin.command("cancel")
    await admin.expect("I was not waiting for anything from you.")


def test_the_first_cycle_ends_at_the_end_of_a_day_in_the_coordinators_zone(
    database: Database,
):
    checklist = ChecklistRegistry.from_dir(bundled_checklist_dir()).default()
    now = datetime(2026, 3, 2, 4, 43, 12, tzinfo=UTC)  # 11:43 in Jakarta
    with database.session() as session:
        cycle = cycles.ensure_first_cycle(
            session,
            checklist=checklist,
            title="First",
            deadline_days=90,
            now=now,
            timezone="Asia/Jakarta",
        )
        # 90 days after 2 March is 31 May; a deadline typed for that day ends the same way.
        assert cycle.deadline == end_of_day(date(2026, 5, 31), "Asia/Jakarta")


async def test_the_bots_first_cycle_ends_at_the_end_of_a_day(harness: BotHarness):
    assert _cycles(harness)[0].deadline == datetime(2026, 5, 31, 16, 59, 59, tzinfo=UTC)


# --------------------------------------------------------------------------- a new cycle


async def test_new_cycle_from_a_baseline_asks_focal_points_to_confirm(harness: BotHarness):
    alice = await harness.enrol(2010, "TH", name="Alice")
    await alice.press_and_wait("Implemented")  # a.1
    await alice.press_and_wait("Planned")  # a.2
    first = _cycles(harness)[0]

    admin = await harness.admin()
    harness.clock.advance(days=30)
    await admin.command("newcycle", "2026-12-31", "Second", "<cycle>", "baseline")
    draft = await admin.expect("New reporting cycle")
    assert "Title: Second <cycle>" in draft.plain  # escaped, shown as typed
    assert "Starts from the answers of “First reporting cycle”" in draft.plain
    assert "closes “First reporting cycle”" in draft.plain
    assert draft.button("Start from the last answers").text.startswith("☑️")
    assert len(_cycles(harness)) == 1  # nothing opened yet

    await alice.mark()
    opened = await admin.press_and_wait("Open the cycle")
    assert "The new cycle is open" in opened.plain
    assert "2 answers were copied from the last cycle" in opened.plain
    notice = await alice.expect("A new reporting cycle is open")
    assert "“Second <cycle>”" in notice.plain
    assert "please confirm or change each one" in notice.plain

    old, new = _cycles(harness)
    assert old.closed_at == harness.clock.now()
    assert new.closed_at is None and new.baseline_cycle_id == first.id
    assert new.deadline == datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)
    copied = _answers(harness, new.id, "TH")  # type: ignore[arg-type]
    assert {(k, a.status, a.baseline) for k, a in copied.items()} == {
        ("a.1", "implemented", True),
        ("a.2", "planned", True),
    }
    with harness.db.session() as session:
        revisions = session.exec(
            select(AnswerRevision).where(AnswerRevision.cycle_id == new.id)
        ).all()
        assert sorted((r.item_id, r.field, r.old_value, r.new_value) for r in revisions) == [
            ("a.1", "copied", f"cycle:{first.id}", "implemented"),
            ("a.2", "copied", f"cycle:{first.id}", "planned"),
        ]

    # The new cycle's cursor starts at the first item to confirm, showing last cycle's answer.
    await alice.command("continue")
    item = await alice.expect(is_prompt)
    assert item_id_of(item) == "a.1"
    assert "From the last cycle: tap a status to confirm or change it." in item.plain
    assert "Item 1 / 48 · 0 answered" in item.plain
    assert item.button("Implemented").text.startswith("● ")
    following = await alice.press_and_wait("Implemented")  # confirms a.1
    assert item_id_of(following) == "a.2"
    assert "From the last cycle" in following.plain
    after = _answers(harness, new.id, "TH")  # type: ignore[arg-type]
    assert (after["a.1"].status, after["a.1"].baseline) == ("implemented", False)
    assert (after["a.2"].status, after["a.2"].baseline) == ("planned", True)
    with harness.db.session() as session:
        confirm = session.exec(
            select(AnswerRevision).where(
                AnswerRevision.cycle_id == new.id, AnswerRevision.field == "baseline"
            )
        ).all()
        assert [(r.item_id, r.old_value, r.new_value) for r in confirm] == [
            ("a.1", "true", "false")
        ]
        cursors = session.exec(select(Cursor).where(Cursor.cycle_id == new.id)).all()
        assert len(cursors) == 1

    # The old cycle's answers did not change.
    assert {k: a.status for k, a in _answers(harness, first.id, "TH").items()} == {  # type: ignore[arg-type]
        "a.1": "implemented",
        "a.2": "planned",
    }


async def test_new_cycle_without_baseline_starts_empty_at_the_first_item(harness: BotHarness):
    alice = await harness.enrol(2011, "TH", name="Alice")
    for _ in range(3):
        await alice.press_and_wait("Implemented")
    admin = await harness.admin()
    await admin.command("newcycle", "2026-12-31", "Second", "cycle")
    draft = await admin.expect("New reporting cycle")
    assert "Starts with an empty checklist." in draft.plain
    assert draft.button("Start from the last answers").text.startswith("⬜")
    await admin.press_and_wait("Open the cycle")
    await alice.command("continue")
    item = await alice.expect(is_prompt)
    assert item_id_of(item) == "a.1"
    assert "From the last cycle" not in item.plain
    new = _cycles(harness)[-1]
    assert _answers(harness, new.id, "TH") == {}  # type: ignore[arg-type]


async def test_draft_buttons_toggle_the_baseline_and_cancel(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("newcycle", "2026-12-31", "Second cycle")
    draft = await admin.expect("New reporting cycle")
    toggled = await admin.press_and_wait("Start from the last answers")
    assert toggled.message_id == draft.message_id
    assert toggled.button("Start from the last answers").text.startswith("☑️")
    assert "Starts from the answers of" in toggled.plain
    cancelled = await admin.press_and_wait("Cancel")
    assert "No cycle was opened" in cancelled.plain
    answer = await admin.press("cy:d:1:go", message_id=draft.message_id, force=True)
    assert answer is not None and "no longer current" in (answer.text or "")
    assert len(_cycles(harness)) == 1
    with harness.db.session() as session:
        drafts = session.exec(select(CycleDraft)).all()
        assert [(d.title, d.baseline, d.used_at is not None) for d in drafts] == [
            ("Second cycle", True, True)
        ]


async def test_newcycle_explains_its_usage_and_refuses_bad_input(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("newcycle")
    usage = await admin.expect("To open a new cycle")
    assert "/newcycle 2026-05-31 Second reporting cycle" in usage.plain  # today + 90 days
    await admin.command("newcycle", "next-week", "Title")
    await admin.expect("To open a new cycle")
    await admin.command("newcycle", "2026-12-31")
    await admin.expect("Please give the cycle a title.")
    await admin.command("newcycle", "2025-12-31", "Old")
    await admin.expect("The deadline must be in the future.")
    await admin.command("newcycle", "2026-12-31", "Title", "version=9.9")
    refused = await admin.expect("There is no checklist version “9.9”")
    assert "2024.1-p1" in refused.plain
    await admin.command("newcycle", "2026-12-31", "x" * 121)
    await admin.expect("The title is too long")
    assert len(_cycles(harness)) == 1
    with harness.db.session() as session:
        assert session.exec(select(CycleDraft)).all() == []


# --------------------------------------------------------------------------- closing


async def test_closing_asks_first_then_focal_points_can_no_longer_answer(harness: BotHarness):
    alice = await harness.enrol(2020, "TH", name="Alice")
    prompt = await alice.last()
    admin = await harness.admin()
    await admin.command("closecycle")
    ask = await admin.expect("Close “First reporting cycle”?")
    assert _cycles(harness)[0].closed_at is None
    back = await admin.press_and_wait("Cancel")
    assert "First reporting cycle" in back.plain and back.has_button("Close cycle")
    assert _cycles(harness)[0].closed_at is None

    await admin.press_and_wait("Close cycle")
    await admin.expect("Close “First reporting cycle”?")
    closed = await admin.press_and_wait("Yes, close it")
    assert "is closed" in closed.plain
    assert _cycles(harness)[0].closed_at == harness.clock.now()
    assert ask.message_id == closed.message_id

    answer = await alice.press("Implemented", message_id=prompt.message_id)
    assert answer is not None
    assert "“First reporting cycle” is closed" in (answer.text or "")
    assert _answers(harness, _cycles(harness)[0].id, "TH") == {}  # type: ignore[arg-type]
    await alice.command("continue")
    await alice.expect("is closed and its answers can no longer change")

    await admin.command("cycle")
    none_open = await admin.expect("No reporting cycle is open.")
    assert "The last one, “First reporting cycle”, closed on" in none_open.plain
    await admin.command("closecycle")
    await admin.expect("is closed and its answers can no longer change")


async def test_a_close_button_for_an_older_cycle_closes_nothing(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("closecycle")
    ask = await admin.expect("Close “First reporting cycle”?")
    await harness.open_cycle("2026-12-31", "Second")
    answer = await admin.press("Yes, close it", message_id=ask.message_id)
    assert answer is not None and "no longer current" in (answer.text or "")
    assert _cycles(harness)[-1].closed_at is None
    # The alert is followed by where things are now: the open cycle, in the pressed message.
    now = await admin.expect(lambda m: m.message_id == ask.message_id and "Second" in m.plain)
    assert now.has_button("+1 week") and not now.has_button("Yes, close it")


async def test_open_cycle_is_the_only_one_and_services_refuse_focal_points(harness: BotHarness):
    await harness.enrol(2030, "TH", name="Alice")
    with harness.db.session() as session:
        from bot.services.actors import find_actor

        alice = find_actor(session, 2030)
        assert alice is not None
        from bot.services.errors import PermissionDenied

        with pytest.raises(PermissionDenied):
            cycles.draft_cycle(
                session,
                actor=alice,
                checklists=harness.runtime.checklists,
                title="Mine",
                deadline_day=date(2026, 12, 31),
                timezone=None,
                now=START,
            )
        with pytest.raises(PermissionDenied):
            cycles.move_deadline(
                session,
                actor=alice,
                checklists=harness.runtime.checklists,
                day=date(2026, 12, 31),
                timezone=None,
                now=START,
            )
        open_id = cycles.require_open_cycle(session, ASEAN_NORMS_ID).id
        with pytest.raises(PermissionDenied):
            cycles.close_cycle(
                session,
                actor=alice,
                checklists=harness.runtime.checklists,
                cycle_id=open_id,  # type: ignore[arg-type]
                now=START,
            )
