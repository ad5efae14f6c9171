"""Sheets of rows in, XLSX workbook bytes out, written by XlsxWriter.

Why XlsxWriter: it is the well-kept library made for writing workbooks (styles, frozen panes,
autofilters, document properties and Excel's quirks), so we keep no SpreadsheetML of our own.
Every cell is written with the typed call for its value (`write_string`, `write_number`, ...):
nothing guesses what a string means, so text never turns into a number, a link or a formula.

What it costs: the regional export of `benchmarks/summaries.py` (193 countries x 150 items with
three cycles of change history, about 900,000 cells) takes XlsxWriter some 5 to 6 seconds of
one core in the worker process, where the hand-written writer it replaced took 0.7; ASEAN's
own 11 countries take it about 0.2 seconds. The workbook is built in memory
(`in_memory`): quicker than XlsxWriter's `constant_memory` mode, which the two cannot share,
and it touches no disk, at the price of about 180 MB of the worker's memory at that size.
`constant_memory` would hold that flat and write to temporary files, some 20% slower.

Strings are written as given, with the characters XML cannot hold removed and cut to Excel's
32,767 characters: neutralising formula-like text is the caller's job
(`bot.services.exports.neutralise`). The tests read every workbook back with openpyxl.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import xlsxwriter

CELL_MAX_CHARS = 32767  # Excel's limit for one cell, in UTF-16 code units
SHEET_NAME_MAX = 31
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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


def write_workbook(
    sheets: Sequence[Sheet], *, title: str = "", created: datetime | None = None
) -> bytes:
    """The workbook as .xlsx bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            # In memory, not `constant_memory` (XlsxWriter ignores that beside `in_memory`):
            # see the module's docstring. Rows are written in order all the same, so the
            # switch to `constant_memory` would be this line alone.
            "in_memory": True,
            # Typed writes never guess; these say so for any call that would.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            # Times arrive as aware UTC (`UTCDateTime`); Excel has no zones, so they are
            # written as UTC wall-clock time (see `_utc`).
            "remove_timezone": True,
        },
    )
    workbook.set_properties(
        {
            "title": _ILLEGAL_XML.sub("", title),
            "author": "normsbot",
            "created": _utc(created or datetime.now(UTC)),
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#E7ECEF"})
    formats: dict[Format, Any] = {
        fmt: workbook.add_format({"num_format": fmt.value})
        for fmt in Format
        if fmt is not Format.GENERAL
    }
    for name, sheet in zip(sheet_names([sheet.name for sheet in sheets]), sheets, strict=True):
        _write_sheet(workbook.add_worksheet(name), sheet, header, formats)
    workbook.close()
    return buffer.getvalue()


def _write_sheet(worksheet: Any, sheet: Sheet, header: Any, formats: dict[Format, Any]) -> None:
    columns = list(sheet.columns)
    for n, column in enumerate(columns):
        # The column's format shows every number in it; a date gets the date format as well.
        worksheet.set_column(n, n, column.width, formats.get(column.format))
    for n, column in enumerate(columns):
        _write_text(worksheet, 0, n, column.header, header)
    if sheet.frozen_header:
        worksheet.freeze_panes(1, 0)
    datetime_format = formats[Format.DATETIME]
    width = len(columns)
    # Bound once: a regional export calls them about a million times.
    write_string = worksheet.write_string
    write_number = worksheet.write_number
    row = 0
    for row, values in enumerate(sheet.rows, start=1):
        for n, value in enumerate(values[:width]):
            if isinstance(value, str):  # the common case first
                if value.startswith("<r>") or _ILLEGAL_XML.search(value):
                    _write_text(worksheet, row, n, value)
                else:
                    write_string(row, n, value)
            elif value is None:
                continue  # an empty cell: nothing is written
            elif isinstance(value, bool):  # before int: a bool is an int too
                worksheet.write_boolean(row, n, value)
            elif isinstance(value, int):
                write_number(row, n, value)
            elif isinstance(value, float):
                if math.isfinite(value):  # NaN and infinity: no cell, as for None
                    write_number(row, n, value)
            elif isinstance(value, datetime):
                worksheet.write_datetime(row, n, _utc(value), datetime_format)
            else:
                worksheet.write_datetime(row, n, value, datetime_format)
    if sheet.autofilter and columns:
        worksheet.autofilter(0, 0, row, width - 1)


def _write_text(worksheet: Any, row: int, col: int, text: str, cell_format: Any = None) -> None:
    """A string as text, whatever it holds."""
    text = _ILLEGAL_XML.sub("", text)
    if text.startswith("<r>") and text.endswith("</r>"):
        # XlsxWriter keeps rich text as "<r>...</r>" markup and copies a string of that shape
        # into the XML unescaped: "<r>a & b</r>" typed as a comment would break the workbook.
        # Written as a rich string of plain pieces it is escaped and reads back the same.
        text = _utf16_cut(text, CELL_MAX_CHARS)  # too long, XlsxWriter drops a rich string
        if text.endswith("</r>"):
            pieces = ("<", "r>", text[3:])
            if cell_format is None:
                worksheet.write_rich_string(row, col, *pieces)
            else:
                worksheet.write_rich_string(row, col, *pieces, cell_format)
            return
    worksheet.write_string(row, col, text, cell_format)  # cuts at CELL_MAX_CHARS itself


def _utc(value: datetime) -> datetime:
    """An aware time in UTC (a naive one is taken as UTC already): XlsxWriter's
    `remove_timezone` drops the zone without converting."""
    if value.tzinfo is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def _utf16_cut(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (how Excel counts), never half a character."""
    if len(text) <= limit // 2:
        return text
    return text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", "ignore")
