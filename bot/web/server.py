"""`normsbot run` in either mode, with the web server beside the bot in one event loop.

Long polling is the default. With `NORMSBOT_WEBHOOK_URL` set, the bot starts its web server
on `NORMSBOT_LISTEN` first and then tells Telegram to post there (setWebhook with the secret
and the update kinds it handles); Telegram then pushes each update, which the webhook route
puts on the application's update queue, the same queue polling fills. As python-telegram-bot's
own custom-webhook example does, Uvicorn serves a Starlette app; here it runs inside the bot's
event loop rather than owning it. In polling mode the same server (health and metrics only)
runs when `NORMSBOT_HEALTH_LISTEN` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from telegram.error import BadRequest

from bot.bootstrap import SetupError
from bot.config import host_port
from bot.heap import start_up_frozen
from bot.telegram.app import polling, set_webhook, started
from bot.telegram.runtime import App, Runtime
from bot.web.app import Webhook, make_app
from bot.web.health import ReadinessCheck

log = logging.getLogger(__name__)

# Seconds the web server gives requests in flight when it stops: each answers once its update
# was handled, which takes well under a second (heavy work is handed off; Telegram itself
# gives up on an answer after about a minute and posts the update again).
GRACEFUL_SECONDS = 10


class _EmbeddedServer(uvicorn.Server):
    """Uvicorn without its signal handling: the bot's process decides when to stop. (Uvicorn's
    own would raise SIGTERM again after its shutdown, ending the process before the bot had
    finished the updates it holds.)"""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """Uvicorn serving `app` on `listen` (host:port; port 0 picks a free one), in this loop."""

    def __init__(self, app: Starlette, listen: str) -> None:
        self.listen = listen
        self._server = _EmbeddedServer(
            uvicorn.Config(
                app,
                log_config=None,  # our logging (bot/logs.py) and its masks, not uvicorn's own
                access_log=False,
                lifespan="off",
                server_header=False,
                # Uvicorn's C parser, not the pure-Python h11 ("auto" picks it when installed;
                # named, so a missing httptools is a start-up error, not a slower server): each
                # update is one request, and h11's parsing was most of what a webhook update
                # cost beyond a polled one.
                http="httptools",
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
            )
        )
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def protocol(self) -> type[asyncio.Protocol]:
        """Uvicorn's HTTP implementation serving the requests (known once the server started)."""
        return self._server.config.http_protocol_class

    async def start(self) -> None:
        host, port = host_port(self.listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            # Bound here, not by Uvicorn: a taken port is one line of set-up error, not an
            # exit from inside Uvicorn.
            sock = socket.create_server((host, port), family=family)
        except OSError as error:
            raise SetupError(f"cannot listen on {self.listen}: {error.strerror}") from None
        self.port = sock.getsockname()[1]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:  # Uvicorn has no event for it
            if self._task.done():
                self._task.result()
                raise SetupError(f"the web server on {self.listen} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True  # no new connections; requests in flight finish
        await self._task
        self._task = None


@dataclass
class Serving:
    """The running bot's web side: its server (None when polling without health) and checks."""

    web: WebServer | None
    readiness: ReadinessCheck


@contextlib.asynccontextmanager
async def running(application: App, rt: Runtime) -> AsyncIterator[Serving]:
    """The bot taking updates in its mode inside an `async with`; stopping on the way out
    finishes the updates already taken (`normsbot run`, the tests, the demo).

    Once it has started, everything start-up built is kept out of the collector's full
    passes (`bot/heap.py`): they were the slowest percent of taps.
    """
    async with _taking_updates(application, rt) as serving:
        with start_up_frozen():
            yield serving


@contextlib.asynccontextmanager
async def _taking_updates(application: App, rt: Runtime) -> AsyncIterator[Serving]:
    settings = rt.settings
    readiness = ReadinessCheck(application, rt)
    if not settings.webhook_url:
        async with polling(application):
            web = WebServer(make_app(readiness), settings.health_listen)
            if settings.health_listen:
                await web.start()
                log.info("health and metrics on http://%s", settings.health_listen)
            try:
                yield Serving(web if settings.health_listen else None, readiness)
            finally:
                await web.stop()
        return
    secret = settings.webhook_secret.get_secret_value()
    path = urlsplit(settings.webhook_url).path or "/"
    async with started(application):
        web = WebServer(make_app(readiness, Webhook(path, secret, application)), settings.listen)
        await web.start()  # listening before Telegram is told to post
        try:
            try:
                await set_webhook(application, settings.webhook_url, secret)
            except BadRequest as error:
                raise SetupError(
                    f"Telegram refused the webhook NORMSBOT_WEBHOOK_URL "
                    f"{settings.webhook_url}: {error.message}"
                ) from None
            log.info(
                "webhook %s served on http://%s%s (and health, metrics)",
                settings.webhook_url,
                settings.listen,
                path,
            )
            yield Serving(web, readiness)
        finally:
            await web.stop()


async def serve(application: App, rt: Runtime) -> None:
    """`normsbot run`: take updates until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        async with running(application, rt):
            await stop.wait()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
