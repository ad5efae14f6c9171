"""The /chart heatmap: countries x norms coloured by the share implemented, as a PNG.

`render_heatmap` is a pure function of plain, picklable values (`HeatmapData`, `HeatmapLabels`)
that returns PNG bytes, so the Telegram layer can run it in a worker process: matplotlib holds
the GIL for the whole drawing, and in the bot's own process it would stall every other tap.
matplotlib is imported lazily, with the Agg backend, on the first chart of a process.

Labels come translated (see `bot/views/reports.py`), each as a list of candidates, best first:
the reader's language, then English, then plain ASCII (country codes, norm letters). A label is
drawn in the first candidate whose every character the installed fonts can show, so a chart
never shows empty boxes: on a machine without a Thai font, a Thai coordinator's chart falls back
to English names. Fonts for Thai, Khmer, Lao, Burmese, Tamil and Chinese come from the system
(Debian: `fonts-noto-core`, `fonts-wqy-microhei`) or from `NORMSBOT_CHART_FONTS_DIR`; see
docs/exports.md. matplotlib (3.11 and later) shapes complex scripts with libraqm.
"""

from __future__ import annotations

import io
import logging
import math
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

# Families tried in this order, glyph by glyph; those not installed are left out. DejaVu Sans
# ships with matplotlib, so Latin, Vietnamese and the digits always render.
PREFERRED_FAMILIES: tuple[str, ...] = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans Thai",
    "Noto Sans Khmer",
    "Noto Sans Lao",
    "Noto Sans Myanmar",
    "Noto Sans Tamil",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Loma",  # fonts-thai-tlwg
    "Khmer OS",  # fonts-khmeros-core
    "Phetsarath OT",  # fonts-lao
    "Padauk",  # fonts-sil-padauk
    "Lohit Tamil",  # fonts-lohit-taml
)
# Font files whose names start like these are added to matplotlib's list when its cache was
# built before they were installed.
_FONT_FILE_PREFIXES = (
    "NotoSans-",
    "NotoSansThai-",
    "NotoSansKhmer-",
    "NotoSansLao-",
    "NotoSansMyanmar-",
    "NotoSansTamil-",
    "NotoSansCJK",
    "SourceHanSans",
    "wqy-",
    "DroidSansFallback",
    "Loma",
    "KhmerOS",
    "Phetsarath",
    "Padauk",
    "Lohit-Tamil",
)

# Telegram shows a photo downscaled to 2560 pixels at most; a taller chart goes as a file.
PHOTO_MAX_ROWS = 40
DPI = 150
WIDTH_INCHES = 7.2  # 1080 pixels: a phone screen's width

Text = tuple[str, ...]  # candidates for one label, best first; the last one is plain ASCII

# Every label may hold text a person typed (a cycle's title, a country's name): drawn as it
# reads, never parsed as mathtext ("$...$") or handed to LaTeX, where "$\\undefinedmacro{x}$"
# in one title would make every /chart fail. Given to each text call, and as the default of
# the drawing's rc_context for the texts matplotlib makes itself (tick labels).
PLAIN_TEXT: dict[str, Any] = {"parse_math": False, "usetex": False}


@dataclass(frozen=True)
class HeatmapData:
    """Shares implemented, 0.0 to 1.0 (None: nothing applicable), one row per country."""

    shares: tuple[tuple[float | None, ...], ...]
    # Columns after this index are summaries (the "all norms" column), drawn apart.
    norm_columns: int
    # For a chart of counts rather than shares (the needs chart): the text of each cell, the
    # legend's five tick labels (at 0, ¼, ½, ¾ and 1) and the colour map.
    cells: tuple[tuple[str, ...], ...] | None = None
    ticks: tuple[str, ...] = ("0%", "25%", "50%", "75%", "100%")
    colormap: str = "YlGn"


@dataclass(frozen=True)
class HeatmapLabels:
    title: Text
    subtitle: Text
    rows: tuple[Text, ...]  # country names
    columns: tuple[Text, ...]  # short column heads: norm letters, then "All"
    key: tuple[Text, ...]  # one line per norm: "a  Cooperate for stability"
    legend_title: Text
    not_applicable: Text  # written in cells where nothing is applicable
    footnote: Text


