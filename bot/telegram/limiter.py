"""Telegram's rate limits, applied where they belong.

Telegram asks bots to stay within about 30 messages a second overall; that is a limit for what
a bot sends on its own (reminders, digests, notices to other people). A reply to the person
whose tap or message is being handled is what Telegram expects right away: holding it behind
a queue of reminders would make a tap wait seconds. So the limiter lets messages to the chat
of the update being handled pass straight (still retrying after a 429's `retry_after`), and
puts everything else through PTB's `AIORateLimiter`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.telegram.transient import retrying

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# The chat of the update the current task is handling (None in jobs such as the sweeper).
_handling_chat: ContextVar[int | None] = ContextVar("normsbot_handling_chat", default=None)


@contextmanager
def replying_to(chat_id: int | None) -> Iterator[None]:
    """While handling an update from `chat_id`, messages to that chat are replies."""
    token = _handling_chat.set(chat_id)
    try:
        yield
    finally:
        _handling_chat.reset(token)


class ReplyAwareRateLimiter(AIORateLimiter):
    """`AIORateLimiter` for what the bot sends on its own; replies go without queueing."""

    def __init__(self, *, max_retries: int, **limits: Any) -> None:
        super().__init__(max_retries=max_retries, **limits)
        self._reply_retries = max_retries

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        # Every request passes here: what is safe to repeat is repeated after a network failure.
        callback = retrying(callback, endpoint)
        handling = _handling_chat.get()
        chat_id = data.get("chat_id")
        if handling is None or chat_id is None or str(chat_id) != str(handling):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        retries = rate_limit_args or self._reply_retries
        for attempt in range(retries + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                delay = error.retry_after
                seconds = delay if isinstance(delay, int | float) else delay.total_seconds()
                log.info("reply rate-limited by Telegram; retrying in %.1f s", seconds)
                await asyncio.sleep(seconds + 0.1)
        raise AssertionError("unreachable")  # the loop returns or raises
