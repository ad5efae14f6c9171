"""The country x norm matrix: how far each country has implemented each norm, in one cycle.

It feeds /chart (the heatmap), the matrix sheet of /export, and anyone else who needs the
regional picture per norm. The counts are those of `reads.report_counts` (one `GROUP BY` of this
cycle's answers), so the chart and the export count exactly what every screen counts; the cost
does not grow with the history, only with countries x norms x statuses.

What a cell means (see docs/exports.md):
- `items`: the items of the norm (section) in the cycle's checklist version.
- `counts`: confirmed answers per status. An answer carried over from the previous cycle
  (`Answer.baseline`) and not yet confirmed is not among them: it is `to_confirm`, as it is
  for the focal points; `skipped` items were knowingly skipped; `open` is the rest.
- `implemented`: answers with the checklist's first status (`implemented` in the ASEAN
  checklist; another instrument's first, best status in its own file).
- `not_applicable`: answers with the status `not_applicable`, when the checklist has it.
- `share` = implemented / (items - not_applicable): open items count as not implemented, so a
  country that has not answered yet shows 0%, never "no data". When every item of the norm is
  not applicable, the share is None (shown as "n/a").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Country, Cycle
from bot.services.actors import Actor
from bot.services.cycles import checklist_of, latest_cycle
from bot.services.errors import NoOpenCycle, UnknownCountry, UnknownCycle
from bot.services.reads import StateCounts, report_counts

NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class MatrixCell:
    """One country's answers to one norm (or to the whole checklist, for `MatrixRow.total`)."""

    items: int
    counts: dict[str, int] = field(default_factory=dict)
    implemented: int = 0
    not_applicable: int = 0
    skipped: int = 0
    to_confirm: int = 0

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    @property
    def open(self) -> int:
        """Items with nothing yet: the four states add up to `items`."""
        return self.items - self.answered - self.skipped - self.to_confirm

    @property
    def applicable(self) -> int:
        return self.items - self.not_applicable

    @property
    def share(self) -> float | None:
        """Implemented / applicable items, 0.0 to 1.0; None when nothing is applicable."""
        if self.applicable <= 0:
            return None
        return self.implemented / self.applicable


@dataclass(frozen=True)
class MatrixRow:
    country_code: str
    cells: tuple[MatrixCell, ...]  # one per section, in the checklist's order
    total: MatrixCell


@dataclass(frozen=True)
class ReportCycle:
    """The cycle a report is about, as plain values."""

    cycle_id: int
    title: str
    opens_at: datetime
    deadline: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class NormMatrix:
    cycle: ReportCycle
    checklist: Checklist
    section_ids: tuple[str, ...]
    rows: tuple[MatrixRow, ...]  # one per country, by country code


def report_cycle(session: Session, actor: Actor, cycle_id: int | None) -> tuple[Cycle, Actor]:
    """The cycle a chart or export is about: the one asked for, else the open one of the
    actor's instrument, else its one opened last (so a closed cycle can still be exported);
    with the actor acting in that cycle's instrument, for the access checks."""
    if cycle_id is not None:
        cycle = session.get(Cycle, cycle_id)
        if cycle is None:
            raise UnknownCycle(cycle=cycle_id)
        return cycle, actor.within(cycle.checklist_id)
    cycle = latest_cycle(session, actor.checklist_id)
    if cycle is None:
        raise NoOpenCycle()
    return cycle, actor


def cycle_values(cycle: Cycle) -> ReportCycle:
    assert cycle.id is not None and cycle.opens_at is not None
    return ReportCycle(
        cycle_id=cycle.id,
        title=cycle.title,
        opens_at=cycle.opens_at,
        deadline=cycle.deadline,
        closed_at=cycle.closed_at,
    )


def recent_cycles(session: Session, *, actor: Actor, limit: int = 10) -> list[ReportCycle]:
    """The cycles of the actor's instrument a chart or export can be asked for by number,
    newest first (any enrolled person may see which cycles exist: titles and dates only)."""
    cycles = session.exec(
        select(Cycle)
        .where(col(Cycle.checklist_id) == actor.checklist_id)
        .order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
        .limit(limit)
    ).all()
    return [cycle_values(cycle) for cycle in cycles]


def country_codes(session: Session, country_code: str | None = None) -> list[str]:
    """Every country's code in order, or just `country_code` (UnknownCountry if it is none)."""
    if country_code is not None:
        if session.get(Country, country_code) is None:
            raise UnknownCountry(country=country_code)
        return [country_code]
    return list(session.exec(select(Country.code).order_by(col(Country.code))).all())


def matrix_rows(
    session: Session, *, cycle: Cycle, checklist: Checklist, countries: list[str]
) -> tuple[MatrixRow, ...]:
    """Each country's counts per norm and overall, from `reads.report_counts`."""
    # All countries: no list of every code to bind (the same countries, from one table).
    wanted = countries if len(countries) == 1 else None
    reports = report_counts(session, cycle, checklist, wanted)
    implemented = checklist.statuses[0]
    rows = []
    for country in countries:
        report = reports[country]
        cells = tuple(
            _cell(len(section.items), report.sections[section.id], implemented)
            for section in checklist.sections
        )
        rows.append(
            MatrixRow(country, cells, _cell(len(checklist.items), report.counts, implemented))
        )
    return tuple(rows)


def _cell(items: int, counts: StateCounts, implemented: str) -> MatrixCell:
    return MatrixCell(
        items=items,
        counts=dict(counts.by_status),
        implemented=counts.by_status.get(implemented, 0),
        not_applicable=counts.by_status.get(NOT_APPLICABLE, 0),
        skipped=counts.skipped,
        to_confirm=counts.to_confirm,
    )


def norm_matrix(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    cycle_id: int | None = None,
) -> NormMatrix:
    """Countries x norms of one cycle (the open one by default); coordinators only."""
    cycle, actor = report_cycle(session, actor, cycle_id)
    actor.require_coordinator()
    checklist = checklist_of(cycle, checklists)
    assert cycle.id is not None
    rows = matrix_rows(session, cycle=cycle, checklist=checklist, countries=country_codes(session))
    return NormMatrix(
        cycle=cycle_values(cycle),
        checklist=checklist,
        section_ids=tuple(section.id for section in checklist.sections),
        rows=rows,
    )
