"""Coordinators' digests: what changed since the last one, on a schedule in their own zone.

By default weekly, Monday 09:00 in each coordinator's zone (their own, else their country's,
else `coordinator_timezone`); daily if configured, or off for everyone (settings) or for one
coordinator (/digest). One `Delivery` row per coordinator and slot (`digest:2026-W10`): two
processes or a restart never send a slot twice, and a bot that was down sends one digest when
it is back, never one per missed slot (only the latest slot is planned; older plans are
cancelled as superseded).

A digest has a part per instrument the coordinator coordinates (an admin: every one), and
nothing of the others. Each part tells: answers changed since the last digest (per country;
when a new cycle opened within the window, the closed cycle's changes too, under its title),
new submissions, who is behind relative to the deadline (fewer items answered than the whole
items the cycle's time gone by asks for: nobody is behind while that is none), and who of its
people is unreachable (blocked the bot). Counts come from `reads.report_counts`, as on every
other screen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.checklist import ASEAN_NORMS_ID, Checklist, ChecklistRegistry
from bot.models import (
    AnswerRevision,
    Country,
    CountryReport,
    Cycle,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Membership,
    Person,
    Role,
)
from bot.services import deliveries
from bot.services.actors import Actor, person_of, roles_of
from bot.services.cycles import open_cycle
from bot.services.deliveries import Claimed, DeliveryPolicy
from bot.services.reads import (
    UnreachablePerson,
    holding,
    people_with_country,
    person_tz,
    report_counts,
    unreachable_people,
)
from bot.services.reminders import country_states, cycle_checklist
from bot.services.schedule import (
    OFFICE_HOURS,
    DigestFrequency,
    DigestSlot,
    WorkingHours,
    digest_slot,
    zone_name,
)

if TYPE_CHECKING:
    from bot.config import Settings

LATE = timedelta(hours=1)  # a digest later than this waits for working hours (see `_verdict`)


@dataclass(frozen=True)
class DigestPolicy:
    enabled: bool = True
    frequency: DigestFrequency = DigestFrequency.WEEKLY
    weekday: int = 0
    at: time = time(9, 0)
    default_timezone: str = "Asia/Jakarta"
    hours: WorkingHours = OFFICE_HOURS

    @classmethod
    def from_settings(cls, settings: Settings) -> DigestPolicy:
        return cls(
            enabled=settings.digest_enabled,
            frequency=DigestFrequency(settings.digest_frequency),
            weekday=settings.digest_weekday,
            at=settings.digest_time,
            default_timezone=settings.coordinator_timezone,
            hours=WorkingHours(
                frozenset(settings.work_days), settings.work_start, settings.work_end
            ),
        )

    def slot(self, now: datetime, tz: tzinfo) -> DigestSlot:
        return digest_slot(now, tz, frequency=self.frequency, weekday=self.weekday, at=self.at)


def _coordinating() -> sa.ColumnElement[bool]:
    """A condition on `Person`: coordinates at least one instrument (admins coordinate all)."""
    return sa.or_(
        col(Person.is_admin).is_(True),
        col(Person.id).in_(
            select(Membership.person_id).where(col(Membership.role) == Role.COORDINATOR)
        ),
    )


def _coordinators(session: Session) -> list[tuple[Person, Country | None]]:
    return people_with_country(session, _coordinating())


def coordinated(session: Session, person: Person, checklists: ChecklistRegistry) -> list[str]:
    """The instruments a person's digest covers, the default first: those they coordinate (an
    admin: the default and every other with an open cycle)."""
    if person.is_admin:  # every instrument in use: the default, and those with an open cycle
        return [
            checklist.id
            for checklist in checklists.instruments()
            if checklist.id == ASEAN_NORMS_ID or open_cycle(session, checklist.id) is not None
        ]
    assert person.id is not None
    return [
        role.checklist_id for role in roles_of(session, person.id) if role.role is Role.COORDINATOR
    ]


def _wants_digest(person: Person, policy: DigestPolicy) -> bool:
    return policy.enabled and person.digest_enabled and person.unreachable_at is None


def plan_digests(session: Session, *, policy: DigestPolicy, now: datetime) -> int:
    """Plan each coordinator's latest digest slot; cancel older plans. Returns rows planned.

    A slot that began before the coordinator enrolled is not theirs: a new coordinator's
    first digest is the next one, not one right away.
    """
    if not deliveries.planning_lock(session, "digests"):
        return 0
    planned_rows: dict[int, list[Delivery]] = defaultdict(list)
    for row in session.exec(
        select(Delivery).where(
            Delivery.kind == DeliveryKind.DIGEST,
            Delivery.status == DeliveryStatus.PLANNED,
        )
    ).all():
        planned_rows[row.recipient_id].append(row)
    planned = 0
    for person, country in _coordinators(session):
        assert person.id is not None
        rows = planned_rows.pop(person.id, [])
        if not _wants_digest(person, policy):
            for row in rows:
                deliveries.cancel(session, row, "digest switched off")
            continue
        slot = policy.slot(now, person_tz(person, country, policy.default_timezone))
        for row in rows:
            if row.slot != slot.key:
                deliveries.cancel(session, row, "superseded by a newer digest")
        if person.created_at is not None and slot.due < person.created_at:
            continue
        if any(row.slot == slot.key for row in rows):
            continue
        planned += deliveries.plan(
            session,
            recipient_id=person.id,
            kind=DeliveryKind.DIGEST,
            slot=slot.key,
            due_at=slot.due,
            now=now,
        )
    for rows in planned_rows.values():  # no longer coordinators
        for row in rows:
            deliveries.cancel(session, row, "no longer a coordinator")
    return planned


# --------------------------------------------------------------------------- the content


@dataclass(frozen=True)
class CountryChange:
    country_code: str
    items_changed: int
    answered: int
    total: int


@dataclass(frozen=True)
class Submission:
    country_code: str
    at: datetime


@dataclass(frozen=True)
class Behind:
    country_code: str
    answered: int
    total: int
    expected: float  # the share of the cycle's time gone, 0..1
    focal_points: int


@dataclass(frozen=True)
class CycleChanges:
    """Changes within the window to a cycle that is no longer the open one."""

    cycle_title: str
    changes: list[CountryChange]


@dataclass(frozen=True)
class Digest:
    """One instrument's part of a digest."""

    since: datetime
    until: datetime
    cycle_title: str | None
    deadline: datetime | None
    deadline_passed: bool
    changes: list[CountryChange]
    submissions: list[Submission]
    behind: list[Behind]
    unreachable: list[UnreachablePerson]
    unchanged: tuple[str, ...] = ()  # countries with no change in the window
    earlier: list[CycleChanges] = field(default_factory=list)  # closed within the window
    checklist: Checklist | None = None  # the instrument: the part names it


