"""Coordinators' invites: /invite, /invites, /cancelinvite."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.models import Role
from bot.services import enrolment
from bot.telegram.common import Caller, handler, send
from bot.views.common import Rendered
from bot.views.general import render_invite, render_invites


@handler()
async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_coordinator()
    args = [arg.lower() for arg in context.args or []]
    role, lead, country = Role.FOCAL_POINT, False, None
    for arg in args:
        if arg in ("coordinator", "coord"):
            role = Role.COORDINATOR
        elif arg in ("lead", "national_lead"):
            lead = True
        elif arg in ("focal", "focal_point"):
            role = Role.FOCAL_POINT
        else:
            country = arg.upper()
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
    await send(update, render_invite(t, created, bot_username=username, timezone=caller.timezone))


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
