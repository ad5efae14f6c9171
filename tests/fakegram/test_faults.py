"""Injected faults as PTB experiences them, through the control API and the Python API."""

from __future__ import annotations

import datetime as dtm
import time
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from fakegram import FakeBotAPI, FakeTelegram
from fakegram.faults import FaultInjector, FaultRule
from tests.fakegram.conftest import TOKEN

pytestmark = pytest.mark.asyncio


def seconds(value: int | float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def texts(client: FakeTelegram, chat_id: int) -> list[str | None]:
    messages, _ = await client.chat(chat_id)
    return [m.text for m in messages if m.from_bot]


async def test_retry_after_then_success(ptb_bot: Any, fake_client: FakeTelegram) -> None:
    await fake_client.user(3001, started=True)
    await fake_client.inject_fault("sendMessage", "retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await ptb_bot.send_message(3001, "first")
    assert seconds(caught.value.retry_after) == 7
    assert (await ptb_bot.send_message(3001, "second")).text == "second"
    assert await texts(fake_client, 3001) == ["second"]
    calls = await fake_client.calls("sendMessage")
    assert [(c["status"], c["description"], c["fault"]) for c in calls] == [
        (429, "Too Many Requests: retry after 7", "retry_after"),
        (200, None, None),
    ]
    assert (await fake_client.stats())["too_many_requests"] == 1


async def test_server_errors_500_and_502(ptb_bot: Any, fake_client: FakeTelegram) -> None:
    await fake_client.user(3002, started=True)
    await fake_client.inject_fault("sendMessage", "server_error")
    await fake_client.inject_fault("sendMessage", "server_error", status=502)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await ptb_bot.send_message(3002, "a")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await ptb_bot.send_message(3002, "b")
    await ptb_bot.send_message(3002, "c")
    assert await texts(fake_client, 3002) == ["c"]
    statuses = [c["status"] for c in await fake_client.calls("sendMessage")]
    assert statuses == [500, 502, 200]


async def test_forbidden_and_chat_specific_rules(
    ptb_bot: Any, fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    await fake_client.user(3003, started=True)
    await fake_client.user(3004, started=True)
    fake_server.inject_fault("*", "forbidden", chat_id=3004, count=2)
    assert (await ptb_bot.send_message(3003, "to the other chat")).text == "to the other chat"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb_bot.send_message(3004, "x")
    with pytest.raises(Forbidden):
        await ptb_bot.send_chat_action(3004, "typing")
    await ptb_bot.send_message(3004, "rule used up")
    assert fake_server.faults.rules == []


async def test_delay_then_normal_processing(ptb_bot: Any, fake_client: FakeTelegram) -> None:
    await fake_client.user(3005, started=True)
    await fake_client.inject_fault("sendmessage", "delay", delay=0.4)
    started = time.monotonic()
    sent = await ptb_bot.send_message(3005, "slow")
    assert time.monotonic() - started >= 0.4
    assert sent.text == "slow"
    assert await texts(fake_client, 3005) == ["slow"]


async def test_drop_after_processing_stores_the_message(
    ptb_bot: Any, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(3006, started=True)
    await fake_client.inject_fault("sendMessage", "drop", processed=True)
    with pytest.raises(NetworkError):
        await ptb_bot.send_message(3006, "accepted, answer lost")
    assert await texts(fake_client, 3006) == ["accepted, answer lost"]
    assert (await user.last()).text == "accepted, answer lost"

    await fake_client.inject_fault("sendMessage", "drop", processed=False)
    with pytest.raises(NetworkError):
        await ptb_bot.send_message(3006, "never arrived")
    assert await texts(fake_client, 3006) == ["accepted, answer lost"]
    calls = await fake_client.calls("sendMessage")
    assert [(c["status"], c["fault"]) for c in calls] == [(0, "drop"), (0, "drop")]


async def test_fault_on_edit_and_bad_fault_refused(ptb_bot: Any, fake_client: FakeTelegram) -> None:
    await fake_client.user(3007, started=True)
    sent = await ptb_bot.send_message(3007, "v1")
    await fake_client.inject_fault("editMessageText", "retry_after", retry_after=2, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter):
            await ptb_bot.edit_message_text("v2", 3007, sent.message_id)
    assert (await ptb_bot.edit_message_text("v2", 3007, sent.message_id)).text == "v2"
    with pytest.raises(Exception, match="unknown fault kind"):
        await fake_client.inject_fault("sendMessage", "explode")
    await fake_client.inject_fault("sendMessage", "server_error", count=5)
    await fake_client.clear_faults()
    assert (await ptb_bot.send_message(3007, "fine")).text == "fine"
    with pytest.raises(BadRequest):  # faults never hide real validation afterwards
        await ptb_bot.send_message(3007, "")


async def test_bad_gateway_is_the_proxy_s_html_page(
    fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    await fake_client.inject_fault("getMe", "server_error", status=502)
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{fake_server.base_url}/bot{TOKEN}/getMe")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text


async def test_a_share_of_calls_strikes_the_same_calls_for_the_same_seed() -> None:
    def struck(seed: int) -> list[bool]:
        injector = FaultInjector(seed)
        injector.add(FaultRule("*", "server_error", count=10_000, share=0.25))
        return [injector.take("sendMessage", 1) is not None for _ in range(400)]

    first = struck(7)
    assert first == struck(7)
    assert first != struck(8)
    assert 60 <= sum(first) <= 140  # about a quarter of 400
    with pytest.raises(ValueError, match="share"):
        FaultRule("*", "drop", share=0.0)
