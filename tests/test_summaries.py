"""Summaries on command: /summary, /status, /compare, for coordinators and for focal points."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from bot.models import Country, Cycle
from bot.services import summaries
from bot.services.actors import find_actor
from bot.services.cycles import DaysLeft, end_of_day
from bot.services.errors import PermissionDenied, UnknownCountry
from bot.views.common import MAX_MESSAGE
from fakegram import FakeUser
from tests.harness import ADMIN_ID, BotHarness, is_prompt
from tests.test_coordinators import fill_answers


async def _reply(user: FakeUser, last: str) -> str:
    """The whole answer to the user's last command, however many messages it was split into."""
    await user.expect(last)
    parts = [m for m in await user.messages() if m.seq > user.action_seq]
    assert all(len(part.plain) <= MAX_MESSAGE for part in parts)
    return "\n".join(part.plain for part in parts)


def _line(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


async def _thailand_answers_three(harness: BotHarness):
    """Alice (TH) answers a.1 and a.2 implemented, a.3 not applicable."""
    alice = await harness.enrol(4001, "TH", name="Alice")
    await alice.press_and_wait("Implemented")
    await alice.press_and_wait("Implemented")
    await alice.press_and_wait("Not applicable")
    return alice


# --------------------------------------------------------------------------- /summary


async def test_summary_puts_countries_behind_first(harness: BotHarness):
    await _thailand_answers_three(harness)
    vu = await harness.enrol(4002, "VN", name="Vu")
    fill_answers(harness, "VN")
    await vu.command("submit")
    await vu.expect("is submitted")
    harness.clock.advance(hours=2)

    admin = await harness.admin()
    await admin.command("summary")
    shown = await admin.expect("Reports submitted")
    text = shown.plain
    assert "First reporting cycle" in text
    assert "90 days left" in text  # opened today 10:00 Jakarta with a 90-day deadline
    assert "Reports submitted: 1 of 11 · signed off: 0" in text
    thailand = _line(text, "Thailand")
    assert "3/48 answered" in thailand
    assert "4% implemented" in thailand  # 2 of the 47 items that apply
    assert "not submitted" in thailand
    assert "active 2 hours ago" in thailand
    vietnam = _line(text, "Viet Nam")
    assert vietnam.startswith("📨")
    assert "48/48 answered · 100% implemented · submitted" in vietnam
    brunei = _line(text, "Brunei")
    assert brunei.startswith("⚪") and "no focal point" in brunei
    assert text.index("Brunei") < text.index("Thailand") < text.index("Viet Nam")


async def test_focal_points_get_a_summary_of_their_own_country_only(harness: BotHarness):
    alice = await _thailand_answers_three(harness)
    await harness.enrol(4003, "VN", name="Vu")
    await alice.command("summary")
    shown = await alice.expect("First reporting cycle")
    assert "Thailand" in shown.plain and "3/48 answered" in shown.plain
    for other in ("Viet Nam", "Brunei", "Reports submitted", "across the region"):
        assert other not in shown.plain


async def test_a_long_summary_is_split_within_telegrams_limit(harness: BotHarness):
    with harness.db.session() as session:
        for n in range(182):  # 193 countries in all, as in the benchmark
            session.add(
                Country(code=f"Z{n:03d}", name=f"Land {n}", timezone="Asia/Jakarta", locales="en")
            )
    admin = await harness.admin()
    await admin.command("summary")
    await admin.expect("Countries behind come first")
    parts = [m for m in await admin.messages() if m.seq > admin.action_seq]
    assert len(parts) >= 2
    assert all(len(part.plain) <= MAX_MESSAGE for part in parts)
    joined = "\n".join(part.plain for part in parts)
    assert sum(1 for line in joined.splitlines() if "/48 answered" in line) == 193


# --------------------------------------------------------------------------- /status


async def test_status_shows_norms_open_items_and_recent_changes(harness: BotHarness):
    await _thailand_answers_three(harness)
    admin = await harness.admin()
    await admin.command("status", "th")
    text = await _reply(admin, "Recent changes")
    assert text.startswith("📋 Thailand · First reporting cycle")
    assert "3 of 48 items answered." in text
    assert "✅ 2 · ➖ 1" in text
    assert "Not submitted." in text
    norm_a = _line(text, "Cooperate for stability")
    assert norm_a.startswith("a Cooperate for stability: 3/4")
    assert "✅ 2 ➖ 1 ▫️ 1" in norm_a
    assert "Still open (45)" in text
    assert "▫️ a.4 " in text
    assert "… and 15 more." in text
    recent = text[text.index("Recent changes") :]
    assert "Alice · a.3 Open → Not applicable" in recent
    assert recent.index("a.3") < recent.index("a.1")  # newest first


async def test_status_without_a_country_offers_buttons_to_coordinators(harness: BotHarness):
    await _thailand_answers_three(harness)
    admin = await harness.admin()
    await admin.command("status")
    choice = await admin.expect("Which country?")
    assert len(choice.buttons()) == 11
    await admin.press("Thailand")
    shown = await admin.expect("Recent changes")
    assert shown.plain.startswith("📋 Thailand")


async def test_focal_points_see_the_status_of_their_own_country_only(harness: BotHarness):
    alice = await _thailand_answers_three(harness)
    await alice.command("status")
    shown = await alice.expect("Recent changes")
    assert shown.plain.startswith("📋 Thailand")
    await alice.command("status", "VN")
    await alice.expect("You can only see your own country's report.")
    await alice.command("status", "TH")
    await alice.expect("📋 Thailand")
    admin = await harness.admin()
    await admin.command("status", "QQ")
    await admin.expect("Unknown country code “QQ”")


# --------------------------------------------------------------------------- /compare


async def test_compare_needs_a_previous_cycle(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("compare")
    await admin.expect("There is no earlier cycle to compare this one with yet.")


async def test_compare_shows_changes_per_country_and_norm(harness: BotHarness):
    alice = await _thailand_answers_three(harness)
    fill_answers(harness, "VN")
    await harness.open_cycle("2026-12-31", "Second", "cycle", "baseline")
    await alice.command("continue")
    await alice.expect(is_prompt)
    await alice.press_and_wait("Implemented")  # a.1 confirmed
    await alice.press_and_wait("Planned")  # a.2 changed

    admin = await harness.admin()
    await admin.command("compare")
    shown = await admin.expect("compared with")
    text = shown.plain
    assert "Second cycle compared with First reporting cycle" in text
    thailand = text[text.index("Thailand") : text.index("Viet Nam")]
    # a.3 is a copy nobody confirmed yet: not answered in this cycle (docs/coordinators.md).
    assert thailand.splitlines()[0] == "Thailand: ✅ 2 → 1 · answered 3 → 2"
    assert "1 answer from the last cycle not yet confirmed" in thailand  # a.3
    assert "a Cooperate for stability: ✅ 2 → 1" in thailand
    assert "a.2: ✅ Implemented → 🗓 Planned" in thailand
    assert "a.1:" not in thailand  # confirmed unchanged: not a change
    vietnam = text[text.index("Viet Nam") :].split("\n\n")[0]
    assert vietnam.splitlines()[0] == "Viet Nam: ✅ 48 → 0 · answered 48 → 0"
    assert "48 answers from the last cycle not yet confirmed" in vietnam
    assert "No changes." in vietnam
    assert "Brunei" in text

    await alice.command("compare")
    own = await alice.expect("compared with")
    assert "Thailand" in own.plain and "Viet Nam" not in own.plain


# --------------------------------------------------------------------------- the services


async def test_regional_summary_counts_copies_as_to_confirm_not_as_answered(
    harness: BotHarness,
):
    await _thailand_answers_three(harness)
    harness.clock.advance(days=10)
    await harness.open_cycle("2026-12-31", "Second", "cycle", "baseline")
    with harness.db.session() as session:
        admin = find_actor(session, ADMIN_ID)
        assert admin is not None
        result = summaries.regional_summary(
            session, actor=admin, checklists=harness.runtime.checklists, now=harness.clock.now()
        )
    assert result.cycle_title == "Second cycle"
    row = next(row for row in result.countries if row.country_code == "TH")
    assert (row.answered, row.to_confirm, row.implemented, row.not_applicable) == (0, 3, 0, 0)
    assert row.last_activity is None  # the copies keep last cycle's times
    assert row.total == 48 and not row.submitted
    assert [r.country_code for r in result.countries][:2] == ["BN", "ID"]


async def test_days_to_the_deadline_are_counted_in_each_countrys_zone(harness: BotHarness):
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle).where(col(Cycle.closed_at).is_(None))).one()
        cycle.deadline = end_of_day(date(2026, 3, 31), "Asia/Jakarta")  # 16:59:59 UTC
        session.add(cycle)
    await harness.admin()
    now = datetime(2026, 3, 30, 17, 15, tzinfo=UTC)
    with harness.db.session() as session:
        admin = find_actor(session, ADMIN_ID)
        assert admin is not None
        result = summaries.regional_summary(
            session,
            actor=admin,
            checklists=harness.runtime.checklists,
            now=now,
            timezone="Asia/Jakarta",
        )
    by_code = {row.country_code: row.days_left for row in result.countries}
    assert result.days_left == DaysLeft(0, False)  # 00:15 on the 31st in Jakarta
    assert by_code["TH"] == DaysLeft(0, False)
    assert by_code["MM"] == DaysLeft(1, False)  # 23:45 on the 30th in Yangon
    assert by_code["TL"] == DaysLeft(1, False)  # 02:15 on the 31st; deadline 01:59 on 1 April


