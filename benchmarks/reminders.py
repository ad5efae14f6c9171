"""How fast and how exactly reminders go out: 2,000 due reminders through Telegram's limits.

    .venv/bin/python -m benchmarks.reminders                     # both runs below
    .venv/bin/python -m benchmarks.reminders --runs sqlite-1     # one process, SQLite
    .venv/bin/python -m benchmarks.reminders --runs postgresql-2 --reminders 5000

Each run starts the fake Bot API as a process with Telegram's flood limits switched on
(`python -m fakegram --rate-limits`: 30 messages a second overall, 1 a second per chat,
429 beyond them), seeds a fresh database with `--reminders` focal points whose reminder is
due (planned by the real planner, in the database), and starts the bot's real `Application`
in one or two worker processes (this script with `--worker`). Their JobQueue runs the real
sweeper, which claims the rows and sends through PTB's `AIORateLimiter`. The workers' clock
is set to a Tuesday at 04:00 UTC (inside working hours from Yangon to Dili) and runs on from
there.

Printed, one figure per line and run: `messages_per_second` (accepted sendMessage calls
over the time from the first call to the last), `http_429` (answers 429 from the server),
`duplicates` (messages beyond the first to one chat), `losses` (focal points who got no
reminder), and `seconds`. Targets: >= 28.5 messages a second, 0, 0, 0.

With two processes each takes half the overall rate (`--rate`, default 30 divided by the
number of processes): PTB's limiter counts per process, and Telegram counts per bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: `python benchmarks/reminders.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlmodel import func, select

from benchmarks.common import ROOT, TOKEN, BenchError, scratch_database
from bot.bootstrap import prepare_runtime
from bot.checklist import ASEAN_NORMS_ID
from bot.clock import FrozenClock
from bot.config import Settings
from bot.countries import ASEAN_MEMBER_STATES
from bot.db import Database
from bot.models import Delivery, Person, Role
from bot.services.actors import grant
from bot.services.reminders import ReminderPolicy, plan_reminders

NOW = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)  # Tuesday: 10:30 in Yangon, 13:00 in Dili
FIRST_USER = 3_000_000
RUNS = {
    "sqlite-1": ("sqlite", 1),
    "postgresql-1": ("postgresql", 1),
    "postgresql-2": ("postgresql", 2),
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reminders", description=__doc__)
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument(
        "--runs",
        nargs="+",
        choices=sorted(RUNS),
        default=["sqlite-1", "postgresql-2"],
        help="database and number of bot processes",
    )
    parser.add_argument("--rate", type=float, default=None, help="messages/s per process")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", default="bot", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class RunningClock:
    """A clock that starts at a chosen moment and runs at real speed from there."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def settings_for(
    database_url: str, base_url: str = "http://127.0.0.1:9", **extra: object
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_base_url": base_url,
        "database_url": database_url,
        "log_level": "WARNING",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


# --- the worker: the bot's application, its JobQueue and sweeper, no polling -----------------


async def worker(args: argparse.Namespace) -> int:
    from bot.telegram.app import build_application

    settings = settings_for(
        args.database_url,
        args.base_url,
        overall_messages_per_second=args.rate,
        sweep_interval_seconds=1.0,
    )
    rt = prepare_runtime(settings, clock=RunningClock(NOW + timedelta(minutes=1)), migrate=False)
    rt.instance = args.instance
    application = build_application(rt)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await application.initialize()
    await application.start()  # the JobQueue: the sweeper runs every second
    print("READY", flush=True)
    await stop.wait()
    await application.stop()
    await application.shutdown()
    return 0


# --- the benchmark ----------------------------------------------------------------------------


@dataclass
class Result:
    run: str
    accepted: int
    messages_per_second: float
    http_429: int
    duplicates: int
    losses: int
    seconds: float
    sent_rows: int


def seed(database_url: str, count: int) -> list[int]:
    """Focal points idle for ten days, their reminders planned by the real planner."""
    settings = settings_for(database_url)
    rt = prepare_runtime(settings, clock=FrozenClock(NOW - timedelta(days=10)))
    countries = [info.code for info in ASEAN_MEMBER_STATES]
    ids = list(range(FIRST_USER, FIRST_USER + count))
    since = NOW - timedelta(days=10)
    with rt.db.session() as session:
        people = [
            Person(
                telegram_id=telegram_id,
                display_name=f"Focal Point {telegram_id}",
                locale="en",
                country_code=countries[n % len(countries)],
                created_at=since,
                last_active_at=since,
            )
            for n, telegram_id in enumerate(ids)
        ]
        session.add_all(people)
        session.flush()
        for person in people:
            assert person.id is not None
            grant(session, person.id, ASEAN_NORMS_ID, Role.FOCAL_POINT)
    report = rt.db.call(
        plan_reminders,
        checklists=rt.checklists,
        policy=ReminderPolicy.from_settings(settings),
        now=NOW,
    )
    if report.planned != count:
        raise BenchError(f"planned {report.planned} reminders, expected {count}")
    rt.db.dispose()
    return ids


