"""Summaries on command: the regional picture, one country's status, and what changed.

Coordinators see every country; focal points get the same screens restricted to their own
country (nothing about another country, not even in a total). `regional_summary` answers with
a handful of aggregate queries (GROUP BY country), never row by row in Python, so it stays
fast for a region of any size with a long history.

Every count comes from `reads` (`report_counts`, one query for the whole region): an item is
answered, skipped, to confirm (copied from the previous cycle, not yet confirmed) or open, and
nothing else. The share implemented is taken over the items that apply (all items minus those
answered "not applicable"); the first status of a checklist is its "implemented".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, func, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import AnswerRevision, Country, CountryReport, Cycle, Person, Role
from bot.services.actors import Actor
from bot.services.cycles import (
    DaysLeft,
    checklist_of,
    days_left,
    latest_cycle,
    previous_cycle,
)
from bot.services.errors import NoOpenCycle, UnknownCountry
from bot.services.reads import (
    ItemState,
    ReportStates,
    country_report,
    holding,
    report_counts,
    report_states,
)
from bot.services.submission import ReportState, report_state

NOT_APPLICABLE = "not_applicable"
RECENT_CHANGES = 10


def _summary_cycle(session: Session, actor: Actor) -> Cycle:
    """The open cycle of the actor's instrument, else its last closed one (a summary after
    closing still makes sense)."""
    cycle = latest_cycle(session, actor.checklist_id)
    if cycle is None:
        raise NoOpenCycle()
    return cycle


def visible_country(session: Session, actor: Actor, country_code: str | None = None) -> str | None:
    """The one country the actor may see (focal points, national leads: their own), or None
    for all (coordinators; or the one they name): the rule every country-wide read follows."""
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
    total: int
    answered: int
    skipped: int
    to_confirm: int
    implemented: int
    not_applicable: int
    submitted_at: datetime | None
    signed_off_at: datetime | None
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
    cycle_title: str
    deadline: datetime | None
    closed_at: datetime | None
    days_left: DaysLeft | None  # in the reader's zone
    countries: list[CountryRow]  # countries behind first
    scope: str | None  # the one country shown to a focal point; None: the region
    checklist: Checklist | None = None  # the cycle's: names the instrument

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

    Four queries whatever the region's size: countries, the answers counted per state
    (`reads.report_counts`), reports, focal points grouped by country. `timezone` is the
    reader's (default: the actor's).
    """
    scope = visible_country(session, actor)
    cycle = _summary_cycle(session, actor)
    assert cycle.id is not None and cycle.opens_at is not None
    checklist = checklist_of(cycle, checklists)
    top = _top_status(checklist)
    countries = select(Country).order_by(col(Country.code))
    reports = select(CountryReport).where(col(CountryReport.cycle_id) == cycle.id)
    people = (
        select(col(Person.country_code), func.count())
        .where(col(Person.active).is_(True), holding(cycle.checklist_id, Role.FOCAL_POINT))
        .group_by(col(Person.country_code))
    )
    if scope is not None:
        countries = countries.where(col(Country.code) == scope)
        reports = reports.where(col(CountryReport.country_code) == scope)
        people = people.where(col(Person.country_code) == scope)

    country_rows = session.exec(countries).all()
    # Every country's counts in one query (no list of 193 codes to bind for coordinators).
    states = report_counts(
        session, cycle, checklist, None if scope is None else [scope], per_section=False
    )
    report_of = {report.country_code: report for report in session.exec(reports).all()}
    focal_points = {code: int(count) for code, count in session.execute(people).all()}
    total = len(checklist.items)
    rows = []
    for country in country_rows:
        own_states = states.get(country.code)
        if own_states is None:  # a country added between the two reads
            continue
        counts = own_states.counts
        report = report_of.get(country.code)
        rows.append(
            CountryRow(
                country_code=country.code,
                total=total,
                answered=counts.answered,
                skipped=counts.skipped,
                to_confirm=counts.to_confirm,
                implemented=counts.by_status.get(top, 0),
                not_applicable=counts.by_status.get(NOT_APPLICABLE, 0),
                submitted_at=report.submitted_at if report else None,
                signed_off_at=report.signed_off_at if report else None,
                last_activity=own_states.last_change,
                focal_points=focal_points.get(country.code, 0),
                days_left=_days_left(cycle, now, country.timezone),
            )
        )
    rows.sort(key=behind_first)
    zone = timezone or actor.timezone
    return RegionalSummary(
        cycle_title=cycle.title,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
        days_left=_days_left(cycle, now, zone),
        countries=rows,
        scope=scope,
        checklist=checklist,
    )


