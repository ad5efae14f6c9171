"""The test harness: the real bot, a real database and the fake Bot API over loopback HTTP.

`BotHarness` starts the real `Application` exactly as `normsbot run` builds it, against the
fake server, and can stop and start it again on the same database (a restart). Users are
simulated through `fakegram`'s client; nothing in the bot is mocked.
"""

from __future__ import annotations

import re
import socket
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from bot.bootstrap import load_texts, prepare_runtime
from bot.checklist import ASEAN_NORMS_ID, ChecklistRegistry
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db import Database
from bot.i18n import I18n
from bot.models import Membership, Person, Role
from bot.services.actors import Actor, find_actor
from bot.telegram.app import build_application
from bot.telegram.jobs import SweepReport, run_sweep
from bot.telegram.runtime import App, Runtime
from bot.web.server import Serving, running
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg

TOKEN = "123456789:TEST-token-for-the-fake-bot-api-000000"
BOT_USERNAME = "normsbot_test_bot"
WEBHOOK_SECRET = "webhook-secret-of-the-test-bot_0123456789"
ADMIN_ID = 900001
START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # a Monday, 10:00 in Bangkok

# The checklists and catalogs of each (checklist folder, catalog folder, default language),
# loaded once per test process: parsing them (about 0.1 s) at each of the suite's thousand
# bot starts was a tenth of its time. The bot never changes them.
_TEXTS: dict[tuple[object, ...], tuple[ChecklistRegistry, I18n]] = {}


def _texts(settings: Settings) -> tuple[ChecklistRegistry, I18n]:
    key = (settings.checklist_dir, settings.locales_dir, settings.default_locale)
    if key not in _TEXTS:
        _TEXTS[key] = load_texts(settings)
    return _TEXTS[key]


INVITE_LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