@dataclass(frozen=True)
class Digests:
    """A coordinator's digest: a part per instrument they coordinate, none of the others."""

    since: datetime
    until: datetime
    parts: tuple[Digest, ...]


def build_digests(
    session: Session,
    *,
    checklists: ChecklistRegistry,
    instruments: Sequence[str],
    since: datetime,
    now: datetime,
) -> Digests:
    """The digest of each of these instruments for the window (since, now]."""
    parts = tuple(
        build_digest(session, checklists=checklists, since=since, now=now, checklist_id=cid)
        for cid in instruments
    )
    return Digests(since, now, parts)


def build_digest(
    session: Session,
    *,
    checklists: ChecklistRegistry,
    since: datetime,
    now: datetime,
    checklist_id: str = ASEAN_NORMS_ID,
) -> Digest:
    """The digest's content for the window (since, now], of one instrument's open cycle:
    nothing of another instrument (its cycles, or its people who blocked the bot)."""
    unreachable = unreachable_people(session, holding(checklist_id))
    cycle = open_cycle(session, checklist_id)
    checklist = cycle_checklist(cycle, checklists) if cycle is not None else None
    if cycle is None or checklist is None or cycle.id is None or cycle.opens_at is None:
        try:
            named: Checklist | None = checklists.latest(checklist_id)
        except KeyError:
            named = None
        return Digest(since, now, None, None, False, [], [], [], unreachable, checklist=named)
    states = country_states(session, cycle, checklist)
    changed: dict[int, dict[str, int]] = defaultdict(dict)
    for cycle_id, country_code, count in session.exec(
        select(
            AnswerRevision.cycle_id,
            AnswerRevision.country_code,
            func.count(func.distinct(AnswerRevision.item_id)),
        )
        .where(
            col(AnswerRevision.changed_at) > since,
            col(AnswerRevision.changed_at) <= now,
            AnswerRevision.field != "copied",  # a baseline copied when the cycle opened
        )
        .group_by(col(AnswerRevision.cycle_id), col(AnswerRevision.country_code))
    ).all():
        changed[cycle_id][country_code] = int(count)
    changes = _changes(
        changed.pop(cycle.id, {}),
        {code: (state.answered, state.total) for code, state in states.items()},
    )
    earlier = []
    # A window that spans a new cycle: the changes made before it opened are news too.
    for old in session.exec(
        select(Cycle)
        .where(col(Cycle.id).in_(list(changed)), col(Cycle.checklist_id) == checklist_id)
        .order_by(col(Cycle.opens_at))
    ).all():
        old_checklist = cycle_checklist(old, checklists)
        if old_checklist is None or old.id is None:
            continue
        reports = report_counts(session, old, old_checklist, list(changed[old.id]))
        counts = {code: (r.counts.answered, r.counts.total) for code, r in reports.items()}
        earlier.append(CycleChanges(old.title, _changes(changed[old.id], counts)))
    submissions = [
        Submission(report.country_code, report.submitted_at)
        for report in session.exec(
            select(CountryReport)
            .where(
                CountryReport.cycle_id == cycle.id,
                col(CountryReport.submitted_at) > since,
                col(CountryReport.submitted_at) <= now,
            )
            .order_by(col(CountryReport.submitted_at))
        ).all()
        if report.submitted_at is not None
    ]
    focal_points: dict[str, int] = defaultdict(int)
    for code in session.exec(
        select(Person.country_code).where(
            col(Person.active).is_(True),
            holding(cycle.checklist_id, Role.FOCAL_POINT),
            col(Person.country_code).is_not(None),
        )
    ).all():
        focal_points[code or ""] += 1
    behind = []
    deadline = cycle.deadline
    if deadline is not None and deadline > cycle.opens_at:
        expected = min(1.0, max(0.0, (now - cycle.opens_at) / (deadline - cycle.opens_at)))
        for code, state in states.items():
            # Whole items only: while the time gone asks for none, nobody is behind.
            if not state.complete and state.answered < int(expected * state.total):
                behind.append(
                    Behind(code, state.answered, state.total, expected, focal_points[code])
                )
        behind.sort(key=lambda b: (b.answered / b.total if b.total else 0, b.country_code))
    return Digest(
        since=since,
        until=now,
        cycle_title=cycle.title,
        deadline=deadline,
        deadline_passed=deadline is not None and now >= deadline,
        changes=changes,
        submissions=submissions,
        behind=behind,
        unreachable=unreachable,
        unchanged=tuple(code for code in states if code not in {c.country_code for c in changes}),
        earlier=earlier,
        checklist=checklist,
    )


