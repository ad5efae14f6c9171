"""Two bot processes, one PostgreSQL: everything stays correct when updates of one country, and
the sweepers' work, are split between two `normsbot run` processes.

As in production (compose.yaml: bot-1 and bot-2 behind Caddy), two real `normsbot run`
processes in webhook mode sit behind one address; a round-robin forwarder in this test stands
in for Caddy, so one person's consecutive taps go to different processes. Both processes
register that address with the fake Bot API at start (a second setWebhook with the same URL is
harmless) and share one PostgreSQL database. Meanwhile:

- four focal points of Thailand (one of them its national lead) and two of Viet Nam answer the
  same items at the same time: status taps, comments, "keep theirs / use mine";
- two coordinators act at the same moment: each invites, and every invite code is sent by two
  strangers at once; both press "+1 week" on the same cycle screen; both ask for /summary;
- notices and the coordinators' daily digest are due from the start, and both processes'
  sweepers (every second) race to send them, beside the notices each act plans;
- at the end the Thai focal point and the national lead /submit at once, the lead signs off;
- every other update that writes (a tap, a comment, an /invite) is posted to both processes at
  once, as when Telegram posts an update again while the first process still handles it.

Afterwards: every answer a person saw confirmed is in the history; each answer's history is one
unbroken chain of versions; every delivery went out exactly once (one message in its
recipient's chat); each button was answered once, and each update posted twice was skipped by
one process; each invite was used once, by one of its two senders; the audit log verifies
(`normsbot audit verify`) and holds exactly one row per act (one deadline move, not two).

A second test starts two processes migrating one new database at the same moment.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import yaml
from aiohttp import web
from sqlmodel import col, select

from bot.bootstrap import prepare_runtime
from bot.checklist import ASEAN_NORMS_ID, DEFAULT_STATUSES
from bot.config import Settings
from bot.db import Database
from bot.models import (
    Answer,
    AnswerRevision,
    AuditAction,
    AuditEntry,
    Cycle,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Invite,
    Person,
    Role,
)
from bot.services.actors import grant
from bot.services.notices import CycleNotice, NoticeKind, plan_notices
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg
from fakegram.webhook import SECRET_HEADER
from tests.conftest import BACKENDS
from tests.harness import INVITE_LINK, TOKEN, WEBHOOK_SECRET, free_port, is_prompt, item_id_of
from tests.reliability.conftest import SEED, fresh_postgres_database
from tests.reliability.test_crashes import ROOT, START_SECONDS, BotProcess, is_end

pytestmark = pytest.mark.asyncio

ADMIN, COORDINATOR = 7_300_001, 7_300_002
# Focal points: (Telegram id, country, national lead?)
FOCAL_POINTS = (
    (7_300_011, "TH", False),
    (7_300_012, "TH", False),
    (7_300_013, "TH", False),
    (7_300_014, "TH", True),
    (7_300_021, "VN", False),
    (7_300_022, "VN", False),
)
STRANGERS = 7_300_101  # and up: two for each invite code
NOTICES = 3  # due at the start, to everyone
NOTICE_TITLE = "Two-process notice"
ACTIONS = 40  # a person's taps and texts at most (a bound, not an expectation)
SCREEN_SECONDS = 15.0  # for the bot's answer to one tap on a loaded machine
ANSWERING_SECONDS = 180.0  # for everyone to get through the checklist (about 20 s here)
DELIVERED_SECONDS = 90.0  # for every due delivery to go out, at one message a second per chat
STATUS_LABELS = {
    "implemented": "Implemented",
    "in_progress": "In progress",
    "planned": "Planned",
    "not_started": "Not started",
    "not_applicable": "Not applicable",
}


# --- the database and the checklist ---------------------------------------------------------


def short_checklist(folder: Path) -> Path:
    """The bundled checklist cut to the first item of each of its 11 norms: few enough that
    several people answer all of them within the test, and a focal point can then submit."""
    data = yaml.safe_load((ROOT / "checklist" / "asean-norms.yaml").read_text(encoding="utf-8"))
    data["norms"] = [{**norm, "items": norm["items"][:1]} for norm in data["norms"]]
    folder.mkdir()
    (folder / "short.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return folder


def seed(database_url: str, checklist_dir: Path) -> list[str]:
    """Migrate, open the first cycle, enrol the coordinators and focal points (three days ago,
    so today's digest is theirs), plan NOTICES notices to each, due now; the item ids."""
    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=database_url,
        checklist_dir=checklist_dir,
        admins=[ADMIN],
    )
    rt = prepare_runtime(settings)
    now = datetime.now(UTC)
    enrolled = now - timedelta(days=3)

    roles: dict[int, tuple[Role, bool]] = {}

    def person(
        telegram_id: int, name: str, role: Role, is_national_lead: bool = False, **values: Any
    ) -> Person:
        roles[telegram_id] = (role, is_national_lead)
        return Person(
            telegram_id=telegram_id,
            display_name=name,
            locale="en",
            created_at=enrolled,
            last_active_at=enrolled,
            **values,
        )

    people = [
        person(ADMIN, "Ada Admin", Role.COORDINATOR, is_admin=True),
        person(COORDINATOR, "Cory Coordinator", Role.COORDINATOR),
    ]
    people += [
        person(
            telegram_id,
            f"{'Lead' if lead else 'Focal Point'} {telegram_id % 100}",
            Role.FOCAL_POINT,
            is_national_lead=lead,
            country_code=country,
        )
        for telegram_id, country, lead in FOCAL_POINTS
    ]
    with rt.db.session() as session:
        session.add_all(people)
        session.flush()
        ids = [person.id for person in people if person.id is not None]
        for one in people:
            assert one.id is not None
            role, lead = roles[one.telegram_id]
            grant(session, one.id, ASEAN_NORMS_ID, role, national_lead=lead)
        for number in range(NOTICES):
            plan_notices(
                session,
                kind=NoticeKind.CYCLE_OPENED,
                notice=CycleNotice(cycle_title=f"{NOTICE_TITLE} {number}", deadline=now),
                recipients=ids,
                event=f"twoproc:{number}",
                now=now,
            )
    rt.db.dispose()
    return [item.id for item in rt.checklists.default().items]


