"""Texts of capacity needs: the kinds of support, /needs, and the labels of the needs chart."""

from __future__ import annotations

import functools
from datetime import datetime

from bot.i18n import Translator
from bot.services.charts import HeatmapData, HeatmapLabels
from bot.services.needs import NeedsGrid, NeedsPicture
from bot.views.callbacks import CallbackDataError, NeedsChartButton
from bot.views.common import (
    Rendered,
    countries_sorted,
    country_name,
    cycle_title,
    draft_note,
    esc,
    instrument_title,
    keyboard,
    section_label,
    shorten,
    support_kind_label,
    support_kinds_text,
)
from bot.views.reports import grid_labels, in_both

SUPPORT_EMOJI = "🆘"
TEXT_BUDGET = 3800  # characters of /needs' HTML: one message (4096 shown), the rest in /export


def support_lines(t: Translator, kinds: tuple[str, ...], note: str | None) -> list[str]:
    """What an item screen shows of the recorded needs (HTML), nothing when none are."""
    if not kinds and not note:
        return []
    line = f"{SUPPORT_EMOJI} " + t.gettext("Support needed: {kinds}").format(
        kinds=esc(support_kinds_text(t, kinds)) if kinds else "—"
    )
    lines = [line]
    if note:
        lines.append("<i>" + esc(shorten(note, 300)) + "</i>")
    return lines


def render_needs(t: Translator, picture: NeedsPicture) -> Rendered:
    """/needs: most-requested kinds of support per theme, the countries asking for each."""
    checklist = picture.checklist
    lines = [
        f"{SUPPORT_EMOJI} <b>"
        + t.gettext("Support needs · {instrument}").format(
            instrument=esc(instrument_title(t, checklist))
        )
        + "</b>",
        esc(shorten(cycle_title(t, picture.cycle_title), 120)),
    ]
    if (note := draft_note(t, checklist)) is not None:
        lines.append("<i>" + esc(note) + "</i>")
    if picture.section_id is not None:
        lines.append(
            t.gettext("Theme {theme}: {label}").format(
                theme=esc(picture.section_id),
                label=esc(shorten(section_label(t, checklist, picture.section_id), 80)),
            )
        )
    if picture.country_code is not None:
        lines.append(esc(country_name(t, picture.country_code)))
    lines.append("")
    if not picture.items:
        lines.append(t.gettext("No country has asked for support yet."))
        return Rendered("\n".join(lines))
    lines.append(
        t.ngettext(
            "{count} item asks for support, from {countries}.",
            "{count} items ask for support, from {countries}.",
            len(picture.items),
        ).format(
            count=t.number(len(picture.items)),
            countries=t.ngettext(
                "{count} country", "{count} countries", len(picture.countries)
            ).format(count=t.number(len(picture.countries))),
        )
    )
    body: list[str] = []
    if picture.groups:
        body += ["", t.gettext("Most requested first; in brackets, the items asking:")]
    for group in picture.groups:
        countries = ", ".join(
            f"{esc(country_name(t, code))} ({t.number(count)})" for code, count in group.countries
        )
        body.append(
            f"• <b>{esc(group.section_id)}</b> "
            + esc(shorten(section_label(t, checklist, group.section_id), 40))
            + " · "
            + esc(support_kind_label(t, group.kind))
            + f": {countries}"
        )
    if picture.country_code is not None:  # one country: each item, with its note
        body.append("")
        for need in picture.items:
            kinds = esc(support_kinds_text(t, need.kinds)) if need.kinds else "—"
            line = f"<b>{esc(need.item_id)}</b> {kinds}"
            if need.note:
                line += " — <i>" + esc(shorten(need.note, 200)) + "</i>"
            body.append(line)
    # One message, never cut inside a line: what does not fit is in the export.
    more = t.gettext("More in the Needs sheet of /export.")
    budget = TEXT_BUDGET - len("\n".join(lines)) - len(more) - 2
    shown = 0
    for line in body:
        budget -= len(line) + 1
        if budget < 0:
            break
        shown += 1
    lines += body[:shown]
    if shown < len(body):
        lines += ["", more]
    try:
        button = NeedsChartButton(checklist.short_name, picture.section_id or picture.country_code)
        chart = [[(t.gettext("📊 Chart"), button.pack())]]
    except CallbackDataError:  # an instrument named too long for a button: no chart button
        chart = []
    return Rendered("\n".join(lines), keyboard(chart) if chart else None)


def needs_chart(
    t: Translator,
    en: Translator,
    picture: NeedsPicture,
    grid: NeedsGrid,
    *,
    now: datetime,
    tz: str | None,
) -> tuple[HeatmapData, HeatmapLabels]:
    """The needs chart's numbers and labels: countries (reader's name order) × themes."""
    rows = countries_sorted(t, list(zip(grid.countries, grid.counts, strict=True)), lambda r: r[0])
    most = max((max(counts, default=0) for _, counts in rows), default=0) or 1
    checklist = picture.checklist
    both = functools.partial(in_both, t, en)
    most_total = max((sum(counts) for _, counts in rows), default=0) or 1
    data = HeatmapData(
        shares=tuple(
            (*(count / most for count in counts), sum(counts) / most_total) for _, counts in rows
        ),
        norm_columns=len(grid.section_ids),
        cells=tuple(tuple(str(count) for count in (*counts, sum(counts))) for _, counts in rows),
        ticks=("0", "", "", "", str(most)),
        colormap="OrRd",
    )
    labels = HeatmapLabels(
        title=both(
            lambda tr: tr.gettext("Support needs · {instrument}").format(
                instrument=instrument_title(tr, checklist)
            )
        ),
        subtitle=(
            *both(
                lambda tr: tr.gettext("{cycle} · as of {date}").format(
                    cycle=cycle_title(tr, picture.cycle_title), date=tr.date(now, tz)
                )
            ),
            f"#{picture.cycle_id} · {now.date().isoformat()}",
        ),
        **grid_labels(t, en, checklist, grid.section_ids, [code for code, _ in rows]),
        legend_title=both(lambda tr: tr.gettext("Items asking for support")),
        not_applicable=("-",),
        footnote=both(
            lambda tr: tr.gettext(
                "Items of each theme on which a country asks for support of any kind; the "
                "kinds and notes are in /needs and in the Needs sheet of /export."
            )
        ),
    )
    return data, labels


def needs_chart_caption(t: Translator, picture: NeedsPicture) -> str:
    return (
        f"{SUPPORT_EMOJI} <b>"
        + esc(
            t.gettext("Support needs · {instrument}").format(
                instrument=instrument_title(t, picture.checklist)
            )
        )
        + "</b>\n"
        + esc(shorten(cycle_title(t, picture.cycle_title), 300))
    )
