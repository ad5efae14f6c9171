"""Telegram's side of a webhook: each pending update is posted to the URL the bot set.

As Telegram does: one update per request (JSON body), with the `secret_token` the bot gave
in the `X-Telegram-Bot-Api-Secret-Token` header; a 2xx answer confirms the update, anything
else (another status, a refused connection, a time-out) leaves it pending and the same update
is posted again after a growing pause. Up to `max_connections` requests are in flight, but one
chat's updates go one at a time and in order, so a person's taps arrive as they were made.
`getWebhookInfo` shows the pending count and the last error.

A 2xx answer may name a Bot API call, as JSON with its `method` and parameters: Telegram
makes that call for the bot, and nobody learns its result. So does the fake (`perform`, the
server's, which logs it like a request).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from fakegram.state import FakeState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - the header's name
# Pauses before posting again after consecutive failures (Telegram's grow to minutes; a test
# should not wait that long). The last one repeats.
RETRY_DELAYS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0)
REQUEST_SECONDS = 60.0  # Telegram gives up on an answer after about a minute


@dataclass
class WebhookStatus:
    """What getWebhookInfo reports besides the URL."""

    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0  # updates confirmed by a 2xx
    failed_attempts: int = 0  # posts answered otherwise, or not at all
    # update_id → when (time.monotonic(), as the call log's) its post was answered with a 2xx
    confirmed_at: dict[int, float] = field(default_factory=dict)


def chat_of(update: dict[str, Any]) -> object:
    """The chat an update belongs to, for ordering (None: ordered among themselves)."""
    for key, payload in update.items():
        if not isinstance(payload, dict):
            continue
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if isinstance(chat, dict):
            return chat.get("id")
        sender = payload.get("from")
        if isinstance(sender, dict):
            return sender.get("id")
        return key
    return None


class WebhookPusher:
    """Posts pending updates to the webhook while one is set; started with the server."""

    def __init__(self, state: FakeState, pending: Callable[[], list[dict[str, Any]]]) -> None:
        self.state = state
        self.pending = pending
        self.status = WebhookStatus()
        self._in_flight: dict[int, object] = {}  # update id → its chat
        self._failures = 0
        self._retry_at = 0.0
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._deliveries: set[asyncio.Task[None]] = set()
        # Makes the call a 2xx answer names (set by the server; None: such calls are ignored).
        self.perform: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    def reset(self) -> None:
        """A new webhook (or none): its errors and pause start afresh."""
        self.status = WebhookStatus()
        self._failures = 0
        self._retry_at = 0.0
        self.state.notifier.notify()

    async def start(self) -> None:
        self._stopping = False
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS))
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        # Flagged as well as cancelled: Python 3.11's asyncio.wait_for (in the Notifier) can
        # swallow a cancellation that comes as its event fires.
        self._stopping = True
        self.state.notifier.notify()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for delivery in list(self._deliveries):
            delivery.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _due(self) -> list[dict[str, Any]]:
        """Pending updates that may be posted now: each the first of its chat not in flight."""
        profile = self.state.profile
        loop_time = asyncio.get_running_loop().time()
        if (
            not profile.webhook_url
            or loop_time < self._retry_at
            or self.state.closing
            or self._stopping
        ):
            return []
        room = profile.webhook_max_connections - len(self._in_flight)
        busy = set(self._in_flight.values())
        due = []
        for update in self.pending():
            chat = chat_of(update)
            if update["update_id"] not in self._in_flight and chat not in busy:
                due.append(update)
            busy.add(chat)  # later updates of this chat wait for this one
            if len(due) >= room:
                break
        return due

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            wait = max(0.0, self._retry_at - loop.time()) or 1.0
            await self.state.notifier.wait_for(lambda: self._stopping or bool(self._due()), wait)
            for update in self._due():
                self._in_flight[update["update_id"]] = chat_of(update)
                task = asyncio.create_task(self._deliver(update))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, update: dict[str, Any]) -> None:
        profile = self.state.profile
        url, secret = profile.webhook_url, profile.webhook_secret
        headers = {SECRET_HEADER: secret} if secret else {}
        error: str | None = None
        reply: Any = None
        try:
            assert self._session is not None
            async with self._session.post(url, json=update, headers=headers) as answer:
                body = await answer.read()
                if not 200 <= answer.status < 300:
                    error = f"Wrong response from the webhook: {answer.status} {answer.reason}"
                elif answer.content_type == "application/json":
                    reply = _json_or_none(body)
        except (aiohttp.ClientError, TimeoutError) as failure:
            error = f"Connection failed: {type(failure).__name__}"
        finally:
            self._in_flight.pop(update["update_id"], None)
        if error is None:
            self.state.updates[:] = [
                u for u in self.state.updates if u["update_id"] != update["update_id"]
            ]
            self.status.delivered += 1
            self.status.confirmed_at[update["update_id"]] = time.monotonic()
            self._failures = 0
            named = isinstance(reply, dict) and isinstance(reply.get("method"), str)
            if named and self.perform is not None:
                method = reply.pop("method")
                await self.perform(method, reply)
        else:
            self.status.failed_attempts += 1
            self.status.last_error_date = int(time.time())
            self.status.last_error_message = error
            delay = RETRY_DELAYS[min(self._failures, len(RETRY_DELAYS) - 1)]
            self._failures += 1
            self._retry_at = asyncio.get_running_loop().time() + delay
        self.state.notifier.notify()


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
