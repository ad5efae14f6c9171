"""Translated explanations for the errors services raise, and for strangers.

`error_text` finds the text of an error by its type (`functools.singledispatch` walks the
class hierarchy, so a subclass without a text of its own gets its parent's); a new error
class needs one `@_explain.register` function here.
"""

from __future__ import annotations

from functools import singledispatch

from bot.i18n import Translator
from bot.services.errors import (
    AdminsOnly,
    AlreadyErased,
    BadEvidenceLink,
    CannotRevokeSelf,
    ConfiguredAdmin,
    CycleClosed,
    DeadlinePast,
    FocalPointsOnly,
    InvalidInput,
    InviteForAnotherCountry,
    InviteInvalid,
    InviteProblem,
    NationalLeadOnly,
    NoOpenCycle,
    NoRoleInInstrument,
    NoSuchDay,
    NotEnrolled,
    NotYourCountry,
    OldReminder,
    PermissionDenied,
    ServiceError,
    StaleAction,
    StillHasAccess,
    TitleMissing,
    TitleTooLong,
    TooLong,
    UnknownChecklistVersion,
    UnknownCountry,
    UnknownCycle,
    UnknownItem,
    UnknownNeedsWord,
    UnknownPerson,
    UnknownRole,
)
from bot.views.common import country_name, cycle_title, esc


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


def invite_text(t: Translator, reason: InviteProblem) -> str:
    if reason is InviteProblem.REVOKED:
        return "🔒 " + t.gettext(
            "Your access was removed, and an invite cannot restore it. Ask a coordinator to "
            "re-admit you (/readmit)."
        )
    reasons = {
        InviteProblem.UNKNOWN: t.gettext("This invite code is not valid."),
        InviteProblem.USED: t.gettext("This invite has already been used."),
        InviteProblem.EXPIRED: t.gettext("This invite has expired."),
        InviteProblem.CANCELLED: t.gettext("This invite was cancelled."),
    }
    return "⚠️ " + reasons[reason] + " " + t.gettext("Ask your coordinator for a new invite link.")


def error_text(t: Translator, error: ServiceError) -> str:
    return _explain(error, t)


@singledispatch
def _explain(error: ServiceError, t: Translator) -> str:
    return "⚠️ " + t.gettext("Something went wrong. Nothing you already recorded is lost.")


@_explain.register
def _not_enrolled(error: NotEnrolled, t: Translator) -> str:
    return stranger_text(t)


@_explain.register
def _invite_invalid(error: InviteInvalid, t: Translator) -> str:
    return invite_text(t, error.reason)


@_explain.register
def _invite_for_another_country(error: InviteForAnotherCountry, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "You already represent {current} in another instrument, and this invite is for "
        "{invited}. One person represents one country: ask your coordinator."
    ).format(
        current=esc(country_name(t, error.current)), invited=esc(country_name(t, error.invited))
    )


# --- who may do what


@_explain.register
def _coordinators_only(error: PermissionDenied, t: Translator) -> str:
    return "🔒 " + t.gettext("Only coordinators can do this.")


@_explain.register
def _no_role_in_instrument(error: NoRoleInInstrument, t: Translator) -> str:
    return "🔒 " + t.gettext("You have no role in this instrument. /instruments lists yours.")


@_explain.register
def _focal_points_only(error: FocalPointsOnly, t: Translator) -> str:
    return "ℹ️ " + t.gettext(
        "Only focal points answer the checklist. As a coordinator, use /summary or /help."
    )


@_explain.register
def _admins_only(error: AdminsOnly, t: Translator) -> str:
    return "🔒 " + t.gettext("Only administrators can do this.")


@_explain.register
def _not_your_country(error: NotYourCountry, t: Translator) -> str:
    return "🔒 " + t.gettext("You can only see your own country's report.")


@_explain.register
def _national_lead_only(error: NationalLeadOnly, t: Translator) -> str:
    return "🔒 " + t.gettext("Only your country's national lead can sign off the report.")


@_explain.register
def _cannot_revoke_self(error: CannotRevokeSelf, t: Translator) -> str:
    return "🔒 " + t.gettext("You cannot remove your own access.")


@_explain.register
def _configured_admin(error: ConfiguredAdmin, t: Translator) -> str:
    return "🔒 " + t.gettext(
        "This administrator is named in the bot's settings (NORMSBOT_ADMINS). Remove "
        "them there; otherwise their next /start makes them an administrator again."
    )


# --- the state of the cycle