def make_settings(api: FakeBotAPI, db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_base_url": api.base_url,
        "database_url": db.url,
        "admins": [ADMIN_ID],
        "poll_timeout": 1,
        "sweep_interval_seconds": 3600,  # tests run the sweeper themselves, with their clock
        "sweep_on_start": False,  # … also right after a start: `await harness.sweep()`
        # The people here tap at machine speed. The per-person pace, a defence against floods
        # (tests/test_fairness.py sets its own), would hold each of them to two updates a
        # second after the first ten: most of the suite's time, testing nothing.
        "user_burst": 1000,
        "user_updates_per_second": 1000.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def free_port() -> int:
    """A port nobody listens on now (the webhook's URL must name it before the bot listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class BotHarness:
    """One bot process at a time against the fake API; `restart()` replaces it.

    It runs the bot as `normsbot run` does (`bot.web.server.running`): long polling, or with
    `webhook=True` a webhook on loopback that the fake posts the updates to.
    """

    def __init__(
        self,
        api: FakeBotAPI,
        tg: FakeTelegram,
        db: Database,
        *,
        clock: FrozenClock | None = None,
        webhook: bool = False,
        **settings: Any,
    ) -> None:
        self.api, self.tg, self.db = api, tg, db
        self.clock = clock or FrozenClock(START)  # tests move it: `harness.clock.advance(...)`
        if webhook:
            api.webhook_http = True  # Telegram would want https://; this is loopback
            port = free_port()
            settings = {
                "webhook_url": f"http://127.0.0.1:{port}/telegram",
                "webhook_secret": WEBHOOK_SECRET,
                "listen": f"127.0.0.1:{port}",
                **settings,
            }
        self.settings = make_settings(api, db, **settings)
        self.rt: Runtime | None = None
        self.app: App | None = None
        self.serving: Serving | None = None
        self._stack: AsyncExitStack | None = None
        self._admin: FakeUser | None = None

    async def start(self) -> None:
        self.rt = prepare_runtime(
            self.settings, db=self.db, clock=self.clock, loaded=_texts(self.settings)
        )
        self.app = build_application(self.rt)
        self._stack = AsyncExitStack()
        self.serving = await self._stack.enter_async_context(running(self.app, self.rt))

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
        self.app = None
        self.serving = None

    @property
    def web_url(self) -> str:
        """The root of the bot's web server (webhook mode, or `health_listen` set)."""
        assert self.serving is not None and self.serving.web is not None, "no web server"
        return f"http://127.0.0.1:{self.serving.web.port}"

    async def __aenter__(self) -> BotHarness:
        """`async with BotHarness(...) as bot:` runs the bot for the block, then stops it."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def sweep(self) -> SweepReport:
        """Run the sweeper once, now, as its periodic job would: plan, then send what is due."""
        assert self.app is not None, "the bot is not running"
        return await run_sweep(self.app, wait=True)

    @property
    def runtime(self) -> Runtime:
        assert self.rt is not None
        return self.rt

    def role(
        self, telegram_id: int, checklist_id: str = ASEAN_NORMS_ID
    ) -> tuple[Role | None, bool]:
        """The person's role and national-lead flag in an instrument (their `Membership`)."""
        with self.db.session() as session:
            found = session.exec(
                select(Membership)
                .join(Person, col(Person.id) == col(Membership.person_id))
                .where(Person.telegram_id == telegram_id, Membership.checklist_id == checklist_id)
            ).first()
            return (found.role, found.is_national_lead) if found else (None, False)

    def actor(self, telegram_id: int) -> Actor:
        """The enrolled person as the bot finds them for each update (`common.identify`)."""
        actor = self.db.read(find_actor, telegram_id)
        assert actor is not None, f"{telegram_id} is not enrolled"
        return actor

    async def user(self, user_id: int, name: str = "Test", language_code: str = "en") -> FakeUser:
        return await self.tg.user(user_id, name, language_code=language_code)

    async def admin(self) -> FakeUser:
        """The first coordinator (listed in NORMSBOT_ADMINS), enrolled, in English."""
        if self._admin is None:
            admin = await self.user(ADMIN_ID, "Ada Admin")
            await admin.command("start")
            await admin.expect("Choose your language")
            await admin.press("English")
            await admin.expect("Commands")
            self._admin = admin
        return self._admin

    async def open_cycle(self, *words: str) -> None:
        """The admin opens a new reporting cycle: `/newcycle <words>`, then its Open button."""
        admin = await self.admin()
        await admin.command("newcycle", *words)
        await admin.expect("New reporting cycle")
        await admin.press("Open the cycle")
        # This reply, not the first change: a notice may reach the admin's chat meanwhile.
        await admin.expect("The new cycle is open.")

    async def invite_code(self, country: str, *extra: str) -> str:
        admin = await self.admin()
        await admin.command("invite", country, *extra)
        message = await admin.expect("Invite for")
        match = INVITE_LINK.search(message.text or "")
        assert match, message.text
        return match.group(1)

    async def enrol(
        self,
        user_id: int,
        country: str,
        *,
        name: str = "Focal Point",
        language: str = "English",
        language_code: str = "en",
        national_lead: bool = False,
    ) -> FakeUser:
        """A focal point through the real flow: invite, /start CODE, choose a language."""
        code = await self.invite_code(country, *(("lead",) if national_lead else ()))
        user = await self.user(user_id, name, language_code=language_code)
        await user.command("start", code)
        await user.expect(lambda m: m.has_button(language))
        await user.press(language)
        await user.expect(
            lambda m: any(
                b.callback_data and b.callback_data.startswith("a:s:") for b in m.buttons()
            )
        )
        return user

    async def enrol_coordinator(
        self, user_id: int, *, name: str = "Coordinator", country: str | None = None
    ) -> FakeUser:
        """A coordinator (not an admin) invited by the admin, in English."""
        code = await self.invite_code(*((country,) if country else ()), "coordinator")
        user = await self.user(user_id, name)
        await user.command("start", code)
        await user.expect(lambda m: m.has_button("English"))
        await user.press("English")
        await user.expect("Commands")
        return user


def item_id_of(message: Msg) -> str:
    """The item a prompt shows, read from its status buttons' callback data."""
    for data in message.callback_data():
        if data.startswith("a:s:"):
            return data.split(":")[3]
    raise AssertionError(f"not an item prompt: {message.text}")


def is_prompt(message: Msg) -> bool:
    return any(data.startswith("a:s:") for data in message.callback_data())
