"""A country's report in a cycle: submitting it, the national lead's sign-off, reopening.

A focal point submits when the report is complete (`reads.StateCounts.complete`): every item
answered or knowingly skipped, none open, no answer copied from the previous cycle left to
confirm. Coordinators and the country's
national lead are told. Any later change to an answer reopens the report: `submitted_at` and
the sign-off are cleared, `reopened_at/by` record who reopened it and when, and the focal
point is asked to submit again. The national lead's sign-off marks a submitted report final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.checklist import ChecklistRegistry
from bot.models import CountryReport, Cycle, Person
from bot.services import audit
from bot.services.actors import Actor, touch
from bot.services.cycles import checklist_of, require_open_cycle
from bot.services.errors import NationalLeadOnly
from bot.services.notices import NoticeKind, ReportNotice, plan_notices
from bot.services.people import Recipient, coordinator_recipients, national_lead_recipients
from bot.services.reads import ItemState, country_report


class Outcome(StrEnum):
    DONE = "done"
    ALREADY = "already"  # submitted (or signed off) before: nothing changed
    INCOMPLETE = "incomplete"  # items still open: not submitted
    NOT_SUBMITTED = "not_submitted"  # sign-off asked for a report not submitted


@dataclass(frozen=True)
class ReportResult:
    """What /submit or /signoff did, and whom it told (notices planned in its transaction)."""

    outcome: Outcome
    cycle_id: int
    cycle_title: str
    country_code: str
    total: int
    answered: int
    skipped: int
    open_items: list[str]  # no status, not skipped (ItemState.OPEN)
    to_confirm: list[str]  # copied from the last cycle, not yet confirmed
    by_name: str
    at: datetime | None
    has_national_lead: bool
    tell: list[Recipient]  # coordinators told (their notices are planned)
    leads: list[Recipient]  # the country's national lead(s), asked for the sign-off


def _report(session: Session, cycle_id: int, country_code: str) -> CountryReport | None:
    return session.exec(
        select(CountryReport).where(
            CountryReport.cycle_id == cycle_id, CountryReport.country_code == country_code
        )
    ).first()


def _result(
    session: Session,
    cycle: Cycle,
    checklists: ChecklistRegistry,
    country_code: str,
    actor: Actor,
    outcome: Outcome,
    at: datetime | None,
    tell: list[Recipient],
    leads: list[Recipient] | None = None,
) -> ReportResult:
    assert cycle.id is not None
    checklist = checklist_of(cycle, checklists)
    report = country_report(session, cycle, checklist, country_code)
    if outcome is Outcome.DONE and not report.counts.complete:
        outcome = Outcome.INCOMPLETE
    national_leads = national_lead_recipients(session, cycle.checklist_id, country_code)
    return ReportResult(
        outcome=outcome,
        cycle_id=cycle.id or 0,
        cycle_title=cycle.title,
        country_code=country_code,
        total=report.counts.total,
        answered=report.counts.answered,
        skipped=report.counts.skipped,
        open_items=report.item_ids(ItemState.OPEN),
        to_confirm=report.item_ids(ItemState.TO_CONFIRM),
        by_name=actor.display_name,
        at=at,
        has_national_lead=bool(national_leads),
        tell=tell,
        leads=leads or [],
    )


def submit_report(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> ReportResult:
    """/submit: record the submission when nothing is open; else say what is still open."""
    country = actor.require_focal_point()
    cycle = require_open_cycle(session, actor.checklist_id)
    assert cycle.id is not None
    touch(session, actor, now)
    report = _report(session, cycle.id, country)
    if report is not None and report.submitted_at is not None:
        return _result(
            session, cycle, checklists, country, actor, Outcome.ALREADY, report.submitted_at, []
        )
    check = _result(session, cycle, checklists, country, actor, Outcome.DONE, now, [])
    if check.outcome is Outcome.INCOMPLETE:
        return check
    if report is None:
        try:
            with session.begin_nested():  # two submits at once may both insert: keep either
                session.add(CountryReport(cycle_id=cycle.id, country_code=country))
        except IntegrityError:
            pass
    # One conditional UPDATE: of two /submit at once (or in two processes) one records the
    # submission and tells the coordinators; the other finds it submitted.
    submitted = session.execute(
        sa.update(CountryReport)
        .where(_report_row(cycle.id, country), col(CountryReport.submitted_at).is_(None))
        .values(
            submitted_at=now, submitted_by=actor.person_id, signed_off_at=None, signed_off_by=None
        )
        .execution_options(synchronize_session=False)
    )
    if not submitted.rowcount:  # type: ignore[attr-defined]
        at = _report_column(session, CountryReport.submitted_at, cycle.id, country)
        return _result(session, cycle, checklists, country, actor, Outcome.ALREADY, at, [])
    leads = national_lead_recipients(session, cycle.checklist_id, country, exclude=actor.person_id)
    lead_ids = {lead.person_id for lead in leads}
    tell = [
        recipient
        for recipient in coordinator_recipients(
            session, cycle.checklist_id, exclude=actor.person_id
        )
        if recipient.person_id not in lead_ids  # a coordinator who leads gets the lead's text
    ]
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.REPORT_SUBMITTED,
        now=now,
        country_code=country,
        subject=f"cycle:{cycle.id}",
        checklist_id=cycle.checklist_id,
    )
    result = _result(session, cycle, checklists, country, actor, Outcome.DONE, now, tell, leads)
    _plan(session, result, NoticeKind.SUBMITTED, tell, now)
    _plan(session, result, NoticeKind.LEAD_ASKED, leads, now)
    return result


def sign_off(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> ReportResult:
    """/signoff by the country's national lead: the submitted report becomes final."""
    if not actor.is_national_lead or actor.country_code is None:
        raise NationalLeadOnly()
    country = actor.country_code
    cycle = require_open_cycle(session, actor.checklist_id)
    assert cycle.id is not None
    touch(session, actor, now)
    report = _report(session, cycle.id, country)
    if report is None or report.submitted_at is None:
        return _result(session, cycle, checklists, country, actor, Outcome.NOT_SUBMITTED, None, [])
    if report.signed_off_at is not None:
        return _result(
            session, cycle, checklists, country, actor, Outcome.ALREADY, report.signed_off_at, []
        )
    # Conditional: a second /signoff, or a change that reopened the report meanwhile, wins
    # nothing here and is told what happened instead.
    signed = session.execute(
        sa.update(CountryReport)
        .where(
            _report_row(cycle.id, country),
            col(CountryReport.submitted_at).is_not(None),
            col(CountryReport.signed_off_at).is_(None),
        )
        .values(signed_off_at=now, signed_off_by=actor.person_id)
        .execution_options(synchronize_session=False)
    )
    if not signed.rowcount:  # type: ignore[attr-defined]
        at = _report_column(session, CountryReport.signed_off_at, cycle.id, country)
        outcome = Outcome.NOT_SUBMITTED if at is None else Outcome.ALREADY
        return _result(session, cycle, checklists, country, actor, outcome, at, [])
    tell = coordinator_recipients(session, cycle.checklist_id, exclude=actor.person_id)
    audit.record(
        session,
        actor_id=actor.person_id,
        action=audit.Action.REPORT_SIGNED_OFF,
        now=now,
        country_code=country,
        subject=f"cycle:{cycle.id}",
        checklist_id=cycle.checklist_id,
    )
    result = _result(session, cycle, checklists, country, actor, Outcome.DONE, now, tell)
    _plan(session, result, NoticeKind.SIGNED_OFF, tell, now)
    return result