def _days_left(cycle: Cycle, now: datetime, timezone: str | None) -> DaysLeft | None:
    """Days to the deadline in `timezone`; None without a deadline or once the cycle closed."""
    if cycle.deadline is None or cycle.closed_at is not None:
        return None
    return days_left(cycle.deadline, now, timezone)


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
    """An item that keeps the report from /submit: open, or a copy to confirm."""

    item_id: str
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
    cycle_title: str
    deadline: datetime | None
    closed_at: datetime | None
    days_left: DaysLeft | None  # in the reader's zone
    checklist: Checklist
    country_code: str
    total: int
    by_status: dict[str, int]
    norms: list[NormStatus]
    open_items: list[OpenItem]  # open and to confirm, in checklist order (as /submit lists)
    recent: list[Change]  # newest first
    report: ReportState
    focal_points: int
    skipped_items: list[str] = field(default_factory=list)  # in checklist order

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
    scope = visible_country(session, actor, code)
    assert scope is not None
    cycle = _summary_cycle(session, actor)
    assert cycle.id is not None
    checklist = checklist_of(cycle, checklists)
    states = country_report(session, cycle, checklist, scope)
    norms = [
        NormStatus(
            section.id,
            len(section.items),
            states.sections[section.id].by_status,
            states.sections[section.id].open,
            states.sections[section.id].skipped,
            states.sections[section.id].to_confirm,
        )
        for section in checklist.sections
    ]
    open_items = [
        OpenItem(item.item_id, item.state is ItemState.TO_CONFIRM)
        for item in states.items
        if item.state in (ItemState.OPEN, ItemState.TO_CONFIRM)
    ]
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
            holding(cycle.checklist_id, Role.FOCAL_POINT),
            col(Person.country_code) == scope,
        )
    ).scalar_one()
    zone = timezone or actor.timezone
    return CountryStatus(
        cycle_title=cycle.title,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
        days_left=_days_left(cycle, now, zone),
        checklist=checklist,
        country_code=scope,
        total=states.counts.total,
        by_status=states.counts.by_status,
        norms=norms,
        open_items=open_items,
        recent=recent,
        report=report_state(session, cycle.id, scope),
        focal_points=int(focal_points),
        skipped_items=states.item_ids(ItemState.SKIPPED),
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
    cycle_title: str
    previous_title: str | None
    checklist: Checklist
    top_status: str
    new_items: list[str]  # in this cycle's checklist, not in the previous one's
    countries: list[CountryComparison] = field(default_factory=list)


def _answered(report: ReportStates) -> dict[str, str | None]:
    """The answered items' statuses (copies to confirm, skipped and open items left out)."""
    return {item.item_id: item.status for item in report.items if item.state is ItemState.ANSWERED}


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
    scope = visible_country(session, actor)
    cycle = _summary_cycle(session, actor)
    assert cycle.id is not None
    checklist = checklist_of(cycle, checklists)
    previous = previous_cycle(session, cycle)
    result = Comparison(
        cycle_title=cycle.title,
        previous_title=previous.title if previous else None,
        checklist=checklist,
        top_status=_top_status(checklist),
        new_items=[],
    )
    if previous is None:
        return result
    try:
        previous_checklist = checklist_of(previous, checklists)
    except KeyError:  # its checklist file was removed: read its answers against this one's
        previous_checklist = checklist
    previous_items = {item.id for item in previous_checklist.items}
    result.new_items.extend(item.id for item in checklist.items if item.id not in previous_items)

    countries_query = select(col(Country.code)).order_by(col(Country.code))
    if scope is not None:
        countries_query = countries_query.where(col(Country.code) == scope)
    codes = list(session.exec(countries_query).all())
    # The same states as everywhere: a copy not yet confirmed is not an answer of this cycle.
    now_states = report_states(session, cycle, checklist, codes)
    before_states = report_states(session, previous, previous_checklist, codes)
    top = result.top_status
    sections = [
        (
            section.id,
            [item.id for item in section.items if item.id in previous_items],
            [item.id for item in section.items],
        )
        for section in checklist.sections
    ]
    for code in codes:
        old, new = _answered(before_states[code]), _answered(now_states[code])
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
            # Only norms with a changed item: an item still open (or a copy not yet
            # confirmed) lowers "implemented now", but it is not a change.
            if changes:
                norms.append(
                    NormComparison(section_id, implemented_before, implemented_now, changes)
                )
        result.countries.append(
            CountryComparison(
                country_code=code,
                answered_before=before_states[code].counts.answered,
                answered_now=now_states[code].counts.answered,
                implemented_before=before_states[code].counts.by_status.get(top, 0),
                implemented_now=now_states[code].counts.by_status.get(top, 0),
                unconfirmed=now_states[code].counts.to_confirm,
                norms=norms,
            )
        )
    return result
