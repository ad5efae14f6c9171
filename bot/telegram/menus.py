"""Telegram's command menu: registered per language at start, and per chat for a role."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.i18n import LOCALES, I18n, Translator
from bot.services.actors import Actor
from bot.views.common import shorten
from bot.views.general import FOCAL_POINT_COMMANDS, command_descriptions, commands_of

log = logging.getLogger(__name__)


def commands_for(
    t: Translator, names: tuple[str, ...], *, own_country: bool = False
) -> list[BotCommand]:
    descriptions = command_descriptions(t, own_country=own_country)
    # Telegram allows 3-256 characters per description; ours are short, the cut is a guard.
    return [BotCommand(name, shorten(descriptions[name], 256)) for name in names]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """The default menu (focal points' commands) in every shipped language."""
    english = i18n.translator("en")
    await bot.set_my_commands(commands_for(english, FOCAL_POINT_COMMANDS, own_country=True))
    for code in i18n.available:
        language_code = LOCALES[code].command_code
        if language_code is None or code == "en":
            continue
        await bot.set_my_commands(
            commands_for(i18n.translator(code), FOCAL_POINT_COMMANDS, own_country=True),
            scope=BotCommandScopeDefault(),
            language_code=language_code,
        )


async def set_chat_commands(bot: Bot, t: Translator, actor: Actor) -> None:
    """The person's own menu in their chosen language: the commands /help lists to them."""
    try:
        await bot.set_my_commands(
            commands_for(t, commands_of(actor), own_country=not actor.is_coordinator),
            scope=BotCommandScopeChat(actor.telegram_id),
        )
    except TelegramError as error:  # a menu is a convenience: never fail the flow for it
        log.warning("could not set the command menu for a chat: %s", error)
