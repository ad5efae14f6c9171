"""Texts of /chart and /export: the heatmap's labels, the workbook's headers, the captions.

The chart and the files are drawn in a worker process from plain strings, so everything
translatable is decided here, in the reader's language. Chart labels carry fallbacks (English,
then plain codes) for machines that have no font for the reader's script; see
`bot.services.charts.resolve_labels`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.checklist import Checklist, checklist_msgctxt
from bot.i18n import Translator
from bot.services.charts import HeatmapData, HeatmapLabels, Text
from bot.services.exports import ExportData, ExportLabels, NeedsSheetLabels
from bot.services.matrix import NormMatrix, ReportCycle
from bot.services.needs import SUPPORT_KINDS
from bot.services.reads import ItemState
from bot.views.audit import audit_sheet_labels
from bot.views.common import (
    Rendered,
    countries_sorted,
    country_name,
    cycle_title,
    esc,
    item_text,
    section_label,
    shorten,
    state_label,
    status_label,
    support_kind_label,
)

CAPTION_MAX = 1024  # Telegram's limit for a photo's or document's caption


# --------------------------------------------------------------------------- the chart


def fit_caption(lines: list[str]) -> str:
    """Lines of HTML within Telegram's caption limit: whole lines are dropped, never cut."""
    while len(lines) > 1 and len("\n".join(lines)) > CAPTION_MAX:
        lines = lines[:-1]
    return "\n".join(lines)


def _title(t: Translator) -> str:
    return t.gettext("Implementation of the norms")


def _cycle_line(t: Translator, cycle: ReportCycle, now: datetime, tz: str | None) -> str:
    title = cycle_title(t, cycle.title)
    if cycle.closed_at is not None:
        return t.gettext("{cycle} (closed) · as of {date}").format(
            cycle=title, date=t.date(now, tz)
        )
    return t.gettext("{cycle} · as of {date}").format(cycle=title, date=t.date(now, tz))


def in_both(t: Translator, en: Translator, fn: Callable[[Translator], str]) -> Text:
    """A chart label in the reader's language, then in English when that differs."""
    first, second = fn(t), fn(en)
    return (first, second) if first != second else (first,)


def grid_labels(
    t: Translator,
    en: Translator,
    checklist: Checklist,
    section_ids: Sequence[str],
    country_codes: Sequence[str],
) -> dict[str, tuple[Text, ...]]:
    """A countries × norms chart's row heads, column heads (then "All") and key, as
    `HeatmapLabels` fields."""
    return {
        "rows": tuple(
            (country_name(t, code), country_name(en, code), code) for code in country_codes
        ),
        "columns": (
            *((section_id,) for section_id in section_ids),
            in_both(t, en, lambda tr: tr.pgettext("chart column", "All")),
        ),
        "key": tuple(
            (
                f"{section_id}  {section_label(t, checklist, section_id)}",
                f"{section_id}  {section_label(en, checklist, section_id)}",
                section_id,
            )
            for section_id in section_ids
        ),
    }


def heatmap(
    t: Translator, en: Translator, matrix: NormMatrix, *, now: datetime, tz: str | None
) -> tuple[HeatmapData, HeatmapLabels]:
    """The chart's numbers and labels: countries in the reader's alphabetical order."""
    rows = countries_sorted(t, matrix.rows, lambda row: row.country_code)
    data = HeatmapData(
        shares=tuple(tuple(cell.share for cell in (*row.cells, row.total)) for row in rows),
        norm_columns=len(matrix.section_ids),
    )
    both = functools.partial(in_both, t, en)
    labels = HeatmapLabels(
        title=both(_title),
        subtitle=(
            *both(lambda tr: _cycle_line(tr, matrix.cycle, now, tz)),
            f"#{matrix.cycle.cycle_id} · {now.date().isoformat()}",
        ),
        **grid_labels(
            t, en, matrix.checklist, matrix.section_ids, [row.country_code for row in rows]
        ),
        legend_title=both(lambda tr: tr.gettext("Share of items implemented, in %")),
        not_applicable=(*both(lambda tr: tr.pgettext("chart cell", "n/a")), "-"),
        footnote=both(
            lambda tr: tr.gettext(
                "Implemented items ÷ (items − not applicable). Items not answered yet count "
                "as not implemented; n/a: no item of the norm applies."
            )
        ),
    )
    return data, labels