@dataclass
class Stored:
    """What the database holds after the run."""

    answers: list[Answer]
    revisions: list[AnswerRevision]
    deliveries: list[Delivery]
    invites: list[Invite]
    audit: list[AuditEntry]
    people: dict[int, Person]  # by person id
    cycle: Cycle
    ended: datetime  # when it was read


def stored(database_url: str) -> Stored:
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            return Stored(
                answers=list(session.exec(select(Answer))),
                revisions=list(
                    session.exec(select(AnswerRevision).order_by(col(AnswerRevision.id)))
                ),
                deliveries=list(session.exec(select(Delivery))),
                invites=list(session.exec(select(Invite))),
                audit=list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))),
                people={p.id: p for p in session.exec(select(Person)) if p.id is not None},
                cycle=session.exec(select(Cycle)).one(),
                ended=datetime.now(UTC),
            )
    finally:
        db.dispose()


def undelivered(database_url: str) -> list[Delivery]:
    """Rows still to go out now: planned and due, or claimed."""
    now = datetime.now(UTC)
    return [
        row
        for row in stored(database_url).deliveries
        if row.status == DeliveryStatus.CLAIMED
        or (row.status == DeliveryStatus.PLANNED and row.due_at is not None and row.due_at <= now)
    ]


# --- the processes and the proxy ------------------------------------------------------------


def is_write(update: dict[str, Any]) -> bool:
    """An update that changes something: a tap on an answering button, a comment's text, an
    /invite (the kinds a repeat must not apply twice)."""
    query = update.get("callback_query") or {}
    text = (update.get("message") or {}).get("text") or ""
    return (
        str(query.get("data", "")).startswith("a:")
        or text.startswith("/invite")
        or (bool(text) and not text.startswith("/"))
    )


