"""Summaries on command: the regional picture, one country's status, and what changed.

Coordinators see every country; focal points get the same screens restricted to their own
country (nothing about another country, not even in a total). `regional_summary` answers with
a handful of aggregate queries (GROUP BY country), never row by row in Python, so it stays
fast for a region of any size with a long history.

An answer counts as *answered* when it has a status that is not an unconfirmed copy from the
previous cycle; *skipped* when it has none but was knowingly skipped. The share implemented is
taken over the items that apply (all items minus those answered "not applicable"); the first
status of a checklist is its "implemented".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Answer, AnswerRevision, Country, CountryReport, Cycle, Person, Role
from bot.services.actors import Actor
from bot.services.cycles import (
    DaysLeft,
    checklist_of,
    days_left,
    latest_cycle,
    previous_cycle,
)
from bot.services.errors import NoOpenCycle, UnknownCountry
from bot.services.submission import ReportState, report_state

NOT_APPLICABLE = "not_applicable"
RECENT_CHANGES = 10


def _summary_cycle(session: Session) -> Cycle:
    """The open cycle, else the last closed one (a summary after closing still makes sense)."""
    cycle = latest_cycle(session)
    if cycle is None:
        raise NoOpenCycle()
    return cycle


def _scope(session: Session, actor: Actor, country_code: str | None = None) -> str | None:
    """The one country the actor may see (focal points), or None for all (coordinators)."""
    if country_code is not None and session.get(Country, country_code) is None:
        raise UnknownCountry(country=country_code)
    if actor.is_coordinator:
        return country_code
    own = actor.require_focal_point()
    if country_code is not None:
        actor.require_country(country_code)
    return own


def _top_status(checklist: Checklist) -> str:
    return checklist.statuses[0]


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# --------------------------------------------------------------------------- /summary


@dataclass(frozen=True)
class CountryRow:
    country_code: str
    name: str  # as stored; views show the CLDR name in the reader's language
    timezone: str
    total: int
    answered: int
    skipped: int
    to_confirm: int
    implemented: int
    not_applicable: int
    submitted_at: datetime | None
    signed_off_at: datetime | None
    reopened_at: datetime | None
    last_activity: datetime | None
    focal_points: int
    days_left: DaysLeft | None  # in the country's own zone

    @property
    def answered_share(self) -> float:
        return _share(self.answered, self.total)

    @property
    def implemented_share(self) -> float:
        return _share(self.implemented, self.total - self.not_applicable)

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def final(self) -> bool:
        return self.signed_off_at is not None


@dataclass(frozen=True)
class RegionalSummary:
    cycle_id: int
    cycle_title: str
    checklist_id: str
    checklist_version: str
    opens_at: datetime
    deadline: datetime | None
    closed_at: datetime | None
    days_left: DaysLeft | None  # in the reader's zone
    total_items: int
    countries: list[CountryRow]  # countries behind first
    scope: str | None  # the one country shown to a focal point; None: the region

    @property
    def submitted(self) -> int:
        return sum(1 for row in self.countries if row.submitted)

    @property
    def final(self) -> int:
        return sum(1 for row in self.countries if row.final)

    @property
    def answered_share(self) -> float:
        return _share(
            sum(row.answered for row in self.countries),
            sum(row.total for row in self.countries),
        )


def behind_first(row: CountryRow) -> tuple[bool, bool, float, float]:
    """Not submitted before submitted before final; then the least answered first.

    Countries equal in all of this come in the reader's name order: the view breaks the tie
    (`bot.views.common.countries_sorted`), as only it knows the reader's language.
    """
    return (row.final, row.submitted, row.answered_share, row.implemented_share)


def regional_summary(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    now: datetime,
    timezone: str | None = None,
) -> RegionalSummary:
    """Per country: answered / total, share implemented, submitted, last activity, days left.

    Four queries whatever the region's size: countries, answers grouped by country, reports,
    focal points grouped by country. `timezone` is the reader's (default: the actor's).
    """
    scope = _scope(session, actor)
    cycle = _summary_cycle(session)
    assert cycle.id is not None and cycle.opens_at is not None
    checklist = checklist_of(cycle, checklists)
    top = _top_status(checklist)
    confirmed = col(Answer.baseline).is_(False)
    has_status = col(Answer.status).is_not(None)

    def count_if(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return func.coalesce(func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    answers = (
        sa.select(
            col(Answer.country_code),
            count_if(has_status, confirmed),
            count_if(col(Answer.status).is_(None), col(Answer.skipped).is_(True), confirmed),
            count_if(col(Answer.baseline).is_(True)),
            count_if(col(Answer.status) == top, confirmed),
            count_if(col(Answer.status) == NOT_APPLICABLE, confirmed),
            # Copies from the last cycle keep their old time: only this cycle's changes count.
            func.max(
                sa.case(
                    (col(Answer.updated_at) >= cycle.opens_at, col(Answer.updated_at)),
                    else_=None,
                )
            ),
        )
        .where(col(Answer.cycle_id) == cycle.id)
        .group_by(col(Answer.country_code))
    )
    countries = select(Country).order_by(col(Country.code))
    reports = select(CountryReport).where(col(CountryReport.cycle_id) == cycle.id)
    people = (
        select(col(Person.country_code), func.count())
        .where(col(Person.active).is_(True), col(Person.role) == Role.FOCAL_POINT.value)
        .group_by(col(Person.country_code))
    )
    if scope is not None:
        answers = answers.where(col(Answer.country_code) == scope)
        countries = countries.where(col(Country.code) == scope)
        reports = reports.where(col(CountryReport.country_code) == scope)
        people = people.where(col(Person.country_code) == scope)

    by_country = {row[0]: row[1:] for row in session.execute(answers).all()}
    report_of = {report.country_code: report for report in session.exec(reports).all()}
    focal_points = {code: int(count) for code, count in session.execute(people).all()}
    total = len(checklist.items)
    rows = []
    for country in session.exec(countries).all():
        answered, skipped, to_confirm, implemented, not_applicable, last = by_country.get(
            country.code, (0, 0, 0, 0, 0, None)
        )
        report = report_of.get(country.code)
        rows.append(
            CountryRow(
                country_code=country.code,
                name=country.name,
                timezone=country.timezone,
                total=total,
                answered=int(answered),
                skipped=int(skipped),
                to_confirm=int(to_confirm),
                implemented=int(implemented),
                not_applicable=int(not_applicable),
                submitted_at=report.submitted_at if report else None,
                signed_off_at=report.signed_off_at if report else None,
                reopened_at=report.reopened_at if report else None,
                last_activity=last,
                focal_points=focal_points.get(country.code, 0),
                days_left=days_left(cycle.deadline, now, country.timezone)
                if cycle.deadline and cycle.closed_at is None
                else None,
            )
        )
    rows.sort(key=behind_first)
    zone = timezone or actor.timezone
    return RegionalSummary(
        cycle_id=cycle.id,
        cycle_title=cycle.title,
        checklist_id=cycle.checklist_id,
        checklist_version=cycle.checklist_version,
        opens_at=cycle.opens_at,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
        days_left=days_left(cycle.deadline, now, zone)
        if cycle.deadline and cycle.closed_at is None
        else None,
        total_items=total,
        countries=rows,
        scope=scope,
    )


# --------------------------------------------------------------------------- /status


@dataclass(frozen=True)
class NormStatus:
    section_id: str
    total: int
    by_status: dict[str, int]
    open: int  # neither a status nor skipped
    skipped: int
    to_confirm: int

    @property
    def answered(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class OpenItem:
    item_id: str
    skipped: bool
    to_confirm: bool


@dataclass(frozen=True)
class Change:
    item_id: str
    field: str  # "status", "comment", "evidence", "skipped", "baseline" (confirmed)
    old_value: str | None
    new_value: str | None
    changed_by: str | None
    changed_at: datetime


@dataclass(frozen=True)
class CountryStatus:
    cycle_id: int
    cycle_title: str
    deadline: datetime | None
    closed_at: datetime | None
    days_left: DaysLeft | None  # in the reader's zone
    checklist: Checklist
    country_code: str
    total: int
    by_status: dict[str, int]
    norms: list[NormStatus]
    open_items: list[OpenItem]  # in checklist order
    recent: list[Change]  # newest first
    report: ReportState
    focal_points: int

    @property
    def answered(self) -> int:
        return sum(self.by_status.values())


def country_status(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    country_code: str | None,
    now: datetime,
    timezone: str | None = None,
) -> CountryStatus:
    """Per norm: counts by status and what is still open; the latest changes; the report.

    `country_code` None means the actor's own country (focal points); coordinators name one.
    """
    code = country_code.upper() if country_code else None
    if code is None:
        code = actor.require_focal_point() if not actor.is_coordinator else None
        if code is None:
            raise UnknownCountry(country="")
    scope = _scope(session, actor, code)
    assert scope is not None
    cycle = _summary_cycle(session)
    assert cycle.id is not None
    checklist = checklist_of(cycle, checklists)
    answers = {
        answer.item_id: answer
        for answer in session.exec(
            select(Answer).where(Answer.cycle_id == cycle.id, Answer.country_code == scope)
        ).all()
    }
    norms, open_items = [], []
    totals: Counter[str] = Counter()
    for section in checklist.sections:
        counts: Counter[str] = Counter()
        open_count = skipped = to_confirm = 0
        for item in section.items:
            answer = answers.get(item.id)
            if answer is not None and answer.status is not None and not answer.baseline:
                counts[answer.status] += 1
                continue
            is_copy = bool(answer and answer.baseline)
            is_skipped = bool(answer and answer.skipped and not is_copy)
            open_items.append(OpenItem(item.id, is_skipped, is_copy))
            to_confirm += is_copy
            skipped += is_skipped
            open_count += not (is_copy or is_skipped)
        totals.update(counts)
        norms.append(
            NormStatus(
                section.id, len(section.items), dict(counts), open_count, skipped, to_confirm
            )
        )
    revisions = session.exec(
        select(AnswerRevision, Person)
        .join(Person, col(Person.id) == col(AnswerRevision.changed_by), isouter=True)
        .where(
            col(AnswerRevision.cycle_id) == cycle.id,
            col(AnswerRevision.country_code) == scope,
            col(AnswerRevision.field) != "copied",
        )
        .order_by(col(AnswerRevision.changed_at).desc(), col(AnswerRevision.id).desc())
        .limit(RECENT_CHANGES)
    ).all()
    recent = []
    for revision, person in revisions:
        assert revision.changed_at is not None
        recent.append(
            Change(
                revision.item_id,
                revision.field,
                revision.old_value,
                revision.new_value,
                person.display_name if person else None,
                revision.changed_at,
            )
        )
    focal_points = session.execute(
        select(func.count()).where(
            col(Person.active).is_(True),
            col(Person.role) == Role.FOCAL_POINT.value,
            col(Person.country_code) == scope,
        )
    ).scalar_one()
    zone = timezone or actor.timezone
    return CountryStatus(
        cycle_id=cycle.id,
        cycle_title=cycle.title,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
        days_left=days_left(cycle.deadline, now, zone)
        if cycle.deadline and cycle.closed_at is None
        else None,
        checklist=checklist,
        country_code=scope,
        total=len(checklist.items),
        by_status=dict(totals),
        norms=norms,
        open_items=open_items,
        recent=recent,
        report=report_state(session, cycle.id, scope),
        focal_points=int(focal_points),
    )


# --------------------------------------------------------------------------- /compare


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    old_status: str | None
    new_status: str | None


@dataclass(frozen=True)
class NormComparison:
    section_id: str
    implemented_before: int
    implemented_now: int
    changes: list[ItemChange]


@dataclass(frozen=True)
class CountryComparison:
    country_code: str
    answered_before: int
    answered_now: int
    implemented_before: int
    implemented_now: int
    unconfirmed: int  # copies from the previous cycle nobody confirmed yet
    norms: list[NormComparison]  # only norms where something changed

    @property
    def changes(self) -> int:
        return sum(len(norm.changes) for norm in self.norms)


@dataclass(frozen=True)
class Comparison:
    cycle_id: int
    cycle_title: str
    previous_id: int | None
    previous_title: str | None
    checklist: Checklist
    top_status: str
    new_items: list[str]  # in this cycle's checklist, not in the previous one's
    countries: list[CountryComparison] = field(default_factory=list)


def compare_cycles(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    now: datetime,
) -> Comparison:
    """Status changes between the open (or last) cycle and the one before, per country and norm.

    An answer copied as a baseline and not yet confirmed equals the previous one: no change.
    Items are matched by id, so a new checklist version compares on the items both share.
    """
    scope = _scope(session, actor)
    cycle = _summary_cycle(session)
    assert cycle.id is not None
    checklist = checklist_of(cycle, checklists)
    previous = previous_cycle(session, cycle)
    result = Comparison(
        cycle_id=cycle.id,
        cycle_title=cycle.title,
        previous_id=previous.id if previous else None,
        previous_title=previous.title if previous else None,
        checklist=checklist,
        top_status=_top_status(checklist),
        new_items=[],
    )
    if previous is None:
        return result
    try:
        previous_items = {item.id for item in checklist_of(previous, checklists).items}
    except KeyError:
        previous_items = {item.id for item in checklist.items}
    result.new_items.extend(item.id for item in checklist.items if item.id not in previous_items)

    query = select(
        col(Answer.cycle_id), col(Answer.country_code), col(Answer.item_id), col(Answer.status)
    ).where(
        col(Answer.cycle_id).in_([cycle.id, previous.id]),
        col(Answer.status).is_not(None),
    )
    countries_query = select(col(Country.code)).order_by(col(Country.code))
    if scope is not None:
        query = query.where(col(Answer.country_code) == scope)
        countries_query = countries_query.where(col(Country.code) == scope)
    before: dict[str, dict[str, str | None]] = defaultdict(dict)
    now_status: dict[str, dict[str, str | None]] = defaultdict(dict)
    # Plain rows (no ORM objects): two cycles of a large region are many thousand rows.
    for cycle_id, country, item_id, status in session.connection().execute(query):
        (now_status if cycle_id == cycle.id else before)[country][item_id] = status
    unconfirmed = dict(
        session.execute(
            select(col(Answer.country_code), func.count())
            .where(col(Answer.cycle_id) == cycle.id, col(Answer.baseline).is_(True))
            .group_by(col(Answer.country_code))
        ).all()
    )
    top = result.top_status
    sections = [
        (
            section.id,
            [item.id for item in section.items if item.id in previous_items],
            [item.id for item in section.items],
        )
        for section in checklist.sections
    ]
    for code in session.exec(countries_query).all():
        old, new = before.get(code, {}), now_status.get(code, {})
        norms = []
        for section_id, shared, items in sections:
            changes = [
                ItemChange(item_id, old.get(item_id), new.get(item_id))
                for item_id in shared
                # Not yet answered in this cycle is not a change, only an open item.
                if new.get(item_id) is not None and old.get(item_id) != new.get(item_id)
            ]
            implemented_before = sum(1 for item_id in shared if old.get(item_id) == top)
            implemented_now = sum(1 for item_id in items if new.get(item_id) == top)
            if changes or implemented_before != implemented_now:
                norms.append(
                    NormComparison(section_id, implemented_before, implemented_now, changes)
                )
        result.countries.append(
            CountryComparison(
                country_code=code,
                answered_before=len(old),
                answered_now=len(new),
                implemented_before=sum(1 for status in old.values() if status == top),
                implemented_now=sum(1 for status in new.values() if status == top),
                unconfirmed=int(unconfirmed.get(code, 0)),
                norms=norms,
            )
        )
    return result
