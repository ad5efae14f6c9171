"""Shared reads: the one definition of an item's state, and the reads several services need.

Every count a person sees (/progress, /submit, /status, /summary, /compare, the digest, the
reminders, the chart, both export formats) comes from `report_states` (or `country_report`
for one country), which classifies each item of a country's report with `item_state`. The
four states never overlap, so their counts always add up to the checklist's item count:

- ANSWERED: a status given (or confirmed) in this cycle;
- SKIPPED: no status, knowingly skipped ("I cannot answer this");
- TO_CONFIRM: copied from the last cycle (a baseline) and not yet confirmed or changed;
- OPEN: nothing yet.

A report is *complete* (it may be submitted, and reminders stop) when no item is OPEN or
TO_CONFIRM: a skipped item is an answer of its own (docs/coordinators.md, "Reports").

The other reads here were written out in several services before: the open cycle, a
country's answers in a cycle, "the person's zone, else their country's", the people joined
with their country, and who blocked the bot. `cycles` and `people` both use `open_cycle`;
keeping it here, below both, is what breaks their import cycle.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.checklist import Checklist
from bot.models import Answer, Country, Cursor, Cycle, Membership, Person, Role
from bot.services.schedule import zone

# --------------------------------------------------------------------------- item states


class ItemState(StrEnum):
    """Where one item of a country's report stands; exactly one per item."""

    ANSWERED = "answered"
    SKIPPED = "skipped"
    TO_CONFIRM = "to_confirm"
    OPEN = "open"


def item_state(status: str | None, skipped: bool, baseline: bool) -> ItemState:
    """Classify an answer's columns (all falsy for an item with no answer row).

    A status wins over `skipped` (a status tap clears it anyway); a baseline copy always has a
    status, and stays TO_CONFIRM until a status tap clears `baseline`, even if skipped again.
    """
    if status is not None:
        return ItemState.TO_CONFIRM if baseline else ItemState.ANSWERED
    return ItemState.SKIPPED if skipped else ItemState.OPEN


def state_expression() -> sa.ColumnElement[str]:
    """`item_state` in SQL, for counting a whole region in the database (`report_counts`).

    The property test (tests/test_counts_property.py) holds the two to the same answers:
    /progress and /submit count with `item_state`, /summary and the chart with this.
    """
    has_status = col(Answer.status).is_not(None)
    return sa.case(
        (sa.and_(has_status, col(Answer.baseline).is_(True)), ItemState.TO_CONFIRM.value),
        (has_status, ItemState.ANSWERED.value),
        (col(Answer.skipped).is_(True), ItemState.SKIPPED.value),
        else_=ItemState.OPEN.value,
    )


class AnswerFacts(Protocol):
    """What the answering screens read of an answer: an `Answer`, or a row of its columns
    (`country_answers`)."""

    @property
    def id(self) -> int | None: ...
    @property
    def item_id(self) -> str: ...
    @property
    def status(self) -> str | None: ...
    @property
    def skipped(self) -> bool: ...
    @property
    def baseline(self) -> bool: ...
    @property
    def version(self) -> int: ...
    @property
    def comment(self) -> str | None: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def support_kinds(self) -> str | None: ...
    @property
    def support_note(self) -> str | None: ...


def answer_state(answer: AnswerFacts | None) -> ItemState:
    if answer is None:
        return ItemState.OPEN
    return item_state(answer.status, answer.skipped, answer.baseline)


@dataclass(frozen=True)
class StateCounts:
    """How many items are in each state; they add up to `total` by construction."""

    answered: int = 0
    skipped: int = 0
    to_confirm: int = 0
    open: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # ANSWERED items per status

    @property
    def total(self) -> int:
        return self.answered + self.skipped + self.to_confirm + self.open

    @property
    def outstanding(self) -> int:
        """What stands between the report and /submit: open items and copies to confirm."""
        return self.open + self.to_confirm

    @property
    def complete(self) -> bool:
        return self.outstanding == 0

    def of(self, state: ItemState) -> int:
        return {
            ItemState.ANSWERED: self.answered,
            ItemState.SKIPPED: self.skipped,
            ItemState.TO_CONFIRM: self.to_confirm,
            ItemState.OPEN: self.open,
        }[state]


