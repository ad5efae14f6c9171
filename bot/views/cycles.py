"""Screens of reporting cycles and reports: /cycle, a new cycle, the deadline, closing,
/submit and /signoff, and the messages the bot sends to others about them.

Buttons use the `cy` namespace: `cy:<action>:<cycle or draft id>[:<value>]`. Buttons that
change a cycle end with the cycle's version, so a repeated tap changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.i18n import Translator
from bot.services.cycles import (
    CycleInfo,
    CycleOverview,
    DaysLeft,
    DeadlineMoved,
    DraftView,
    OpenedCycle,
)
from bot.services.notices import CycleNotice, ReportNotice
from bot.services.submission import Outcome, ReportResult
from bot.views.callbacks import (
    CloseAskButton,
    CloseButton,
    CycleBackButton,
    DeadlineHelpButton,
    DraftButton,
    DraftChoice,
    ExtendButton,
    NewCycleHelpButton,
)
from bot.views.common import Rendered, country_name, cycle_title, esc, keyboard

EXTEND_DAYS = (7, 14, 30)
OPEN_ITEMS_SHOWN = 20


def days_left_text(t: Translator, left: DaysLeft) -> str:
    if left.passed:
        if left.days == 0:
            return t.gettext("the deadline has passed")
        over = -left.days
        return t.ngettext("{count} day overdue", "{count} days overdue", over).format(
            count=t.number(over)
        )
    if left.days == 0:
        return t.gettext("due today")
    return t.ngettext("{count} day left", "{count} days left", left.days).format(
        count=t.number(left.days)
    )


def deadline_line(
    t: Translator, deadline: datetime | None, left: DaysLeft | None, timezone: str | None
) -> str:
    if deadline is None:
        return "⏰ " + t.gettext("No deadline")
    text = t.gettext("Deadline: {deadline}").format(deadline=t.datetime(deadline, timezone))
    if left is not None:
        text += " · " + days_left_text(t, left)
    return "⏰ " + text


def _reports_line(t: Translator, info: CycleInfo) -> str:
    return "📨 " + t.gettext(
        "Reports submitted: {submitted} of {countries} · signed off: {final}"
    ).format(
        submitted=t.number(info.submitted),
        countries=t.number(info.countries),
        final=t.number(info.final),
    )


def _cycle_lines(t: Translator, info: CycleInfo, timezone: str | None) -> list[str]:
    lines = [
        "🗓 <b>" + esc(cycle_title(t, info.title)) + "</b>",
        t.gettext("Checklist version {version} · {count} items").format(
            version=esc(info.checklist_version), count=t.number(info.item_count)
        ),
        t.gettext("Opened on {date}").format(date=t.date(info.opens_at, timezone)),
    ]
    if info.baseline_title is not None:
        lines.append(
            "↩️ "
            + t.gettext("Started from the answers of “{title}”.").format(
                title=esc(cycle_title(t, info.baseline_title))
            )
        )
    return lines


def render_cycle(
    t: Translator, overview: CycleOverview, *, timezone: str | None, today: date
) -> Rendered:
    """/cycle: the open cycle; coordinators get buttons to change it."""
    info = overview.cycle
    if info is None:
        lines = ["🗓 " + t.gettext("No reporting cycle is open.")]
        last = overview.last_closed
        if last is not None and last.closed_at is not None:
            lines.append(
                t.gettext("The last one, “{title}”, closed on {date}.").format(
                    title=esc(cycle_title(t, last.title)), date=t.date(last.closed_at, timezone)
                )
            )
        if not overview.can_manage:
            lines.append(t.gettext("You will hear from the bot when the next cycle opens."))
            return Rendered("\n".join(lines))
        lines += ["", new_cycle_usage(t, today=today)]
        return Rendered("\n".join(lines))
    lines = _cycle_lines(t, info, timezone)
    lines.append(deadline_line(t, info.deadline, overview.days_left, timezone))
    if not overview.can_manage:
        country = esc(country_name(t, overview.own_country))
        if overview.own_signed_off_at is not None:
            state = t.gettext("{country}'s report is signed off and final.").format(country=country)
        elif overview.own_submitted_at is not None:
            state = t.gettext("{country}'s report was submitted on {date}.").format(
                country=country, date=t.date(overview.own_submitted_at, timezone)
            )
        else:
            state = t.gettext(
                "{country}'s report is not submitted yet. Send /submit when every item is "
                "answered or skipped."
            ).format(country=country)
        lines += ["", "📨 " + state]
        return Rendered("\n".join(lines))
    lines.append(_reports_line(t, info))
    rows = [
        [
            (_extend_label(t, days), ExtendButton(info.cycle_id, days, info.version).pack())
            for days in EXTEND_DAYS
        ],
        [
            (t.gettext("🗓 Other date"), DeadlineHelpButton().pack()),
            (t.gettext("🔒 Close cycle"), CloseAskButton(info.cycle_id).pack()),
        ],
        [(t.gettext("➕ New cycle"), NewCycleHelpButton().pack())],
    ]
    return Rendered("\n".join(lines), keyboard(rows))


def _extend_label(t: Translator, days: int) -> str:
    if days % 7 == 0:
        weeks = days // 7
        return t.ngettext("+{count} week", "+{count} weeks", weeks).format(count=t.number(weeks))
    return t.ngettext("+{count} day", "+{count} days", days).format(count=t.number(days))


def _example_day(today: date, days: int) -> str:
    return (today + timedelta(days=days)).isoformat()


def deadline_usage(t: Translator, *, timezone: str | None, today: date) -> str:
    return "ℹ️ " + t.gettext(
        "To set another deadline, send /deadline followed by the day, for example "
        "/deadline {example}. The cycle then ends at the end of that day, {zone} time."
    ).format(example=_example_day(today, 60), zone=esc(timezone or "UTC"))


def deadline_prompt(t: Translator, *, timezone: str | None, today: date) -> str:
    """After "Other date": the bot now takes the next text as the day."""
    return "🗓 " + t.gettext(
        "Send the new deadline as a day, for example {example}. The cycle then ends at the "
        "end of that day, {zone} time."
    ).format(example=_example_day(today, 60), zone=esc(timezone or "UTC"))


def not_a_day_text(t: Translator) -> str:
    """After "Other date", a text that is no day: the bot stops waiting for one."""
    return "⚠️ " + t.gettext(
        "That is not a day in the form YYYY-MM-DD; the deadline is unchanged. Press “Other "
        "date” in /cycle to try again."
    )


def new_cycle_usage(t: Translator, *, today: date) -> str:
    example = _example_day(today, 90)
    return "ℹ️ " + t.gettext(
        "To open a new cycle, send /newcycle with the deadline and a title, for example:\n"
        "/newcycle {example} Second reporting cycle\n"
        "Add the word baseline at the end to start from the last cycle's answers (focal points "
        "then confirm or change them). You can still change both before the cycle opens."
    ).format(example=example)


def render_deadline_moved(t: Translator, moved: DeadlineMoved, *, timezone: str | None) -> Rendered:
    text = "✔️ " + t.gettext("The deadline of “{title}” is now {deadline}.").format(
        title=esc(cycle_title(t, moved.cycle.title)), deadline=t.datetime(moved.new, timezone)
    )
    text += "\n" + t.gettext("Focal points have been told.")
    return Rendered(text)


def deadline_moved_notice(t: Translator, moved: CycleNotice, *, timezone: str | None) -> str:
    """To focal points: the deadline changed."""
    assert moved.deadline is not None
    return "⏰ " + t.gettext(
        "The deadline of the reporting cycle “{title}” has changed: it is now {deadline}."
    ).format(
        title=esc(cycle_title(t, moved.cycle_title)), deadline=t.datetime(moved.deadline, timezone)
    )


# --------------------------------------------------------------------------- new cycle


def render_draft(t: Translator, draft: DraftView, *, timezone: str | None) -> Rendered:
    lines = [
        "🆕 <b>" + t.gettext("New reporting cycle") + "</b>",
        "",
        t.gettext("Title: {title}").format(title=esc(cycle_title(t, draft.title))),
        t.gettext("Deadline: {deadline}").format(deadline=t.datetime(draft.deadline, timezone)),
        t.gettext("Checklist version {version} · {count} items").format(
            version=esc(draft.checklist_version), count=t.number(draft.item_count)
        ),
    ]
    if draft.baseline and draft.baseline_from is not None:
        lines.append(
            "↩️ "
            + t.gettext(
                "Starts from the answers of “{title}”: focal points confirm or change each one."
            ).format(title=esc(cycle_title(t, draft.baseline_from)))
        )
    else:
        lines.append("▫️ " + t.gettext("Starts with an empty checklist."))
    if draft.closes is not None:
        lines += [
            "",
            "⚠️ "
            + t.gettext(
                "Opening it closes “{title}”: its answers become read-only ({submitted} of "
                "{countries} reports submitted)."
            ).format(
                title=esc(cycle_title(t, draft.closes.title)),
                submitted=t.number(draft.closes.submitted),
                countries=t.number(draft.closes.countries),
            ),
        ]
    lines.append(t.gettext("Focal points are told when the cycle opens."))
    d = draft.draft_id
    rows: list[list[tuple[str, str]]] = []
    if draft.baseline_from is not None:
        if draft.baseline:  # the button turns it off
            label, choice = t.gettext("☑️ Start from the last answers"), DraftChoice.NO_BASELINE
        else:
            label, choice = t.gettext("⬜ Start from the last answers"), DraftChoice.BASELINE
        rows.append([(label, DraftButton(d, choice).pack())])
    if len(draft.versions) > 1:
        rows.append(
            [
                (
                    ("● " if version == draft.checklist_version else "") + version,
                    DraftButton(d, DraftChoice.VERSION, index).pack(),
                )
                for index, version in enumerate(draft.versions)
            ][-4:]  # the newest versions; older ones with /newcycle … version=X
        )
    rows.append(
        [
            (t.gettext("✅ Open the cycle"), DraftButton(d, DraftChoice.OPEN).pack()),
            (t.gettext("✖️ Cancel"), DraftButton(d, DraftChoice.CANCEL).pack()),
        ]
    )
    return Rendered("\n".join(lines), keyboard(rows))


def render_opened(t: Translator, opened: OpenedCycle, *, timezone: str | None) -> Rendered:
    info = opened.cycle
    lines = ["✅ " + t.gettext("The new cycle is open."), ""]
    lines += _cycle_lines(t, info, timezone)
    lines.append(deadline_line(t, info.deadline, None, timezone))
    if opened.copied:
        lines.append(
            t.ngettext(
                "{count} answer was copied from the last cycle for focal points to confirm.",
                "{count} answers were copied from the last cycle for focal points to confirm.",
                opened.copied,
            ).format(count=t.number(opened.copied))
        )
    if opened.closed is not None:
        lines.append(
            "🔒 "
            + t.gettext("“{title}” is closed; its answers are read-only.").format(
                title=esc(cycle_title(t, opened.closed.title))
            )
        )
    lines.append(
        t.ngettext(
            "{count} focal point is being told.",
            "{count} focal points are being told.",
            len(opened.focal_points),
        ).format(count=t.number(len(opened.focal_points)))
    )
    return Rendered("\n".join(lines))


def cycle_opened_notice(t: Translator, info: CycleNotice, *, timezone: str | None) -> str:
    """To focal points: a new cycle is open."""
    lines = [
        "🆕 "
        + t.gettext("A new reporting cycle is open: “{title}”.").format(
            title=esc(cycle_title(t, info.cycle_title))
        ),
        deadline_line(t, info.deadline, None, timezone),
    ]
    if info.baseline_title is not None:
        lines.append(
            t.gettext(
                "Your answers from “{title}” are filled in: please confirm or change each one."
            ).format(title=esc(cycle_title(t, info.baseline_title)))
        )
    lines.append(t.gettext("Send /continue to start."))
    return "\n".join(lines)


def render_cancelled(t: Translator, *, stopped: bool) -> Rendered:
    """A coordinator's /cancel: the awaited deadline day is no longer awaited, or was not."""
    if stopped:
        return Rendered("✔️ " + t.gettext("Cancelled."))
    return Rendered("ℹ️ " + t.gettext("I was not waiting for anything from you."))


