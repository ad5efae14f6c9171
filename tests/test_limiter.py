"""Replies to the person being handled skip the broadcast queue; everything else waits in it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter

from bot.telegram.limiter import ReplyAwareRateLimiter, replying_to


def _sender(log: list[int]) -> Any:
    async def send(chat_id: int) -> dict[str, Any]:
        log.append(chat_id)
        return {"ok": True}

    return send


async def _request(limiter: ReplyAwareRateLimiter, send: Any, chat_id: int) -> Any:
    return await limiter.process_request(
        send, (chat_id,), {}, "sendMessage", {"chat_id": chat_id}, None
    )


async def test_a_reply_does_not_wait_behind_queued_broadcasts():
    # One message per minute: the second broadcast waits a minute in the limiter.
    limiter = ReplyAwareRateLimiter(overall_max_rate=1, overall_time_period=60, max_retries=0)
    await limiter.initialize()
    sent: list[int] = []
    send = _sender(sent)
    await _request(limiter, send, 101)
    queued = asyncio.create_task(_request(limiter, send, 102))
    await asyncio.sleep(0)
    with replying_to(42):
        # Bounded only so that a regression fails instead of hanging for a minute.
        await asyncio.wait_for(_request(limiter, send, 42), timeout=10)
    assert sent == [101, 42]
    assert not queued.done()  # the broadcast still waits for its turn
    queued.cancel()
    await limiter.shutdown()


async def test_a_message_to_another_chat_while_handling_is_still_limited():
    limiter = ReplyAwareRateLimiter(overall_max_rate=1, overall_time_period=60, max_retries=0)
    await limiter.initialize()
    sent: list[int] = []
    send = _sender(sent)
    await _request(limiter, send, 101)
    with replying_to(42):
        notice = asyncio.create_task(_request(limiter, send, 7))  # e.g. telling a coordinator
        await asyncio.sleep(0.05)
        assert sent == [101]
        assert not notice.done()
    notice.cancel()
    await limiter.shutdown()


async def test_a_reply_retries_after_telegrams_retry_after():
    limiter = ReplyAwareRateLimiter(max_retries=1)
    await limiter.initialize()
    calls: list[int] = []

    async def flaky(chat_id: int) -> dict[str, Any]:
        calls.append(chat_id)
        if len(calls) == 1:
            raise RetryAfter(timedelta(seconds=0))
        return {"ok": True}

    with replying_to(42):
        assert await _request(limiter, flaky, 42) == {"ok": True}
    assert calls == [42, 42]
    await limiter.shutdown()
