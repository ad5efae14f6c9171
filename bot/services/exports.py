"""/export: every answer of a cycle, the country x norm matrix and the change history, as an
XLSX workbook and a CSV file.

`build_export` reads plain rows from the database (run it in a worker thread); `write_xlsx` and
`write_csv` are pure functions of those rows and the translated `ExportLabels` that return
bytes, so the Telegram layer runs them in a worker process (see `bot/telegram/offload.py`).

Text a spreadsheet would run as a formula is neutralised in both files by `neutralise`, after
OWASP's CSV-injection guidance: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return (plus their full-width forms), or that holds `;`, `,` or `"` followed by one of those
(spaces between allowed), gets a leading apostrophe, so "=HYPERLINK(...)" typed as a comment
stays text. The second rule is for spreadsheets that split a CSV line on `;` (Excel in most of
Europe) or re-split a cell on import: "x;=1+1" would otherwise start a cell "=1+1". The CSV
quotes every cell as well, so no separator inside a cell splits it, whatever the locale's.

Who may export: coordinators any country or all of them; a focal point their own country only
(as a national survey is circulated between ministries before it is sent).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Answer, AnswerRevision, Evidence, Person
from bot.services import audit
from bot.services.actors import Actor
from bot.services.cycles import checklist_of
from bot.services.errors import NotYourCountry
from bot.services.evidence import EvidenceEntry
from bot.services.evidence import deep_link as evidence_link
from bot.services.matrix import (
    MatrixRow,
    ReportCycle,
    country_codes,
    cycle_values,
    matrix_rows,
    report_cycle,
)
from bot.services.needs import ItemNeed, item_needs, parse_kinds
from bot.services.reads import ItemState, item_state
from bot.services.xlsx import Column, Format, Sheet, write_workbook

# Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage return,
# hide one): OWASP's CSV injection list, and the full-width forms some spreadsheets accept.
T = TypeVar("T")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A separator or a quote, optional spaces, then a formula start: where a cell could begin
# inside this text once a spreadsheet splits it (on ";" or ",") or ends a quoted part.
_FORMULA_INSIDE = re.compile('[;,"\uff1b\uff0c] *[' + re.escape("".join(FORMULA_STARTS)) + "]")


def neutralise(value: str) -> str:
    """Text as a spreadsheet will show it, never run: formula-like text gets a leading '."""
    if value.startswith(FORMULA_STARTS) or _FORMULA_INSIDE.search(value):
        return "'" + value
    return value


# --------------------------------------------------------------------------- the data


class AnswerRow(NamedTuple):
    """One country's answer to one item; items never answered have status None."""

    country_code: str
    section_id: str
    item_id: str
    status: str | None
    skipped: bool
    carried_over: bool  # copied from the previous cycle, not confirmed yet
    comment: str | None
    evidence_kinds: tuple[str, ...]  # "link", "document", "photo", one per piece
    # One per piece: the link, or the file's name and caption with the deep link that makes
    # the bot send the file (see `evidence_text`).
    evidence: tuple[str, ...]
    answered_by: str | None
    answered_at: datetime | None
    state: ItemState = ItemState.OPEN  # `reads.item_state`: the one definition, for the label
    support_kinds: tuple[str, ...] = ()  # what help the country asks for (`needs.SUPPORT_KINDS`)
    support_note: str | None = None


class HistoryRow(NamedTuple):
    changed_at: datetime | None  # never None in the database; typed as its column is
    country_code: str
    item_id: str
    field: str  # "status", "comment", "evidence", "skipped", "baseline"
    old_value: str | None
    new_value: str | None
    changed_by: str | None


class AuditRow(NamedTuple):
    """One audit log entry for the export's audit sheet; names as read at export time."""

    at: datetime
    entry_id: int
    actor: str | None  # "#7 Name"; None: the bot itself
    action: str
    country_code: str | None
    subject: str | None  # "invite:12", "person:7 Name", "cycle:3"
    details: str  # the JSON text as stored and hashed
    hash: str