def render_draft_cancelled(t: Translator) -> Rendered:
    return Rendered("✖️ " + t.gettext("Cancelled. No cycle was opened."))


# --------------------------------------------------------------------------- closing


def render_close_confirm(t: Translator, info: CycleInfo, *, timezone: str | None) -> Rendered:
    lines = [
        "🔒 "
        + t.gettext("Close “{title}”? Its answers become read-only.").format(
            title=esc(cycle_title(t, info.title))
        ),
        _reports_line(t, info),
        deadline_line(t, info.deadline, None, timezone),
    ]
    rows = [
        [
            (
                t.gettext("🔒 Yes, close it"),
                CloseButton(info.cycle_id, info.version).pack(),
            ),
            (t.gettext("✖️ Cancel"), CycleBackButton().pack()),
        ]
    ]
    return Rendered("\n".join(lines), keyboard(rows))


def render_closed(t: Translator, info: CycleInfo, *, timezone: str | None, today: date) -> Rendered:
    lines = [
        "🔒 " + t.gettext("“{title}” is closed.").format(title=esc(cycle_title(t, info.title))),
        _reports_line(t, info),
        "",
        new_cycle_usage(t, today=today),
    ]
    return Rendered("\n".join(lines))


# --------------------------------------------------------------------------- reports


