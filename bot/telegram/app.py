"""Wires the python-telegram-bot `Application`: the API address, defaults, rate limiter,
handlers, the periodic sweeper job and the error handler. Nothing here decides anything."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes, TypeHandler

from bot import metrics
from bot.telegram import drain, fairness, jobs, menus, offload, transient
from bot.telegram.builder import application_builder
from bot.telegram.common import identify, private_chats_only
from bot.telegram.error_report import report_error
from bot.telegram.handlers import (
    answering,
    audit,
    coordinators,
    cycles,
    general,
    invites,
    needs,
    reminders,
    reports,
    start,
)
from bot.telegram.instrument import watch_application
from bot.telegram.runtime import App, Runtime, attach

log = logging.getLogger(__name__)

HANDLER_MODULES = (
    start,
    answering,
    invites,
    cycles,
    coordinators,
    reminders,
    reports,
    needs,
    audit,
    general,
)

# The kinds of update the bot handles, asked for by name in both modes (getUpdates and
# setWebhook), so Telegram sends nothing else: text, commands and files (`message`), button
# presses (`callback_query`); and, for the private-chat gate that leaves any group or channel,
# being added to one (`my_chat_member`) and a post in a channel the bot is already in
# (`channel_post`). An edited message, for one, is not asked for: nothing acts on an edit.
# tests/test_webhook.py holds this list to the handlers.
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.CHANNEL_POST,
)


def build_application(rt: Runtime) -> App:
    settings = rt.settings
    application = (
        application_builder(settings, contact=rt.contact)
        .post_init(_post_init)
        .post_shutdown(offload.shutdown)
        .build()
    )
    attach(application, rt)
    offload.attach(application, settings.report_workers, settings.report_queue)
    fairness.attach(application)
    # Before every other handler (group -1), for every kind of update: outside a private chat
    # the bot says where it works and leaves, and no handler ever runs there.
    application.add_handler(TypeHandler(Update, private_chats_only), group=-1)
    for module in HANDLER_MODULES:
        application.add_handlers(module.handlers())
    # Fallbacks go last in the same group: within a group only the first matching handler
    # runs, while every group would run its own.
    application.add_handlers(general.fallbacks())
    application.add_error_handler(_on_error)
    jobs.schedule(application, rt)
    watch_application(application, rt)  # the gauges of /metrics
    drain.attach(application)
    return application


async def _post_init(application: App) -> None:
    rt: Runtime = application.bot_data["normsbot"]
    rt.bot_username = application.bot.username
    await menus.register_commands(application.bot, rt.i18n)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the person, in their language, that nothing was lost.

    A transient Telegram failure (see `transient.py`) is one WARNING line with the method and
    the cause; anything else is a bug and keeps its traceback.
    """
    error = context.error
    metrics.mark(metrics.Outcome.ERROR)
    metrics.count_error(error)
    about = f"update {update.update_id}" if isinstance(update, Update) else "polling or a job"
    if error is not None and transient.is_transient(error):
        log.warning("%s not completed: %s", about, transient.describe(error))
    else:
        log.error(
            "error while handling %s: %s",
            about,
            "".join(traceback.format_exception(error)) if error else "?",
        )
        await report_error(context.application, update, error)  # to NORMSBOT_ERROR_CHAT_ID
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    caller = await identify(update, context)
    if caller is None:
        return
    text = "⚠️ " + caller.t.gettext("Something went wrong. Nothing you already recorded is lost.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        else:
            await update.effective_chat.send_message(text)
    except TelegramError as failed:  # on a bad network day, telling fails as well: one line
        log.warning("could not tell the person about it: %s", transient.describe(failed))


def _polling_failed(application: App, error: TelegramError) -> None:
    """As run_polling() does: a failed getUpdates goes to the error handler (one line)."""
    application.create_task(application.process_error(update=None, error=error))


@asynccontextmanager
async def started(application: App) -> AsyncIterator[App]:
    """The application started (handlers, jobs, workers) inside an `async with`, taking
    updates from its `update_queue`; on the way out it finishes the queued ones and stops."""
    await application.initialize()
    # run_polling() calls post_init (the command menus); starting by hand must do the same.
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()
        await application.shutdown()
        # As run_polling() does: post_shutdown stops the chart and export workers.
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


@asynccontextmanager
async def polling(application: App, *, poll_interval: float = 0.0) -> AsyncIterator[App]:
    """Run the application's long polling inside an `async with` (`normsbot run`, tests, demo,
    benchmarks). Starting to poll deletes a webhook set before, as Telegram requires."""
    async with started(application):
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=poll_interval,
            timeout=application.bot_data["normsbot"].settings.poll_timeout,
            allowed_updates=list(ALLOWED_UPDATES),
            error_callback=functools.partial(_polling_failed, application),
        )
        try:
            yield application
        finally:
            await application.updater.stop()


async def set_webhook(application: App, url: str, secret: str) -> None:
    """Ask Telegram to post updates to `url` with `secret` in each request's header.

    Updates that came while no process listened stay queued at Telegram and are posted now
    (no `drop_pending_updates`); a webhook is never deleted at stop, so that a restart, or one
    of several processes behind the same URL stopping, loses nothing.
    """
    await application.bot.set_webhook(
        url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
    )
