"""What every handler needs, stored once in `application.bot_data`: settings, database,
catalogs, checklists and the clock. Handlers reach it with `runtime(context)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.checklist import ChecklistRegistry
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.i18n import I18n
from bot.telegram.contact import TelegramContact

KEY = "normsbot"

# The application type with its generic parameters spelled out once.
App = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    i18n: I18n
    checklists: ChecklistRegistry
    clock: Clock
    instance: str = "bot"  # names this process in claimed deliveries
    bot_username: str = ""
    contact: TelegramContact = field(default_factory=TelegramContact)  # Telegram's last answer


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    value = context.bot_data[KEY]
    assert isinstance(value, Runtime)
    return value


def attach(application: App, rt: Runtime) -> None:
    application.bot_data[KEY] = rt
