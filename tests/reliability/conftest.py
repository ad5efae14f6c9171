"""Shared by the reliability tests: a SQLite database where the network, not the database,
is what a test is about."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import Database
from tests.conftest import make_database


@pytest.fixture
def sqlite_db(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    yield from make_database("sqlite", tmp_path, request)
