"""Following progress and managing people: /summary, /status, /compare, /people, /revoke.

Coordinators see every country; focal points get the same commands for their own country
only. The services decide that; these handlers only parse and render.
"""

from __future__ import annotations

import contextlib

from telegram import BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.services import people, summaries
from bot.services.actors import find_actor
from bot.telegram.common import Caller, answer_query, handler, send
from bot.telegram.handlers.cycles import show
from bot.telegram.menus import set_chat_commands
from bot.views.callbacks import (
    PEOPLE,
    STATUS,
    CountryStatusButton,
    PeopleCancelButton,
    ReadmitButton,
    RevokeButton,
    parse_int,
    read_button,
)
from bot.views.common import Rendered
from bot.views.coordinators import (
    readmit_usage,
    render_already_active,
    render_already_revoked,
    render_people,
    render_readmit_confirm,
    render_readmitted,
    render_revoke_cancelled,
    render_revoke_confirm,
    render_revoked,
    revoke_usage,
)
from bot.views.summaries import (
    render_compare,
    render_status,
    render_status_choice,
    render_summary,
)


@handler()
async def summary(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    rt, zone, now = caller.rt, caller.timezone, caller.now
    result = await rt.db.run_read(summaries.regional_summary, **caller.acting(now), timezone=zone)
    await send(update, render_summary(caller.t, result, timezone=zone, now=now))


@handler()
async def status(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/status [COUNTRY]; a coordinator without a country picks one with a button."""
    actor, rt = caller.enrolled(), caller.rt
    zone, now = caller.timezone, caller.now
    query = update.callback_query
    if query is not None:
        button = CountryStatusButton.unpack(query.data)
        code = button.country_code if button else None
        await answer_query(query)
    else:
        code = context.args[0] if context.args else None
    if code is None and actor.is_coordinator:
        result = await rt.db.run_read(summaries.regional_summary, **caller.acting(now))
        await send(update, render_status_choice(caller.t, result))
        return
    status_ = await rt.db.run_read(
        summaries.country_status, **caller.acting(now), country_code=code, timezone=zone
    )
    await send(update, render_status(caller.t, status_, timezone=zone, now=now))


@handler()
async def compare(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    result = await caller.rt.db.run_read(summaries.compare_cycles, **caller.acting())
    await send(update, render_compare(caller.t, result))


@handler()
async def people_list(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/people [COUNTRY]."""
    actor, rt = caller.enrolled(), caller.rt
    code = context.args[0] if context.args else None
    now = rt.clock.now()
    result = await rt.db.run_read(people.list_people, actor=actor, country_code=code, now=now)
    await send(update, render_people(caller.t, result, timezone=caller.timezone, now=now))


@handler()
async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/revoke NUMBER: who would lose access, with a confirm button."""
    actor, rt = caller.enrolled(), caller.rt
    actor.require_coordinator()
    number = parse_int((context.args or [""])[0].lstrip("#"))
    if number is None:
        await send(update, revoke_usage(caller.t))
        return
    row = await rt.db.run_read(
        people.revoke_preview,
        actor=actor,
        person_id=number,
        config_admins=rt.settings.admins,
        now=rt.clock.now(),
    )
    await send(update, render_revoke_confirm(caller.t, row))


@handler()
async def readmit(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/readmit NUMBER: give a revoked person their access back, with a confirm button."""
    actor, rt = caller.enrolled(), caller.rt
    actor.require_coordinator()
    number = parse_int((context.args or [""])[0].lstrip("#"))
    if number is None:
        await send(update, readmit_usage(caller.t))
        return
    row = await rt.db.run_read(
        people.readmit_preview, actor=actor, person_id=number, now=rt.clock.now()
    )
    if row.active:
        await send(update, Rendered("ℹ️ " + render_already_active(caller.t, row)))
        return
    await send(update, render_readmit_confirm(caller.t, row))


@handler()
async def on_people_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    query = update.callback_query
    assert query is not None
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_coordinator()
    match read_button(query.data, RevokeButton, ReadmitButton, PeopleCancelButton):
        case RevokeButton(person_id=number):
            change = await rt.db.run(
                people.revoke,
                actor=actor,
                person_id=number,
                config_admins=rt.settings.admins,
                now=rt.clock.now(),
            )
            if not change.changed:  # a second tap, or a retried callback: nothing again
                await answer_query(query, render_already_revoked(t, change.person), alert=True)
                return
            await show(update, render_revoked(t, change.person))
            # Their chat's command menu was made for their role: take it away too.
            with contextlib.suppress(TelegramError):
                await context.bot.delete_my_commands(
                    scope=BotCommandScopeChat(change.person.telegram_id)
                )
        case ReadmitButton(person_id=number):
            change = await rt.db.run(
                people.readmit, actor=actor, person_id=number, now=rt.clock.now()
            )
            if not change.changed:
                await answer_query(
                    query, render_already_active(t, change.person, alert=True), alert=True
                )
                return
            await show(update, render_readmitted(t, change.person))
            # Revoking took their command menu away: give it back, in their language.
            back = await rt.db.run_read(find_actor, change.person.telegram_id)
            if back is not None:
                await set_chat_commands(context.bot, rt.i18n.translator(back.locale), back)
        case PeopleCancelButton():
            await show(update, render_revoke_cancelled(t))
        case _:
            await answer_query(query, t.gettext("This button is no longer current."), alert=True)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("summary", summary),
        CommandHandler("status", status),
        CommandHandler("compare", compare),
        CommandHandler("people", people_list),
        CommandHandler("revoke", revoke),
        CommandHandler("readmit", readmit),
        CallbackQueryHandler(status, pattern=rf"^{STATUS}:"),
        CallbackQueryHandler(on_people_button, pattern=rf"^{PEOPLE}:"),
    ]
