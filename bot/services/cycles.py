"""Reporting cycles: which one is open, opening a new one, its deadline, closing it.

One cycle is open at a time (`open_cycle`). A coordinator opens a new cycle in two steps: a
`CycleDraft` (title, deadline, checklist version, baseline or not) that they can adjust with
buttons, then a confirm that closes the open cycle and opens the new one in one transaction.
With a baseline, the previous cycle's answers are copied into the new cycle marked
`Answer.baseline`: they count as open until a focal point confirms or changes them, and each
copy is recorded as an `AnswerRevision` (field "copied", old value "cycle:<id>").

Deadlines are entered as a day in the coordinator's zone and stored as the end of that day,
in UTC. Days to the deadline are counted in calendar days of the reader's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import (
    Answer,
    AnswerRevision,
    Country,
    CountryReport,
    Cycle,
    CycleDraft,
    UTCDateTime,
)
from bot.services.actors import Actor
from bot.services.errors import InvalidInput, NoOpenCycle, StaleAction
from bot.services.people import Recipient, focal_point_recipients
from bot.services.reads import open_cycle as open_cycle  # moved to reads; importable here

TITLE_MAX = 120
END_OF_DAY = time(23, 59, 59)


def latest_cycle(session: Session) -> Cycle | None:
    """The open cycle, else the one opened last (closed)."""
    return (
        open_cycle(session)
        or session.exec(
            select(Cycle).order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
        ).first()
    )


def previous_cycle(session: Session, cycle: Cycle) -> Cycle | None:
    """The cycle opened just before `cycle`."""
    assert cycle.opens_at is not None and cycle.id is not None
    return session.exec(
        select(Cycle)
        .where(
            sa.or_(
                col(Cycle.opens_at) < cycle.opens_at,
                sa.and_(col(Cycle.opens_at) == cycle.opens_at, col(Cycle.id) < cycle.id),
            )
        )
        .order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
    ).first()


def require_open_cycle(session: Session) -> Cycle:
    """The open cycle; else `NoOpenCycle`, naming the cycle that closed last (if any)."""
    cycle = open_cycle(session)
    if cycle is None:
        last = latest_cycle(session)
        raise NoOpenCycle(closed_title=last.title if last else None)
    return cycle


def checklist_of(cycle: Cycle, checklists: ChecklistRegistry) -> Checklist:
    return checklists.get(cycle.checklist_id, cycle.checklist_version)


def ensure_first_cycle(
    session: Session, *, checklist: Checklist, title: str, deadline_days: int, now: datetime
) -> Cycle:
    """Create the first open cycle for the bundled checklist, unless any cycle exists."""
    existing = session.exec(select(Cycle).order_by(col(Cycle.id))).first()
    if existing is not None:
        return open_cycle(session) or existing
    cycle = Cycle(
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        title=title,
        opens_at=now,
        deadline=now + timedelta(days=deadline_days),
        created_at=now,
    )
    session.add(cycle)
    session.flush()
    return cycle


# --------------------------------------------------------------------------- deadlines


def end_of_day(day: date, timezone: str | None) -> datetime:
    """The last second of `day` in the zone, as an aware UTC time (what a deadline stores)."""
    zone = ZoneInfo(timezone) if timezone else UTC
    return datetime.combine(day, END_OF_DAY, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class DaysLeft:
    """Calendar days from today to the deadline's day in one zone; `passed` once it is over.

    `days` is 0 on the deadline's own day and negative after it (-2: two days ago).
    """

    days: int
    passed: bool


def days_left(deadline: datetime, now: datetime, timezone: str | None) -> DaysLeft:
    zone = ZoneInfo(timezone) if timezone else UTC
    days = (deadline.astimezone(zone).date() - now.astimezone(zone).date()).days
    passed = now >= deadline
    return DaysLeft(min(days, 0) if passed else days, passed)


# --------------------------------------------------------------------------- the overview


@dataclass(frozen=True)
class CycleInfo:
    cycle_id: int
    title: str
    checklist_id: str
    checklist_version: str
    item_count: int
    opens_at: datetime
    deadline: datetime | None
    closed_at: datetime | None
    baseline_title: str | None  # the cycle whose answers this one started from
    countries: int
    submitted: int
    final: int


@dataclass(frozen=True)
class CycleOverview:
    """What /cycle shows: the open cycle (or none, and the last closed one)."""

    cycle: CycleInfo | None
    last_closed: CycleInfo | None
    can_manage: bool
    days_left: DaysLeft | None
    own_country: str | None
    own_submitted_at: datetime | None
    own_signed_off_at: datetime | None


def cycle_info(session: Session, cycle: Cycle, checklists: ChecklistRegistry) -> CycleInfo:
    assert cycle.id is not None and cycle.opens_at is not None
    baseline = session.get(Cycle, cycle.baseline_cycle_id) if cycle.baseline_cycle_id else None
    submitted, final = session.execute(
        select(
            func.count(col(CountryReport.submitted_at)),
            func.count(col(CountryReport.signed_off_at)),
        ).where(CountryReport.cycle_id == cycle.id)
    ).one()
    countries = session.exec(select(func.count()).select_from(Country)).one()
    try:
        item_count = len(checklist_of(cycle, checklists).items)
    except KeyError:  # a checklist file removed from the folder: still show the cycle
        item_count = 0
    return CycleInfo(
        cycle_id=cycle.id,
        title=cycle.title,
        checklist_id=cycle.checklist_id,
        checklist_version=cycle.checklist_version,
        item_count=item_count,
        opens_at=cycle.opens_at,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
        baseline_title=baseline.title if baseline else None,
        countries=int(countries),
        submitted=int(submitted),
        final=int(final),
    )


def cycle_overview(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    now: datetime,
    timezone: str | None = None,
) -> CycleOverview:
    """The open cycle for anyone enrolled; coordinators also get what they can change."""
    if not actor.is_coordinator:
        actor.require_focal_point()
    zone = timezone or actor.timezone
    cycle = open_cycle(session)
    info = cycle_info(session, cycle, checklists) if cycle else None
    last = latest_cycle(session) if cycle is None else None
    report = None
    if cycle is not None and actor.country_code and not actor.is_coordinator:
        report = session.exec(
            select(CountryReport).where(
                CountryReport.cycle_id == cycle.id,
                CountryReport.country_code == actor.country_code,
            )
        ).first()
    return CycleOverview(
        cycle=info,
        last_closed=cycle_info(session, last, checklists) if last else None,
        can_manage=actor.is_coordinator,
        days_left=days_left(cycle.deadline, now, zone) if cycle and cycle.deadline else None,
        own_country=None if actor.is_coordinator else actor.country_code,
        own_submitted_at=report.submitted_at if report else None,
        own_signed_off_at=report.signed_off_at if report else None,
    )


# --------------------------------------------------------------------------- a new cycle


@dataclass(frozen=True)
class DraftView:
    """A new cycle about to be opened, as the confirm screen shows it."""

    draft_id: int
    title: str
    deadline: datetime
    checklist_id: str
    checklist_version: str
    versions: tuple[str, ...]
    item_count: int
    baseline: bool
    baseline_from: str | None  # the title of the cycle a baseline would copy
    closes: CycleInfo | None  # the open cycle that opening this one closes


@dataclass(frozen=True)
class OpenedCycle:
    cycle: CycleInfo
    closed: CycleInfo | None
    copied: int  # answers copied as a baseline
    focal_points: list[Recipient]  # to be told that the cycle is open


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput(what="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(what="title_long", limit=TITLE_MAX)
    return title


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise InvalidInput(what="deadline_past")


def _draft_view(session: Session, draft: CycleDraft, checklists: ChecklistRegistry) -> DraftView:
    assert draft.id is not None and draft.deadline is not None
    current = open_cycle(session)
    source = latest_cycle(session)
    checklist = checklists.get(draft.checklist_id, draft.checklist_version)
    return DraftView(
        draft_id=draft.id,
        title=draft.title,
        deadline=draft.deadline,
        checklist_id=draft.checklist_id,
        checklist_version=draft.checklist_version,
        versions=checklists.versions(draft.checklist_id),
        item_count=len(checklist.items),
        baseline=draft.baseline and source is not None,
        baseline_from=source.title if source else None,
        closes=cycle_info(session, current, checklists) if current else None,
    )


def draft_cycle(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    title: str,
    deadline_day: date,
    timezone: str | None,
    now: datetime,
    version: str | None = None,
    baseline: bool = False,
) -> DraftView:
    """Prepare a new cycle; nothing changes for anyone until `open_drafted_cycle`.

    The checklist is the open (or last) cycle's, in `version` or else its latest version.
    """
    actor.require_coordinator()
    title = _clean_title(title)
    deadline = end_of_day(deadline_day, timezone)
    _check_deadline(deadline, now)
    source = latest_cycle(session)
    checklist_id = source.checklist_id if source else checklists.DEFAULT_ID
    versions = checklists.versions(checklist_id)
    if version is None:
        version = versions[-1] if versions else None
    if version is None or version not in versions:
        raise InvalidInput(what="checklist_version", value=version or "", known=list(versions))
    draft = CycleDraft(
        created_by=actor.person_id,
        title=title,
        deadline=deadline,
        checklist_id=checklist_id,
        checklist_version=version,
        baseline=baseline and source is not None,
        created_at=now,
    )
    session.add(draft)
    session.flush()
    return _draft_view(session, draft, checklists)


def _own_draft(session: Session, actor: Actor, draft_id: int) -> CycleDraft:
    actor.require_coordinator()
    draft = session.get(CycleDraft, draft_id)
    if draft is None or draft.used_at is not None or draft.created_by != actor.person_id:
        raise StaleAction()
    return draft


def adjust_draft(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    draft_id: int,
    now: datetime,
    baseline: bool | None = None,
    version_index: int | None = None,
) -> DraftView:
    """Switch the baseline on or off, or choose another checklist version (buttons).

    `version_index` counts in `DraftView.versions` (oldest first).
    """
    draft = _own_draft(session, actor, draft_id)
    if baseline is not None:
        draft.baseline = baseline and latest_cycle(session) is not None
    if version_index is not None:
        versions = checklists.versions(draft.checklist_id)
        if not 0 <= version_index < len(versions):
            raise StaleAction()
        draft.checklist_version = versions[version_index]
    session.add(draft)
    session.flush()
    return _draft_view(session, draft, checklists)


def drop_draft(session: Session, *, actor: Actor, draft_id: int, now: datetime) -> None:
    """The coordinator cancelled: the draft's buttons stop working."""
    draft = _own_draft(session, actor, draft_id)
    draft.used_at = now
    session.add(draft)


