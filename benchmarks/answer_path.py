"""How fast is the answer path: a status tap → the answer recorded → the next item shown.

    .venv/bin/python -m benchmarks.answer_path [--users 200] [--duration 30]
                                               [--database sqlite|postgresql]
                                               [--webhook] [--processes 1,2] [--rounds 3]

The real bot (`python -m bot run`) runs in its own process against the fake Bot API in
another, on a fresh database; this process plays the focal points through the fake server's
control API. With `--webhook` the bot is also measured in webhook mode, in each number of
processes given by `--processes`, behind `forwarder.py` (Caddy's part: round robin), all on
one database; CPU per answer is then the sum over the bot processes. Two load models:

- saturation (closed loop): `--users` (64) focal points each tap a status again as soon as
  the next item is shown, until each has answered every item (or `--items`). The same users
  and client first drive a bare python-telegram-bot bot (`benchmarks/bare_bot.py`) that only
  answers and edits, twice: as PTB ships it (`stock`, PTB's own HTTP client) and with
  normsbot's HTTP client (`bare`). `cpu_ratio_<setup>` is normsbot's CPU per answer ÷ the
  stock bare bot's (target ≤ 1.25); `own_ratio_<setup>` ÷ the bare bot on normsbot's client,
  which leaves only what normsbot does beyond the two Bot API calls.
- human pace (open loop): fresh users tap at random (Poisson), one tap every 10 s each on
  average (200 users: 20 taps/s), for `--duration` seconds. Latency runs from the moment
  the tap was due to the moment the next item is shown, so a slow reply also delays (and is
  charged to) the next tap of the same user (target p99 ≤ 50 ms).

With `--rounds N` every setup runs N times, interleaved, and the medians come last: the
speed of a shared machine drifts within minutes, and the ratio of one round (the stock bot
and normsbot measured close together) moves less than either figure.

Also prints the peak resident memory of each bot process and the CPU seconds each process
used, to tell where the time went. Figures go one per line, `name value`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
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
    free_port,
    monotonic,
    own_cpu_seconds,
    percentile,
    scratch_database,
    start_bot,
    start_chats,
    start_fake_server,
    start_forwarder,
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
FAILED_TAP_SECONDS = 60.0  # no next screen by then: the bot failed on this tap
WEBHOOK_SECRET = "bench-webhook-secret"  # loopback only, to a fake Telegram


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.answer_path", description=__doc__)
    parser.add_argument(
        "--users",
        type=int,
        default=64,
        help="saturation: focal points tapping at once (enough to keep the bots busy)",
    )
    parser.add_argument(
        "--human-users", type=int, default=200, help="human pace: focal points tapping"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of human-pace load")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--mean-interval",
        type=float,
        default=10.0,
        help="human pace: mean seconds between one user's taps (200 users: 20 taps/s)",
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="also run normsbot in webhook mode (behind a round-robin forwarder)",
    )
    parser.add_argument(
        "--processes",
        type=process_counts,
        default=[1],
        help="bot processes in webhook mode, e.g. 1,2 (polling always runs one)",
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
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every setup this many times, interleaved, and also print the medians",
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def process_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("one or more process counts, e.g. 1,2")
    return counts


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
                "--gil",  # only the thread holding the GIL: CPU spent in Python, not waits
                "--nonblocking",  # never pause the bot: its latencies stay its own
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


@dataclass(frozen=True)
class Setup:
    """How the bot under test takes its updates: long polling or a webhook, in N processes."""

    bot: str  # "normsbot", "bare" (normsbot's HTTP client) or "stock" (PTB's own)
    mode: str  # "polling" or "webhook"
    processes: int

    @property
    def name(self) -> str:
        return f"{self.bot}_{self.mode}_{self.processes}"


@dataclass
class SetupResult:
    setup: Setup
    sat: SaturationResult
    human: HumanPaceResult | None
    human_cpu_seconds: float
    peak_rss: int  # the largest bot process's high-water mark


@contextlib.asynccontextmanager
async def bots_running(
    setup: Setup, argv: Sequence[str], env: dict[str, str], workdir: Path
) -> AsyncIterator[tuple[list[Process], list[Process], str]]:
    """The fake Bot API and `setup.processes` bots taking updates from it (webhook mode
    behind the round-robin forwarder, as behind Caddy in production). Yields the bot
    processes, the helper processes (fake server, forwarder) and the fake server's URL."""
    webhook = setup.mode == "webhook"
    server, base_url = start_fake_server(webhook_http=webhook)
    helpers, bots = [server], []
    try:
        ports = [free_port() for _ in range(setup.processes)] if webhook else []
        if webhook:
            forwarder, forwarder_url = start_forwarder([f"http://127.0.0.1:{p}" for p in ports])
            helpers.append(forwarder)
        for number in range(setup.processes):
            bot_settings = {"TELEGRAM_BASE_URL": base_url}
            if webhook:
                bot_settings |= {
                    "NORMSBOT_WEBHOOK_URL": f"{forwarder_url}/telegram",
                    "NORMSBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "NORMSBOT_LISTEN": f"127.0.0.1:{ports[number]}",
                }
            name = f"{setup.name}-{number + 1}"
            bots.append(start_bot(name, argv, {**env, **bot_settings}, workdir / f"{name}.log"))
        yield bots, helpers, base_url
    except BaseException:
        for bot in bots:
            if bot.log_path is not None and bot.log_path.exists():
                tail = bot.log_path.read_text(errors="replace").splitlines()[-40:]
                print(f"# last lines of the {bot.name} log:", *tail, sep="\n", file=sys.stderr)
        raise
    finally:
        for process in [*bots, *helpers]:
            process.stop()


