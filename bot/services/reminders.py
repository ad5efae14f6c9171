"""Reminders to focal points who have not finished: when, whether now, and what they say.

The policy, in the words of the README ("Reminders and digests"):

- Only active, reachable focal points of countries whose report for the open cycle is neither
  complete (`reads.StateCounts.complete`: nothing open, nothing to confirm) nor submitted, and
  who have not muted this cycle.
- A first nudge `first_nudge` after enrolment or the person's last activity, repeated every
  `idle` while they stay away; then the deadline's cadence (`days_before`, e.g. 14, 7, 3, 1
  and 0 days before). Nudges for inactivity stop when a deadline reminder is due within
  `idle` anyway, and never take the deadline reminders' share of the `cap` per cycle.
- At least `min_gap` between two reminders to one person; never while they are answering
  (active within `quiet`); only within their working hours: a reminder that falls outside
  moves to the next opening (09:00 on the next working day), not to the middle of the night.

Planning keeps one planned `Delivery` row per focal point: the next slot. Slot keys name what
the reminder is for, so a slot is reminded once: `c<cycle>:d<days>-<deadline date>` before the
deadline (a moved deadline starts a fresh cadence) and `c<cycle>:i<date>` after inactivity. A
bot that was down sends the latest slot that fell due, once, never every missed one.

Per instrument: each instrument's open cycle proposes its next slot for the person (cap, slots
done and mutes are per cycle; `min_gap` and snoozes are the person's) and the earliest is
planned. At send time the reminder names every instrument the person is behind in, and the
other instruments' slots due within `min_gap` are recorded as done by it (cancelled rows "named
in reminder N"), so one message stands for all. A coordinator's nudge names its own instrument.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.checklist import ASEAN_NORMS_ID, Checklist, ChecklistRegistry
from bot.models import (
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
from bot.services.actors import Actor, person_of
from bot.services.cycles import checklist_of, open_cycle, require_open_cycle
from bot.services.deliveries import REMINDER_KINDS, Claimed, DeliveryPolicy
from bot.services.errors import InvalidInput, OldReminder, ReminderUnchanged, UnknownCountry
from bot.services.reads import (
    StateCounts,
    UnreachablePerson,
    holding,
    open_cycles,
    people_with_country,
    person_tz,
    report_counts,
)
from bot.services.schedule import OFFICE_HOURS, WorkingHours, at_local, zone, zone_name

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class ReminderPolicy:
    enabled: bool = True
    first_nudge: timedelta = timedelta(days=3)
    idle: timedelta = timedelta(days=7)
    days_before: tuple[int, ...] = (14, 7, 3, 1, 0)
    cap: int = 8
    quiet: timedelta = timedelta(minutes=30)
    min_gap: timedelta = timedelta(hours=20)
    hours: WorkingHours = OFFICE_HOURS
    default_timezone: str = "UTC"  # for a focal point whose country has no usable zone

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        return cls(
            enabled=settings.reminders_enabled,
            first_nudge=timedelta(days=settings.reminder_first_nudge_days),
            idle=timedelta(days=settings.reminder_idle_days),
            days_before=tuple(settings.reminder_days_before_deadline),
            cap=settings.reminder_max_per_cycle,
            quiet=timedelta(minutes=settings.reminder_quiet_minutes),
            min_gap=timedelta(hours=settings.reminder_min_gap_hours),
            hours=WorkingHours(
                frozenset(settings.work_days), settings.work_start, settings.work_end
            ),
            default_timezone=settings.coordinator_timezone,
        )


# --------------------------------------------------------------------------- countries


@dataclass(frozen=True)
class CountryState:
    """How far one country's report is: what is still open per norm, and whether it was
    submitted. "Open" here is what keeps the report from /submit: items not answered and
    copies to confirm (`StateCounts.outstanding`), as /submit lists them."""

    total: int
    open_by_section: tuple[tuple[str, int], ...]  # sections with open items, checklist order
    submitted: bool
    counts: StateCounts = field(default_factory=StateCounts)

    @property
    def open_items(self) -> int:
        return sum(count for _, count in self.open_by_section)

    @property
    def answered(self) -> int:
        return self.counts.answered

    @property
    def complete(self) -> bool:
        return self.submitted or self.open_items == 0


def country_states(
    session: Session, cycle: Cycle, checklist: Checklist, codes: Iterable[str] | None = None
) -> dict[str, CountryState]:
    """The state of each country's report in the cycle (of every country by default).

    Counted by `reads.report_counts`: an answer copied from the previous cycle stays open
    until a focal point confirms it; a knowingly skipped item is not open.
    """
    reports = report_counts(session, cycle, checklist, codes)
    submitted = {
        report.country_code
        for report in session.exec(
            select(CountryReport).where(
                CountryReport.cycle_id == cycle.id, col(CountryReport.submitted_at).is_not(None)
            )
        ).all()
        if report.reopened_at is None
        or (report.submitted_at is not None and report.reopened_at <= report.submitted_at)
    }
    states = {}
    for code, report in reports.items():
        open_by_section = tuple(
            (section_id, counts.outstanding)
            for section_id, counts in report.sections.items()
            if counts.outstanding
        )
        states[code] = CountryState(
            report.counts.total, open_by_section, code in submitted, report.counts
        )
    return states


def cycle_checklist(cycle: Cycle, checklists: ChecklistRegistry) -> Checklist | None:
    try:
        return checklist_of(cycle, checklists)
    except KeyError:  # the cycle's checklist file was removed: nothing to count against
        return None


# --------------------------------------------------------------------------- slots


@dataclass(frozen=True)
class Slot:
    """One reminder the policy wants: `at` is its own time, `due` the first working moment."""

    key: str
    at: datetime
    due: datetime


def deadline_slots(
    *, cycle_id: int, deadline: datetime, policy: ReminderPolicy, tz: tzinfo
) -> list[Slot]:
    """The deadline cadence in the person's zone: `days` before the deadline's local day, at
    the start of working hours. A slot whose next opening is after the deadline is dropped;
    two that land on one opening (a weekend in between) become one, the closer to the end."""
    local_deadline = deadline.astimezone(tz)
    tag = local_deadline.strftime("%Y%m%d")
    slots: list[Slot] = []
    taken = set()
    for days in sorted(set(policy.days_before)):
        at = at_local(local_deadline.date() - timedelta(days=days), policy.hours.start, tz)
        due = policy.hours.next_opening(at, tz)
        if due > deadline or due in taken:
            continue
        taken.add(due)
        slots.append(Slot(f"c{cycle_id}:d{days}-{tag}", at, due))
    return sorted(slots, key=lambda slot: slot.due)


def idle_slots(
    *, cycle_id: int, anchor: datetime, policy: ReminderPolicy, tz: tzinfo, count: int
) -> list[Slot]:
    """Nudges after inactivity: `first_nudge` after the anchor, then every `idle`."""
    slots = []
    for n in range(count):
        at = anchor + policy.first_nudge + n * policy.idle
        key = f"c{cycle_id}:i{at.astimezone(tz):%Y%m%d}"
        slots.append(Slot(key, at, policy.hours.next_opening(at, tz)))
    return slots


@dataclass(frozen=True)
class ReminderHistory:
    """What one person already had in this cycle."""

    sent: int = 0  # automatic reminders sent or being sent (the cap counts these)
    last_sent_at: datetime | None = None  # the latest reminder or coordinator's nudge
    done: frozenset[str] = frozenset()  # slots claimed, sent, failed or cancelled


def next_reminder(
    *,
    policy: ReminderPolicy,
    tz: tzinfo,
    cycle_id: int,
    opens_at: datetime,
    deadline: datetime | None,
    enrolled_at: datetime | None,
    last_active_at: datetime | None,
    history: ReminderHistory,
    now: datetime,
) -> Slot | None:
    """The next reminder slot for one focal point, or None (cap reached, nothing left).

    Of the slots already due (the bot was down, say) only the latest counts; slots from
    before the person's enrolment or their last reminder never come back.
    """
    if history.sent >= policy.cap:
        return None
    start = max(opens_at, enrolled_at or opens_at)
    floor = history.last_sent_at

    def fresh(slot: Slot) -> bool:
        return (
            slot.key not in history.done and slot.at >= start and (floor is None or slot.at > floor)
        )

    ahead = (
        [
            slot
            for slot in deadline_slots(cycle_id=cycle_id, deadline=deadline, policy=policy, tz=tz)
            if fresh(slot)
        ]
        if deadline is not None
        else []
    )
    # Of the deadline slots already due only the latest still counts. The cadence keeps its
    # room under the cap; if the cap is smaller, the slots closest to the deadline stay.
    passed = [slot for slot in ahead if slot.due <= now]
    ahead = passed[-1:] + [slot for slot in ahead if slot.due > now]
    left = policy.cap - history.sent
    ahead = ahead[max(0, len(ahead) - left) :]
    room = left - len(ahead)
    idle: list[Slot] = []
    if room > 0:
        anchor = max(start, last_active_at or start)
        for slot in idle_slots(
            cycle_id=cycle_id, anchor=anchor, policy=policy, tz=tz, count=policy.cap
        ):
            if not fresh(slot):
                continue
            if any(timedelta(0) <= other.due - slot.due < policy.idle for other in ahead):
                continue  # a deadline reminder comes soon anyway
            idle.append(slot)
        idle = idle[:room]
    candidates = ahead + idle
    if not candidates:
        return None
    due_now = [slot for slot in candidates if slot.due <= now]
    if due_now:
        return max(due_now, key=lambda slot: slot.due)
    return min(candidates, key=lambda slot: slot.due)


def due_time(
    slot: Slot,
    *,
    history: ReminderHistory,
    snoozed_until: datetime | None,
    policy: ReminderPolicy,
    tz: tzinfo,
) -> datetime:
    """When a slot may go: within working hours, not before `min_gap` after the last
    reminder, nor while snoozed."""
    earliest = slot.due
    if history.last_sent_at is not None:
        earliest = max(earliest, history.last_sent_at + policy.min_gap)
    if snoozed_until is not None:
        earliest = max(earliest, snoozed_until)
    return policy.hours.next_opening(earliest, tz)


# --------------------------------------------------------------------------- planning


def _focal_points(session: Session, checklist_id: str) -> list[tuple[Person, Country | None]]:
    """The active focal points of an instrument, with their country."""
    return people_with_country(
        session,
        holding(checklist_id, Role.FOCAL_POINT),
        col(Person.country_code).is_not(None),
    )


@dataclass(frozen=True)
class _Histories:
    """Reminders already had. Per person and cycle: how many count against the cap, which
    slots are done; per person over every open cycle: the last one (the gap between two
    messages is the person's, whichever instruments they named)."""

    sent: dict[tuple[int, int], int] = field(default_factory=dict)
    done: dict[tuple[int, int], frozenset[str]] = field(default_factory=dict)
    last: dict[int, datetime] = field(default_factory=dict)

    def of(self, person_id: int, cycle_id: int) -> ReminderHistory:
        key = (person_id, cycle_id)
        return ReminderHistory(
            self.sent.get(key, 0), self.last.get(person_id), self.done.get(key, frozenset())
        )


def _histories(
    session: Session,
    cycle_ids: Collection[int],
    *,
    people: Collection[int] | None = None,
    exclude: Collection[int] = (),
) -> _Histories:
    query = select(Delivery).where(
        col(Delivery.cycle_id).in_(list(cycle_ids)),
        col(Delivery.kind).in_(REMINDER_KINDS),
        col(Delivery.status) != DeliveryStatus.PLANNED,
    )
    if people is not None:
        query = query.where(col(Delivery.recipient_id).in_(list(people)))
    sent: dict[tuple[int, int], int] = defaultdict(int)
    last: dict[int, datetime] = {}
    done: dict[tuple[int, int], set[str]] = defaultdict(set)
    for row in session.exec(query).all():
        if row.id in exclude or row.cycle_id is None:
            continue
        person_id, key = row.recipient_id, (row.recipient_id, row.cycle_id)
        if row.kind == DeliveryKind.REMINDER:
            done[key].add(row.slot)
        if row.status in (DeliveryStatus.SENT, DeliveryStatus.CLAIMED):
            if row.kind == DeliveryKind.REMINDER:
                sent[key] += 1
            at = row.sent_at or row.claimed_at
            if at is not None and (person_id not in last or at > last[person_id]):
                last[person_id] = at
    return _Histories(dict(sent), {key: frozenset(slots) for key, slots in done.items()}, last)


@dataclass(frozen=True)
class OpenCycle:
    """An open cycle reminders follow, with its checklist (one per instrument)."""

    cycle: Cycle
    checklist: Checklist

    @property
    def id(self) -> int:
        assert self.cycle.id is not None
        return self.cycle.id


def reminded_cycles(session: Session, checklists: ChecklistRegistry) -> list[OpenCycle]:
    """The open cycle of each instrument whose checklist is loaded, the default one first."""
    found: dict[str, OpenCycle] = {}
    for cycle in open_cycles(session):
        checklist = cycle_checklist(cycle, checklists)
        if checklist is None or cycle.id is None or cycle.opens_at is None:
            continue
        found.setdefault(cycle.checklist_id, OpenCycle(cycle, checklist))
    return sorted(
        found.values(), key=lambda o: (o.cycle.checklist_id != ASEAN_NORMS_ID, o.cycle.checklist_id)
    )


def _may_remind(person: Person, state: CountryState | None, *, muted: bool) -> bool:
    return person.unreachable_at is None and not muted and state is not None and not state.complete


def muted_in(
    session: Session, cycle_ids: Collection[int], people: Collection[int] | None = None
) -> set[tuple[int, int]]:
    """The (person, cycle) pairs whose reminders are muted: a mute is per instrument's cycle."""
    query = select(Membership.person_id, Membership.muted_cycle_id).where(
        col(Membership.muted_cycle_id).in_(list(cycle_ids))
    )
    if people is not None:
        query = query.where(col(Membership.person_id).in_(list(people)))
    return {
        (person_id, cycle_id)
        for person_id, cycle_id in session.exec(query).all()
        if cycle_id is not None
    }


@dataclass(frozen=True)
class PlanReport:
    planned: int = 0


def plan_reminders(
    session: Session, *, checklists: ChecklistRegistry, policy: ReminderPolicy, now: datetime
) -> PlanReport:
    """Bring the planned reminder rows up to date: one, the next, per focal point who needs one.

    Rows no longer wanted (the person answered, completed, muted …) are deleted while they
    are only plans; a row another process claimed meanwhile is left alone.
    """
    if not deliveries.planning_lock(session, "reminders"):
        return PlanReport()
    existing: dict[int, list[Delivery]] = defaultdict(list)
    for row in session.exec(
        select(Delivery)
        .where(
            Delivery.kind == DeliveryKind.REMINDER,
            Delivery.status == DeliveryStatus.PLANNED,
        )
        .order_by(col(Delivery.recipient_id), col(Delivery.id))
    ).all():
        existing[row.recipient_id].append(row)
    # Each instrument's open cycle proposes its next slot; the person gets one row, the
    # earliest, and its message names every instrument they are behind in (`claim_reminders`).
    opened = reminded_cycles(session, checklists) if policy.enabled else []
    histories = _histories(session, [o.id for o in opened])
    muted = muted_in(session, [o.id for o in opened])
    wanted: dict[int, tuple[Slot, datetime, int]] = {}
    for reminded in opened:
        cycle = reminded.cycle
        assert cycle.opens_at is not None
        states = country_states(session, cycle, reminded.checklist)
        for person, country in _focal_points(session, cycle.checklist_id):
            assert person.id is not None and person.country_code is not None
            here = (person.id, reminded.id) in muted
            if not _may_remind(person, states.get(person.country_code), muted=here):
                continue
            tz = person_tz(person, country, policy.default_timezone)
            history = histories.of(person.id, reminded.id)
            slot = next_reminder(
                policy=policy,
                tz=tz,
                cycle_id=reminded.id,
                opens_at=cycle.opens_at,
                deadline=cycle.deadline,
                enrolled_at=person.created_at,
                last_active_at=person.last_active_at,
                history=history,
                now=now,
            )
            if slot is None:
                continue
            due = due_time(
                slot, history=history, snoozed_until=person.snoozed_until, policy=policy, tz=tz
            )
            if person.id not in wanted or due < wanted[person.id][1]:
                wanted[person.id] = (slot, due, reminded.id)
    planned = 0
    for person_id, (slot, due, cycle_id) in wanted.items():
        rows = existing.pop(person_id, [])
        for row in rows:
            if row.slot != slot.key and row.id is not None:
                deliveries.drop_plan(session, row.id)
        if all(row.slot != slot.key for row in rows):
            planned += deliveries.plan(
                session,
                recipient_id=person_id,
                kind=DeliveryKind.REMINDER,
                slot=slot.key,
                due_at=due,
                cycle_id=cycle_id,
                now=now,
            )
    for rows in existing.values():  # no longer focal points, or no cycle, or reminders off
        for row in rows:
            if row.id is not None:
                deliveries.drop_plan(session, row.id)
    return PlanReport(planned)


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class ReminderPart:
    """What a reminder says about one instrument's open cycle."""

    cycle_id: int
    cycle_title: str
    checklist: Checklist | None  # the cycle's: the reminder names its instrument
    deadline: datetime | None
    deadline_today: bool
    deadline_passed: bool
    open_items: int
    total_items: int
    open_by_section: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReminderMessage:
    """A claimed reminder that may go now, with everything its text needs: a part per
    instrument the person is behind in (a coordinator's nudge: its own instrument only)."""

    delivery_id: int
    claimer: str
    kind: DeliveryKind
    chat_id: int
    locale: str | None
    telegram_language: str | None
    timezone: str
    country_code: str
    cycle_id: int  # the row's own cycle: what its mute button mutes
    parts: tuple[ReminderPart, ...]


@dataclass(frozen=True)
class _Defer:
    until: datetime


def _verdict(
    row: Delivery,
    person: Person | None,
    country: Country | None,
    cycle: Cycle | None,
    state: CountryState | None,
    history: ReminderHistory,
    policy: ReminderPolicy,
    now: datetime,
    focal_ids: Collection[int] = (),
    muted: bool = False,
) -> str | _Defer | None:
    """Why a claimed reminder must not go (a reason), when it may (`_Defer`), or None: now."""
    if person is None or not person.active or person.id not in focal_ids:
        return "no longer a focal point"
    if person.unreachable_at is not None:
        return "the person blocked the bot"
    if cycle is None or row.cycle_id != cycle.id or state is None:
        return "the cycle is closed"
    if row.kind == DeliveryKind.REMINDER and not policy.enabled:
        return "reminders are switched off"
    if state.complete:
        return "the report is complete"
    if muted:
        return "muted for this cycle"
    if row.kind == DeliveryKind.REMINDER and history.sent >= policy.cap:
        return "the cap of reminders per cycle is reached"
    wait = now
    if person.snoozed_until is not None:
        wait = max(wait, person.snoozed_until)
    if person.last_active_at is not None:
        wait = max(wait, person.last_active_at + policy.quiet)  # they are answering right now
    if row.kind == DeliveryKind.REMINDER and history.last_sent_at is not None:
        wait = max(wait, history.last_sent_at + policy.min_gap)
    opening = policy.hours.next_opening(wait, person_tz(person, country, policy.default_timezone))
    return _Defer(opening) if opening > now else None


@dataclass
class _Batch:
    """What the checks of one claimed batch load once: every open cycle, and per cycle the
    batch's focal points of its instrument and their countries' states."""

    opened: list[OpenCycle]
    persons: dict[int, Person]
    countries: dict[str, Country]
    states: dict[int, dict[str, CountryState]] = field(default_factory=dict)
    focal_ids: dict[int, set[int]] = field(default_factory=dict)
    histories: _Histories = field(default_factory=_Histories)
    muted: set[tuple[int, int]] = field(default_factory=set)

    def cycle(self, cycle_id: int | None) -> OpenCycle | None:
        return next((o for o in self.opened if o.id == cycle_id), None)

    def state(self, cycle_id: int, person: Person) -> CountryState | None:
        return self.states.get(cycle_id, {}).get(person.country_code or "")

    def behind(self, person: Person) -> list[OpenCycle]:
        """The open cycles a person may be reminded of: focal point there, not done, not muted."""
        return [
            o
            for o in self.opened
            if person.id in self.focal_ids.get(o.id, set())
            and _may_remind(
                person, self.state(o.id, person), muted=(person.id or 0, o.id) in self.muted
            )
        ]


def _load_batch(session: Session, rows: list[Delivery], checklists: ChecklistRegistry) -> _Batch:
    opened = reminded_cycles(session, checklists)
    ids = {row.recipient_id for row in rows}
    persons = {
        person.id: person
        for person in session.exec(select(Person).where(col(Person.id).in_(ids))).all()
        if person.id is not None
    }
    countries = {country.code: country for country in session.exec(select(Country)).all()}
    batch = _Batch(opened, persons, countries)
    codes = {p.country_code for p in persons.values() if p.country_code}
    for reminded in opened:
        batch.focal_ids[reminded.id] = {
            person_id
            for person_id in session.exec(
                select(Person.id).where(
                    col(Person.id).in_(ids), holding(reminded.cycle.checklist_id, Role.FOCAL_POINT)
                )
            ).all()
            if person_id is not None
        }
        batch.states[reminded.id] = country_states(
            session, reminded.cycle, reminded.checklist, codes
        )
    batch.histories = _histories(
        session, [o.id for o in opened], people=ids, exclude={row.id for row in rows if row.id}
    )
    batch.muted = muted_in(session, [o.id for o in opened], ids)
    return batch


def _part(reminded: OpenCycle, state: CountryState, tz: tzinfo, now: datetime) -> ReminderPart:
    deadline = reminded.cycle.deadline
    return ReminderPart(
        cycle_id=reminded.id,
        cycle_title=reminded.cycle.title,
        checklist=reminded.checklist,
        deadline=deadline,
        deadline_today=deadline is not None
        and now < deadline
        and deadline.astimezone(tz).date() == now.astimezone(tz).date(),
        deadline_passed=deadline is not None and now >= deadline,
        open_items=state.open_items,
        total_items=state.total,
        open_by_section=state.open_by_section,
    )


def _name_the_others(
    session: Session,
    row: Delivery,
    person: Person,
    others: list[OpenCycle],
    batch: _Batch,
    policy: ReminderPolicy,
    tz: tzinfo,
    now: datetime,
) -> None:
    """A reminder that names other instruments stands for their slots due by the time the next
    one could go (`min_gap`): each is recorded as done, so no second message follows for it."""
    assert person.id is not None
    for other in others:
        assert other.cycle.opens_at is not None
        slot = next_reminder(
            policy=policy,
            tz=tz,
            cycle_id=other.id,
            opens_at=other.cycle.opens_at,
            deadline=other.cycle.deadline,
            enrolled_at=person.created_at,
            last_active_at=person.last_active_at,
            history=batch.histories.of(person.id, other.id),
            now=now,
        )
        if slot is not None and slot.due <= now + policy.min_gap:
            deliveries.record_named(
                session,
                recipient_id=person.id,
                slot=slot.key,
                cycle_id=other.id,
                reason=f"named in reminder {row.id}",
                now=now,
            )


def claim_reminders(
    session: Session,
    *,
    claimer: str,
    checklists: ChecklistRegistry,
    policy: ReminderPolicy,
    delivery: DeliveryPolicy,
    now: datetime,
    limit: int,
) -> Claimed[ReminderMessage]:
    """Claim due reminders and nudges, check each again, and return those that may go now.

    The others go back as planned at the next moment they may go (outside working hours,
    snoozed, answering right now), or are cancelled with the reason (completed, muted …).
    A scheduled reminder names every instrument the person is behind in; a coordinator's
    nudge, the instrument it was asked in.
    """
    rows = deliveries.claim_due(
        session, kinds=REMINDER_KINDS, claimer=claimer, now=now, limit=limit, policy=delivery
    )
    if not rows:
        return Claimed([], 0)
    batch = _load_batch(session, rows, checklists)
    ready: list[ReminderMessage] = []
    reminded: set[int] = set()
    for row in rows:
        person = batch.persons.get(row.recipient_id)
        country = batch.countries.get(person.country_code or "") if person else None
        own = batch.cycle(row.cycle_id)
        state = batch.state(own.id, person) if own and person else None
        history = (
            batch.histories.of(row.recipient_id, own.id) if own is not None else ReminderHistory()
        )
        verdict = _verdict(
            row,
            person,
            country,
            own.cycle if own else None,
            state,
            history,
            policy,
            now,
            batch.focal_ids.get(own.id, set()) if own else (),
            own is not None and (row.recipient_id, own.id) in batch.muted,
        )
        if verdict is None and row.recipient_id in reminded:
            # Two of this person's reminders fell due together: one is enough for now.
            verdict = (
                "reminded just now"
                if row.kind == DeliveryKind.NUDGE
                else _Defer(now + policy.min_gap)
            )
        if isinstance(verdict, str):
            deliveries.cancel(session, row, verdict)
            continue
        if isinstance(verdict, _Defer):
            deliveries.defer(session, row, verdict.until)
            continue
        assert person is not None and own is not None and row.id is not None
        reminded.add(row.recipient_id)
        tz = person_tz(person, country, policy.default_timezone)
        named = [own] if row.kind == DeliveryKind.NUDGE else batch.behind(person)
        if row.kind == DeliveryKind.REMINDER:
            others = [o for o in named if o.id != own.id]
            _name_the_others(session, row, person, others, batch, policy, tz, now)
        parts = []
        for reminded_cycle in named:
            part_state = batch.state(reminded_cycle.id, person)
            assert part_state is not None
            parts.append(_part(reminded_cycle, part_state, tz, now))
        ready.append(
            ReminderMessage(
                delivery_id=row.id,
                claimer=claimer,
                kind=row.kind,
                chat_id=person.telegram_id,
                locale=person.locale,
                telegram_language=person.telegram_language,
                timezone=zone_name(tz),
                country_code=person.country_code or "",
                cycle_id=own.id,
                parts=tuple(parts),
            )
        )
    session.flush()
    return Claimed(ready, len(rows))


# --------------------------------------------------------------------------- coordinators


class NudgeOutcome(StrEnum):
    NOW = "now"  # goes with the next send (within seconds)
    LATER = "later"  # outside their working hours, or snoozed: goes at `at`
    ALREADY = "already"  # nudged today already
    PENDING = "pending"  # asked for today already, still waiting to go at `at`
    UNREACHABLE = "unreachable"
    MUTED = "muted"


class Waiting(StrEnum):
    """Why a nudge goes later: what holds it back until `at`."""

    HOURS = "hours"  # outside their working hours
    SNOOZED = "snoozed"
    ANSWERING = "answering"  # active right now: it goes when they pause


@dataclass(frozen=True)
class NudgeTarget:
    name: str
    outcome: NudgeOutcome
    at: datetime | None
    timezone: str
    waiting: Waiting | None = None


@dataclass(frozen=True)
class NudgeResult:
    country_code: str
    complete: bool
    targets: list[NudgeTarget]
    checklist: Checklist | None = None  # the instrument the nudge is about


def remind_country(
    session: Session,
    *,
    actor: Actor,
    country_code: str,
    checklists: ChecklistRegistry,
    policy: ReminderPolicy,
    now: datetime,
) -> NudgeResult:
    """/remind CC: a nudge for each active focal point of the country, once a day at most."""
    actor.require_coordinator()
    code = country_code.strip().upper()
    country = session.get(Country, code) if code.isalpha() and len(code) <= 8 else None
    if country is None:
        raise UnknownCountry(country=country_code)
    cycle = require_open_cycle(session, actor.checklist_id)
    assert cycle.id is not None
    checklist = cycle_checklist(cycle, checklists)
    state = country_states(session, cycle, checklist, [code])[code] if checklist else None
    if state is None or state.complete:
        return NudgeResult(code, True, [], checklist)
    targets = []
    muted = muted_in(session, [cycle.id])
    for person, _ in _focal_points(session, cycle.checklist_id):
        if person.country_code != code:
            continue
        assert person.id is not None
        tz = person_tz(person, country, policy.default_timezone)
        name = person.display_name
        if person.unreachable_at is not None:
            targets.append(NudgeTarget(name, NudgeOutcome.UNREACHABLE, None, zone_name(tz)))
            continue
        if (person.id, cycle.id) in muted:
            targets.append(NudgeTarget(name, NudgeOutcome.MUTED, None, zone_name(tz)))
            continue
        waiting, earliest = Waiting.HOURS, now
        if person.snoozed_until is not None and person.snoozed_until > earliest:
            waiting, earliest = Waiting.SNOOZED, person.snoozed_until
        if person.last_active_at is not None and person.last_active_at + policy.quiet > earliest:
            waiting, earliest = Waiting.ANSWERING, person.last_active_at + policy.quiet
        due = policy.hours.next_opening(earliest, tz)
        slot = f"c{cycle.id}:n{now.astimezone(tz):%Y%m%d}"
        if deliveries.plan(
            session,
            recipient_id=person.id,
            kind=DeliveryKind.NUDGE,
            slot=slot,
            due_at=due,
            cycle_id=cycle.id,
            now=now,
        ):
            if due <= now:
                targets.append(NudgeTarget(name, NudgeOutcome.NOW, due, zone_name(tz)))
            else:
                later = waiting if due == earliest else Waiting.HOURS
                targets.append(NudgeTarget(name, NudgeOutcome.LATER, due, zone_name(tz), later))
        else:
            earlier = session.exec(
                select(Delivery).where(
                    Delivery.recipient_id == person.id,
                    Delivery.kind == DeliveryKind.NUDGE,
                    Delivery.slot == slot,
                )
            ).one()
            if earlier.status == DeliveryStatus.PLANNED:
                targets.append(
                    NudgeTarget(name, NudgeOutcome.PENDING, earlier.due_at, zone_name(tz))
                )
            else:
                targets.append(NudgeTarget(name, NudgeOutcome.ALREADY, None, zone_name(tz)))
    return NudgeResult(code, False, targets, checklist)


@dataclass(frozen=True)
class CountryReminders:
    country_code: str
    timezone: str
    focal_points: int
    complete: bool
    next_at: datetime | None  # the next planned reminder or nudge
    sent: int  # reminders and nudges sent in this cycle
    muted: int
    unreachable: list[UnreachablePerson]


@dataclass(frozen=True)
class ReminderOverview:
    enabled: bool
    cycle_title: str | None
    countries: list[CountryReminders]
    checklist: Checklist | None = None  # the instrument the overview is about


def reminder_overview(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    policy: ReminderPolicy,
    now: datetime,
) -> ReminderOverview:
    """/reminders: per country the next planned reminder, how many went, who is unreachable.

    Plans first, so the list is current even between two sweeps.
    """
    actor.require_coordinator()
    plan_reminders(session, checklists=checklists, policy=policy, now=now)
    cycle = open_cycle(session, actor.checklist_id)
    checklist = cycle_checklist(cycle, checklists) if cycle is not None else None
    if cycle is None or checklist is None or cycle.id is None:
        return ReminderOverview(policy.enabled, None, [])
    states = country_states(session, cycle, checklist)
    people = _focal_points(session, cycle.checklist_id)
    muted = muted_in(session, [cycle.id])
    by_country: dict[str, list[Person]] = defaultdict(list)
    for person, _ in people:
        by_country[person.country_code or ""].append(person)
    rows = session.exec(
        select(Delivery).where(
            col(Delivery.kind).in_(REMINDER_KINDS),
            sa.or_(
                col(Delivery.cycle_id) == cycle.id,
                col(Delivery.status) == DeliveryStatus.PLANNED,
            ),
        )
    ).all()
    person_country = {person.id: person.country_code for person, _ in people}
    next_at: dict[str, datetime] = {}
    sent: dict[str, int] = defaultdict(int)
    for row in rows:
        code = person_country.get(row.recipient_id)
        if code is None:
            continue
        if row.status == DeliveryStatus.PLANNED and row.due_at is not None:
            if code not in next_at or row.due_at < next_at[code]:
                next_at[code] = row.due_at
        elif row.status == DeliveryStatus.SENT and row.cycle_id == cycle.id:
            sent[code] += 1
    countries = []
    for country in session.exec(select(Country).order_by(col(Country.code))).all():
        members = by_country.get(country.code, [])
        state = states.get(country.code)
        countries.append(
            CountryReminders(
                country_code=country.code,
                timezone=zone_name(zone(country.timezone, policy.default_timezone)),
                focal_points=len(members),
                complete=bool(state and state.complete),
                next_at=next_at.get(country.code),
                sent=sent.get(country.code, 0),
                muted=sum(1 for p in members if (p.id or 0, cycle.id) in muted),
                unreachable=[
                    UnreachablePerson(p.display_name, p.country_code, p.unreachable_at)
                    for p in members
                    if p.unreachable_at is not None
                ],
            )
        )
    return ReminderOverview(policy.enabled, cycle.title, countries, checklist)


# --------------------------------------------------------------------------- the buttons


@dataclass(frozen=True)
class Snoozed:
    until: datetime  # the first moment a reminder may come again (within working hours)
    timezone: str
    cycle_id: int


def snooze(
    session: Session,
    *,
    actor: Actor,
    delivery_id: int,
    days: int,
    policy: ReminderPolicy,
    now: datetime,
) -> Snoozed:
    """No reminders for `days` (1 or 7) from now: once per reminder message.

    The reminder was sent while the person was not snoozed, so `snoozed_until` being no later
    than its sending is the version its buttons carry: the first snooze moves `snoozed_until`
    past it, and a second tap, a retry or another process matches no row (`ReminderUnchanged`).
    """
    row = session.get(Delivery, delivery_id)
    cycle = session.get(Cycle, row.cycle_id) if row is not None and row.cycle_id else None
    # A focal point of the reminder's instrument, whichever one they act in just now.
    (actor.within(cycle.checklist_id) if cycle is not None else actor).require_focal_point()
    if days not in (1, 7):
        raise InvalidInput()
    if row is None or row.recipient_id != actor.person_id:
        raise OldReminder()
    person = person_of(session, actor)
    seen = row.sent_at or row.due_at
    until = now + timedelta(days=days)
    snoozed = session.execute(
        sa.update(Person)
        .where(
            col(Person.id) == actor.person_id,
            sa.or_(col(Person.snoozed_until).is_(None), col(Person.snoozed_until) <= seen),
        )
        .values(snoozed_until=until)
        .execution_options(synchronize_session=False)
    )
    if not snoozed.rowcount:  # type: ignore[attr-defined]
        raise ReminderUnchanged(
            cycle_id=row.cycle_id or 0,
            muted=(actor.person_id, row.cycle_id or 0) in muted_in(session, [row.cycle_id or 0]),
        )
    country = session.get(Country, person.country_code) if person.country_code else None
    tz = person_tz(person, country, policy.default_timezone)
    opening = policy.hours.next_opening(until, tz)
    session.execute(
        sa.update(Delivery)
        .where(
            col(Delivery.recipient_id) == person.id,
            col(Delivery.status) == DeliveryStatus.PLANNED,
            col(Delivery.kind).in_(REMINDER_KINDS),
            col(Delivery.due_at) < opening,
        )
        .values(due_at=opening)
    )
    return Snoozed(opening, zone_name(tz), row.cycle_id or 0)


@dataclass(frozen=True)
class Muted:
    cycle_id: int
    muted: bool


def set_muted(session: Session, *, actor: Actor, cycle_id: int, muted: bool) -> Muted:
    """Mute (or unmute) reminders for the open cycle; pressing twice changes nothing more.

    The membership's `muted_cycle_id` (in the cycle's instrument: muting one instrument leaves
    the others' reminders on) is the version: muting applies only while not muted for this cycle,
    unmuting only while muted for it (one conditional UPDATE each); a repeated tap raises
    `ReminderUnchanged` with the current state, so the keyboard can be redrawn to match it.
    """
    cycle = session.get(Cycle, cycle_id)
    if cycle is None or cycle.closed_at is not None:
        actor.require_focal_point()
        raise OldReminder()
    actor.within(cycle.checklist_id).require_focal_point()
    assert cycle.id is not None
    me = sa.and_(
        col(Membership.person_id) == actor.person_id,
        col(Membership.checklist_id) == cycle.checklist_id,
    )
    muted_here = col(Membership.muted_cycle_id) == cycle.id
    result = session.execute(
        sa.update(Membership)
        .where(me, sa.or_(col(Membership.muted_cycle_id).is_(None), ~muted_here))
        .values(muted_cycle_id=cycle.id)
        .execution_options(synchronize_session=False)
        if muted
        else sa.update(Membership)
        .where(me, muted_here)
        .values(muted_cycle_id=None)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ReminderUnchanged(cycle_id=cycle.id, muted=muted)
    if muted:
        deliveries.cancel_planned(
            session,
            recipient_id=actor.person_id,
            kinds=REMINDER_KINDS,
            reason="muted for this cycle",
            cycle_id=cycle.id,
        )
    return Muted(cycle.id, muted)
