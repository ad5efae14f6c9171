"""The instruments a person works on: the list with progress per instrument (/instruments),
and the choice of the current one.

A person holds a role in one or more instruments (`Membership`; an admin coordinates every
one). The current instrument (`Person.current_checklist_id`) is the one commands and the
answering flow act in when nothing else names one (see `bot/telegram/common.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Person, Role
from bot.services.actors import Actor
from bot.services.errors import NoRoleInInstrument
from bot.services.reads import StateCounts, country_report, open_cycle


@dataclass(frozen=True)
class InstrumentRow:
    """One instrument of the person's, as the menu shows it."""

    checklist: Checklist
    role: Role
    is_national_lead: bool
    cycle_title: str | None  # the open cycle's; None: no open cycle
    counts: StateCounts | None  # their country's report (focal points, with an open cycle)
    current: bool


def held_instruments(
    actor: Actor, checklists: ChecklistRegistry
) -> list[tuple[Checklist, Role, bool]]:
    """The loaded instruments the person holds a role in, in the registry's order."""
    found = []
    for checklist in checklists.instruments():
        held = actor.role_in(checklist.id)
        if held is not None:
            found.append((checklist, held.role, held.is_national_lead))
    return found


def my_instruments(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry
) -> list[InstrumentRow]:
    """/instruments: each of the person's instruments with its open cycle and, for a focal
    point, their country's progress (`reads.country_report`, as /progress counts it)."""
    rows = []
    for checklist, role, lead in held_instruments(actor, checklists):
        cycle = open_cycle(session, checklist.id)
        counts = None
        if cycle is not None and role is Role.FOCAL_POINT and actor.country_code:
            try:
                cycle_checklist = checklists.get(cycle.checklist_id, cycle.checklist_version)
            except KeyError:  # a checklist file removed from the folder
                cycle_checklist = None
            if cycle_checklist is not None:
                counts = country_report(session, cycle, cycle_checklist, actor.country_code).counts
        rows.append(
            InstrumentRow(
                checklist=checklist,
                role=role,
                is_national_lead=lead,
                cycle_title=cycle.title if cycle else None,
                counts=counts,
                current=checklist.id == actor.checklist_id,
            )
        )
    return rows


def choose_instrument(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, checklist_id: str
) -> Actor:
    """Make `checklist_id` the person's current instrument; the actor acting in it.

    A choice, not a shared row: setting it twice (a repeated tap) leaves the same value.
    """
    try:
        checklists.latest(checklist_id)
    except KeyError:
        raise NoRoleInInstrument() from None
    chosen = actor.within(checklist_id)
    chosen.require_role()
    session.execute(
        sa.update(Person)
        .where(col(Person.id) == actor.person_id)
        .values(current_checklist_id=checklist_id)
    )
    return chosen
