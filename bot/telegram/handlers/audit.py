"""/audit (recent administrative acts, for coordinators) and /erase (an administrator deletes a
revoked person's identifying data, with a confirm button)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.services import audit, erasure
from bot.telegram.common import Caller, answer_query, handler, send
from bot.telegram.handlers.cycles import show
from bot.views.audit import (
    audit_usage,
    erase_usage,
    render_audit,
    render_erase_cancelled,
    render_erase_confirm,
    render_erased,
)
from bot.views.callbacks import ERASE, EraseButton, EraseCancelButton, parse_int, read_button


@handler()
async def audit_log(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/audit [COUNTRY]: the newest entries of the audit log."""
    actor, rt = caller.enrolled(), caller.rt
    args = context.args or []
    if len(args) > 1:
        await send(update, audit_usage(caller.t))
        return
    log = await rt.db.run_read(audit.recent, actor=actor, country_code=args[0] if args else None)
    await send(update, render_audit(caller.t, log, timezone=caller.timezone))


@handler()
async def erase(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/erase NUMBER: who would be erased, with a confirm button."""
    actor, rt = caller.enrolled(), caller.rt
    actor.require_admin()
    number = parse_int((context.args or [""])[0].lstrip("#"))
    if number is None:
        await send(update, erase_usage(caller.t))
        return
    preview = await rt.db.run_read(erasure.erase_preview, actor=actor, person_id=number)
    await send(update, render_erase_confirm(caller.t, preview))


@handler()
async def on_erase_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    query = update.callback_query
    assert query is not None
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_admin()
    match read_button(query.data, EraseButton, EraseCancelButton):
        case EraseButton(person_id=number, token=token):
            erased = await rt.db.run(
                erasure.erase, actor=actor, person_id=number, token=token, now=rt.clock.now()
            )
            await show(update, render_erased(t, erased))
        case EraseCancelButton():
            await show(update, render_erase_cancelled(t))
        case _:
            await answer_query(query, t.gettext("This button is no longer current."), alert=True)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("audit", audit_log),
        CommandHandler("erase", erase),
        CallbackQueryHandler(on_erase_button, pattern=rf"^{ERASE}:"),
    ]
