"""How much memory one bot process holds after a day of activity at full enrolment.

    .venv/bin/python -m benchmarks.memory [--focal-points 1000] [--coordinators 11]
                                          [--taps 10] [--database sqlite|postgresql]

Issue 13's target: at 1,000 registered focal points and 11 coordinators, after a full day of
activity, at most 150 MB resident per process. The people are enrolled directly in the
database (as in `answer_path.py`); the day is then replayed through the fake Bot API against a
real `python -m bot run`:

- every focal point opens the chat with /start and answers `--taps` items with a status (a
  closed loop, `--parallel` people at a time), every tenth one also writes a comment and asks
  for /progress;
- every coordinator sends /start, /summary, /status for a country, /chart and /export (the
  chart and the workbook are made in the bot's worker process).

Printed, `name value`: `bot_rss_mb` (resident memory of the bot process at the end of the
day), `bot_peak_rss_mb` (its high-water mark, the kernel's VmHWM), `worker_peak_rss_mb` (the
largest of the worker processes that drew the charts and wrote the workbooks), the target
after each; and `#` lines with the day's counts and how long it took.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from benchmarks.common import (
    BenchError,
    Clients,
    PeakMemory,
    bot_env,
    enrol,
    scratch_database,
    start_bot,
    start_chats,
    start_fake_server,
    status_choice,
    wait_until_polling,
)
from bot.countries import ASEAN_MEMBER_STATES
from fakegram import Msg
from fakegram.client import FakeTelegramError

TARGET_MB = 150.0
FOCAL_FIRST_ID = 3_000_000
COORDINATOR_FIRST_ID = 4_000_000
BUSY = "try again in a minute"  # the bot's answer when too many charts and exports are running
BUSY_RETRIES, BUSY_WAIT_SECONDS = 10, 30.0
REPLY_SECONDS = 120.0  # a reply later than this: the bot failed (an export on a busy machine)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--focal-points", type=int, default=1000)
    parser.add_argument("--coordinators", type=int, default=11)
    parser.add_argument("--taps", type=int, default=10, help="statuses each focal point gives")
    parser.add_argument("--parallel", type=int, default=50, help="people acting at once")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


async def focal_point_day(
    clients: Clients, user_id: int, first: Msg, taps: int, rng: random.Random
) -> tuple[int, int]:
    """Statuses for `taps` items, and for one in ten a comment and /progress; the taps
    answered and those that failed (no next item shown: on a very busy machine SQLite's lock
    can time out, and the bot tells the person to try again)."""
    tg = clients.for_user(user_id)
    choose = status_choice(rng)
    message, done, failed = first, 0, 0
    for n in range(taps):
        try:
            if n == 0 and user_id % 10 == 0:
                message = await _comment(clients, user_id, message)
            seq = await tg.press_raw(user_id, message, choose(message))
            message = await tg.next_shown(user_id, seq, timeout=REPLY_SECONDS)
            done += 1
        except (BenchError, FakeTelegramError):
            failed += 1
            messages, _ = await tg.chat(user_id)
            message = [m for m in messages if m.from_bot and not m.deleted and m.buttons()][-1]
    if user_id % 10 == 0:
        user = await tg.user(user_id, f"User {user_id}", language_code="en")
        await user.command("progress")
        await user.expect(lambda m: True, timeout=REPLY_SECONDS)
    return done, failed


async def _comment(clients: Clients, user_id: int, message: Msg) -> Msg:
    """Press Comment, write one; the prompt shown after it."""
    tg = clients.for_user(user_id)
    comment = next(b for b in message.buttons() if "Comment" in b.text)
    assert comment.callback_data is not None
    seq = await tg.press_raw(user_id, message, comment.callback_data)
    await tg.next_shown(user_id, seq, timeout=REPLY_SECONDS)
    user = await tg.user(user_id, f"User {user_id}", language_code="en")
    await user.send(f"Comment of {user_id}: the law was amended in 2024.")
    return await tg.next_shown(user_id, user.action_seq, timeout=REPLY_SECONDS)


async def coordinator_day(clients: Clients, user_id: int, country: str) -> int:
    """/start, /summary, /status, /chart, /export; the replies received."""
    user = await clients.for_user(user_id).user(
        user_id, f"Coordinator {user_id}", language_code="en"
    )
    replies = 0
    for command, args, wanted in (
        ("start", (), lambda m: True),
        ("summary", (), lambda m: True),
        ("status", (country,), lambda m: True),
        ("chart", (), lambda m: m.photo is not None or m.document is not None),
        ("export", (), lambda m: m.document is not None),
    ):
        for _ in range(BUSY_RETRIES):
            await user.command(command, *args)
            reply = await user.expect(functools.partial(_reply_or_busy, wanted), REPLY_SECONDS)
            if BUSY not in reply.plain:
                break
            await asyncio.sleep(BUSY_WAIT_SECONDS)  # as the bot asks: try again in a minute
        replies += 1
    return replies


def _reply_or_busy(wanted: Callable[[Msg], bool], message: Msg) -> bool:
    return wanted(message) or BUSY in message.plain


def worker_peak_bytes(pid: int, seen: dict[int, int]) -> None:
    """The high-water marks of the bot's child processes (its worker pool), as now known."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                seen[child.pid] = max(seen.get(child.pid, 0), int(line.split()[1]) * 1024)


