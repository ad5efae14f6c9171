"""/report: what a country's report for one instrument holds, for the PDF a national lead signs.

`build_report` reads, in one transaction, everything the document shows: the cycle of the
instrument (the open one, else the one opened last), where the report stands (`submission.
report_state`), the counts per theme (`reads.country_report`) and every item's answer with its
comment and evidence (`exports.answer_rows`). Nothing here counts or classifies on its own: the
PDF says what /status, /submit and /export say. `build_blank` is the same document without a
country: the questions only, to circulate between ministries before anyone answers.

The result is plain, picklable data: `bot/views/national_report.py` translates it and
`bot/services/pdf.py` lays it out in a worker process.

Who may ask: a focal point or national lead for their own country, a coordinator for the
country they name; the blank questionnaire anyone enrolled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Country, Cycle
from bot.services.actors import Actor
from bot.services.cycles import checklist_of
from bot.services.errors import NoOpenCycle, NotYourCountry, UnknownCountry
from bot.services.exports import AnswerRow, answer_rows
from bot.services.matrix import ReportCycle, cycle_values
from bot.services.reads import StateCounts, country_report
from bot.services.submission import ReportState, report_state


@dataclass(frozen=True)
class CountryReportData:
    """One country's report in one cycle of one instrument, as the PDF shows it."""

    checklist: Checklist
    cycle: ReportCycle
    country_code: str
    state: ReportState
    counts: StateCounts  # the whole report
    sections: dict[str, StateCounts]  # per theme (norm), by section id
    answers: tuple[AnswerRow, ...]  # every item, in checklist order
    generated_at: datetime


@dataclass(frozen=True)
class BlankReportData:
    """The questions of an instrument, for a questionnaire without answers."""

    checklist: Checklist
    cycle: ReportCycle | None  # the instrument's cycle, when it has one
    generated_at: datetime


def instrument_cycle(session: Session, checklist_id: str) -> Cycle | None:
    """The instrument's open cycle, else the one of it opened last (closed)."""
    return session.exec(
        select(Cycle)
        .where(col(Cycle.checklist_id) == checklist_id)
        .order_by(
            col(Cycle.closed_at).is_(None).desc(), col(Cycle.opens_at).desc(), col(Cycle.id).desc()
        )
    ).first()


def report_country(actor: Actor, country_code: str | None) -> str:
    """Whose report the actor may have: their own country's, or, for a coordinator, the one
    they name (`UnknownCountry` with an empty code when they name none)."""
    code = country_code.upper() if country_code else None
    if actor.is_coordinator:
        if code is None:
            raise UnknownCountry(country="")
        return code
    own = actor.require_focal_point()  # national leads are focal points of their country
    if code is not None and code != own:
        raise NotYourCountry(country=code)
    return own


def build_report(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    instrument: Checklist,
    now: datetime,
    country_code: str | None = None,
) -> CountryReportData:
    code = report_country(actor, country_code)
    if session.get(Country, code) is None:
        raise UnknownCountry(country=code)
    cycle = instrument_cycle(session, instrument.id)
    if cycle is None:
        raise NoOpenCycle()
    assert cycle.id is not None
    checklist = checklist_of(cycle, checklists)
    states = country_report(session, cycle, checklist, code)
    return CountryReportData(
        checklist=checklist,
        cycle=cycle_values(cycle),
        country_code=code,
        state=report_state(session, cycle.id, code),
        counts=states.counts,
        sections=dict(states.sections),
        answers=tuple(answer_rows(session, cycle.id, checklist, [code], code, None)),
        generated_at=now,
    )


def build_blank(
    session: Session, *, checklists: ChecklistRegistry, instrument: Checklist, now: datetime
) -> BlankReportData:
    """The questions of the instrument's current cycle (its checklist version), else of the
    instrument's latest version."""
    cycle = instrument_cycle(session, instrument.id)
    if cycle is None:
        return BlankReportData(checklists.latest(instrument.id), None, now)
    return BlankReportData(checklist_of(cycle, checklists), cycle_values(cycle), now)