def open_drafted_cycle(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    draft_id: int,
    now: datetime,
) -> OpenedCycle:
    """Close the open cycle and open the drafted one (copying a baseline), all at once."""
    draft = _own_draft(session, actor, draft_id)
    assert draft.deadline is not None
    _check_deadline(draft.deadline, now)
    checklist = checklists.get(draft.checklist_id, draft.checklist_version)
    draft.used_at = now
    session.add(draft)

    source = latest_cycle(session)
    closed: Cycle | None = None
    for cycle in session.exec(select(Cycle).where(col(Cycle.closed_at).is_(None))).all():
        cycle.closed_at = now
        session.add(cycle)
        closed = closed or cycle
    cycle = Cycle(
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        title=draft.title,
        opens_at=now,
        deadline=draft.deadline,
        baseline_cycle_id=source.id if draft.baseline and source else None,
        created_by=actor.person_id,
        created_at=now,
    )
    session.add(cycle)
    session.flush()
    copied = 0
    if draft.baseline and source is not None:
        copied = copy_baseline(
            session, source=source, target=cycle, checklist=checklist, by=actor.person_id, now=now
        )
    return OpenedCycle(
        cycle=cycle_info(session, cycle, checklists),
        closed=cycle_info(session, closed, checklists) if closed else None,
        copied=copied,
        focal_points=focal_point_recipients(session),
    )