@dataclass(frozen=True)
class ExportData:
    cycle: ReportCycle
    checklist: Checklist
    country_code: str | None  # one country, or None for all
    countries: tuple[str, ...]
    answers: tuple[AnswerRow, ...]  # country by country, items in checklist order
    matrix: tuple[MatrixRow, ...]
    history: tuple[HistoryRow, ...]  # oldest first
    generated_at: datetime
    generated_by: str
    # The audit log (of the country, or all of it), for coordinators; None: no audit sheet.
    audit: tuple[AuditRow, ...] | None = None
    needs: tuple[ItemNeed, ...] = ()  # the items on which a country asks for support

    def __reduce__(self) -> tuple[Any, ...]:
        # The rows go to a worker process as columns, their times as numbers: pickling a
        # hundred thousand named tuples of aware datetimes takes about a second, and it holds
        # the bot process's GIL (every other update waits); columns take a tenth of that.
        return (
            _rebuild_export,
            (
                self.cycle,
                self.checklist,
                self.country_code,
                self.countries,
                _to_columns(self.answers, _ANSWER_TIMES),
                self.matrix,
                _to_columns(self.history, _HISTORY_TIMES),
                self.generated_at,
                self.generated_by,
                self.audit,
                self.needs,
            ),
        )


_ANSWER_TIMES = (AnswerRow._fields.index("answered_at"),)
_HISTORY_TIMES = (HistoryRow._fields.index("changed_at"),)


def _to_columns(rows: Sequence[tuple[Any, ...]], times: tuple[int, ...]) -> list[list[Any]]:
    if not rows:
        return []
    columns = [[row[index] for row in rows] for index in range(len(rows[0]))]
    for index in times:
        columns[index] = [None if value is None else value.timestamp() for value in columns[index]]
    return columns


def _from_columns(
    columns: list[list[Any]], times: tuple[int, ...], make: Callable[[Iterable[Any]], T]
) -> tuple[T, ...]:
    if not columns:
        return ()
    for index in times:
        columns[index] = [
            None if value is None else datetime.fromtimestamp(value, UTC)
            for value in columns[index]
        ]
    return tuple(map(make, zip(*columns, strict=True)))


def _rebuild_export(
    cycle: ReportCycle,
    checklist: Checklist,
    country_code: str | None,
    countries: tuple[str, ...],
    answers: list[list[Any]],
    matrix: tuple[MatrixRow, ...],
    history: list[list[Any]],
    generated_at: datetime,
    generated_by: str,
    audit_rows: tuple[AuditRow, ...] | None = None,
    needs: tuple[ItemNeed, ...] = (),
) -> ExportData:
    return ExportData(
        cycle=cycle,
        checklist=checklist,
        country_code=country_code,
        countries=countries,
        answers=_from_columns(answers, _ANSWER_TIMES, AnswerRow._make),
        matrix=matrix,
        history=_from_columns(history, _HISTORY_TIMES, HistoryRow._make),
        generated_at=generated_at,
        generated_by=generated_by,
        audit=audit_rows,
        needs=needs,
    )


def build_export(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    now: datetime,
    cycle_id: int | None = None,
    country_code: str | None = None,
    bot_username: str | None = None,
) -> ExportData:
    """Every answer, the matrix and the history of one cycle, for all countries or one.

    With `bot_username`, each document or photo of the evidence comes with a deep link
    (`https://t.me/<bot_username>?start=ev_…`) that makes the bot send the file to a
    coordinator or a focal point of the country.
    """
    cycle, actor = report_cycle(session, actor, cycle_id)
    if not actor.is_coordinator:
        own = actor.require_focal_point()
        if country_code is not None and country_code != own:
            raise NotYourCountry(country=country_code)
        country_code = own
    countries = country_codes(session, country_code)
    checklist = checklist_of(cycle, checklists)
    assert cycle.id is not None
    return ExportData(
        cycle=cycle_values(cycle),
        checklist=checklist,
        country_code=country_code,
        countries=tuple(countries),
        answers=tuple(
            answer_rows(session, cycle.id, checklist, countries, country_code, bot_username)
        ),
        matrix=matrix_rows(session, cycle=cycle, checklist=checklist, countries=countries),
        history=tuple(_history(session, cycle.id, country_code)),
        generated_at=now,
        generated_by=actor.display_name,
        audit=tuple(_audit(session, country_code, cycle.checklist_id))
        if actor.is_coordinator
        else None,
        needs=tuple(
            item_needs(session, cycle_id=cycle.id, checklist=checklist, country_code=country_code)
        ),
    )


