"""The wire protocol in detail (raw HTTP) and the control client's bookkeeping."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fakegram import FakeBotAPI, FakeTelegram
from fakegram.client import FakeTelegramError
from tests.fakegram.conftest import TOKEN

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def raw(fake_server: FakeBotAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{fake_server.base_url}/bot{TOKEN}") as client:
        yield client


async def call(raw: httpx.AsyncClient, method: str, **params: Any) -> Any:
    response = await raw.post(f"/{method}", json=params)
    body = response.json()
    assert response.status_code == 200, body
    return body["result"]


async def test_encodings_method_case_token_and_unknown_method(
    raw: httpx.AsyncClient, fake_server: FakeBotAPI
) -> None:
    fake_server.add_user(4001, started=True)
    by_query = await raw.get("/sendMessage", params={"chat_id": 4001, "text": "q"})
    by_form = await raw.post("/SENDMESSAGE", data={"chat_id": "4001", "text": "f"})
    by_json = await raw.post(
        "/sendmessage",
        json={"chat_id": 4001, "text": "j", "reply_markup": {"inline_keyboard": [[]]}},
    )
    markup_as_text = await raw.post(
        "/sendMessage",
        data={
            "chat_id": "4001",
            "text": "k",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "A", "url": "https://a.b"}]]}
            ),
        },
    )
    for response, text in ((by_query, "q"), (by_form, "f"), (by_json, "j"), (markup_as_text, "k")):
        assert response.status_code == 200 and response.json()["result"]["text"] == text
    assert markup_as_text.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["url"]

    unknown = await raw.post("/sendSticker", data={"chat_id": "4001"})
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    async with httpx.AsyncClient() as other:
        wrong = await other.get(f"{fake_server.base_url}/bot1:wrong/getMe")
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    bad_markup = {"chat_id": 4001, "text": "x", "reply_markup": {"inline_keyboard": [1]}}
    rows_not_lists = await raw.post("/sendMessage", json=bad_markup)
    assert rows_not_lists.json()["description"] == (
        "Bad Request: "
        'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
    )


async def test_get_updates_offset_limit_and_real_long_polling(
    raw: httpx.AsyncClient, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(4002, "Polly")
    assert await call(raw, "getUpdates", timeout=0) == []

    started = time.monotonic()
    assert await call(raw, "getUpdates", timeout=0.3) == []
    assert 0.25 <= time.monotonic() - started < 2

    async def send_later() -> None:
        await asyncio.sleep(0.2)
        await user.send("wake up")

    started = time.monotonic()
    sender = asyncio.create_task(send_later())
    updates = await call(raw, "getUpdates", timeout=20)
    await sender
    assert time.monotonic() - started < 2  # answered on arrival, not at the timeout
    assert [u["message"]["text"] for u in updates] == ["wake up"]
    first_id = updates[0]["update_id"]

    for n in range(3):
        await user.send(f"m{n}")
    assert len(await call(raw, "getUpdates", limit=2)) == 2
    again = await call(raw, "getUpdates")  # nothing confirmed yet: all four are still there
    assert [u["update_id"] for u in again] == list(range(first_id, first_id + 4))
    assert [u["message"]["text"] for u in await call(raw, "getUpdates", offset=-1)] == ["m2"]
    assert await call(raw, "getUpdates", offset=first_id + 4) == []

    await user.send("only a callback is wanted")
    assert await call(raw, "getUpdates", allowed_updates=["callback_query"], timeout=0) == []


async def test_concurrent_get_updates_conflict_and_webhook(raw: httpx.AsyncClient) -> None:
    older = asyncio.create_task(raw.post("/getUpdates", json={"timeout": 10}))
    await asyncio.sleep(0.1)
    assert await call(raw, "getUpdates", timeout=0) == []
    response = await older
    assert response.status_code == 409
    assert response.json()["description"].startswith("Conflict: terminated by other getUpdates")

    assert await call(raw, "setWebhook", url="https://example.org/hook") is True
    blocked = await raw.post("/getUpdates")
    assert blocked.status_code == 409
    info = await call(raw, "getWebhookInfo")
    assert info["url"] == "https://example.org/hook" and info["pending_update_count"] == 0
    assert await call(raw, "deleteWebhook", drop_pending_updates=True) is True
    assert await call(raw, "getUpdates") == []


async def test_expect_never_matches_stale_messages(
    raw: httpx.AsyncClient, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(4003, "Stale")
    await user.send("/start")
    await call(raw, "sendMessage", chat_id=4003, text="Menu v1")
    assert (await user.expect("Menu")).text == "Menu v1"

    await user.send("again")  # a new action: the old "Menu v1" is stale now
    with pytest.raises(AssertionError, match=r"Menu v1") as caught:
        await user.expect("Menu", timeout=0.3)
    assert "changes after seq" in str(caught.value)

    async def reply_later() -> None:
        await asyncio.sleep(0.2)
        await call(raw, "sendMessage", chat_id=4003, text="Menu v2")

    task = asyncio.create_task(reply_later())
    fresh = await user.expect("Menu", timeout=3)
    await task
    assert fresh.text == "Menu v2"

    # an edit of an old message counts as a change after the action
    await user.send("edit please")
    old = (await user.messages())[0]
    await call(raw, "editMessageText", chat_id=4003, message_id=old.message_id, text="Menu v1b")
    edited = await user.expect(lambda m: m.message_id == old.message_id)
    assert (edited.text, edited.version) == ("Menu v1b", 1)


async def test_wait_for_change_sees_successive_changes(
    raw: httpx.AsyncClient, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(4004, "Seq", started=True)
    assert await user.wait_for_change(timeout=0.1) == []
    first = await call(raw, "sendMessage", chat_id=4004, text="one")
    assert [m.text for m in await user.wait_for_change()] == ["one"]
    await call(raw, "editMessageText", chat_id=4004, message_id=first["message_id"], text="two")
    await call(raw, "deleteMessage", chat_id=4004, message_id=first["message_id"])
    changes = await user.wait_for_change()
    assert [(m.text, m.deleted) for m in changes] == [("two", True)]
    assert await user.wait_for_change(timeout=0.1) == []
    all_messages, chat_seq = await fake_client.chat(4004)
    assert all_messages[0].seq == chat_seq and all_messages[0].deleted
    assert await user.messages() == []


async def test_press_validation_and_unanswered_queries(
    raw: httpx.AsyncClient, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(4005, "Presser", started=True)
    sent = await call(
        raw,
        "sendMessage",
        chat_id=4005,
        text="Choose",
        reply_markup={
            "inline_keyboard": [
                [{"text": "Option A", "callback_data": "a"}],
                [{"text": "Option B", "callback_data": "b"}],
            ]
        },
    )
    with pytest.raises(AssertionError, match="matches 2 buttons"):
        await user.press("Option", timeout=0)
    with pytest.raises(FakeTelegramError, match="has no button with callback_data 'zzz'"):
        await fake_client.request(
            "POST",
            "/users/4005/press",
            json={"message_id": sent["message_id"], "callback_data": "zzz"},
        )
    assert await user.press("Option B", timeout=0.2) is None  # nobody answers
    updates = await call(raw, "getUpdates")
    query = updates[-1]["callback_query"]
    assert query["data"] == "b" and query["message"]["message_id"] == sent["message_id"]
    assert query["from"]["id"] == 4005 and query["chat_instance"]


async def test_files_commands_stats_and_reset(
    raw: httpx.AsyncClient, fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(4006, "Files")
    uploaded = await user.send_photo(b"not really a jpeg", caption="pic")
    assert uploaded.photo is not None and uploaded.photo["width"] == 1280
    assert await fake_client.download(uploaded.photo["file_id"]) == b"not really a jpeg"
    with pytest.raises(FakeTelegramError):
        await fake_client.download("nope")
    file = await call(raw, "getFile", file_id=uploaded.photo["file_id"])
    assert file["file_path"].startswith("photos/")
    async with httpx.AsyncClient() as plain:
        path = f"{fake_server.base_url}/file/bot{TOKEN}/{file['file_path']}"
        assert (await plain.get(path)).content == b"not really a jpeg"
        assert (await plain.get(path + "x")).status_code == 404

    stats = await fake_client.stats()
    assert stats["by_method"]["getFile"] == 1
    before = (await call(raw, "getUpdates"))[-1]["update_id"]
    await fake_client.reset()
    assert (await fake_client.stats())["total"] == 0
    with pytest.raises(FakeTelegramError, match="unknown user"):
        await user.send("gone")
    again = await fake_client.user(4006, "Files")
    await again.send("after reset")
    assert (await call(raw, "getUpdates"))[0]["update_id"] > before  # ids never go back


async def test_expect_predicate_that_raises_is_a_non_match(
    raw: httpx.AsyncClient, fake_client: FakeTelegram
) -> None:
    user = await fake_client.user(4007, "Pred", started=True)
    await call(raw, "sendMessage", chat_id=4007, text="no buttons here")
    with pytest.raises(AssertionError, match="predicate last raised") as caught:
        await user.expect(lambda m: m.button("Back").callback_data == "back", timeout=0.2)
    assert "no buttons here" in str(caught.value)
    await call(
        raw,
        "sendMessage",
        chat_id=4007,
        text="with buttons",
        reply_markup={"inline_keyboard": [[{"text": "⬅ Back", "callback_data": "back"}]]},
    )
    found = await user.expect(lambda m: m.button("Back").callback_data == "back")
    assert found.text == "with buttons"
