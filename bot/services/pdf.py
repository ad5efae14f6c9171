"""The /report PDF: a translated `ReportDocument` laid out on A4 pages, returned as bytes.

`render_pdf` is a pure function of plain, picklable values, like `charts.render_heatmap`, so the
Telegram layer runs it in a worker process (`bot/telegram/offload.py`). Every text arrives
translated (`bot/views/national_report.py`); this module only places it.

The library is fpdf2 with uharfbuzz (why, beside WeasyPrint: docs/reports.md). HarfBuzz shapes
each run of text, so Thai, Lao, Khmer, Burmese and Tamil marks sit where they belong; glyphs
come from the fonts the chart uses (`charts.available_fonts`: Noto for the complex scripts,
WenQuanYi or Noto CJK for Chinese), the first that has a character drawing it. Only the
families the document's text needs are embedded (as subsets).

Thai, Lao, Khmer and Burmese write words without spaces between them, and fpdf2 breaks lines at
spaces; a longer run would be cut between any two characters, perhaps between a consonant and
its vowel sign. `breakable` puts a zero-width space between grapheme clusters of such runs, so a
line may only end where a cluster ends.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services.charts import FontSet, available_fonts

# --------------------------------------------------------------------------- the document


@dataclass(frozen=True)
class Line:
    """A label and its value: "Comment: …", "Deadline: 30 June 2026"."""

    label: str
    value: str


@dataclass(frozen=True)
class ItemBlock:
    number: str  # "a.1"
    text: str  # the question
    lines: tuple[Line, ...]  # status, comment, evidence… (none in a blank questionnaire)
    explanation: str = ""  # what the question asks for (the blank questionnaire has it)


@dataclass(frozen=True)
class ThemeBlock:
    title: str  # "(a) Cooperate for stability"
    summary: str
    items: tuple[ItemBlock, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first cell of each row is its label


@dataclass(frozen=True)
class ReportDocument:
    """Everything the PDF shows, translated."""

    language: str  # BCP 47, for the PDF's /Lang and the shaping
    title: str
    subtitle: str
    banner: str | None  # the draft-instrument note, in a box under the title
    cover: tuple[Line, ...]  # country, instrument, cycle, deadline, state
    progress_title: str
    progress: Table | None  # per theme; None in a blank questionnaire
    items_title: str
    themes: tuple[ThemeBlock, ...]
    footer: str  # "Generated on …" in the reader's zone
    page_label: str  # "Page {page} of {pages}"
    created_at: datetime  # the PDF's creation date (its metadata)


def document_texts(document: ReportDocument) -> Iterator[str]:
    """Every text of the document (to choose the fonts)."""
    yield from (document.title, document.subtitle, document.banner or "", document.footer)
    yield from (document.page_label, document.progress_title, document.items_title)
    for line in document.cover:
        yield from (line.label, line.value)
    if document.progress is not None:
        yield from document.progress.headers
        for row in document.progress.rows:
            yield from row
    for theme in document.themes:
        yield from (theme.title, theme.summary)
        for item in theme.items:
            yield from (item.number, item.text, item.explanation)
            for line in item.lines:
                yield from (line.label, line.value)


# --------------------------------------------------------------------------- line breaks

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, and CJK.
_NO_SPACES = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x2E80, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
# A cluster goes on after these: Khmer's coeng and Burmese's virama stack the next consonant
# below; Thai and Lao vowels written before their consonant; the zero-width joiner.
_JOINS_NEXT = frozenset(
    "\u17d2\u1039\u200d\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4"
)
# Thai and Lao vowels written after their consonant that are letters, not marks (sara a, aa,
# am), and the repetition sign: never the first character of a line.
_NO_BREAK_BEFORE = frozenset("\u0e30\u0e32\u0e33\u0e45\u0e46\u0eb0\u0eb2\u0eb3\u0ec6")
ZWSP = "\u200b"
# Characters without a space before a run gets break points: a shorter one fits on a line (it
# is a third of the page's width in Thai at 10 points), and is copied from the PDF untouched.
LONG_RUN = 24


def _spaceless(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _NO_SPACES)


def breakable(text: str, long_run: int = LONG_RUN) -> str:
    """`text` with a zero-width space between the grapheme clusters of runs longer than
    `long_run` of a script written without spaces; other text unchanged."""
    out: list[str] = []
    for word in text.split(" "):
        if len(word) <= long_run or not any(_spaceless(char) for char in word):
            out.append(word)
            continue
        pieces: list[str] = []
        for n, char in enumerate(word):
            if (
                n > 0
                and _spaceless(char)
                and not unicodedata.category(char).startswith("M")
                and char not in _NO_BREAK_BEFORE
                and word[n - 1] not in _JOINS_NEXT
                and unicodedata.category(char) != "Cf"
            ):
                pieces.append(ZWSP)
            pieces.append(char)
        out.append("".join(pieces))
    return " ".join(out)


# HarfBuzz draws Thai and Lao sara am as two glyphs (nikhahit, then sara aa); fpdf2 then gives
# the second glyph a made-up character in the PDF's text layer ("ดำ'เนิน" when copied or
# searched). Written as those two characters, each glyph maps back to its own.
_SARA_AM = str.maketrans({"\u0e33": "\u0e4d\u0e32", "\u0eb3": "\u0ecd\u0eb2"})


def clean(text: str, long_run: int = LONG_RUN) -> str:
    """Text as drawn: control characters (a typed tab, a stray escape) dropped, line breaks
    kept, sara am split, long runs of unspaced scripts made breakable."""
    kept = "".join(char for char in text if char == "\n" or unicodedata.category(char) != "Cc")
    return breakable(kept.translate(_SARA_AM), long_run)


# --------------------------------------------------------------------------- layout

_INK = (20, 20, 20)
_MUTED = (95, 95, 95)
_ACCENT = (23, 64, 120)
_BANNER = (255, 236, 204)
_HEAD_FILL = (229, 235, 245)
_RULE = (200, 205, 215)


def font_runs(text: str, fonts: FontSet) -> list[tuple[str, str]]:
    """`text` cut into runs, each with the first family that has all its characters; spaces
    and invisible characters stay in the run they are in."""
    runs: list[tuple[str, str]] = []
    family = fonts.families[0] if fonts.families else ""
    piece: list[str] = []
    for char in text:
        if not (char.isspace() or unicodedata.category(char) in ("Cf", "Mn", "Mc", "Me")):
            code = ord(char)
            wanted = next(
                (name for name, covered in zip(fonts.families, fonts.coverage, strict=True)
                 if code in covered),
                family,
            )  # fmt: skip
            if wanted != family and piece:
                runs.append((family, "".join(piece)))
                piece = []
            family = wanted
        piece.append(char)
    if piece:
        runs.append((family, "".join(piece)))
    return runs


def render_pdf(
    document: ReportDocument,
    *,
    fonts_dir: str | None = None,
    font_families: Sequence[str] | None = None,
) -> bytes:
    """Lay the document out on A4 pages and return the PDF file's bytes."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    fonts = available_fonts(fonts_dir, font_families)
    texts = [clean(text) for text in document_texts(document)]
    needed = [family for family in fonts.needed_for(texts) if family in fonts.families]
    files = dict(zip(fonts.families, fonts.files, strict=True))
    # Only the families the text needs: a run never asks for another.
    used = FontSet(
        tuple(needed),
        tuple(fonts.coverage[fonts.families.index(family)] for family in needed),
        fonts.codepoints,
    )
    page_label = document.page_label
    footer_text = clean(document.footer)
    # fpdf2 puts the page count in place of "{nb}" when the document is closed, and finds it
    # only if the whole placeholder was written in one font: the one that has its characters
    # and the digits (Burmese, say, has neither, and its label then lost the count).
    count_font = font_runs("{nb}0123456789/", used)[0][0] if needed else ""

    class Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_text_color(*_MUTED)
            flow(footer_text, 8)
            page = clean(page_label.format(page=self.page_no(), pages="{nb}"))
            if count_font:
                self.set_font(count_font, size=8)
            self.set_x(self.l_margin)
            self.cell(0, 4, page, align="R")

    pdf = Pdf(format="A4", unit="mm")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    for family in needed:
        pdf.add_font(family, "", files[family])
    if needed:
        pdf.set_font(needed[0], size=10)
        # Text is written in runs of one font each (`flow`): fpdf2's own per-glyph fallback
        # lost Latin text after a coloured run of another font (fpdf2 2.8.9). The fallback
        # stays on for the table and the page number, which are one colour.
        pdf.set_fallback_fonts(needed[1:])
        pdf.set_text_shaping(True)
    else:  # no usable font file at all: fpdf2's core font, Latin only
        pdf.set_font("helvetica", size=10)
    pdf.set_title(document.title)
    pdf.set_lang(document.language)
    pdf.set_creator("normsbot")
    pdf.set_creation_date(document.created_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    def flow(text: str, size: float) -> None:
        """Write `text` from where the last text ended, wrapping at the margin."""
        for family, piece in font_runs(text, used) if needed else [("", text)]:
            pdf.set_font(family or None, size=size)
            pdf.write(size * 0.5, piece)

    def para(text: str, size: float, color: tuple[int, int, int] = _INK, gap: float = 1) -> None:
        pdf.set_x(pdf.l_margin)
        pdf.set_text_color(*color)
        flow(clean(text), size)
        pdf.ln(size * 0.5 + gap)

    def labelled(line: Line, size: float) -> None:
        pdf.set_x(pdf.l_margin)
        pdf.set_text_color(*_MUTED)
        flow(clean(line.label) + ": ", size)
        pdf.set_text_color(*_INK)
        flow(clean(line.value), size)
        pdf.ln(size * 0.5 + 0.6)

    def heading(text: str) -> None:
        pdf.ln(2)
        para(text, 14, _ACCENT, gap=0.5)
        pdf.set_draw_color(*_RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.ln(2)

    # The cover.
    para(document.title, 20, _ACCENT, gap=1)
    para(document.subtitle, 12, _MUTED, gap=3)
    if document.banner:
        banner = clean(document.banner)
        pdf.set_font(size=10.5)
        height = float(pdf.multi_cell(width - 4, 5.25, banner, dry_run=True, output="HEIGHT"))  # type: ignore[arg-type]
        top = pdf.get_y()
        pdf.set_fill_color(*_BANNER)
        pdf.rect(pdf.l_margin, top, width, height + 4, style="F")
        pdf.set_y(top + 2)
        para(banner, 10.5, _INK, gap=4)
    for line in document.cover:
        labelled(line, 11)

    if document.progress is not None:
        heading(document.progress_title)
        _table(pdf, document.progress, width, FontFace, needed[0] if needed else None)

    heading(document.items_title)
    for theme in document.themes:
        pdf.ln(1)
        para(theme.title, 12.5, _ACCENT, gap=0.5)
        if theme.summary:
            para(theme.summary, 9, _MUTED, gap=1.5)
        for item in theme.items:
            pdf.set_x(pdf.l_margin)
            pdf.set_text_color(*_ACCENT)
            flow(clean(item.number) + "  ", 10.5)
            pdf.set_text_color(*_INK)
            flow(clean(item.text), 10.5)
            pdf.ln(6)
            if item.explanation:
                para(item.explanation, 9, _MUTED, gap=1)
            for line in item.lines:
                labelled(line, 9.5)
            pdf.ln(2.5)
    return bytes(pdf.output())


def _table(pdf: Any, table: Table, width: float, font_face: Any, family: str | None) -> None:
    """The progress table: the theme's label, then its counts."""
    counts = len(table.headers) - 1
    label_width = width * 0.4
    if family:
        pdf.set_font(family, size=9)
    pdf.set_text_color(*_INK)
    with pdf.table(
        col_widths=(label_width, *([(width - label_width) / counts] * counts)),
        width=width,
        text_align=("LEFT", *(["RIGHT"] * counts)),
        headings_style=font_face(emphasis=None, fill_color=_HEAD_FILL, size_pt=8.5),
        borders_layout="HORIZONTAL_LINES",
        line_height=4.6,
        padding=1.2,
    ) as grid:
        for cells in (table.headers, *table.rows):
            row = grid.row()
            for cell in cells:
                row.cell(clean(cell, long_run=0))  # narrow columns: break any word
    pdf.ln(2)
