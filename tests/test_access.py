"""Who may do what: every coordinator command tried by a stranger, a focal point and a
coordinator, through the real bot; and the services refusing the wrong actor directly.

Strangers (never enrolled, or revoked) learn only how to get access. Focal points are refused,
or see their own country only. Coordinators see every country.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from bot.fakeapi import FakeUser
from bot.models import Person, Role
from bot.services import cycles, enrolment, people, submission, summaries
from bot.services.actors import Actor, find_actor, require_actor
from bot.services.errors import NotEnrolled, PermissionDenied
from tests.harness import ADMIN_ID, BotHarness
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
    with harness.db.session() as session:
        admin = require_actor(session, ADMIN_ID)
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
    with harness.db.session() as session:
        admin = require_actor(session, ADMIN_ID)
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
    with harness.db.session() as session:
        alice, bob = find_actor(session, 5001), find_actor(session, 5003)
        assert alice is not None and bob is not None
        return alice, bob


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
    await _region(harness)
    with harness.db.session() as session:
        admin = require_actor(session, ADMIN_ID)
        alice = session.exec(select(Person).where(Person.telegram_id == 5001)).one()
        people.revoke(
            session, actor=admin, person_id=_id(alice.id), config_admins=[], now=harness.clock.now()
        )
    with harness.db.session() as session:
        assert find_actor(session, 5001) is None
        with pytest.raises(NotEnrolled):
            require_actor(session, 5001)
