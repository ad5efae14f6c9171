"""Shared by the reliability tests: a SQLite database where the network, not the database,
is what a test is about; a database URL a bot process of its own can open."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import Database
from fakegram import FakeBotAPI
from tests.conftest import BACKENDS, POSTGRES_URL, make_database, require_postgres
from tests.harness import TOKEN

# Faults and kills are seeded: the same on every run (`RELIABILITY_SEED` picks others).
SEED = int(os.environ.get("RELIABILITY_SEED", "12"))


@pytest.fixture
def sqlite_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    yield from make_database("sqlite", tmp_path, request)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database the bot process and this test both open: a SQLite file, or a new
    PostgreSQL database (a process cannot be handed a schema of the test's own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'normsbot.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped at the end. Without a server the
    test is skipped (failed in CI)."""
    require_postgres()
    name = f"normsbot_crash_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, fault_seed=SEED) as api:
        yield api
