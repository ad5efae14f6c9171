"""Reporting cycles: which one is open, opening a new one, its deadline, closing it.

One cycle is open at a time per instrument (`open_cycle`). A coordinator opens a new cycle in
two steps: a `CycleDraft` (title, deadline, checklist version, baseline or not) that they can
adjust with buttons, then a confirm that closes the open cycle and opens the new one in one
transaction.
With a baseline, the previous cycle's answers are copied into the new cycle marked
`Answer.baseline`: they count as open until a focal point confirms or changes them, and each
copy is recorded as an `AnswerRevision` (field "copied", old value "cycle:<id>").

Deadlines are entered as a day in the coordinator's zone and stored as the end of that day,
in UTC. Days to the deadline are counted in calendar days of the reader's zone.

Buttons are idempotent: every change to a cycle is one conditional UPDATE that also bumps
`Cycle.version`, and a button carries the version it was drawn for, so a repeated tap, a
Telegram retry or a second process matches no row and changes nothing (`StaleAction`).
Which cycle of an instrument is open changes only under `_lock_open_cycle`, so two confirms at
the same moment cannot leave two cycles of one instrument open.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import (
    Answer,
    AnswerRevision,
    Awaiting,
    Country,
    CountryReport,
    Cursor,
    Cycle,
    CycleDraft,
    UTCDateTime,
)
from bot.services import audit
from bot.services.actors import Actor
from bot.services.errors import (
    DeadlinePast,
    InvalidInput,
    NoOpenCycle,
    NoSuchDay,
    StaleAction,
    TitleMissing,
    TitleTooLong,
    UnknownChecklistVersion,
)
from bot.services.evidence import copy_evidence
from bot.services.notices import CycleNotice, NoticeKind, plan_notices
from bot.services.people import Recipient, focal_point_recipients
from bot.services.reads import open_cycle as open_cycle  # moved to reads; importable here

TITLE_MAX = 120
END_OF_DAY = time(23, 59, 59)
DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _lock_open_cycle(session: Session, checklist_id: str) -> None:
    """Take turns at changing which cycle of an instrument is open, until this transaction
    ends (one lock per instrument: opening a scams cycle does not wait for the norms one).

    Closing "every open cycle" and inserting a new one are two statements: on PostgreSQL two
    confirms at once would each close the old cycle and insert their own (neither sees the
    other's uncommitted row). A transaction-scoped advisory lock serialises them. SQLite needs
    nothing: its writers already take turns (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"normsbot:open-cycle:{checklist_id}".encode())
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _change_open_cycle(
    session: Session, cycle: Cycle, seen_version: int | None, **values: object
) -> None:
    """Apply `values` to `cycle` if it is still open (and still at `seen_version`, when given).

    One conditional UPDATE with a row count check: of two taps, retries or processes, exactly
    one matches; the others raise `StaleAction`, having changed nothing.
    """
    conditions = [col(Cycle.id) == cycle.id, col(Cycle.closed_at).is_(None)]
    if seen_version is not None:
        conditions.append(col(Cycle.version) == seen_version)
    result = session.execute(
        sa.update(Cycle)
        .where(*conditions)
        .values(version=col(Cycle.version) + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise StaleAction()
    session.refresh(cycle)


def parse_day(text: str) -> date | None:
    """A day typed as YYYY-MM-DD (the one format every locale reads the same).

    None when the text is not in that form; `InvalidInput("no_such_day")` when it is but names
    no day of the calendar (2027-02-30), so the person learns which mistake they made.
    """
    text = text.strip()
    if not DAY_PATTERN.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NoSuchDay(value=text) from None


def latest_cycle(session: Session, checklist_id: str) -> Cycle | None:
    """The instrument's open cycle, else its one opened last (closed)."""
    return (
        open_cycle(session, checklist_id)
        or session.exec(
            select(Cycle)
            .where(col(Cycle.checklist_id) == checklist_id)
            .order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
        ).first()
    )


def previous_cycle(session: Session, cycle: Cycle) -> Cycle | None:
    """The cycle of the same instrument opened just before `cycle`."""
    assert cycle.opens_at is not None and cycle.id is not None
    return session.exec(
        select(Cycle)
        .where(
            col(Cycle.checklist_id) == cycle.checklist_id,
            sa.or_(
                col(Cycle.opens_at) < cycle.opens_at,
                sa.and_(col(Cycle.opens_at) == cycle.opens_at, col(Cycle.id) < cycle.id),
            ),
        )
        .order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
    ).first()


def require_open_cycle(session: Session, checklist_id: str) -> Cycle:
    """The instrument's open cycle; else `NoOpenCycle`, naming its cycle that closed last."""
    cycle = open_cycle(session, checklist_id)
    if cycle is None:
        raise no_open_cycle(session, checklist_id)
    return cycle


def no_open_cycle(session: Session, checklist_id: str) -> NoOpenCycle:
    """The refusal when an instrument has no open cycle, naming its cycle that closed last."""
    last = latest_cycle(session, checklist_id)
    return NoOpenCycle(closed_title=last.title if last else None)


def checklist_of(cycle: Cycle, checklists: ChecklistRegistry) -> Checklist:
    return checklists.get(cycle.checklist_id, cycle.checklist_version)


def ensure_first_cycle(
    session: Session,
    *,
    checklist: Checklist,
    title: str,
    deadline_days: int,
    now: datetime,
    timezone: str | None = None,
) -> Cycle:
    """Create the first open cycle for the bundled checklist, unless any cycle exists.

    Its deadline is the end of the day `deadline_days` from today in `timezone` (the
    coordinators' zone), like a deadline typed with /deadline, not a time of day. Two
    processes starting at once take turns (`_lock_open_cycle`): one creates it.
    """
    _lock_open_cycle(session, checklist.id)
    existing = session.exec(select(Cycle).order_by(col(Cycle.id))).first()
    if existing is not None:
        return open_cycle(session, checklist.id) or existing
    cycle = Cycle(
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        title=title,
        opens_at=now,
        deadline=end_of_day(_local_day(now, timezone) + timedelta(days=deadline_days), timezone),
        created_at=now,
    )
    session.add(cycle)
    session.flush()
    return cycle


# --------------------------------------------------------------------------- deadlines


def _local_day(moment: datetime, timezone: str | None) -> date:
    return moment.astimezone(ZoneInfo(timezone) if timezone else UTC).date()


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
    checklist_version: str
    item_count: int
    opens_at: datetime
    deadline: datetime | None
    closed_at: datetime | None
    baseline_title: str | None  # the cycle whose answers this one started from
    countries: int
    submitted: int
    final: int
    version: int  # what its buttons carry (see `Cycle.version`)


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
        checklist_version=cycle.checklist_version,
        item_count=item_count,
        opens_at=cycle.opens_at,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
        baseline_title=baseline.title if baseline else None,
        countries=int(countries),
        submitted=int(submitted),
        final=int(final),
        version=cycle.version,
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
    cycle = open_cycle(session, actor.checklist_id)
    info = cycle_info(session, cycle, checklists) if cycle else None
    last = latest_cycle(session, actor.checklist_id) if cycle is None else None
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
    focal_points: list[Recipient]  # told that the cycle is open (notices planned)


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise TitleMissing()
    if len(title) > TITLE_MAX:
        raise TitleTooLong(limit=TITLE_MAX)
    return title


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline <= now:
        raise DeadlinePast()


def _draft_view(session: Session, draft: CycleDraft, checklists: ChecklistRegistry) -> DraftView:
    assert draft.id is not None and draft.deadline is not None
    current = open_cycle(session, draft.checklist_id)
    source = latest_cycle(session, draft.checklist_id)
    checklist = checklists.get(draft.checklist_id, draft.checklist_version)
    return DraftView(
        draft_id=draft.id,
        title=draft.title,
        deadline=draft.deadline,
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

    The checklist is the actor's instrument, in `version` or else its latest version.
    """
    actor.require_coordinator()
    title = _clean_title(title)
    deadline = end_of_day(deadline_day, timezone)
    _check_deadline(deadline, now)
    checklist_id = actor.checklist_id
    source = latest_cycle(session, checklist_id)
    versions = checklists.versions(checklist_id)
    if version is None:
        version = versions[-1] if versions else None
    if version is None or version not in versions:
        raise UnknownChecklistVersion(value=version or "", known=tuple(versions))
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
    draft = session.get(CycleDraft, draft_id)
    if draft is None or draft.used_at is not None or draft.created_by != actor.person_id:
        actor.require_coordinator()
        raise StaleAction()
    actor.within(draft.checklist_id).require_coordinator()
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
    values: dict[str, object] = {}
    if baseline is not None:
        values["baseline"] = baseline and latest_cycle(session, draft.checklist_id) is not None
    if version_index is not None:
        versions = checklists.versions(draft.checklist_id)
        if not 0 <= version_index < len(versions):
            raise StaleAction()
        values["checklist_version"] = versions[version_index]
    if not values:
        raise StaleAction()
    # Only while unused: a toggle racing a confirm must not change a cycle already opened.
    changed = session.execute(
        sa.update(CycleDraft)
        .where(col(CycleDraft.id) == draft_id, col(CycleDraft.used_at).is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise StaleAction()
    session.refresh(draft)
    return _draft_view(session, draft, checklists)


def drop_draft(session: Session, *, actor: Actor, draft_id: int, now: datetime) -> None:
    """The coordinator cancelled: the draft's buttons stop working."""
    _own_draft(session, actor, draft_id)
    _use_draft(session, actor, draft_id, now)


def _use_draft(session: Session, actor: Actor, draft_id: int, now: datetime) -> None:
    """Mark the draft used, once: of two confirms (or a confirm and a cancel) one wins."""
    result = session.execute(
        sa.update(CycleDraft)
        .where(
            col(CycleDraft.id) == draft_id,
            col(CycleDraft.created_by) == actor.person_id,
            col(CycleDraft.used_at).is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise StaleAction()


def open_drafted_cycle(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    draft_id: int,
    now: datetime,
) -> OpenedCycle:
    """Close the open cycle and open the drafted one (copying a baseline), all at once.

    The draft is used by one conditional UPDATE (a second confirm raises `StaleAction`), and
    the open cycle is replaced under `_lock_open_cycle`: one open cycle, whoever confirms when.
    """
    draft = _own_draft(session, actor, draft_id)
    actor = actor.within(draft.checklist_id)
    _lock_open_cycle(session, draft.checklist_id)
    assert draft.deadline is not None
    _check_deadline(draft.deadline, now)
    checklist = checklists.get(draft.checklist_id, draft.checklist_version)
    _use_draft(session, actor, draft_id, now)

    source = latest_cycle(session, checklist.id)
    closed: Cycle | None = None
    for cycle in session.exec(
        select(Cycle).where(col(Cycle.closed_at).is_(None), col(Cycle.checklist_id) == checklist.id)
    ).all():
        _change_open_cycle(session, cycle, None, closed_at=now)
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
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.CYCLE_OPENED,
        now=now,
        subject=f"cycle:{cycle.id}",
        checklist_id=cycle.checklist_id,
        details={
            "checklist": checklist.id,
            "version": checklist.version,
            "deadline": draft.deadline,
            "baseline_cycle": cycle.baseline_cycle_id,
            "closed_cycle": closed.id if closed else None,
            "copied": copied,
        },
    )
    opened = OpenedCycle(
        cycle=cycle_info(session, cycle, checklists),
        closed=cycle_info(session, closed, checklists) if closed else None,
        copied=copied,
        focal_points=focal_point_recipients(session, checklist.id),
    )
    info = opened.cycle
    notice = CycleNotice(info.title, info.deadline, info.baseline_title)
    _tell(session, NoticeKind.CYCLE_OPENED, notice, opened.focal_points, info, now)
    return opened


def _tell(
    session: Session,
    kind: NoticeKind,
    notice: CycleNotice,
    recipients: list[Recipient],
    info: CycleInfo,
    now: datetime,
) -> None:
    """Plan the focal points' notice in this transaction; the sweeper sends it."""
    plan_notices(
        session,
        kind=kind,
        notice=notice,
        recipients=[recipient.person_id for recipient in recipients],
        event=f"cycle:{info.cycle_id}:v{info.version}",
        now=now,
        cycle_id=info.cycle_id,
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
    copy_evidence(session, source_cycle_id=source.id, target_cycle_id=target.id)
    return copied


# --------------------------------------------------------------------------- deadline, close


@dataclass(frozen=True)
class DeadlineMoved:
    cycle: CycleInfo
    new: datetime
    focal_points: list[Recipient]  # told the new deadline (notices planned)


def _open_cycle_for(session: Session, actor: Actor, cycle_id: int | None) -> Cycle:
    """The open cycle a coordinator acts on: a button's (`cycle_id`, in its own instrument),
    else the open cycle of the actor's instrument."""
    if cycle_id is None:
        actor.require_coordinator()
        return require_open_cycle(session, actor.checklist_id)
    pressed = session.get(Cycle, cycle_id)
    if pressed is None:
        raise StaleAction()
    actor.within(pressed.checklist_id).require_coordinator()
    cycle = require_open_cycle(session, pressed.checklist_id)
    if cycle.id != cycle_id:
        raise StaleAction()  # a button of a cycle that is no longer the open one
    return cycle


def _set_deadline(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    deadline: datetime,
    checklists: ChecklistRegistry,
    now: datetime,
    seen_version: int | None = None,
    *,
    days: int | None = None,
) -> DeadlineMoved:
    """Every way of moving the deadline (/deadline, a +N days button, a typed day) ends here:
    one conditional change of the open cycle, and one audit entry."""
    _check_deadline(deadline, now)
    old = cycle.deadline
    _change_open_cycle(session, cycle, seen_version, deadline=deadline)
    details: dict[str, object] = {"old": old, "new": deadline}
    if days is not None:
        details["days"] = days
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.DEADLINE_MOVED,
        now=now,
        subject=f"cycle:{cycle.id}",
        checklist_id=cycle.checklist_id,
        details=details,
    )
    moved = DeadlineMoved(
        cycle_info(session, cycle, checklists),
        deadline,
        focal_point_recipients(session, cycle.checklist_id),
    )
    notice = CycleNotice(moved.cycle.title, deadline)
    _tell(session, NoticeKind.DEADLINE_MOVED, notice, moved.focal_points, moved.cycle, now)
    return moved


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
    return _set_deadline(session, actor, cycle, end_of_day(day, timezone), checklists, now)


def extend_deadline(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    cycle_id: int,
    days: int,
    now: datetime,
    version: int | None = None,
) -> DeadlineMoved:
    """A "+ 1 week" button: the same time of day, `days` later.

    `version` is the cycle's version the button was drawn for (every button passes it):
    pressed twice (or retried by Telegram), the second tap finds a newer version and moves
    nothing. None only for callers without a button, such as scripts.
    """
    if not 0 < days <= 366:
        raise InvalidInput()
    cycle = _open_cycle_for(session, actor, cycle_id)
    if version is not None and cycle.version != version:
        raise StaleAction()
    base = cycle.deadline if cycle.deadline and cycle.deadline > now else now
    return _set_deadline(
        session, actor, cycle, base + timedelta(days=days), checklists, now, version, days=days
    )


def stop_awaiting_deadline(session: Session, *, actor: Actor) -> bool:
    """/cancel for a coordinator: stop waiting for the day "Other date" asked for.

    True when a day was awaited (one conditional UPDATE, so a repeated /cancel says so)."""
    actor.require_coordinator()
    cycle = open_cycle(session, actor.checklist_id)
    return cycle is not None and _stop_awaiting(session, actor, cycle)


def _stop_awaiting(session: Session, actor: Actor, cycle: Cycle) -> bool:
    """Stop waiting for the coordinator's day; True when one was awaited.

    One conditional UPDATE: of a /cancel and a typed day (or two of either) arriving
    together, exactly one finds the day awaited.
    """
    stopped = session.execute(
        sa.update(Cursor)
        .where(
            col(Cursor.person_id) == actor.person_id,
            col(Cursor.cycle_id) == cycle.id,
            col(Cursor.awaiting) == Awaiting.DEADLINE,
        )
        .values(awaiting=Awaiting.NOTHING)
    )
    return bool(stopped.rowcount)  # type: ignore[attr-defined]


def await_deadline(session: Session, *, actor: Actor) -> None:
    """The "Other date" button was pressed: the coordinator's next text is the new deadline's day.

    Kept in the coordinator's `Cursor` for the open cycle (not in memory), so a restart
    between the button and the text loses nothing, and a new cycle forgets it.
    """
    cycle = _open_cycle_for(session, actor, None)
    assert cycle.id is not None
    deadline = Awaiting.DEADLINE
    mine = (col(Cursor.person_id) == actor.person_id, col(Cursor.cycle_id) == cycle.id)
    updated = session.execute(sa.update(Cursor).where(*mine).values(awaiting=deadline))
    if updated.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():  # a double tap may insert the same row: keep either
            session.add(Cursor(person_id=actor.person_id, cycle_id=cycle.id, awaiting=deadline))
    except IntegrityError:
        pass


@dataclass(frozen=True)
class TypedDeadline:
    """What a coordinator's text did to the awaited deadline: `moved` is None when the text
    was no day at all (the bot stops waiting, so the coordinator is never stuck)."""

    moved: DeadlineMoved | None


def deadline_from_text(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    text: str,
    timezone: str | None,
    now: datetime,
) -> TypedDeadline | None:
    """A coordinator's text after "Other date": the open cycle ends at the end of that day.

    None when no day is awaited (the text is not for us). An impossible or past day raises
    `InvalidInput`; the transaction then rolls back, so the day is still awaited.
    """
    if not actor.is_coordinator:
        return None
    cycle = open_cycle(session, actor.checklist_id)
    if cycle is None:
        return None
    if not _stop_awaiting(session, actor, cycle):
        return None
    day = parse_day(text)
    if day is None:
        return TypedDeadline(None)
    moved = _set_deadline(session, actor, cycle, end_of_day(day, timezone), checklists, now)
    return TypedDeadline(moved)


def close_preview(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> CycleInfo:
    """The open cycle a coordinator is about to close (for the confirm screen)."""
    return cycle_info(session, _open_cycle_for(session, actor, None), checklists)


def close_cycle(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    cycle_id: int,
    now: datetime,
    version: int | None = None,
) -> CycleInfo:
    """Close the open cycle: its answers become read-only. The confirm button names it and
    the version it was asked for (a cycle changed since is confirmed again)."""
    cycle = _open_cycle_for(session, actor, cycle_id)
    _lock_open_cycle(session, cycle.checklist_id)
    _change_open_cycle(session, cycle, version, closed_at=now)
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.CYCLE_CLOSED,
        now=now,
        subject=f"cycle:{cycle.id}",
        checklist_id=cycle.checklist_id,
    )
    return cycle_info(session, cycle, checklists)
