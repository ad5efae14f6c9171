"""Backups of a running bot, and restores that refuse what they should.

`normsbot backup FILE` runs while `normsbot run` (a real process against the fake Bot API)
serves focal points who keep answering; the backup is restored into a fresh path with
`normsbot restore FILE`, and every answer a focal point saw confirmed before the backup began
is in it, with the status they gave. `normsbot restore` refuses, in one line and without a
traceback: a database that holds people or answers (unless --force), a file that is no
database, a SQLite database that is not normsbot's, one at a migration this version does not
know, and PostgreSQL (pointing to pg_dump/pg_restore). An older backup comes back migrated.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from bot.checklist import DEFAULT_STATUSES
from bot.db import Database, migration_heads
from bot.models import Answer, Person
from fakegram import FakeBotAPI, FakeTelegram
from tests.reliability.conftest import SEED, fresh_postgres_database
from tests.reliability.test_crashes import COUNTRIES, BotProcess, focal_points, seed
from tests.test_cli import normsbot as run_normsbot

ROOT = Path(__file__).resolve().parents[2]
FIRST_MIGRATION = "f2523687d1f5"


def normsbot(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return run_normsbot(*args, env={"DATABASE_URL": database_url}, cwd=ROOT)


async def normsbot_async(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """The same, without blocking the fake Bot API that runs in this event loop."""
    return await asyncio.to_thread(normsbot, *args, database_url=database_url)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused backup or restore ends with."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("normsbot: "), result.stderr
    return lines[0]


def stored_answers(database_url: str) -> dict[tuple[str, str], str | None]:
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            return {(a.country_code, a.item_id): a.status for a in session.exec(select(Answer))}
    finally:
        db.dispose()


async def test_a_backup_taken_mid_answering_restores_every_confirmed_answer(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    items = seed(live_url)
    rng = random.Random(SEED)
    bot = BotProcess(fake, live_url, tmp_path / "bot.log")
    backup_file = tmp_path / "backups" / "normsbot-backup.db"
    backup_file.parent.mkdir()
    async with FakeTelegram(fake.base_url) as tg:
        people = await focal_points(tg, items, lambda _item: rng.choice(DEFAULT_STATUSES))
        await bot.start()
        stop = asyncio.Event()
        workers = [asyncio.create_task(person.work(stop)) for person in people]
        try:
            while sum(len(p.confirmed) for p in people) < 3 * len(people):
                bot.check_alive()
                await asyncio.sleep(0.2)
            before = {(p.country, item): s for p in people for item, s in p.confirmed.items()}
            taken = await normsbot_async("backup", str(backup_file), database_url=live_url)
            # They keep answering while the backup runs and after it.
            after_backup = sum(len(p.confirmed) for p in people)
            while sum(len(p.confirmed) for p in people) < after_backup + len(people):
                bot.check_alive()
                await asyncio.sleep(0.2)
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            await bot.stop()
    assert taken.returncode == 0, taken.stderr
    assert f"to {backup_file}" in taken.stdout and "answers" in taken.stdout

    fresh_url = f"sqlite:///{tmp_path / 'restored' / 'normsbot.db'}"
    restored = normsbot("restore", str(backup_file), database_url=fresh_url)
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout

    answers = stored_answers(fresh_url)
    for (country, item), status in before.items():
        assert answers.get((country, item)) == status, f"{country} {item}: {status} lost"
    # The restored copy is a working database: its audit chain verifies.
    assert normsbot("audit", "verify", database_url=fresh_url).returncode == 0
    print(f"\n{len(before)} answers confirmed before the backup, {len(answers)} in it")


# --- refusals ---------------------------------------------------------------------------------


def migrated(path: Path, revision: str = "head", people: int = 0) -> str:
    """A normsbot SQLite database at `revision`, with `people` focal points in it."""
    url = f"sqlite:///{path}"
    db = Database(url)
    db.migrate(revision)
    db.dispose()
    with sqlite3.connect(path) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(person)")}
        # Before memberships (an older revision) a person had a role of their own.
        old = "role" in columns
        names = "role, is_national_lead, " if old else ""
        values = "'focal_point', 0, " if old else ""
        for number in range(people):
            connection.execute(
                f"INSERT INTO person (telegram_id, display_name, {names}is_admin, active, "
                f"digest_enabled, created_at) VALUES (?, 'Someone', {values}0, 1, 1, "
                "'2026-01-01 00:00:00')",
                (9_000_000 + number,),
            )
    return url


def test_restore_refuses_a_database_in_use_unless_forced(tmp_path: Path) -> None:
    backup_file = tmp_path / "backup.db"
    migrated(backup_file, people=2)
    target_url = migrated(tmp_path / "live.db", people=1)
    line = refusal(normsbot("restore", str(backup_file), database_url=target_url))
    assert "not empty" in line and "--force" in line
    [head] = migration_heads()
    assert head in normsbot("backup", str(tmp_path / "b2.db"), database_url=target_url).stdout
    assert "1 people" in normsbot("backup", str(tmp_path / "b3.db"), database_url=target_url).stdout

    forced = normsbot("restore", "--force", str(backup_file), database_url=target_url)
    assert forced.returncode == 0, forced.stderr
    assert "2 people" in forced.stdout


def test_restore_into_a_migrated_empty_database_needs_no_force(tmp_path: Path) -> None:
    backup_file = tmp_path / "backup.db"
    migrated(backup_file, people=1)
    target_url = migrated(tmp_path / "live.db")
    result = normsbot("restore", str(backup_file), database_url=target_url)
    assert result.returncode == 0, result.stderr


def test_an_older_backup_comes_back_migrated(tmp_path: Path) -> None:
    backup_file = tmp_path / "old.db"
    migrated(backup_file, revision=FIRST_MIGRATION, people=1)
    fresh = tmp_path / "new.db"
    result = normsbot("restore", str(backup_file), database_url=f"sqlite:///{fresh}")
    assert result.returncode == 0, result.stderr
    assert f"migrated from {FIRST_MIGRATION}" in result.stdout
    with sqlite3.connect(fresh) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            *migration_heads(),
        )
    # The backup file itself is left as it was.
    with sqlite3.connect(backup_file) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            FIRST_MIGRATION,
        )


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"these are minutes of a meeting, not a database\n" * 100)


def _foreign_database(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")


def _unknown_migration(path: Path) -> None:
    migrated(path, people=1)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (None, "there is no file"),
        (_not_a_database, "is not a usable SQLite database"),
        (_foreign_database, "not a normsbot one"),
        (_unknown_migration, "migration ffffffffffff, which this version of normsbot does not"),
    ],
    ids=["missing", "not a database", "another program's", "unknown migration"],
)
def test_restore_refuses_what_is_not_a_normsbot_backup(
    make: object, expected: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "backup.db"
    if callable(make):
        make(backup_file)
    target = tmp_path / "target.db"
    line = refusal(normsbot("restore", str(backup_file), database_url=f"sqlite:///{target}"))
    assert expected in line
    assert not target.exists() or target.stat().st_size == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_backup_refuses_an_existing_file_and_a_missing_database(tmp_path: Path) -> None:
    url = migrated(tmp_path / "live.db", people=1)
    existing = tmp_path / "backup.db"
    existing.write_text("yesterday's")
    assert "exists already" in refusal(normsbot("backup", str(existing), database_url=url))
    assert existing.read_text() == "yesterday's"
    assert normsbot("backup", "--force", str(existing), database_url=url).returncode == 0
    missing = f"sqlite:///{tmp_path / 'nothing-here.db'}"
    assert "there is no database" in refusal(
        normsbot("backup", str(tmp_path / "b.db"), database_url=missing)
    )


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_is_pointed_to_pg_dump_and_pg_restore(command: str, tmp_path: Path) -> None:
    (tmp_path / "backup.db").write_text("")
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    line = refusal(normsbot(command, str(tmp_path / "backup.db"), database_url=url))
    assert "pg_dump" in line and "pg_restore" in line


def test_the_documented_pg_dump_and_pg_restore_round_trip(tmp_path: Path) -> None:
    """What docs/deployment.md has an operator run on PostgreSQL, run here: a dump of a
    normsbot database, restored into an empty one, is a working normsbot database."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    dump = tmp_path / "normsbot.dump"
    with fresh_postgres_database() as source, fresh_postgres_database() as target:
        seed(source)
        tools_url = {
            url: url.replace("postgresql+psycopg://", "postgresql://", 1)
            for url in (source, target)
        }
        for command in (
            ["pg_dump", "--format=custom", f"--dbname={tools_url[source]}", f"--file={dump}"],
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={tools_url[target]}",
                str(dump),
            ],
        ):
            done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
            assert done.returncode == 0, done.stderr
        assert "up to date" in normsbot("migrate", database_url=target).stdout
        assert normsbot("audit", "verify", database_url=target).returncode == 0
        db = Database(target)
        try:
            with db.session(write=False) as session:
                people = session.exec(select(Person)).all()
        finally:
            db.dispose()
        assert sorted(p.country_code or "" for p in people) == sorted(COUNTRIES)
