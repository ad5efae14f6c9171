"""A bad network day is not a bug: repeatable calls are repeated, the rest is one WARNING line.

Through the real application against the fake Bot API, on SQLite (the network is what is
tested here, not the database).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.db import Database
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import BotHarness, item_id_of

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def bot(
    fake_api: FakeBotAPI, tg: FakeTelegram, sqlite_db: Database
) -> AsyncIterator[BotHarness]:
    harness = BotHarness(fake_api, tg, sqlite_db)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.exc_info or record.levelno >= logging.ERROR or "Traceback" in record.getMessage()
    ]


async def test_a_tap_whose_answers_are_lost_is_repeated_and_shown(
    bot: BotHarness, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    user = await bot.enrol(4101, "TH")
    prompt = await user.last()
    item = item_id_of(prompt)
    # Telegram carries out the edit and the callback answer, but both answers are lost.
    fake_api.inject_fault("answerCallbackQuery", "drop", processed=True)
    fake_api.inject_fault("editMessageText", "drop", processed=True)
    fake_api.inject_fault("editMessageText", "server_error", status=502)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        answer = await user.press("Implemented")
        shown = await user.expect("Recorded: Implemented")
    assert answer is not None
    assert item_id_of(shown) != item
    assert tracebacks(caplog) == []
    assert not [r for r in caplog.records if "Something went wrong" in r.getMessage()]


async def test_a_send_that_fails_is_one_warning_with_the_method_and_the_cause(
    bot: BotHarness, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    user = await bot.enrol(4102, "VN")
    fake_api.inject_fault("sendMessage", "server_error", status=502)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await user.command("help")
        await user.expect("Something went wrong")
    assert tracebacks(caplog) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "sendMessage" in warnings[0] and "Bad Gateway" in warnings[0]
    assert "\n" not in warnings[0]


async def test_telling_the_person_fails_too_and_is_one_more_line(
    bot: BotHarness, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    user = await bot.enrol(4103, "LA")
    fake_api.inject_fault("sendMessage", "drop", count=2)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        seq = await user.mark()
        await user.command("help")
        assert await user.wait_for_change(after_seq=seq, timeout=2.0) == []
    assert tracebacks(caplog) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert all("sendMessage" in line for line in warnings)
    await user.command("help")  # the network is back: served as usual
    await user.expect("/")


async def test_a_bug_keeps_its_traceback(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    user = await bot.enrol(4104, "MY")

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a real bug")

    from bot.services import reporting

    monkeypatch.setattr(reporting, "act", broken)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        answer = await user.press("Implemented")
    assert answer is not None and "Something went wrong" in (answer.text or "")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "Traceback" in errors[0] and "ZeroDivisionError" in errors[0]
