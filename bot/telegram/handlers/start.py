"""/start (with an invite code, an evidence link's code, or nothing), the language choice, and
the choice of an instrument (/instruments)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.i18n import Translator
from bot.services import enrolment, evidence, instruments, people
from bot.services.actors import Actor
from bot.services.errors import InviteInvalid, InviteProblem, StaleAction
from bot.telegram.common import Caller, answer_query, edit_once, handler, send
from bot.telegram.handlers.answering import show_current
from bot.telegram.menus import set_chat_commands
from bot.views.answering import render_evidence_caption
from bot.views.callbacks import INSTRUMENT, LANGUAGE, LANGUAGES, InstrumentButton, LanguageButton
from bot.views.common import Rendered, instrument_line
from bot.views.errors import error_text, stranger_text
from bot.views.general import (
    language_set_text,
    render_help,
    render_instruments,
    render_language_choice,
    welcome_text,
)


@handler(enrolled=False)
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    rt = caller.rt
    now = rt.clock.now()
    code = context.args[0] if context.args else None
    if code and code.startswith(evidence.DEEP_LINK_PREFIX) and caller.actor is not None:
        # An export's link to a document or photo of the evidence. Strangers fall through to
        # the invite check below and get its ordinary refusal.
        await send_evidence(update, caller, code.removeprefix(evidence.DEEP_LINK_PREFIX))
        return
    if code:
        try:
            actor = await rt.db.run(
                enrolment.redeem_invite,
                code=code,
                telegram_id=caller.telegram_id,
                display_name=caller.display_name,
                username=caller.username,
                language_code=caller.language_code,
                now=now,
            )
        except InviteInvalid as error:
            if code.startswith(evidence.DEEP_LINK_PREFIX) and error.reason is InviteProblem.UNKNOWN:
                await send_text(update, stranger_text(caller.t))  # an evidence link: not for them
                return
            raise
        await offer_languages(update, caller, actor, welcome=True)
        return
    if caller.actor is None and caller.telegram_id in rt.settings.admins:
        actor = await rt.db.run(
            enrolment.enrol_admin,
            telegram_id=caller.telegram_id,
            display_name=caller.display_name,
            username=caller.username,
            language_code=caller.language_code,
            now=now,
        )
        await offer_languages(update, caller, actor, welcome=True)
        return
    if caller.actor is None:
        await send_text(update, stranger_text(caller.t))
        return
    if caller.actor.locale is None:
        await offer_languages(update, caller, caller.actor, welcome=True)
        return
    if len(instruments.held_instruments(caller.actor, rt.checklists)) > 1:
        await show_instruments(update, caller)  # several: they choose where to go on
        return
    await greet(update, context, caller.t, caller.actor)


async def send_evidence(update: Update, caller: Caller, public_id: str) -> None:
    """Send the file behind an evidence deep link to someone who may see it."""
    found = await caller.rt.db.run_read(
        evidence.file_for, actor=caller.enrolled(), public_id=public_id
    )
    chat = update.effective_chat
    assert chat is not None
    caption = render_evidence_caption(caller.t, found)
    if found.kind == "photo":
        await chat.send_photo(found.file_id, caption=caption)
    else:
        await chat.send_document(found.file_id, caption=caption)


async def send_text(update: Update, text: str) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text)


async def offer_languages(
    update: Update, caller: Caller, actor: Actor, *, welcome: bool, everything: bool = False
) -> None:
    rt = caller.rt
    guess = rt.i18n.negotiate(caller.language_code)
    codes = await rt.db.run_read(
        people.offered_locales,
        actor=actor,
        available=rt.i18n.available,
        guess=guess,
        everything=everything,
    )
    t = rt.i18n.translator(actor.locale or guess)
    await send(
        update,
        render_language_choice(t, codes, welcome=welcome_text(t, actor) if welcome else None),
    )


async def greet(
    update: Update, context: ContextTypes.DEFAULT_TYPE, t: Translator, actor: Actor
) -> None:
    """After enrolment or a language choice: focal points get their item, coordinators help."""
    if actor.is_coordinator:
        await send(update, render_help(t, actor))
    else:
        await show_current(update, context, t, actor)


@handler()
async def language(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor = caller.enrolled()
    if update.callback_query is not None:
        await answer_query(update.callback_query)
    await offer_languages(update, caller, actor, welcome=False, everything=True)


@handler()
async def choose_language(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    query = update.callback_query
    assert query is not None
    rt = caller.rt
    button = LanguageButton.unpack(query.data)
    if button is None or button.locale not in rt.i18n.available:
        await answer_query(query, caller.t.gettext("This language is not available."), alert=True)
        return
    code = button.locale
    choice = await rt.db.run(
        people.set_locale, actor=caller.enrolled(), locale=code, available=rt.i18n.available
    )
    t = rt.i18n.translator(code)
    await answer_query(query)
    # The edit decides who greets: of two taps on one keyboard (handled at once, or a retried
    # callback) only one changes the message. A message gone: greet if the choice changed.
    shown = await edit_once(query, Rendered(language_set_text(t, code)))
    if shown is False or (shown is None and not choice.changed):
        return
    await set_chat_commands(context.bot, t, choice.actor)
    await greet(update, context, t, choice.actor)


async def show_instruments(update: Update, caller: Caller) -> None:
    rows = await caller.rt.db.run_read(
        instruments.my_instruments, actor=caller.enrolled(), checklists=caller.rt.checklists
    )
    await send(update, render_instruments(caller.t, rows))


@handler(instrument_word="none")
async def instruments_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    await show_instruments(update, caller)


@handler()
async def choose_instrument(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A tap on an instrument: it becomes the current one; focal points go on answering it."""
    query = update.callback_query
    assert query is not None
    rt, t = caller.rt, caller.t
    button = InstrumentButton.unpack(query.data)
    try:
        checklist = rt.checklists.by_short_name(button.short_name if button else "")
    except KeyError:
        await answer_query(query, error_text(t, StaleAction()), alert=True)
        return
    actor = await rt.db.run(
        instruments.choose_instrument,
        actor=caller.enrolled(),
        checklists=rt.checklists,
        checklist_id=checklist.id,
    )
    await answer_query(query)
    await edit_once(query, Rendered(instrument_line(t, checklist)))
    await set_chat_commands(context.bot, t, actor)
    await greet(update, context, t, actor)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("start", start),
        CommandHandler("instruments", instruments_command),
        CallbackQueryHandler(choose_instrument, pattern=rf"^{INSTRUMENT}:"),
        CommandHandler("language", language),
        CallbackQueryHandler(language, pattern=rf"^{LANGUAGES}$"),
        CallbackQueryHandler(choose_language, pattern=rf"^{LANGUAGE}:"),
    ]
