"""Sheets of rows in, XLSX workbook bytes out, written by rustpy-xlsxwriter.

Why rustpy-xlsxwriter: it writes workbooks through rust_xlsxwriter (the Rust port by
XlsxWriter's author), so we keep no SpreadsheetML of our own, and it is the fastest of the
writers measured (`benchmarks/summaries.py --writers`). The regional export (193 countries x
150 items with three cycles of change history, about 900,000 cells) took XlsxWriter 4.8 to
5 s of CPU, pyexcelerate about as long, and this writer about 1 s, on the same rows in the
same run. pyexcelerate is out for another reason too: it writes any string that starts with
"=" as a formula. Here every string becomes an inline string cell (`t="inlineStr"`): nothing
guesses what a string means, so text never turns into a number, a link or a formula. Numbers,
booleans, dates and times are typed by their Python type. Rows stream into the workbook
(constant memory).

Strings are written as given, with the characters XML cannot hold removed (the writer would
refuse a lone surrogate and escape control characters as `_x0007_`) and cut to Excel's 32,767
characters (it refuses longer ones): neutralising formula-like text is the caller's job
(`bot.services.exports.neutralise`). The tests read every workbook back with openpyxl.

What it cannot do that XlsxWriter did: set the document's title and author properties.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import rustpy_xlsxwriter as rx

CELL_MAX_CHARS = 32767  # Excel's limit for one cell, in UTF-16 code units
SHEET_NAME_MAX = 31
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
HEADER_BACKGROUND = "#E7ECEF"


class Format(Enum):
    """How the numbers and dates of a column are shown; the value is Excel's number format."""

    GENERAL = "General"
    DATETIME = "yyyy\\-mm\\-dd\\ hh:mm"
    PERCENT = "0%"
    INTEGER = "0"


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12.0
    format: Format = Format.GENERAL


Value = str | int | float | bool | datetime | date | None


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Value]]
    frozen_header: bool = True
    autofilter: bool = True


def sheet_names(names: Sequence[str]) -> list[str]:
    """Names Excel accepts: no []:*?/\\, no ' at either end, at most 31 characters, not blank,
    all different (ignoring case)."""
    result: list[str] = []
    for n, name in enumerate(names):
        clean = _SHEET_NAME_FORBIDDEN.sub(" ", _ILLEGAL_XML.sub("", name))
        clean = _utf16_cut(clean.strip(" '"), SHEET_NAME_MAX).rstrip(" '") or f"Sheet{n + 1}"
        candidate, number = clean, 2
        while candidate.lower() in (existing.lower() for existing in result):
            suffix = f" ({number})"
            candidate = _utf16_cut(clean, SHEET_NAME_MAX - len(suffix)).rstrip(" '") + suffix
            number += 1
        result.append(candidate)
    return result


def write_workbook(sheets: Sequence[Sheet]) -> bytes:
    """The workbook as .xlsx bytes."""
    names = sheet_names([sheet.name for sheet in sheets])
    formats = {fmt: rx.Format().set_num_format(fmt.value) for fmt in Format}
    entries: list[tuple[str, Iterable[dict[str, Any]]]] = []
    widths: dict[str, list[float]] = {}
    column_formats: dict[str, list[Any]] = {}
    freeze: dict[str, dict[str, int]] = {}
    autofilter: dict[str, bool] = {}
    for name, sheet in zip(names, sheets, strict=True):
        columns = list(sheet.columns)
        entries.append((name, _records(_headers(columns), sheet.rows)))
        widths[name] = [column.width for column in columns]
        column_formats[name] = [
            None if column.format is Format.GENERAL else formats[column.format]
            for column in columns
        ]
        if sheet.frozen_header:
            freeze[name] = {"row": 1, "col": 0}
        autofilter[name] = sheet.autofilter and bool(columns)
    buffer = io.BytesIO()
    rx.write_worksheets(
        entries,
        buffer,
        freeze_panes=freeze,
        # A date or time in a column of another format still shows as one.
        datetime_format=Format.DATETIME.value,
        column_widths=widths,  # type: ignore[arg-type]  # the stub says per sheet, as used
        column_formats=column_formats,  # type: ignore[arg-type]
        header_format={"general": rx.Format().set_bold().set_background_color(HEADER_BACKGROUND)},
        autofilter=autofilter,
    )
    return buffer.getvalue()


def _headers(columns: Sequence[Column]) -> list[str]:
    """The header row: the writer takes it from the keys of each row's dict, so the headers
    must differ; a repeated one gets " (2)", as a repeated sheet name does."""
    result: list[str] = []
    for column in columns:
        clean = _text(column.header)
        candidate, number = clean, 2
        while candidate in result:
            candidate, number = f"{clean} ({number})", number + 1
        result.append(candidate)
    return result


def _records(headers: list[str], rows: Iterable[Sequence[Value]]) -> Iterator[dict[str, Any]]:
    """Each row as the dict the writer takes, its strings made writable and its times UTC."""
    width = len(headers)
    empty = True
    for values in rows:
        empty = False
        cells = list(values[:width])
        if len(cells) < width:
            cells += [None] * (width - len(cells))
        # One look at all the row's text for the rare cell that needs cleaning or cutting.
        text = "".join([value for value in cells if isinstance(value, str)])
        if len(text) > CELL_MAX_CHARS // 2 or _ILLEGAL_XML.search(text):
            cells = [_text(value) if isinstance(value, str) else value for value in cells]
        cells = [_utc(value) if isinstance(value, datetime) else value for value in cells]
        yield dict(zip(headers, cells, strict=True))
    if empty:  # the writer takes the header row from the first row: one of empty cells
        yield dict.fromkeys(headers)


def _text(text: str) -> str:
    """A string the writer takes: without what XML cannot hold, at most Excel's length."""
    return _utf16_cut(_ILLEGAL_XML.sub("", text), CELL_MAX_CHARS)


def _utc(value: datetime) -> datetime:
    """An aware time in UTC (a naive one is taken as UTC already): the writer drops the zone
    without converting."""
    if value.tzinfo is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def _utf16_cut(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (how Excel counts), never half a character."""
    if len(text) <= limit // 2:
        return text
    return text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", "ignore")
