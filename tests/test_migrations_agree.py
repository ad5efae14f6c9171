"""The models, the migrations and the tests' databases describe one and the same schema.

A model changed without a migration (or a migration that builds something else) works in no
test that creates its tables from the models, and fails on the first real database: Alembic's
autogenerate comparison of a freshly migrated database with the models must find nothing.
`python -m bot.migrations.autogen "what changed"` writes the missing migration.

The other tests get a copy of a database migrated once per session (tests/conftest.py); the
second test checks that such a copy holds exactly what a real migration makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.db import Database
from tests.conftest import BACKENDS, make_database, make_freshly_migrated_database


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def migrated(backend: str, tmp_path: Path) -> Iterator[Database]:
    yield from make_freshly_migrated_database(backend, tmp_path)


@pytest.fixture
def copied(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    yield from make_database(backend, tmp_path, request)


def test_a_freshly_migrated_database_is_what_the_models_describe(migrated: Database) -> None:
    with migrated.engine.connect() as connection:
        # Server defaults too, which autogenerate (bot/migrations/env.py) leaves out: a
        # difference there is a migration to write by hand.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "the models and the migrations differ; see the module docstring"


def test_each_tests_database_holds_what_the_migrations_make(
    migrated: Database, copied: Database
) -> None:
    expected = _schema_and_rows(migrated)
    assert "alembic_version" in expected["tables"] and expected["rows"]["audit_head"]
    assert _schema_and_rows(copied) == expected


def _schema_and_rows(db: Database) -> dict[str, Any]:
    """Every table's columns, keys, indexes and constraints, and the rows migrations left."""
    tables: dict[str, Any] = {}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        for name in sorted(inspector.get_table_names()):
            tables[name] = {
                "columns": [
                    {**column, "type": repr(column["type"])}
                    for column in inspector.get_columns(name)
                ],
                "primary key": inspector.get_pk_constraint(name),
                "foreign keys": _sorted(inspector.get_foreign_keys(name)),
                "indexes": _sorted(inspector.get_indexes(name)),
                "unique": _sorted(inspector.get_unique_constraints(name)),
                "checks": _sorted(inspector.get_check_constraints(name)),
            }
            table = sa.table(name, *(sa.column(c["name"]) for c in tables[name]["columns"]))
            rows[name] = sorted(tuple(row) for row in connection.execute(sa.select(table)))
        sequences = [] if db.is_sqlite else sorted(inspector.get_sequence_names())
    return {"tables": tables, "rows": rows, "sequences": sequences}


def _sorted(items: list[Any]) -> list[Any]:
    return sorted(items, key=repr)
