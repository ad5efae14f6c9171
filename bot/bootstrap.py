"""Start-up shared by `normsbot run`, `normsbot migrate` and `normsbot demo`: the settings, and
a runtime on a migrated database with the checklists and catalogs loaded.

It lives apart from the command line (bot/cli.py) so that the demo (bot/demo.py), which the
command line starts, uses it without importing the command line back.
"""

from __future__ import annotations

from pydantic import ValidationError

from bot import logs
from bot.checklist import ChecklistError, ChecklistRegistry, bundled_checklist_dir
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database, DatabaseUnavailable
from bot.i18n import I18n
from bot.services import setup
from bot.telegram.runtime import Runtime


class SetupError(Exception):
    """A problem of the set-up the person running the bot can fix; the message says how."""


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable a validation error is about, as the person wrote it:
    NORMSBOT_LOG_LEVEL for the field `log_level`; aliased ones (DATABASE_URL) as they are."""
    name = str(loc[0]) if loc else "?"
    field = Settings.model_fields.get(name)
    if field is not None and field.validation_alias is None:
        return f"NORMSBOT_{name.upper()}"
    return name.upper()


def _reason(message: str) -> str:
    """Pydantic's message without its "Value error, " prefix: our validators' own words."""
    return message.removeprefix("Value error, ")


def load_settings() -> Settings:
    """The settings; from here on the log has their level and masks their secrets."""
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{_variable(problem['loc'])}: {_reason(problem['msg'])}" for problem in error.errors()
        )
        raise SetupError(f"bad setting: {problems}") from None
    logs.apply_settings(settings)
    return settings


def load_texts(settings: Settings) -> tuple[ChecklistRegistry, I18n]:
    """The checklists and the catalogs of the settings' folders."""
    try:
        checklists = ChecklistRegistry.from_dir(settings.checklist_dir or bundled_checklist_dir())
    except ChecklistError as error:
        raise SetupError(f"the checklist files have problems:\n{error}") from None
    return checklists, I18n(settings.locales_dir, default=settings.default_locale)


def prepare_runtime(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
    loaded: tuple[ChecklistRegistry, I18n] | None = None,
) -> Runtime:
    """Open and upgrade the database, load checklists and catalogs, seed the first cycle.

    `loaded`: checklists and catalogs already loaded from the settings' folders (`load_texts`),
    for a process that starts many runtimes (the tests); read-only, so they can be shared.
    """
    db = db or Database(settings.database_url)
    try:
        db.check()
        if migrate:
            db.migrate()
    except DatabaseUnavailable as error:
        raise SetupError(str(error)) from None
    checklists, i18n = loaded or load_texts(settings)
    clock = clock or SystemClock()
    db.call(
        setup.prepare,
        checklist=checklists.default(),
        first_cycle_title=settings.first_cycle_title,
        deadline_days=settings.first_cycle_deadline_days,
        now=clock.now(),
        timezone=settings.coordinator_timezone,
        admins=settings.admins,
    )
    return Runtime(settings=settings, db=db, i18n=i18n, checklists=checklists, clock=clock)
