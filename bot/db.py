"""Engine, sessions and migrations for SQLite (the embedded default) and PostgreSQL.

Services are plain synchronous functions that take a `Session`; the Telegram layer runs them
through `Database.run`, which moves them off the event loop into a worker thread and wraps
them in one transaction, so a service call is all-or-nothing.
"""

from __future__ import annotations

import asyncio
import functools
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

P = ParamSpec("P")
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL's advisory lock key of migrating ("nomg"; start-up preparation's is "norm").
MIGRATE_LOCK = 0x6E6F6D67


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message says what to fix."""


def _make_engine(url: str, *, immediate: bool, schema: str | None) -> Engine:
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # We issue BEGIN ourselves (below); pysqlite's own transaction handling would
            # otherwise start a deferred transaction that fails to upgrade to a write lock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before the bot says "Recorded". NORMAL (enough against
            # a crash of the process) can lose the last commits when the machine loses power.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection: sa.Connection) -> None:
            # Writers take the lock up front (BEGIN IMMEDIATE) and wait for it with the busy
            # timeout; readers use a deferred BEGIN and never block writers under WAL.
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    return sa.create_engine(
        url, connect_args=connect_args, pool_pre_ping=True, pool_size=10, max_overflow=20
    )


class FirstWrite:
    """A step run first in the next writing transaction (`Database.run`) of one asyncio task.

    The Telegram layer records an update's id this way, in the transaction of its effect (see
    `bot/telegram/once.py`). Only the task that set it is concerned: a job started meanwhile
    inherits the context variable, not the step. Once a transaction with the step commits,
    later ones run without it.
    """

    def __init__(self, step: Callable[[Session], None]) -> None:
        self.step = step
        self.task = asyncio.current_task()
        self.done = False

    def applies(self) -> bool:
        return not self.done and self.task is asyncio.current_task()


_first_write: ContextVar[FirstWrite | None] = ContextVar("normsbot_first_write", default=None)


@contextmanager
def before_first_write(step: Callable[[Session], None]) -> Iterator[FirstWrite]:
    """Within the block, run `step` at the start of this task's next writing transaction."""
    hook = FirstWrite(step)
    token = _first_write.set(hook)
    try:
        yield hook
    finally:
        hook.done = True
        _first_write.reset(token)


