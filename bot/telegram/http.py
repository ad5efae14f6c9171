"""The connection pool under the bot's Bot API calls: aiohttp's, through httpx-aiohttp.

PTB talks HTTP through httpx, and httpx by default through httpcore. httpcore's pool, on every
request and on every response, walks all its connections and asks each idle one whether its
socket became readable (one `poll` system call each). A busy bot keeps dozens of connections
open, so in the answer-path benchmark that walk was the largest single cost: half of the
bot's CPU per answer. aiohttp's pool hands out an idle connection without looking at the
others. httpx-aiohttp (by one of httpx's maintainers) plugs it in as an httpx transport, so
PTB, its time-outs and its errors stay as they are: what `AiohttpTransport` raises is httpx's
own exceptions, which PTB turns into `TimedOut` and `NetworkError`.

Three additions here: a closed transport opens a new pool on its next request (PTB closes its
client on shutdown and builds a new one with the same transport on the next initialize); an
aiohttp error the library does not translate still reaches PTB as an httpx error, so a
failure on the way is never taken for a bug; and PTB's write time-out is kept (`_bound`).
"""

from __future__ import annotations

import asyncio
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
            async with asyncio.timeout(_bound(request)):
                return await super().handle_async_request(request)
        except TimeoutError as error:
            raise httpx.TimeoutException("no answer within the request's time-outs") from error
        except aiohttp.ClientError as error:  # one httpx-aiohttp leaves as it is
            raise httpx.TransportError(f"{type(error).__name__}: {error}") from error

    async def aclose(self) -> None:
        await super().aclose()
        self.client = None  # the next request opens a new pool (see the module's docstring)


def _bound(request: httpx.Request) -> float | None:
    """The longest a request may take until its answer's headers: its pool, connect, write and
    read time-outs together (None when one of them is unlimited).

    aiohttp applies the pool, connect and read time-outs, but has none for writing: an upload
    to a peer that stopped reading would otherwise wait as long as the kernel keeps the
    connection. Reading the body afterwards stays under aiohttp's read time-out.
    """
    timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
    parts = [timeouts.get(phase) for phase in ("pool", "connect", "write", "read")]
    if any(part is None for part in parts):
        return None
    return float(sum(part for part in parts if part is not None))
