"""The routes of the bot's web server (a Starlette app): Telegram's webhook, the health
checks and the metrics. Nothing here decides anything about an update: the webhook checks the
request and hands the update to the same `Application` that polling feeds, answering Telegram
once it was handled.

- `POST <path of NORMSBOT_WEBHOOK_URL>`: an update from Telegram. Without the secret Telegram
  was given (header `X-Telegram-Bot-Api-Secret-Token`, compared in constant time) → 403; a
  body over `MAX_BODY_BYTES` → 413, read no further; not an update in JSON → 400. Each refusal
  is counted in `normsbot_webhook_refused{reason}` and logged at most once a minute. A 200,
  sent once the update was handled, tells Telegram the update is done: any other answer, or
  none, and it posts it again later. The 200 carries the answer to a button press, if the
  handling gave one (`bot/telegram/webhook_reply.py`).
- `GET /healthz`: the process is alive (its event loop answered).
- `GET /readyz`: ready to work (see health.py); 503 with the problems, one per line.
- `GET /metrics`: Prometheus' text format (bot/metrics.py).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot import metrics
from bot.telegram.runtime import App
from bot.telegram.webhook_reply import Reply
from bot.web.health import ReadinessCheck

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - the header's name
# Telegram's largest update (a message with a long text, entities and a keyboard) is a few
# tens of kilobytes; a mebibyte leaves room and keeps a flood of junk from filling memory.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts (the path of the webhook URL) and the secret it sends."""

    path: str
    secret: str
    application: App


def make_app(readiness: ReadinessCheck, webhook: Webhook | None = None) -> Starlette:
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", _readyz(readiness), methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if webhook is not None:
        routes.append(Route(webhook.path, _receiver(webhook), methods=["POST"]))
    return Starlette(routes=routes)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


def _readyz(readiness: ReadinessCheck) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        result = await readiness()
        if result.ready:
            return PlainTextResponse("ready\n")
        return PlainTextResponse("".join(f"{line}\n" for line in result.problems), status_code=503)

    return readyz


async def metrics_page(request: Request) -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


class _RefusalLog:
    """One log line for the first refused request, then at most one a minute with the count
    since: a scanner's flood is in the metrics, and must not fill the logs."""

    INTERVAL = 60.0

    def __init__(self) -> None:
        self.quiet_until = 0.0
        self.unlogged = 0

    def refused(self, status: int, why: str) -> None:
        now = time.monotonic()
        if now < self.quiet_until:
            self.unlogged += 1
            return
        more = f" (and {self.unlogged} more since the last line)" if self.unlogged else ""
        log.info("webhook request refused (%d): %s%s", status, why, more)
        self.quiet_until, self.unlogged = now + self.INTERVAL, 0


def _refuse(refusals: _RefusalLog, status: int, reason: str, why: str) -> Response:
    metrics.WEBHOOK_REFUSED.labels(reason).inc()
    refusals.refused(status, why)
    return PlainTextResponse(f"{why}\n", status_code=status)


def _receiver(webhook: Webhook) -> Callable[[Request], Awaitable[Response]]:
    secret = webhook.secret.encode()
    application = webhook.application
    refusals = _RefusalLog()

    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            return _refuse(refusals, 403, "secret", "wrong or missing secret token")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return _refuse(refusals, 413, "too_large", "body too large")
        body = bytearray()
        async for chunk in request.stream():  # a chunked body has no length to check first
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _refuse(refusals, 413, "too_large", "body too large")
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as error:
            return _refuse(refusals, 400, "bad_request", f"not a Telegram update: {error}"[:200])
        # Handled before the 200, as polling confirms an offset only after its updates: a
        # process that dies mid-update leaves Telegram to post it again (and the handled-once
        # record, bot/telegram/once.py, keeps a repeat of a finished one from acting twice).
        # Through the update processor, as PTB's own fetcher does: each person's lane and pace
        # (fairness.py) hold in both modes. A handler's error is the error handler's, still 200.
        with Reply() as reply:  # a button's answer rides on the 200 (webhook_reply.py)
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
        if reply.call is not None:
            return JSONResponse(reply.call)
        return Response(status_code=200)

    return receive_update
