"""Coordinators' invites: /invite, /invites, /cancelinvite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.checklist import ChecklistRegistry
from bot.models import Role
from bot.services import enrolment
from bot.services.errors import UnknownRole
from bot.telegram.common import Caller, handler, send
from bot.views.common import Rendered
from bot.views.general import render_invite, render_invites


@dataclass(frozen=True)
class InviteRequest:
    """What `/invite` was asked for: a country (None for a regional coordinator), a role, and
    the instrument (None: the one the command acts in)."""

    country: str | None
    role: Role
    lead: bool
    checklist_id: str | None = None


ROLE_WORDS = {
    "coordinator": Role.COORDINATOR,
    "coord": Role.COORDINATOR,
    "focal": Role.FOCAL_POINT,
    "focal_point": Role.FOCAL_POINT,
}
LEAD_WORDS = ("lead", "national_lead")


def parse_invite_args(
    args: Sequence[str], checklists: ChecklistRegistry | None = None
) -> InviteRequest:
    """`/invite TH`, `/invite TH lead`, `/invite coordinator`, `/invite TH lead scams`… in any
    order and case.

    A two-letter word is a country code (the service says whether it knows it); any other
    word must be a role or an instrument's short name, so `/invite TH boss` names the word it
    does not know (and lists the instruments) instead of blaming the country.
    """
    role, lead, country, checklist_id = Role.FOCAL_POINT, False, None, None
    instruments = checklists.instruments() if checklists else ()
    names = {checklist.short_name: checklist.id for checklist in instruments}
    for raw in args:
        arg = raw.lower()
        if arg in ROLE_WORDS:
            role = ROLE_WORDS[arg]
        elif arg in LEAD_WORDS:
            lead = True
        elif arg in names:
            checklist_id = names[arg]
        elif len(arg) == 2 and arg.isascii() and arg.isalpha():
            country = arg.upper()
        else:
            raise UnknownRole(value=raw, instruments=tuple(names))
    return InviteRequest(country, role, lead, checklist_id)


@handler()
async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    request = parse_invite_args(context.args or [], rt.checklists)
    if request.checklist_id is not None:
        actor = actor.within(request.checklist_id)
    actor.require_coordinator()
    role, lead, country = request.role, request.lead, request.country
    if country is None and role is Role.FOCAL_POINT:
        await send(
            update,
            Rendered(
                "ℹ️ "
                + t.gettext("Usage: /invite COUNTRY [coordinator|lead], for example /invite TH")
            ),
        )
        return
    created = await rt.db.run(
        enrolment.create_invite,
        actor=actor,
        country_code=country,
        role=role,
        national_lead=lead,
        now=rt.clock.now(),
        ttl_days=rt.settings.invite_ttl_days,
    )
    username = rt.bot_username or context.bot.username
    instrument = rt.checklists.latest(created.checklist_id)
    await send(
        update,
        render_invite(
            t, created, bot_username=username, timezone=caller.timezone, instrument=instrument
        ),
    )


@handler()
async def invites(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt = caller.enrolled(), caller.rt
    now = rt.clock.now()
    rows = await rt.db.run_read(enrolment.list_open_invites, actor=actor, now=now)
    await send(update, render_invites(caller.t, rows, timezone=caller.timezone, now=now))


@handler()
async def cancel_invite(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_coordinator()
    number = (context.args or [""])[0].lstrip("#")
    if not number.isdigit():
        await send(update, Rendered("ℹ️ " + t.gettext("Usage: /cancelinvite NUMBER (see /invites)")))
        return
    done = await rt.db.run(
        enrolment.cancel_invite, actor=actor, invite_id=int(number), now=rt.clock.now()
    )
    text = (
        t.gettext("Invite #{number} cancelled.")
        if done
        else t.gettext("There is no open invite #{number}.")
    ).format(number=number)
    await send(update, Rendered(("✔️ " if done else "⚠️ ") + text))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("invite", invite),
        CommandHandler("invites", invites),
        CommandHandler("cancelinvite", cancel_invite),
    ]
