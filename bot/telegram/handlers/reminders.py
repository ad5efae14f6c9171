"""Reminder buttons (focal points), /remind and /reminders, and /digest (coordinators)."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.services import digests, reminders
from bot.services.digests import DigestPolicy
from bot.services.errors import InvalidInput, ReminderUnchanged
from bot.services.reminders import NudgeOutcome, ReminderPolicy
from bot.telegram import jobs
from bot.telegram.common import Caller, answer_query, edit, handler, send
from bot.telegram.handlers.answering import show_current
from bot.views.callbacks import (
    DIGEST,
    REMIND,
    ContinueButton,
    DigestButton,
    MuteButton,
    Muting,
    SnoozeButton,
    Switch,
    read_button,
)
from bot.views.common import Rendered
from bot.views.digests import render_digest_preview
from bot.views.errors import error_text
from bot.views.reminders import (
    muted_text,
    reminder_keyboard,
    render_nudge_result,
    render_overview,
    snoozed_text,
)


@handler()
async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/remind CC: nudge the country's focal points now (within their working hours)."""
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_coordinator()
    args = context.args or []
    if len(args) != 1:
        await send(
            update,
            Rendered("ℹ️ " + t.gettext("Usage: /remind COUNTRY, for example /remind TH")),
        )
        return
    result = await rt.db.run(
        reminders.remind_country,
        **caller.acting(),
        country_code=args[0],
        policy=ReminderPolicy.from_settings(rt.settings),
    )
    await send(update, render_nudge_result(t, result))
    now = any(target.outcome is NudgeOutcome.NOW for target in result.targets)
    if now:
        jobs.send_soon(context)


@handler()
async def overview(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/reminders: what is planned next per country, how many went, who is unreachable."""
    rt = caller.rt
    result = await rt.db.run(
        reminders.reminder_overview,
        **caller.acting(),
        policy=ReminderPolicy.from_settings(rt.settings),
    )
    await send(update, render_overview(caller.t, result))


@handler()
async def on_reminder_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """The buttons under a reminder; they work on old reminders too (idempotent)."""
    query = update.callback_query
    assert query is not None
    actor, t = caller.enrolled(), caller.t
    button = read_button(query.data, ContinueButton, SnoozeButton, MuteButton)
    if isinstance(button, ContinueButton):
        await answer_query(query)
        if button.instrument is not None and actor.holds(button.instrument):
            actor = actor.within(button.instrument)  # the instrument the reminder names first
        await show_current(update, context, t, actor, first_open=True)
        return
    if not isinstance(button, SnoozeButton | MuteButton):
        raise InvalidInput()
    try:
        await _change_reminders(update, caller, button)
    except ReminderUnchanged as stale:
        # Pressed before (or a retry): nothing changed. The keyboard shows the state as it is.
        await answer_query(query, error_text(t, stale), alert=True)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(
                reminder_keyboard(t, None, stale.cycle_id, muted=stale.muted)
            )


async def _change_reminders(
    update: Update, caller: Caller, button: SnoozeButton | MuteButton
) -> None:
    """Snooze, mute or unmute; `ReminderUnchanged` when the tap changes nothing."""
    query = update.callback_query
    assert query is not None
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    policy = ReminderPolicy.from_settings(rt.settings)
    if isinstance(button, SnoozeButton):
        snoozed = await rt.db.run(
            reminders.snooze,
            actor=actor,
            delivery_id=button.delivery_id,
            days=button.length.days,
            policy=policy,
            now=rt.clock.now(),
        )
        await answer_query(query, snoozed_text(t, t.datetime(snoozed.until, snoozed.timezone)))
        with contextlib.suppress(BadRequest):  # the message may be gone: the snooze holds
            await query.edit_message_reply_markup(reminder_keyboard(t, None, snoozed.cycle_id))
        return
    muted = await rt.db.run(
        reminders.set_muted,
        actor=actor,
        cycle_id=button.cycle_id,
        muted=button.muting is Muting.MUTE,
    )
    await answer_query(query, muted_text(t, muted.muted))
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(
            reminder_keyboard(t, None, muted.cycle_id, muted=muted.muted)
        )


@handler()
async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/digest: the digest as of now, and a button to stop or resume the scheduled ones."""
    rt = caller.rt
    preview = await rt.db.run_read(
        digests.digest_preview, **caller.acting(), policy=DigestPolicy.from_settings(rt.settings)
    )
    await send(update, render_digest_preview(caller.t, preview))


@handler()
async def on_digest_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    query = update.callback_query
    assert query is not None
    rt, t = caller.rt, caller.t
    button = DigestButton.unpack(query.data)
    if button is None:
        raise InvalidInput()
    preview = await rt.db.run(
        digests.set_digest,
        **caller.acting(),
        enabled=button.switch is Switch.ON,
        policy=DigestPolicy.from_settings(rt.settings),
    )
    await answer_query(query)
    rendered = render_digest_preview(t, preview)
    if await edit(query, rendered) is None:
        await send(update, rendered)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("remind", remind, filters=private),
        CommandHandler("reminders", overview, filters=private),
        CommandHandler("digest", digest, filters=private),
        CallbackQueryHandler(on_reminder_button, pattern=rf"^{REMIND}:"),
        CallbackQueryHandler(on_digest_button, pattern=rf"^{DIGEST}:"),
    ]