async def run(args: argparse.Namespace) -> int:
    focal_ids = [FOCAL_FIRST_ID + i for i in range(args.focal_points)]
    coordinator_ids = [COORDINATOR_FIRST_ID + i for i in range(args.coordinators)]
    countries = [info.code for info in ASEAN_MEMBER_STATES]
    # The replay taps faster than people do: lift the per-person limits, as answer_path does.
    settings = {"user_updates_per_second": "1000", "user_burst": "1000"}
    print(
        f"# {args.focal_points} focal points, {args.coordinators} coordinators, {args.taps} "
        f"taps each, {args.database}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="normsbot-bench-") as tmp,
        scratch_database(args.database, Path(tmp)) as database_url,
    ):
        enrol(database_url, focal_ids, coordinator_ids)
        server, base_url = start_fake_server()
        bot = start_bot(
            "normsbot",
            ["-m", "bot", "run"],
            bot_env(base_url, database_url, **settings),
            Path(tmp) / "normsbot.log",
        )
        workers: dict[int, int] = {}
        try:
            memory = PeakMemory(bot.pid)
            started = time.perf_counter()
            async with Clients(base_url, len(focal_ids) + len(coordinator_ids)) as clients:
                await wait_until_polling(clients.any, bot)
                limit = asyncio.Semaphore(args.parallel)
                rng = random.Random(args.seed)
                shown = await start_chats(clients, focal_ids)

                async def focal(user_id: int) -> tuple[int, int]:
                    async with limit:
                        return await focal_point_day(
                            clients, user_id, shown[user_id], args.taps, rng
                        )

                async def coordinator(index: int, user_id: int) -> int:
                    await asyncio.sleep(index * 10.0)  # through the day, not all at once
                    replies = await coordinator_day(
                        clients, user_id, countries[index % len(countries)]
                    )
                    worker_peak_bytes(bot.pid, workers)
                    return replies

                day = asyncio.gather(*(focal(user_id) for user_id in focal_ids))
                evening = asyncio.gather(
                    *(coordinator(n, user_id) for n, user_id in enumerate(coordinator_ids))
                )
                taps, replies = await asyncio.gather(day, evening)
            bot.check_alive()
            worker_peak_bytes(bot.pid, workers)
            rss = psutil.Process(bot.pid).memory_info().rss
            peak = memory.peak_bytes()
        except BaseException:
            if bot.log_path is not None and bot.log_path.exists():
                tail = bot.log_path.read_text(errors="replace").splitlines()[-30:]
                print("# last lines of the bot's log:", *tail, sep="\n", file=sys.stderr)
            raise
        finally:
            bot.stop()
            server.stop()
    print(
        f"# day replayed in {time.perf_counter() - started:.0f}s: {len(focal_ids)} /start, "
        f"{sum(done for done, _ in taps)} status taps ({sum(failed for _, failed in taps)} "
        f"failed), {len(focal_ids) // 10} comments and /progress, {sum(replies)} coordinator "
        f"replies; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    mb = 1024 * 1024
    print(f"bot_rss_mb {rss / mb:.1f}  (target <= {TARGET_MB:.0f})")
    print(f"bot_peak_rss_mb {peak / mb:.1f}  (target <= {TARGET_MB:.0f})")
    worker = max(workers.values(), default=0)
    print(f"worker_peak_rss_mb {worker / mb:.1f}  (target <= {TARGET_MB:.0f})", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return asyncio.run(run(parse_args(argv)))
    except BenchError as error:
        print(f"# FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