def copy_baseline(
    session: Session, *, source: Cycle, target: Cycle, checklist: Checklist, by: int, now: datetime
) -> int:
    """Copy every answer with a status from `source` into `target`, marked `baseline`.

    Two INSERT ... SELECT statements (answers, then one revision per copied answer), so a
    region of any size is copied inside the database. Items the target's checklist version
    no longer has are left behind; author and time stay those of the original answer.
    """
    assert source.id is not None and target.id is not None
    item_ids = [item.id for item in checklist.items]
    columns = (
        "cycle_id",
        "country_code",
        "item_id",
        "status",
        "skipped",
        "comment",
        "evidence_kind",
        "evidence_url",
        "evidence_file_id",
        "evidence_file_name",
        "updated_by",
        "updated_at",
        "version",
        "baseline",
    )
    answers = sa.select(
        sa.literal(target.id, sa.Integer),
        col(Answer.country_code),
        col(Answer.item_id),
        col(Answer.status),
        sa.false(),
        col(Answer.comment),
        col(Answer.evidence_kind),
        col(Answer.evidence_url),
        col(Answer.evidence_file_id),
        col(Answer.evidence_file_name),
        col(Answer.updated_by),
        col(Answer.updated_at),
        sa.literal(0, sa.Integer),
        sa.true(),
    ).where(
        col(Answer.cycle_id) == source.id,
        col(Answer.status).is_not(None),
        col(Answer.item_id).in_(item_ids),
    )
    session.execute(sa.insert(Answer).from_select(columns, answers))
    # Counted, not taken from rowcount: drivers differ on INSERT ... SELECT (psycopg: -1).
    copied = session.exec(
        select(func.count()).where(col(Answer.cycle_id) == target.id, col(Answer.baseline))
    ).one()
    revisions = sa.select(
        col(Answer.id),
        col(Answer.cycle_id),
        col(Answer.country_code),
        col(Answer.item_id),
        sa.cast(sa.literal("copied"), sa.String),
        sa.cast(sa.literal(f"cycle:{source.id}"), sa.String),
        col(Answer.status),
        sa.literal(by, sa.Integer),
        sa.literal(now, UTCDateTime()),
    ).where(col(Answer.cycle_id) == target.id, col(Answer.baseline).is_(True))
    session.execute(
        sa.insert(AnswerRevision).from_select(
            (
                "answer_id",
                "cycle_id",
                "country_code",
                "item_id",
                "field",
                "old_value",
                "new_value",
                "changed_by",
                "changed_at",
            ),
            revisions,
        )
    )
    return copied


