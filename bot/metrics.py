"""What the bot counts for Prometheus (`/metrics`): one registry per process, and the metrics.

Counting sits where the events happen, in `bot/telegram/` (the services stay free of it):
updates as they are handled (`handling`, around each update in `fairness.py`), failures on
the way to Telegram (`transient.py`), deliveries (`jobs.py`, `sender.py`), errors (the error
handler). Gauges of things that exist anyway (queues, the heavy jobs, the database pool) are
not updated on the hot path at all: `watch` names an object and how to read it, and the
reading happens when Prometheus scrapes (a custom collector).

Labels stay bounded: update kinds, outcomes, Bot API method names, exception class names,
delivery kinds; never a person, a chat or free text.

The registry is our own, not prometheus-client's global one: nothing a library registers by
itself ends up on our page, and the tests read exactly what the bot counted.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()

# Counted by the webhook server (bot/web/): requests without the right secret, too large, …
WEBHOOK_REFUSED = Counter(
    "normsbot_webhook_refused",
    "Webhook requests refused, by reason",
    ["reason"],
    registry=REGISTRY,
)
UPDATES_HANDLED = Counter(
    "normsbot_updates_handled",
    "Updates handled, by kind (command, message, callback_query, …) and outcome (ok, "
    "refused, error, skipped_repeat, skipped_flood)",
    ["kind", "outcome"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "normsbot_handler_seconds",
    "Time from an update's turn to the end of its handling (its queue wait excluded)",
    ["kind"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "normsbot_errors",
    "Unexpected exceptions (bugs, and failures no retry absorbed), by exception type",
    ["type"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "normsbot_deliveries",
    "Reminders, digests and notices: planned, then sent, retry, failed, unreachable or lost",
    ["kind", "outcome"],
    registry=REGISTRY,
)
TRANSIENT_FAILURES = Counter(
    "normsbot_telegram_transient_failures",
    "Bot API calls that failed on the way (time-out, 5xx, dropped connection), by method",
    ["method"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "normsbot_telegram_rate_limited",
    "Bot API calls answered 429 Too Many Requests, by method",
    ["method"],
    registry=REGISTRY,
)
RETRY_AFTER_SECONDS = Counter(
    "normsbot_telegram_retry_after_seconds",
    "Seconds Telegram asked us to wait in its 429 answers, summed",
    registry=REGISTRY,
)


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # a refusal the person was told (no right, stale or forged button, …)
    SKIPPED_REPEAT = "skipped_repeat"  # an update handled before (served again)
    SKIPPED_FLOOD = "skipped_flood"  # beyond a person's backlog: never handled
    ERROR = "error"  # the error handler ran


# A later mark replaces an earlier one only if it says more: an error beats a refusal.
_RANK = {
    Outcome.OK: 0,
    Outcome.SKIPPED_REPEAT: 1,
    Outcome.REFUSED: 2,
    Outcome.SKIPPED_FLOOD: 3,
    Outcome.ERROR: 4,
}


@dataclass(slots=True)
class Handling:
    """The update being handled by the current task: what it is and how it ends."""

    kind: str
    handler: str | None = None  # "module.function" of the handler body, once one runs
    outcome: Outcome = Outcome.OK


_handling: ContextVar[Handling | None] = ContextVar("normsbot_handling", default=None)


@contextmanager
def handling(kind: str) -> Iterator[Handling]:
    """Count and time the handling of one update of `kind`, run inside the block."""
    current = Handling(kind)
    token = _handling.set(current)
    start = time.perf_counter()
    try:
        yield current
    finally:
        HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - start)
        UPDATES_HANDLED.labels(kind, current.outcome.value).inc()
        _handling.reset(token)


def current() -> Handling | None:
    """The update the current task handles, if any (None in jobs)."""
    return _handling.get()


def mark(outcome: Outcome) -> None:
    """Say how the current update ends; outside an update's handling it does nothing."""
    now = _handling.get()
    if now is not None and _RANK[outcome] > _RANK[now.outcome]:
        now.outcome = outcome


def count_error(error: BaseException | None) -> None:
    ERRORS.labels(type(error).__name__ if error is not None else "unknown").inc()


def count_rate_limited(method: str, seconds: float) -> None:
    RATE_LIMITED.labels(method).inc()
    RETRY_AFTER_SECONDS.inc(seconds)


# --------------------------------------------------------------------------- read when scraped

T = TypeVar("T")

LIVE_GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "normsbot_updates_in_progress": (
        "Updates holding one of the concurrent_updates slots (handled or waiting their turn)",
        (),
    ),
    "normsbot_queue_depth": (
        "Work waiting: updates fetched not yet taken (updates), updates waiting behind the "
        "same person's (fairness), charts and exports waiting for a worker (offload)",
        ("queue",),
    ),
    "normsbot_heavy_jobs_running": ("Charts and exports being made in worker processes", ()),
    "normsbot_db_connections_in_use": (
        "Database connections checked out of the pool (write; read: SQLite's reading engine)",
        ("pool",),
    ),
}


@dataclass(frozen=True, slots=True)
class _Source:
    family: str
    labels: tuple[str, ...]
    owner: weakref.ref[Any]
    read: Callable[[Any], float]


class LiveCollector(Collector):
    """Gauges read from the objects that hold them, when Prometheus scrapes.

    Sources are held weakly: an application that stopped (a test's, a restarted one) drops
    out by itself. Several live sources of one gauge and labels (two applications in one
    process) are summed.
    """

    def __init__(self) -> None:
        self._sources: list[_Source] = []
        self._lock = threading.Lock()

    def watch(self, family: str, owner: T, read: Callable[[T], float], **labels: str) -> None:
        names = LIVE_GAUGES[family][1]
        if set(labels) != set(names):
            raise ValueError(f"{family} takes the labels {names}, not {sorted(labels)}")
        source = _Source(family, tuple(labels[n] for n in names), weakref.ref(owner), read)
        with self._lock:
            self._sources.append(source)

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(n, h, labels=list(lb)) for n, (h, lb) in LIVE_GAUGES.items()]

    def collect(self) -> Iterable[Metric]:
        totals: dict[str, dict[tuple[str, ...], float]] = {name: {} for name in LIVE_GAUGES}
        with self._lock:
            alive = [s for s in self._sources if s.owner() is not None]
            self._sources = alive
        for source in alive:
            owner = source.owner()
            if owner is None:
                continue
            try:
                value = float(source.read(owner))
            except Exception:  # noqa: S112 - a gauge that cannot be read is left out, not fatal
                continue
            values = totals[source.family]
            values[source.labels] = values.get(source.labels, 0.0) + value
        families = []
        for name, (help_text, label_names) in LIVE_GAUGES.items():
            family = GaugeMetricFamily(name, help_text, labels=list(label_names))
            for label_values, value in totals[name].items():
                family.add_metric(list(label_values), value)
            families.append(family)
        return families


LIVE = LiveCollector()
REGISTRY.register(LIVE)


def watch(family: str, owner: T, read: Callable[[T], float], **labels: str) -> None:
    """Report `read(owner)` as the gauge `family` (one of `LIVE_GAUGES`) while `owner` lives."""
    LIVE.watch(family, owner, read, **labels)


def exposition() -> tuple[bytes, str]:
    """The page for `/metrics`: its body and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