class RoundRobin:
    """Caddy's stand-in: each request goes to the next process in turn, as it came (a process
    that cannot be reached: 502, and Telegram posts the update again).

    Every other update that changes something goes to both processes at once, as when
    Telegram posts an update again (its answer was late or lost) while the first process is
    still handling it: it must take effect, and be answered, once.
    """

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = itertools.count()
        self.writes = itertools.count()
        self.served: Counter[str] = Counter()
        self.doubled = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            name: request.headers[name]
            for name in (SECRET_HEADER, "Content-Type")
            if name in request.headers
        }
        first = next(self.turn) % len(self.backends)
        targets = [self.backends[first]]
        if is_write(json.loads(body)) and next(self.writes) % 2 == 0:
            targets.append(self.backends[(first + 1) % len(self.backends)])
            self.doubled += 1
        answers = await asyncio.gather(
            *(self._post(t, request.path_qs, body, headers) for t in targets)
        )
        return answers[0]

    async def _post(
        self, backend: str, path: str, body: bytes, headers: dict[str, str]
    ) -> web.Response:
        assert self._session is not None
        try:
            async with self._session.post(backend + path, data=body, headers=headers) as answer:
                content = await answer.read()
        except aiohttp.ClientError:
            return web.Response(status=502)
        self.served[backend] += 1
        # With its type, as Caddy passes it: a 200 may carry a call for Telegram to make.
        return web.Response(status=answer.status, body=content, content_type=answer.content_type)

    async def __aenter__(self) -> RoundRobin:
        app = web.Application()
        app.router.add_post("/{path:.*}", self.forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()


class WebhookBot(BotProcess):
    """`normsbot run` in webhook mode behind `webhook_url`, listening on its own port; both
    sweepers run every second and sweep at start."""

    def __init__(
        self, api: FakeBotAPI, database_url: str, log_path: Path, webhook_url: str, **env: str
    ) -> None:
        super().__init__(api, database_url, log_path)
        self.port = free_port()
        self.env.update(
            NORMSBOT_WEBHOOK_URL=webhook_url,
            NORMSBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
            NORMSBOT_LISTEN=f"127.0.0.1:{self.port}",
            NORMSBOT_ADMINS=str(ADMIN),
            NORMSBOT_SWEEP_ON_START="true",
            NORMSBOT_SWEEP_INTERVAL_SECONDS="1",
            NORMSBOT_DIGEST_ENABLED="true",
            NORMSBOT_DIGEST_FREQUENCY="daily",
            # Today's digest is due whenever the test runs: a slot at midnight, and working
            # hours all day, every day.
            NORMSBOT_DIGEST_TIME="00:00",
            NORMSBOT_WORK_DAYS="0,1,2,3,4,5,6",
            NORMSBOT_WORK_START="00:00",
            NORMSBOT_WORK_END="00:00",
            # People here tap at machine speed (as in tests/harness.py).
            NORMSBOT_USER_BURST="1000",
            NORMSBOT_USER_UPDATES_PER_SECOND="1000",
            **env,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def repeats_skipped(self) -> float:
        """Updates this process found handled before and skipped (its /metrics)."""
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{self.url}/metrics")).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("normsbot_updates_handled_total{")
            and 'outcome="skipped_repeat"' in line
        )

    async def start(self) -> None:
        """Start, then wait until /readyz says it is ready (database at head, Telegram seen)."""
        await self.launch()
        deadline = time.monotonic() + START_SECONDS
        async with httpx.AsyncClient() as client:
            while True:
                self.check_alive()
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bot did not become ready:\n{self.log()}")
                await asyncio.sleep(0.1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if "postgresql" not in BACKENDS:
        pytest.skip("NORMSBOT_TEST_DATABASES leaves PostgreSQL out")
    with fresh_postgres_database() as url:  # unreachable: skipped, failed under CI=true
        yield url


# --- the people -----------------------------------------------------------------------------


def is_question(message: Msg) -> bool:
    return message.has_button("Keep theirs") and message.has_button("Use mine")


def is_screen(message: Msg) -> bool:
    """A screen of the answering flow (not a notice, not a comment prompt)."""
    return is_prompt(message) or is_question(message) or is_end(message)


async def next_screen(user: FakeUser, after_seq: int) -> Msg | None:
    """The newest answering screen sent or edited after `after_seq`; None if none came."""
    deadline = time.monotonic() + SCREEN_SECONDS
    seq = after_seq
    while time.monotonic() < deadline:
        changed = await user.wait_for_change(after_seq=seq, timeout=1.0)
        screens = [m for m in changed if is_screen(m)]
        if screens:
            return max(screens, key=lambda m: m.seq)
        if changed:
            seq = max(m.seq for m in changed)
    return None


@dataclass
class Colleague:
    """A focal point answering their country's items while colleagues answer the same ones."""

    user: FakeUser
    country: str
    rng: random.Random
    statuses: list[tuple[str, str]] = field(default_factory=list)  # "Recorded: …" seen
    comments: list[tuple[str, str]] = field(default_factory=list)  # "Comment saved" seen
    commented: set[str] = field(default_factory=set)
    pending: tuple[str, str, str] | None = None  # ("status" | "comment", item, value)
    actions: int = 0
    questions: int = 0  # "keep theirs / use mine" asked

    async def press(self, message: Msg, data: str) -> Msg | None:
        """Press the button with callback data `data` on `message`: the screen then shown."""
        seq = await self.user.mark()
        await self.user.press(data, message_id=message.message_id)
        self.actions += 1
        return await next_screen(self.user, seq)

    async def start_over(self) -> Msg | None:
        seq = await self.user.mark()
        await self.user.command("start")
        self.actions += 1
        return await next_screen(self.user, seq)

    def saw(self, screen: Msg | None) -> None:
        """Note what the screen confirms of the pending action."""
        if screen is None or self.pending is None:
            return
        kind, item, value = self.pending
        if kind == "status" and f"Recorded: {STATUS_LABELS[value]}" in screen.plain:
            self.statuses.append((item, value))
        elif kind == "comment" and "Comment saved" in screen.plain:
            self.comments.append((item, value))
        if not is_question(screen):
            self.pending = None

    async def step(self, screen: Msg) -> Msg | None:
        if is_question(screen):
            self.questions += 1
            label = self.rng.choice(["Keep theirs", "Use mine"])
            data = next(b.callback_data for b in screen.buttons() if b.text == label)
            assert data is not None
            if label == "Keep theirs":
                self.pending = None
            shown = await self.press(screen, data)
            self.saw(shown)
            return shown
        item = item_id_of(screen)
        if item not in self.commented and self.rng.random() < 0.4:
            self.commented.add(item)
            ask = next(d for d in screen.callback_data() if d.startswith("a:c:"))
            seq = await self.user.mark()
            await self.user.press(ask, message_id=screen.message_id)
            await self.user.expect("Type your comment", timeout=SCREEN_SECONDS, after_seq=seq)
            text = f"Comment of {self.user.id} on {item}"
            self.pending = ("comment", item, text)
            seq = await self.user.mark()
            await self.user.send(text)
            self.actions += 2
            shown = await next_screen(self.user, seq)
            self.saw(shown)
            return shown
        index = self.rng.randrange(len(DEFAULT_STATUSES))
        self.pending = ("status", item, DEFAULT_STATUSES[index])
        data = next(
            d for d in screen.callback_data() if d.startswith("a:s:") and d.endswith(f":{index}")
        )
        shown = await self.press(screen, data)
        self.saw(shown)
        return shown

    async def work(self) -> None:
        """Answer until the end of the checklist (every item has an answer)."""
        shown = await self.start_over()
        while self.actions < ACTIONS:
            if shown is not None and is_end(shown):
                return
            shown = await self.step(shown) if shown is not None else await self.start_over()
        raise AssertionError(f"{self.user.id}: not through the checklist in {ACTIONS} actions")


async def reply_to(user: FakeUser, what: str | Callable[[Msg], bool], *words: str) -> Msg:
    """Send a command; its answer (`what`: a part of its text, or a test), past any notice
    arriving in between."""
    seq = await user.mark()
    await user.command(*words)
    return await user.expect(what, timeout=SCREEN_SECONDS, after_seq=seq)


async def invite(coordinator: FakeUser, country: str) -> str:
    seq = await coordinator.mark()
    await coordinator.command("invite", country)
    message = await coordinator.expect("Invite for", timeout=SCREEN_SECONDS, after_seq=seq)
    match = INVITE_LINK.search(message.text or "")
    assert match, message.text
    return match.group(1)


async def extend_by_a_week(coordinators: list[FakeUser]) -> list[Msg]:
    """Each coordinator opens /cycle, then all press "+1 week" at once, on screens drawn for
    the same version of the cycle: one moves the deadline, the others are told it moved."""
    screens = [await reply_to(user, _extends, "cycle") for user in coordinators]
    marks = [await user.mark() for user in coordinators]
    weeks = [
        next(d for d in screen.callback_data() if d.startswith("cy:dl:") and ":7:" in d)
        for screen in screens
    ]
    await asyncio.gather(
        *(
            user.press(data, message_id=screen.message_id)
            for user, screen, data in zip(coordinators, screens, weeks, strict=True)
        )
    )
    answers = []
    for user, screen, seq in zip(coordinators, screens, marks, strict=True):

        def answer(message: Msg, shown: int = screen.message_id) -> bool:
            return message.message_id == shown or "is now" in message.plain

        answers.append(await user.expect(answer, timeout=SCREEN_SECONDS, after_seq=seq))
    return answers


def _extends(message: Msg) -> bool:
    return any(data.startswith("cy:dl:") for data in message.callback_data())


@dataclass
class Coordinating:
    """What the coordinators did, for the checks."""

    codes: list[str] = field(default_factory=list)
    strangers: dict[str, list[int]] = field(default_factory=dict)  # code → who sent it
    extended: list[Msg] = field(default_factory=list)
    summaries: list[Msg] = field(default_factory=list)


async def coordinate(tg: FakeTelegram, coordinators: list[FakeUser]) -> Coordinating:
    done = Coordinating()

    async def invites(coordinator: FakeUser) -> list[str]:  # one after the other, as people do
        return [await invite(coordinator, "TH"), await invite(coordinator, "VN")]

    done.codes = [
        code for codes in await asyncio.gather(*map(invites, coordinators)) for code in codes
    ]
    strangers = itertools.count(STRANGERS)
    sends = []
    for code in done.codes:
        pair = [await tg.user(next(strangers), "Newcomer") for _ in range(2)]
        done.strangers[code] = [user.id for user in pair]
        sends += [reply_to(user, lambda _m: True, "start", code) for user in pair]
    await asyncio.gather(*sends)  # two people, one code, the same moment
    done.extended = await extend_by_a_week(coordinators)
    done.summaries = list(
        await asyncio.gather(*(reply_to(u, "Reports submitted", "summary") for u in coordinators))
    )
    return done


# --- the run --------------------------------------------------------------------------------


async def test_two_processes_lose_and_duplicate_nothing(
    fake: FakeBotAPI, postgres_url: str, tmp_path: Path
) -> None:
    items = seed(postgres_url, short_checklist(tmp_path / "checklist"))
    deadline_before = stored(postgres_url).cycle.deadline
    fake.webhook_http = True  # Telegram would want https://; this is loopback
    rng = random.Random(SEED)
    began = time.monotonic()
    async with RoundRobin([]) as proxy, FakeTelegram(fake.base_url) as tg:
        webhook_url = f"http://127.0.0.1:{proxy.port}/telegram"
        env = {"NORMSBOT_CHECKLIST_DIR": str(tmp_path / "checklist")}
        bots = [
            WebhookBot(fake, postgres_url, tmp_path / f"bot-{n}.log", webhook_url, **env)
            for n in (1, 2)
        ]
        proxy.backends[:] = [bot.url for bot in bots]
        coordinators = [
            await tg.user(ADMIN, "Ada Admin", started=True),
            await tg.user(COORDINATOR, "Cory Coordinator", started=True),
        ]
        colleagues = [
            Colleague(
                await tg.user(telegram_id, f"Focal Point {telegram_id}", started=True),
                country,
                random.Random(rng.random()),
            )
            for telegram_id, country, _lead in FOCAL_POINTS
        ]
        try:
            await asyncio.gather(*(bot.start() for bot in bots))
            answering = asyncio.gather(*(person.work() for person in colleagues))
            try:
                coordinating = await coordinate(tg, coordinators)
            finally:
                await asyncio.wait_for(answering, ANSWERING_SECONDS)
            # Both Thai reports' senders at once; then the national lead signs off.
            thai_fp, lead = colleagues[0].user, colleagues[3].user
            await asyncio.gather(
                reply_to(thai_fp, "submitted", "submit"), reply_to(lead, "submitted", "submit")
            )
            await reply_to(lead, "signed off", "signoff")
            await reply_to(colleagues[4].user, "submitted", "submit")
            # Every delivery due goes out (the sweepers run every second).
            limit = time.monotonic() + DELIVERED_SECONDS
            while undelivered(postgres_url) and time.monotonic() < limit:
                for bot in bots:
                    bot.check_alive()
                await asyncio.sleep(0.5)
            for bot in bots:
                bot.check_alive()
            skipped = sum(await asyncio.gather(*(bot.repeats_skipped() for bot in bots)))
            await asyncio.gather(*(bot.stop() for bot in bots))
        finally:
            await asyncio.gather(*(bot.kill() for bot in bots))  # only after a failure
        seconds = time.monotonic() - began
        everyone = [ADMIN, COORDINATOR, *(fp[0] for fp in FOCAL_POINTS)]
        everyone += [user for pair in coordinating.strangers.values() for user in pair]
        chats = {user: [m for m in (await tg.chat(user))[0] if m.from_bot] for user in everyone}
    for bot in bots:
        assert "Traceback" not in bot.log(), bot.log()
        assert bot.process is not None and bot.process.returncode == 0, bot.log()
    # Both processes took their share of the updates, and registered the same webhook.
    assert all(proxy.served[bot.url] > 10 for bot in bots), proxy.served
    set_webhook = fake.calls("setWebhook")
    assert [c.status for c in set_webhook] == [200, 200]
    assert {c.params["url"] for c in set_webhook} == {webhook_url}
    assert fake.botapi.webhook.status.failed_attempts == 0
    assert not fake.botapi.state.updates, "every update was confirmed"

    db = stored(postgres_url)
    check_answers(db, colleagues, items)
    check_deliveries(db, chats)
    check_invites(db, coordinating, chats)
    check_deadline(db, coordinating, deadline_before)
    check_audit(db, postgres_url)
    for summary in coordinating.summaries:
        assert "Reports submitted" in summary.plain, summary.plain
    answered_calls = Counter(
        str(c.params.get("callback_query_id")) for c in fake.calls("answerCallbackQuery")
    )
    assert max(answered_calls.values()) == 1, "a button answered twice"
    assert any(p.questions for p in colleagues), "colleagues never met on one item"
    # Each update posted to both processes took effect in one; the other skipped it.
    assert skipped == proxy.doubled > 0, (skipped, proxy.doubled)
    confirmed = sum(len(p.statuses) for p in colleagues)
    print(
        f"\ntwo processes: {proxy.served[bots[0].url]} + {proxy.served[bots[1].url]} updates,"
        f" {confirmed} statuses and {sum(len(p.comments) for p in colleagues)} comments"
        f" confirmed, {sum(p.questions for p in colleagues)} colleague questions,"
        f" {proxy.doubled} updates posted to both ({skipped:.0f} skipped as repeats),"
        f" {len(db.deliveries)} deliveries,"
        f" {sum(c.status == 429 for c in fake.calls())} answers 429, {seconds:.0f} s"
    )


# --- the checks -----------------------------------------------------------------------------


def check_answers(db: Stored, colleagues: list[Colleague], items: list[str]) -> None:
    """Nothing confirmed is missing from the history; each answer's history is one chain."""
    person_of = {p.telegram_id: person_id for person_id, p in db.people.items()}
    for colleague in colleagues:
        me = person_of[colleague.user.id]
        ours = [r for r in db.revisions if r.country_code == colleague.country]
        for item, status in colleague.statuses:
            # By this person, or (a tap that agreed with what was stored) by a colleague.
            assert any(
                r.item_id == item and r.field == "status" and r.new_value == status for r in ours
            ), f"{colleague.user.id}: {item} {status} confirmed, not in the history"
        for item, text in colleague.comments:
            assert any(
                r.item_id == item
                and r.field == "comment"
                and r.new_value == text
                and r.changed_by == me
                for r in ours
            ), f"{colleague.user.id}: comment on {item} confirmed, not in the history"
    for answer in db.answers:
        chain = [r for r in db.revisions if r.answer_id == answer.id]
        where = f"{answer.country_code} {answer.item_id}"
        assert [r.answer_version for r in chain] == list(range(1, answer.version + 1)), (
            f"{where}: versions {[r.answer_version for r in chain]}, answer at {answer.version}"
        )
        for name, value in (("status", answer.status), ("comment", answer.comment)):
            steps = [r for r in chain if r.field == name]
            for before, after in itertools.pairwise(steps):
                assert after.old_value == before.new_value, f"{where}: broken {name} history"
            assert (steps[-1].new_value if steps else None) == value, f"{where}: {name}"
    for country in ("TH", "VN"):
        answered = {a.item_id for a in db.answers if a.country_code == country and a.status}
        assert answered == set(items), f"{country}: {sorted(answered)}"


def check_deliveries(db: Stored, chats: dict[int, list[Msg]]) -> None:
    """Every delivery went out, each exactly once: one message in its recipient's chat."""
    statuses = Counter(row.status for row in db.deliveries)
    later = [r for r in db.deliveries if r.status == DeliveryStatus.PLANNED]
    assert all(r.due_at is not None and r.due_at > db.ended for r in later), [
        (r.kind, r.slot, r.due_at) for r in later
    ]
    assert set(statuses) <= {DeliveryStatus.SENT, DeliveryStatus.PLANNED}, statuses
    for row in db.deliveries:
        if row.status != DeliveryStatus.SENT:
            continue
        chat = chats[db.people[row.recipient_id].telegram_id]
        [sent] = [m for m in chat if m.message_id == row.telegram_message_id]
        copies = [m for m in chat if m.text == sent.text]
        assert len(copies) == 1, f"{row.kind} {row.slot} arrived {len(copies)} times"
    seeded = ADMIN, COORDINATOR, *(fp[0] for fp in FOCAL_POINTS)
    for telegram_id in seeded:
        for number in range(NOTICES):
            title = f"{NOTICE_TITLE} {number}"
            got = sum(title in m.plain for m in chats[telegram_id])
            assert got == 1, f"{telegram_id} got {title!r} {got} times"
    digests = [row for row in db.deliveries if row.kind == DeliveryKind.DIGEST]
    digested = Counter(r.recipient_id for r in digests if r.status == DeliveryStatus.SENT)
    assert sorted(digested.values()) == [1, 1], "one digest to each coordinator"


def check_invites(db: Stored, done: Coordinating, chats: dict[int, list[Msg]]) -> None:
    """Each invite enrolled exactly one of the two people who sent its code at once; each of
    them got one answer."""
    assert len(db.invites) == len(done.codes)
    enrolled = {p.telegram_id for p in db.people.values()}
    # Message ids are counted per chat.
    sent = {(db.people[r.recipient_id].telegram_id, r.telegram_message_id) for r in db.deliveries}
    for invite_row in db.invites:
        assert invite_row.used_by is not None and invite_row.used_at is not None
    for code, pair in done.strangers.items():
        assert len(enrolled & set(pair)) == 1, f"{code}: {enrolled & set(pair)} enrolled"
        for user in pair:
            replies = [m for m in chats[user] if (user, m.message_id) not in sent]
            assert len(replies) == 1, f"{user}: {[m.plain[:60] for m in replies]}"
    for coordinator in (ADMIN, COORDINATOR):  # /invite TH, /invite VN: one answer each
        made = [m for m in chats[coordinator] if m.plain.startswith("✉️ Invite for")]
        assert len(made) == 2, [m.plain[:60] for m in made]
    users = {db.people[i].telegram_id for i in (row.used_by for row in db.invites) if i}
    assert len(users) == len(db.invites), "one person used two invites"


def check_deadline(db: Stored, done: Coordinating, before: datetime | None) -> None:
    """Two "+1 week" on the same screen at once move the deadline by one week."""
    assert before is not None and db.cycle.deadline == before + timedelta(days=7)
    moved = [m for m in done.extended if "is now" in m.plain]
    assert len(moved) == 1, [m.plain[:80] for m in done.extended]


def check_audit(db: Stored, database_url: str) -> None:
    """The chain verifies, and holds one row per act."""
    verify = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "verify"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0 and "audit log OK" in verify.stdout, verify
    acts = Counter((row.action, row.country_code) for row in db.audit)
    assert acts[(AuditAction.INVITE_CREATED, "TH")] == 2
    assert acts[(AuditAction.INVITE_CREATED, "VN")] == 2
    assert acts[(AuditAction.INVITE_REDEEMED, "TH")] == 2
    assert acts[(AuditAction.INVITE_REDEEMED, "VN")] == 2
    assert sum(n for (action, _), n in acts.items() if action == AuditAction.DEADLINE_MOVED) == 1
    assert acts[(AuditAction.REPORT_SUBMITTED, "TH")] == 1, "two submissions of one report"
    assert acts[(AuditAction.REPORT_SIGNED_OFF, "TH")] == 1
    assert acts[(AuditAction.REPORT_SUBMITTED, "VN")] == 1
    assert not any(action == AuditAction.REPORT_REOPENED for action, _ in acts)


async def test_two_processes_migrating_one_database_at_once_both_succeed(
    postgres_url: str,
) -> None:
    # Every `normsbot run` migrates at start: two processes started together on a database
    # that needs a migration (a first start, an upgrade without the one-shot `migrate`)
    # must not both run it; the second waits for the first and finds the tables up to date.
    env = {**os.environ, "DATABASE_URL": postgres_url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [(await process.communicate())[0].decode() for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output
        assert output.startswith("database is up to date"), output