async def wait_until_taking_updates(tg: BenchTelegram, setup: Setup, bots: list[Process]) -> None:
    """Polling: the bot long-polls. Webhook: every process has set the webhook (each does so
    once its web server listens)."""
    if setup.mode == "polling":
        await wait_until_polling(tg, bots[0])
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60.0
    while len(await tg.calls("setWebhook")) < len(bots):
        for bot in bots:
            bot.check_alive()
        if loop.time() > deadline:
            raise BenchError(f"{setup.name}: not every process set the webhook within 60s")
        await asyncio.sleep(0.2)


def bots_cpu(bots: Sequence[Process]) -> float:
    return sum(bot.cpu_seconds() for bot in bots)


async def measure(
    setup: Setup,
    argv: Sequence[str],
    env: dict[str, str],
    *,
    saturation_ids: Sequence[int],
    human_ids: Sequence[int],
    items: int,
    args: argparse.Namespace,
    workdir: Path,
) -> SetupResult:
    """Saturation, then human pace, against one setup of the bot."""
    async with bots_running(setup, argv, env, workdir) as (bots, helpers, base_url):
        memories = [PeakMemory(bot.pid) for bot in bots]
        processes = [*bots, *helpers]
        users = max(len(saturation_ids), len(human_ids))
        async with Clients(base_url, users) as tg:
            await wait_until_taking_updates(tg.any, setup, bots)
            shown = await start_chats(tg, saturation_ids)
            before, own, cpu = cpu_snapshot(processes), own_cpu_seconds(), bots_cpu(bots)
            profilers = [Profiler(args.profile, b.pid, f"{b.name}-saturation") for b in bots]
            sat = await saturation(tg, shown, items, random.Random(args.seed))
            for profiler in profilers:
                profiler.stop()
            sat.bot_cpu_seconds = bots_cpu(bots) - cpu
            print(
                f"# {setup.name} saturation: {sat.taps} taps in {sat.seconds:.1f}s; cpu "
                f"{describe_cpu(processes, before)} load={own_cpu_seconds() - own:.1f}s; "
                f"load average {loadavg()}",
                flush=True,
            )
            human: HumanPaceResult | None = None
            human_cpu = 0.0
            if human_ids:
                shown = await start_chats(tg, human_ids)
                before, own, cpu = cpu_snapshot(processes), own_cpu_seconds(), bots_cpu(bots)
                profilers = [Profiler(args.profile, b.pid, f"{b.name}-human") for b in bots]
                human = await human_pace(
                    tg, shown, checklist_length(), args.duration, args.mean_interval, args.seed
                )
                for profiler in profilers:
                    profiler.stop()
                human_cpu = bots_cpu(bots) - cpu
                print(
                    f"# {setup.name} human pace: {len(human.latencies)} taps in "
                    f"{human.seconds:.1f}s ({human.late_taps} due before the previous item "
                    f"was shown); cpu {describe_cpu(processes, before)} "
                    f"load={own_cpu_seconds() - own:.1f}s; load average {loadavg()}",
                    flush=True,
                )
            for bot in bots:
                bot.check_alive()
                if sat.failed or (human is not None and human.failed):
                    print_errors(bot)
            peak = max(memory.peak_bytes() for memory in memories)
    return SetupResult(setup, sat, human, human_cpu, peak)