def insert_new(
    session: Session, model: type[SQLModel], values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """`INSERT … ON CONFLICT (unique) DO NOTHING`: True when the row was new.

    RETURNING tells an insert from a conflict on both databases (rowcount does not, once the
    ORM is involved); on PostgreSQL a concurrent insert of the same key waits for the other
    transaction and then conflicts. The statement is built once per table, database and key
    (every update is recorded this way); the columns come from `values` when it runs.
    """
    connection = session.connection()  # a Core statement: the ORM's execute adds only time
    statement = _insert_new_statement(model, connection.dialect.name, tuple(unique))
    return connection.execute(statement, dict(values)).first() is not None


@functools.cache
def _insert_new_statement(
    model: type[SQLModel], dialect: str, unique: tuple[str, ...]
) -> sa.Executable:
    table: Any = model.__table__  # type: ignore[attr-defined]
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise RuntimeError(f"unsupported database {dialect}")
    statement = statement.on_conflict_do_nothing(index_elements=list(unique))
    return statement.returning(*(table.c[name] for name in unique))


class Database:
    """The bot's database: a writing engine, a reading engine and a transaction runner."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, immediate=True, schema=schema)
        self.read_engine = (
            _make_engine(url, immediate=False, schema=schema) if self.is_sqlite else self.engine
        )

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        engine = self.engine if write else self.read_engine
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session

    def call(
        self,
        fn: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self.session() as session:
            return fn(session, *args, **kwargs)

    def read(
        self,
        fn: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self.session(write=False) as session:
            return fn(session, *args, **kwargs)

    async def run(
        self,
        fn: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a writing service in a worker thread, in one transaction (which starts with the
        task's `before_first_write` step, if one is pending)."""
        hook = _first_write.get()
        if hook is None or not hook.applies():
            return await asyncio.to_thread(functools.partial(self.call, fn, *args, **kwargs))

        def first(session: Session) -> T:
            hook.step(session)
            return fn(session, *args, **kwargs)

        result = await asyncio.to_thread(self.call, first)
        hook.done = True  # committed: the step is not run again for this task
        return result

    async def run_read(
        self,
        fn: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a reading service in a worker thread; on SQLite it never blocks writers."""
        return await asyncio.to_thread(functools.partial(self.read, fn, *args, **kwargs))

    def check(self) -> None:
        """Connect once; raise `DatabaseUnavailable` with a readable reason if that fails."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except Exception as exc:  # the driver's own errors differ per database
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise DatabaseUnavailable(
                f"cannot open the database at {self.safe_url()}: {reason}"
            ) from exc

    def revisions(self) -> frozenset[str]:
        """The migrations the database is at (Alembic's `alembic_version`): compare with
        `migration_heads()`. A reader's connection: on SQLite it takes no write lock."""
        from alembic.runtime.migration import MigrationContext

        with self.read_engine.connect() as connection:
            return frozenset(MigrationContext.configure(connection).get_current_heads())

    def safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade every table to the newest migration, or to `revision` (Alembic).

        Every `normsbot run` migrates at start, so several processes starting together on
        PostgreSQL would each run the same migration and all but one fail on a table that
        already exists. The first takes an advisory lock for its transaction; the others wait
        for it, then find the tables up to date. (SQLite's writers already take turns.)
        """
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK}
                )
            _upgrade(connection, revision)
            connection.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


@functools.cache
def migration_heads() -> frozenset[str]:
    """The newest migrations this code ships (read from bot/migrations/versions once)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


@functools.cache
def known_migrations() -> frozenset[str]:
    """Every migration this code ships, old ones included (a database at any of them can be
    upgraded to the heads)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(revision.revision for revision in script.walk_revisions())


def _upgrade(connection: sa.Connection, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


# What a migration sends that changes nothing: Alembic's reflection, a data migration's reads.
_READ_ONLY = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)


class MigrationRecording:
    """What migrating an empty PostgreSQL schema to `head` sent, to replay into another one.

    Alembic spends most of a fresh schema's migration in Python (it loads every revision and
    builds each statement); replaying the statements it sent leaves only PostgreSQL's own work,
    a fraction of the time. They are the migrations' own, unqualified by schema, so a replayed
    schema holds exactly what `migrate` makes of an empty one: `alembic_version` and the rows
    migrations insert included. Reads are left out: on empty tables they return nothing, and
    what the migration wrote after them is recorded with its values.
    """

    def __init__(self, statements: Sequence[tuple[str, Any, bool]]) -> None:
        self.statements = tuple(statements)

    @classmethod
    def record(cls, url: str) -> MigrationRecording:
        """Migrate a scratch schema of the database at `url` to `head`, noting what is sent."""
        statements: list[tuple[str, Any, bool]] = []

        def keep(
            _conn: sa.Connection,
            _cursor: Any,
            statement: str,
            parameters: Any,
            _context: Any,
            executemany: bool,
        ) -> None:
            if not _READ_ONLY.match(statement):
                statements.append((statement, parameters, executemany))

        with _scratch_schema(url, "record") as db, db.engine.connect() as connection:
            sa.event.listen(connection, "before_cursor_execute", keep)
            _upgrade(connection)
            connection.commit()
            schema = str(db.schema)
            if any(
                schema in f"{statement} {parameters}" for statement, parameters, _ in statements
            ):
                # A statement naming its schema would write into the recorded one, not the copy.
                raise RuntimeError(f"a migration names the schema {schema}: cannot replay it")
        return cls(statements)

    def replay(self, db: Database) -> None:
        """Send the recorded statements to `db`'s schema, as the migration did: one transaction."""
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters, executemany in self.statements:
                if executemany:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
            cursor.close()
            connection.commit()
        finally:
            connection.close()


@contextmanager
def _scratch_schema(url: str, prefix: str) -> Iterator[Database]:
    """An empty PostgreSQL schema of its own for a `Database`, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database(url, schema=schema)
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def scratch_postgres_schema(
    url: str,
    *,
    prefix: str = "scratch",
    revision: str = "head",
    recording: MigrationRecording | None = None,
) -> Iterator[Database]:
    """A database migrated to `revision` in a fresh PostgreSQL schema, dropped afterwards.

    For tests and benchmarks that need an isolated PostgreSQL database without creating one.
    Given a `MigrationRecording` (of `head`), it replays that instead of running the
    migrations: the same schema, much sooner (the tests make hundreds of them).
    """
    with _scratch_schema(url, prefix) as db:
        if recording is None:
            db.migrate(revision)
        else:
            recording.replay(db)
        yield db
