"""Flood control: a bot paced like PTB's AIORateLimiter never sees 429; an unpaced one does.

The paced bot sends one request at a time, each right after ``AsyncLimiter(30, 1)`` lets it
through. Then every window of the server's arrivals holds at most one request more than the
limiter let through in it (the one in flight), which is exactly what the default tolerance of
one token absorbs, whatever the machine's load. (Concurrent senders need a tolerance of one
token per request in flight.) The server runs as its own process, as in the benchmarks.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiolimiter import AsyncLimiter
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from fakegram import FakeTelegram
from tests.fakegram.conftest import TOKEN
from tests.fakegram.test_process import FakeApiProcess

pytestmark = pytest.mark.asyncio

CHATS = 60
MESSAGES = 120


@pytest.fixture(scope="module")
def limited_process() -> Iterator[FakeApiProcess]:
    with FakeApiProcess("--rate-limits") as process:
        yield process


@pytest.fixture
def limited_url(limited_process: FakeApiProcess) -> str:
    """A clean world (full buckets, no log) with CHATS started users."""
    with httpx.Client(base_url=f"{limited_process.base_url}/_fake") as control:
        control.post("/reset").raise_for_status()
        for n in range(CHATS):
            control.post("/users", json={"id": chat(n), "started": True}).raise_for_status()
    return limited_process.base_url


def chat(n: int) -> int:
    return 50_000 + n % CHATS


async def stats(base_url: str) -> dict[str, Any]:
    async with FakeTelegram(base_url) as client:
        return await client.stats()


@pytest.fixture
async def bot(limited_url: str) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connection_pool_size=64, pool_timeout=30.0)
    async with Bot(TOKEN, base_url=f"{limited_url}/bot", request=request) as ptb_bot:
        yield ptb_bot


async def test_bot_paced_by_aiolimiter_sees_no_429(bot: Bot, limited_url: str) -> None:
    limiter = AsyncLimiter(30, 1)  # what PTB's AIORateLimiter uses for overall traffic

    for n in range(MESSAGES):
        async with limiter:
            await bot.send_message(chat(n), f"message {n}")

    counts = await stats(limited_url)
    assert counts["too_many_requests"] == 0
    assert counts["by_method"]["sendMessage"] == MESSAGES
    assert counts["by_status"] == {"200": MESSAGES + 1}  # and getMe


async def test_ptb_aioratelimiter_sees_no_429(limited_url: str) -> None:
    ext_bot = ExtBot(
        TOKEN,
        base_url=f"{limited_url}/bot",
        request=HTTPXRequest(connection_pool_size=64, pool_timeout=30.0),
        rate_limiter=AIORateLimiter(max_retries=0),
    )
    async with ext_bot:
        for n in range(45):
            await ext_bot.send_message(chat(n), f"m{n}")
    counts = await stats(limited_url)
    assert counts["too_many_requests"] == 0
    assert counts["by_method"]["sendMessage"] == 45


async def test_unpaced_bot_gets_many_429_with_retry_after(bot: Bot, limited_url: str) -> None:
    started = time.monotonic()
    results = await asyncio.gather(
        *(bot.send_message(chat(n), f"burst {n}") for n in range(MESSAGES)),
        return_exceptions=True,
    )
    elapsed = time.monotonic() - started
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, RetryAfter) for r in refused), refused[:3]
    accepted = MESSAGES - len(refused)
    # burst 30 + tolerance 1, plus what refilled at 30/s while the burst went through
    assert 31 <= accepted <= 31 + 30 * elapsed + 1
    assert len(refused) >= MESSAGES - (32 + 30 * elapsed) > 0  # ~85 on an idle machine
    assert (await stats(limited_url))["too_many_requests"] == len(refused)
    for error in refused:
        assert isinstance(error, RetryAfter)
        after = error.retry_after
        assert (after.total_seconds() if isinstance(after, dtm.timedelta) else after) == 1
    async with FakeTelegram(limited_url) as client:
        calls = await client.calls("sendMessage")
    assert {c["description"] for c in calls if c["status"] == 429} == {
        "Too Many Requests: retry after 1"
    }


async def test_one_chat_gets_burst_then_429(bot: Bot, limited_url: str) -> None:
    outcomes: list[str] = []
    for n in range(6):
        try:
            await bot.send_message(chat(0), f"n{n}")
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
    await bot.get_me()  # never counted
    assert outcomes == ["ok"] * 4 + ["429"] * 2  # per-chat burst 3 + tolerance 1
