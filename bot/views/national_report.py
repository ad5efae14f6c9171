"""/report: a country's report (or the blank questionnaire) as a translated `ReportDocument`,
the messages around it, and how to call the command.

The document's facts come from `bot/services/national_report.py`, which takes them from the
one definition of each (the report's state from `submission.report_state`, the counts from
`reads.country_report`); this module only words them in the reader's language. What one item
shows is decided in `item_lines`, the one place to add a line to every item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.checklist import Checklist, Item, checklist_msgctxt
from bot.i18n import Translator
from bot.services.exports import AnswerRow
from bot.services.matrix import ReportCycle
from bot.services.national_report import BlankReportData, CountryReportData
from bot.services.pdf import ItemBlock, Line, ReportDocument, Table, ThemeBlock
from bot.services.reads import ItemState, StateCounts
from bot.services.submission import ReportState
from bot.views.common import (
    Rendered,
    country_name,
    cycle_title,
    draft_note,
    esc,
    item_explanation,
    item_text,
    section_label,
    shorten,
    state_label,
    status_label,
    support_kinds_text,
)
from bot.views.reports import checklist_title, fit_caption


def _section_title(t: Translator, checklist: Checklist, section_id: str) -> str:
    label = section_label(t, checklist, section_id)
    return t.gettext("({norm}) {label}").format(norm=section_id, label=label)


def _section_summary(t: Translator, checklist: Checklist, section_id: str) -> str:
    section = checklist.section(section_id)
    return t.checklist_text(checklist_msgctxt(checklist.id, section_id, "summary"), section.summary)


def report_state_text(t: Translator, state: ReportState, tz: str | None) -> str:
    """Draft, submitted or signed off, with who and when."""
    if state.signed_off_at is not None:
        return t.gettext("Signed off by {name} on {date}.").format(
            name=state.signed_off_by or "?", date=t.datetime(state.signed_off_at, tz)
        )
    if state.submitted_at is not None:
        return t.gettext("Submitted by {name} on {date}.").format(
            name=state.submitted_by or "?", date=t.datetime(state.submitted_at, tz)
        )
    return t.gettext("Draft: not submitted yet.")


def answer_status(t: Translator, row: AnswerRow) -> str:
    """The item's status word, or its state's label when it has no confirmed status."""
    if row.state is ItemState.ANSWERED and row.status is not None:
        return status_label(t, row.status)
    if row.state is ItemState.TO_CONFIRM and row.status is not None:
        return state_label(t, row.state) + " · " + status_label(t, row.status)
    return state_label(t, row.state)


def item_lines(t: Translator, row: AnswerRow) -> tuple[Line, ...]:
    """What the report shows under one item: status, comment, evidence, support needs."""
    lines = [Line(t.gettext("Status"), answer_status(t, row))]
    if row.comment:
        lines.append(Line(t.gettext("Comment"), row.comment))
    if row.evidence:
        lines.append(Line(t.gettext("Evidence"), "\n".join(row.evidence)))
    if row.support_kinds or row.support_note:
        needed = [support_kinds_text(t, row.support_kinds)] if row.support_kinds else []
        lines.append(
            Line(
                t.gettext("Support needed"),
                " – ".join([*needed, *filter(None, [row.support_note])]),
            )
        )
    return tuple(lines)


def _cycle_lines(t: Translator, cycle: ReportCycle | None, tz: str | None) -> list[Line]:
    if cycle is None:
        return []
    deadline = t.date(cycle.deadline, tz) if cycle.deadline else t.gettext("No deadline")
    return [
        Line(t.gettext("Reporting cycle"), f"#{cycle.cycle_id} {cycle_title(t, cycle.title)}"),
        Line(t.gettext("Deadline"), deadline),
    ]


def _progress(t: Translator, data: CountryReportData) -> Table:
    checklist = data.checklist
    top = checklist.statuses[0]
    headers = (
        t.gettext("Theme"),
        t.gettext("Items"),
        t.gettext("Answered"),
        status_label(t, top),
        state_label(t, ItemState.SKIPPED),
        state_label(t, ItemState.TO_CONFIRM),
        state_label(t, ItemState.OPEN),
    )

    def cells(label: str, counts: StateCounts) -> tuple[str, ...]:
        values = (
            counts.total,
            counts.answered,
            counts.by_status.get(top, 0),
            counts.skipped,
            counts.to_confirm,
            counts.open,
        )
        return (label, *(t.number(value) for value in values))

    rows = [
        cells(_section_title(t, checklist, section.id), data.sections[section.id])
        for section in checklist.sections
    ]
    rows.append(cells(t.gettext("Total"), data.counts))
    return Table(headers, tuple(rows))


def _themes(
    t: Translator,
    checklist: Checklist,
    block: Callable[[Item], ItemBlock],
    *,
    summaries: bool,
) -> tuple[ThemeBlock, ...]:
    """The instrument's themes in order, each item drawn by `block`; with `summaries`, each
    theme says what it is about."""
    return tuple(
        ThemeBlock(
            _section_title(t, checklist, section.id),
            _section_summary(t, checklist, section.id) if summaries else "",
            tuple(block(item) for item in section.items),
        )
        for section in checklist.sections
    )


def _document(
    t: Translator, checklist: Checklist, generated_at: datetime, tz: str | None, **parts: Any
) -> ReportDocument:
    """A document with what every one has: the language, the draft marking, the footer."""
    return ReportDocument(
        language=t.babel_locale.language,
        banner=draft_note(t, checklist),
        footer=t.gettext("Generated on {date}").format(date=t.datetime(generated_at, tz)),
        page_label=t.gettext("Page {page} of {pages}"),
        created_at=generated_at,
        **parts,
    )


def report_document(t: Translator, data: CountryReportData, *, tz: str | None) -> ReportDocument:
    checklist = data.checklist
    by_item = {row.item_id: row for row in data.answers}
    counts = data.counts
    cover = [
        Line(t.gettext("Country"), country_name(t, data.country_code)),
        Line(t.gettext("Instrument"), checklist_title(t, checklist)),
        *_cycle_lines(t, data.cycle, tz),
        Line(t.gettext("Report"), report_state_text(t, data.state, tz)),
        Line(
            t.gettext("Progress"),
            t.gettext("{answered} of {total} items answered, {skipped} skipped.").format(
                answered=t.number(counts.answered),
                total=t.number(counts.total),
                skipped=t.number(counts.skipped),
            ),
        ),
    ]
    themes = _themes(
        t,
        checklist,
        lambda item: ItemBlock(
            item.id, item_text(t, checklist, item.id), item_lines(t, by_item[item.id])
        ),
        summaries=False,
    )
    return _document(
        t,
        checklist,
        data.generated_at,
        tz,
        title=t.gettext("National report: {country}").format(
            country=country_name(t, data.country_code)
        ),
        subtitle=checklist_title(t, checklist),
        cover=tuple(cover),
        progress_title=t.gettext("Progress per theme"),
        progress=_progress(t, data),
        items_title=t.gettext("Answers"),
        themes=themes,
    )


def blank_document(t: Translator, data: BlankReportData, *, tz: str | None) -> ReportDocument:
    checklist = data.checklist
    cover = [
        Line(t.gettext("Instrument"), checklist_title(t, checklist)),
        *_cycle_lines(t, data.cycle, tz),
        Line(
            t.gettext("Possible answers"),
            " / ".join(status_label(t, status) for status in checklist.statuses),
        ),
    ]
    # What each question asks for travels with it: the reader has no bot to ask.
    themes = _themes(
        t,
        checklist,
        lambda item: ItemBlock(
            item.id,
            item_text(t, checklist, item.id),
            (),
            explanation=item_explanation(t, checklist, item.id),
        ),
        summaries=True,
    )
    return _document(
        t,
        checklist,
        data.generated_at,
        tz,
        title=t.gettext("Blank questionnaire"),
        subtitle=t.gettext("The questions only, to circulate between ministries before answering."),
        cover=tuple(cover),
        progress_title="",
        progress=None,
        items_title=t.gettext("Questions"),
        themes=themes,
    )


def report_caption(t: Translator, data: CountryReportData, *, tz: str | None) -> str:
    lines = [
        "📄 <b>" + esc(t.gettext("National report: {country}").format(
            country=country_name(t, data.country_code))) + "</b>",
        esc(shorten(checklist_title(t, data.checklist), 200)),
        esc(shorten(cycle_title(t, data.cycle.title), 200)),
        esc(report_state_text(t, data.state, tz)),
    ]  # fmt: skip
    note = draft_note(t, data.checklist)
    if note:
        lines.insert(2, "⚠️ " + esc(note))
    return fit_caption(lines)


def blank_caption(t: Translator, data: BlankReportData) -> str:
    lines = [
        "📄 <b>" + esc(t.gettext("Blank questionnaire")) + "</b>",
        esc(shorten(checklist_title(t, data.checklist), 200)),
    ]
    note = draft_note(t, data.checklist)
    if note:
        lines.append("⚠️ " + esc(note))
    return fit_caption(lines)


def report_usage(
    t: Translator, *, coordinator: bool, instruments: Sequence[str], unknown: str | None = None
) -> Rendered:
    """How to call /report, with the instruments' words; after the word not understood."""
    lines = []
    if unknown is not None:
        lines += [
            t.gettext("“{word}” is neither an instrument nor a country code.").format(
                word=esc(shorten(unknown, 40))
            ),
            "",
        ]
    if coordinator:
        usage = t.gettext(
            "Usage: /report TH for a country's report as PDF, /report blank for the questions "
            "only. Name an instrument to choose another one, for example /report scams TH."
        )
    else:
        usage = t.gettext(
            "Usage: /report for your country's report as PDF, /report blank for the questions "
            "only. Name an instrument to choose another one, for example /report scams."
        )
    lines.append("ℹ️ " + usage)
    lines.append(t.gettext("Instruments: {names}").format(names=esc(", ".join(instruments))))
    return Rendered("\n".join(lines))
