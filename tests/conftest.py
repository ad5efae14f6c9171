"""Fixtures: the database (SQLite and PostgreSQL), the fake Bot API, and the running bot.

Every test that asks for `database` runs twice: on a fresh SQLite file and in a fresh schema of
the PostgreSQL at NORMSBOT_TEST_POSTGRES_URL (default: the local server's `test` database).
Without CI, an unreachable PostgreSQL skips those runs; with CI=true it fails them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import Database, scratch_postgres_schema
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import BOT_USERNAME, TOKEN, BotHarness

POSTGRES_URL = os.environ.get(
    "NORMSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = [
    b for b in os.environ.get("NORMSBOT_TEST_DATABASES", "sqlite,postgresql").split(",") if b
]

_postgres_problem: str | None = None
_postgres_checked = False


def _postgres_unavailable() -> str | None:
    global _postgres_checked, _postgres_problem
    if not _postgres_checked:
        _postgres_checked = True
        try:
            engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as error:
            _postgres_problem = f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}"
    return _postgres_problem


def make_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'normsbot.db'}")
        db.migrate()
        yield db
        db.dispose()
        return
    problem = _postgres_unavailable()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)
    with scratch_postgres_schema(POSTGRES_URL, prefix="t") as db:
        yield db


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from make_database(request.param, tmp_path)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, bot_username=BOT_USERNAME) as api:
        yield api


@pytest.fixture
async def tg(fake_api: FakeBotAPI) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(fake_api.base_url) as client:
        yield client


@pytest.fixture
async def harness(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    async with BotHarness(fake_api, tg, database) as bot:
        yield bot