def start_fake_server() -> tuple[subprocess.Popen[bytes], str]:
    popen = subprocess.Popen(
        [sys.executable, "-m", "fakegram", "--token", TOKEN, "--port", "0", "--rate-limits"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert popen.stdout is not None
    line = popen.stdout.readline().decode().strip()
    if not line.startswith("READY "):
        popen.kill()
        raise BenchError(f"the fake Bot API did not start: {line!r}")
    return popen, line.removeprefix("READY ")


def start_worker(
    database_url: str, base_url: str, rate: float, name: str, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.reminders",
                "--worker",
                "--database-url",
                database_url,
                "--base-url",
                base_url,
                "--rate",
                str(rate),
                "--instance",
                name,
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return popen


def stop(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        popen.send_signal(signal.SIGINT)
        try:
            popen.wait(15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


async def register_users(http: httpx.AsyncClient, ids: list[int]) -> None:
    limit = asyncio.Semaphore(32)

    async def one(telegram_id: int) -> None:
        async with limit:
            response = await http.post(
                "/_fake/users",
                json={"id": telegram_id, "first_name": f"FP {telegram_id}", "started": True},
            )
            response.raise_for_status()

    await asyncio.gather(*(one(telegram_id) for telegram_id in ids))


async def accepted_so_far(http: httpx.AsyncClient) -> int:
    stats = (await http.get("/_fake/stats")).json()
    sent = int(stats["by_method"].get("sendMessage", 0))
    return sent - int(stats["errors_by_method"].get("sendMessage", 0))


def sent_rows(database_url: str) -> int:
    """Rows the bot recorded as sent (the workers also plan each person's next reminder)."""
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            return int(
                session.exec(
                    select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
                ).one()
            )
    finally:
        db.dispose()


async def measure(run: str, count: int, rate: float | None, limit: float, workdir: Path) -> Result:
    kind, processes = RUNS[run]
    per_process = rate or 30.0 / processes
    with scratch_database(kind, workdir) as database_url:
        ids = seed(database_url, count)
        server, base_url = start_fake_server()
        workers: list[subprocess.Popen[bytes]] = []
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                await register_users(http, ids)
                started = time.monotonic()
                for n in range(processes):
                    name = f"worker{n + 1}"
                    log = workdir / f"{run}-{name}.log"
                    workers.append(start_worker(database_url, base_url, per_process, name, log))
                last_progress, last_count = time.monotonic(), -1
                while True:
                    await asyncio.sleep(0.5)
                    for popen in workers:
                        if popen.poll() is not None:
                            raise BenchError(f"a worker exited; see {workdir}")
                    done = await accepted_so_far(http)
                    if done >= count:
                        break
                    if done != last_count:
                        last_progress, last_count = time.monotonic(), done
                    if time.monotonic() - last_progress > 30 or time.monotonic() - started > limit:
                        break  # stalled: what is missing counts as lost
                await asyncio.sleep(2.0)  # a duplicate would show up now
                calls = (await http.get("/_fake/calls", params={"method": "sendMessage"})).json()[
                    "calls"
                ]
                stats = (await http.get("/_fake/stats")).json()
        finally:
            for popen in workers:
                stop(popen)
            stop(server)
        accepted = [call for call in calls if call["status"] == 200]
        per_chat = Counter(call["chat_id"] for call in accepted)
        first = min(call["monotonic"] for call in calls)
        last = max(call["monotonic"] + call["duration"] for call in accepted)
        return Result(
            run=run,
            accepted=len(accepted),
            messages_per_second=len(accepted) / (last - first) if last > first else 0.0,
            http_429=int(stats["too_many_requests"]),
            duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
            losses=sum(1 for telegram_id in ids if per_chat[telegram_id] == 0),
            seconds=last - first,
            sent_rows=sent_rows(database_url),
        )


async def run(args: argparse.Namespace) -> int:
    failed = False
    with tempfile.TemporaryDirectory(prefix="normsbot-reminders-") as folder:
        for name in args.runs:
            result = await measure(name, args.reminders, args.rate, args.timeout, Path(folder))
            kind, processes = RUNS[name]
            print(f"# {name}: {args.reminders} due reminders, {kind}, {processes} process(es)")
            print(f"messages_per_second {result.messages_per_second:.2f}")
            print(f"http_429 {result.http_429}")
            print(f"duplicates {result.duplicates}")
            print(f"losses {result.losses}")
            print(f"seconds {result.seconds:.1f}")
            print(f"# accepted by the server {result.accepted}, recorded sent {result.sent_rows}")
            failed |= (
                result.messages_per_second < 28.5
                or result.http_429 > 0
                or result.duplicates > 0
                or result.losses > 0
                or result.sent_rows != result.accepted
            )
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return asyncio.run(worker(args))
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return asyncio.run(run(args))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