def _item_list(items: list[str], limit: int = OPEN_ITEMS_SHOWN) -> str:
    shown = ", ".join(esc(item) for item in items[:limit])
    return shown + (", …" if len(items) > limit else "")


def render_submit(t: Translator, result: ReportResult, *, timezone: str | None) -> Rendered:
    """The answer to /submit."""
    country = esc(country_name(t, result.country_code))
    if result.outcome is Outcome.ALREADY:
        assert result.at is not None
        return Rendered(
            "ℹ️ "
            + t.gettext("{country}'s report was already submitted on {date}.").format(
                country=country, date=t.date(result.at, timezone)
            )
        )
    if result.outcome is Outcome.INCOMPLETE:
        waiting = len(result.open_items) + len(result.to_confirm)
        lines = [
            "⚠️ "
            + t.ngettext(
                "The report cannot be submitted yet: {count} item is still open.",
                "The report cannot be submitted yet: {count} items are still open.",
                waiting,
            ).format(count=t.number(waiting))
        ]
        if result.open_items:
            lines.append(
                "▫️ "
                + t.gettext("Not answered: {items}").format(items=_item_list(result.open_items))
            )
        if result.to_confirm:
            lines.append(
                "↩️ "
                + t.gettext("From the last cycle, to confirm: {items}").format(
                    items=_item_list(result.to_confirm)
                )
            )
        lines += [
            "",
            t.gettext(
                "Answer them, or skip those you cannot answer, then send /submit again. "
                "/continue takes you to the first open item."
            ),
        ]
        return Rendered("\n".join(lines))
    lines = [
        "📨 "
        + t.gettext("{country}'s report for “{title}” is submitted. Thank you!").format(
            country=country, title=esc(cycle_title(t, result.cycle_title))
        ),
        _counts_line(t, result),
        t.gettext("The coordinators have been told."),
    ]
    if result.has_national_lead:
        lines.append(t.gettext("Your national lead can now sign it off with /signoff."))
    lines.append(t.gettext("If an answer changes, the report is reopened and needs /submit again."))
    return Rendered("\n".join(lines))


