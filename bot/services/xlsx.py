"""A small streaming XLSX writer: sheets of rows in, workbook bytes out.

Why not openpyxl or XlsxWriter: a regional export (193 countries x 150 items, with its change
history) is about a million cells, and both libraries spend 8 to 10 seconds on it on a 2-core
machine (pyexcelerate: 4 s); writing the sheet XML directly takes well under one. What is written
is the plain subset of SpreadsheetML every reader understands: shared strings, numbers, booleans,
dates as serial numbers with a date format, a bold header row that stays frozen, an autofilter
and column widths. The tests read every workbook back with openpyxl.

Strings are written exactly as given (XML-escaped, with the characters XML cannot hold removed):
neutralising formula-like text is the caller's job (`bot.services.exports.neutralise`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from xml.sax.saxutils import escape

CELL_MAX_CHARS = 32767  # Excel's limit for one cell
SHEET_NAME_MAX = 31
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (after its leap-year bug)


class Format(Enum):
    """How the numbers and dates of a column are shown; the value is the style index."""

    GENERAL = 0
    DATETIME = 2
    PERCENT = 3
    INTEGER = 4


_HEADER_STYLE = 1
_DATETIME_STYLE = Format.DATETIME.value


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


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_names(names: Sequence[str]) -> list[str]:
    """Names Excel accepts: no []:*?/\\, at most 31 characters, not blank, all different."""
    result: list[str] = []
    for n, name in enumerate(names):
        clean = _SHEET_NAME_FORBIDDEN.sub(" ", _ILLEGAL_XML.sub("", name)).strip().strip("'")
        clean = clean[:SHEET_NAME_MAX] or f"Sheet{n + 1}"
        candidate, number = clean, 2
        while candidate.lower() in (existing.lower() for existing in result):
            suffix = f" ({number})"
            candidate = clean[: SHEET_NAME_MAX - len(suffix)] + suffix
            number += 1
        result.append(candidate)
    return result


def write_workbook(
    sheets: Sequence[Sheet], *, title: str = "", created: datetime | None = None
) -> bytes:
    """The workbook as .xlsx bytes."""
    names = sheet_names([sheet.name for sheet in sheets])
    buffer = io.BytesIO()
    # Level 1: the sheet XML is very repetitive, so even the fastest level packs it well.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("docProps/core.xml", _core(title, created or datetime.now(UTC)))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        archive.writestr("xl/styles.xml", _STYLES)
        strings = _SharedStrings()
        last_rows: list[int] = []
        for n, sheet in enumerate(sheets, start=1):
            rows = [1]
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w") as stream:
                for chunk in _sheet_xml(sheet, strings, rows):
                    stream.write(chunk.encode("utf-8"))
            last_rows.append(rows[0])
        with archive.open("xl/sharedStrings.xml", "w") as stream:
            for chunk in strings.xml():
                stream.write(chunk.encode("utf-8"))
        # Written last: it names each autofilter's range, known once the rows are written.
        archive.writestr("xl/workbook.xml", _workbook(names, sheets, last_rows))
    return buffer.getvalue()


# --------------------------------------------------------------------------- cells


class _SharedStrings:
    """The workbook's table of distinct strings: a cell holds only its number in the table.

    Names, item texts and statuses come back in thousands of rows; written once each, the
    sheets are several times smaller, and so quicker to build and to compress.
    """

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.references = 0

    def number(self, value: str) -> int:
        self.references += 1
        found = self.numbers.get(value)
        if found is None:
            found = self.numbers[value] = len(self.numbers)
        return found

    def xml(self) -> Iterable[str]:
        yield (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{self.references}" uniqueCount="{len(self.numbers)}">'
        )
        chunk: list[str] = []
        for value in self.numbers:  # in the order of their numbers
            chunk.append(f"<si>{_text(value)}</si>")
            if len(chunk) > 4000:
                yield "".join(chunk)
                chunk.clear()
        yield "".join(chunk) + "</sst>"


def _text(value: str) -> str:
    value = _ILLEGAL_XML.sub("", value)[:CELL_MAX_CHARS]
    escaped = escape(value)
    if value != value.strip() or "\n" in value:
        return f'<t xml:space="preserve">{escaped}</t>'
    return f"<t>{escaped}</t>"


_EPOCH_ORDINAL = _EPOCH.toordinal()
_UNIX_EPOCH_SERIAL = 25569.0  # 1970-01-01 in Excel's days


def _serial(value: datetime | date) -> float:
    """Excel's serial day number; an aware time is written as UTC, a naive one as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp() / 86400 + _UNIX_EPOCH_SERIAL
    return float(value.toordinal() - _EPOCH_ORDINAL)


