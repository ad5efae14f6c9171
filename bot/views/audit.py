"""Texts of /audit (the recent administrative acts) and /erase (deleting a person's identity).

Buttons use the `er` namespace: `er:y:<person id>:<token>` confirms an erasure (the token is a
fingerprint of the person as shown, see `bot/services/erasure.py`), `er:x` cancels.
"""

from __future__ import annotations

from bot.i18n import Translator
from bot.models import AuditAction, Role
from bot.services.audit import AuditLine, AuditLog
from bot.services.erasure import Erased, ErasePreview
from bot.services.exports import AuditSheetLabels
from bot.views.callbacks import EraseButton, EraseCancelButton
from bot.views.common import Rendered, country_name, esc, keyboard


def action_label(t: Translator, action: AuditAction) -> str:
    labels = {
        AuditAction.INVITE_CREATED: t.gettext("Invite created"),
        AuditAction.INVITE_CANCELLED: t.gettext("Invite cancelled"),
        AuditAction.INVITE_REDEEMED: t.gettext("Invite used"),
        AuditAction.PERSON_REVOKED: t.gettext("Access removed"),
        AuditAction.PERSON_READMITTED: t.gettext("Access restored"),
        AuditAction.ROLE_CHANGED: t.gettext("Role changed"),
        AuditAction.ADMIN_DEMOTED: t.gettext("Admin rights removed"),
        AuditAction.CYCLE_OPENED: t.gettext("Cycle opened"),
        AuditAction.CYCLE_CLOSED: t.gettext("Cycle closed"),
        AuditAction.DEADLINE_MOVED: t.gettext("Deadline moved"),
        AuditAction.REPORT_SUBMITTED: t.gettext("Report submitted"),
        AuditAction.REPORT_SIGNED_OFF: t.gettext("Report signed off"),
        AuditAction.REPORT_REOPENED: t.gettext("Report reopened"),
        AuditAction.EXPORT_REQUESTED: t.gettext("Export requested"),
        AuditAction.REPORT_REQUESTED: t.gettext("Report requested"),
        AuditAction.CHART_REQUESTED: t.gettext("Chart requested"),
        AuditAction.PERSON_ERASED: t.gettext("Person erased"),
    }
    return labels.get(action, action.value)


def audit_sheet_labels(t: Translator) -> AuditSheetLabels:
    """The texts of the export's audit sheet."""
    return AuditSheetLabels(
        sheet=t.gettext("Audit log"),
        headers=(
            t.gettext("At (UTC)"),
            t.gettext("Entry"),
            t.gettext("By"),
            t.gettext("Action"),
            t.gettext("Action code"),
            t.gettext("Code"),
            t.gettext("Subject"),
            t.gettext("Details"),
            t.gettext("Hash (SHA-256)"),
        ),
        actions={action.value: action_label(t, action) for action in AuditAction},
        system=t.gettext("the bot"),
    )


def actor_text(t: Translator, line: AuditLine) -> str:
    """Who acted: "#7 Name", or the bot itself (a setting took effect)."""
    if line.actor_id is None:
        return t.gettext("the bot")
    return f"#{line.actor_id} {line.actor_name or ''}".rstrip()


def subject_text(t: Translator, line: AuditLine) -> str | None:
    """What the act was about, plain text: "invite #12", "#7 Name", "cycle #3"."""
    if line.subject_kind is None or line.subject_id is None:
        return None
    if line.subject_kind == "invite":
        return t.gettext("invite #{number}").format(number=line.subject_id)
    if line.subject_kind == "cycle":
        return t.gettext("cycle #{number}").format(number=line.subject_id)
    if line.subject_kind == "person":
        return f"#{line.subject_id} {line.subject_name or ''}".rstrip()
    return f"{line.subject_kind} #{line.subject_id}"


def _line(t: Translator, line: AuditLine, timezone: str | None) -> str:
    parts = [
        "<b>" + esc(t.datetime(line.at, timezone)) + "</b>",
        esc(actor_text(t, line)),
        esc(action_label(t, line.action)),
    ]
    if line.country_code:
        parts.append(esc(country_name(t, line.country_code)))
    subject = subject_text(t, line)
    if subject:
        parts.append(esc(subject))
    return " · ".join(parts)


def render_audit(t: Translator, log: AuditLog, *, timezone: str | None) -> Rendered:
    title = "🧾 <b>" + t.gettext("Audit log") + "</b>"
    if log.country_code:
        title += " · " + esc(country_name(t, log.country_code))
    lines = [title]
    if not log.lines:
        lines += ["", t.gettext("Nothing recorded yet.")]
        return Rendered("\n".join(lines))
    lines.append(
        t.ngettext(
            "The newest {shown} of {total} entry, newest first.",
            "The newest {shown} of {total} entries, newest first.",
            log.total,
        ).format(shown=t.number(len(log.lines)), total=t.number(log.total))
    )
    lines.append("")
    lines += [_line(t, line, timezone) for line in log.lines]
    return Rendered("\n".join(lines))


def audit_usage(t: Translator) -> Rendered:
    return Rendered("ℹ️ " + t.gettext("Usage: /audit, or /audit TH for one country."))


# --------------------------------------------------------------------------- /erase


def _who(t: Translator, preview: ErasePreview) -> str:
    name = esc(preview.display_name or "?")
    if preview.username:  # an administrator's screen: @usernames are for coordinators only
        name += f" (@{esc(preview.username)})"
    if preview.role is Role.COORDINATOR:
        role = t.gettext("coordinator")
    else:
        role = t.gettext("focal point")
    if preview.country_code:
        role += ", " + country_name(t, preview.country_code)
    return f"#{preview.person_id} {name} ({esc(role)})"


def render_erase_confirm(t: Translator, preview: ErasePreview) -> Rendered:
    text = "\n".join(
        [
            "⚠️ " + t.gettext("Erase {who}?").format(who=_who(t, preview)),
            t.gettext(
                "Their Telegram id, name and @username are deleted for good. Their answers and "
                "the history stay, shown as “{pseudonym}”."
            ).format(pseudonym=esc(preview.pseudonym)),
        ]
    )
    rows = [
        [
            (t.gettext("Yes, erase"), EraseButton(preview.person_id, preview.token).pack()),
            (t.gettext("✖️ Cancel"), EraseCancelButton().pack()),
        ]
    ]
    return Rendered(text, keyboard(rows))


def render_erased(t: Translator, erased: Erased) -> Rendered:
    return Rendered(
        "✔️ "
        + t.gettext("Erased. #{number} is now shown as “{pseudonym}”.").format(
            number=erased.person_id, pseudonym=esc(erased.pseudonym)
        )
    )


def render_erase_cancelled(t: Translator) -> Rendered:
    return Rendered("✖️ " + t.gettext("Cancelled. Nothing was erased."))


def erase_usage(t: Translator) -> Rendered:
    return Rendered(
        "ℹ️ "
        + t.gettext(
            "Usage: /erase NUMBER, for a person whose access was removed with /revoke "
            "(the number is the one /people showed, e.g. #12)."
        )
    )
