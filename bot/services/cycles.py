"""Reporting cycles: which one is open, and the first one that exists after the first start."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Cycle
from bot.services.errors import NoOpenCycle


def open_cycle(session: Session) -> Cycle | None:
    """The newest cycle that is not closed (one open cycle at a time)."""
    return session.exec(
        select(Cycle)
        .where(col(Cycle.closed_at).is_(None))
        .order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
    ).first()


def require_open_cycle(session: Session) -> Cycle:
    cycle = open_cycle(session)
    if cycle is None:
        raise NoOpenCycle()
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