def _changes(changed: dict[str, int], counts: dict[str, tuple[int, int]]) -> list[CountryChange]:
    """Countries with changes, most changed first, with their answered / total."""
    return sorted(
        (
            CountryChange(code, count, *counts[code])
            for code, count in changed.items()
            if code in counts
        ),
        key=lambda change: (-change.items_changed, change.country_code),
    )


def _last_sent(session: Session, person_id: int) -> datetime | None:
    last: datetime | None = session.exec(
        select(func.max(Delivery.sent_at)).where(
            Delivery.recipient_id == person_id,
            Delivery.kind == DeliveryKind.DIGEST,
            Delivery.status == DeliveryStatus.SENT,
        )
    ).one()
    if last is not None and last.tzinfo is None:  # SQLite hands aggregates back naive
        last = last.replace(tzinfo=UTC)
    return last


def _since(session: Session, person: Person, slot: DigestSlot, now: datetime) -> datetime:
    """Since the coordinator's last digest; the first one covers the time since they enrolled."""
    assert person.id is not None
    last = _last_sent(session, person.id)
    if last is not None:
        return last
    return person.created_at or min(slot.due, now) - slot.period


def _person_digests(
    session: Session,
    person: Person,
    checklists: ChecklistRegistry,
    slot: DigestSlot,
    now: datetime,
) -> Digests:
    """What a coordinator's digest of `slot` holds: a part per instrument they coordinate,
    since their last digest (the same whether it is sent or previewed with /digest)."""
    return build_digests(
        session,
        checklists=checklists,
        instruments=coordinated(session, person, checklists),
        since=_since(session, person, slot, now),
        now=now,
    )


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class DigestMessage:
    delivery_id: int
    claimer: str
    chat_id: int
    locale: str | None
    telegram_language: str | None
    timezone: str
    frequency: DigestFrequency
    digest: Digests