@dataclass(frozen=True)
class ResolvedLabels:
    """The labels as drawn: one string each, and whether any fell back from the first choice."""

    title: str
    subtitle: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    key: tuple[str, ...]
    legend_title: str
    not_applicable: str
    footnote: str
    fell_back: bool


# --------------------------------------------------------------------------- fonts


@dataclass(frozen=True)
class FontSet:
    """Installed font families to draw with, and every character they can show."""

    families: tuple[str, ...]
    coverage: tuple[frozenset[int], ...]  # the characters of each family
    codepoints: frozenset[int]  # of all of them
    files: tuple[str, ...] = ()  # the regular face's file of each family (the PDF embeds it)

    def can_render(self, text: str) -> bool:
        return all(ord(char) in self.codepoints or _invisible(char) for char in text)

    def needed_for(self, texts: Iterable[str]) -> tuple[str, ...]:
        """The families, in order, that the texts need: the first, and each one after it that
        has a character none before it has."""
        if not self.families:
            return ("DejaVu Sans",)
        wanted = {ord(char) for text in texts for char in text if not _invisible(char)}
        needed = [self.families[0]]
        covered = set(self.coverage[0])
        for family, codepoints in zip(self.families[1:], self.coverage[1:], strict=True):
            extra = (wanted - covered) & codepoints
            if extra:
                needed.append(family)
                covered |= codepoints
        return tuple(needed)


def _all_strings(text: ResolvedLabels) -> list[str]:
    return [
        text.title,
        text.subtitle,
        *text.rows,
        *text.columns,
        *text.key,
        text.legend_title,
        text.not_applicable,
        text.footnote,
        "0123456789%",
    ]


def _invisible(char: str) -> bool:
    # Spaces and format characters (zero-width joiners and the like) need no glyph.
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc")


_fonts_lock = threading.Lock()
_font_sets: dict[tuple[str | None, tuple[str, ...] | None], FontSet] = {}


def available_fonts(fonts_dir: str | None = None, families: Sequence[str] | None = None) -> FontSet:
    """The preferred families that are installed (or only `families`, when given), cached.

    `fonts_dir` is an extra folder of .ttf/.otf/.ttc files (NORMSBOT_CHART_FONTS_DIR).
    """
    key = (fonts_dir, tuple(families) if families is not None else None)
    with _fonts_lock:
        if key not in _font_sets:
            _font_sets[key] = _load_fonts(fonts_dir, families)
        return _font_sets[key]


def _load_fonts(fonts_dir: str | None, families: Sequence[str] | None) -> FontSet:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    manager = font_manager.fontManager
    known = {entry.fname for entry in manager.ttflist}
    candidates = list(font_manager.findSystemFonts())
    if fonts_dir:
        candidates += [
            str(path)
            for path in sorted(Path(fonts_dir).glob("**/*"))
            if path.suffix.lower() in (".ttf", ".otf", ".ttc")
        ]
    for path in candidates:
        name = Path(path).name
        from_extra_dir = fonts_dir is not None and path.startswith(str(fonts_dir))
        if path not in known and (from_extra_dir or name.startswith(_FONT_FILE_PREFIXES)):
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError) as error:
                log.warning("cannot use the font file %s: %s", path, error)

    wanted = list(families) if families is not None else list(PREFERRED_FAMILIES)
    if fonts_dir:
        extra = sorted(
            {entry.name for entry in manager.ttflist if entry.fname.startswith(str(fonts_dir))}
        )
        wanted += [family for family in extra if family not in wanted]
    files: dict[str, str] = {}
    for entry in manager.ttflist:
        if entry.name in wanted and entry.style == "normal":
            # Prefer the regular weight's file: it has the full character map.
            current = files.get(entry.name)
            if current is None or _weight(entry.weight) == 400:
                files[entry.name] = entry.fname
    present: list[str] = []
    coverage: list[frozenset[int]] = []
    paths: list[str] = []
    for family in wanted:
        if family not in files:
            continue
        try:
            charmap = FT2Font(files[family]).get_charmap()
        except (OSError, RuntimeError) as error:
            log.warning("cannot read the font %s: %s", files[family], error)
            continue
        present.append(family)
        coverage.append(frozenset(charmap))
        paths.append(files[family])
    return FontSet(tuple(present), tuple(coverage), frozenset().union(*coverage), tuple(paths))


