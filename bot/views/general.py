"""Welcome, language choice, help and the invite texts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.checklist import Checklist
from bot.i18n import LOCALES, Translator
from bot.models import Role
from bot.services.actors import Actor
from bot.services.enrolment import CreatedInvite, InviteRow
from bot.services.instruments import InstrumentRow
from bot.views.callbacks import InstrumentButton, LanguageButton
from bot.views.common import (
    Rendered,
    chunks,
    country_name,
    cycle_title,
    draft_note,
    esc,
    instrument_line,
    instrument_title,
    keyboard,
)


def render_language_choice(t: Translator, codes: list[str], *, welcome: str | None) -> Rendered:
    lines = [welcome, ""] if welcome else []
    lines.append("🌐 " + t.gettext("Choose your language:"))
    buttons = [(LOCALES[code].native_name, LanguageButton(code).pack()) for code in codes]
    return Rendered("\n".join(lines), keyboard(chunks(buttons, 2)))


def welcome_text(t: Translator, actor: Actor) -> str:
    name = esc(actor.display_name or "")
    if actor.is_coordinator:
        return "👋 " + t.gettext(
            "Welcome, {name}! You are a coordinator of the norms checklist."
        ).format(name=name)
    return "👋 " + t.gettext(
        "Welcome, {name}! You report for {country} as a national focal point."
    ).format(name=name, country=esc(country_name(t, actor.country_code)))


def language_set_text(t: Translator, code: str) -> str:
    return "🌐 " + t.gettext("Language: {language}").format(language=LOCALES[code].native_name)


def role_label(t: Translator, role: Role, national_lead: bool) -> str:
    """A role in one instrument, in a word: coordinator, national lead or focal point."""
    if role is Role.COORDINATOR:
        return t.gettext("coordinator")
    return t.gettext("national lead") if national_lead else t.gettext("focal point")


def render_instruments(t: Translator, rows: Sequence[InstrumentRow]) -> Rendered:
    """/instruments: the person's instruments, their role and progress in each, a button each."""
    lines = ["📋 <b>" + esc(t.gettext("Choose the instrument to work on")) + "</b>"]
    buttons = []
    for row in rows:
        title = instrument_title(t, row.checklist)
        note = draft_note(t, row.checklist)
        lines += [
            "",
            "📋 <b>"
            + esc(title)
            + "</b>"
            + (" ✔️" if row.current else "")
            + (f" · <i>{esc(note)}</i>" if note else ""),
        ]
        role = role_label(t, row.role, row.is_national_lead)
        cycle = cycle_title(t, row.cycle_title) if row.cycle_title is not None else None
        lines.append(" · ".join(esc(part) for part in (role, cycle) if part))
        if row.counts is not None:
            lines.append(
                t.gettext("{answered} of {total} items answered.").format(
                    answered=t.number(row.counts.answered), total=t.number(row.counts.total)
                )
            )
        buttons.append((title, InstrumentButton(row.checklist.short_name).pack()))
    return Rendered("\n".join(lines), keyboard(chunks(buttons, 1)))


# Every command a role may use, and no other (`tests/test_access.py` tries each as each role);
# /help and the chat's command menu both list `commands_of(actor)`.
FOCAL_POINT_COMMANDS = (
    "start",
    "instruments",
    "continue",
    "review",
    "progress",
    "submit",
    "cycle",
    "summary",
    "status",
    "compare",
    "needs",
    "people",
    "export",
    "report",
    "language",
    "cancel",
    "help",
)
COORDINATOR_COMMANDS = (
    "start",
    "instruments",
    "summary",
    "status",
    "compare",
    "chart",
    "needs",
    "export",
    "report",
    "cycle",
    "newcycle",
    "deadline",
    "closecycle",
    "people",
    "revoke",
    "readmit",
    "invite",
    "invites",
    "cancelinvite",
    "remind",
    "reminders",
    "digest",
    "audit",
    "language",
    "cancel",
    "help",
)


def commands_of(actor: Actor) -> tuple[str, ...]:
    """The commands this person may use: their role's, /signoff for a national lead, /erase
    for an administrator."""
    names: tuple[str, ...] = COORDINATOR_COMMANDS if actor.is_coordinator else FOCAL_POINT_COMMANDS
    if actor.is_national_lead and "signoff" not in names:
        at = names.index("submit") + 1 if "submit" in names else len(names) - 2
        names = (*names[:at], "signoff", *names[at:])
    if actor.is_coordinator and actor.is_admin:
        at = names.index("readmit") + 1
        names = (*names[:at], "erase", *names[at:])
    return names


