"""SIGTERM, as `docker stop` and systemd send it, drains the bot: it stops taking updates,
finishes the ones in flight, gives back the deliveries it claimed and had not sent, closes its
pools, and exits 0 within Docker's default grace period, so it is never killed half-way.

`normsbot run` (a real process against the fake Bot API, on SQLite and PostgreSQL) is sending
a long batch of notices, at Telegram's pace of one message a second per chat, while focal
points answer. A SIGTERM mid-run must end it within `DRAIN_SECONDS` with exit status 0 and no
`Delivery` row left claimed (a claim left behind would hold its message back for the lease,
five minutes, and count as a failed try). Every answer a focal point saw confirmed is stored;
after a restart each person resumes at their first open item, and every notice arrives,
exactly once.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.checklist import DEFAULT_STATUSES
from bot.db import Database
from bot.models import Answer, Delivery, DeliveryStatus, Person
from bot.services.notices import CycleNotice, NoticeKind, plan_notices
from fakegram import FakeBotAPI, FakeTelegram
from tests.reliability.conftest import SEED
from tests.reliability.test_crashes import (
    BotProcess,
    focal_points,
    resume_point,
    seed,
)

NOTICES = 40  # per person: at one message a second per chat, 40 s of sending
DRAIN_SECONDS = 10.0  # `docker stop` sends SIGKILL after 10 s by default
DELIVERED_SECONDS = 180.0  # after the restart, for every notice to arrive


def notice_title(number: int) -> str:
    return f"Drain notice {number:03d}"


def plan_many_notices(database_url: str) -> int:
    """NOTICES notices to every focal point, all due now (as after a busy coordinator)."""
    db = Database(database_url)
    deadline = datetime.now(UTC) + timedelta(days=30)
    try:
        with db.session() as session:
            ids = [p.id for p in session.exec(select(Person)) if p.id is not None]
            return sum(
                plan_notices(
                    session,
                    kind=NoticeKind.CYCLE_OPENED,
                    notice=CycleNotice(cycle_title=notice_title(number), deadline=deadline),
                    recipients=ids,
                    event=f"drain:{number}",
                    now=datetime.now(UTC),
                )
                for number in range(NOTICES)
            )
    finally:
        db.dispose()


def rows(database_url: str) -> tuple[list[Delivery], dict[tuple[str, str], str | None]]:
    db = Database(database_url)
    try:
        with db.session(write=False) as session:
            deliveries = list(session.exec(select(Delivery)))
            answers = {(a.country_code, a.item_id): a.status for a in session.exec(select(Answer))}
    finally:
        db.dispose()
    return deliveries, answers


def notices_received(api: FakeBotAPI) -> Counter[tuple[int | None, str]]:
    """How often each chat got each notice (sends Telegram accepted)."""
    received: Counter[tuple[int | None, str]] = Counter()
    for call in api.calls("sendMessage"):
        text = str(call.params.get("text", ""))
        if call.status == 200 and "Drain notice" in text:
            number = text.split("Drain notice ", 1)[1][:3]
            received[(call.chat_id, number)] += 1
    return received


async def test_sigterm_drains_and_a_restart_loses_nothing(
    fake: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    items = seed(database_url)
    rng = random.Random(SEED)
    planned = plan_many_notices(database_url)
    bot = BotProcess(fake, database_url, tmp_path / "bot.log")
    bot.env["NORMSBOT_SWEEP_ON_START"] = "true"  # the sweep starts sending right away
    async with FakeTelegram(fake.base_url) as tg:
        people = await focal_points(
            tg, items, lambda _item: rng.choice(DEFAULT_STATUSES), started=True
        )
        await bot.start()
        stop = asyncio.Event()
        workers = [asyncio.create_task(person.work(stop)) for person in people]
        try:
            # Mid-run: notices going out, people answering.
            while sum(notices_received(fake).values()) < 2 * len(people) or sum(
                len(p.confirmed) for p in people
            ) < len(people):
                bot.check_alive()
                await asyncio.sleep(0.1)
            assert bot.process is not None
            began = time.monotonic()
            bot.process.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(bot.process.wait(), DRAIN_SECONDS)
            except TimeoutError:
                raise AssertionError(
                    f"still running {DRAIN_SECONDS:.0f} s after SIGTERM:\n{bot.log()}"
                ) from None
            drained = time.monotonic() - began
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            await bot.kill()  # only if it outlived the bound
        assert code == 0, bot.log()

        deliveries, answers = rows(database_url)
        held = [row.id for row in deliveries if row.status == DeliveryStatus.CLAIMED]
        assert held == [], f"claims left held after SIGTERM: {held}"
        sent_before = sum(row.status == DeliveryStatus.SENT for row in deliveries)
        assert sent_before < planned  # it was stopped mid-batch, not after it
        assert all(row.attempts == 0 for row in deliveries), "a drained send counted as a try"
        for person in people:
            for item, status in person.confirmed.items():
                assert answers.get((person.country, item)) == status, f"{person.country} {item}"

        # The restart: everyone resumes where the database says, and the rest of the notices go.
        await bot.start()
        for person in people:
            resumed = resume_point(await person.resume(bot))
            answered = {i for (c, i), s in rows(database_url)[1].items() if c == person.country}
            first_open = next((item for item in items if item not in answered), None)
            assert resumed == first_open, f"{person.country} resumed elsewhere"
        deadline = time.monotonic() + DELIVERED_SECONDS
        while sum(notices_received(fake).values()) < planned and time.monotonic() < deadline:
            bot.check_alive()
            await asyncio.sleep(0.5)
        await bot.stop()
    received = notices_received(fake)
    assert len(received) == planned, f"{len(received)} of {planned} notices arrived"
    assert set(received.values()) == {1}, "a notice arrived twice"
    assert all(row.status == DeliveryStatus.SENT for row in rows(database_url)[0])
    assert "Traceback" not in bot.log(), bot.log()
    print(
        f"\nSIGTERM with {planned - sent_before} of {planned} notices unsent: exited 0 in"
        f" {drained:.1f} s, no claim held"
    )