def _weight(value: Any) -> int:
    named = {"normal": 400, "regular": 400, "book": 400, "bold": 700}
    if isinstance(value, int):
        return value
    return named.get(str(value).lower(), 400)


def resolve_labels(labels: HeatmapLabels, fonts: FontSet) -> ResolvedLabels:
    """Pick, for every label, its first candidate the fonts can show fully."""
    fell_back = False

    def pick(candidates: Text) -> str:
        nonlocal fell_back
        for n, candidate in enumerate(candidates):
            if fonts.can_render(candidate):
                fell_back = fell_back or n > 0
                return candidate
        fell_back = True
        last = candidates[-1] if candidates else ""
        return "".join(char if fonts.can_render(char) else "?" for char in last)

    resolved = ResolvedLabels(
        title=pick(labels.title),
        subtitle=pick(labels.subtitle),
        rows=tuple(pick(row) for row in labels.rows),
        columns=tuple(pick(column) for column in labels.columns),
        key=tuple(pick(line) for line in labels.key),
        legend_title=pick(labels.legend_title),
        not_applicable=pick(labels.not_applicable),
        footnote=pick(labels.footnote),
        fell_back=False,
    )
    return ResolvedLabels(**{**resolved.__dict__, "fell_back": fell_back})


# --------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class _Layout:
    """Sizes in inches and points, chosen from the number of rows."""

    row_height: float
    cell_font: float
    label_font: float
    # Write the share into every cell, or only into the summary column: a large chart would
    # spend seconds drawing thousands of numbers nobody can read on a phone anyway (the
    # export's matrix sheet has them all).
    every_cell: bool


def _layout(rows: int) -> _Layout:
    if rows <= 16:
        return _Layout(row_height=0.46, cell_font=12.5, label_font=12.5, every_cell=True)
    if rows <= PHOTO_MAX_ROWS:
        return _Layout(row_height=0.32, cell_font=10, label_font=10, every_cell=True)
    return _Layout(row_height=0.22, cell_font=7, label_font=7.5, every_cell=False)


