"""Each update takes effect once: Telegram serves an update again when the process that got it
died before confirming its offset (and retries a webhook post whose answer was lost).

Here the fake Bot API serves the very same update (same `update_id`) to a restarted bot, as
Telegram does after a crash. The bot recorded the update's id in the transaction of its
effect, so the repeat changes nothing and gets no second reply.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, col, select

from bot.db import MIGRATIONS_DIR, Database
from bot.models import AnswerRevision, Cursor, Cycle, Evidence, HandledUpdate, Invite
from bot.services import updates
from fakegram import FakeUser
from tests.harness import START, BotHarness

SETTLE = 1.0  # seconds for a (wrong) second reply to arrive
BEFORE = "b7c41e9a2d05"  # the migration before `handled_update`


class Served:
    """Every update the fake API queues, kept so that a test can serve it again."""

    def __init__(self, harness: BotHarness) -> None:
        self.harness = harness
        self.updates: list[dict[str, Any]] = []
        state = harness.api.state
        original = state.queue_update

        def queue_update(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
            update = original(kind, payload)
            self.updates.append(copy.deepcopy(update))
            return update

        state.queue_update = queue_update  # type: ignore[method-assign]

    async def again_after_a_crash(self, update: dict[str, Any]) -> None:
        """The bot stops; Telegram still holds `update` (its offset was never confirmed) and
        serves it to the bot that starts next."""
        await self.harness.stop()
        state = self.harness.api.state
        state.updates.append(copy.deepcopy(update))
        state.notifier.notify()
        await self.harness.start()


async def _bot_messages(user: FakeUser) -> int:
    await asyncio.sleep(SETTLE)
    return len(await user.messages())


async def test_an_invite_command_served_twice_creates_one_invite(harness: BotHarness):
    admin = await harness.admin()
    served = Served(harness)
    await admin.command("invite", "TH")
    await admin.expect("Invite for")
    [update] = [u for u in served.updates if "/invite" in str(u)]
    before = await _bot_messages(admin)

    await served.again_after_a_crash(update)
    assert await _bot_messages(admin) == before  # no second reply
    with harness.db.session() as session:
        assert len(session.exec(select(Invite)).all()) == 1
        assert session.get(HandledUpdate, update["update_id"]) is not None


async def test_a_comment_served_twice_is_taken_once(harness: BotHarness):
    alice = await harness.enrol(3201, "TH", name="Alice")
    await alice.press_and_wait("Comment")
    await alice.expect("Type your comment")
    served = Served(harness)
    await alice.send("We adopted the strategy in 2023")
    await alice.expect("Comment saved")
    [update] = served.updates
    before = await _bot_messages(alice)

    await served.again_after_a_crash(update)
    assert await _bot_messages(alice) == before  # not held again and offered as a comment
    with harness.db.session() as session:
        revisions = session.exec(
            select(AnswerRevision).where(col(AnswerRevision.field) == "comment")
        ).all()
        assert [r.new_value for r in revisions] == ["We adopted the strategy in 2023"]
        [cursor] = session.exec(select(Cursor)).all()
        assert cursor.pending is None


async def test_a_document_served_twice_is_one_piece_of_evidence(harness: BotHarness):
    alice = await harness.enrol(3202, "TH", name="Alice")
    await alice.press_and_wait("Evidence")
    served = Served(harness)
    await alice.send_document("policy.pdf", b"%PDF-1.4 strategy", caption="The strategy")
    await alice.expect(lambda m: "Evidence saved" in m.plain)
    [update] = served.updates
    before = await _bot_messages(alice)

    await served.again_after_a_crash(update)
    assert await _bot_messages(alice) == before
    with harness.db.session() as session:
        assert [e.file_name for e in session.exec(select(Evidence)).all()] == ["policy.pdf"]
        [cursor] = session.exec(select(Cursor)).all()
        assert cursor.pending is None


def test_two_processes_handling_one_update_at_once_record_it_once(database: Database):
    """A webhook retry handled while the first post still runs: one of them goes on."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def handle() -> None:
        barrier.wait()
        try:
            with database.session() as session:
                updates.record(session, update_id=42, now=START)
                time.sleep(0.2)  # the effect, while the other one waits on the key
            outcomes.append("handled")
        except updates.AlreadyHandled:
            outcomes.append("repeat")

    threads = [threading.Thread(target=handle) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["handled", "repeat"]


async def test_handled_updates_are_forgotten_after_a_few_days(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("invite", "TH")
    await admin.expect("Invite for")
    with harness.db.session() as session:
        assert session.exec(select(HandledUpdate)).all()
    harness.clock.advance(updates.KEEP + timedelta(minutes=1))
    await harness.sweep()
    with harness.db.session() as session:
        assert session.exec(select(HandledUpdate)).all() == []


def test_the_handled_update_migration_upgrades_an_existing_database(database: Database):
    """A database from before the table (with its data) upgrades, and the table it gets is the
    one the model describes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
        connection.commit()
        assert "handled_update" not in sa.inspect(connection).get_table_names()
        connection.execute(
            sa.text(
                "INSERT INTO cycle (checklist_id, checklist_version, title, opens_at, created_at)"
                " VALUES ('c', '1', 'Old', :at, :at)"
            ),
            {"at": START},
        )
        connection.commit()
        command.upgrade(config, "head")
        connection.commit()
        context = MigrationContext.configure(connection)
        differences = [
            diff
            for diff in compare_metadata(context, SQLModel.metadata)
            if "handled_update" in str(diff)
        ]
        assert differences == []
    with database.session() as session:
        assert [cycle.title for cycle in session.exec(select(Cycle)).all()] == ["Old"]
        updates.record(session, update_id=7, now=START)
    with database.session() as session, pytest.raises(updates.AlreadyHandled):
        updates.record(session, update_id=7, now=START)
