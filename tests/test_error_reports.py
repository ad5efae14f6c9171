"""Errors reach people: a bug while handling an update is reported in the admin chat
(NORMSBOT_ERROR_CHAT_ID), one message a minute at most, and logs can be JSON lines.

The bug is provoked through the fake Bot API, not by patching the bot: a 403 answered to a
reply (the person blocked the bot while the bot was answering) is no network failure, so it
reaches the error handler as any unexpected exception does.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from bot import logs
from bot.db import Database
from bot.metrics import REGISTRY
from bot.telegram.error_report import ErrorReporter
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg
from tests.harness import ADMIN_ID, TOKEN, BotHarness

REPORT = "normsbot error"
MORE = "more errors since"


@pytest.fixture
async def bot(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    async with BotHarness(fake_api, tg, database, error_chat_id=ADMIN_ID) as harness:
        yield harness


def errors(kind: str) -> float:
    return REGISTRY.get_sample_value("normsbot_errors_total", {"type": kind}) or 0.0


async def errors_reach(kind: str, expected: float) -> None:
    """Wait (a few seconds at most) until the error handler counted `expected` errors."""
    for _ in range(100):
        if errors(kind) >= expected:
            return
        await asyncio.sleep(0.05)


async def reports(admin: FakeUser) -> list[Msg]:
    return [m for m in await admin.messages() if REPORT in m.plain or MORE in m.plain]


async def test_a_bug_is_reported_in_the_admin_chat_with_what_failed(bot: BotHarness) -> None:
    admin = await bot.admin()
    user = await bot.enrol(7201, "TH")
    await bot.tg.inject_fault("sendMessage", "forbidden", chat_id=user.id)
    await user.command("help")
    await user.expect("Something went wrong")
    report = await admin.expect(REPORT)
    assert "command" in report.plain  # the kind of update
    assert "general.help_command" in report.plain  # the handler
    assert "Forbidden" in report.plain and "blocked" in report.plain
    assert TOKEN not in report.plain and TOKEN.split(":")[1] not in report.plain


async def test_a_storm_of_errors_is_one_message_then_a_count(bot: BotHarness) -> None:
    admin = await bot.admin()
    user = await bot.enrol(7202, "VN")
    before = errors("Forbidden")
    # Each /help fails twice: the reply, then "Something went wrong".
    await bot.tg.inject_fault("sendMessage", "forbidden", chat_id=user.id, count=10)
    for _ in range(5):
        await user.command("help")
    await errors_reach("Forbidden", before + 5)
    assert errors("Forbidden") == before + 5
    await admin.expect(REPORT)
    assert len(await reports(admin)) == 1
    # A minute later the sweeper says how many were held back.
    bot.clock.advance(seconds=61)
    await bot.sweep()
    more = await admin.expect(MORE)
    assert "+4 more errors since" in more.plain
    assert len(await reports(admin)) == 2
    await bot.sweep()  # nothing held back any more: nothing more said
    assert len(await reports(admin)) == 2


async def test_a_report_that_cannot_be_sent_is_one_warning_and_no_loop(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    admin = await bot.admin()
    user = await bot.enrol(7203, "LA")
    before = errors("Forbidden")
    await bot.tg.inject_fault("sendMessage", "forbidden", chat_id=user.id)
    await bot.tg.inject_fault("sendMessage", "forbidden", chat_id=ADMIN_ID, count=5)
    with caplog.at_level(logging.INFO):
        await user.command("help")
        await user.expect("Something went wrong")
        await errors_reach("Forbidden", before + 1)
    assert errors("Forbidden") == before + 1  # the failed report raised nothing
    failed = [r.getMessage() for r in caplog.records if "error report" in r.getMessage()]
    assert len(failed) == 1 and "Forbidden" in failed[0], failed
    await user.command("help")  # the bot carries on
    await user.expect("/")
    assert await reports(admin) == []


def test_the_report_masks_the_token_and_stays_short() -> None:
    reporter = ErrorReporter(chat_id=1, secrets=[TOKEN])
    error = ValueError(f"https://api.telegram.org/bot{TOKEN}/getMe refused " + "x" * 5000)
    text = reporter.describe(error, kind="callback_query", handler="answering.on_answer_button")
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "bot***/getMe" in text
    assert "ValueError" in text and "callback_query" in text and "on_answer_button" in text
    assert len(text) < 1000


@pytest.fixture
def json_logging() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers = {handler: list(handler.filters) for handler in root.handlers}
    formatters = {handler: handler.formatter for handler in root.handlers}
    level, hook = root.level, sys.excepthook
    stream = io.StringIO()
    logs.configure("INFO", [TOKEN], stream=stream, fmt="json")
    yield stream
    logs.configure(level, [], stream=sys.stderr, fmt="text")
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, filters in handlers.items():
        handler.filters = filters
        handler.setFormatter(formatters[handler])
    sys.excepthook = hook


async def test_json_log_lines_parse_and_carry_no_token(
    bot: BotHarness, json_logging: io.StringIO
) -> None:
    user = await bot.enrol(7204, "MY")
    before = errors("Forbidden")
    await bot.tg.inject_fault("sendMessage", "forbidden", chat_id=user.id)
    await user.command("help")
    await errors_reach("Forbidden", before + 1)
    try:
        raise RuntimeError(f"token {TOKEN} in a traceback")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("failed with %s", TOKEN)
    written = json_logging.getvalue()
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert lines
    assert all({"timestamp", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["level"] == "ERROR" and "Forbidden" in line["message"] for line in lines)
    traced = [line for line in lines if "RuntimeError" in line.get("exc_info", "")]
    assert traced and "token *** in a traceback" in traced[0]["exc_info"]
    assert TOKEN not in written and TOKEN.split(":")[1] not in written
