"""A bad network day, told apart from a bug.

Telegram and the way to it fail now and then: a time-out, a 5xx (502 comes from the proxy as
an HTML page), a dropped connection, a 429. None of that is a bug, and none of it deserves a
traceback: it is logged as one WARNING line naming the Bot API method and the cause. What is
safe to repeat is repeated first, with backoff: answering a button press (a second answer is
refused harmlessly) and editing a message (a repeated edit to the same content is refused as
"not modified", which the handlers already take as shown). Sending a message is not repeated:
when only Telegram's answer was lost, the person would get it twice.

PTB has no retry of its own for network errors (its `AIORateLimiter` repeats only after a 429,
its `HTTPXRequest` not at all), so the repeat sits in the rate limiter, which every request
except `getUpdates` passes through; PTB's polling loop repeats `getUpdates` itself. PTB logs
the HTML page of a 502 as an ERROR with a traceback before it raises: `QuietRequest` (PTB's
documented place to parse answers differently) raises the same error without that log.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot import metrics
from bot.telegram.contact import TelegramContact
from bot.telegram.http import BotApiTransport

log = logging.getLogger(__name__)

T = TypeVar("T")

# Methods whose repeat changes nothing the person sees.
IDEMPOTENT = frozenset(
    {
        "answerCallbackQuery",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "getMe",
        "getChat",
        "getFile",
        "setMyCommands",
        "deleteMyCommands",
        "leaveChat",
    }
)
# Seconds before each repeat: within a tap's patience (Telegram shows the spinner for ~15 s).
BACKOFF = (0.25, 0.75, 2.0)
METHOD_NOTE = "Bot API method: "
CAUSE_MAX = 200  # characters of the cause in the one line (a 502's page is in the message)


def is_transient(error: BaseException) -> bool:
    """A failure on the way to Telegram or inside it, not in what we asked: worth a retry.

    PTB raises `NetworkError` for time-outs (`TimedOut`), dropped connections and 5xx;
    `BadRequest` is a `NetworkError` too, but it means the request itself was wrong.
    """
    if isinstance(error, RetryAfter | TimedOut):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def method_of(error: BaseException) -> str | None:
    """The Bot API method a failure came from, as `retrying` noted it."""
    for note in getattr(error, "__notes__", ()):
        if isinstance(note, str) and note.startswith(METHOD_NOTE):
            return note.removeprefix(METHOD_NOTE)
    return None


def describe(error: BaseException, method: str | None = None) -> str:
    """One line: the method and the cause, for the WARNING of a transient failure."""
    cause = str(error)
    if len(cause) > CAUSE_MAX:
        cause = cause[: CAUSE_MAX - 1] + "…"
    return f"Bot API {method or method_of(error) or '?'}: {type(error).__name__}: {cause}"


class QuietRequest(HTTPXRequest):
    """PTB's `HTTPXRequest`, except that an answer which is not JSON (a proxy's error page)
    is not logged as an ERROR with a traceback: PTB raises a `NetworkError` for it anyway,
    which the error handler logs in one line.

    It also records, in `contact`, each answer that came from the Bot API (for /readyz),
    shares one TLS context with every other `QuietRequest` of the process (`tls_context`), and
    sends through aiohttp's connection pool instead of httpcore's (`http.py` says why).
    """

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,  # PTB's own default
        contact: TelegramContact | None = None,
        httpx_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        transport = BotApiTransport(pool_size=connection_pool_size, tls=tls_context())
        httpx_kwargs = {"verify": tls_context(), "transport": transport, **(httpx_kwargs or {})}
        super().__init__(
            connection_pool_size=connection_pool_size, httpx_kwargs=httpx_kwargs, **kwargs
        )
        self.contact = contact

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        if self.contact is not None and status < 500:
            self.contact.record()
        return status, payload

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            parsed: dict[str, Any] = json.loads(payload.decode("utf-8", "replace"))
        except ValueError as error:
            raise TelegramError("Invalid server response") from error
        return parsed


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of the process's Bot API clients: the one httpx makes by default, made
    once. Making one reads ~150 CA certificates (20 ms of CPU); the bot has two clients, built
    anew at each start (and the tests start the bot a thousand times)."""
    return httpx.create_ssl_context()


def _count(error: BaseException, endpoint: str) -> None:
    """Every failed attempt counts: a 429 with the seconds it asked for, else a transient one."""
    if isinstance(error, RetryAfter):
        delay = error.retry_after
        seconds = delay if isinstance(delay, int | float) else delay.total_seconds()
        metrics.count_rate_limited(endpoint, float(seconds))
    elif is_transient(error):
        metrics.TRANSIENT_FAILURES.labels(endpoint).inc()


def retrying(
    call: Callable[..., Coroutine[Any, Any, T]], endpoint: str
) -> Callable[..., Coroutine[Any, Any, T]]:
    """`call`, repeated after a transient failure when `endpoint` is safe to repeat; a failure
    that gets out carries the method's name (`method_of`) for the one line that logs it."""

    async def attempt(*args: Any, **kwargs: Any) -> T:
        delays = BACKOFF if endpoint in IDEMPOTENT else ()
        for delay in (*delays, None):
            try:
                return await call(*args, **kwargs)
            except Exception as error:
                _count(error, endpoint)
                # RetryAfter is the rate limiter's to wait out; BadRequest is no network day.
                if delay is None or isinstance(error, RetryAfter) or not is_transient(error):
                    if method_of(error) is None:
                        error.add_note(METHOD_NOTE + endpoint)
                    raise
                log.info("%s; repeating in %.2f s", describe(error, endpoint), delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the last round returns or raises

    return attempt
