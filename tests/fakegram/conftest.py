"""Fixtures for the fake Bot API's own tests: a server, the control client, a PTB Bot and App.

Names are prefixed (``fake_server``, ``fake_client``...) so they never shadow the project-wide
fixtures of ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from telegram import Bot
from telegram.ext import Application, BaseHandler
from telegram.request import HTTPXRequest

from fakegram import FakeBotAPI, FakeTelegram

TOKEN = "424242:fake-api-selftest-token"
BOT_USERNAME = "normsbot_selftest_bot"

AppFactory = Callable[..., AbstractAsyncContextManager[Application]]  # type: ignore[type-arg]


def make_bot(api: FakeBotAPI, *, pool: int = 8) -> Bot:
    """A real PTB Bot pointed at the fake server."""
    return Bot(
        TOKEN,
        base_url=api.bot_base_url,
        base_file_url=api.bot_base_file_url,
        request=HTTPXRequest(connection_pool_size=pool, pool_timeout=30.0),
    )


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, bot_username=BOT_USERNAME) as api:
        yield api


@pytest.fixture
async def fake_client(fake_server: FakeBotAPI) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(fake_server.base_url) as client:
        yield client


@pytest.fixture
async def ptb_bot(fake_server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with make_bot(fake_server) as bot:
        yield bot


@pytest.fixture
def run_app(fake_server: FakeBotAPI) -> AppFactory:
    """``async with run_app(handler, ...) as app:`` polls the fake server with those handlers."""

    @asynccontextmanager
    async def running(
        *handlers: BaseHandler,  # type: ignore[type-arg]
    ) -> AsyncIterator[Application]:  # type: ignore[type-arg]
        app = (
            Application.builder()
            .token(TOKEN)
            .base_url(fake_server.bot_base_url)
            .base_file_url(fake_server.bot_base_file_url)
            .build()
        )
        for handler in handlers:
            app.add_handler(handler)
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=5)
            await app.start()
            try:
                yield app
            finally:
                await app.updater.stop()
                await app.stop()

    return running
