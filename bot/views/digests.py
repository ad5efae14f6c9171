"""The coordinators' digest, and the /digest screen with its on/off button."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.digests import Behind, CountryChange, Digest, DigestPreview, Digests
from bot.services.schedule import DigestFrequency
from bot.views.callbacks import DigestButton, Switch
from bot.views.common import (
    Rendered,
    countries_sorted,
    country_name,
    cycle_title,
    esc,
    instrument_line,
    keyboard,
)
from bot.views.summaries import no_changes_line


def _share(t: Translator, part: int, whole: int) -> str:
    return t.percent(part / whole if whole else 0.0)


def _change_lines(t: Translator, changes: list[CountryChange]) -> list[str]:
    return [
        t.ngettext(
            "{country}: {count} item changed; {answered} of {total} answered",
            "{country}: {count} items changed; {answered} of {total} answered",
            change.items_changed,
        ).format(
            country=esc(country_name(t, change.country_code)),
            count=t.number(change.items_changed),
            answered=t.number(change.answered),
            total=t.number(change.total),
        )
        # Most changes first; equals by name.
        for change in countries_sorted(t, changes, _code, first=lambda c: -c.items_changed)
    ]


def digest_lines(
    t: Translator, digests: Digests, timezone: str, frequency: DigestFrequency
) -> list[str]:
    """The title and window, then a part per instrument the coordinator coordinates."""
    title = (
        t.gettext("Daily digest")
        if frequency is DigestFrequency.DAILY
        else t.gettext("Weekly digest")
    )
    lines = [
        f"📰 <b>{esc(title)}</b>",
        t.gettext("From {start} to {end}").format(
            start=t.datetime(digests.since, timezone), end=t.datetime(digests.until, timezone)
        ),
    ]
    for digest in digests.parts:
        lines += _part_lines(t, digest, timezone)
    return lines


def _part_lines(t: Translator, digest: Digest, timezone: str) -> list[str]:
    lines = [""]
    if digest.checklist is not None:
        lines.append(instrument_line(t, digest.checklist))
    if digest.cycle_title is None:
        lines.append(t.gettext("There is no open reporting cycle at the moment."))
    else:
        cycle = f"<b>{esc(cycle_title(t, digest.cycle_title))}</b>"
        if digest.deadline is None:
            lines.append(cycle)
        elif digest.deadline_passed:
            lines.append(
                t.gettext("{cycle}: the deadline was {deadline}").format(
                    cycle=cycle, deadline=t.datetime(digest.deadline, timezone)
                )
            )
        else:
            lines.append(
                t.gettext("{cycle}: deadline {deadline}").format(
                    cycle=cycle, deadline=t.datetime(digest.deadline, timezone)
                )
            )
        lines += ["", "✏️ <b>" + t.gettext("Changes") + "</b>"]
        if not digest.changes and not digest.earlier:
            lines.append(t.gettext("No answers changed."))
        lines += _change_lines(t, digest.changes)
        if digest.changes and digest.unchanged:
            lines.append(no_changes_line(t, list(digest.unchanged)))
        # A new cycle opened within the window: what changed in the one before, under its title.
        for earlier in digest.earlier:
            lines += [
                "",
                f"<i>{esc(cycle_title(t, earlier.cycle_title))}</i>",
                *_change_lines(t, earlier.changes),
            ]
        lines += ["", "📬 <b>" + t.gettext("New submissions") + "</b>"]
        if not digest.submissions:
            lines.append(t.gettext("None."))
        for submission in digest.submissions:
            lines.append(
                t.gettext("{country}, {when}").format(
                    country=esc(country_name(t, submission.country_code)),
                    when=t.datetime(submission.at, timezone),
                )
            )
        lines += ["", "🐢 <b>" + t.gettext("Behind") + "</b>"]
        if digest.behind:
            lines.append(
                t.gettext("By now about {share} of the items should be answered.").format(
                    share=t.percent(digest.behind[0].expected)
                )
            )
        else:
            lines.append(t.gettext("Nobody is behind."))
        # The furthest behind first (the service's order); equals by name.
        for behind in countries_sorted(
            t, digest.behind, _code, first=lambda b: b.answered / b.total if b.total else 0
        ):
            line = t.gettext("{country}: {answered} of {total} ({share})").format(
                country=esc(country_name(t, behind.country_code)),
                answered=t.number(behind.answered),
                total=t.number(behind.total),
                share=_share(t, behind.answered, behind.total),
            )
            if behind.focal_points == 0:
                line += " · " + t.gettext("no focal point yet")
            lines.append(line)
    if digest.unreachable:
        lines += ["", "⛔ <b>" + t.gettext("Unreachable (blocked the bot)") + "</b>"]
        for person in countries_sorted(t, digest.unreachable, lambda p: p.country_code):
            where = country_name(t, person.country_code) if person.country_code else ""
            lines.append(
                t.gettext("{name} ({country}), since {date}").format(
                    name=esc(person.name),
                    country=esc(where or "—"),
                    date=t.date(person.since, timezone),
                )
            )
    return lines


def _code(row: CountryChange | Behind) -> str:
    return row.country_code


def render_digest(
    t: Translator, digest: Digests, timezone: str, frequency: DigestFrequency
) -> Rendered:
    return Rendered("\n".join(digest_lines(t, digest, timezone, frequency)))


def digest_keyboard(t: Translator, enabled: bool) -> InlineKeyboardMarkup:
    if enabled:
        return keyboard([[("🔕 " + t.gettext("Stop my digests"), DigestButton(Switch.OFF).pack())]])
    return keyboard([[("🔔 " + t.gettext("Send me digests"), DigestButton(Switch.ON).pack())]])


def render_digest_preview(t: Translator, preview: DigestPreview) -> Rendered:
    """/digest: the digest as it would be now, then when the next one comes (or that none do)."""
    lines = digest_lines(t, preview.digest, preview.timezone, preview.frequency)
    lines.append("")
    if not preview.globally_enabled:
        lines.append("ℹ️ " + t.gettext("Scheduled digests are switched off for everyone."))
        return Rendered("\n".join(lines))
    if preview.enabled and preview.next_at is not None:
        lines.append(
            "🔔 "
            + t.gettext("Your next digest: {when}.").format(
                when=t.datetime(preview.next_at, preview.timezone)
            )
        )
    else:
        lines.append("🔕 " + t.gettext("You do not get scheduled digests."))
    return Rendered("\n".join(lines), digest_keyboard(t, preview.enabled))
