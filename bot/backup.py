"""`normsbot backup FILE` and `normsbot restore FILE`: a SQLite database copied while the bot runs,
and put back, checked, into an empty one.

The copy goes through SQLite's online backup API (`sqlite3.Connection.backup`), in one step:
one read transaction, so the copy is the database as of one commit, and under WAL the bot
keeps writing meanwhile. Copying the file with `cp` is not a backup: it can catch the main
file and its `-wal` at different moments.

Restoring goes the other way, also through the backup API, which writes into the target under
SQLite's own locks (no file is renamed over a database someone may have open, no stale `-wal`
is left beside a new main file). The file is first copied aside and checked: it must be a
SQLite database holding normsbot's tables at a migration this version knows; the copy is then
migrated to the newest migration, so an older backup comes back ready for this version.

PostgreSQL has its own tools for this, `pg_dump` and `pg_restore` (see docs/deployment.md);
these commands say so rather than half-doing it. Everything that goes wrong is a
`BackupError` whose message is one line saying what to do.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bot.db import Database, known_migrations

POSTGRES_HINT = (
    "on PostgreSQL, back up with pg_dump and restore with pg_restore "
    '(docs/deployment.md, "Backups and restore")'
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in one line."""


@dataclass(frozen=True)
class Contents:
    """What a normsbot database holds, in the few figures a person checks after a copy."""

    migration: str
    people: int
    answers: int

    def describe(self) -> str:
        return f"migration {self.migration}, {self.people} people, {self.answers} answers"


def sqlite_path(url: str, doing: str) -> Path:
    """The file of a SQLite database URL; other databases get the pointer to their tools."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(f"{doing} works on SQLite databases only; {POSTGRES_HINT}")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError(f"{doing} needs a database file, and DATABASE_URL names none")
    return Path(parsed.database)


def backup(url: str, destination: Path, *, force: bool = False) -> Contents:
    """Copy the live database at `url` into `destination`, consistent as of one commit."""
    source = sqlite_path(url, "backup")
    if not source.is_file():
        raise BackupError(f"there is no database at {source} (check DATABASE_URL)")
    if destination.exists() and not force:
        raise BackupError(f"{destination} exists already; choose a new name, or add --force")
    if destination.exists() and destination.resolve() == source.resolve():
        raise BackupError(f"{destination} is the database itself; choose another file")
    with _temporary_beside(destination) as scratch:
        try:
            with _connect(source, read_only=True) as live, _connect(scratch) as copy:
                live.backup(copy)  # all pages in one step: one read transaction
                # One self-contained file: the copy's pages came with the WAL flag.
                copy.execute("PRAGMA journal_mode=DELETE")
                contents = _contents(copy, str(destination))
            _fsync(scratch)
            os.replace(scratch, destination)
        except sqlite3.Error as error:
            raise BackupError(f"cannot back up {source}: {_reason(error)}") from None
        except OSError as error:
            raise BackupError(f"cannot write {destination}: {error.strerror or error}") from None
    return contents


def restore(url: str, backup_file: Path, *, force: bool = False) -> tuple[Contents, str]:
    """Put `backup_file` into the database at `url`, migrated to the newest migration.

    Refuses a target holding people or answers unless `force`. Returns what the database
    holds now, and the migration the backup was at.
    """
    target = sqlite_path(url, "restore")
    if not backup_file.is_file():
        raise BackupError(f"there is no file {backup_file}")
    if target.exists() and target.resolve() == backup_file.resolve():
        raise BackupError(f"{backup_file} is the database itself")
    _check_target(target, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(target) as scratch:
        try:
            with _connect(backup_file, read_only=True) as stored, _connect(scratch) as copy:
                stored.backup(copy)
                was = _contents(copy, str(backup_file)).migration
        except sqlite3.Error as error:
            raise BackupError(
                f"{backup_file} is not a usable SQLite database: {_reason(error)}"
            ) from None
        if was not in known_migrations():
            raise BackupError(
                f"{backup_file} is at migration {was}, which this version of normsbot does "
                "not know (made by a newer version?): restore it with that version"
            )
        database = Database(f"sqlite:///{scratch}")
        try:
            database.migrate()
        except Exception as error:  # Alembic and the driver raise many kinds
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            raise BackupError(f"cannot migrate {backup_file} from {was}: {reason}") from None
        finally:
            database.dispose()
        try:
            with _connect(scratch) as ready, _connect(target) as live:
                ready.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                ready.backup(live)
                contents = _contents(live, str(target))
        except sqlite3.Error as error:
            raise BackupError(f"cannot write the database {target}: {_reason(error)}") from None
    return contents, was


def _check_target(target: Path, *, force: bool) -> None:
    if not target.exists() or target.stat().st_size == 0:
        return
    try:
        with _connect(target, read_only=True) as live:
            tables = {row[0] for row in live.execute("SELECT name FROM sqlite_master")}
            used = bool(tables) and (
                not {"person", "answer"} <= tables
                or live.execute(
                    "SELECT EXISTS (SELECT 1 FROM person) OR EXISTS (SELECT 1 FROM answer)"
                ).fetchone()[0]
            )
    except sqlite3.Error as error:
        raise BackupError(
            f"{target} is not a SQLite database ({_reason(error)}); not writing over it"
        ) from None
    if used and not force:
        raise BackupError(
            f"the database {target} is not empty; restoring would replace it: add --force "
            "(stop the bot first)"
        )


def _contents(connection: sqlite3.Connection, name: str) -> Contents:
    """The migration and figures of a normsbot database; a clear refusal for anything else."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if "alembic_version" not in tables or "person" not in tables:
        raise BackupError(f"{name} is a SQLite database, but not a normsbot one")
    versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    if len(versions) != 1:
        raise BackupError(f"{name} records {len(versions)} migrations instead of one")
    people = connection.execute("SELECT count(*) FROM person").fetchone()[0]
    answers = (
        connection.execute("SELECT count(*) FROM answer").fetchone()[0] if "answer" in tables else 0
    )
    return Contents(migration=versions[0], people=people, answers=answers)


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (autocommit), closed at the end of the block."""
    if read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
    else:
        connection = sqlite3.connect(path, timeout=15)
    connection.isolation_level = None
    try:
        connection.execute("PRAGMA busy_timeout=15000")
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A scratch file name in `path`'s folder (same disk: renaming it is atomic); removed, with
    its `-wal` and `-shm`, at the end."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise BackupError(f"cannot write in {folder}: {error.strerror or error}") from None
    os.close(handle)
    scratch = Path(name)
    try:
        yield scratch
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def _reason(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
