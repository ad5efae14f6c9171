"""The `normsbot` command: set-up mistakes end with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import TOKEN


def normsbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NORMSBOT_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "12345"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "NORMSBOT_INVITE_TTL_DAYS": "soon"}, "INVITE_TTL_DAYS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        (
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            },
            "cannot open the database",
        ),
    ],
)
def test_run_refuses_bad_settings_with_one_line(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    result = normsbot("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("normsbot:")]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert TOKEN not in result.stderr  # the token is a secret, even when it is valid


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'bot.db'}"
    result = normsbot("migrate", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "sub" / "bot.db").exists()


def test_checklist_check_reports_file_and_line(tmp_path: Path) -> None:
    assert normsbot("checklist", "check", env={}, cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: demo\nversion: '1'\ntitle: Demo\nsource: test\nsource_language: en\n"
        "sections:\n  - id: a\n    label: A\n    summary: S\n    items:\n"
        "      - id: a.1\n        text: One\n        explenation: typo\n",
        encoding="utf-8",
    )
    result = normsbot("checklist", "check", str(bad), env={}, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}:13:" in result.stdout
