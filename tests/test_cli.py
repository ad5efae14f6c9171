"""The `normsbot` command: set-up mistakes end with one clear line, never a traceback."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import Settings
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import TOKEN

WRONG_TOKEN = "987654321:WRONG-token-nobody-gave-this-bot-00000"


def clean_env(env: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NORMSBOT_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(env)
    return clean


def normsbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = clean_env(env)
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
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "NORMSBOT_INVITE_TTL_DAYS": "soon"},
            "bad setting: NORMSBOT_INVITE_TTL_DAYS: ",
        ),
        (
            # The variable as the person wrote it, and our words, not pydantic's "Value error".
            {"TELEGRAM_BOT_TOKEN": TOKEN, "NORMSBOT_LOG_LEVEL": "loud"},
            "bad setting: NORMSBOT_LOG_LEVEL: must be DEBUG, INFO, WARNING, ERROR or CRITICAL",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://x"}, "bad setting: DATABASE_URL: "),
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


# --------------------------------------------------------------------------- Telegram at start


async def run_normsbot(env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """`normsbot run` as its own process, without blocking the fake API in this event loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=clean_env({"DATABASE_URL": f"sqlite:///{cwd / 'bot.db'}", **env}),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def one_line(returncode: int, stdout: str, stderr: str) -> str:
    """The one line a set-up mistake ends with; nothing else of interest on the way."""
    assert returncode == 2, stderr
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("normsbot:")]
    assert len(lines) == 1, stderr
    for secret in (TOKEN, WRONG_TOKEN, WRONG_TOKEN.split(":")[1]):
        assert secret not in stdout + stderr
    return lines[0]


@pytest.mark.parametrize("mistake", ["wrong token", "base URL with a typo"])
async def test_a_rejected_token_ends_with_one_line_without_the_token(
    fake_api: FakeBotAPI, mistake: str, tmp_path: Path
):
    if mistake == "wrong token":  # 401 Unauthorized, as for a revoked token
        env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_BASE_URL": fake_api.base_url}
    else:  # 404 Not Found: no Bot API at that address
        env = {"TELEGRAM_BOT_TOKEN": WRONG_TOKEN, "TELEGRAM_BASE_URL": fake_api.base_url + "/api"}
    line = one_line(*await run_normsbot(env, tmp_path))
    assert line.startswith("normsbot: Telegram rejected the token: ")
    assert env["TELEGRAM_BASE_URL"] in line


async def test_an_unreachable_bot_api_ends_with_one_line(tmp_path: Path):
    with socket.socket() as free:  # a port nobody listens on once it is closed
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": base}
    line = one_line(*await run_normsbot(env, tmp_path))
    assert line.startswith(f"normsbot: cannot reach {base}: ")


async def run_until_polling(
    fake_api: FakeBotAPI, tg: FakeTelegram, env: dict[str, str], cwd: Path
) -> str:
    """Start `normsbot run`, wait for its first long poll, stop it as systemd would; stderr."""
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake_api.base_url,
        "NORMSBOT_POLL_TIMEOUT": "1",
        **env,
    }
    os.makedirs(cwd)
    polls = len(await tg.calls("getUpdates"))  # of an earlier run
    task = asyncio.ensure_future(run_normsbot(env, cwd))
    for _ in range(600):
        if len(await tg.calls("getUpdates")) > polls or task.done():
            break
        await asyncio.sleep(0.1)
    if not task.done():
        for pid in _children():
            os.kill(pid, signal.SIGTERM)
    returncode, stdout, stderr = await task
    assert returncode == 0, stderr
    assert TOKEN not in stdout + stderr
    return stderr


def _children() -> Iterator[int]:
    import psutil

    for child in psutil.Process().children():
        if "bot" in child.cmdline() and "run" in child.cmdline():
            yield child.pid


async def test_log_level_setting_is_honoured(
    fake_api: FakeBotAPI, tg: FakeTelegram, tmp_path: Path
):
    quiet = await run_until_polling(
        fake_api, tg, {"NORMSBOT_LOG_LEVEL": "WARNING"}, tmp_path / "quiet"
    )
    assert " INFO " not in quiet, quiet

    normal = await run_until_polling(fake_api, tg, {}, tmp_path / "normal")
    assert "INFO bot.cli: normsbot is running against" in normal
    # On uvloop's event loop (libuv): a tenth less CPU per update than asyncio's own.
    assert "event loop: uvloop" in normal, normal
    # Alembic's chatter at every start stays out: "Context impl SQLiteImpl", "Running upgrade".
    assert "alembic" not in normal and " DEBUG " not in normal

    verbose = await run_until_polling(
        fake_api, tg, {"NORMSBOT_LOG_LEVEL": "debug"}, tmp_path / "verbose"
    )
    assert " DEBUG " in verbose and "alembic" in verbose
    # httpx logs every request's URL, which holds the token: masked.
    assert "/bot***/getUpdates" in verbose


# --------------------------------------------------------------------------- the mask


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers = {handler: list(handler.filters) for handler in root.handlers}
    levels = {name: logging.getLogger(name).level for name in ("", *logs.QUIET_BELOW_DEBUG)}
    hook = sys.excepthook
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, filters in handlers.items():
        handler.filters = filters
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    sys.excepthook = hook


def test_a_library_loggers_traceback_is_masked(restored_logging: None):
    stream = io.StringIO()
    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url="postgresql+psycopg://normsbot:pa%24%24word-42@db.example/normsbot",
    )
    logs.configure("INFO", logs.secrets_of(settings), stream=stream)
    try:
        # As python-telegram-bot raises it, and httpx quotes URLs: the token in the message,
        # in an argument, and in the exception's text of the traceback.
        raise ValueError(f"The token `{TOKEN}` was rejected; db pa$$word-42, pa%24%24word-42")
    except ValueError:
        logging.getLogger("telegram.ext").exception("failed to start with %s", TOKEN)
    logging.getLogger("httpx").warning("POST http://x/bot%s/getMe (%s)", WRONG_TOKEN, "other")
    logging.getLogger("telegram.ext").error("stack", stack_info=True)
    written = stream.getvalue()
    assert "Traceback" in written and "ValueError" in written and "other" in written
    for secret in (TOKEN, WRONG_TOKEN, "pa$$word-42", "pa%24%24word-42"):
        assert secret not in written, written
    assert "/bot987654321:***/getMe" in written  # shaped like a token: the bot id stays
