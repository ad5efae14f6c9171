"""What a commit promises on SQLite: on disk before the bot says "Recorded", power loss or not."""

from __future__ import annotations

from pathlib import Path

from bot.db import Database


def test_sqlite_commits_reach_the_disk_before_they_are_acknowledged(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'normsbot.db'}")
    try:
        for engine in (db.engine, db.read_engine):
            with engine.connect() as connection:
                journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
                synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            assert journal == "wal"
            assert synchronous == 2  # FULL: WAL is synced at every commit (NORMAL is 1)
    finally:
        db.dispose()