def print_errors(bot: Process) -> None:
    """The distinct error lines of a bot's log (its temporary folder goes away at the end)."""
    assert bot.log_path is not None
    lines = bot.log_path.read_text(errors="replace").splitlines()
    errors = dict.fromkeys(line for line in lines if "Error" in line or "ERROR" in line)
    for line in list(errors)[:5]:
        print(f"# {bot.name} log: {line[:300]}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def setups(args: argparse.Namespace) -> list[Setup]:
    """The bare bot (polling, one process), then normsbot in each mode and process count.

    Long polling is one process only: Telegram hands updates to one getUpdates caller."""
    chosen: list[Setup] = []
    if not args.skip_bare:
        chosen += [Setup("stock", "polling", 1), Setup("bare", "polling", 1)]
    if not args.skip_normsbot:
        if 1 in args.processes:
            chosen.append(Setup("normsbot", "polling", 1))
        if args.webhook:
            chosen += [Setup("normsbot", "webhook", n) for n in args.processes]
    return chosen


def loadavg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


async def run(args: argparse.Namespace) -> int:
    saturation_ids = [SATURATION_FIRST_ID + i for i in range(args.users)]
    human_ids = [] if args.skip_human else [HUMAN_FIRST_ID + i for i in range(args.human_users)]
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
        f"# {args.database}, saturation {args.users} users, human pace {args.human_users} "
        f"users tapping every {args.mean_interval:g}s each "
        f"({args.human_users / args.mean_interval:.1f} taps/s offered), "
        f"overall_messages_per_second={rate:g}, "
        f"concurrent_updates={Settings.model_fields['concurrent_updates'].default}",
        flush=True,
    )
    print(f"# load average at start: {loadavg()}")
    rounds = [
        await run_round(args, settings, saturation_ids, human_ids, n) for n in range(args.rounds)
    ]
    if len(rounds) > 1:
        print_medians(rounds)
    print(f"# load average at end: {loadavg()}")
    return 0


