"""Prometheus metrics of one bot process, served at /metrics by the web server (bot/web/).

One registry of our own rather than prometheus-client's global one: what /metrics shows is
exactly what normsbot defines here, and tests can read a counter without another test's.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

REGISTRY = CollectorRegistry()

WEBHOOK_REFUSED = Counter(
    "normsbot_webhook_refused",
    "Webhook requests refused, by reason (secret, too_large, bad_request)",
    ["reason"],
    registry=REGISTRY,
)


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
