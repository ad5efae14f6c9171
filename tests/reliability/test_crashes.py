"""Nothing confirmed is lost: `normsbot run` killed (SIGKILL) at random moments while focal
points answer, restarted on the same database, with Telegram-like redelivery, on SQLite and
PostgreSQL, first on a calm day, then on a bad network day.

The bot runs as a real subprocess against the fake Bot API, which re-serves every update whose
offset the killed process had not confirmed (as Telegram does). Each focal point answers the
item in front of them with the status their plan gives that item, waits for the screen to say
"Recorded: …" (then reads the next item for a moment), and when nothing comes (the bot died)
starts over with /start; a person who has answered every item is done. Afterwards:

- every answer whose confirmation a focal point saw is in the database with that status;
- each answer's history (its `AnswerRevision` rows) runs from nothing to the stored status,
  every step starting where the previous one ended;
- /start resumes at the first item the database holds no answer for (or shows the end of the
  checklist when there is none);
- on the bad network day (a share of calls answered 429, 500, a 502 page, late, dropped, or
  carried out with the answer lost), the bot stayed up between kills and its log holds no
  traceback.

Seeded: the same kills and the same faults on every run (`RELIABILITY_SEED` picks another).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.bootstrap import prepare_runtime
from bot.checklist import ASEAN_NORMS_ID, DEFAULT_STATUSES
from bot.config import Settings
from bot.db import Database
from bot.models import Answer, AnswerRevision, Person, Role
from bot.services.actors import grant
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg
from tests.harness import TOKEN, is_prompt, item_id_of
from tests.reliability.conftest import SEED

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]
KILLS = 10
CALM_KILLS = 5  # the first kills come on a calm day, the others on a bad network day
COUNTRIES = ("TH", "VN", "MY", "ID")
FIRST_USER = 7_100_001
RESUME_SECONDS = 30.0  # for the /start after the run, over RESUME_TRIES tries
RESUME_TRIES = 3
THINK_SECONDS = (0.2, 0.8)  # between a confirmation and the next tap
CONFIRM_SECONDS = 4.0  # no "Recorded" by then: the tap is taken as lost, the person starts over
START_SECONDS = 60.0  # a cold start of the bot on a loaded 2-core machine
# A bad network day, on the calls of the answer path: about 15 % of them fail in some way.
# (Start-up calls are spared: `normsbot run` exits when Telegram cannot be reached at start.)
FAULTY_METHODS = ("getUpdates", "sendMessage", "editMessageText", "answerCallbackQuery")
FAULTS: tuple[dict[str, object], ...] = (
    {"kind": "retry_after", "retry_after": 1, "share": 0.03},
    {"kind": "server_error", "status": 500, "share": 0.03},
    {"kind": "server_error", "status": 502, "share": 0.02},
    {"kind": "delay", "delay": 1.0, "share": 0.03},
    {"kind": "drop", "share": 0.02},
    {"kind": "drop", "processed": True, "share": 0.02},
)


# --- the database ---------------------------------------------------------------------------


def seed(database_url: str) -> list[str]:
    """Migrate, open the first cycle, enrol one focal point per country; the item ids."""
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, database_url=database_url)
    rt = prepare_runtime(settings)
    now = datetime.now(UTC)
    with rt.db.session() as session:
        for index, country in enumerate(COUNTRIES):
            person = Person(
                telegram_id=FIRST_USER + index,
                display_name=f"Focal Point {country}",
                locale="en",
                country_code=country,
                created_at=now,
                last_active_at=now,
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            grant(session, person.id, ASEAN_NORMS_ID, Role.FOCAL_POINT)
    rt.db.dispose()
    return [item.id for item in rt.checklists.default().items]


# --- the bot process ------------------------------------------------------------------------


class BotProcess:
    """`python -m bot run` against the fake API; every start appends to one log file."""

    def __init__(self, api: FakeBotAPI, database_url: str, log_path: Path) -> None:
        self.api, self.log_path = api, log_path
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "DATABASE_URL": database_url,
            "NORMSBOT_LOG_LEVEL": "WARNING",
            "NORMSBOT_POLL_TIMEOUT": "1",
            "NORMSBOT_SWEEP_ON_START": "false",
            "NORMSBOT_REMINDERS_ENABLED": "false",
            "NORMSBOT_DIGEST_ENABLED": "false",
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        polls = len(self.api.calls("getUpdates"))
        await self.launch()
        deadline = time.monotonic() + START_SECONDS
        while len(self.api.calls("getUpdates")) == polls:
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start polling:\n{self.log()}")
            await asyncio.sleep(0.05)

    async def launch(self) -> None:
        """Start the process; `start` also waits until it polls."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1

    def check_alive(self) -> None:
        assert self.process is not None
        if self.process.returncode is not None:
            raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.log()}")

    async def kill(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        """SIGINT, as an operator stops it; PTB confirms the offset and shuts down cleanly.
        (Waited for without blocking: the fake API answering its last calls runs here.)"""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --- the focal points -----------------------------------------------------------------------


@dataclass
class FocalPoint:
    """One person answering; `plan` is the status they give each item, whatever happens."""

    user: FakeUser
    country: str
    plan: dict[str, str]
    confirmed: dict[str, str] = field(default_factory=dict)
    taps: int = 0
    think: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.think.seed(SEED * 1_000_003 + self.user.id)  # the same pauses on every run

    async def start_over(self, patience: float = CONFIRM_SECONDS) -> Msg | None:
        """/start, as a person does when the bot seems stuck: the item it shows, or the end of
        the checklist when every item has an answer; None if nothing came."""
        seq = await self.user.mark()
        await self.user.command("start")
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            for message in await self.user.wait_for_change(after_seq=seq, timeout=0.5):
                if message.seq > seq and (is_prompt(message) or is_end(message)):
                    return message
        return None

    async def answer(self, prompt: Msg) -> Msg | None:
        """Tap the planned status on the prompt: the screen that then said it was recorded
        (what the person saw: the next item, or the end), None when nothing came in time."""
        item = item_id_of(prompt)
        status = self.plan[item]
        index = DEFAULT_STATUSES.index(status)
        data = next(
            d for d in prompt.callback_data() if d.startswith("a:s:") and d.endswith(f":{index}")
        )
        seq = await self.user.mark()
        await self.user.tg.request(
            "POST",
            f"/users/{self.user.id}/press",
            json={"message_id": prompt.message_id, "callback_data": data},
        )
        self.taps += 1
        label = {
            "implemented": "Implemented",
            "in_progress": "In progress",
            "planned": "Planned",
            "not_started": "Not started",
            "not_applicable": "Not applicable",
        }[status]
        deadline = time.monotonic() + CONFIRM_SECONDS
        while time.monotonic() < deadline:
            changed = await self.user.wait_for_change(after_seq=seq, timeout=0.5)
            for message in changed:
                if message.message_id == prompt.message_id and _moved_on(message, item, label):
                    self.confirmed[item] = status
                    return message
        return None

    async def resume(self, bot: BotProcess) -> Msg:
        """/start, again if need be (up to RESUME_TRIES): the item the bot resumes at. None
        in time: the failure shows the person's chat, their last calls and the bot's log."""
        for _ in range(RESUME_TRIES):
            shown = await self.start_over(patience=RESUME_SECONDS / RESUME_TRIES)
            if shown is not None:
                return shown
        seen = "\n".join(
            f"  {m.seq} {m.message_id}: {m.plain[:160]!r}"
            for m in (await self.user.messages())[-8:]
        )
        theirs = [c for c in bot.api.calls() if c.chat_id == self.user.id]
        polls = bot.api.calls("getUpdates")
        calls = "\n".join(
            f"  {c.method} {c.status} fault={c.fault} {str(c.params)[:120]}"
            for c in theirs[-15:] + polls[-5:]
        )
        raise AssertionError(
            f"{self.country}: /start showed no item; the person's chat:\n{seen}\n"
            f"last calls:\n{calls}\nbot log:\n{bot.log()[-3000:]}"
        )

    async def work(self, stop: asyncio.Event) -> None:
        """Answer item after item until stopped, or until every item has an answer (a quiet
        machine gets there within the run)."""
        shown = await self.start_over()
        while not stop.is_set():
            if shown is not None and is_end(shown):
                return
            shown = await self.answer(shown) if shown is not None else None
            if shown is None:
                shown = await self.start_over()
            else:  # reads the next item: the checklist lasts through the kills
                await asyncio.sleep(self.think.uniform(*THINK_SECONDS))


async def focal_points(
    tg: FakeTelegram, items: list[str], status_of: Callable[[str], str], *, started: bool = False
) -> list[FocalPoint]:
    """One focal point per country of COUNTRIES, each giving item `i` the status `status_of(i)`
    (`started`: they had opened the bot before, so it may write to them first)."""
    people = []
    for index, country in enumerate(COUNTRIES):
        user = await tg.user(FIRST_USER + index, f"Focal Point {country}", started=started)
        people.append(FocalPoint(user, country, {item: status_of(item) for item in items}))
    return people


def _moved_on(message: Msg, item: str, label: str) -> bool:
    """What a person takes for "my answer is in": the pressed message says "Recorded: <the
    status>" and shows the next item. (The same words on a message that still shows the item,
    or lost its buttons, are an earlier tap's notice: a stale tap changes only the buttons.)"""
    moved = is_end(message) or (is_prompt(message) and item_id_of(message) != item)
    return f"Recorded: {label}" in message.plain and moved


def is_end(message: Msg) -> bool:
    """The screen after the last item, when every item has an answer."""
    return "You have reached the end of the checklist" in message.plain


def resume_point(shown: Msg) -> str | None:
    """Where /start resumed: the item it shows, None for the end of the checklist."""
    return None if is_end(shown) else item_id_of(shown)


# --- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    bot: BotProcess
    people: list[FocalPoint]
    items: list[str]
    kills: int = 0
    seconds: float = 0.0


async def crash_run(
    api: FakeBotAPI, database_url: str, log_path: Path
) -> tuple[Run, list[str | None]]:
    items = seed(database_url)
    rng = random.Random(SEED)
    bot = BotProcess(api, database_url, log_path)
    began = time.monotonic()
    async with FakeTelegram(api.base_url) as tg:
        people = await focal_points(tg, items, lambda _item: rng.choice(DEFAULT_STATUSES))
        run = Run(bot, people, items)
        try:
            resumed = await _run(tg, run, rng)
        finally:
            await bot.kill()  # only when the run failed half-way; stopped cleanly otherwise
    run.seconds = time.monotonic() - began
    return run, resumed


async def _run(tg: FakeTelegram, run: Run, rng: random.Random) -> list[str | None]:
    """Kill and restart the bot while the people answer; then each one's /start: where the
    bot resumes them."""
    bot, people = run.bot, run.people
    await bot.start()
    stop = asyncio.Event()
    workers = [asyncio.create_task(person.work(stop)) for person in people]
    try:
        for kill in range(KILLS):
            if kill == CALM_KILLS:
                await bad_network_day(tg)
            await asyncio.sleep(rng.uniform(0.5, 2.5))
            bot.check_alive()  # it stayed up until the kill, faults or not
            await bot.kill()
            run.kills += 1
            await bot.start()
        await asyncio.sleep(2 * CONFIRM_SECONDS)  # the last taps settle
        bot.check_alive()
    finally:
        stop.set()
        await asyncio.gather(*workers, return_exceptions=True)
    await tg.clear_faults()
    # Resume, on a calm day: each person's /start shows the item the bot resumes at.
    resumed: list[str | None] = []
    for person in people:
        # Where it resumes is what is checked here, not how fast: a restarted bot may still be
        # working through the updates Telegram served again, and a person whose backlog came
        # in at once may have been told "I skipped some, wait a moment" (the fairness rule):
        # then they send /start again, as anyone would.
        resumed.append(resume_point(await person.resume(bot)))
    await bot.stop()
    return resumed


async def bad_network_day(tg: FakeTelegram) -> None:
    """Each kind of fault once for sure (the first calls of a method each), then on a share of
    every call of the answer path."""
    for index, rule in enumerate(FAULTS):
        once = {**rule, "share": 1.0}
        await tg.inject_fault(FAULTY_METHODS[index % len(FAULTY_METHODS)], **once)  # type: ignore[arg-type]
    for method in FAULTY_METHODS:
        for rule in FAULTS:
            await tg.inject_fault(method, count=1_000_000, **rule)  # type: ignore[arg-type]


def check_database(database_url: str, run: Run, resumed: list[str | None]) -> None:
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            answers = session.exec(select(Answer)).all()
            revisions = session.exec(
                select(AnswerRevision)
                .where(col(AnswerRevision.field) == "status")
                .order_by(col(AnswerRevision.id))
            ).all()
    finally:
        db.dispose()
    stored = {(a.country_code, a.item_id): a for a in answers}
    for person, resume_item in zip(run.people, resumed, strict=True):
        for item, status in person.confirmed.items():
            answer = stored.get((person.country, item))
            assert answer is not None, f"{person.country} {item}: confirmed, not stored"
            assert answer.status == status, f"{person.country} {item}: {answer.status}"
        answered = {i for (c, i), a in stored.items() if c == person.country and a.status}
        first_open = next((item for item in run.items if item not in answered), None)
        assert resume_item == first_open, f"{person.country}: resumed at {resume_item}"
    for answer in answers:
        chain = [r for r in revisions if r.answer_id == answer.id]
        assert chain, f"{answer.country_code} {answer.item_id}: no history"
        assert chain[0].old_value is None
        for before, after in itertools.pairwise(chain):
            assert after.old_value == before.new_value, f"{answer.item_id}: broken history"
        assert chain[-1].new_value == answer.status


async def test_nothing_confirmed_is_lost_across_kills_and_a_bad_network_day(
    fake: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    run, resumed = await crash_run(fake, database_url, tmp_path / "bot.log")
    assert run.kills >= KILLS
    check_database(database_url, run, resumed)
    confirmed = sum(len(p.confirmed) for p in run.people)
    taps = sum(p.taps for p in run.people)
    # Enough to mean something even on a loaded CI machine, where a restart takes seconds.
    assert confirmed >= len(COUNTRIES), f"{confirmed} of {taps} taps confirmed"
    log = run.bot.log()
    assert "Traceback" not in log, log
    struck = [c for c in fake.calls() if c.fault is not None]
    assert {c.fault for c in struck} >= {"retry_after", "server_error", "delay", "drop"}
    print(
        f"\n{run.kills} kills, {taps} taps, {confirmed} confirmed, {len(struck)} calls struck"
        f" by faults, {run.seconds:.0f}s"
    )
