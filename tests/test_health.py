"""/healthz, /readyz and /metrics, in both modes, and `normsbot healthcheck`.

/readyz says "ready" only while the database answers at the newest migration and Telegram
answered within the last minute; the tests make each go wrong for real (the migration table
changed or gone, the fake Bot API failing) and see the answer follow.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bot.db import Database, migration_heads
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import TOKEN, WEBHOOK_SECRET, BotHarness, free_port
from tests.test_cli import clean_env

pytestmark = pytest.mark.db


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, timeout=30)


@pytest.fixture(params=["polling", "webhook"])
async def bot(
    request: pytest.FixtureRequest, fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    webhook = request.param == "webhook"
    settings: dict[str, Any] = {} if webhook else {"health_listen": "127.0.0.1:0"}
    async with BotHarness(fake_api, tg, database, webhook=webhook, **settings) as harness:
        yield harness


async def test_alive_ready_and_metrics(bot: BotHarness):
    alive = await get(f"{bot.web_url}/healthz")
    assert (alive.status_code, alive.text) == (200, "ok\n")
    ready = await get(f"{bot.web_url}/readyz")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    metrics = await get(f"{bot.web_url}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "normsbot_webhook_refused" in metrics.text


async def test_unready_while_the_database_is_not_at_the_newest_migration(bot: BotHarness):
    (head,) = migration_heads()
    with bot.db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    unready = await get(f"{bot.web_url}/readyz")
    assert unready.status_code == 503
    assert unready.text == (
        f"database not at the newest migration (older instead of {head}): run `normsbot migrate`\n"
    )
    with bot.db.engine.begin() as connection:  # the tables gone
        connection.execute(sa.text("DROP TABLE alembic_version"))
    gone = await get(f"{bot.web_url}/readyz")
    assert gone.status_code == 503 and "(none instead of" in gone.text

    with bot.db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text(f"INSERT INTO alembic_version VALUES ('{head}')"))
    assert (await get(f"{bot.web_url}/readyz")).status_code == 200


async def test_unready_while_telegram_does_not_answer(bot: BotHarness, fake_api: FakeBotAPI):
    assert bot.serving is not None
    # Nobody wrote for a minute: /readyz asks Telegram itself (getMe), which fails now.
    bot.serving.readiness.telegram_fresh = 0
    fake_api.inject_fault("getMe", "server_error", count=1000, status=502)
    unready = await get(f"{bot.web_url}/readyz")
    assert unready.status_code == 503
    assert unready.text.startswith("Telegram unreachable: "), unready.text
    assert TOKEN not in unready.text and TOKEN.split(":")[1] not in unready.text

    fake_api.clear_faults()
    assert (await get(f"{bot.web_url}/readyz")).status_code == 200


# --------------------------------------------------------------------------- the command


async def normsbot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=clean_env(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def healthcheck(env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await normsbot("healthcheck", env=env, cwd=cwd)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_normsbot_run_with_a_webhook_and_its_healthcheck(
    fake_api: FakeBotAPI, tg: FakeTelegram, tmp_path: Path
):
    """The real command in webhook mode, logging at DEBUG: it answers, `normsbot healthcheck`
    says ready (exit 0) and then, once it stopped, not ready (exit 1); the webhook's secret is
    in no line either wrote."""
    fake_api.webhook_http = True
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": fake_api.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "NORMSBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "NORMSBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "NORMSBOT_LISTEN": f"127.0.0.1:{port}",
        "NORMSBOT_LOG_LEVEL": "DEBUG",
    }
    bot = await normsbot("run", env=env, cwd=tmp_path)
    try:
        for _ in range(600):  # until it set its webhook (or ended)
            if fake_api.state.profile.webhook_url or bot.returncode is not None:
                break
            await asyncio.sleep(0.1)
        stranger = await tg.user(4401, "Sam")
        await stranger.command("start")
        await stranger.expect(lambda message: bool(message.text))
        ready = await healthcheck(env, tmp_path)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(bot.communicate(), 60)
    assert bot.returncode == 0, stderr.decode()
    assert ready[:2] == (0, "ready\n")
    code, line, _ = await healthcheck(env, tmp_path)
    assert code == 1 and line.startswith(f"not ready: no answer from http://127.0.0.1:{port}/")
    assert line.count("\n") == 1

    written = stdout.decode() + stderr.decode() + ready[2]
    assert "setWebhook" in written, "the DEBUG log shows the call (and its parameters)"
    assert WEBHOOK_SECRET not in written and TOKEN not in written


async def test_healthcheck_without_a_web_server_says_what_to_set(tmp_path: Path):
    code, stdout, stderr = await healthcheck({}, tmp_path)
    assert code == 2 and stdout == ""
    assert stderr.startswith("normsbot: this bot serves no /readyz: set NORMSBOT_HEALTH_LISTEN")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"NORMSBOT_WEBHOOK_URL": "http://bot.example.org/telegram"},
            "NORMSBOT_WEBHOOK_URL: must be",
        ),
        (
            {"NORMSBOT_WEBHOOK_URL": "https://bot.example.org/t"},
            "NORMSBOT_WEBHOOK_SECRET: must be set",
        ),
        (
            {"NORMSBOT_WEBHOOK_URL": "https://b.example.org/t", "NORMSBOT_WEBHOOK_SECRET": "a b"},
            "NORMSBOT_WEBHOOK_SECRET: must be 1 to 256 letters",
        ),
        ({"NORMSBOT_LISTEN": "8080"}, "NORMSBOT_LISTEN: must be host:port"),
    ],
)
async def test_webhook_settings_are_checked(env: dict[str, str], expected: str, tmp_path: Path):
    process = await normsbot("run", env={"TELEGRAM_BOT_TOKEN": TOKEN, **env}, cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert f"normsbot: bad setting: {expected}" in stderr.decode()
    assert "a b" not in stderr.decode() or "a b" in expected