@_explain.register
def _no_open_cycle(error: NoOpenCycle, t: Translator) -> str:
    if error.closed_title is not None:  # "" is the bot's default title
        return "ℹ️ " + t.gettext(
            "The reporting cycle “{title}” is closed and its answers can no longer change. "
            "You will hear from the bot when the next cycle opens."
        ).format(title=esc(cycle_title(t, error.closed_title)))
    return "ℹ️ " + t.gettext("There is no open reporting cycle at the moment.")


@_explain.register
def _cycle_closed(error: CycleClosed, t: Translator) -> str:
    return "🔒 " + t.gettext("This reporting cycle is closed; its answers can no longer change.")


# --- what the request named


@_explain.register
def _unknown_country(error: UnknownCountry, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "Unknown country code “{code}”. Use a two-letter code such as TH or VN."
    ).format(code=esc(error.country))


@_explain.register
def _unknown_item(error: UnknownItem, t: Translator) -> str:
    return "⚠️ " + t.gettext("There is no item “{item}” in this checklist.").format(
        item=esc(error.item)
    )


@_explain.register
def _unknown_cycle(error: UnknownCycle, t: Translator) -> str:
    return "⚠️ " + t.gettext("There is no reporting cycle number {number}.").format(
        number=esc(error.cycle)
    )


@_explain.register
def _unknown_needs_word(error: UnknownNeedsWord, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "I do not understand “{word}”. /needs takes an instrument ({instruments}), then one "
        "theme or one country: for example /needs f or /needs TH."
    ).format(word=esc(error.value), instruments=esc(", ".join(error.instruments)))


@_explain.register
def _unknown_person(error: UnknownPerson, t: Translator) -> str:
    return "⚠️ " + t.gettext("There is nobody with number #{number}. See /people.").format(
        number=esc(error.person)
    )


# --- buttons pressed late or twice


@_explain.register
def _stale(error: StaleAction, t: Translator) -> str:
    return t.gettext("This button is no longer current. Here is where you are now.")


@_explain.register
def _old_reminder(error: OldReminder, t: Translator) -> str:
    return "ℹ️ " + t.gettext(
        "This reminder belongs to an earlier reporting cycle; nothing was changed."
    )


# --- what the person typed


@_explain.register
def _too_long(error: TooLong, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "Your text has {length} characters; the limit is {limit}. Please shorten it and "
        "send it again. Nothing was saved."
    ).format(length=t.number(error.length), limit=t.number(error.limit))


@_explain.register
def _invalid_input(error: InvalidInput, t: Translator) -> str:
    return "⚠️ " + t.gettext("That did not work. Please try again.")


@_explain.register
def _unknown_role(error: UnknownRole, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "Unknown word “{word}”: use coordinator, lead or an instrument ({instruments}), "
        "for example /invite TH lead {example}."
    ).format(
        word=esc(error.value),
        instruments=esc(", ".join(error.instruments)),
        example=esc(error.instruments[-1] if error.instruments else ""),
    )


@_explain.register
def _title_missing(error: TitleMissing, t: Translator) -> str:
    return "⚠️ " + t.gettext("Please give the cycle a title.")


@_explain.register
def _title_too_long(error: TitleTooLong, t: Translator) -> str:
    return "⚠️ " + t.gettext("The title is too long; the limit is {limit} characters.").format(
        limit=t.number(error.limit)
    )


@_explain.register
def _deadline_past(error: DeadlinePast, t: Translator) -> str:
    return "⚠️ " + t.gettext("The deadline must be in the future.")


@_explain.register
def _no_such_day(error: NoSuchDay, t: Translator) -> str:
    return "⚠️ " + t.gettext("There is no day {day} in the calendar.").format(day=esc(error.value))


@_explain.register
def _unknown_checklist_version(error: UnknownChecklistVersion, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "There is no checklist version “{version}”. Loaded versions: {versions}."
    ).format(version=esc(error.value), versions=esc(", ".join(error.known)))


@_explain.register
def _bad_evidence_link(error: BadEvidenceLink, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "This evidence link is not valid, or the file was removed from the answer."
    )


# --- erasure


@_explain.register
def _still_has_access(error: StillHasAccess, t: Translator) -> str:
    return "⚠️ " + t.gettext(
        "#{number} still has access. Remove it first with /revoke {number}, then erase."
    ).format(number=esc(error.person))


@_explain.register
def _already_erased(error: AlreadyErased, t: Translator) -> str:
    return "ℹ️ " + t.gettext("#{number} was already erased.").format(number=esc(error.person))