def _audit(session: Session, country_code: str | None, checklist_id: str) -> Iterator[AuditRow]:
    """The audit log of the cycle's instrument for a coordinator's export: one country's
    entries, or every entry."""
    for line in audit.export_lines(session, country_code=country_code, checklist_id=checklist_id):
        subject = line.subject
        if subject and line.subject_name:
            subject += " " + line.subject_name
        actor = None if line.actor_id is None else f"#{line.actor_id} {line.actor_name or ''}"
        yield AuditRow(
            line.at,
            line.entry_id,
            actor.rstrip() if actor else None,
            line.action.value,
            line.country_code,
            subject,
            line.details_text,
            line.hash,
        )


def _person_name(name: str | None, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    return name or f"#{person_id}"


def evidence_text(entry: EvidenceEntry, bot_username: str | None) -> str:
    """One piece of evidence on one line: the link, or "name – caption (deep link)"."""
    label = " ".join(entry.label.split())  # a caption's line breaks would split the entry
    if entry.kind == "link" or bot_username is None:
        return label
    return f"{label} ({evidence_link(bot_username, entry.public_id)})"


def _evidence_by_answer(
    session: Session, cycle_id: int, country_code: str | None, bot_username: str | None
) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    query = (
        sa.select(Evidence)
        .join(Answer, col(Answer.id) == col(Evidence.answer_id))
        .where(col(Answer.cycle_id) == cycle_id, col(Evidence.removed_at).is_(None))
        .order_by(col(Evidence.id))
    )
    if country_code is not None:
        query = query.where(col(Answer.country_code) == country_code)
    found: dict[int, list[EvidenceEntry]] = {}
    for (row,) in session.execute(query).all():
        assert row.id is not None
        found.setdefault(row.answer_id, []).append(
            EvidenceEntry(row.id, row.kind, row.url, row.file_name, row.caption, row.public_id)
        )
    return {
        answer_id: (
            tuple(entry.kind for entry in entries),
            tuple(evidence_text(entry, bot_username) for entry in entries),
        )
        for answer_id, entries in found.items()
    }


def answer_rows(
    session: Session,
    cycle_id: int,
    checklist: Checklist,
    countries: list[str],
    country_code: str | None,
    bot_username: str | None,
) -> Iterator[AnswerRow]:
    # Plain columns, not ORM objects: a region has tens of thousands of answers.
    query = (
        sa.select(
            col(Answer.country_code),
            col(Answer.item_id),
            col(Answer.status),
            col(Answer.skipped),
            col(Answer.baseline),
            col(Answer.comment),
            col(Answer.id),
            col(Person.display_name),
            col(Answer.updated_by),
            col(Answer.updated_at),
            col(Answer.support_kinds),
            col(Answer.support_note),
        )
        .outerjoin(Person, col(Person.id) == col(Answer.updated_by))
        .where(col(Answer.cycle_id) == cycle_id)
    )
    if country_code is not None:
        query = query.where(col(Answer.country_code) == country_code)
    found = {(row[0], row[1]): row for row in session.connection().execute(query).all()}
    pieces = _evidence_by_answer(session, cycle_id, country_code, bot_username)
    for country in countries:
        for item in checklist.items:
            row = found.get((country, item.id))
            if row is None:
                yield AnswerRow(
                    country, item.section_id, item.id, None, False, False, None, (), (),
                    None, None, ItemState.OPEN,
                )  # fmt: skip
                continue
            (_, _, status, skipped, baseline, comment, answer_id, name, by, at, kinds_of, note) = (
                row
            )
            kinds, texts = pieces.get(answer_id, ((), ())) if answer_id else ((), ())
            yield AnswerRow(
                country_code=country,
                section_id=item.section_id,
                item_id=item.id,
                status=status,
                skipped=bool(skipped),
                carried_over=bool(baseline),
                comment=comment,
                evidence_kinds=kinds,
                evidence=texts,
                answered_by=_person_name(name, by),
                answered_at=at,
                state=item_state(status, bool(skipped), bool(baseline)),
                support_kinds=parse_kinds(kinds_of),
                support_note=note,
            )


def _history(session: Session, cycle_id: int, country_code: str | None) -> Iterator[HistoryRow]:
    query = (
        sa.select(
            col(AnswerRevision.changed_at),
            col(AnswerRevision.country_code),
            col(AnswerRevision.item_id),
            col(AnswerRevision.field),
            col(AnswerRevision.old_value),
            col(AnswerRevision.new_value),
            col(Person.display_name),
            col(AnswerRevision.changed_by),
        )
        .outerjoin(Person, col(Person.id) == col(AnswerRevision.changed_by))
        .where(col(AnswerRevision.cycle_id) == cycle_id)
        .order_by(col(AnswerRevision.changed_at), col(AnswerRevision.id))
    )
    if country_code is not None:
        query = query.where(col(AnswerRevision.country_code) == country_code)
    rows = session.connection().execute(query).all()  # Core rows: no ORM bookkeeping
    for at, country, item_id, field_name, old, new, name, by in rows:
        if field_name == "evidence":
            old, new = _evidence_shown(old), _evidence_shown(new)
        yield HistoryRow(at, country, item_id, field_name, old, new, _person_name(name, by))


def _evidence_shown(value: str | None) -> str | None:
    """A revision's evidence ("document:<name>:<file id>" or the link) as a reader sees it."""
    if value is None:
        return None
    kind, _, rest = value.partition(":")
    if kind in ("document", "photo") and ":" in rest:
        return rest.rsplit(":", 1)[0] or kind
    return value


# --------------------------------------------------------------------------- the files


@dataclass(frozen=True)
class ExportLabels:
    """Every text of the files, translated by the caller (`bot/views/reports.py`)."""

    sheet_answers: str
    sheet_matrix: str
    sheet_history: str
    sheet_about: str
    answer_headers: tuple[str, ...]  # as many as `ANSWER_COLUMNS`
    matrix_headers: tuple[str, str]  # country code, country; the norms follow
    # After the norms: all norms (share), items, answered, implemented, n/a, skipped, to
    # confirm, open.
    matrix_count_headers: tuple[str, ...]
    history_headers: tuple[str, ...]  # as many as `HISTORY_COLUMNS`
    about: tuple[tuple[str, str], ...]  # label and value rows of the About sheet
    about_headers: tuple[str, str]
    countries: dict[str, str]  # code -> name, in the reader's order (rows follow it)
    sections: dict[str, str]  # id -> label
    norm_heads: dict[str, str]  # id -> the matrix sheet's column head, "(a) Cooperate ..."
    items: dict[str, str]  # id -> text
    statuses: dict[str, str]  # status -> label
    open: str  # the label of ItemState.OPEN
    skipped: str  # the label of ItemState.SKIPPED
    yes: str
    no: str
    evidence_kinds: dict[str, str]
    fields: dict[str, str]  # revision field -> label
    audit: AuditSheetLabels | None = None  # the audit sheet's texts (coordinators' exports)
    cycle_title: str = ""  # the cycle's title for the reader (the bot's default translated)
    needs: NeedsSheetLabels | None = None  # the Needs sheet's texts; None: no Needs sheet


@dataclass(frozen=True)
class AuditSheetLabels:
    sheet: str
    headers: tuple[str, ...]  # as many as `AUDIT_COLUMNS`
    actions: dict[str, str]  # action code -> label
    system: str  # who acted when nobody did: the bot itself


@dataclass(frozen=True)
class NeedsSheetLabels:
    sheet: str
    headers: tuple[str, ...]  # as many as `NEEDS_COLUMNS`
    kinds: dict[str, str]  # kind of support -> label


# Widths of the answers sheet's columns, in the order of `AnswerRow` as written below.
ANSWER_COLUMNS: tuple[tuple[float, Format], ...] = (
    (8, Format.GENERAL),  # country code
    (20, Format.GENERAL),  # country
    (6, Format.GENERAL),  # norm
    (28, Format.GENERAL),  # norm label
    (7, Format.GENERAL),  # item
    (60, Format.GENERAL),  # item text
    (16, Format.GENERAL),  # status (label)
    (15, Format.GENERAL),  # status (code)
    (10, Format.GENERAL),  # carried over
    (40, Format.GENERAL),  # comment
    (36, Format.GENERAL),  # evidence
    (11, Format.GENERAL),  # evidence kind
    (20, Format.GENERAL),  # answered by
    (17, Format.DATETIME),  # answered at (UTC)
    (30, Format.GENERAL),  # kinds of support (labels)
    (40, Format.GENERAL),  # support note
)
HISTORY_COLUMNS: tuple[tuple[float, Format], ...] = (
    (17, Format.DATETIME),  # changed at (UTC)
    (8, Format.GENERAL),  # country code
    (20, Format.GENERAL),  # country
    (7, Format.GENERAL),  # item
    (14, Format.GENERAL),  # field
    (30, Format.GENERAL),  # old value
    (30, Format.GENERAL),  # new value
    (20, Format.GENERAL),  # changed by
)
NEEDS_COLUMNS: tuple[tuple[float, Format], ...] = (
    *ANSWER_COLUMNS[:6],  # which item, as `_item_cells` writes it
    (30, Format.GENERAL),  # kinds of support (labels)
    (24, Format.GENERAL),  # kinds of support (codes)
    (40, Format.GENERAL),  # note
)
AUDIT_COLUMNS: tuple[tuple[float, Format], ...] = (
    (17, Format.DATETIME),  # at (UTC)
    (7, Format.INTEGER),  # entry number
    (22, Format.GENERAL),  # by
    (20, Format.GENERAL),  # action (label)
    (18, Format.GENERAL),  # action (code)
    (8, Format.GENERAL),  # country code
    (26, Format.GENERAL),  # subject
    (40, Format.GENERAL),  # details (JSON)
    (66, Format.GENERAL),  # hash
)


def _text(value: str | None) -> str | None:
    return None if value is None else neutralise(value)


def _kinds_label(kinds: Iterable[str], labels: ExportLabels) -> str:
    """Kinds of support in the reader's words, "Training, Funding" ("" for none)."""
    names = labels.needs.kinds if labels.needs is not None else {}
    return ", ".join(names.get(kind, kind) for kind in kinds)


def _status_label(row: AnswerRow, labels: ExportLabels) -> str:
    if row.state is ItemState.OPEN:
        return labels.open
    if row.state is ItemState.SKIPPED:
        return labels.skipped
    assert row.status is not None  # answered, or a copy to confirm: "carried over" says which
    return labels.statuses.get(row.status, row.status)


class _OfItem(Protocol):
    @property
    def country_code(self) -> str: ...
    @property
    def section_id(self) -> str: ...
    @property
    def item_id(self) -> str: ...


def _item_cells(row: _OfItem, labels: ExportLabels) -> list[str | None]:
    """Which country and item a row is about: code, country, norm, its label, item, its text."""
    return [
        row.country_code,
        _text(labels.countries.get(row.country_code, row.country_code)),
        row.section_id,
        _text(labels.sections.get(row.section_id, row.section_id)),
        row.item_id,
        _text(labels.items.get(row.item_id, row.item_id)),
    ]


def answer_values(row: AnswerRow, labels: ExportLabels) -> list[str | datetime | None]:
    """One row of the answers sheet and of the CSV, neutralised."""
    return [
        *_item_cells(row, labels),
        _text(_status_label(row, labels)),
        row.status or ("skipped" if row.skipped else None),
        labels.yes if row.carried_over else None,
        _text(row.comment),
        # Every piece of evidence on its own line of one cell, so the CSV keeps one row per
        # answer; each line is neutralised, as a spreadsheet may split the cell.
        "\n".join(neutralise(text) for text in row.evidence) or None,
        "\n".join(labels.evidence_kinds.get(kind, kind) for kind in row.evidence_kinds) or None,
        _text(row.answered_by),
        row.answered_at,
        # What help the country asks for, as on the Needs sheet: the CSV has no other sheet.
        _text(_kinds_label(row.support_kinds, labels) or None),
        _text(row.support_note),
    ]


def _history_value(row: HistoryRow, value: str | None, labels: ExportLabels) -> str | None:
    if value is None:
        return None
    if row.field == "status":
        return labels.statuses.get(value, value)
    if row.field in ("skipped", "baseline"):
        return labels.yes if value == "true" else labels.no
    if row.field == "support_kinds" and labels.needs is not None:
        return neutralise(_kinds_label(parse_kinds(value), labels))
    return neutralise(value)


def history_values(row: HistoryRow, labels: ExportLabels) -> list[str | datetime | None]:
    """One row of the history sheet, neutralised."""
    return [
        row.changed_at,
        row.country_code,
        _text(labels.countries.get(row.country_code, row.country_code)),
        row.item_id,
        labels.fields.get(row.field, row.field),
        _history_value(row, row.old_value, labels),
        _history_value(row, row.new_value, labels),
        _text(row.changed_by),
    ]


def _matrix_values(row: MatrixRow, labels: ExportLabels) -> list[str | float | int | None]:
    total = row.total
    return [
        row.country_code,
        _text(labels.countries.get(row.country_code, row.country_code)),
        *(cell.share for cell in row.cells),
        total.share,
        total.items,
        total.answered,
        total.implemented,
        total.not_applicable,
        total.skipped,
        total.to_confirm,
        total.open,
    ]


def write_xlsx(data: ExportData, labels: ExportLabels) -> bytes:
    """The workbook: answers, the country x norm matrix, the history, and what it is."""
    section_ids = [section.id for section in data.checklist.sections]
    answers = Sheet(
        labels.sheet_answers,
        [
            Column(header, width, fmt)
            for header, (width, fmt) in zip(labels.answer_headers, ANSWER_COLUMNS, strict=True)
        ],
        (answer_values(row, labels) for row in _in_reader_order(data.answers, labels)),
    )
    matrix = Sheet(
        labels.sheet_matrix,
        [
            Column(labels.matrix_headers[0], 8),
            Column(labels.matrix_headers[1], 20),
            *(
                Column(neutralise(labels.norm_heads.get(s, s)), 12, Format.PERCENT)
                for s in section_ids
            ),
            Column(labels.matrix_count_headers[0], 11, Format.PERCENT),
            *(Column(header, 11, Format.INTEGER) for header in labels.matrix_count_headers[1:]),
        ],
        (_matrix_values(row, labels) for row in _in_reader_order(data.matrix, labels)),
    )
    history = Sheet(
        labels.sheet_history,
        [
            Column(header, width, fmt)
            for header, (width, fmt) in zip(labels.history_headers, HISTORY_COLUMNS, strict=True)
        ],
        (history_values(row, labels) for row in data.history),
    )
    about = Sheet(
        labels.sheet_about,
        [Column(labels.about_headers[0], 28), Column(labels.about_headers[1], 70)],
        ([neutralise(label), neutralise(value)] for label, value in labels.about),
        autofilter=False,
    )
    sheets = [answers, matrix, history]
    if labels.needs is not None:
        sheets.append(_needs_sheet(_in_reader_order(data.needs, labels), labels, labels.needs))
    if data.audit is not None and labels.audit is not None:
        sheets.append(_audit_sheet(data.audit, labels.audit))
    return write_workbook([*sheets, about])


def _needs_sheet(rows: Iterable[ItemNeed], labels: ExportLabels, texts: NeedsSheetLabels) -> Sheet:
    """One row per item on which a country asks for support; every text neutralised."""
    return Sheet(
        texts.sheet,
        [
            Column(header, width, fmt)
            for header, (width, fmt) in zip(texts.headers, NEEDS_COLUMNS, strict=True)
        ],
        (
            [
                *_item_cells(row, labels),
                _text(_kinds_label(row.kinds, labels) or None),
                ",".join(row.kinds) or None,
                _text(row.note),
            ]
            for row in rows
        ),
    )


def _audit_sheet(rows: Sequence[AuditRow], labels: AuditSheetLabels) -> Sheet:
    return Sheet(
        labels.sheet,
        [
            Column(header, width, fmt)
            for header, (width, fmt) in zip(labels.headers, AUDIT_COLUMNS, strict=True)
        ],
        (
            [
                row.at,
                row.entry_id,
                _text(row.actor) if row.actor is not None else labels.system,
                labels.actions.get(row.action, row.action),
                row.action,
                row.country_code,
                _text(row.subject),
                _text(row.details),
                row.hash,
            ]
            for row in rows
        ),
    )


class _OfCountry(Protocol):
    @property
    def country_code(self) -> str: ...


C = TypeVar("C", bound=_OfCountry)


def _in_reader_order(rows: Iterable[C], labels: ExportLabels) -> list[C]:
    """Rows country by country in the order of `labels.countries` (the reader's name order,
    decided by the view); within a country, as they came (items in checklist order)."""
    rank = {code: index for index, code in enumerate(labels.countries)}
    return sorted(rows, key=lambda row: rank.get(row.country_code, len(rank)))


def write_csv(data: ExportData, labels: ExportLabels) -> bytes:
    """The answers sheet as CSV: UTF-8 with a byte order mark, so that Excel shows Thai,
    Khmer or Burmese text correctly when the file is opened with a double click."""
    buffer = io.StringIO()
    # Every cell quoted: a spreadsheet whose list separator is ";" (or a tab) then keeps
    # "a;b" in one cell as surely as one that splits on ",".
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise(header) for header in labels.answer_headers])
    for row in _in_reader_order(data.answers, labels):
        values = answer_values(row, labels)
        writer.writerow(
            ["" if v is None else _csv_time(v) if isinstance(v, datetime) else v for v in values]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_time(value: datetime) -> str:
    # UTC without the zone suffix: spreadsheets read "2026-03-02 10:00:00" as a date and time.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_files(data: ExportData, labels: ExportLabels) -> tuple[bytes, bytes]:
    """The workbook and the CSV, in one call (one trip of the rows to a worker process)."""
    return write_xlsx(data, labels), write_csv(data, labels)


# --------------------------------------------------------------------------- file names


def slug(text: str, limit: int = 40) -> str:
    """ASCII letters, digits and dashes: "Cycle 2026 – Bangkok" -> "cycle-2026-bangkok"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].rstrip("-")


def export_file_name(
    cycle: ReportCycle,
    country_code: str | None,
    day: date,
    extension: str,
    *,
    title: str | None = None,
) -> str:
    """`normsbot-<cycle title>-[<country>-]<YYYY-MM-DD>.<extension>`, in plain ASCII.

    `title` is the title as the reader sees it (default: the stored one). A title with no
    Latin letters (a Thai one, say) becomes `cycle-<number>`.
    """
    parts = ["normsbot", slug(cycle.title if title is None else title) or f"cycle-{cycle.cycle_id}"]
    if country_code:
        parts.append(slug(country_code) or "country")
    parts.append(day.isoformat())
    return "-".join(parts) + "." + extension