def chart_caption(t: Translator, matrix: NormMatrix, *, now: datetime, tz: str | None) -> str:
    countries = len(matrix.rows)
    lines = [
        "📊 <b>" + esc(_title(t)) + "</b>",
        esc(shorten(_cycle_line(t, matrix.cycle, now, tz), 300)),
        t.ngettext(
            "{count} country, {norms} norms: the share of items implemented.",
            "{count} countries, {norms} norms: the share of items implemented.",
            countries,
        ).format(count=t.number(countries), norms=t.number(len(matrix.section_ids))),
        t.gettext("The numbers are in /export."),
    ]
    return fit_caption(lines)


# --------------------------------------------------------------------------- the export


def checklist_title(t: Translator, checklist: Checklist) -> str:
    return t.checklist_text(checklist_msgctxt(checklist.id, "", "title"), checklist.title)


def export_labels(t: Translator, data: ExportData, *, tz: str | None) -> ExportLabels:
    checklist = data.checklist
    cycle = data.cycle
    statuses = {status: status_label(t, status) for status in checklist.statuses}
    sections = {s.id: section_label(t, checklist, s.id) for s in checklist.sections}
    scope = (
        country_name(t, data.country_code)
        if data.country_code
        else t.ngettext("All {count} country", "All {count} countries", len(data.countries)).format(
            count=t.number(len(data.countries))
        )
    )
    about: list[tuple[str, str]] = [
        (t.gettext("Reporting cycle"), cycle_title(t, cycle.title)),
        (
            t.gettext("Checklist"),
            f"{checklist_title(t, checklist)} ({checklist.id} {checklist.version})",
        ),
        (t.gettext("Countries"), scope),
        (t.gettext("Opened"), t.datetime(cycle.opens_at, tz)),
    ]
    if cycle.deadline is not None:
        about.append((t.gettext("Deadline"), t.datetime(cycle.deadline, tz)))
    if cycle.closed_at is not None:
        about.append((t.gettext("Closed"), t.datetime(cycle.closed_at, tz)))
    about += [
        (
            t.gettext("Exported"),
            t.gettext("{date} by {name}").format(
                date=t.datetime(data.generated_at, tz), name=data.generated_by
            ),
        ),
        (
            t.gettext("Share implemented"),
            t.gettext(
                "Implemented items ÷ (items − not applicable), per norm and for all norms. "
                "Items not answered yet count as not implemented; an answer carried over from "
                "the previous cycle counts once a focal point confirms it."
            ),
        ),
        (t.gettext("Times"), t.gettext("Dates and times in the sheets are in UTC.")),
    ]
    answer_headers = (
        t.gettext("Code"),
        t.gettext("Country"),
        t.gettext("Norm"),
        t.gettext("Norm label"),
        t.gettext("Item"),
        t.gettext("Item text"),
        t.gettext("Status"),
        t.gettext("Status code"),
        t.gettext("Carried over, not confirmed"),
        t.gettext("Comment"),
        t.gettext("Evidence (link or file)"),
        t.gettext("Evidence type"),
        t.gettext("Answered by"),
        t.gettext("Answered at (UTC)"),
        t.gettext("Support needed"),
        t.gettext("Support note"),
    )
    return ExportLabels(
        sheet_answers=t.gettext("Answers"),
        sheet_matrix=t.gettext("Countries x norms"),
        sheet_history=t.gettext("History"),
        sheet_about=t.gettext("About"),
        answer_headers=answer_headers,
        matrix_headers=(t.gettext("Code"), t.gettext("Country")),
        norm_heads={
            s.id: t.gettext("({norm}) {label}").format(norm=s.id, label=sections[s.id])
            for s in checklist.sections
        },
        matrix_count_headers=(
            t.gettext("All norms"),
            t.gettext("Items"),
            t.gettext("Answered"),
            statuses.get(checklist.statuses[0], checklist.statuses[0]),
            statuses.get("not_applicable", t.gettext("Not applicable")),
            state_label(t, ItemState.SKIPPED),
            state_label(t, ItemState.TO_CONFIRM),
            state_label(t, ItemState.OPEN),
        ),
        history_headers=(
            t.gettext("Changed at (UTC)"),
            t.gettext("Code"),
            t.gettext("Country"),
            t.gettext("Item"),
            t.gettext("What changed"),
            t.gettext("Before"),
            t.gettext("After"),
            t.gettext("Changed by"),
        ),
        about=tuple(about),
        about_headers=(t.gettext("About this export"), ""),
        countries={
            code: country_name(t, code)
            for code in countries_sorted(t, data.countries, lambda code: code)
        },
        sections=sections,
        items={item.id: item_text(t, checklist, item.id) for item in checklist.items},
        statuses=statuses,
        open=state_label(t, ItemState.OPEN),
        skipped=state_label(t, ItemState.SKIPPED),
        yes=t.gettext("yes"),
        no=t.gettext("no"),
        evidence_kinds={
            "link": t.gettext("link"),
            "document": t.gettext("document"),
            "photo": t.gettext("photo"),
        },
        fields={
            "status": t.gettext("Status"),
            "comment": t.gettext("Comment"),
            "evidence": t.gettext("Evidence"),
            "skipped": t.gettext("Skipped"),
            "baseline": t.gettext("Carried over"),
            "support_kinds": t.gettext("Support needed"),
            "support_note": t.gettext("Support note"),
        },
        audit=audit_sheet_labels(t),
        cycle_title=cycle_title(t, cycle.title),
        needs=NeedsSheetLabels(
            sheet=t.gettext("Needs"),
            headers=(
                *answer_headers[:6],  # which item: as on the answers sheet
                t.gettext("Support needed"),
                t.gettext("Support codes"),
                t.gettext("Note"),
            ),
            kinds={kind: support_kind_label(t, kind) for kind in SUPPORT_KINDS},
        ),
    )