def _plan(
    session: Session,
    result: ReportResult,
    kind: NoticeKind,
    recipients: list[Recipient],
    now: datetime,
) -> None:
    """Tell `recipients` what was done, in this transaction (sent by the sweeper)."""
    notice = ReportNotice(
        country_code=result.country_code,
        cycle_title=result.cycle_title,
        by_name=result.by_name,
        answered=result.answered,
        total=result.total,
        skipped=result.skipped,
    )
    plan_notices(
        session,
        kind=kind,
        notice=notice,
        recipients=[recipient.person_id for recipient in recipients],
        event=f"{result.cycle_id}:{result.country_code}:{now.isoformat()}",
        now=now,
        cycle_id=result.cycle_id,
    )


# Built once: it runs after most taps.
_REOPEN = (
    sa.update(CountryReport)
    .where(
        col(CountryReport.cycle_id) == sa.bindparam("b_cycle"),
        col(CountryReport.country_code) == sa.bindparam("b_country"),
        col(CountryReport.submitted_at).is_not(None),
    )
    .values(
        submitted_at=None,
        submitted_by=None,
        signed_off_at=None,
        signed_off_by=None,
        reopened_at=sa.bindparam("b_now"),
        reopened_by=sa.bindparam("b_by"),
    )
)


def reopen_after_change(
    session: Session, *, cycle_id: int, country_code: str, person_id: int, now: datetime
) -> bool:
    """An answer changed: a submitted report is reopened (and loses its sign-off).

    Called by the answering flow in the same transaction as the change; one conditional
    UPDATE, so it costs nothing when the report was not submitted. True when it reopened.
    A plain (Core) statement on the session's connection: it runs after most taps, and the
    ORM's UPDATE would first flush the session and then look for reports it holds, which no
    answering transaction has loaded at this point.
    """
    result = session.connection().execute(
        _REOPEN, {"b_cycle": cycle_id, "b_country": country_code, "b_now": now, "b_by": person_id}
    )
    if result.rowcount:
        cycle = session.get(Cycle, cycle_id)
        audit.record(
            session,
            actor_id=person_id,
            action=audit.Action.REPORT_REOPENED,
            now=now,
            country_code=country_code,
            subject=f"cycle:{cycle_id}",
            checklist_id=cycle.checklist_id if cycle else None,
        )
    return bool(result.rowcount)


@dataclass(frozen=True)
class ReportState:
    """Where a country's report stands, with names for the people involved."""

    submitted_at: datetime | None
    submitted_by: str | None
    signed_off_at: datetime | None
    signed_off_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None


def report_state(session: Session, cycle_id: int, country_code: str) -> ReportState:
    report = _report(session, cycle_id, country_code)
    if report is None:
        return ReportState(None, None, None, None, None, None)

    def name(person_id: int | None) -> str | None:
        person = session.get(Person, person_id) if person_id else None
        return person.display_name if person else None

    return ReportState(
        report.submitted_at,
        name(report.submitted_by),
        report.signed_off_at,
        name(report.signed_off_by),
        report.reopened_at,
        name(report.reopened_by),
    )


def is_submitted(session: Session, cycle_id: int, country_code: str) -> bool:
    report = _report(session, cycle_id, country_code)
    return report is not None and report.submitted_at is not None


def _report_row(cycle_id: int, country_code: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(CountryReport.cycle_id) == cycle_id, col(CountryReport.country_code) == country_code
    )


def _report_column(session: Session, column: Any, cycle_id: int, country: str) -> datetime | None:
    """One column of the report as committed now (not the session's older copy)."""
    return session.execute(sa.select(column).where(_report_row(cycle_id, country))).scalar()
