"""On-demand fault injection: make the next N matching Bot API calls fail in a chosen way.

Kinds:

* ``retry_after`` - 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``;
* ``server_error`` - 500 ``Internal Server Error`` (or 502 ``Bad Gateway`` with ``status=502``);
* ``forbidden`` - 403 ``Forbidden: bot was blocked by the user``;
* ``delay`` - wait ``delay`` seconds, then process the call normally;
* ``drop`` - close the connection without an answer; with ``processed=True`` the call is
  carried out first (the message exists) and only the answer is lost.

A rule with ``share`` below 1 strikes only that share of its matching calls, drawn from the
injector's own seeded random generator (``FaultInjector(seed=...)``): a bad network day, the
same one on every run.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

FaultKind = Literal["retry_after", "server_error", "forbidden", "delay", "drop"]
FAULT_KINDS: tuple[FaultKind, ...] = ("retry_after", "server_error", "forbidden", "delay", "drop")


@dataclass
class FaultRule:
    """One rule; ``method`` is a Bot API method name (case-insensitive) or ``*``."""

    method: str
    kind: FaultKind
    count: int = 1
    chat_id: int | None = None
    retry_after: int = 5
    delay: float = 1.0
    status: int = 500
    processed: bool = False
    share: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.kind == "server_error" and self.status not in (500, 502):
            raise ValueError("server_error status must be 500 or 502")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        if not 0.0 < self.share <= 1.0:
            raise ValueError("share must be above 0 and at most 1")

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultRule:
        known = {
            "method",
            "kind",
            "count",
            "chat_id",
            "retry_after",
            "delay",
            "status",
            "processed",
            "share",
        }
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        if "method" not in body or "kind" not in body:
            raise ValueError("a fault needs 'method' and 'kind'")
        return cls(
            method=str(body["method"]),
            kind=cast(FaultKind, body["kind"]),
            count=int(body.get("count", 1)),
            chat_id=None if body.get("chat_id") is None else int(body["chat_id"]),
            retry_after=int(body.get("retry_after", 5)),
            delay=float(body.get("delay", 1.0)),
            status=int(body.get("status", 500)),
            processed=bool(body.get("processed", False)),
            share=float(body.get("share", 1.0)),
        )


class FaultInjector:
    """Rules in the order they were added; each strike uses up one of the rule's count."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self.random = random.Random(seed)  # noqa: S311 - a test double, not a secret

    def add(self, rule: FaultRule) -> None:
        self._rules.append(rule)

    def clear(self) -> None:
        self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def take(self, method: str, chat_id: int | None) -> FaultRule | None:
        """Return the first rule that strikes this call and charge it, or None."""
        for rule in self._rules:
            if rule.matches(method, chat_id) and (
                rule.share >= 1.0 or self.random.random() < rule.share
            ):
                rule.count -= 1
                if rule.count <= 0:
                    self._rules.remove(rule)
                return rule
        return None
