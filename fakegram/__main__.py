"""Run the fake Bot API as a process: ``python -m fakegram --token T --port P``.

Prints ``READY <base_url>`` on stdout once listening, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from fakegram.limits import RateLimits
from fakegram.server import FakeBotAPI


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fakegram", description=__doc__)
    parser.add_argument("--token", required=True, help="the bot token the server accepts")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--username", default="normsbot_bot", help="the bot's @username")
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram-like flood control"
    )
    parser.add_argument("--callback-query-timeout", type=float, default=15.0)
    parser.add_argument(
        "--webhook-http",
        action="store_true",
        help="accept a webhook at http:// on loopback (Telegram wants https://)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    api = FakeBotAPI(
        token=args.token,
        bot_username=args.username,
        host=args.host,
        port=args.port,
        rate_limits=RateLimits() if args.rate_limits else None,
        callback_query_timeout=args.callback_query_timeout,
        webhook_http=args.webhook_http,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with api:
        print(f"READY {api.base_url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
