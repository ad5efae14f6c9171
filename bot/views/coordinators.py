"""Texts of /people and /revoke: who is enrolled, per country, and removing someone's access.

Buttons use the `pp` namespace: `pp:rv:<person id>` confirms a revocation, `pp:ra:<person id>`
a re-admission, `pp:x` cancels. The person's state is the version: a revocation acts only on
someone with access, a re-admission only on someone without, so a second tap changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator
from bot.models import Role
from bot.services.people import PeopleList, PersonRow
from bot.views.callbacks import PeopleCancelButton, ReadmitButton, RevokeButton
from bot.views.common import Rendered, countries_sorted, country_name, esc, keyboard


def role_text(t: Translator, row: PersonRow) -> str:
    if row.role is Role.COORDINATOR:
        role = t.gettext("administrator") if row.is_admin else t.gettext("coordinator")
    else:
        role = t.gettext("focal point")
    if row.is_national_lead:
        role += ", " + t.gettext("national lead")
    return role


def person_label(row: PersonRow) -> str:
    name = esc(row.display_name or "?")
    if row.username:
        name += f" (@{esc(row.username)})"
    return f"#{row.person_id} {name}"


def _person_line(t: Translator, row: PersonRow, timezone: str | None) -> str:
    parts = [person_label(row), esc(role_text(t, row))]
    if row.last_active_at is not None:
        parts.append(
            t.gettext("last active {when}").format(when=t.datetime(row.last_active_at, timezone))
        )
    else:
        parts.append(t.gettext("never active"))
    if row.unreachable:
        parts.append("⛔ " + t.gettext("blocked the bot"))
    if row.muted:
        parts.append("🔕 " + t.gettext("reminders muted"))
    return "  " + " · ".join(parts)


def render_people(
    t: Translator, people: PeopleList, *, timezone: str | None, now: datetime
) -> Rendered:
    lines = ["👥 <b>" + t.gettext("People") + "</b>"]
    # Regional coordinators (no country: an empty name) first, then the countries by name.
    for group in countries_sorted(t, people.groups, lambda group: group.country_code):
        lines.append("")
        if group.country_code is None:
            lines.append("<b>" + t.gettext("Regional coordinators") + "</b>")
        else:
            lines.append("<b>" + esc(country_name(t, group.country_code)) + "</b>")
            if not group.focal_points and people.can_revoke:
                lines.append(
                    "  "
                    + t.gettext("No focal point yet. Invite one: /invite {code}").format(
                        code=esc(group.country_code)
                    )
                )
            elif not group.focal_points:
                lines.append("  " + t.gettext("No focal point yet."))
        for row in [*group.focal_points, *group.coordinators]:
            lines.append(_person_line(t, row, timezone))
    if people.can_revoke:
        lines += ["", t.gettext("Remove someone's access with /revoke NUMBER, e.g. /revoke 12.")]
    return Rendered("\n".join(lines))


def render_revoke_confirm(t: Translator, row: PersonRow) -> Rendered:
    where = esc(country_name(t, row.country_code)) if row.country_code else ""
    who = person_label(row) + f" ({esc(role_text(t, row))}{', ' + where if where else ''})"
    text = "\n".join(
        [
            "⚠️ " + t.gettext("Remove the access of {who}?").format(who=who),
            t.gettext(
                "They can no longer use the bot, nor any invite. Their answers stay, with "
                "their name. /readmit {number} brings them back."
            ).format(number=row.person_id),
        ]
    )
    rows = [
        [
            (t.gettext("Yes, remove access"), RevokeButton(row.person_id).pack()),
            (t.gettext("✖️ Cancel"), PeopleCancelButton().pack()),
        ]
    ]
    return Rendered(text, keyboard(rows))


def render_revoked(t: Translator, row: PersonRow) -> Rendered:
    return Rendered(
        "✔️ "
        + t.gettext("Access removed: {who}.").format(who=person_label(row))
        + "\n"
        + t.gettext("To undo: /readmit {number}").format(number=row.person_id)
    )


def render_revoke_cancelled(t: Translator) -> Rendered:
    return Rendered("✖️ " + t.gettext("Cancelled. Nobody's access changed."))


def revoke_usage(t: Translator) -> Rendered:
    return Rendered(
        "ℹ️ " + t.gettext("Usage: /revoke NUMBER, with the number shown in /people (e.g. #12).")
    )


def _plain_label(row: PersonRow) -> str:
    """`person_label` for a button's alert, which Telegram shows as plain text (no HTML)."""
    return f"#{row.person_id} {row.display_name or '?'}"


def render_already_revoked(t: Translator, row: PersonRow) -> str:
    """The alert after a second tap on a revoke button: nothing happened again."""
    return t.gettext("Already done: {who} has no access.").format(who=_plain_label(row))


def render_readmit_confirm(t: Translator, row: PersonRow) -> Rendered:
    where = esc(country_name(t, row.country_code)) if row.country_code else ""
    who = person_label(row) + f" ({esc(role_text(t, row))}{', ' + where if where else ''})"
    text = "\n".join(
        [
            "❓ " + t.gettext("Give {who} access again?").format(who=who),
            t.gettext("They get back their country and role, without administrator rights."),
        ]
    )
    rows = [
        [
            (t.gettext("Yes, re-admit"), ReadmitButton(row.person_id).pack()),
            (t.gettext("✖️ Cancel"), PeopleCancelButton().pack()),
        ]
    ]
    return Rendered(text, keyboard(rows))


def render_readmitted(t: Translator, row: PersonRow) -> Rendered:
    return Rendered(
        "✔️ "
        + t.gettext("Access restored: {who}. They can send /start.").format(who=person_label(row))
    )


def render_already_active(t: Translator, row: PersonRow, *, alert: bool = False) -> str:
    """Said when someone to re-admit has access already; `alert`: as plain text."""
    who = _plain_label(row) if alert else person_label(row)
    return t.gettext("Already done: {who} has access.").format(who=who)


def readmit_usage(t: Translator) -> Rendered:
    return Rendered(
        "ℹ️ " + t.gettext("Usage: /readmit NUMBER, with the number of a revoked person.")
    )