def claim_digests(
    session: Session,
    *,
    claimer: str,
    checklists: ChecklistRegistry,
    policy: DigestPolicy,
    delivery: DeliveryPolicy,
    now: datetime,
    limit: int,
) -> Claimed[DigestMessage]:
    """Claim due digests, check each again, and build those that may go now."""
    rows = deliveries.claim_due(
        session,
        kinds=(DeliveryKind.DIGEST,),
        claimer=claimer,
        now=now,
        limit=limit,
        policy=delivery,
    )
    ready = []
    for row in rows:
        person = session.get(Person, row.recipient_id)
        if (
            person is None
            or not person.active
            or not session.exec(
                select(Person.id).where(col(Person.id) == person.id, _coordinating())
            ).first()
            or not _wants_digest(person, policy)
        ):
            deliveries.cancel(session, row, "digest no longer wanted")
            continue
        country = session.get(Country, person.country_code) if person.country_code else None
        tz = person_tz(person, country, policy.default_timezone)
        slot = policy.slot(now, tz)
        if slot.key != row.slot:
            deliveries.cancel(session, row, "superseded by a newer digest")
            continue
        assert row.due_at is not None and row.id is not None
        if now - row.due_at > LATE and not policy.hours.is_open(now, tz):
            # Late (the bot was down): wait for the morning rather than wake anyone.
            deliveries.defer(session, row, policy.hours.next_opening(now, tz))
            continue
        digest = _person_digests(session, person, checklists, slot, now)
        ready.append(
            DigestMessage(
                delivery_id=row.id,
                claimer=claimer,
                chat_id=person.telegram_id,
                locale=person.locale,
                telegram_language=person.telegram_language,
                timezone=zone_name(tz),
                frequency=policy.frequency,
                digest=digest,
            )
        )
    session.flush()
    return Claimed(ready, len(rows))


# --------------------------------------------------------------------------- /digest


@dataclass(frozen=True)
class DigestPreview:
    digest: Digests
    enabled: bool  # this coordinator gets digests
    globally_enabled: bool
    frequency: DigestFrequency
    next_at: datetime | None
    timezone: str


def digest_preview(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    policy: DigestPolicy,
    now: datetime,
) -> DigestPreview:
    """/digest: the digest as it would be now (since the last one), and the coordinator's
    setting. Nothing is recorded: the scheduled digest still covers the same window."""
    _require_coordinating(actor)
    person = person_of(session, actor)
    return _preview(session, person, checklists, policy, now)


def _require_coordinating(actor: Actor) -> None:
    """The digest is the person's, over every instrument they coordinate: any one will do."""
    if not actor.is_admin and all(role.role is not Role.COORDINATOR for role in actor.roles):
        actor.require_coordinator()


def _preview(
    session: Session,
    person: Person,
    checklists: ChecklistRegistry,
    policy: DigestPolicy,
    now: datetime,
) -> DigestPreview:
    """The digest as it would be sent now to `person`, with their setting and the next one."""
    country = session.get(Country, person.country_code) if person.country_code else None
    tz = person_tz(person, country, policy.default_timezone)
    slot = policy.slot(now, tz)
    digest = _person_digests(session, person, checklists, slot, now)
    enabled = person.digest_enabled
    next_at = slot.due + slot.period if enabled and policy.enabled else None
    return DigestPreview(digest, enabled, policy.enabled, policy.frequency, next_at, zone_name(tz))


def set_digest(
    session: Session,
    *,
    actor: Actor,
    enabled: bool,
    checklists: ChecklistRegistry,
    policy: DigestPolicy,
    now: datetime,
) -> DigestPreview:
    """Switch this coordinator's digest on or off (the buttons under /digest)."""
    _require_coordinating(actor)
    person = person_of(session, actor)
    person.digest_enabled = enabled
    session.add(person)
    if not enabled:
        assert person.id is not None
        deliveries.cancel_planned(
            session,
            recipient_id=person.id,
            kinds=(DeliveryKind.DIGEST,),
            reason="digest switched off",
        )
    return _preview(session, person, checklists, policy, now)