def export_caption(t: Translator, data: ExportData, *, now: datetime, tz: str | None) -> str:
    scope = (
        esc(country_name(t, data.country_code)) if data.country_code else t.gettext("all countries")
    )
    lines = [
        "📄 <b>" + esc(shorten(cycle_title(t, data.cycle.title), 200)) + "</b> · " + scope,
        t.gettext(
            "Answers, the countries x norms matrix and the history of changes, as of {date}."
        ).format(date=esc(t.datetime(now, tz))),
        t.gettext("Dates and times in the files are in UTC."),
    ]
    return fit_caption(lines)


def csv_caption(t: Translator) -> str:
    return t.gettext("The answers as CSV (UTF-8), for other tools.")


def usage(
    t: Translator,
    command: str,
    *,
    coordinator: bool,
    cycles: list[ReportCycle],
    tz: str | None,
) -> Rendered:
    """How to call /chart or /export, and the numbers of the cycles to ask for."""
    if command == "chart":
        text = t.gettext("Usage: /chart for the current cycle, or /chart NUMBER for another one.")
    elif coordinator:
        text = t.gettext(
            "Usage: /export for every country, /export TH for one country, and a cycle "
            "number for another cycle, for example /export TH 2."
        )
    else:
        text = t.gettext(
            "Usage: /export for your country's answers, or /export NUMBER for another cycle."
        )
    lines = ["ℹ️ " + text]
    if cycles:
        lines += ["", "<b>" + t.gettext("Reporting cycles") + "</b>"]
        for cycle in cycles:
            if cycle.closed_at is None:
                state = t.gettext("open since {date}").format(date=t.date(cycle.opens_at, tz))
            else:
                state = t.gettext("closed on {date}").format(date=t.date(cycle.closed_at, tz))
            title = shorten(cycle_title(t, cycle.title), 80)
            lines.append(f"#{cycle.cycle_id} {esc(title)} · {state}")
    return Rendered("\n".join(lines))