def _cell(ref: str, value: Value, style: int, strings: _SharedStrings) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="s"><v>{strings.number(value)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (datetime, date)):
        return f'<c r="{ref}" s="{_DATETIME_STYLE}"><v>{_serial(value)!r}</v></c>'
    style_attr = f' s="{style}"' if style else ""
    if isinstance(value, int):
        return f'<c r="{ref}"{style_attr}><v>{value}</v></c>'
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite: no cell
        return ""
    return f'<c r="{ref}"{style_attr}><v>{value!r}</v></c>'


def _sheet_xml(sheet: Sheet, strings: _SharedStrings, last_row_out: list[int]) -> Iterable[str]:
    """The sheet's XML in chunks; the number of its last row is left in `last_row_out`."""
    columns = list(sheet.columns)
    letters = [column_letter(n) for n in range(max(len(columns), 1))]
    styles = [column.format.value for column in columns]
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    if sheet.frozen_header:
        yield (
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            "</sheetView></sheetViews>"
        )
    yield '<sheetFormatPr defaultRowHeight="15"/>'
    if columns:
        yield (
            "<cols>"
            + "".join(
                f'<col min="{n}" max="{n}" width="{column.width:.1f}" customWidth="1"/>'
                for n, column in enumerate(columns, start=1)
            )
            + "</cols>"
        )
    yield "<sheetData>"
    header = "".join(
        f'<c r="{letters[n]}1" s="{_HEADER_STYLE}" t="s"><v>{strings.number(column.header)}</v></c>'
        for n, column in enumerate(columns)
    )
    yield f'<row r="1">{header}</row>'
    last_row = 1
    width = len(columns)
    numbers = strings.numbers
    chunk: list[str] = []
    for number, values in enumerate(sheet.rows, start=2):
        last_row = number
        row = str(number)
        chunk.append(f'<row r="{row}">')
        for n, value in enumerate(values[:width]):
            if value is None:
                continue
            if type(value) is str:  # the common case, inlined
                index = numbers.get(value)
                if index is None:
                    index = strings.number(value)
                else:
                    strings.references += 1
                chunk.append(f'<c r="{letters[n]}{row}" t="s"><v>{index}</v></c>')
            else:
                chunk.append(_cell(letters[n] + row, value, styles[n], strings))
        chunk.append("</row>")
        if len(chunk) > 4000:  # hand the compressor large pieces, not one row at a time
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield "</sheetData>"
    last_row_out[0] = last_row
    if sheet.autofilter and columns:
        yield f'<autoFilter ref="A1:{letters[len(columns) - 1]}{last_row}"/>'
    yield (
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )


# --------------------------------------------------------------------------- the package


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f"{sheets}</Types>"
    )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)


def _core(title: str, created: datetime) -> str:
    stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(_ILLEGAL_XML.sub('', title))}</dc:title>"
        "<dc:creator>normsbot</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        "</cp:coreProperties>"
    )


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _workbook(names: Sequence[str], sheets: Sequence[Sheet], last_rows: Sequence[int]) -> str:
    entries = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    # Excel keeps an autofilter's range in a hidden defined name as well.
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_quoted(name))}!$A$1:${column_letter(len(sheet.columns) - 1)}${last}"
        "</definedName>"
        for n, (name, sheet, last) in enumerate(zip(names, sheets, last_rows, strict=True))
        if sheet.autofilter and sheet.columns
    )
    defined = f"<definedNames>{filters}</definedNames>" if filters else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>{defined}</workbook>"
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = (
        f'<Relationship Id="rId{count + 1}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{count + 2}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{sheets}{styles}</Relationships>"
    )


# Cell styles by index: 0 plain, 1 header (bold on grey), 2 date and time, 3 percent,
# 4 whole number. `Format` values point here.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="3">'
    '<fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE7ECEF"/>'
    '<bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
