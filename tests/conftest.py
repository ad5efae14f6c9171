"""Fixtures: the database (SQLite and PostgreSQL), the fake Bot API, and the running bot.

Every test that asks for `database` runs twice: on a fresh SQLite file and in a fresh schema of
the PostgreSQL at NORMSBOT_TEST_POSTGRES_URL (default: the local server's `test` database).
Without CI, an unreachable PostgreSQL skips those runs; with CI=true it fails them.

The migrations run once per session and backend, not once per test: each test's SQLite file is
a copy of a migrated one, and each PostgreSQL schema gets the statements the migrations sent to
an empty one, replayed (`MigrationRecording`). tests/test_migrations_agree.py checks that such a
copy holds what a real migration (`make_freshly_migrated_database`) does, and that the models
agree with it; tests of upgrade paths run the real migrations from there.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import Database, MigrationRecording, scratch_postgres_schema
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


def require_postgres() -> None:
    """Skip the test if PostgreSQL cannot be reached; fail it instead under CI."""
    problem = _postgres_unavailable()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to `head`, once per session: `database` hands out copies."""
    path = tmp_path_factory.mktemp("template") / "normsbot.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_recording() -> MigrationRecording:
    """What migrating an empty PostgreSQL schema sent, once per session, to replay per test."""
    require_postgres()
    return MigrationRecording.record(POSTGRES_URL)


def make_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A migrated database of its own for one test: a copy of the session's template."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "normsbot.db"
        # The backup API copies the pages whatever the journal holds; the template is closed.
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as copy:
            source.backup(copy)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()
        return
    require_postgres()
    recording: MigrationRecording = request.getfixturevalue("postgres_recording")
    with scratch_postgres_schema(POSTGRES_URL, prefix="t", recording=recording) as db:
        yield db


def make_freshly_migrated_database(
    backend: str, tmp_path: Path, revision: str = "head"
) -> Iterator[Database]:
    """A database migrated by Alembic for this test alone, as `normsbot migrate` does it; to
    an older `revision`, a database as an earlier version made it (to test an upgrade)."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'migrated.db'}")
        db.migrate(revision)
        yield db
        db.dispose()
        return
    require_postgres()
    with scratch_postgres_schema(POSTGRES_URL, prefix="m", revision=revision) as db:
        yield db


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from make_database(request.param, tmp_path, request)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, bot_username=BOT_USERNAME) as api:
        yield api


# How long a simulated person waits for the bot's reply before the test fails. Every wait ends
# as soon as the reply comes, so this bounds only a failing test: on a machine running the
# suite's workers beside other jobs, a reply has taken longer than fakegram's default 5 s.
USER_TIMEOUT = 30.0


@pytest.fixture
async def tg(fake_api: FakeBotAPI) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(fake_api.base_url, user_timeout=USER_TIMEOUT) as client:
        yield client


@pytest.fixture
async def harness(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    async with BotHarness(fake_api, tg, database) as bot:
        yield bot
