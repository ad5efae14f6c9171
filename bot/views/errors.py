"""Translated explanations for the errors services raise, and for strangers."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.errors import ServiceError
from bot.views.common import cycle_title, esc


def stranger_text(t: Translator) -> str:
    return "🔒 " + t.gettext(
        "This bot is for the national focal points and coordinators of the ASEAN norms "
        "checklist. To get access, ask your coordinator for an invite link and open it."
    )


def private_only_text(t: Translator, bot_username: str | None) -> str:
    """Said once in a group or channel before the bot leaves it."""
    text = "🔒 " + t.gettext("This bot works in private chats only, never in groups.")
    if bot_username:
        text += " " + t.gettext("Write to it directly: {link}").format(
            link=f"https://t.me/{esc(bot_username)}"
        )
    return text


def invite_text(t: Translator, reason: str) -> str:
    if reason == "revoked":
        return "🔒 " + t.gettext(
            "Your access was removed, and an invite cannot restore it. Ask a coordinator to "
            "re-admit you (/readmit)."
        )
    reasons = {
        "unknown": t.gettext("This invite code is not valid."),
        "used": t.gettext("This invite has already been used."),
        "expired": t.gettext("This invite has expired."),
        "cancelled": t.gettext("This invite was cancelled."),
    }
    return (
        "⚠️ "
        + reasons.get(reason, reasons["unknown"])
        + " "
        + t.gettext("Ask your coordinator for a new invite link.")
    )


def error_text(t: Translator, error: ServiceError) -> str:
    code, details = error.code, error.details
    if code == "not_enrolled":
        return stranger_text(t)
    if code == "invite_invalid":
        return invite_text(t, str(details.get("reason", "unknown")))
    if code == "permission_denied":
        needed = details.get("needed")
        if needed == "focal_point":
            return "ℹ️ " + t.gettext(
                "Only focal points answer the checklist. As a coordinator, use /summary or /help."
            )
        if needed == "admin":
            return "🔒 " + t.gettext("Only administrators can do this.")
        if needed == "country":
            return "🔒 " + t.gettext("You can only see your own country's report.")
        if needed == "national_lead":
            return "🔒 " + t.gettext("Only your country's national lead can sign off the report.")
        if needed == "not_self":
            return "🔒 " + t.gettext("You cannot remove your own access.")
        if needed == "configured_admin":
            return "🔒 " + t.gettext(
                "This administrator is named in the bot's settings (NORMSBOT_ADMINS). Remove "
                "them there; otherwise their next /start makes them an administrator again."
            )
        return "🔒 " + t.gettext("Only coordinators can do this.")
    if code == "no_open_cycle":
        if details.get("closed_title") is not None:  # "" is the bot's default title
            return "ℹ️ " + t.gettext(
                "The reporting cycle “{title}” is closed and its answers can no longer change. "
                "You will hear from the bot when the next cycle opens."
            ).format(title=esc(cycle_title(t, str(details["closed_title"]))))
        return "ℹ️ " + t.gettext("There is no open reporting cycle at the moment.")
    if code == "cycle_closed":
        return "🔒 " + t.gettext(
            "This reporting cycle is closed; its answers can no longer change."
        )
    if code == "unknown_country":
        return "⚠️ " + t.gettext(
            "Unknown country code “{code}”. Use a two-letter code such as TH or VN."
        ).format(code=esc(details.get("country", "")))
    if code == "unknown_item":
        return "⚠️ " + t.gettext("There is no item “{item}” in this checklist.").format(
            item=esc(details.get("item", ""))
        )
    if code == "unknown_cycle":
        return "⚠️ " + t.gettext("There is no reporting cycle number {number}.").format(
            number=esc(details.get("cycle", ""))
        )
    if code == "stale":
        return t.gettext("This button is no longer current. Here is where you are now.")
    if code == "too_long":
        return "⚠️ " + t.gettext(
            "Your text has {length} characters; the limit is {limit}. Please shorten it and "
            "send it again. Nothing was saved."
        ).format(length=t.number(details["length"]), limit=t.number(details["limit"]))
    if code == "unknown_person":
        return "⚠️ " + t.gettext("There is nobody with number #{number}. See /people.").format(
            number=esc(details.get("person", ""))
        )
    if code == "invalid_input":
        what = details.get("what")
        if what == "role":
            return "⚠️ " + t.gettext(
                "Unknown role “{role}”: use coordinator or lead, for example /invite TH lead."
            ).format(role=esc(details.get("value", "")))
        if what == "title":
            return "⚠️ " + t.gettext("Please give the cycle a title.")
        if what == "title_long":
            return "⚠️ " + t.gettext(
                "The title is too long; the limit is {limit} characters."
            ).format(limit=t.number(details["limit"]))
        if what == "deadline_past":
            return "⚠️ " + t.gettext("The deadline must be in the future.")
        if what == "no_such_day":
            return "⚠️ " + t.gettext("There is no day {day} in the calendar.").format(
                day=esc(details.get("value", ""))
            )
        if what == "checklist_version":
            return "⚠️ " + t.gettext(
                "There is no checklist version “{version}”. Loaded versions: {versions}."
            ).format(
                version=esc(details.get("value", "")),
                versions=esc(", ".join(details.get("known", []))),
            )
        if what == "evidence_link":
            return "⚠️ " + t.gettext(
                "This evidence link is not valid, or the file was removed from the answer."
            )
        return "⚠️ " + t.gettext("That did not work. Please try again.")
    if code == "not_erasable":
        number = esc(details.get("person", ""))
        if details.get("reason") == "erased":
            return "ℹ️ " + t.gettext("#{number} was already erased.").format(number=number)
        return "⚠️ " + t.gettext(
            "#{number} still has access. Remove it first with /revoke {number}, then erase."
        ).format(number=number)
    if code == "old_reminder":
        return "ℹ️ " + t.gettext(
            "This reminder belongs to an earlier reporting cycle; nothing was changed."
        )
    return "⚠️ " + t.gettext("Something went wrong. Nothing you already recorded is lost.")
