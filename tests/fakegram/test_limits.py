"""Token buckets and fault rules as units, on a controlled clock."""

from __future__ import annotations

import pytest

from fakegram.faults import FaultInjector, FaultRule
from fakegram.limits import RateLimiter, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_overall_bucket_allows_burst_plus_tolerance_then_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(per_chat_burst=1000), clock)
    results = [limiter.check("sendMessage", chat) for chat in range(40)]
    assert results[:31] == [None] * 31  # burst 30 + tolerance 1
    assert results[31:] == [1] * 9
    clock.now += 0.1  # three tokens come back at 30/s
    assert [limiter.check("sendMessage", 99) for _ in range(4)] == [None, None, None, 1]


def test_per_chat_bucket_and_retry_after_ceiling() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(per_chat_per_second=0.25, per_chat_burst=1), clock)
    assert limiter.check("sendMessage", 1) is None
    assert limiter.check("editMessageText", 1) is None
    assert limiter.check("sendDocument", 1) == 4  # a token is 4 s away
    assert limiter.check("sendMessage", 2) is None  # other chats are unaffected
    clock.now += 1.5
    assert limiter.check("sendMessage", 1) == 3  # ceil(2.5)


def test_only_sending_methods_count() -> None:
    limiter = RateLimiter(RateLimits(overall_burst=0, tolerance=1), Clock())
    assert limiter.check("sendMessage", 1) is None
    for method in ("getUpdates", "answerCallbackQuery", "getMe", "setMyCommands", "getFile"):
        assert limiter.check(method, 1) is None
    assert limiter.check("SENDMESSAGE", 2) == 1


def test_fault_rules_match_in_order_and_run_out() -> None:
    faults = FaultInjector()
    faults.add(FaultRule("sendMessage", "retry_after", count=2, chat_id=5))
    faults.add(FaultRule("*", "server_error"))
    assert faults.take("sendmessage", 6) is not None  # the "*" rule, now used up
    assert faults.take("sendMessage", 6) is None
    first, second = faults.take("sendMessage", 5), faults.take("sendMessage", 5)
    assert first is not None and first.kind == "retry_after" and second is first
    assert faults.take("sendMessage", 5) is None


def test_fault_rule_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultRule.from_json({"method": "x", "kind": "explode"})
    with pytest.raises(ValueError, match="500 or 502"):
        FaultRule("x", "server_error", status=503)