async def test_summary_services_refuse_other_countries_and_name_unknown_ones(
    harness: BotHarness,
):
    await harness.enrol(4010, "TH", name="Alice")
    await harness.admin()
    with harness.db.session() as session:
        alice = find_actor(session, 4010)
        admin = find_actor(session, ADMIN_ID)
        assert alice is not None and admin is not None
        checklists, now = harness.runtime.checklists, harness.clock.now()
        with pytest.raises(PermissionDenied):
            summaries.country_status(
                session, actor=alice, checklists=checklists, country_code="VN", now=now
            )
        with pytest.raises(UnknownCountry):
            summaries.country_status(
                session, actor=admin, checklists=checklists, country_code="XX", now=now
            )
        with pytest.raises(UnknownCountry):
            summaries.country_status(
                session, actor=admin, checklists=checklists, country_code=None, now=now
            )
        own = summaries.regional_summary(session, actor=alice, checklists=checklists, now=now)
        assert [row.country_code for row in own.countries] == ["TH"]
        assert own.scope == "TH"
        compared = summaries.compare_cycles(session, actor=alice, checklists=checklists, now=now)
        assert compared.previous_title is None and compared.countries == []
        status = summaries.country_status(
            session, actor=alice, checklists=checklists, country_code=None, now=now
        )
        assert status.country_code == "TH" and status.focal_points == 1
