"""/help, unknown commands, unsupported messages and buttons nobody knows any more."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.common import Caller, answer_query, handler, send
from bot.views.errors import stranger_text
from bot.views.general import render_help


@handler(enrolled=False)
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor = caller.actor
    if actor is None:
        await send_plain(update, stranger_text(caller.t))
        return
    await send(update, render_help(caller.t, actor))


@handler(enrolled=False)
async def unknown_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    if caller.actor is None:
        await send_plain(update, stranger_text(caller.t))
        return
    await send_plain(update, "❔ " + caller.t.gettext("I do not know that command."))
    await send(update, render_help(caller.t, caller.actor))


@handler(enrolled=False)
async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    if caller.actor is None:
        await send_plain(update, stranger_text(caller.t))
        return
    await send_plain(
        update,
        "⚠️ "
        + caller.t.gettext(
            "I cannot use this kind of message. Send text, a link, a document or a photo."
        ),
    )


@handler(enrolled=False)
async def unknown_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    assert update.callback_query is not None
    await answer_query(
        update.callback_query,
        caller.t.gettext("This button is no longer current. Send /start to carry on."),
        alert=True,
    )


async def send_plain(update: Update, text: str) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("help", help_command)]


def fallbacks() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered last, after every other module's handlers."""
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, unsupported),
        CallbackQueryHandler(unknown_button),
    ]
