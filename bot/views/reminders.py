"""Reminder texts and buttons (focal points), and /remind and /reminders (coordinators)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.models import DeliveryKind
from bot.services.reminders import (
    NudgeOutcome,
    NudgeResult,
    ReminderMessage,
    ReminderOverview,
    ReminderPart,
    Waiting,
)
from bot.views.callbacks import ContinueButton, MuteButton, Muting, Snooze, SnoozeButton
from bot.views.common import (
    Rendered,
    countries_sorted,
    country_name,
    cycle_title,
    esc,
    instrument_line,
    instrument_title,
    keyboard,
)


def _open_per_norm(t: Translator, open_by_section: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{esc(section)}: {t.number(count)}" for section, count in open_by_section)


def _part_lines(t: Translator, message: ReminderMessage, part: ReminderPart) -> list[str]:
    cycle = f"<b>{esc(cycle_title(t, part.cycle_title))}</b>"
    if message.kind is DeliveryKind.NUDGE:
        lines = [
            "📣 " + t.gettext("A coordinator asks you to continue {cycle}.").format(cycle=cycle)
        ]
    else:
        lines = ["⏰ " + t.gettext("A reminder about {cycle}.").format(cycle=cycle)]
    if part.checklist is not None:
        lines.append(instrument_line(t, part.checklist))
    lines.append(
        t.ngettext(
            "{country} still has {count} open item out of {total}.",
            "{country} still has {count} open items out of {total}.",
            part.open_items,
        ).format(
            country=esc(country_name(t, message.country_code)),
            count=t.number(part.open_items),
            total=t.number(part.total_items),
        )
    )
    by_norm = part.checklist is None or part.checklist.grouping == "norms"
    per = t.gettext("Open per norm: {list}") if by_norm else t.gettext("Open per theme: {list}")
    lines.append(per.format(list=_open_per_norm(t, part.open_by_section)))
    if part.deadline is not None:
        when = t.datetime(part.deadline, message.timezone)
        if part.deadline_passed:
            text = t.gettext("The deadline was {deadline}.")
        elif part.deadline_today:
            text = t.gettext("The deadline is today: {deadline}.")
        else:
            text = t.gettext("Deadline: {deadline}.")
        lines.append("🗓 " + text.format(deadline=when))
    return lines


def render_reminder(t: Translator, message: ReminderMessage) -> Rendered:
    """The reminder itself: per instrument the person is behind in, how much is open, per
    norm or theme, and the deadline in local time; one message for all of them."""
    lines: list[str] = []
    for part in message.parts:
        if lines:
            lines.append("")
        lines += _part_lines(t, message, part)
    lines += ["", t.gettext("“Continue” takes you to the first open item.")]
    # Several instruments named: a mute button for each (muting one leaves the others on).
    instruments = [
        (part.cycle_id, instrument_title(t, part.checklist))
        for part in message.parts
        if part.checklist is not None and len(message.parts) > 1
    ]
    first = message.parts[0].checklist if message.parts else None
    keys = reminder_keyboard(
        t,
        message.delivery_id,
        message.cycle_id,
        instruments=instruments,
        continue_in=first.id if first is not None else None,
    )
    return Rendered("\n".join(lines), keys)


def reminder_keyboard(
    t: Translator,
    delivery_id: int | None,
    cycle_id: int,
    *,
    muted: bool = False,
    instruments: Sequence[tuple[int, str]] = (),
    continue_in: str | None = None,
) -> InlineKeyboardMarkup:
    """Continue; snooze a day or a week (while not snoozed); mute or unmute this cycle, or
    each of the `instruments` (cycle id, short title) a reminder names."""
    go = ContinueButton(continue_in).pack()
    rows: list[list[tuple[str, str]]] = [[("▶️ " + t.gettext("Continue"), go)]]
    if delivery_id is not None and not muted:
        rows.append(
            [
                ("⏰ " + t.gettext("Snooze 1 day"), SnoozeButton(Snooze.DAY, delivery_id).pack()),
                ("⏰ " + t.gettext("Snooze 1 week"), SnoozeButton(Snooze.WEEK, delivery_id).pack()),
            ]
        )
    if instruments and not muted:
        for cycle, title in instruments:
            text = "🔕 " + t.gettext("Mute: {instrument}").format(instrument=title)
            rows.append([(text, MuteButton(Muting.MUTE, cycle).pack())])
    elif muted:
        rows.append(
            [("🔔 " + t.gettext("Unmute reminders"), MuteButton(Muting.UNMUTE, cycle_id).pack())]
        )
    else:
        rows.append(
            [("🔕 " + t.gettext("Mute for this cycle"), MuteButton(Muting.MUTE, cycle_id).pack())]
        )
    return keyboard(rows)


def snoozed_text(t: Translator, until_text: str) -> str:
    """A toast (plain text) after a snooze button."""
    return "⏰ " + t.gettext("No reminders before {when}.").format(when=until_text)


def muted_text(t: Translator, muted: bool) -> str:
    if muted:
        return "🔕 " + t.gettext("No more reminders until the next reporting cycle.")
    return "🔔 " + t.gettext("Reminders are on again.")


def render_nudge_result(t: Translator, result: NudgeResult) -> Rendered:
    country = esc(country_name(t, result.country_code))
    if result.complete:
        return Rendered(
            "✅ "
            + t.gettext(
                "The report of {country} is complete or submitted: no reminder is needed."
            ).format(country=country)
        )
    if not result.targets:
        return Rendered(
            "ℹ️ "
            + t.gettext(
                "{country} has no active focal point yet. Invite one with /invite {code}."
            ).format(country=country, code=esc(result.country_code))
        )
    lines = ["📣 " + t.gettext("Reminding the focal points of {country}:").format(country=country)]
    if result.checklist is not None:
        lines.append(instrument_line(t, result.checklist))
    for target in result.targets:
        name = esc(target.name)
        if target.outcome is NudgeOutcome.NOW:
            line = "📨 " + t.gettext("{name}: now").format(name=name)
        elif target.outcome is NudgeOutcome.LATER:
            assert target.at is not None
            when = t.datetime(target.at, target.timezone)
            if target.waiting is Waiting.ANSWERING:
                text = t.gettext("{name}: is answering right now; at {when} if still open")
            elif target.waiting is Waiting.SNOOZED:
                text = t.gettext("{name}: snoozed reminders; at {when}")
            else:
                text = t.gettext("{name}: at {when}, their next working hours")
            line = "🕘 " + text.format(name=name, when=when)
        elif target.outcome is NudgeOutcome.PENDING:
            assert target.at is not None
            line = "🕘 " + t.gettext("{name}: already asked for today; it goes at {when}").format(
                name=name, when=t.datetime(target.at, target.timezone)
            )
        elif target.outcome is NudgeOutcome.ALREADY:
            line = "↩️ " + t.gettext("{name}: already reminded today").format(name=name)
        elif target.outcome is NudgeOutcome.UNREACHABLE:
            line = "⛔ " + t.gettext("{name}: has blocked the bot and cannot be reached").format(
                name=name
            )
        else:
            line = "🔕 " + t.gettext("{name}: muted reminders for this cycle").format(name=name)
        lines.append(line)
    return Rendered("\n".join(lines))


def render_overview(t: Translator, overview: ReminderOverview) -> Rendered:
    """/reminders: per country the next planned reminder (local time) and how many went."""
    if overview.cycle_title is None:
        return Rendered("ℹ️ " + t.gettext("There is no open reporting cycle at the moment."))
    lines = [
        "🔔 <b>" + t.gettext("Reminders") + "</b> · " + esc(cycle_title(t, overview.cycle_title)),
    ]
    if overview.checklist is not None:
        lines.append(instrument_line(t, overview.checklist))
    if not overview.enabled:
        lines.append(
            t.gettext("Automatic reminders are switched off; /remind still reaches a country.")
        )
    lines.append("")
    for country in countries_sorted(t, overview.countries, lambda c: c.country_code):
        name = f"<b>{esc(country_name(t, country.country_code))}</b>"
        if country.complete:
            status = "✅ " + t.gettext("complete")
        elif country.focal_points == 0:
            status = t.gettext("no focal point yet")
        elif country.next_at is not None:
            status = t.gettext("next {when}").format(
                when=t.datetime(country.next_at, country.timezone)
            )
        else:
            status = t.gettext("nothing planned")
        parts = [status]
        if country.sent:
            parts.append(
                t.ngettext("{count} sent", "{count} sent", country.sent).format(
                    count=t.number(country.sent)
                )
            )
        if country.muted:
            parts.append(
                "🔕 "
                + t.ngettext("{count} muted", "{count} muted", country.muted).format(
                    count=t.number(country.muted)
                )
            )
        lines.append(f"{name}: " + " · ".join(parts))
        for person in country.unreachable:
            lines.append(
                "   ⛔ "
                + t.gettext("{name} blocked the bot on {date}").format(
                    name=esc(person.name), date=t.date(person.since, country.timezone)
                )
            )
    lines += ["", t.gettext("Remind a country now: /remind CODE, e.g. /remind TH.")]
    return Rendered("\n".join(lines))
