"""Notices outside a reply (a report submitted or signed off, a cycle opened, a deadline moved)
are planned in the same transaction as the change and sent by the sweeper, exactly once.

The change commits its notices as `Delivery` rows: a send that failed, or a process that died
between the commit and the send, leaves them planned, and the next sweep (after a restart,
too) sends them. Two senders at once claim each row once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import col, select

from bot.checklist import ASEAN_NORMS_ID
from bot.models import Delivery, DeliveryStatus, Person
from bot.services import cycles, submission
from bot.services.submission import Outcome
from bot.telegram.sender import send_due
from tests.harness import ADMIN_ID, BotHarness
from tests.test_coordinators import fill_answers
from tests.test_idempotent_buttons import _told


def _notices(harness: BotHarness) -> list[Delivery]:
    with harness.db.session() as session:
        query = select(Delivery).where(Delivery.kind == "notice").order_by(col(Delivery.id))
        return list(session.exec(query).all())


async def test_a_notice_whose_send_failed_is_sent_by_the_next_sweep_after_a_restart(
    harness: BotHarness,
):
    alice = await harness.enrol(3101, "TH", name="Alice")
    admin = await harness.admin()
    fill_answers(harness, "TH")
    await harness.tg.inject_fault("sendMessage", "server_error", status=500, chat_id=ADMIN_ID)
    await alice.command("submit")
    await alice.expect("is submitted")
    assert await _told(admin, "was submitted by Alice") == 0  # the one send failed

    await harness.restart()
    harness.clock.advance(minutes=10)  # past the retry's backoff
    await harness.sweep()
    assert await _told(admin, "was submitted by Alice") == 1
    await harness.sweep()
    assert await _told(admin, "was submitted by Alice") == 1


async def test_each_notice_is_sent_once_when_two_senders_sweep_at_once(harness: BotHarness):
    await harness.enrol(3102, "TH", name="Alice")
    admin = await harness.admin()
    bob = await harness.enrol_coordinator(3103, name="Bob")
    fill_answers(harness, "TH")
    rt = harness.runtime
    # As if the process died right after the commit: the notices are only rows so far.
    result = harness.db.call(
        submission.submit_report,
        actor=harness.actor(3102),
        checklists=rt.checklists,
        now=harness.clock.now(),
    )
    assert result.outcome is Outcome.DONE
    assert [row.status for row in _notices(harness)] == [DeliveryStatus.PLANNED.value] * 2

    assert harness.app is not None
    bot = harness.app.bot
    reports = await asyncio.gather(send_due(bot, rt), send_due(bot, rt))
    assert sum(report.sent for report in reports) == 2
    for coordinator in (admin, bob):
        assert await _told(coordinator, "was submitted by Alice") == 1
    assert [row.status for row in _notices(harness)] == [DeliveryStatus.SENT.value] * 2


async def test_a_notice_is_written_in_the_language_the_recipient_has_when_it_is_sent(
    harness: BotHarness,
):
    alice = await harness.enrol(3104, "TH", name="Alice")
    admin = await harness.admin()
    rt = harness.runtime
    before = harness.db.read(cycles.require_open_cycle, ASEAN_NORMS_ID).deadline
    moved = harness.db.call(
        cycles.extend_deadline,
        actor=harness.actor(ADMIN_ID),
        checklists=rt.checklists,
        cycle_id=harness.db.read(cycles.require_open_cycle, ASEAN_NORMS_ID).id or 0,
        days=7,
        now=harness.clock.now(),
    )
    assert before is not None and moved.new - timedelta(days=7) == before
    with harness.db.session() as session:  # she chooses Vietnamese before it goes out
        person = session.exec(select(Person).where(Person.telegram_id == 3104)).one()
        person.locale = "vi"
        session.add(person)
    await harness.sweep()
    assert await _told(alice, "Thời hạn của kỳ báo cáo “") == 1
    assert await _told(alice, "has changed") == 0
    assert await _told(admin, "has changed") == 0  # coordinators are not told