def render_heatmap(
    data: HeatmapData,
    labels: HeatmapLabels,
    *,
    fonts_dir: str | None = None,
    font_families: Sequence[str] | None = None,
) -> bytes:
    """Draw the heatmap and return it as PNG bytes (1080 pixels wide).

    `font_families` limits the fonts to those families (the fallback can be seen at work);
    by default every installed family of `PREFERRED_FAMILIES` is used.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # A family without a bold face (most CJK fonts) is drawn in its regular weight: expected,
    # not worth a warning in the log for every chart.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    fonts = available_fonts(fonts_dir, font_families)
    text = resolve_labels(labels, fonts)
    # Only the families these labels need: each family in the list costs a font look-up per
    # text drawn, which adds up over the cells of a large chart.
    families = fonts.needed_for(_all_strings(text))
    if text.fell_back:
        log.info("chart labels fell back to another language: no font for some characters")

    n_rows = len(data.shares)
    n_cols = len(labels.columns)
    layout = _layout(n_rows)
    key_lines = math.ceil(len(text.key) / 2)

    left, right = 2.25, 0.4  # the right margin leaves room for the legend's "100%"
    top = 1.25  # title, subtitle and the column heads
    grid_height = max(n_rows, 1) * layout.row_height
    legend = 0.95
    key_height = key_lines * 0.24 + 0.2
    footnote = 0.6  # two lines
    height = top + grid_height + legend + key_height + footnote
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    with matplotlib.rc_context(
        {"font.family": list(families), "text.parse_math": False, "text.usetex": False}
    ):
        ax = fig.add_axes(
            (
                left / WIDTH_INCHES,
                (legend + key_height + footnote) / height,
                (WIDTH_INCHES - left - right) / WIDTH_INCHES,
                grid_height / height,
            )
        )
        image = _draw_grid(ax, data, text, layout, n_cols)
        fig.text(
            0.03,
            1 - 0.32 / height,
            text.title,
            fontsize=15,
            fontweight="bold",
            va="center",
            **PLAIN_TEXT,
        )
        fig.text(
            0.03,
            1 - 0.66 / height,
            text.subtitle,
            fontsize=10.5,
            va="center",
            color="#444",
            **PLAIN_TEXT,
        )

        bar = fig.add_axes(
            (
                left / WIDTH_INCHES,
                (key_height + footnote + 0.42) / height,
                (WIDTH_INCHES - left - right) / WIDTH_INCHES,
                0.16 / height,
            )
        )
        colorbar = fig.colorbar(image, cax=bar, orientation="horizontal")
        colorbar.set_ticks([0, 0.25, 0.5, 0.75, 1])
        colorbar.set_ticklabels(list(data.ticks))
        colorbar.ax.tick_params(labelsize=9)
        colorbar.outline.set_visible(False)
        fig.text(
            left / WIDTH_INCHES,
            (key_height + footnote + 0.68) / height,
            text.legend_title,
            fontsize=10,
            va="center",
            **PLAIN_TEXT,
        )
        _draw_key(fig, text.key, height, key_height + footnote)
        fig.text(
            0.03,
            0.42 / height,
            text.footnote,
            fontsize=7.5,
            color="#555",
            va="top",
            wrap=True,  # at the figure's edge, between words
            **PLAIN_TEXT,
        )

        buffer = io.BytesIO()
        # Low compression: a few more kilobytes, much less time for a tall chart.
        fig.savefig(
            buffer, format="png", dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 3}
        )
    return buffer.getvalue()


def _draw_grid(
    ax: Axes, data: HeatmapData, text: ResolvedLabels, layout: _Layout, n_cols: int
) -> Any:
    import numpy as np
    from matplotlib import colormaps

    cmap = colormaps[data.colormap].with_extremes(bad="#e6e6e6")
    values = np.array(
        [[math.nan if share is None else share for share in row] for row in data.shares]
        or [[math.nan] * n_cols],
        dtype=float,
    )
    rows = values.shape[0]
    # A mesh of quads with white edges: the cell borders come free, and unlike an image it
    # is not resampled to the pixel grid (which costs most of the time of a tall chart).
    mesh = ax.pcolormesh(
        np.ma.masked_invalid(values),
        cmap=cmap,
        vmin=0.0,
        vmax=1.0,
        edgecolors="white",
        linewidth=1.5,
    )
    ax.set_xlim(0, n_cols)
    ax.set_ylim(rows, 0)  # the first country at the top
    ax.set_axis_off()
    # Labels as plain texts rather than ticks: a tick is a small tree of artists, and a chart
    # of 193 countries would build hundreds of them.
    for x, column in enumerate(text.columns):
        ax.text(
            x + 0.5,
            -0.15,
            column,
            ha="center",
            va="bottom",
            fontsize=layout.label_font,
            **PLAIN_TEXT,
        )
    for y, row_label in enumerate(text.rows):
        ax.text(
            -0.12,
            y + 0.5,
            _fit(row_label, 22),
            ha="right",
            va="center",
            fontsize=layout.label_font,
            **PLAIN_TEXT,
        )
    if data.norm_columns < n_cols:
        ax.axvline(data.norm_columns, color="white", linewidth=6)
    for y, row in enumerate(data.shares):
        for x, share in enumerate(row):
            if not (layout.every_cell or x >= data.norm_columns):
                continue
            # Numbers without "%": the legend says they are percentages, and "100%" would
            # not fit a cell at a size a phone can show.
            if data.cells is not None:
                label = data.cells[y][x]
            else:
                label = text.not_applicable if share is None else str(round(share * 100))
            dark = share is not None and share >= 0.6
            ax.text(
                x + 0.5,
                y + 0.5,
                label,
                ha="center",
                va="center",
                fontsize=layout.cell_font,
                color="white" if dark else "#222",
                fontweight="bold" if x >= data.norm_columns else "normal",
                **PLAIN_TEXT,
            )
    return mesh


def _draw_key(fig: Figure, key: Iterable[str], height: float, bottom: float) -> None:
    lines = list(key)
    half = math.ceil(len(lines) / 2)
    for n, line in enumerate(lines):
        column, row = divmod(n, half)
        fig.text(
            0.03 + column * 0.5,
            (bottom - 0.12 - row * 0.24) / height,
            _fit(line, 44),
            fontsize=8.5,
            va="top",
            color="#333",
            **PLAIN_TEXT,
        )


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sends_as_photo(data: HeatmapData) -> bool:
    """Short charts go as a photo; taller ones as a PNG file, which Telegram keeps sharp."""
    return len(data.shares) <= PHOTO_MAX_ROWS
