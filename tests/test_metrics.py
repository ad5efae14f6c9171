"""What /metrics counts: the real bot against the fake Bot API, then the registry read.

The registry is the process's one `bot.metrics.REGISTRY`, shared by every test of the run, so
each test reads a value before and after what it does and asserts the difference. A count is
written when an update's handling ends, which can be just after the person saw the reply:
`settled` waits (a few seconds at most) until no update is being handled any more, it does not
time anything.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.metrics import REGISTRY
from tests.harness import BotHarness, item_id_of

THURSDAY = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)  # 10:00 in Bangkok: a reminder falls due


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def settled(name: str, **labels: str) -> float:
    """The value once no update is in the bot's hands (or what it is after a few seconds)."""
    for _ in range(100):
        if value("normsbot_updates_in_progress") == 0:
            break
        await asyncio.sleep(0.05)
    return value(name, **labels)


async def test_an_answer_is_one_update_handled_ok_and_timed(harness: BotHarness) -> None:
    user = await harness.enrol(7101, "TH")
    handled = await settled("normsbot_updates_handled_total", kind="callback_query", outcome="ok")
    timed = await settled("normsbot_handler_seconds_count", kind="callback_query")
    await user.press_and_wait("Implemented")
    assert (
        await settled("normsbot_updates_handled_total", kind="callback_query", outcome="ok")
        == handled + 1
    )
    assert await settled("normsbot_handler_seconds_count", kind="callback_query") == (timed + 1)
    commands = await settled("normsbot_updates_handled_total", kind="command", outcome="ok")
    await user.command("help")
    await user.expect("/")
    assert (
        await settled("normsbot_updates_handled_total", kind="command", outcome="ok")
        == commands + 1
    )


async def test_a_forged_button_is_counted_as_refused(harness: BotHarness) -> None:
    user = await harness.enrol(7102, "VN")
    prompt = await user.last()
    item = item_id_of(prompt)
    refused = await settled(
        "normsbot_updates_handled_total", kind="callback_query", outcome="refused"
    )
    answer = await user.press(f"a:s:x:{item}:99", message_id=prompt.message_id, force=True)
    assert answer is not None  # the stale-button answer
    assert (
        await settled("normsbot_updates_handled_total", kind="callback_query", outcome="refused")
        == refused + 1
    )


async def test_a_failure_on_the_way_to_telegram_is_counted_by_method(
    harness: BotHarness,
) -> None:
    user = await harness.enrol(7103, "LA")
    before = await settled("normsbot_telegram_transient_failures_total", method="editMessageText")
    await harness.tg.inject_fault("editMessageText", "server_error", status=502)
    await user.press("Implemented")
    await user.expect("Recorded: Implemented")  # repeated, then shown
    assert (
        await settled("normsbot_telegram_transient_failures_total", method="editMessageText")
        == before + 1
    )


async def test_a_planned_reminder_that_is_sent_counts_planned_and_sent(
    harness: BotHarness,
) -> None:
    await harness.enrol(7104, "TH")
    planned = await settled("normsbot_deliveries_total", kind="reminder", outcome="planned")
    sent = await settled("normsbot_deliveries_total", kind="reminder", outcome="sent")
    harness.clock.set(THURSDAY)
    report = await harness.sweep()
    assert report.sent.sent == 1
    assert value("normsbot_deliveries_total", kind="reminder", outcome="planned") == planned + 1
    assert value("normsbot_deliveries_total", kind="reminder", outcome="sent") == sent + 1


async def test_a_429_is_counted_with_the_seconds_telegram_asked_for(harness: BotHarness) -> None:
    await harness.enrol(7105, "TH")
    limited = await settled("normsbot_telegram_rate_limited_total", method="sendMessage")
    seconds = await settled("normsbot_telegram_retry_after_seconds_total")
    harness.clock.set(THURSDAY)
    await harness.tg.inject_fault("sendMessage", "retry_after", retry_after=1, chat_id=7105)
    report = await harness.sweep()
    assert report.sent.sent == 1  # the rate limiter waited and sent it
    assert value("normsbot_telegram_rate_limited_total", method="sendMessage") == limited + 1
    assert value("normsbot_telegram_retry_after_seconds_total") == seconds + 1


async def test_the_gauges_read_the_running_bot(harness: BotHarness) -> None:
    await harness.enrol(7106, "TH")
    text = metrics.exposition()[0].decode()
    for line in (
        'normsbot_db_connections_in_use{pool="write"}',
        'normsbot_queue_depth{queue="fairness"}',
        'normsbot_queue_depth{queue="updates"}',
        'normsbot_queue_depth{queue="offload"}',
        "normsbot_heavy_jobs_running",
        "normsbot_updates_in_progress",
    ):
        assert line in text, text
    assert value("normsbot_heavy_jobs_running") == 0


def test_the_exposition_is_prometheus_text_with_the_webhook_counter() -> None:
    metrics.WEBHOOK_REFUSED.labels(reason="secret").inc()
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    assert b'normsbot_webhook_refused_total{reason="secret"}' in body
    # Bounded labels: no person's id is ever a label value. (Label values, not the whole
    # text: a histogram's sum such as 0.07101 is no person's id.)
    values = {
        value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert values and not any("7101" in value or "7102" in value for value in values), values
