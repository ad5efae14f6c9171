"""While the bot runs, what start-up built is left out of the collector's full passes
(`bot/heap.py`), and given back when it stops."""

from __future__ import annotations

import gc

from bot.db import Database
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import BotHarness


async def test_start_up_objects_are_frozen_while_the_bot_runs_and_given_back_after(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> None:
    assert gc.get_freeze_count() == 0
    bot = BotHarness(fake_api, tg, database)
    await bot.start()
    try:
        frozen = gc.get_freeze_count()
        stranger = await tg.user(4402, "Sam")
        await stranger.command("start")
        await stranger.expect(lambda message: bool(message.text))  # it still answers
    finally:
        await bot.stop()
    # The checklists, catalogs, handlers and mappers: far more than a few objects.
    assert frozen > 50_000, frozen
    assert gc.get_freeze_count() == 0
