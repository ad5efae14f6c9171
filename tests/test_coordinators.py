"""Reports and people: /submit, /signoff, reopening by a change, /people, /revoke.

The stories run through the real bot. To keep them short, most of a checklist is filled in
directly in the database first (as if answered earlier); what the story is about goes through
the bot.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from bot.models import Answer, CountryReport, Cycle, Membership, Person
from bot.services import people, submission
from bot.services.actors import find_actor
from bot.services.enrolment import enrol_admin
from bot.services.errors import ConfiguredAdmin, PermissionDenied, UnknownPerson
from tests.harness import ADMIN_ID, BotHarness, is_prompt, item_id_of


def _open_cycle(session: Session) -> Cycle:
    cycle = session.exec(select(Cycle).where(col(Cycle.closed_at).is_(None))).one()
    return cycle


def fill_answers(
    harness: BotHarness, country: str, *, status: str = "implemented", leave: tuple[str, ...] = ()
) -> None:
    """Answer every item of the open cycle for `country` but `leave`, as if done earlier."""
    with harness.db.session() as session:
        cycle = _open_cycle(session)
        checklist = harness.runtime.checklists.get(cycle.checklist_id, cycle.checklist_version)
        author = session.exec(select(Person).where(Person.country_code == country)).first()
        for item in checklist.items:
            if item.id in leave:
                continue
            session.add(
                Answer(
                    cycle_id=cycle.id,  # type: ignore[arg-type]
                    country_code=country,
                    item_id=item.id,
                    status=status,
                    updated_by=author.id if author else None,
                    updated_at=harness.clock.now(),
                )
            )


def _report(harness: BotHarness, country: str) -> CountryReport | None:
    with harness.db.session() as session:
        cycle = _open_cycle(session)
        return session.exec(
            select(CountryReport).where(
                CountryReport.cycle_id == cycle.id, CountryReport.country_code == country
            )
        ).first()


def _person(harness: BotHarness, telegram_id: int) -> Person:
    with harness.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == telegram_id)).one()
        return person


# --------------------------------------------------------------------------- /submit


async def test_submit_lists_open_items_then_submits_and_tells_coordinators(harness: BotHarness):
    alice = await harness.enrol(3001, "TH", name="Alice")
    admin = await harness.admin()
    bob = await harness.enrol_coordinator(3002, name="Bob")

    await alice.command("submit")
    refused = await alice.expect("cannot be submitted yet")
    assert "48 items are still open" in refused.plain
    assert "Not answered: a.1, a.2, a.3" in refused.plain
    assert _report(harness, "TH") is None

    fill_answers(harness, "TH", leave=("a.1",))
    await alice.command("continue")
    item = await alice.expect(is_prompt)
    assert item_id_of(item) == "a.1"
    await alice.press_and_wait("Skip")  # knowingly skipped: submitting is allowed

    await admin.mark()
    await bob.mark()
    await alice.command("submit")
    done = await alice.expect("is submitted. Thank you!")
    assert "47 of 48 items answered, 1 skipped." in done.plain
    assert "national lead" not in done.plain  # Thailand has none
    report = _report(harness, "TH")
    assert report is not None
    assert report.submitted_at == harness.clock.now()
    assert report.submitted_by == _person(harness, 3001).id
    for coordinator in (admin, bob):
        told = await coordinator.expect("was submitted by Alice")
        assert "Thailand's report for “First reporting cycle”" in told.plain
        assert "/status TH" in told.plain

    await alice.command("submit")
    await alice.expect("was already submitted on")


async def test_a_change_after_submitting_reopens_the_report(harness: BotHarness):
    alice = await harness.enrol(3010, "TH", name="Alice")
    fill_answers(harness, "TH", status="planned")
    await alice.command("submit")
    await alice.expect("is submitted")
    harness.clock.advance(hours=2)

    await alice.command("continue")
    item = await alice.expect(is_prompt)
    assert item_id_of(item) == "a.1"  # the cursor did not move since enrolment
    changed = await alice.press_and_wait("Implemented")
    assert "this change reopened it. Send /submit again" in changed.plain
    report = _report(harness, "TH")
    assert report is not None
    assert report.submitted_at is None
    assert report.reopened_at == harness.clock.now()
    assert report.reopened_by == _person(harness, 3010).id
    again = await alice.press_and_wait("Implemented")  # a.2: already reopened, no second note
    assert "reopened" not in again.plain

    admin = await harness.admin()
    await admin.command("status", "TH")
    status = await admin.expect("Not submitted.")
    assert "Reopened by a change from Alice on" in status.plain

    await alice.command("submit")
    await alice.expect("is submitted")
    report = _report(harness, "TH")
    assert report is not None and report.submitted_at == harness.clock.now()
    assert report.reopened_at is not None  # the last reopening stays on record


async def test_coordinators_submit_nothing_and_get_a_clear_answer(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("submit")
    await admin.expect("Only focal points answer the checklist")


async def test_a_coordinator_who_blocked_the_bot_does_not_stop_a_submission(
    harness: BotHarness,
):
    alice = await harness.enrol(3020, "TH", name="Alice")
    admin = await harness.admin()
    bob = await harness.enrol_coordinator(3021, name="Bob")
    await bob.block()
    fill_answers(harness, "TH")
    await admin.mark()
    await alice.command("submit")
    await alice.expect("is submitted")
    await admin.expect("was submitted by Alice")
    await harness.sweep()  # after the sending run that told them, Bob's refusal recorded too
    assert _person(harness, 3021).unreachable_at == harness.clock.now()
    assert _person(harness, ADMIN_ID).unreachable_at is None

    await admin.command("people")
    listing = await admin.expect("People")
    bob_line = next(line for line in listing.plain.splitlines() if "Bob" in line)
    assert "blocked the bot" in bob_line


# --------------------------------------------------------------------------- /signoff


async def test_national_lead_signs_off_and_a_later_change_clears_it(harness: BotHarness):
    alice = await harness.enrol(3030, "TH", name="Alice")
    lena = await harness.enrol(3031, "TH", name="Lena", national_lead=True)
    admin = await harness.admin()

    await lena.command("signoff")
    await lena.expect("is not submitted yet. You can sign it off once")

    fill_answers(harness, "TH")
    await lena.mark()
    await alice.command("submit")
    done = await alice.expect("is submitted")
    assert "Your national lead can now sign it off with /signoff." in done.plain
    asked = await lena.expect("was submitted by Alice")
    assert "As national lead, check it and send /signoff" in asked.plain

    await alice.command("signoff")
    await alice.expect("Only your country's national lead can sign off the report.")
    await admin.command("signoff")
    await admin.expect("Only your country's national lead can sign off the report.")

    await admin.mark()
    await lena.command("signoff")
    await lena.expect("You signed off Thailand's report")
    told = await admin.expect("is final: signed off by Lena")
    assert "Thailand" in told.plain
    report = _report(harness, "TH")
    assert report is not None
    assert report.signed_off_at == harness.clock.now()
    assert report.signed_off_by == _person(harness, 3031).id
    await lena.command("signoff")
    await lena.expect("was already signed off on")

    await alice.command("continue")
    await alice.expect(is_prompt)
    await alice.press_and_wait("Planned")
    report = _report(harness, "TH")
    assert report is not None
    assert (report.submitted_at, report.signed_off_at, report.signed_off_by) == (None, None, None)


# --------------------------------------------------------------------------- /people


async def test_people_lists_each_country_with_activity_reachability_and_mutes(
    harness: BotHarness,
):
    await harness.enrol(3040, "TH", name="Alice")
    await harness.enrol(3041, "TH", name="<b>Eve</b> & co")
    await harness.enrol(3042, "VN", name="Vu", national_lead=True)
    with harness.db.session() as session:
        cycle = _open_cycle(session)
        held = session.exec(select(Person).where(Person.telegram_id == 3041)).one()
        muted = session.exec(select(Membership).where(Membership.person_id == held.id)).one()
        muted.muted_cycle_id = cycle.id
        session.add(muted)
    admin = await harness.admin()
    harness.clock.advance(days=1)

    await admin.command("people")
    listing = await admin.expect("People")
    text = listing.plain
    assert text.index("Regional coordinators") < text.index("Thailand") < text.index("Viet Nam")
    lines = text.splitlines()
    alice = next(line for line in lines if "Alice" in line)
    assert alice.startswith(f"  #{_person(harness, 3040).id} Alice")
    assert "focal point" in alice
    # Enrolled at 03:00 UTC: 10:00 in the admin's zone (Jakarta), with the offset.
    assert "last active Mar 2, 2026 10:00\u202fAM (UTC+07:00)" in alice
    assert "muted" not in alice and "blocked" not in alice
    eve = next(line for line in lines if "Eve" in line)
    assert "<b>Eve</b> & co" in eve  # shown as typed, not as markup
    assert "reminders muted" in eve
    vu = next(line for line in lines if "Vu" in line)
    assert "focal point, national lead" in vu
    assert "No focal point yet. Invite one: /invite BN" in text
    assert "Ada Admin" in text and "administrator" in text

    await admin.command("people", "vn")
    only = await admin.expect("People")
    assert "Viet Nam" in only.plain and "Thailand" not in only.plain
    await admin.command("people", "XX")
    await admin.expect("Unknown country code “XX”")


async def test_focal_points_see_only_their_own_countrys_people(harness: BotHarness):
    alice = await harness.enrol(3050, "TH", name="Alice")
    await harness.enrol(3051, "VN", name="Vu")
    await alice.command("people")
    listing = await alice.expect("People")
    assert "Alice" in listing.plain
    assert "Vu" not in listing.plain and "Viet Nam" not in listing.plain
    assert "Ada Admin" not in listing.plain
    assert "/revoke" not in listing.plain
    await alice.command("people", "VN")
    await alice.expect("You can only see your own country's report.")


# --------------------------------------------------------------------------- /revoke


async def test_revoke_asks_then_removes_access_and_keeps_the_answers(harness: BotHarness):
    alice = await harness.enrol(3060, "TH", name="Alice")
    await alice.press_and_wait("Implemented")
    alice_id = _person(harness, 3060).id
    admin = await harness.admin()

    await admin.command("revoke", f"#{alice_id}")
    ask = await admin.expect("Remove the access of")
    assert f"#{alice_id} Alice" in ask.plain and "Thailand" in ask.plain
    cancelled = await admin.press_and_wait("Cancel")
    assert "Nobody's access changed" in cancelled.plain
    assert _person(harness, 3060).active

    await admin.command("revoke", str(alice_id))
    await admin.expect("Remove the access of")
    done = await admin.press_and_wait("Yes, remove access")
    assert f"Access removed: #{alice_id} Alice" in done.plain
    assert not _person(harness, 3060).active

    await alice.command("continue")
    await alice.expect("To get access, ask your coordinator for an invite link")
    await alice.command("people")
    await alice.expect("To get access, ask your coordinator for an invite link")
    with harness.db.session() as session:
        kept = session.exec(select(Answer).where(Answer.item_id == "a.1")).one()
        assert (kept.status, kept.updated_by) == ("implemented", alice_id)
    await admin.command("people")
    listing = await admin.expect("People")
    assert "Alice" not in listing.plain

    # A second press of the same confirm button changes nothing more.
    answer = await admin.press(f"pp:rv:{alice_id}", message_id=done.message_id, force=True)
    assert answer is not None and "Already done" in (answer.text or "")


async def test_revoke_refuses_self_admins_unknown_people_and_focal_points(harness: BotHarness):
    admin = await harness.admin()
    admin_id = _person(harness, ADMIN_ID).id
    bob = await harness.enrol_coordinator(3070, name="Bob")
    carol = await harness.enrol_coordinator(3071, name="Carol")
    alice = await harness.enrol(3072, "TH", name="Alice")

    await admin.command("revoke", str(admin_id))
    await admin.expect("You cannot remove your own access.")
    await bob.command("revoke", str(admin_id))
    await bob.expect("Only administrators can do this.")
    await bob.command("revoke", str(_person(harness, 3071).id))
    await bob.expect("Only administrators can do this.")
    await alice.command("revoke", str(_person(harness, 3070).id))
    await alice.expect("Only coordinators can do this.")
    await admin.command("revoke", "99999")
    await admin.expect("There is nobody with number #99999.")
    await admin.command("revoke", "Alice")
    await admin.expect("Usage: /revoke NUMBER")
    for telegram_id in (ADMIN_ID, 3070, 3071, 3072):
        assert _person(harness, telegram_id).active

    # An administrator may remove a coordinator.
    await admin.command("revoke", str(_person(harness, 3071).id))
    await admin.expect("Remove the access of")
    await admin.press_and_wait("Yes, remove access")
    assert not _person(harness, 3071).active
    await carol.command("summary")
    await carol.expect("To get access")


async def test_an_admin_named_in_the_settings_cannot_be_revoked(harness: BotHarness):
    await harness.admin()
    with harness.db.session() as session:
        other = enrol_admin(
            session,
            telegram_id=3080,
            display_name="Second Admin",
            username=None,
            language_code="en",
            now=harness.clock.now(),
        )
    with harness.db.session() as session:
        actor = find_actor(session, ADMIN_ID)
        assert actor is not None
        with pytest.raises(PermissionDenied) as refused:
            people.revoke(
                session,
                actor=actor,
                person_id=other.person_id,
                config_admins=[3080],
                now=harness.clock.now(),
            )
        assert isinstance(refused.value, ConfiguredAdmin)
        row = people.revoke(
            session,
            actor=actor,
            person_id=other.person_id,
            config_admins=[],
            now=harness.clock.now(),
        )
        assert row.person.display_name == "Second Admin"
    with harness.db.session() as session, pytest.raises(UnknownPerson):
        people.revoke_preview(
            session,
            actor=actor,
            person_id=other.person_id,
            config_admins=[],
            now=harness.clock.now(),
        )


# --------------------------------------------------------------------------- services


async def test_submission_services_refuse_the_wrong_people(harness: BotHarness):
    await harness.enrol(3090, "TH", name="Alice")
    await harness.admin()
    with harness.db.session() as session:
        admin = find_actor(session, ADMIN_ID)
        alice = find_actor(session, 3090)
        assert admin is not None and alice is not None
        checklists = harness.runtime.checklists
        now = harness.clock.now()
        with pytest.raises(PermissionDenied):
            submission.submit_report(session, actor=admin, checklists=checklists, now=now)
        with pytest.raises(PermissionDenied):
            submission.sign_off(session, actor=alice, checklists=checklists, now=now)
        with pytest.raises(PermissionDenied):
            people.revoke_preview(
                session, actor=alice, person_id=admin.person_id, config_admins=[], now=now
            )
        with pytest.raises(PermissionDenied):
            people.list_people(session, actor=alice, country_code="VN", now=now)


async def test_reopening_touches_only_a_submitted_report(harness: BotHarness):
    await harness.enrol(3100, "TH", name="Alice")
    with harness.db.session() as session:
        cycle = _open_cycle(session)
        assert cycle.id is not None
        now = harness.clock.now()
        assert not submission.reopen_after_change(
            session, cycle_id=cycle.id, country_code="TH", person_id=1, now=now
        )
        session.add(CountryReport(cycle_id=cycle.id, country_code="TH", submitted_at=now))
        session.add(CountryReport(cycle_id=cycle.id, country_code="VN", submitted_at=now))
        session.flush()
        later = now + timedelta(hours=1)
        assert submission.reopen_after_change(
            session, cycle_id=cycle.id, country_code="TH", person_id=1, now=later
        )
        assert not submission.reopen_after_change(
            session, cycle_id=cycle.id, country_code="TH", person_id=1, now=later
        )
        assert submission.is_submitted(session, cycle.id, "VN")
        assert not submission.is_submitted(session, cycle.id, "TH")
