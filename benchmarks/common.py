"""Shared pieces of the benchmarks: the processes under test and a lean load-generating client.

Each benchmark runs three processes so that none measures itself: the fake Bot API
(`python -m fakegram`), the bot under test (`python -m bot run`, or the bare comparison bot)
and the load generator (the benchmark script). They share the machine's cores, so the client
side keeps to one HTTP client with keep-alive connections and plain asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import sqlalchemy as sa

from bot.services.reporting import Action
from bot.views.callbacks import AnswerButton
from fakegram import FakeTelegram, Msg

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:BENCH-token-for-the-fake-bot-api-0000"
POSTGRES_URL = os.environ.get(
    "NORMSBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class BenchError(RuntimeError):
    """Something the benchmark needs did not happen (a process died, a reply never came)."""


# --- processes ------------------------------------------------------------------------------


@dataclass
class Process:
    """A child process with what we learn about it while it runs."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = ""
            if self.log_path is not None and self.log_path.exists():
                tail = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])
            raise BenchError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far (threads included)."""
        try:
            times = psutil.Process(self.pid).cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGINT first (PTB and the fake server shut down cleanly on it), then SIGKILL."""
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGINT)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def start_fake_server(token: str = TOKEN, *, webhook_http: bool = False) -> tuple[Process, str]:
    """`python -m fakegram` on a free loopback port; returns it and its base URL.

    `webhook_http`: the server accepts a webhook at http:// on loopback (the bots' own)."""
    argv = ["-m", "fakegram", "--token", token, "--port", "0"]
    return _start_ready("fake Bot API", [*argv, *(["--webhook-http"] if webhook_http else [])])


def start_forwarder(upstreams: Sequence[str]) -> tuple[Process, str]:
    """`benchmarks/forwarder.py` (Caddy's part) before `upstreams`; returns it and its URL."""
    argv = ["-m", "benchmarks.forwarder"]
    for url in upstreams:
        argv += ["--to", url]
    return _start_ready("forwarder", argv)


