"""The connection pool under the bot's Bot API calls: aiohttp's, through httpx-aiohttp.

PTB talks HTTP through httpx, and httpx by default through httpcore. httpcore's pool, on every
request and on every response, walks all its connections and asks each idle one whether its
socket became readable (one `poll` system call each). A busy bot keeps dozens of connections
open, so in the answer-path benchmark that walk was the largest single cost: half of the
bot's CPU per answer. aiohttp's pool hands out an idle connection without looking at the
others. httpx-aiohttp (by one of httpx's maintainers) plugs it in as an httpx transport, so
PTB, its time-outs and its errors stay as they are: what `AiohttpTransport` raises is httpx's
own exceptions, which PTB turns into `TimedOut` and `NetworkError`.

Two additions here: a closed transport opens a new pool on its next request (PTB closes its
client on shutdown and builds a new one with the same transport on the next initialize), and
an aiohttp error the library does not translate still reaches PTB as an httpx error, so a
failure on the way is never taken for a bug.
"""

from __future__ import annotations

import ssl

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class BotApiTransport(AiohttpTransport):
    """aiohttp's pool of at most `pool_size` connections, as an httpx transport."""

    def __init__(self, *, pool_size: int, tls: ssl.SSLContext) -> None:
        super().__init__(
            verify=tls,
            # httpx's default keep-alive (5 s); every connection may stay open between bursts.
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as error:  # one httpx-aiohttp leaves as it is
            raise httpx.TransportError(f"{type(error).__name__}: {error}") from error

    async def aclose(self) -> None:
        await super().aclose()
        self.client = None  # the next request opens a new pool (see the module's docstring)
