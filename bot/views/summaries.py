"""Texts of /summary, /status and /compare: one line per country, countries behind first.

These texts can be long (a region of many countries, a checklist of many items): they are
built line by line, with no tag across lines, so that `send()` can split them anywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_timedelta

from bot.i18n import Translator
from bot.services.cycles import DaysLeft
from bot.services.reads import ItemState
from bot.services.summaries import (
    Change,
    Comparison,
    CountryComparison,
    CountryRow,
    CountryStatus,
    RegionalSummary,
    behind_first,
)
from bot.views.callbacks import CountryStatusButton
from bot.views.common import (
    OPEN_EMOJI,
    SKIPPED_EMOJI,
    STATE_EMOJI,
    Rendered,
    chunks,
    countries_sorted,
    country_name,
    cycle_title,
    emoji_of,
    esc,
    instrument_line,
    item_text,
    keyboard,
    section_label,
    shorten,
    state_label,
    status_label,
)
from bot.views.cycles import deadline_line

OPEN_ITEMS_SHOWN = 30
CONFIRM_EMOJI = STATE_EMOJI[ItemState.TO_CONFIRM]


def ago(t: Translator, moment: datetime, now: datetime) -> str:
    """ "3 days ago", in the reader's language."""
    return format_timedelta(
        min(moment - now, -timedelta(seconds=1)), add_direction=True, locale=t.babel_locale
    )


def _cycle_header(
    t: Translator,
    deadline: datetime | None,
    closed_at: datetime | None,
    left: DaysLeft | None,
    timezone: str | None,
) -> str:
    if closed_at is not None:
        return "🔒 " + t.gettext("Closed on {date}").format(date=t.date(closed_at, timezone))
    return deadline_line(t, deadline, left, timezone)


def _report_mark(row: CountryRow) -> str:
    if row.final:
        return "🏁"
    if row.submitted:
        return "📨"
    if row.answered or row.skipped:
        return "✏️"
    return "⚪"


def _country_line(t: Translator, row: CountryRow, now: datetime) -> str:
    parts = [
        f"{_report_mark(row)} <b>{esc(country_name(t, row.country_code))}</b>",
        t.gettext("{answered}/{total} answered").format(
            answered=t.number(row.answered), total=t.number(row.total)
        ),
        t.gettext("{share} implemented").format(share=t.percent(row.implemented_share)),
    ]
    if row.to_confirm:
        parts.append(
            CONFIRM_EMOJI
            + " "
            + t.gettext("{count} to confirm").format(count=t.number(row.to_confirm))
        )
    if row.final:
        parts.append(t.gettext("signed off"))
    elif row.submitted:
        parts.append(t.gettext("submitted"))
    else:
        parts.append(t.gettext("not submitted"))
    if row.last_activity is not None:
        parts.append(t.gettext("active {ago}").format(ago=ago(t, row.last_activity, now)))
    if row.focal_points == 0:
        parts.append("👤 " + t.gettext("no focal point"))
    return " · ".join(parts)


def render_summary(
    t: Translator, summary: RegionalSummary, *, timezone: str | None, now: datetime
) -> Rendered:
    lines = [
        "📊 <b>" + esc(cycle_title(t, summary.cycle_title)) + "</b>",
        *([instrument_line(t, summary.checklist)] if summary.checklist else []),
        _cycle_header(t, summary.deadline, summary.closed_at, summary.days_left, timezone),
    ]
    if summary.scope is None:
        lines.append(
            "📨 "
            + t.gettext(
                "Reports submitted: {submitted} of {countries} · signed off: {final}"
            ).format(
                submitted=t.number(summary.submitted),
                countries=t.number(len(summary.countries)),
                final=t.number(summary.final),
            )
        )
        lines.append(
            t.gettext("Answered across the region: {share}").format(
                share=t.percent(summary.answered_share)
            )
        )
    lines.append("")
    # Countries behind first (the service's order), equals by name in the reader's language.
    for row in countries_sorted(t, summary.countries, _code, first=behind_first):
        lines.append(_country_line(t, row, now))
    lines.append("")
    if summary.scope is None:
        lines.append(
            t.gettext(
                "⚪ nothing yet · ✏️ in progress · 📨 submitted · 🏁 signed off. Countries behind "
                "come first. Details: /status COUNTRY"
            )
        )
    else:  # a focal point sees their own country only: /status needs no country
        lines.append(
            t.gettext(
                "⚪ nothing yet · ✏️ in progress · 📨 submitted · 🏁 signed off. Details: /status"
            )
        )
    return Rendered("\n".join(lines))


# --------------------------------------------------------------------------- /status


