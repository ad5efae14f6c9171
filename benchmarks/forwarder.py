"""A small round-robin HTTP forwarder: the benchmark's stand-in for Caddy in front of two bots.

    python -m benchmarks.forwarder --to http://127.0.0.1:8081 --to http://127.0.0.1:8082

In production (docs/deployment.md) Caddy forwards Telegram's webhook posts to whichever bot
process is next; here this process does the same on loopback, one request to each upstream in
turn, with keep-alive connections to each. It copies the method, path, body and the headers a
bot reads (the secret token, the content type), and hands back the upstream's status, body and
content type (a bot's 200 may carry a call for Telegram to make, as JSON).
It prints `READY <base URL>` once it listens, like the fake Bot API.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import socket
import sys
from collections.abc import Sequence

import aiohttp
from aiohttp import web

# The headers a bot's webhook reads; others (Host, Connection) belong to each hop.
FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")
REQUEST_SECONDS = 60.0  # as Telegram: an update not answered by then is posted again


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.forwarder", description=__doc__)
    parser.add_argument("--to", action="append", required=True, help="an upstream base URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    upstreams = itertools.cycle([url.rstrip("/") for url in args.to])
    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS),
        connector=aiohttp.TCPConnector(limit=0),
    )

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers
        }
        try:
            async with session.request(
                request.method, next(upstreams) + request.path_qs, data=body, headers=headers
            ) as answer:
                content = await answer.read()
                return web.Response(
                    status=answer.status, body=content, content_type=answer.content_type
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            return web.Response(status=502, text=f"upstream failed: {type(error).__name__}\n")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.create_server((args.host, args.port))  # bound here to learn the port
    port = sock.getsockname()[1]
    await web.SockSite(runner, sock).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    print(f"READY http://{args.host}:{port}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await session.close()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
