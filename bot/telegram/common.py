"""Glue shared by the handlers: who is writing, in which language, and how to answer.

`handler(...)` wraps every callback: it identifies the caller (enrolled or not), picks their
translator, and turns a `ServiceError` into a translated answer, so a handler body is only
"parse, call a service, render a view". Most services take who acts, the checklists and the
time: `caller.acting()` gives those three keyword arguments, so that a call reads
`rt.db.run(reporting.resume, **caller.acting())`.

Which instrument the caller acts in: a command may name one by its short name as its first or
last word (`/summary scams`, `/invite TH scams`); `handler()` takes that word out of the
arguments and scopes the actor to it (refused when they hold no role there). Otherwise the
actor acts in their current instrument (`find_actor`); a service given a cycle id (a button)
acts in that cycle's instrument.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from telegram import CallbackQuery, Chat, ChatMember, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import metrics
from bot.checklist import Checklist, ChecklistRegistry
from bot.i18n import Translator
from bot.services.actors import Actor, find_actor, noted_lately, seen
from bot.services.errors import NotEnrolled, ServiceError
from bot.telegram.limiter import replying_to
from bot.telegram.once import handled_once
from bot.telegram.runtime import Runtime, runtime
from bot.telegram.webhook_reply import offer_answer
from bot.views.common import Rendered, split_text
from bot.views.errors import error_text, private_only_text

log = logging.getLogger(__name__)

CALLBACK_ANSWER_MAX = 200  # Telegram's limit for answerCallbackQuery's text


class Acting(TypedDict):
    """The keyword arguments most services take: who acts, on which checklists, and when."""

    actor: Actor
    checklists: ChecklistRegistry
    now: datetime


def acting(rt: Runtime, actor: Actor, now: datetime | None = None) -> Acting:
    """`Acting` for an actor other than the caller (one just enrolled, or with a new language)."""
    return Acting(actor=actor, checklists=rt.checklists, now=rt.clock.now() if now is None else now)


@dataclass
class Caller:
    """The person behind an update: `actor` is None for someone not enrolled.

    With `handler(identified_in_service=True)` the caller is not identified yet when the
    body starts (`identified` False, `t` from Telegram's language): the body's service finds
    the person in its own transaction and the body calls `become(actor)`; anything else that
    needs the person first calls `await identify()`.
    """

    actor: Actor | None
    t: Translator
    rt: Runtime
    telegram_id: int
    display_name: str
    username: str | None
    language_code: str | None
    identified: bool = True

    def become(self, actor: Actor | None) -> None:
        """Who the caller is, as a service found them; their own language from now on."""
        self.actor = actor
        self.t = self.rt.i18n.translator(_locale(self.rt, actor, self.language_code))
        self.identified = True

    async def identify(self) -> None:
        """Find who the caller is, in a read of its own, unless that is known already."""
        if not self.identified:
            self.become(await self.rt.db.run_read(find_actor, self.telegram_id))

    @property
    def timezone(self) -> str:
        """The zone dates are shown in: the person's or their country's, else the setting for
        coordinators without a country."""
        zone = self.actor.timezone if self.actor else None
        return zone or self.rt.settings.coordinator_timezone

    @property
    def now(self) -> datetime:
        return self.rt.clock.now()

    def enrolled(self) -> Actor:
        if self.actor is None:
            raise NotEnrolled()
        return self.actor

    def acting(self, now: datetime | None = None) -> Acting:
        """The enrolled caller, the checklists and `now` (else the clock's), for a service:
        `rt.db.run(service, **caller.acting(), other=value)`."""
        return acting(self.rt, self.enrolled(), now)


Body = Callable[[Update, ContextTypes.DEFAULT_TYPE, Caller], Awaitable[None]]
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


async def identify(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, now: bool = True
) -> Caller | None:
    """The caller behind an update, None for an update without a user. With `now=False` the
    person is not looked up yet (see `Caller`)."""
    user = update.effective_user
    if user is None:
        return None
    rt = runtime(context)
    actor = await rt.db.run_read(find_actor, user.id) if now else None
    return Caller(
        actor=actor,
        t=rt.i18n.translator(_locale(rt, actor, user.language_code)),
        rt=rt,
        telegram_id=user.id,
        display_name=user.full_name,
        username=user.username,
        language_code=user.language_code,
        identified=now,
    )


def _locale(rt: Runtime, actor: Actor | None, language_code: str | None) -> str | None:
    """The person's chosen language, else the one of Telegram's we have closest."""
    return actor.locale if actor and actor.locale else rt.i18n.negotiate(language_code)


def take_instrument_word(
    checklists: ChecklistRegistry, args: list[str], *, first_only: bool = False
) -> tuple[Checklist | None, list[str]]:
    """The instrument a command's first (or last) word names, and the other words."""
    positions = [0] if first_only else list(dict.fromkeys([0, len(args) - 1]))
    for at in positions:
        try:
            found = checklists.by_short_name(args[at].lower())
        except KeyError:
            continue
        return found, args[:at] + args[at + 1 :]
    return None, args


def scope_by_word(
    caller: Caller, context: ContextTypes.DEFAULT_TYPE, *, first_only: bool = False
) -> None:
    """Act in the instrument the command's arguments name, if any (see the module's text)."""
    if caller.actor is None or not context.args:
        return
    found, rest = take_instrument_word(caller.rt.checklists, context.args, first_only=first_only)
    if found is None:
        return
    context.args = rest
    caller.actor = caller.actor.within(found.id)
    caller.actor.require_role()


def handler(
    *, enrolled: bool = True, instrument_word: str = "ends", identified_in_service: bool = False
) -> Callable[[Body], Callback]:
    """Wrap a handler body; with `enrolled=True` strangers get the how-to-get-access text.

    `instrument_word`: where a command may name its instrument, "ends" (its first or last
    word), "first" (a command whose other words are free text) or "none".

    `identified_in_service`: for the buttons pressed on every item. The body's service finds
    the person in its own transaction (`actors.as_person`, which refuses strangers and
    records the activity) instead of a read before it; see `Caller`. Only for buttons: a
    command may name its instrument, which needs the person first.
    """

    def decorate(body: Body) -> Callback:
        name = f"{body.__module__.rsplit('.', 1)[-1]}.{body.__name__}"  # for error reports

        @functools.wraps(body)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            handling = metrics.current()
            if handling is not None:
                handling.handler = name
            caller = await identify(update, context, now=not identified_in_service)
            if caller is None:
                return  # an update without a user (channel posts and the like): not for us
            chat = update.effective_chat
            with replying_to(chat.id if chat else None):
                try:
                    if caller.identified:
                        if enrolled and caller.actor is None:
                            raise NotEnrolled()
                        if instrument_word != "none" and update.message is not None:
                            scope_by_word(caller, context, first_only=instrument_word == "first")
                        await note_activity(caller)
                    with handled_once(update, caller.rt):  # a repeated update: no effect
                        await body(update, context, caller)
                except ServiceError as error:
                    metrics.mark(metrics.Outcome.REFUSED)
                    await caller.identify()  # refused in their service: in their language
                    await explain(update, caller.t, error)

        return wrapper

    return decorate


async def note_activity(caller: Caller) -> None:
    """Keep "last active" true for every command and button, not only for answers.

    The actor read by `identify` carries the last note, so the write happens at most once a
    minute per person; most taps cost nothing extra.
    """
    actor = caller.actor
    if actor is None:
        return
    now = caller.rt.clock.now()
    if not noted_lately(actor, now):
        await caller.rt.db.run(seen, person_id=actor.person_id, now=now)


async def explain(update: Update, t: Translator, error: ServiceError) -> None:
    text = error_text(t, error)
    if update.callback_query is not None:
        await answer_query(update.callback_query, text, alert=True)
        if len(text) <= CALLBACK_ANSWER_MAX:
            return
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text)


async def answer_query(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press; a late or repeated answer is harmless, never an error. In
    webhook mode the answer goes back with the webhook's response (`webhook_reply`)."""
    if text is not None and len(text) > CALLBACK_ANSWER_MAX:
        text = text[: CALLBACK_ANSWER_MAX - 1] + "…"
    if offer_answer(query.id, text, show_alert=alert):
        return
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as error:
        log.debug("callback query not answered: %s", error)


async def send(update: Update, rendered: Rendered) -> Message:
    """Send a rendered view to the update's chat, split over several messages if long."""
    chat = update.effective_chat
    assert chat is not None
    parts = split_text(rendered.text)
    for part in parts[:-1]:
        await chat.send_message(part)
    return await chat.send_message(parts[-1], reply_markup=rendered.keyboard)


async def edit(query: CallbackQuery, rendered: Rendered) -> Message | None:
    """Show a view in the pressed message; None when that message is gone (send anew)."""
    try:
        result = await query.edit_message_text(rendered.text, reply_markup=rendered.keyboard)
    except BadRequest as error:
        message = str(error).lower()
        if "not modified" in message:
            return query.message if isinstance(query.message, Message) else None
        if "not found" in message or "can't be edited" in message:
            return None
        raise
    return result if isinstance(result, Message) else None


async def edit_once(query: CallbackQuery, rendered: Rendered) -> bool | None:
    """Show a view in the pressed message: True when it changed, False when it showed that
    already (Telegram refuses the same edit twice, even for two taps handled at once, so only
    one of them sees True), None when the message is gone."""
    try:
        await query.edit_message_text(rendered.text, reply_markup=rendered.keyboard)
    except BadRequest as error:
        message = str(error).lower()
        if "not modified" in message:
            return False
        if "not found" in message or "can't be edited" in message:
            return None
        raise
    return True


async def private_chats_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run before every handler: the bot works in private chats only.

    In a group, supergroup or channel nothing a handler would post (a country's status, the
    people list, an invite code) may appear, so every update from there stops here: the bot
    says once, briefly, where it works, and leaves the chat. Being removed (a `my_chat_member`
    update saying the bot left or was kicked) needs no answer.
    """
    chat = update.effective_chat
    if chat is None or chat.type == Chat.PRIVATE:
        return
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status in (
        ChatMember.LEFT,
        ChatMember.BANNED,
    ):
        raise ApplicationHandlerStop
    metrics.mark(metrics.Outcome.REFUSED)
    rt = runtime(context)
    caller = await identify(update, context)
    t = caller.t if caller else rt.i18n.translator(None)
    text = private_only_text(t, rt.bot_username or context.bot.username)
    with replying_to(chat.id):
        if update.callback_query is not None:
            await answer_query(update.callback_query, text, alert=True)
        else:
            try:
                await context.bot.send_message(chat.id, text)
            except TelegramError as error:  # a channel the bot may not post in, for one
                log.info("could not write to chat %s before leaving: %s", chat.id, error)
        try:
            await context.bot.leave_chat(chat.id)
        except TelegramError as error:  # already gone
            log.info("could not leave chat %s: %s", chat.id, error)
    raise ApplicationHandlerStop