def _change_text(t: Translator, change: Change) -> str:
    if change.field == "status":
        old = (
            status_label(t, change.old_value) if change.old_value else t.pgettext("status", "Open")
        )
        new = (
            status_label(t, change.new_value) if change.new_value else t.pgettext("status", "Open")
        )
        return t.gettext("{old} → {new}").format(old=esc(old), new=esc(new))
    if change.field == "baseline":
        return t.gettext("confirmed the answer from the last cycle")
    if change.field == "skipped":
        return t.gettext("skipped") if change.new_value == "true" else t.gettext("unskipped")
    if change.field == "comment":
        return t.gettext("comment removed") if change.new_value is None else t.gettext("comment")
    if change.field == "evidence":
        return t.gettext("evidence removed") if change.new_value is None else t.gettext("evidence")
    if change.field == "support_kinds" and change.new_value is None:
        return t.gettext("support needs removed")
    if change.field in ("support_kinds", "support_note"):
        return t.gettext("support needs")
    return esc(change.field)


def render_status(
    t: Translator, status: CountryStatus, *, timezone: str | None, now: datetime
) -> Rendered:
    checklist = status.checklist
    lines = [
        "📋 <b>"
        + esc(country_name(t, status.country_code))
        + "</b> · "
        + esc(cycle_title(t, status.cycle_title)),
        instrument_line(t, checklist),
        _cycle_header(t, status.deadline, status.closed_at, status.days_left, timezone),
        t.gettext("{answered} of {total} items answered.").format(
            answered=t.number(status.answered), total=t.number(status.total)
        ),
    ]
    counts = [
        f"{emoji_of(code)} {t.number(status.by_status[code])}"
        for code in checklist.statuses
        if status.by_status.get(code)
    ]
    if counts:
        lines.append(" · ".join(counts))
    report = status.report
    if report.signed_off_at is not None:
        lines.append(
            "🏁 "
            + t.gettext("Signed off by {name} on {date}.").format(
                name=esc(report.signed_off_by or "?"), date=t.date(report.signed_off_at, timezone)
            )
        )
    if report.submitted_at is not None:
        lines.append(
            "📨 "
            + t.gettext("Submitted by {name} on {date}.").format(
                name=esc(report.submitted_by or "?"), date=t.date(report.submitted_at, timezone)
            )
        )
    else:
        lines.append("📨 " + t.gettext("Not submitted."))
        if report.reopened_at is not None:
            lines.append(
                "🔓 "
                + t.gettext("Reopened by a change from {name} on {date}.").format(
                    name=esc(report.reopened_by or "?"),
                    date=t.date(report.reopened_at, timezone),
                )
            )
    if status.focal_points == 0:
        lines.append("👤 " + t.gettext("No focal point is enrolled for this country."))

    lines += ["", "<b>" + t.gettext("By norm") + "</b>"]
    for norm in status.norms:
        parts = [
            f"<b>{esc(norm.section_id)}</b> "
            + esc(shorten(section_label(t, checklist, norm.section_id), 40))
            + f": {t.number(norm.answered)}/{t.number(norm.total)}"
        ]
        parts += [
            f"{emoji_of(code)} {t.number(norm.by_status[code])}"
            for code in checklist.statuses
            if norm.by_status.get(code)
        ]
        if norm.open:
            parts.append(f"{OPEN_EMOJI} {t.number(norm.open)}")
        if norm.skipped:
            parts.append(f"{SKIPPED_EMOJI} {t.number(norm.skipped)}")
        if norm.to_confirm:
            parts.append(f"{CONFIRM_EMOJI} {t.number(norm.to_confirm)}")
        lines.append(" ".join(parts))

    if status.open_items:
        lines += [
            "",
            "<b>"
            + t.gettext("Still open ({count})").format(count=t.number(len(status.open_items)))
            + "</b>",
        ]
        for item in status.open_items[:OPEN_ITEMS_SHOWN]:
            mark = CONFIRM_EMOJI if item.to_confirm else OPEN_EMOJI
            lines.append(
                f"{mark} <b>{esc(item.item_id)}</b> "
                + esc(shorten(item_text(t, checklist, item.item_id), 60))
            )
        rest = len(status.open_items) - OPEN_ITEMS_SHOWN
        if rest > 0:
            lines.append(
                t.ngettext("… and {count} more.", "… and {count} more.", rest).format(
                    count=t.number(rest)
                )
            )
        lines.append(
            f"{OPEN_EMOJI} {state_label(t, ItemState.OPEN)} · "
            f"{CONFIRM_EMOJI} {state_label(t, ItemState.TO_CONFIRM)}"
        )
    if status.skipped_items:
        lines += [
            "",
            f"{SKIPPED_EMOJI} <b>{state_label(t, ItemState.SKIPPED)} "
            f"({t.number(len(status.skipped_items))})</b>: "
            + esc(", ".join(status.skipped_items[:OPEN_ITEMS_SHOWN]))
            + (" …" if len(status.skipped_items) > OPEN_ITEMS_SHOWN else ""),
        ]

    lines += ["", "<b>" + t.gettext("Recent changes") + "</b>"]
    if not status.recent:
        lines.append(t.gettext("No changes in this cycle yet."))
    for change in status.recent:
        lines.append(
            f"{t.date(change.changed_at, timezone)} {t.time(change.changed_at, timezone)} · "
            f"{esc(change.changed_by or '?')} · <b>{esc(change.item_id)}</b> "
            + _change_text(t, change)
        )
    return Rendered("\n".join(lines))


