"""Fairness: one person's flood of messages or exports never slows another person down.

Through the real bot and the fake Bot API; no timing is asserted, only order and counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.db import Database
from bot.telegram.offload import AlreadyPreparing, Busy, Offloader
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg
from tests.harness import BotHarness, is_prompt

FLOOD_NOTICE = "faster than I can read them"


@pytest.fixture
async def paced(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    """The bot with a small burst, so that a flood's accepted updates take a while (about
    2.5 seconds for the backlog of 5): long enough for the order below never to be a race."""
    async with BotHarness(
        fake_api, tg, database, user_burst=3, user_updates_per_second=2, user_backlog=5
    ) as bot:
        yield bot


async def _settled(user: FakeUser) -> list[Msg]:
    """The user's chat once the bot has stopped writing to it."""
    while await user.wait_for_change(timeout=3):
        pass
    return await user.messages()


async def test_a_flood_from_one_person_does_not_hold_back_another(paced: BotHarness):
    alice = await paced.enrol(4001, "TH", name="Alice")
    bruno = await paced.enrol(4002, "VN", name="Bruno")
    before = len(await alice.messages())

    # 80 texts at once from Alice (no comment was asked for: each would get a hint) ...
    await asyncio.gather(*(alice.send(f"text {n}") for n in range(80)))
    # ... then Bruno's tap, while her backlog is still being worked through.
    answered = await bruno.press_and_wait("Implemented", timeout=30)
    assert is_prompt(answered)

    replies = (await _settled(alice))[before:]
    notices = [m for m in replies if FLOOD_NOTICE in m.plain]
    assert len(notices) == 1  # one notice per flood, not one per skipped message
    answers = [m for m in replies if FLOOD_NOTICE not in m.plain]
    assert 1 <= len(answers) < 80  # the excess was skipped
    assert answered.seq < answers[-1].seq  # Bruno did not wait for the end of Alice's backlog
    assert not any(FLOOD_NOTICE in m.plain for m in await bruno.messages())  # never someone else


async def test_a_second_export_while_one_is_made_is_declined(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("export")
    await admin.command("export")  # at once: the first is still being read and written

    # The export's two files first (a worker process's cold start on a busy machine takes
    # longer than the 3 s of quiet that `_settled` waits for), then quiet: no second export.
    await admin.expect(lambda m: m.document is not None and m.document["file_name"].endswith("csv"))
    messages = await _settled(admin)
    documents = [m for m in messages if m.document is not None]
    names = sorted(m.document["file_name"].rsplit(".", 1)[1] for m in documents if m.document)
    assert names == ["csv", "xlsx"]  # one export, not two
    declined = [m for m in messages if "Already preparing your export" in m.plain]
    assert len(declined) == 1
    assert declined[0].seq < documents[0].seq  # answered at once, not after the first one

    await admin.command("export")  # done: a new request is welcome again
    while len([m for m in await admin.messages() if m.document]) < 4:
        assert await admin.wait_for_change(timeout=30)


async def test_jobs_are_bounded_per_person_and_overall():
    offloader = Offloader(workers=1, queue=1)
    async with offloader.reserved(1, "export"):
        with pytest.raises(AlreadyPreparing) as running:
            async with offloader.reserved(1, "chart"):
                pass
        assert running.value.kind == "export"
        async with offloader.reserved(2, "chart"):  # the one place in the queue
            with pytest.raises(Busy):
                async with offloader.reserved(3, "chart"):
                    pass
    async with offloader.reserved(1, "chart"):  # every place is free again
        pass