async def run_round(
    args: argparse.Namespace,
    settings: dict[str, str],
    saturation_ids: Sequence[int],
    human_ids: Sequence[int],
    number: int,
) -> list[SetupResult]:
    """Every setup once, in order; the ratios of a round are taken within it."""
    if args.rounds > 1:
        print(f"# round {number + 1} of {args.rounds}", flush=True)
    results: list[SetupResult] = []
    with tempfile.TemporaryDirectory(prefix="normsbot-bench-") as tmp:
        workdir = Path(tmp)
        for setup in setups(args):
            if setup.bot in ("bare", "stock"):
                items = min(checklist_length(), args.items or checklist_length())
                stock = ["--stock-client"] if setup.bot == "stock" else []
                result = await measure(
                    setup,
                    ["-m", "benchmarks.bare_bot", *stock],
                    bot_env("", f"sqlite:///{workdir / 'unused.db'}", **settings),
                    saturation_ids=saturation_ids,
                    human_ids=[],
                    items=items,
                    args=args,
                    workdir=workdir,
                )
            else:
                with scratch_database(args.database, workdir / setup.name) as database_url:
                    items = enrol(database_url, [*saturation_ids, *human_ids])
                    items = min(items, args.items or items)
                    result = await measure(
                        setup,
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
            results.append(result)
            print_figures(result, results)
    print_table(results)
    return results


def baseline(results: Sequence[SetupResult], bot: str) -> SetupResult | None:
    return next((r for r in results if r.setup.bot == bot), None)


def ratio(result: SetupResult, base: SetupResult | None) -> float | None:
    """CPU per answer ÷ that of `base`, when it was measured (and is another setup)."""
    if base is None or base is result or result.setup.bot != "normsbot":
        return None
    return result.sat.bot_cpu_ms_per_answer / base.sat.bot_cpu_ms_per_answer


def print_figures(result: SetupResult, results: Sequence[SetupResult]) -> None:
    """`name value` lines of one setup, as soon as it is measured."""
    name, sat, human = result.setup.name, result.sat, result.human
    print(f"saturation_{name}_answers_per_second {sat.per_second:.1f}")
    print(f"saturation_{name}_cpu_ms_per_answer {sat.bot_cpu_ms_per_answer:.2f}")
    if sat.failed:
        print(f"saturation_{name}_failed_taps {sat.failed} (errors above)")
    to_stock = ratio(result, baseline(results, "stock"))
    if to_stock is not None:
        print(f"cpu_ratio_{name} {to_stock:.2f} (÷ the stock bare PTB bot; target <= 1.25)")
    to_bare = ratio(result, baseline(results, "bare"))
    if to_bare is not None:
        print(f"own_ratio_{name} {to_bare:.2f} (÷ the bare bot on normsbot's HTTP client)")
    if human is not None:
        print(f"human_pace_{name}_taps_per_second {human.per_second:.1f}")
        if human.failed:
            print(f"human_pace_{name}_failed_taps {human.failed}")
        for share in (0.50, 0.95, 0.99):
            target = " (target <= 50)" if share == 0.99 else ""
            print(
                f"human_pace_{name}_p{share * 100:.0f}_ms "
                f"{ms(percentile(human.latencies, share))}{target}"
            )
        per_answer = result.human_cpu_seconds * 1000 / max(1, len(human.latencies))
        print(f"human_pace_{name}_cpu_ms_per_answer {per_answer:.2f}")
    print(f"{name}_peak_rss_mb {result.peak_rss / 2**20:.1f}", flush=True)


def print_table(results: Sequence[SetupResult]) -> None:
    """All setups side by side (the figures above, in one place)."""
    stock, bare = baseline(results, "stock"), baseline(results, "bare")
    print(
        "# setup                   sat/s  cpu ms/answer  ×stock  ×bare  human/s  p50 ms  "
        "p95 ms  p99 ms  human cpu ms/answer  failed"
    )
    for result in results:
        sat, human = result.sat, result.human
        ratios = " ".join(
            f"{'-' if r is None else f'{r:.2f}':>{width}}"
            for r, width in ((ratio(result, stock), 6), (ratio(result, bare), 5))
        )
        if human is not None and human.latencies:
            human_part = (
                f"{human.per_second:7.1f} {ms(percentile(human.latencies, 0.50)):>7} "
                f"{ms(percentile(human.latencies, 0.95)):>7} "
                f"{ms(percentile(human.latencies, 0.99)):>7} "
                f"{result.human_cpu_seconds * 1000 / len(human.latencies):20.2f}"
            )
        else:
            human_part = f"{'-':>7} {'-':>7} {'-':>7} {'-':>7} {'-':>20}"
        failed = sat.failed + (human.failed if human is not None else 0)
        print(
            f"# {result.setup.name:<22} {sat.per_second:6.1f} {sat.bot_cpu_ms_per_answer:14.2f} "
            f"{ratios} {human_part} {failed:7d}"
        )


def print_medians(rounds: Sequence[Sequence[SetupResult]]) -> None:
    """Each setup's median over the rounds: on a machine whose speed drifts, the ratio of
    each round (normsbot and the stock bot measured minutes apart) moves less than either."""
    print("# medians over the rounds")
    for at, first in enumerate(rounds[0]):
        name = first.setup.name
        results = [round_[at] for round_ in rounds]
        cpu = statistics.median(r.sat.bot_cpu_ms_per_answer for r in results)
        print(f"median_saturation_{name}_cpu_ms_per_answer {cpu:.2f}")
        for label, bot in (("cpu_ratio", "stock"), ("own_ratio", "bare")):
            ratios = [
                ratio(r, baseline(round_, bot)) for r, round_ in zip(results, rounds, strict=True)
            ]
            known = [x for x in ratios if x is not None]
            if known:
                shown = " ".join(f"{x:.2f}" for x in known)
                print(f"median_{label}_{name} {statistics.median(known):.2f} (rounds: {shown})")
        p99 = [
            percentile(r.human.latencies, 0.99)
            for r in results
            if r.human is not None and r.human.latencies
        ]
        if p99:
            shown = " ".join(ms(x) for x in p99)
            print(f"median_human_pace_{name}_p99_ms {ms(statistics.median(p99))} (rounds: {shown})")


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