# --------------------------------------------------------------------------- /compare


def _arrow(before: int, after: int) -> str:
    return f"{before} → {after}"


def render_compare(t: Translator, comparison: Comparison) -> Rendered:
    if comparison.previous_title is None:
        return Rendered(
            "🔁 <b>"
            + esc(cycle_title(t, comparison.cycle_title))
            + "</b>\n"
            + t.gettext("There is no earlier cycle to compare this one with yet.")
        )
    checklist = comparison.checklist
    top = comparison.top_status
    lines = [
        "🔁 "
        + t.gettext("{current} compared with {previous}").format(
            current="<b>" + esc(cycle_title(t, comparison.cycle_title)) + "</b>",
            previous="<b>" + esc(cycle_title(t, comparison.previous_title)) + "</b>",
        ),
        instrument_line(t, checklist),
        t.gettext("{emoji} = {status}").format(emoji=emoji_of(top), status=status_label(t, top)),
    ]
    if comparison.new_items:
        lines.append(
            t.gettext("New items in this checklist version: {items}").format(
                items=esc(", ".join(comparison.new_items))
            )
        )
    # Countries with nothing to tell share one line at the end: ten "No changes." lines would
    # fill a phone's screen and hide the countries that changed.
    unchanged = []
    for country in countries_sorted(t, comparison.countries, _code):
        if _unchanged(country):
            unchanged.append(country)
            continue
        lines += [
            "",
            f"<b>{esc(country_name(t, country.country_code))}</b>: "
            + f"{emoji_of(top)} "
            + _arrow(country.implemented_before, country.implemented_now)
            + " · "
            + t.gettext("answered {before} → {after}").format(
                before=t.number(country.answered_before), after=t.number(country.answered_now)
            ),
        ]
        if country.unconfirmed:
            lines.append(
                f"{CONFIRM_EMOJI} "
                + t.ngettext(
                    "{count} answer from the last cycle not yet confirmed",
                    "{count} answers from the last cycle not yet confirmed",
                    country.unconfirmed,
                ).format(count=t.number(country.unconfirmed))
            )
        if not country.norms:
            lines.append(t.gettext("No changes."))
        for norm in country.norms:
            lines.append(
                f"  <b>{esc(norm.section_id)}</b> "
                + esc(shorten(section_label(t, checklist, norm.section_id), 40))
                + f": {emoji_of(top)} "
                + _arrow(norm.implemented_before, norm.implemented_now)
            )
            for change in norm.changes:
                old = (
                    f"{emoji_of(change.old_status)} {status_label(t, change.old_status)}"
                    if change.old_status
                    else OPEN_EMOJI + " " + t.gettext("no answer")
                )
                new = f"{emoji_of(change.new_status)} " + (
                    status_label(t, change.new_status) if change.new_status else ""
                )
                lines.append(f"    {esc(change.item_id)}: {esc(old)} → {esc(new)}")
    if unchanged:
        lines += ["", no_changes_line(t, [c.country_code for c in unchanged])]
    return Rendered("\n".join(lines))


def no_changes_line(t: Translator, codes: list[str]) -> str:
    """ "No changes: Brunei Darussalam, Cambodia, …": the countries in the reader's order."""
    names = ", ".join(esc(country_name(t, code)) for code in countries_sorted(t, codes, str))
    return t.gettext("No changes: {countries}").format(countries=names)


def _unchanged(country: CountryComparison) -> bool:
    return (
        not country.norms
        and not country.unconfirmed
        and country.answered_before == country.answered_now
        and country.implemented_before == country.implemented_now
    )


def _code(row: CountryRow | CountryComparison) -> str:
    return row.country_code


# --------------------------------------------------------------------------- choosing a country

CHOICE_MAX = 48  # more countries than this: type the code instead of a wall of buttons


def render_status_choice(t: Translator, summary: RegionalSummary) -> Rendered:
    """/status without a country (coordinators): a button per country, by name."""
    text = "📋 " + t.gettext("Which country? Choose one, or send /status COUNTRY, e.g. /status TH.")
    if len(summary.countries) > CHOICE_MAX:
        return Rendered(text)
    buttons = [
        (
            f"{_report_mark(row)} {country_name(t, row.country_code)}",
            CountryStatusButton(row.country_code).pack(),
        )
        for row in countries_sorted(t, summary.countries, _code)
    ]
    return Rendered(text, keyboard(chunks(buttons, 2)))