def _counts_line(t: Translator, result: ReportResult | ReportNotice) -> str:
    return t.gettext("{answered} of {total} items answered, {skipped} skipped.").format(
        answered=t.number(result.answered),
        total=t.number(result.total),
        skipped=t.number(result.skipped),
    )


def submitted_notice(t: Translator, result: ReportNotice, *, national_lead: bool) -> str:
    """To coordinators (and the country's national lead): a report was submitted."""
    lines = [
        "📨 "
        + t.gettext("{country}'s report for “{title}” was submitted by {name}.").format(
            country=esc(country_name(t, result.country_code)),
            title=esc(cycle_title(t, result.cycle_title)),
            name=esc(result.by_name),
        ),
        _counts_line(t, result),
    ]
    if national_lead:
        lines.append(t.gettext("As national lead, check it and send /signoff to make it final."))
    else:
        lines.append(
            t.gettext("See /status {code} for the details.").format(code=result.country_code)
        )
    return "\n".join(lines)


def render_signoff(t: Translator, result: ReportResult, *, timezone: str | None) -> Rendered:
    """The answer to /signoff."""
    country = esc(country_name(t, result.country_code))
    if result.outcome is Outcome.NOT_SUBMITTED:
        return Rendered(
            "ℹ️ "
            + t.gettext(
                "{country}'s report is not submitted yet. You can sign it off once it has been "
                "submitted with /submit."
            ).format(country=country)
        )
    if result.outcome is Outcome.ALREADY:
        assert result.at is not None
        return Rendered(
            "ℹ️ "
            + t.gettext("{country}'s report was already signed off on {date}.").format(
                country=country, date=t.date(result.at, timezone)
            )
        )
    return Rendered(
        "🏁 "
        + t.gettext("You signed off {country}'s report for “{title}”. It is final.").format(
            country=country, title=esc(cycle_title(t, result.cycle_title))
        )
        + "\n"
        + t.gettext("If an answer changes, the report is reopened and the sign-off removed.")
    )


def signed_off_notice(t: Translator, result: ReportNotice) -> str:
    """To coordinators: a national lead signed off their country's report."""
    return "🏁 " + t.gettext(
        "{country}'s report for “{title}” is final: signed off by {name}, the national lead."
    ).format(
        country=esc(country_name(t, result.country_code)),
        title=esc(cycle_title(t, result.cycle_title)),
        name=esc(result.by_name),
    )