def count_states(states: Iterable[ItemState], statuses: Iterable[str | None] = ()) -> StateCounts:
    """Counts of a run of states; `statuses` are the ANSWERED items' statuses."""
    counts = Counter(states)
    return StateCounts(
        answered=counts[ItemState.ANSWERED],
        skipped=counts[ItemState.SKIPPED],
        to_confirm=counts[ItemState.TO_CONFIRM],
        open=counts[ItemState.OPEN],
        by_status=dict(Counter(status for status in statuses if status is not None)),
    )


@dataclass(frozen=True)
class ItemReport:
    item_id: str
    section_id: str
    state: ItemState
    status: str | None  # the status shown: confirmed, or the copy's to confirm


@dataclass(frozen=True)
class ReportCounts:
    """One country's report in one cycle: the counts per state, overall and per norm."""

    counts: StateCounts
    sections: dict[str, StateCounts]  # by section id, in checklist order
    # The latest answer changed in this cycle (copies excluded); `report_counts` reads it only
    # without `per_section`.
    last_change: datetime | None


@dataclass(frozen=True)
class ReportStates(ReportCounts):
    """The counts, and every item's state."""

    items: tuple[ItemReport, ...]  # in checklist order

    def item_ids(self, state: ItemState) -> list[str]:
        return [item.item_id for item in self.items if item.state is state]

    def state_of(self, item_id: str) -> ItemState:
        return next(item.state for item in self.items if item.item_id == item_id)


def _report(
    code: str,
    checklist: Checklist,
    found: dict[str, tuple[str | None, bool, bool]],
    last_change: datetime | None,
) -> ReportStates:
    items = []
    for item in checklist.items:
        status, skipped, baseline = found.get(item.id, (None, False, False))
        items.append(
            ItemReport(item.id, item.section_id, item_state(status, skipped, baseline), status)
        )

    def counts(rows: list[ItemReport]) -> StateCounts:
        return count_states(
            (row.state for row in rows),
            (row.status for row in rows if row.state is ItemState.ANSWERED),
        )

    by_section: dict[str, list[ItemReport]] = {section.id: [] for section in checklist.sections}
    for row in items:
        by_section[row.section_id].append(row)
    return ReportStates(
        items=tuple(items),
        counts=counts(items),
        sections={section_id: counts(rows) for section_id, rows in by_section.items()},
        last_change=last_change,
    )


def report_states(
    session: Session, cycle: Cycle, checklist: Checklist, codes: Iterable[str] | None = None
) -> dict[str, ReportStates]:
    """Every country's report (or those of `codes`) in the cycle, with one query of plain rows.

    Answers to items the cycle's checklist does not have are ignored. Countries come in code
    order; a country without any answer has every item OPEN.
    """
    wanted = (
        list(codes)
        if codes is not None
        else list(session.exec(select(Country.code).order_by(col(Country.code))).all())
    )
    query = sa.select(
        col(Answer.country_code),
        col(Answer.item_id),
        col(Answer.status),
        col(Answer.skipped),
        col(Answer.baseline),
        col(Answer.updated_at),
    ).where(col(Answer.cycle_id) == cycle.id)
    if codes is not None:
        query = query.where(col(Answer.country_code).in_(wanted))
    found: dict[str, dict[str, tuple[str | None, bool, bool]]] = defaultdict(dict)
    last: dict[str, datetime] = {}
    opens_at = cycle.opens_at
    # Plain rows, not ORM objects: a region is tens of thousands of answers.
    for code, item_id, status, skipped, baseline, updated_at in session.connection().execute(query):
        found[code][item_id] = (status, bool(skipped), bool(baseline))
        # Copies from the last cycle keep their old time: only this cycle's changes count.
        if updated_at is None or baseline or (opens_at is not None and updated_at < opens_at):
            continue
        if code not in last or updated_at > last[code]:
            last[code] = updated_at
    return {code: _report(code, checklist, found.get(code, {}), last.get(code)) for code in wanted}


