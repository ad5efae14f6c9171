"""The answering flow: items, status taps, comments, evidence, review and progress."""

from __future__ import annotations

import asyncio
import contextlib

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import metrics
from bot.i18n import Translator
from bot.services import cycles, reporting
from bot.services.actors import Actor, as_person
from bot.services.errors import CursorMoved, StaleAction
from bot.services.reporting import ReviewSection, Screen
from bot.telegram.common import Caller, acting, answer_query, edit, handler, send
from bot.telegram.runtime import runtime
from bot.views.answering import (
    render_menu,
    render_progress,
    render_review_overview,
    render_review_section,
    render_screen,
)
from bot.views.callbacks import (
    ANSWER,
    MENU,
    PROGRESS,
    REVIEW,
    AnswerButton,
    MenuButton,
    ReviewButton,
)
from bot.views.common import Rendered
from bot.views.cycles import render_cancelled
from bot.views.errors import error_text


async def show_current(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    t: Translator,
    actor: Actor,
    *,
    first_open: bool = False,
) -> None:
    """Send the person's current item as a new prompt message and remember it."""
    rt = runtime(context)
    service = reporting.first_open_item if first_open else reporting.resume
    screen = await rt.db.run(service, **acting(rt, actor))
    await _send_prompt(update, context, t, actor, screen)


async def _send_prompt(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    t: Translator,
    actor: Actor,
    screen: Screen | ReviewSection,
) -> None:
    rt = runtime(context)
    message = await send(update, _render(t, screen, actor))
    if screen.cycle_id is None:
        return
    await rt.db.run(
        reporting.remember_prompt,
        actor=actor,
        cycle_id=screen.cycle_id,
        version=screen.version,
        message_id=message.message_id,
    )


def _render(t: Translator, screen: Screen | ReviewSection, actor: Actor) -> Rendered:
    if isinstance(screen, ReviewSection):  # a change made from the review list returns there
        return render_review_section(t, screen)
    return render_screen(t, screen, timezone=actor.timezone)


@handler()
async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    await show_current(update, context, caller.t, caller.enrolled())


@handler(identified_in_service=True)  # pressed on every item: one transaction a tap
async def on_answer_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    rt = caller.rt
    button = AnswerButton.unpack(query.data)
    if button is None:
        await _stale(update, context, caller, None)
        return
    try:
        actor, screen = await rt.db.run(
            as_person,
            caller.telegram_id,
            reporting.act,
            checklists=rt.checklists,
            now=caller.now,
            version=button.version,
            action=button.action,
            item_id=button.item_id,
            status_index=button.status_index,
            support_kind=button.support_kind,
            evidence_id=button.evidence_id,
            message_id=query.message.message_id,
        )
    except StaleAction as stale:
        await _stale(update, context, caller, stale)
        return
    caller.become(actor)
    rendered = _render(caller.t, screen, actor)
    # Both calls go out together: the tap feels answered as soon as the item changes.
    _, shown = await asyncio.gather(answer_query(query), edit(query, rendered))
    if shown is None:  # the message was deleted meanwhile: show the screen anew
        await _send_prompt(update, context, caller.t, actor, screen)


async def _stale(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    stale: StaleAction | None,
) -> None:
    """A button from an older message, or a second tap: change nothing, show where they are."""
    metrics.mark(metrics.Outcome.REFUSED)
    await caller.identify()
    query = update.callback_query
    assert query is not None and query.message is not None
    t = caller.t
    if isinstance(stale, CursorMoved) and stale.prompt_message_id == query.message.message_id:
        # The same message already moved on: a double tap. Nothing more to do.
        await answer_query(query, t.gettext("Already done: this button was pressed before."))
        return
    await answer_query(query, error_text(t, stale or StaleAction()))
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)  # take the old buttons away
    await show_current(update, context, t, caller.enrolled())


@handler()
async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    query = update.callback_query
    assert query is not None
    button = MenuButton.unpack(query.data)
    await answer_query(query)
    await edit(query, render_menu(caller.t, button.version if button else 0))


@handler()
async def on_review(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    rt = caller.rt
    query = update.callback_query
    button = ReviewButton.unpack(query.data) if query else ReviewButton()
    if button is None:
        await _stale(update, context, caller, None)
        return
    version, section = button.version, button.section_id
    try:
        if section is None:
            progress = await rt.db.run_read(reporting.progress, **caller.acting())
            if query is not None and version is not None and version != progress.version:
                raise StaleAction()
            rendered = render_review_overview(caller.t, progress)
        else:
            review = await rt.db.run_read(
                reporting.review_section, **caller.acting(), section_id=section, version=version
            )
            rendered = render_review_section(caller.t, review)
    except StaleAction as stale:
        await _stale(update, context, caller, stale)
        return
    if query is None:
        await send(update, rendered)
        return
    await answer_query(query)
    if await edit(query, rendered) is None:
        await send(update, rendered)


@handler()
async def on_progress(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt = caller.enrolled(), caller.rt
    progress = await rt.db.run_read(reporting.progress, **caller.acting())
    rendered = render_progress(caller.t, progress, timezone=actor.timezone)
    if update.callback_query is not None:
        await answer_query(update.callback_query)
        if await edit(update.callback_query, rendered) is not None:
            return
    await send(update, rendered)


@handler()
async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    message = update.effective_message
    assert isinstance(message, Message) and message.text is not None
    actor, rt = caller.enrolled(), caller.rt
    if actor.is_coordinator:  # not the answering flow: a deadline after "Other date", or help
        from bot.telegram.handlers.cycles import coordinator_text

        await coordinator_text(update, context)
        return
    screen = await rt.db.run(
        reporting.receive_text,
        **caller.acting(),
        text=message.text,
        comment_max=rt.settings.comment_max_chars,
    )
    await _send_prompt(update, context, caller.t, actor, screen)


@handler()
async def on_file(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    message = update.effective_message
    assert isinstance(message, Message)
    actor, rt = caller.enrolled(), caller.rt
    if message.document is not None:
        kind, file_id = "document", message.document.file_id
        unique_id = message.document.file_unique_id
        name = message.document.file_name or "document"
    else:
        photo = message.photo[-1]
        kind, file_id, unique_id, name = "photo", photo.file_id, photo.file_unique_id, "photo.jpg"
    screen = await rt.db.run(
        reporting.receive_file,
        **caller.acting(),
        kind=kind,
        file_id=file_id,
        file_unique_id=unique_id,
        file_name=name,
        caption=message.caption,
    )
    await _send_prompt(update, context, caller.t, actor, screen)


@handler()
async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt = caller.enrolled(), caller.rt
    if actor.is_coordinator:  # a coordinator waits only for the day of "Other date"
        stopped = await rt.db.run(cycles.stop_awaiting_deadline, actor=actor)
        await send(update, render_cancelled(caller.t, stopped=stopped))
        return
    screen = await rt.db.run(reporting.cancel_input, **caller.acting())
    await _send_prompt(update, context, caller.t, actor, screen)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("continue", resume, filters=private),
        CommandHandler("review", on_review, filters=private),
        CommandHandler("progress", on_progress, filters=private),
        CommandHandler("cancel", cancel, filters=private),
        CallbackQueryHandler(on_answer_button, pattern=rf"^{ANSWER}:"),
        CallbackQueryHandler(on_menu, pattern=rf"^{MENU}:"),
        CallbackQueryHandler(on_review, pattern=rf"^{REVIEW}(:|$)"),
        CallbackQueryHandler(on_progress, pattern=rf"^{PROGRESS}(:|$)"),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(private & (filters.Document.ALL | filters.PHOTO), on_file),
    ]
