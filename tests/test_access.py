"""Who may do what: every coordinator command tried by a stranger, a focal point and a
coordinator, through the real bot; and the services refusing the wrong actor directly.

Strangers (never enrolled, or revoked) learn only how to get access. Focal points are refused,
or see their own country only. Coordinators see every country.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from bot.models import (
    Answer,
    AnswerRevision,
    CountryReport,
    Cursor,
    Cycle,
    CycleDraft,
    Invite,
    Membership,
    Person,
    Role,
)
from bot.services import cycles, enrolment, people, submission, summaries
from bot.services.actors import Actor, find_actor, person_of
from bot.services.errors import NotEnrolled, PermissionDenied, UnknownRole
from bot.telegram.handlers.invites import InviteRequest, parse_invite_args
from fakegram import FakeGroup, FakeUser
from tests.harness import ADMIN_ID, BOT_USERNAME, INVITE_LINK, BotHarness, make_settings
from tests.test_coordinators import fill_answers

STRANGER = (
    "🔒 This bot is for the national focal points and coordinators of the ASEAN norms "
    "checklist. To get access, ask your coordinator for an invite link and open it."
)
COORDINATORS_ONLY = "Only coordinators can do this."
OWN_COUNTRY_ONLY = "You can only see your own country's report."


def _id(value: object) -> int:
    """A database id, narrowed for the type checker."""
    assert isinstance(value, int)
    return value


@dataclass(frozen=True)
class Expect:
    """Texts a reply must contain, and texts it must not (`{vu}`, `{invite}`: filled in)."""

    needles: tuple[str, ...]
    without: tuple[str, ...] = ()

    def met(self, text: str, values: dict[str, object]) -> bool:
        return all(n.format(**values) in text for n in self.needles) and not any(
            w.format(**values) in text for w in self.without
        )


def has(*needles: str, without: tuple[str, ...] = ()) -> Expect:
    return Expect(needles, without)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    focal_point: Expect
    coordinator: Expect


CASES: dict[str, Case] = {
    "summary": Case(
        ("summary",),
        has("Thailand", without=("Viet Nam", "Reports submitted")),
        has("Thailand", "Viet Nam", "Reports submitted"),
    ),
    "status": Case(
        ("status",),
        has("📋 Thailand", "Recent changes"),
        has("Which country?"),
    ),
    "status_other": Case(
        ("status", "VN"),
        has(OWN_COUNTRY_ONLY, without=("Viet Nam",)),
        has("📋 Viet Nam", "Recent changes"),
    ),
    "compare": Case(
        ("compare",),
        has("compared with", "Thailand", without=("Viet Nam",)),
        has("compared with", "Thailand", "Viet Nam"),
    ),
    "cycle": Case(
        ("cycle",),
        has("Second cycle", "Thailand's report is not submitted yet", without=("Reports",)),
        has("Second cycle", "Reports submitted"),
    ),
    "newcycle": Case(
        ("newcycle", "2026-12-31", "Third", "cycle"),
        has(COORDINATORS_ONLY),
        has("New reporting cycle", "Title: Third cycle"),
    ),
    "deadline": Case(
        ("deadline", "2026-12-31"),
        has(COORDINATORS_ONLY),
        has("The deadline of “Second cycle” is now"),
    ),
    "closecycle": Case(
        ("closecycle",),
        has(COORDINATORS_ONLY),
        has("Close “Second cycle”?"),
    ),
    "people": Case(
        ("people",),
        has("Alice", without=("Vu", "Bob", "Viet Nam", "/revoke")),
        has("Alice", "Vu", "Bob", "/revoke"),
    ),
    "people_other": Case(
        ("people", "VN"),
        has(OWN_COUNTRY_ONLY, without=("Vu",)),
        has("Vu", without=("Alice",)),
    ),
    "revoke": Case(
        ("revoke", "{vu}"),
        has(COORDINATORS_ONLY, without=("Vu",)),
        has("Remove the access of", "Vu"),
    ),
    "invite": Case(
        ("invite", "TH"),
        has(COORDINATORS_ONLY, without=("t.me",)),
        has("Invite for a focal point of Thailand", "t.me/"),
    ),
    "invites": Case(
        ("invites",),
        has(COORDINATORS_ONLY, without=("#",)),
        has("Open invites", "#{invite} · MY"),
    ),
    "cancelinvite": Case(
        ("cancelinvite", "{invite}"),
        has(COORDINATORS_ONLY),
        has("Invite #{invite} cancelled."),
    ),
    "needs": Case(
        ("needs",),
        has("Support needs", "Thailand", without=("Viet Nam",)),
        has("Support needs", "No country has asked for support yet."),
    ),
    "needs_other": Case(
        ("needs", "VN"),
        has(OWN_COUNTRY_ONLY, without=("Support needs",)),
        has("Support needs", "Viet Nam"),
    ),
    "submit": Case(
        ("submit",),
        has("cannot be submitted yet"),
        has("Only focal points answer the checklist"),
    ),
    "signoff": Case(
        ("signoff",),
        has("Only your country's national lead can sign off"),
        has("Only your country's national lead can sign off"),
    ),
}


async def _reply(user: FakeUser, args: tuple[str, ...], done: Callable[[str], bool]) -> str:
    """Send a command; return its whole reply (all parts) once `done` holds, or on timeout."""
    await user.command(*args)
    await user.expect(lambda m: True)
    text = ""
    for _ in range(20):
        parts = [m for m in await user.messages() if m.seq > user.action_seq]
        text = "\n".join(m.plain for m in sorted(parts, key=lambda m: m.message_id))
        if done(text) or not await user.wait_for_change(timeout=user.timeout):
            break
    return text


async def _region(harness: BotHarness) -> dict[str, object]:
    """Alice (TH) and Vu (VN) report, Bob coordinates; a second cycle is open; one invite."""
    alice = await harness.enrol(5001, "TH", name="Alice")
    await harness.enrol(5002, "VN", name="Vu")
    bob = await harness.enrol_coordinator(5003, name="Bob")
    sam = await harness.user(5004, "Sam")  # never enrolled
    fill_answers(harness, "VN")
    now = harness.clock.now()
    admin = harness.actor(ADMIN_ID)
    with harness.db.session() as session:
        draft = cycles.draft_cycle(
            session,
            actor=admin,
            checklists=harness.runtime.checklists,
            title="Second cycle",
            deadline_day=date(2026, 11, 30),
            timezone="Asia/Jakarta",
            now=now,
            baseline=True,
        )
        cycles.open_drafted_cycle(
            session,
            actor=admin,
            checklists=harness.runtime.checklists,
            draft_id=draft.draft_id,
            now=now,
        )
        invite = enrolment.create_invite(
            session, actor=admin, country_code="MY", role=Role.FOCAL_POINT, now=now, ttl_days=7
        )
        vu = session.exec(select(Person).where(Person.telegram_id == 5002)).one()
    await alice.mark()
    return {"alice": alice, "bob": bob, "sam": sam, "vu": vu.id, "invite": invite.invite_id}


@pytest.mark.parametrize("name", list(CASES))
async def test_each_command_for_stranger_focal_point_and_coordinator(
    harness: BotHarness, name: str
):
    region = await _region(harness)
    case = CASES[name]
    args = tuple(arg.format(**region) for arg in case.args)

    stranger = await _reply(region["sam"], args, bool)  # type: ignore[arg-type]
    assert stranger == STRANGER, f"/{name} told a stranger: {stranger!r}"

    focal = await _reply(
        region["alice"],  # type: ignore[arg-type]
        args,
        lambda text: case.focal_point.met(text, region),
    )
    assert case.focal_point.met(focal, region), f"/{name} to a focal point: {focal!r}"

    coordinator = await _reply(
        region["bob"],  # type: ignore[arg-type]
        args,
        lambda text: case.coordinator.met(text, region),
    )
    assert case.coordinator.met(coordinator, region), f"/{name} to a coordinator: {coordinator!r}"


async def test_a_revoked_coordinator_is_a_stranger_to_every_command(harness: BotHarness):
    region = await _region(harness)
    bob: FakeUser = region["bob"]  # type: ignore[assignment]
    admin = harness.actor(ADMIN_ID)
    with harness.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == 5003)).one()
        people.revoke(
            session,
            actor=admin,
            person_id=_id(person.id),
            config_admins=[],
            now=harness.clock.now(),
        )
    for name, case in CASES.items():
        args = tuple(arg.format(**region) for arg in case.args)
        reply = await _reply(bob, args, bool)
        assert reply == STRANGER, f"/{name} told a revoked coordinator: {reply!r}"


# --------------------------------------------------------------------------- the services


def _actors(harness: BotHarness) -> tuple[Actor, Actor]:
    return harness.actor(5001), harness.actor(5003)


async def test_services_refuse_focal_points_what_only_coordinators_may_do(harness: BotHarness):
    region = await _region(harness)
    alice, bob = _actors(harness)
    checklists, now = harness.runtime.checklists, harness.clock.now()
    coordinator_only: list[Callable[..., object]] = [
        lambda s: cycles.draft_cycle(
            s,
            actor=alice,
            checklists=checklists,
            title="x",
            deadline_day=date(2026, 12, 1),
            timezone=None,
            now=now,
        ),
        lambda s: cycles.move_deadline(
            s, actor=alice, checklists=checklists, day=date(2026, 12, 1), timezone=None, now=now
        ),
        lambda s: cycles.extend_deadline(
            s, actor=alice, checklists=checklists, cycle_id=2, days=7, now=now
        ),
        lambda s: cycles.close_preview(s, actor=alice, checklists=checklists, now=now),
        lambda s: cycles.close_cycle(s, actor=alice, checklists=checklists, cycle_id=2, now=now),
        lambda s: people.revoke(
            s, actor=alice, person_id=_id(region["vu"]), config_admins=[], now=now
        ),
        lambda s: enrolment.list_open_invites(s, actor=alice, now=now),
        lambda s: enrolment.cancel_invite(s, actor=alice, invite_id=_id(region["invite"]), now=now),
        lambda s: summaries.country_status(
            s, actor=alice, checklists=checklists, country_code="VN", now=now
        ),
        lambda s: people.list_people(s, actor=alice, country_code="VN", now=now),
        lambda s: submission.submit_report(s, actor=bob, checklists=checklists, now=now),
        lambda s: submission.sign_off(s, actor=bob, checklists=checklists, now=now),
    ]
    for call in coordinator_only:
        with harness.db.session() as session, pytest.raises(PermissionDenied):
            call(session)
    # What focal points may ask is cut to their own country.
    with harness.db.session() as session:
        summary = summaries.regional_summary(session, actor=alice, checklists=checklists, now=now)
        assert [row.country_code for row in summary.countries] == ["TH"]
        compared = summaries.compare_cycles(session, actor=alice, checklists=checklists, now=now)
        assert [c.country_code for c in compared.countries] == ["TH"]
        listed = people.list_people(session, actor=alice, country_code=None, now=now)
        assert [g.country_code for g in listed.groups] == ["TH"]
        overview = cycles.cycle_overview(session, actor=alice, checklists=checklists, now=now)
        assert not overview.can_manage


async def test_a_revoked_person_is_not_an_actor_any_more(harness: BotHarness):
    region = await _region(harness)
    alice: FakeUser = region["alice"]  # type: ignore[assignment]
    admin = harness.actor(ADMIN_ID)
    before = harness.actor(5001)  # as a service call already under way holds her
    with harness.db.session() as session:
        people.revoke(
            session,
            actor=admin,
            person_id=before.person_id,
            config_admins=[],
            now=harness.clock.now(),
        )
    with harness.db.session() as session:
        assert find_actor(session, 5001) is None
        with pytest.raises(NotEnrolled):
            person_of(session, before)
    await alice.command("progress")
    await alice.expect("This bot is for the national focal points")


# --------------------------------------------------------------------------- revoked stays out


def _person_row(harness: BotHarness, telegram_id: int) -> Person:
    with harness.db.session() as session:
        return session.exec(select(Person).where(Person.telegram_id == telegram_id)).one()


async def _revoke_by_button(harness: BotHarness, person_id: int) -> None:
    admin = await harness.admin()
    await admin.command("revoke", str(person_id))
    await admin.expect("Remove the access of")
    await admin.press_and_wait("Yes, remove access")


async def test_a_revoked_person_cannot_come_back_with_an_old_invite(harness: BotHarness):
    """Bob made an invite before losing access, the admin made one for him: neither helps."""
    bob = await harness.enrol_coordinator(5101, name="Bob")
    await bob.command("invite", "TH", "lead")
    own = INVITE_LINK.search((await bob.expect("Invite for")).plain)
    assert own is not None
    for_him = await harness.invite_code("TH", "lead")
    bob_id = _id(_person_row(harness, 5101).id)

    await _revoke_by_button(harness, bob_id)
    revoked = _person_row(harness, 5101)
    assert (revoked.active, revoked.is_admin, harness.role(5101)[1]) == (False, False, False)
    with harness.db.session() as session:
        made = session.exec(select(Invite).where(Invite.created_by == bob_id)).one()
        assert made.cancelled_at is not None, "revoking cancels the invites the person made"

    await bob.command("start", own.group(1))
    await bob.expect("This invite was cancelled.")
    await bob.command("start", for_him)
    refused = await bob.expect("Your access was removed")
    assert "re-admit" in refused.plain
    assert not _person_row(harness, 5101).active
    with harness.db.session() as session:
        kept = session.exec(
            select(Invite).where(Invite.code_hash == enrolment.hash_code(for_him))
        ).one()
        assert kept.used_at is None, "the refusal used no invite"
    await bob.command("summary")
    await bob.expect("To get access")


async def test_readmit_restores_country_and_role_once_and_never_admin(harness: BotHarness):
    alice = await harness.enrol(5111, "TH", name="Alice", national_lead=True)
    alice_id = _id(_person_row(harness, 5111).id)
    admin = await harness.admin()

    # Revoke: a second tap on the same confirm button does nothing and says so.
    await admin.command("revoke", str(alice_id))
    await admin.expect("Remove the access of")
    done = await admin.press_and_wait("Yes, remove access")
    assert "/readmit" in done.plain
    before = len(await admin.messages())
    again = await admin.press(f"pp:rv:{alice_id}", message_id=done.message_id, force=True)
    assert again is not None and "Already done" in (again.text or "")
    assert len(await admin.messages()) == before

    # A coordinator who is not an admin may re-admit a focal point, not a coordinator.
    bob = await harness.enrol_coordinator(5112, name="Bob")
    carol = await harness.enrol_coordinator(5113, name="Carol")
    await _revoke_by_button(harness, _id(_person_row(harness, 5113).id))
    await bob.command("readmit", str(_person_row(harness, 5113).id))
    await bob.expect("Only administrators can do this.")
    await bob.command("readmit", "x")
    await bob.expect("Usage: /readmit NUMBER")

    await bob.command("readmit", str(alice_id))
    await bob.expect("Give #")
    restored = await bob.press_and_wait("Yes, re-admit")
    assert f"Access restored: #{alice_id} Alice" in restored.plain
    back = _person_row(harness, 5111)
    assert (back.active, back.country_code) == (True, "TH")
    assert harness.role(5111) == (Role.FOCAL_POINT, False)
    assert not back.is_admin
    for _ in range(50):  # the menu is set right after the confirmation is shown
        if ("chat:5111", "") in await harness.tg.commands():
            break
        await asyncio.sleep(0.05)
    assert ("chat:5111", "") in await harness.tg.commands(), "their menu is back"
    # The second tap: already done, nothing sent, nothing changed.
    count = len(await bob.messages())
    again = await bob.press(f"pp:ra:{alice_id}", message_id=restored.message_id, force=True)
    assert again is not None and "Already done" in (again.text or "")
    assert len(await bob.messages()) == count
    await bob.command("readmit", str(alice_id))
    await bob.expect("Already done")

    await alice.command("progress")
    await alice.expect("items answered")
    await carol.command("summary")
    await carol.expect("To get access")


async def test_removing_an_admin_from_the_settings_demotes_them_at_restart(
    harness: BotHarness,
):
    second = 900002
    await harness.admin()
    harness.settings = make_settings(harness.api, harness.db, admins=[ADMIN_ID, second])
    await harness.restart()
    dora = await harness.user(second, "Dora")
    await dora.command("start")
    await dora.expect("Choose your language")
    await dora.press_and_wait("English")
    await dora.command("invite", "coordinator")
    await dora.expect("Invite for")
    assert _person_row(harness, second).is_admin

    harness.settings = make_settings(harness.api, harness.db, admins=[ADMIN_ID])
    await harness.restart()
    demoted = _person_row(harness, second)
    assert (demoted.active, harness.role(second)[0], demoted.is_admin) == (
        True,
        Role.COORDINATOR,
        False,
    )
    await dora.command("invite", "coordinator")
    await dora.expect("Only administrators can do this.")
    await dora.command("invite", "TH")
    await dora.expect("Invite for a focal point of Thailand")
    assert _person_row(harness, ADMIN_ID).is_admin, "a listed admin keeps the rights"


# --------------------------------------------------------------------------- private chats only


GROUP_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("start",),
    ("help",),
    ("summary",),
    ("status",),
    ("status", "TH"),
    ("compare",),
    ("cycle",),
    ("people",),
    ("invite", "TH"),
    ("invites",),
    ("cancelinvite", "1"),
    ("revoke", "2"),
    ("readmit", "2"),
    ("newcycle", "2026-12-31", "Third"),
    ("deadline", "2026-12-31"),
    ("closecycle",),
    ("remind", "TH"),
    ("reminders",),
    ("digest",),
    ("chart",),
    ("needs",),
    ("export",),
    ("language",),
    ("continue",),
    ("review",),
    ("progress",),
    ("submit",),
    ("signoff",),
    ("nonsense",),
)
PRIVATE_ONLY = "This bot works in private chats only"


async def _left_with_one_note(harness: BotHarness, group: FakeGroup) -> list[str]:
    """Wait until the bot left `group`; return what it wrote there."""
    for _ in range(50):
        if await group.bot_status() == "left":
            break
        await group.wait_for_bot(0, timeout=0.1)
    assert await group.bot_status() == "left", f"the bot stayed in {group}"
    return [m.plain for m in await group.messages()]


async def test_every_command_in_a_group_makes_the_bot_leave_and_show_nothing(
    harness: BotHarness,
):
    admin = await harness.admin()
    alice = await harness.enrol(5121, "TH", name="Alice", national_lead=True)
    fill_answers(harness, "TH")
    private_before = {u.id: len(await u.messages()) for u in (admin, alice)}
    for number, args in enumerate(GROUP_COMMANDS):
        for user in (admin, alice):
            chat_id = -1000 - 2 * number - (user is alice)
            group = await harness.tg.group(
                chat_id,
                "Ministry staff",
                type="supergroup",
                members=(admin, alice),
                bot_status="member",
            )
            await user.command(*args, chat_id=chat_id)
            written = await _left_with_one_note(harness, group)
            assert len(written) == 1 and PRIVATE_ONLY in written[0], (args, written)
            assert f"t.me/{BOT_USERNAME}" in written[0]
    left = {call["chat_id"] for call in await harness.tg.calls("leaveChat")}
    assert len(left) == 2 * len(GROUP_COMMANDS)
    for user in (admin, alice):
        assert len(await user.messages()) == private_before[user.id], "nothing went private"
    with harness.db.session() as session:
        assert len(session.exec(select(Invite)).all()) == 1, "no invite was made in a group"


async def test_the_bot_added_to_a_group_or_channel_leaves(harness: BotHarness):
    admin = await harness.admin()
    for chat_id, kind in ((-201, "group"), (-202, "supergroup")):
        group = await harness.tg.group(chat_id, "Staff", type=kind, members=(admin,))
        await group.add_bot(admin)
        written = await _left_with_one_note(harness, group)
        assert len(written) == 1 and PRIVATE_ONLY in written[0]

    # A channel where the bot may not post: it leaves without a word.
    silent = await harness.tg.group(-1003, "News", type="channel", members=(admin,))
    await silent.add_bot(admin)
    assert await _left_with_one_note(harness, silent) == []
    # A channel where it may post (made an administrator): the note, then it leaves.
    channel = await harness.tg.group(-1004, "News", type="channel", members=(admin,))
    await channel.add_bot(admin, status="administrator")
    written = await _left_with_one_note(harness, channel)
    assert len(written) == 1 and PRIVATE_ONLY in written[0]
    # A channel post in a channel it was already in.
    posting = await harness.tg.group(
        -1005, "News", type="channel", members=(admin,), bot_status="administrator"
    )
    await posting.post("Hello, everybody")
    assert len(await _left_with_one_note(harness, posting)) == 1


async def test_a_button_pressed_in_a_group_is_refused_and_the_bot_leaves(harness: BotHarness):
    """A keyboard an older version left in a group: pressing it changes nothing."""
    admin = await harness.admin()
    alice = await harness.enrol(5131, "TH", name="Alice")
    alice_id = _id(_person_row(harness, 5131).id)
    group = await harness.tg.group(
        -301, "Staff", type="group", members=(admin,), bot_status="member"
    )
    old = harness.api.state.new_message(
        group.id, from_bot=True, kind="text", text="old keyboard", raw="old keyboard"
    )
    answer = await admin.press(
        f"pp:rv:{alice_id}", message_id=old.message_id, force=True, chat_id=group.id
    )
    assert answer is not None and answer.show_alert and PRIVATE_ONLY in (answer.text or "")
    assert await _left_with_one_note(harness, group) == ["old keyboard"]
    assert _person_row(harness, 5131).active
    await alice.mark()


# --------------------------------------------------------------------------- forged buttons


def _snapshot(harness: BotHarness) -> dict[str, list[tuple[object, ...]]]:
    """Everything a button could change (but "last active" of the people still in)."""
    with harness.db.session() as session:
        return {
            "people": [
                (
                    p.id,
                    p.active,
                    p.is_admin,
                    p.locale,
                    p.country_code,
                    p.snoozed_until,
                    p.digest_enabled,
                )
                for p in session.exec(select(Person).order_by(col(Person.id))).all()
            ],
            "roles": [
                (m.person_id, m.checklist_id, m.role, m.is_national_lead, m.muted_cycle_id)
                for m in session.exec(select(Membership).order_by(col(Membership.id))).all()
            ],
            "answers": [
                (a.id, a.status, a.skipped, a.comment, a.version)
                for a in session.exec(select(Answer).order_by(col(Answer.id))).all()
            ],
            "revisions": [(r.id,) for r in session.exec(select(AnswerRevision)).all()],
            "cycles": [
                (c.id, c.deadline, c.closed_at)
                for c in session.exec(select(Cycle).order_by(col(Cycle.id))).all()
            ],
            "drafts": [(d.id, d.used_at) for d in session.exec(select(CycleDraft)).all()],
            "reports": [
                (r.id, r.submitted_at, r.signed_off_at)
                for r in session.exec(select(CountryReport)).all()
            ],
            "invites": [
                (i.id, i.used_at, i.cancelled_at) for i in session.exec(select(Invite)).all()
            ],
            "cursors": [
                (c.id, c.item_id, c.awaiting, c.version)
                for c in session.exec(select(Cursor).order_by(col(Cursor.id))).all()
            ],
        }


async def test_forged_buttons_after_revocation_change_nothing(harness: BotHarness):
    """Revoked people press every kind of button, real and hand-made: nothing changes."""
    bob = await harness.enrol_coordinator(5141, name="Bob")
    await bob.command("invite", "TH", "lead")
    bobs = INVITE_LINK.search((await bob.expect("Invite for")).plain)
    assert bobs is not None
    alice = await harness.enrol(5142, "TH", name="Alice", national_lead=True)
    prompt = await alice.last()
    real = prompt.callback_data()
    vu = await harness.enrol(5143, "VN", name="Vu")
    vu_id = _id(_person_row(harness, 5143).id)
    admin = harness.actor(ADMIN_ID)
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle)).one()
        cycle_id = _id(cycle.id)
        draft = cycles.draft_cycle(
            session,
            actor=admin,
            checklists=harness.runtime.checklists,
            title="Next",
            deadline_day=date(2026, 12, 1),
            timezone=None,
            now=harness.clock.now(),
        )
    for telegram_id in (5141, 5142):
        await _revoke_by_button(harness, _id(_person_row(harness, telegram_id).id))
    # Alice tries the invite Bob made for her before he lost access.
    await alice.command("start", bobs.group(1))
    await alice.expect("This invite")

    forged = [
        *real,
        "a:s:0:a.1:0",
        "mn:0",
        "rv:0",
        "pg",
        "st:VN",
        f"pp:rv:{vu_id}",
        f"pp:ra:{_id(_person_row(harness, 5141).id)}",
        "pp:x",
        f"cy:dl:{cycle_id}:7",
        f"cy:cl:{cycle_id}",
        f"cy:ok:{cycle_id}",
        f"cy:d:{draft.draft_id}:go",
        "cy:bk",
        "rm:go",
        "rm:s1:1",
        f"rm:mute:{cycle_id}",
        f"rm:um:{cycle_id}",
        "dg:on",
        "dg:off",
        "lg",
        "l:th",
    ]
    before = _snapshot(harness)
    for user in (alice, bob):
        target = (await user.last()).message_id
        for data in forged:
            answer = await user.press(data, message_id=target, force=True)
            assert answer is not None, f"{data!r} pressed by {user} was not answered"
            assert "Welcome" not in (answer.text or "")
    assert _snapshot(harness) == before
    await vu.mark()


async def test_a_forged_open_button_without_an_item_names_no_item(harness: BotHarness):
    """An "open item" button without its item: refused, without naming a made-up item."""
    alice = await harness.enrol(5151, "TH", name="Alice")
    prompt = await alice.last()
    version = next(d for d in prompt.callback_data() if d.startswith("a:s:")).split(":")[2]
    answer = await alice.press(f"a:o:{version}", message_id=prompt.message_id, force=True)
    assert answer is not None and answer.text is not None
    assert "There is no item" in answer.text
    assert "None" not in answer.text


# --------------------------------------------------------------------------- small promises


def test_invite_arguments_name_the_word_they_do_not_know():
    assert parse_invite_args(["th"]) == InviteRequest("TH", Role.FOCAL_POINT, False)
    assert parse_invite_args(["Lead", "VN"]) == InviteRequest("VN", Role.FOCAL_POINT, True)
    assert parse_invite_args(["coordinator"]) == InviteRequest(None, Role.COORDINATOR, False)
    assert parse_invite_args(["XX"]).country == "XX"  # the service says it is unknown
    with pytest.raises(UnknownRole) as bad:
        parse_invite_args(["TH", "boss"])
    assert bad.value.value == "boss"


async def test_invite_with_a_bad_role_names_the_role_not_the_country(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("invite", "TH", "boss")
    refused = await admin.expect("Unknown word “boss”")
    assert "country" not in refused.plain
    await admin.command("invite", "XX")
    await admin.expect("Unknown country code “XX”")


async def test_commands_and_buttons_update_last_active(harness: BotHarness):
    bob = await harness.enrol_coordinator(5151, name="Bob")
    with harness.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == 5151)).one()
        person.unreachable_at = harness.clock.now()
        session.add(person)
    harness.clock.advance(timedelta(hours=3))
    await bob.command("summary")
    await bob.expect("Reports submitted")
    seen = _person_row(harness, 5151)
    assert seen.last_active_at == harness.clock.now()
    assert seen.unreachable_at is None
    harness.clock.advance(timedelta(seconds=20))
    await bob.command("status")
    await bob.expect("Which country?")
    assert _person_row(harness, 5151).last_active_at == seen.last_active_at  # < a minute
    harness.clock.advance(timedelta(minutes=5))
    await bob.press_and_wait("Thailand")
    assert _person_row(harness, 5151).last_active_at == harness.clock.now()


async def test_a_double_tap_on_a_language_greets_once(harness: BotHarness):
    code = await harness.invite_code("TH")
    user = await harness.user(5171, "Somchai")
    await user.command("start", code)
    choice = await user.expect(lambda m: m.has_button("English"))
    await user.press("English", message_id=choice.message_id)
    await user.expect(lambda m: any(d.startswith("a:s:") for d in m.callback_data()))
    count = len(await user.messages())
    again = await user.press("l:en", message_id=choice.message_id, force=True)
    assert again is not None
    assert not await user.wait_for_change(timeout=0.5)
    assert len(await user.messages()) == count