# --------------------------------------------------------------------------- deadline, close


@dataclass(frozen=True)
class DeadlineMoved:
    cycle: CycleInfo
    old: datetime | None
    new: datetime
    focal_points: list[Recipient]  # to be told the new deadline


def _open_cycle_for(session: Session, actor: Actor, cycle_id: int | None) -> Cycle:
    actor.require_coordinator()
    cycle = require_open_cycle(session)
    if cycle_id is not None and cycle.id != cycle_id:
        raise StaleAction()  # a button of a cycle that is no longer the open one
    return cycle


def _set_deadline(
    session: Session, cycle: Cycle, deadline: datetime, checklists: ChecklistRegistry, now: datetime
) -> DeadlineMoved:
    _check_deadline(deadline, now)
    old = cycle.deadline
    cycle.deadline = deadline
    session.add(cycle)
    session.flush()
    return DeadlineMoved(
        cycle_info(session, cycle, checklists), old, deadline, focal_point_recipients(session)
    )


def move_deadline(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    day: date,
    timezone: str | None,
    now: datetime,
) -> DeadlineMoved:
    """/deadline YYYY-MM-DD: the open cycle ends at the end of that day in `timezone`."""
    cycle = _open_cycle_for(session, actor, None)
    return _set_deadline(session, cycle, end_of_day(day, timezone), checklists, now)


def extend_deadline(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    cycle_id: int,
    days: int,
    now: datetime,
) -> DeadlineMoved:
    """A "+ 1 week" button: the same time of day, `days` later."""
    if not 0 < days <= 366:
        raise InvalidInput(what="days")
    cycle = _open_cycle_for(session, actor, cycle_id)
    base = cycle.deadline if cycle.deadline and cycle.deadline > now else now
    return _set_deadline(session, cycle, base + timedelta(days=days), checklists, now)


def close_preview(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> CycleInfo:
    """The open cycle a coordinator is about to close (for the confirm screen)."""
    return cycle_info(session, _open_cycle_for(session, actor, None), checklists)


def close_cycle(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, cycle_id: int, now: datetime
) -> CycleInfo:
    """Close the open cycle: its answers become read-only. The confirm button names it."""
    cycle = _open_cycle_for(session, actor, cycle_id)
    cycle.closed_at = now
    session.add(cycle)
    session.flush()
    return cycle_info(session, cycle, checklists)