def command_descriptions(t: Translator, *, own_country: bool = False) -> dict[str, str]:
    """One short line per command, for /help and for Telegram's command menu."""
    descriptions = {
        "start": t.gettext("Start or resume"),
        "instruments": t.gettext("Choose the instrument to work on"),
        "continue": t.gettext("Continue with the checklist"),
        "review": t.gettext("Review and change your answers"),
        "progress": t.gettext("Your country's progress"),
        "submit": t.gettext("Submit your country's report"),
        "signoff": t.gettext("Sign off your country's report (national lead)"),
        "language": t.gettext("Change the language"),
        "help": t.gettext("What this bot can do"),
        "cancel": t.gettext("Stop waiting for a comment or evidence"),
        "summary": t.gettext("Regional summary of the open cycle"),
        "status": t.gettext("One country's status"),
        "compare": t.gettext("Changes since the previous cycle"),
        "chart": t.gettext("Heatmap of countries and norms"),
        "export": t.gettext("Spreadsheet export"),
        "report": t.gettext("A country's report as PDF: /report TH"),
        "needs": t.gettext("Support needs by theme and country: /needs [TH]"),
        "cycle": t.gettext("The reporting cycle"),
        "newcycle": t.gettext("Open a new cycle: /newcycle 2026-12-31 Title"),
        "deadline": t.gettext("Change the deadline: /deadline 2026-12-31"),
        "closecycle": t.gettext("Close the reporting cycle"),
        "people": t.gettext("Focal points and coordinators"),
        "invite": t.gettext("Invite someone: /invite TH"),
        "invites": t.gettext("List the invites not used yet"),
        "cancelinvite": t.gettext("Cancel an invite: /cancelinvite 3"),
        "revoke": t.gettext("Remove someone's access"),
        "readmit": t.gettext("Give a removed person access again"),
        "remind": t.gettext("Remind a country now"),
        "reminders": t.gettext("Planned reminders"),
        "digest": t.gettext("Your digest now; scheduled digests on or off"),
        "audit": t.gettext("Recent administrative acts: /audit [TH]"),
        "erase": t.gettext("Erase a removed person's data (admins)"),
    }
    if own_country:
        # The same commands show a focal point their own country only: say so.
        descriptions |= {
            "summary": t.gettext("Your country in the regional summary"),
            "status": t.gettext("Your country's status per norm"),
            "compare": t.gettext("Your country's changes since the last cycle"),
            "people": t.gettext("Your country's focal points"),
            "export": t.gettext("Your country's answers as a spreadsheet"),
            "report": t.gettext("Your country's report as PDF"),
            "needs": t.gettext("Your country's support needs"),
        }
    else:
        # A coordinator's /cancel: the only thing the bot waits for from them is a typed day.
        descriptions["cancel"] = t.gettext("Stop waiting for a typed deadline")
    return descriptions


def render_help(t: Translator, actor: Actor | None) -> Rendered:
    if actor is None:
        from bot.views.errors import stranger_text

        return Rendered(stranger_text(t))
    descriptions = command_descriptions(t, own_country=not actor.is_coordinator)
    lines = ["ℹ️ <b>" + t.gettext("Commands") + "</b>", ""]
    for name in commands_of(actor):
        lines.append(f"/{name} — {esc(descriptions.get(name, ''))}")
    if not actor.is_coordinator:
        lines += [
            "",
            t.gettext(
                "Answer each item with the buttons. You can add a comment or evidence, skip an "
                "item and come back later: your place is kept."
            ),
        ]
    return Rendered("\n".join(lines))


def render_invite(
    t: Translator,
    invite: CreatedInvite,
    *,
    bot_username: str,
    timezone: str | None,
    instrument: Checklist | None = None,
) -> Rendered:
    link = f"https://t.me/{bot_username}?start={invite.code}"
    country = esc(country_name(t, invite.country_code))
    if invite.role is Role.COORDINATOR:
        heading = t.gettext("Invite for a coordinator:")
    elif invite.is_national_lead:
        heading = t.gettext("Invite for the national lead of {country}:").format(country=country)
    else:
        heading = t.gettext("Invite for a focal point of {country}:").format(country=country)
    lines = [
        "✉️ " + heading,
        *([instrument_line(t, instrument)] if instrument else []),
        "",
        esc(link),
        "",
        t.gettext("Code: {code}").format(code=f"<code>{esc(invite.code)}</code>"),
        t.gettext("Valid once, until {date}.").format(date=t.datetime(invite.expires_at, timezone)),
        t.gettext("Send the link to the person in a private, trusted channel."),
    ]
    return Rendered("\n".join(lines))


def render_invites(
    t: Translator, rows: list[InviteRow], *, timezone: str | None, now: datetime
) -> Rendered:
    if not rows:
        return Rendered("✉️ " + t.gettext("No open invites."))
    lines = ["✉️ <b>" + t.gettext("Open invites") + "</b>", ""]
    for row in rows:
        role = role_label(t, row.role, row.is_national_lead)
        lines.append(
            f"#{row.invite_id} · {esc(row.country_code or '—')} · {esc(role)} · "
            + t.gettext("until {date}").format(date=t.date(row.expires_at, timezone))
        )
    lines += ["", t.gettext("Cancel one with /cancelinvite NUMBER.")]
    return Rendered("\n".join(lines))
