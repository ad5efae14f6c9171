"""Log of every Bot API call the fake server answered, and counters over it."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class CallRecord:
    """One call: what was asked, of which chat, and how it was answered."""

    method: str
    params: dict[str, Any]
    chat_id: int | None
    status: int  # HTTP status; 0: dropped by a fault; 499: the client left before the answer
    description: str | None
    monotonic: float
    wall_time: float
    duration: float = 0.0
    fault: str | None = None
    # "request": the bot called the method; "webhook_reply": a webhook's response named it and
    # the fake made the call, as Telegram does (fakegram/webhook.py)
    via: str = "request"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CallLog:
    """Append-only list of :class:`CallRecord` with per-method and per-status counters."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self.by_method: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    def add(self, record: CallRecord) -> None:
        self.records.append(record)
        self.by_method[record.method] += 1
        self.by_status[record.status] += 1

    def select(self, method: str | None = None) -> list[CallRecord]:
        if method is None:
            return list(self.records)
        wanted = method.lower()
        return [r for r in self.records if r.method.lower() == wanted]

    def stats(self) -> dict[str, Any]:
        errors: Counter[str] = Counter(r.method for r in self.records if r.status != 200)
        return {
            "total": len(self.records),
            "by_method": dict(self.by_method),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "errors_by_method": dict(errors),
            "too_many_requests": self.by_status.get(429, 0),
        }

    def clear(self) -> None:
        self.records.clear()
        self.by_method.clear()
        self.by_status.clear()