def report_counts(
    session: Session,
    cycle: Cycle,
    checklist: Checklist,
    codes: Iterable[str] | None = None,
    *,
    per_section: bool = True,
) -> dict[str, ReportCounts]:
    """The counts of `report_states` for every country (or `codes`), counted in the database.

    One GROUP BY (country, norm, state, answered status): a region of 193 countries x 150
    items comes back as a few thousand rows instead of every answer. Items without an answer
    row are open. Without `per_section` (the regional summary needs only the totals) the norm
    is left out of the grouping and `sections` is empty; only then is `last_change` read.
    """
    wanted = (
        list(codes)
        if codes is not None
        else list(session.exec(select(Country.code).order_by(col(Country.code))).all())
    )
    item_ids = [item.id for item in checklist.items]
    section_of: sa.ColumnElement[str | None] = (
        sa.case(
            {item.id: item.section_id for item in checklist.items},
            value=col(Answer.item_id),
            else_=None,
        )
        if per_section
        else sa.literal("", sa.String)
    )
    state = state_expression()
    answered_status = sa.case((state == ItemState.ANSWERED.value, col(Answer.status)), else_=None)
    # Copies from the last cycle keep their old time: only this cycle's changes count.
    changed_at = sa.case(
        (
            sa.and_(col(Answer.baseline).is_(False), col(Answer.updated_at) >= cycle.opens_at),
            col(Answer.updated_at),
        ),
        else_=None,
    )
    query = (
        sa.select(
            col(Answer.country_code),
            section_of,
            state,
            answered_status,
            sa.func.count(),
            # Per norm, the times would come back once per group (thousands of them): the
            # summary, which shows the last change, counts without norms.
            sa.null() if per_section else sa.func.max(changed_at),
        )
        .where(col(Answer.cycle_id) == cycle.id, col(Answer.item_id).in_(item_ids))
        .group_by(col(Answer.country_code), section_of, state, answered_status)
    )
    if codes is not None:
        query = query.where(col(Answer.country_code).in_(wanted))
    found: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    by_status: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    last: dict[str, datetime] = {}
    for code, section_id, item_state_value, status, count, latest in session.execute(query):
        found[(code, section_id)][item_state_value] += count
        if status is not None:
            by_status[(code, section_id)][status] += count
        if latest is not None and (code not in last or latest > last[code]):
            last[code] = latest
    groups = (
        [(section.id, len(section.items)) for section in checklist.sections]
        if per_section
        else [("", len(checklist.items))]
    )
    result = {}
    for code in wanted:
        parts = {
            key: _counts(found.get((code, key)), by_status.get((code, key)), size)
            for key, size in groups
        }
        latest = last.get(code)
        if latest is not None and latest.tzinfo is None:  # SQLite: aggregates come back naive
            latest = latest.replace(tzinfo=UTC)
        total = _sum(parts.values())
        result[code] = ReportCounts(total, parts if per_section else {}, latest)
    return result


def _counts(states: Counter[str] | None, statuses: Counter[str] | None, items: int) -> StateCounts:
    states = states or Counter()
    answered = states[ItemState.ANSWERED.value]
    skipped = states[ItemState.SKIPPED.value]
    to_confirm = states[ItemState.TO_CONFIRM.value]
    return StateCounts(
        answered=answered,
        skipped=skipped,
        to_confirm=to_confirm,
        # No answer row, or a row with nothing in it: open either way.
        open=items - answered - skipped - to_confirm,
        by_status=dict(statuses or {}),
    )


def _sum(parts: Iterable[StateCounts]) -> StateCounts:
    answered = skipped = to_confirm = open_ = 0
    by_status: Counter[str] = Counter()
    for part in parts:
        answered += part.answered
        skipped += part.skipped
        to_confirm += part.to_confirm
        open_ += part.open
        by_status.update(part.by_status)
    return StateCounts(answered, skipped, to_confirm, open_, dict(by_status))


def country_report(
    session: Session, cycle: Cycle, checklist: Checklist, country_code: str
) -> ReportStates:
    return report_states(session, cycle, checklist, [country_code])[country_code]


# Built once: each tap reads a country's answers and its open cycle, and building and keying
# a statement cost more CPU than running it.
_COUNTRY_ANSWERS = sa.select(*sa.inspect(Answer).columns).where(
    col(Answer.cycle_id) == sa.bindparam("cycle_id"),
    col(Answer.country_code) == sa.bindparam("country_code"),
)


def country_answers(session: Session, cycle_id: int, country_code: str) -> dict[str, AnswerFacts]:
    """A country's answers in a cycle, by item id, as rows: they feed counts and screens, and
    loading the 150 answers of a full checklist into the session as entities cost twice the
    CPU of reading them, on every tap. A writer loads the one it changes (and locks it)."""
    rows = session.connection().execute(
        _COUNTRY_ANSWERS, {"cycle_id": cycle_id, "country_code": country_code}
    )
    return {row.item_id: row for row in rows}