def _start_ready(name: str, argv: Sequence[str]) -> tuple[Process, str]:
    """A helper process that prints `READY <base URL>` once it listens."""
    popen = subprocess.Popen(
        [sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert popen.stdout is not None
    line = popen.stdout.readline().decode().strip()
    if not line.startswith("READY "):
        popen.kill()
        raise BenchError(f"the {name} did not start: {line!r}")
    return Process(name, popen), line.removeprefix("READY ")


def free_port() -> int:
    """A loopback port free now, for a process that binds it a moment later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_bot(name: str, argv: Sequence[str], env: dict[str, str], log_path: Path) -> Process:
    """Start a bot process (`python -m bot run` or the bare bot) with its output in a file."""
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Process(name, popen, log_path)


def bot_env(base_url: str, database_url: str, **settings: str) -> dict[str, str]:
    """The environment `normsbot run` reads (see `bot.config.Settings`)."""
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": base_url,
        "DATABASE_URL": database_url,
        "NORMSBOT_LOG_LEVEL": "WARNING",
    }
    env.update({f"NORMSBOT_{key.upper()}": value for key, value in settings.items()})
    return env


class PeakMemory:
    """Peak resident memory of a process: the kernel's high-water mark, or samples of RSS."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            process = psutil.Process(self.pid)
            while not self._stop.is_set():
                self.sampled = max(self.sampled, process.memory_info().rss)
                self._stop.wait(self.interval)
        except psutil.Error:
            return

    def peak_bytes(self) -> int:
        """Call while the process still runs: VmHWM is gone once it has exited."""
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return max(self.sampled, int(line.split()[1]) * 1024)
        return self.sampled


# --- databases ------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database for one run: a SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    name = f"normsbot_bench_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(POSTGRES_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def enrol(database_url: str, focal_ids: Sequence[int], coordinator_ids: Sequence[int] = ()) -> int:
    """Migrate, seed countries and the first cycle, and enrol people directly: focal points
    spread over the member states in turn, and coordinators.

    Enrolling hundreds of people through invites would take longer than a benchmark and
    measure something else; what is measured afterwards goes the real way.
    Returns the number of items of the checklist they answer.
    """
    from bot.bootstrap import prepare_runtime
    from bot.checklist import ASEAN_NORMS_ID
    from bot.config import Settings
    from bot.countries import ASEAN_MEMBER_STATES
    from bot.models import Person, Role
    from bot.services.actors import grant

    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, database_url=database_url)
    rt = prepare_runtime(settings)
    now = datetime.now(UTC)
    countries = [info.code for info in ASEAN_MEMBER_STATES]
    people: list[tuple[int, str, Role, str | None]] = [
        (user_id, f"Focal Point {user_id}", Role.FOCAL_POINT, countries[n % len(countries)])
        for n, user_id in enumerate(focal_ids)
    ]
    people += [
        (user_id, f"Coordinator {user_id}", Role.COORDINATOR, None) for user_id in coordinator_ids
    ]
    with rt.db.session() as session:
        for user_id, name, role, country in people:
            person = Person(
                telegram_id=user_id,
                display_name=name,
                locale="en",
                country_code=country,
                created_at=now,
                last_active_at=now,
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            grant(session, person.id, ASEAN_NORMS_ID, role)
    rt.db.dispose()
    return len(rt.checklists.default().items)


# --- the load generator's client --------------------------------------------------------------


class BenchTelegram(FakeTelegram):
    """`FakeTelegram` with the two calls the load generator makes in its loop, lean."""

    def __init__(self, base_url: str, *, connections: int) -> None:
        super().__init__(base_url)
        # The parent's client has never been used: it holds no connection to close. This one
        # keeps a connection per user of its shard alive (httpx keeps 20 by default).
        self._http = httpx.AsyncClient(
            base_url=f"{self.base_url}/_fake",
            timeout=httpx.Timeout(30.0, read=150.0),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    async def __aenter__(self) -> BenchTelegram:
        return self

    async def press_raw(self, user_id: int, message: Msg, callback_data: str) -> int:
        """Press a button on a known message; returns the server's seq at the press.

        Unlike `FakeUser.press` it neither reads the chat first nor waits for the callback
        answer: the benchmark already holds the message, and waits for its edit instead.
        """
        body = await self.request(
            "POST",
            f"/users/{user_id}/press",
            json={"message_id": message.message_id, "callback_data": callback_data},
        )
        return int(body["seq"])

    async def next_shown(
        self,
        chat_id: int,
        after_seq: int,
        timeout: float = 60.0,  # noqa: ASYNC109 - a server-side long poll
    ) -> Msg:
        """The first bot message with buttons sent or edited in the chat after `after_seq`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BenchError(f"chat {chat_id}: nothing shown after seq {after_seq}")
            changed, newest = await self.wait(chat_id, after_seq, remaining)
            for message in changed:
                if not message.deleted and message.buttons():
                    return message
            after_seq = newest


class Clients:
    """Simulated users spread over several HTTP clients, `per_client` users each.

    httpcore looks at every connection of its pool on each request (and polls idle ones to
    see whether they expired), so one pool holding a long poll per user costs O(users) per
    request; small pools keep the load generator's own CPU per tap flat.
    """

    def __init__(self, base_url: str, users: int, *, per_client: int = 16) -> None:
        count = max(1, -(-users // per_client))
        self.per_client = per_client
        self.clients = [BenchTelegram(base_url, connections=per_client + 2) for _ in range(count)]

    def for_user(self, user_id: int) -> BenchTelegram:
        return self.clients[(user_id // self.per_client) % len(self.clients)]

    @property
    def any(self) -> BenchTelegram:
        return self.clients[0]

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for client in self.clients:
            await client.aclose()


async def start_chats(
    clients: Clients, user_ids: Sequence[int], *, parallel: int = 32
) -> dict[int, Msg]:
    """Each user opens the chat with /start; returns the first message with buttons."""
    limit = asyncio.Semaphore(parallel)
    shown: dict[int, Msg] = {}

    async def one(user_id: int) -> None:
        tg = clients.for_user(user_id)
        async with limit:
            user = await tg.user(user_id, f"User {user_id}", language_code="en")
            await user.command("start")
            shown[user_id] = await tg.next_shown(user_id, user.action_seq)

    await asyncio.gather(*(one(user_id) for user_id in user_ids))
    return shown


async def wait_until_polling(tg: FakeTelegram, bot: Process, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Wait until the bot process has started long polling the fake server."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        bot.check_alive()
        if await tg.calls("getUpdates"):
            return
        await asyncio.sleep(0.2)
    raise BenchError(f"{bot.name} did not start polling within {timeout:.0f}s")


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def which_py_spy() -> str | None:
    """py-spy next to the venv's python, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def monotonic() -> float:
    return time.perf_counter()


def describe_cpu(processes: Sequence[Process], before: dict[str, float]) -> str:
    """CPU seconds each process used since `before`, for reading where the time went."""
    parts = [f"{p.name}={p.cpu_seconds() - before.get(p.name, 0.0):.1f}s" for p in processes]
    return " ".join(parts)


def cpu_snapshot(processes: Sequence[Process]) -> dict[str, float]:
    return {p.name: p.cpu_seconds() for p in processes}


def own_cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


# --- choosing what to tap ---------------------------------------------------------------------

STATUS_BUTTONS = 5  # the first five buttons of an item screen are the statuses, in both bots
USE_MINE = f"{AnswerButton.PREFIX}:{Action.USE_MINE}:"


def asks_keep_or_use(message: Msg) -> bool:
    """The screen asks "keep theirs / use mine": the tap that led here recorded nothing."""
    return any((b.callback_data or "").startswith(USE_MINE) for b in message.buttons())


def status_choice(rng: random.Random) -> Callable[[Msg], str]:
    """A random status on an item screen. Colleagues of one country answer the same items at
    once, so a tap may meet a colleague's newer answer and be asked "keep theirs / use mine":
    then "use mine", which records the tap's status (one more tap for that answer)."""

    def choose(message: Msg) -> str:
        data = [b.callback_data for b in message.buttons() if b.callback_data is not None]
        for button in data:
            if button.startswith(USE_MINE):
                return button
        return data[rng.randrange(min(STATUS_BUTTONS, len(data)))]

    return choose
