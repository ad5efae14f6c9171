"""A fake Telegram Bot API server speaking the real protocol over HTTP on loopback.

Point python-telegram-bot at it with ``base_url=f"{api.base_url}/bot"`` and
``base_file_url=f"{api.base_url}/file/bot"``. Simulated users and assertions go through the
control API under ``/_fake/`` (see :mod:`fakegram.control` and :mod:`fakegram.client`).

    async with FakeBotAPI(token="123:abc") as api:
        ...  # api.base_url == "http://127.0.0.1:<port>"
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from fakegram.botapi import BotApi
from fakegram.calls import CallLog, CallRecord
from fakegram.control import ControlApi, error_middleware
from fakegram.errors import ApiError, forbidden, too_many_requests
from fakegram.faults import FaultInjector, FaultKind, FaultRule
from fakegram.limits import RateLimiter, RateLimits
from fakegram.params import Params
from fakegram.state import FakeState, User

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 60 * 1024 * 1024
CLIENT_GONE = 499  # logged status of calls whose client disconnected before the answer
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class FakeBotAPI:
    """The fake server: Bot API at ``/bot<token>/<method>``, files at ``/file/bot<token>/...``."""

    def __init__(
        self,
        *,
        token: str,
        bot_username: str = "normsbot_bot",
        bot_id: int = 7000000001,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        callback_query_timeout: float = 15.0,
        strict_html: bool = True,
        bot_first_name: str = "Normsbot",
        fault_seed: int | None = None,
        webhook_http: bool = False,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.state = FakeState(bot_id, bot_username, bot_first_name)
        self.botapi = BotApi(
            self.state,
            callback_query_timeout=callback_query_timeout,
            strict_html=strict_html,
            webhook_http=webhook_http,
        )
        self.faults = FaultInjector(fault_seed)
        self.log = CallLog()
        self.botapi.webhook.perform = self._perform_reply
        self.limiter = RateLimiter(rate_limits) if rate_limits is not None else None
        self.control = ControlApi(self)
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES, middlewares=[error_middleware])
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self.control.add_routes(app.router)
        return app

    async def start(self) -> None:
        if self._runner is not None:
            return
        self.state.closing = False
        runner = web.AppRunner(
            self.make_app(), shutdown_timeout=0.5, handle_signals=False, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        await self.botapi.webhook.start()  # posts updates while the bot has a webhook set

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.state.closing = True
        self.state.notifier.notify()
        await self.botapi.webhook.stop()
        await asyncio.sleep(0)
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """What python-telegram-bot wants as ``base_url``."""
        return f"{self.base_url}/bot"

    @property
    def bot_base_file_url(self) -> str:
        """What python-telegram-bot wants as ``base_file_url``."""
        return f"{self.base_url}/file/bot"

    # --- Python-side control ----------------------------------------------------------------

    @property
    def callback_query_timeout(self) -> float:
        return self.botapi.callback_query_timeout

    @callback_query_timeout.setter
    def callback_query_timeout(self, seconds: float) -> None:
        self.botapi.callback_query_timeout = seconds

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        started: bool = False,
    ) -> User:
        user = User(user_id, first_name, last_name, username, language_code, started=started)
        return self.state.add_user(user)

    def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        self.state.users[user_id].blocked = blocked

    def inject_fault(
        self,
        method: str,
        kind: FaultKind,
        *,
        count: int = 1,
        chat_id: int | None = None,
        retry_after: int = 5,
        delay: float = 1.0,
        status: int = 500,
        processed: bool = False,
        share: float = 1.0,
    ) -> FaultRule:
        rule = FaultRule(method, kind, count, chat_id, retry_after, delay, status, processed, share)
        self.faults.add(rule)
        return rule

    @property
    def webhook_http(self) -> bool:
        """Whether a webhook may be plain http:// on loopback (for tests of a bot's webhook)."""
        return self.botapi.webhook_http

    @webhook_http.setter
    def webhook_http(self, allowed: bool) -> None:
        self.botapi.webhook_http = allowed

    def clear_faults(self) -> None:
        self.faults.clear()

    def calls(self, method: str | None = None) -> list[CallRecord]:
        return self.log.select(method)

    def stats(self) -> dict[str, Any]:
        return self.log.stats()

    def reset(self) -> None:
        """Forget users, chats, files, updates, faults, logs and flood state (not the token)."""
        self.state.reset()
        self.botapi.webhook.reset()
        self.faults.clear()
        self.log.clear()
        if self.limiter is not None:
            self.limiter.reset()

    # --- HTTP handlers ----------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        record = CallRecord(
            method=method,
            params={},
            chat_id=None,
            status=0,
            description=None,
            monotonic=time.monotonic(),
            wall_time=time.time(),
        )
        drop_after = False
        html_page: str | None = None
        try:
            params = await Params.from_request(request)
            record.params = params.loggable()
            record.chat_id = params.chat_id_value()
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if method.lower() not in self.botapi.methods:
                raise ApiError(404, "Not Found: method not found")
            fault = self.faults.take(method, record.chat_id)
            if fault is not None:
                record.fault = fault.kind
                if fault.kind == "drop" and not fault.processed:
                    return self._drop(request, record)
                drop_after = fault.kind == "drop"
                await self._apply_fault(fault)
            if self.limiter is not None:
                retry_after = self.limiter.check(method, record.chat_id, record.monotonic)
                if retry_after is not None:
                    raise too_many_requests(retry_after)
            result = await self.botapi.call(method, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.payload()
            record.description = exc.description
            if exc.html is not None:
                html_page = exc.html
        except Exception:
            logger.exception("fake Bot API failed on %s", method)
            status = 500
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            record.description = "Internal Server Error"
        if drop_after:
            record.description = record.description or "processed, answer dropped"
            return self._drop(request, record)
        record.status = status
        if request.transport is None or request.transport.is_closing():
            # e.g. a long poll the bot cancelled while shutting down: nobody reads this answer
            record.status = CLIENT_GONE
            record.description = f"client went away before the answer ({status})"
        self._finish(record)
        if html_page is not None:
            return web.Response(text=html_page, status=status, content_type="text/html")
        return web.json_response(body, status=status)

    async def _perform_reply(self, method: str, values: dict[str, Any]) -> None:
        """The call a webhook's response named, made as Telegram makes it: logged as a call
        `via` "webhook_reply"; its result or error reaches nobody."""
        params = Params(values, {})
        record = CallRecord(
            method=method,
            params=params.loggable(),
            chat_id=params.chat_id_value(),
            status=200,
            description=None,
            monotonic=time.monotonic(),
            wall_time=time.time(),
            via="webhook_reply",
        )
        try:
            await self.botapi.call(method, params)
        except ApiError as exc:
            record.status, record.description = exc.status, exc.description
        self._finish(record)

    async def _apply_fault(self, fault: FaultRule) -> None:
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        elif fault.kind == "retry_after":
            raise too_many_requests(fault.retry_after)
        elif fault.kind == "forbidden":
            raise forbidden("bot was blocked by the user")
        elif fault.kind == "server_error":
            if fault.status == 502:  # the proxy in front of Telegram answers with a page
                raise ApiError(502, "Bad Gateway", html=BAD_GATEWAY_PAGE)
            raise ApiError(fault.status, "Internal Server Error")

    def _drop(self, request: web.Request, record: CallRecord) -> web.StreamResponse:
        record.status = 0
        record.description = record.description or "connection dropped"
        self._finish(record)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _finish(self, record: CallRecord) -> None:
        record.duration = time.monotonic() - record.monotonic
        self.log.add(record)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = self.state.files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )
