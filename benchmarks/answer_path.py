"""How fast is the answer path: a status tap → the answer recorded → the next item shown.

    .venv/bin/python -m benchmarks.answer_path [--users 200] [--duration 30]
                                               [--database sqlite|postgresql]

The real bot (`python -m bot run`) runs in its own process against the fake Bot API in
another, on a fresh database; this process plays the focal points through the fake server's
control API. Two load models:

- saturation (closed loop): every user taps a status again as soon as the next item is shown,
  until each has answered every item. The same users and client then drive a bare
  python-telegram-bot bot (`benchmarks/bare_bot.py`) that only answers and edits; `ratio` is
  bare answers/s ÷ normsbot answers/s (target ≤ 1.5).
- human pace (open loop): fresh users tap at random (Poisson), one tap every 2 s each on
  average, for `--duration` seconds. Latency runs from the moment the tap was due to the
  moment the next item is shown, so a slow reply also delays (and is charged to) the next
  tap of the same user (target p99 ≤ 50 ms).

Also prints the peak resident memory of each bot process and the CPU seconds each process
used, to tell where the time went. Figures go one per line, `name value`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from benchmarks.common import (
    BenchError,
    BenchTelegram,
    Clients,
    PeakMemory,
    Process,
    asks_keep_or_use,
    bot_env,
    cpu_snapshot,
    describe_cpu,
    enrol,
    monotonic,
    own_cpu_seconds,
    percentile,
    scratch_database,
    start_bot,
    start_chats,
    start_fake_server,
    status_choice,
    wait_until_polling,
    which_py_spy,
)
from bot.checklist import ChecklistRegistry
from bot.config import Settings
from bot.db import Database
from bot.models import Cursor, Person
from fakegram import Msg
from fakegram.client import FakeTelegramError

SATURATION_FIRST_ID = 1_000_000
HUMAN_FIRST_ID = 2_000_000
FAILED_TAP_SECONDS = 20.0  # no next screen by then: the bot failed on this tap


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.answer_path", description=__doc__)
    parser.add_argument("--users", type=int, default=200, help="simulated focal points")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of human-pace load")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--mean-interval", type=float, default=2.0, help="human pace: mean seconds between taps"
    )
    parser.add_argument(
        "--messages-per-second",
        type=float,
        default=None,
        help="NORMSBOT_OVERALL_MESSAGES_PER_SECOND for both bots (default: the bot's default)",
    )
    parser.add_argument("--skip-bare", action="store_true", help="measure normsbot only")
    parser.add_argument("--skip-normsbot", action="store_true", help="measure the bare bot only")
    parser.add_argument("--skip-human", action="store_true", help="no human-pace run")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="folder for py-spy profiles of the bot processes (needs py-spy)",
    )
    parser.add_argument(
        "--items", type=int, default=None, help="saturation: taps per user (default: all items)"
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


# --- seeding --------------------------------------------------------------------------------


def checklist_length() -> int:
    return len(ChecklistRegistry.bundled().default().items)


def finished_cursors(database_url: str, user_ids: Sequence[int]) -> int:
    """How many of these users' cursors stand past the last item (all answered)."""
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            return session.exec(
                select(func.count())
                .select_from(Cursor)
                .join(Person, col(Person.id) == col(Cursor.person_id))
                .where(col(Person.telegram_id).in_(user_ids), col(Cursor.item_id).is_(None))
            ).one()
    finally:
        db.dispose()


# --- load -----------------------------------------------------------------------------------


async def tap(tg: BenchTelegram, user_id: int, message: Msg, data: str) -> Msg | None:
    """Press a button and return the next screen; None if the bot showed none (it failed)."""
    try:
        seq = await tg.press_raw(user_id, message, data)
    except FakeTelegramError:
        # The message moved on since it was read: a tap that timed out (a very busy machine)
        # was answered after `resync` had read the screen. Counted as failed; read it again.
        return None
    try:
        return await tg.next_shown(user_id, seq, timeout=FAILED_TAP_SECONDS)
    except BenchError:
        return None


async def resync(tg: BenchTelegram, user_id: int) -> Msg:
    """After a failed tap: the newest message with buttons, to go on from."""
    messages, _ = await tg.chat(user_id)
    return [m for m in messages if m.from_bot and not m.deleted and m.buttons()][-1]


@dataclass
class SaturationResult:
    taps: int
    seconds: float
    failed: int = 0
    bot_cpu_seconds: float = 0.0

    @property
    def bot_cpu_ms_per_answer(self) -> float:
        return self.bot_cpu_seconds * 1000 / self.taps

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds


async def saturation(
    clients: Clients, shown: dict[int, Msg], items: int, rng: random.Random
) -> SaturationResult:
    """Closed loop: every user taps again as soon as the next item is shown."""
    choose = status_choice(rng)

    failed = 0

    async def user(user_id: int) -> int:
        nonlocal failed
        tg = clients.for_user(user_id)
        message = shown[user_id]
        done = answered = 0
        while answered < items and done < 3 * items:
            shown_next = await tap(tg, user_id, message, choose(message))
            if shown_next is None:
                failed += 1
                message = await resync(tg, user_id)
            else:
                message, done = shown_next, done + 1
                answered += 0 if asks_keep_or_use(message) else 1
        shown[user_id] = message
        return done

    started = monotonic()
    taps = await asyncio.gather(*(user(user_id) for user_id in shown))
    return SaturationResult(sum(taps), monotonic() - started, failed)


@dataclass
class HumanPaceResult:
    latencies: list[float]  # seconds, from when the tap was due to the next item shown
    tap_latencies: list[float]  # seconds, from the actual tap
    late_taps: int  # taps that could not happen when due: the previous item was not shown
    seconds: float
    failed: int = 0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


async def human_pace(
    clients: Clients,
    shown: dict[int, Msg],
    items: int,
    duration: float,
    mean_interval: float,
    seed_value: int,
) -> HumanPaceResult:
    """Open loop: each user taps at Poisson times; due times do not wait for replies."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = HumanPaceResult([], [], 0, 0.0)

    async def user(user_id: int) -> None:
        tg = clients.for_user(user_id)
        rng = random.Random(seed_value * 1_000_003 + user_id)
        choose = status_choice(rng)
        message = shown[user_id]
        due = started
        for _ in range(items):
            due += rng.expovariate(1.0 / mean_interval)
            if due > started + duration:
                break
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                result.late_taps += 1 if delay < -0.001 else 0
            tapped = loop.time()
            shown_next = await tap(tg, user_id, message, choose(message))
            if shown_next is None:
                result.failed += 1
                message = await resync(tg, user_id)
                continue
            message = shown_next
            now = loop.time()
            result.latencies.append(now - due)
            result.tap_latencies.append(now - tapped)

    await asyncio.gather(*(user(user_id) for user_id in shown))
    result.seconds = loop.time() - started
    return result


# --- running one bot ------------------------------------------------------------------------


class Profiler:
    """py-spy recording the bot process for one phase (only with --profile)."""

    def __init__(self, folder: Path | None, pid: int, name: str) -> None:
        self.popen: subprocess.Popen[bytes] | None = None
        py_spy = which_py_spy()
        if folder is None:
            return
        if py_spy is None:
            print("# --profile needs py-spy (pip install py-spy); not profiling", flush=True)
            return
        folder.mkdir(parents=True, exist_ok=True)
        self.popen = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--threads",
                "--format",
                "raw",
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.popen is not None:
            self.popen.send_signal(signal.SIGINT)
            self.popen.wait(30)


async def measure_bot(
    name: str,
    argv: Sequence[str],
    env: dict[str, str],
    *,
    saturation_ids: Sequence[int],
    human_ids: Sequence[int],
    items: int,
    args: argparse.Namespace,
    workdir: Path,
) -> tuple[SaturationResult, HumanPaceResult | None, int]:
    server, base_url = start_fake_server()
    bot: Process | None = None
    try:
        bot = start_bot(name, argv, {**env, "TELEGRAM_BASE_URL": base_url}, workdir / f"{name}.log")
        memory = PeakMemory(bot.pid)
        users = max(len(saturation_ids), len(human_ids))
        async with Clients(base_url, users) as tg:
            await wait_until_polling(tg.any, bot)
            processes = [bot, server]
            shown = await start_chats(tg, saturation_ids)
            before, own = cpu_snapshot(processes), own_cpu_seconds()
            profiler = Profiler(args.profile, bot.pid, f"{name}-saturation")
            sat = await saturation(tg, shown, items, random.Random(args.seed))
            profiler.stop()
            sat.bot_cpu_seconds = bot.cpu_seconds() - before[bot.name]
            print(
                f"# {name} saturation: {sat.taps} taps in {sat.seconds:.1f}s; cpu "
                f"{describe_cpu(processes, before)} load={own_cpu_seconds() - own:.1f}s",
                flush=True,
            )
            human: HumanPaceResult | None = None
            if human_ids:
                shown = await start_chats(tg, human_ids)
                before, own = cpu_snapshot(processes), own_cpu_seconds()
                profiler = Profiler(args.profile, bot.pid, f"{name}-human")
                human = await human_pace(
                    tg, shown, checklist_length(), args.duration, args.mean_interval, args.seed
                )
                profiler.stop()
                print(
                    f"# {name} human pace: {len(human.latencies)} taps in {human.seconds:.1f}s "
                    f"({human.late_taps} due before the previous item was shown); cpu "
                    f"{describe_cpu(processes, before)} load={own_cpu_seconds() - own:.1f}s",
                    flush=True,
                )
            bot.check_alive()
            if sat.failed or (human is not None and human.failed):
                print_errors(bot)
            peak = memory.peak_bytes()
        return sat, human, peak
    except BaseException:
        if bot is not None and bot.log_path is not None and bot.log_path.exists():
            tail = bot.log_path.read_text(errors="replace").splitlines()[-40:]
            print(f"# last lines of the {name} log:", *tail, sep="\n", file=sys.stderr)
        raise
    finally:
        if bot is not None:
            bot.stop()
        server.stop()


def print_errors(bot: Process) -> None:
    """The distinct error lines of a bot's log (its temporary folder goes away at the end)."""
    assert bot.log_path is not None
    lines = bot.log_path.read_text(errors="replace").splitlines()
    errors = dict.fromkeys(line for line in lines if "Error" in line or "ERROR" in line)
    for line in list(errors)[:5]:
        print(f"# {bot.name} log: {line[:300]}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def run(args: argparse.Namespace) -> int:
    saturation_ids = [SATURATION_FIRST_ID + i for i in range(args.users)]
    human_ids = [] if args.skip_human else [HUMAN_FIRST_ID + i for i in range(args.users)]
    # The saturation run taps as fast as the bot answers, far above a person's pace: lift the
    # per-person fairness limits (bot/telegram/fairness.py) so that they do not set the figure.
    settings: dict[str, str] = {
        "sweep_interval_seconds": "60",
        "user_updates_per_second": "1000",
        "user_burst": "1000",
    }
    if args.messages_per_second is not None:
        settings["overall_messages_per_second"] = str(args.messages_per_second)
    rate = args.messages_per_second or Settings.model_fields["overall_messages_per_second"].default
    print(
        f"# {args.users} users, {args.database}, overall_messages_per_second={rate:g}, "
        f"concurrent_updates={Settings.model_fields['concurrent_updates'].default}",
        flush=True,
    )
    sat = human = None
    peak = bare_peak = None
    print(f"# load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="normsbot-bench-") as tmp:
        workdir = Path(tmp)
        if not args.skip_normsbot:
            with scratch_database(args.database, workdir) as database_url:
                items = enrol(database_url, [*saturation_ids, *human_ids])
                items = min(items, args.items or items)
                sat, human, peak = await measure_bot(
                    "normsbot",
                    ["-m", "bot", "run"],
                    bot_env("", database_url, **settings),
                    saturation_ids=saturation_ids,
                    human_ids=human_ids,
                    items=items,
                    args=args,
                    workdir=workdir,
                )
                done = finished_cursors(database_url, saturation_ids)
                if done != len(saturation_ids) and args.items is None:
                    print(f"# WARNING: only {done} of {len(saturation_ids)} users finished")
            print(f"saturation_normsbot_answers_per_second {sat.per_second:.1f}", flush=True)
            print(f"saturation_normsbot_cpu_ms_per_answer {sat.bot_cpu_ms_per_answer:.1f}")
            if sat.failed:
                print(f"saturation_normsbot_failed_taps {sat.failed} (errors above)")
        if not args.skip_bare:
            bare, _, bare_peak = await measure_bot(
                "bare",
                ["-m", "benchmarks.bare_bot"],
                bot_env("", f"sqlite:///{workdir / 'unused.db'}", **settings),
                saturation_ids=saturation_ids,
                human_ids=[],
                items=min(checklist_length(), args.items or checklist_length()),
                args=args,
                workdir=workdir,
            )
            print(f"saturation_bare_answers_per_second {bare.per_second:.1f}")
            print(f"saturation_bare_cpu_ms_per_answer {bare.bot_cpu_ms_per_answer:.1f}")
            if sat is not None:
                print(f"ratio {bare.per_second / sat.per_second:.2f} (target <= 1.5)")
        if human is not None:
            print(f"human_pace_taps_per_second {human.per_second:.1f}")
            if human.failed:
                print(f"human_pace_failed_taps {human.failed}")
            print(f"human_pace_p50_ms {ms(percentile(human.latencies, 0.50))}")
            print(f"human_pace_p99_ms {ms(percentile(human.latencies, 0.99))} (target <= 50)")
            print(f"human_pace_max_ms {ms(max(human.latencies))}")
            print(f"human_pace_p99_from_actual_tap_ms {ms(percentile(human.tap_latencies, 0.99))}")
        if sat is not None and not args.skip_bare:
            print(
                f"cpu_ratio {sat.bot_cpu_ms_per_answer / bare.bot_cpu_ms_per_answer:.2f} "
                "(normsbot ÷ bare CPU per answer)"
            )
        if peak is not None:
            print(f"bot_peak_rss_mb {peak / 2**20:.1f}")
        if bare_peak is not None:
            print(f"bare_peak_rss_mb {bare_peak / 2**20:.1f}")
    print(f"# load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