# --------------------------------------------------------------------------- cycles


_OPEN = (col(Cycle.closed_at).is_(None), col(Cycle.checklist_id) == sa.bindparam("checklist_id"))
_NEWEST_FIRST = (col(Cycle.opens_at).desc(), col(Cycle.id).desc())
_OPEN_CYCLE = select(Cycle).where(*_OPEN).order_by(*_NEWEST_FIRST).limit(1)
# The same cycle with a person's cursor in it (None before their first screen there): the
# answering flow reads both on every tap, in one statement rather than two.
_OPEN_CYCLE_AND_CURSOR = (
    sa.select(Cycle, Cursor)
    .outerjoin(
        Cursor,
        sa.and_(
            col(Cursor.cycle_id) == col(Cycle.id),
            col(Cursor.person_id) == sa.bindparam("person_id"),
        ),
    )
    .where(*_OPEN)
    .order_by(*_NEWEST_FIRST)
    .limit(1)
)


def open_cycle(session: Session, checklist_id: str) -> Cycle | None:
    """The newest cycle of an instrument that is not closed (one open cycle per instrument)."""
    return session.exec(_OPEN_CYCLE, params={"checklist_id": checklist_id}).first()


def open_cycle_and_cursor(
    session: Session, checklist_id: str, person_id: int
) -> tuple[Cycle, Cursor | None] | None:
    """`open_cycle`, with the person's cursor in it; None when the instrument has no open
    cycle."""
    row = session.execute(
        _OPEN_CYCLE_AND_CURSOR, {"checklist_id": checklist_id, "person_id": person_id}
    ).first()
    return None if row is None else (row[0], row[1])


def open_cycles(session: Session) -> list[Cycle]:
    """Every open cycle, one per instrument, by instrument id."""
    return list(
        session.exec(
            select(Cycle)
            .where(col(Cycle.closed_at).is_(None))
            .order_by(col(Cycle.checklist_id), col(Cycle.opens_at).desc(), col(Cycle.id).desc())
        ).all()
    )


def holding(
    checklist_id: str, role: Role | None = None, *, lead: bool = False
) -> sa.ColumnElement[bool]:
    """A condition on `Person`: holds `role` (any role when None; national lead with `lead`)
    in one instrument. Admins coordinate every instrument."""
    query = select(Membership.person_id).where(col(Membership.checklist_id) == checklist_id)
    if role is not None:
        query = query.where(col(Membership.role) == role)
    if lead:
        query = query.where(col(Membership.is_national_lead).is_(True))
    held = col(Person.id).in_(query)
    if role is Role.COORDINATOR or (role is None and not lead):
        return sa.or_(held, col(Person.is_admin).is_(True))
    return held


# --------------------------------------------------------------------------- people


def person_zone(person: Person, country: Country | None) -> str | None:
    """The IANA name of the person's zone: their own, else their country's, else None."""
    return person.timezone or (country.timezone if country else None)


def person_tz(person: Person, country: Country | None, default: str) -> tzinfo:
    """The person's zone as a tzinfo, `default` when they and their country have none."""
    return zone(person_zone(person, country), default)


def people_with_country(
    session: Session, *conditions: sa.ColumnElement[bool]
) -> list[tuple[Person, Country | None]]:
    """Active people matching `conditions`, each with their country (None for none), by id."""
    rows = session.exec(
        select(Person, Country)
        .join(Country, col(Country.code) == col(Person.country_code), isouter=True)
        .where(col(Person.active).is_(True), *conditions)
        .order_by(col(Person.id))
    ).all()
    return [(person, country) for person, country in rows]


@dataclass(frozen=True)
class UnreachablePerson:
    """Someone who blocked the bot, and since when."""

    name: str
    country_code: str | None
    since: datetime


def unreachable_people(
    session: Session, *conditions: sa.ColumnElement[bool]
) -> list[UnreachablePerson]:
    """Active people who blocked the bot, by country and name."""
    return [
        UnreachablePerson(person.display_name, person.country_code, person.unreachable_at)
        for person in session.exec(
            select(Person)
            .where(
                col(Person.active).is_(True), col(Person.unreachable_at).is_not(None), *conditions
            )
            .order_by(col(Person.country_code), col(Person.display_name))
        ).all()
        if person.unreachable_at is not None
    ]
