"""Telegram-like flood control: token buckets for all traffic and for each chat.

Only sending methods count (the ones that create or change messages). A call that finds
either bucket empty gets ``429 Too Many Requests: retry after N`` where N is the whole number
of seconds until a token is back (at least 1), as Telegram reports it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

RATE_LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendvideonote",
        "sendsticker",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendpoll",
        "senddice",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
        "editmessagemedia",
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }
)


@dataclass(frozen=True)
class RateLimits:
    """Rates and bursts; ``tolerance`` extra tokens absorb timing jitter on the wire."""

    overall_per_second: float = 30.0
    overall_burst: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    tolerance: int = 1


class TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled continuously at ``rate`` per second."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()

    def _refill(self, now: float | None = None) -> None:
        now = self._clock() if now is None else max(now, self._updated)
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def wait_time(self, now: float | None = None) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def take(self, now: float | None = None) -> None:
        self._refill(now)
        self._tokens -= 1.0


class RateLimiter:
    """Checks and charges the overall bucket and the chat's bucket for one call."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = self._new_overall()
        self._chats: dict[int, TokenBucket] = {}

    def _new_overall(self) -> TokenBucket:
        limits = self.limits
        return TokenBucket(
            limits.overall_per_second, limits.overall_burst + limits.tolerance, self._clock
        )

    def _chat_bucket(self, chat_id: int) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = TokenBucket(
                self.limits.per_chat_per_second,
                self.limits.per_chat_burst + self.limits.tolerance,
                self._clock,
            )
            self._chats[chat_id] = bucket
        return bucket

    def check(self, method: str, chat_id: int | None, now: float | None = None) -> int | None:
        """Charge one call; return ``retry_after`` seconds if it must be refused instead.

        ``now`` is when the request arrived (the clock's time by default), so that time spent
        reading a request body does not count against the sender.
        """
        if method.lower() not in RATE_LIMITED_METHODS:
            return None
        buckets = [self._overall]
        if chat_id is not None:
            buckets.append(self._chat_bucket(chat_id))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take(now)
        return None

    def reset(self) -> None:
        """Full buckets again, as after a quiet period."""
        self._overall = self._new_overall()
        self._chats.clear()
