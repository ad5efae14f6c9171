"""Webhook mode: Telegram (the fake) posts each update to the bot's web server, which takes
it only with the secret the bot set, and answers exactly as when polling.

The bot runs as `normsbot run` runs it (`bot.web.server.running`), on loopback over real
HTTP; the fake Bot API posts as Telegram does, retrying what was not answered with a 2xx.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler

from bot import metrics
from bot.db import Database
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.web.app import MAX_BODY_BYTES, SECRET_HEADER
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import TOKEN, WEBHOOK_SECRET, BotHarness, is_prompt

pytestmark = pytest.mark.db


def refused(reason: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value("normsbot_webhook_refused_total", {"reason": reason})
        or 0.0
    )


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something the fake or the bot does on its own (not a timing assertion)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def bot_api(api: FakeBotAPI, method: str, **params: Any) -> Any:
    """A Bot API call with the bot's token, as another process of the bot would make it."""
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{api.base_url}/bot{TOKEN}/{method}", json=params)
    return answer.json()


async def test_a_focal_point_answers_through_the_webhook(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    async with BotHarness(fake_api, tg, database, webhook=True) as harness:
        fp = await harness.enrol(4101, "TH")
        first = await fp.expect(is_prompt)
        shown = await fp.press_and_wait("Implemented")
        assert is_prompt(shown) and shown.text != first.text, "the next item"
        info = (await bot_api(fake_api, "getWebhookInfo"))["result"]
        assert info["url"] == harness.settings.webhook_url
        assert info["pending_update_count"] == 0
    assert not fake_api.calls("getUpdates"), "webhook mode never polls"
    assert fake_api.botapi.webhook.status.failed_attempts == 0


async def test_the_web_server_parses_http_with_httptools(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    """Uvicorn's C parser, not the pure-Python h11: every update is one request, and h11's
    parsing was most of what a webhook update cost beyond a polled one (benchmarks/README.md,
    fifth round)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    async with BotHarness(fake_api, tg, database, webhook=True) as harness:
        assert harness.serving is not None and harness.serving.web is not None
        assert harness.serving.web.protocol is HttpToolsProtocol
        fp = await harness.enrol(4111, "TH")
        assert is_prompt(await fp.expect(is_prompt))


async def test_a_buttons_answer_rides_on_the_webhooks_response(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    """Telegram makes the call a webhook's response names: the answer to a tap (and to a
    stale button) goes back with the 200 instead of as a request of its own, one request
    fewer on every tap. Nothing else rides there: its outcome is never known."""
    async with BotHarness(fake_api, tg, database, webhook=True) as harness:
        fp = await harness.enrol(4121, "TH")
        first = await fp.expect(is_prompt)
        before = len(fake_api.calls("answerCallbackQuery"))
        shown = await fp.press_and_wait("Implemented")
        assert is_prompt(shown) and shown.text != first.text, "the next item"
        stale = await fp.press(
            next(d for d in first.callback_data() if d.startswith("a:s:")),
            message_id=first.message_id,
            force=True,
        )
        assert stale is not None and stale.text, "the stale button is answered too"
        answers = fake_api.calls("answerCallbackQuery")[before:]
        assert [call.via for call in answers] == ["webhook_reply", "webhook_reply"], answers
        edits = fake_api.calls("editMessageText")
        assert edits and all(call.via == "request" for call in edits)


async def test_an_update_is_confirmed_to_telegram_only_once_it_was_handled(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    # The webhook's 200 is what polling's next offset is: Telegram forgets the update. Given
    # before the update was handled, a process killed in between would lose it; given after,
    # Telegram posts it again (and the handled-once record keeps a repeat from acting twice).
    async with BotHarness(fake_api, tg, database, webhook=True) as harness:
        fp = await harness.enrol(4102, "TH")
        await fp.expect(is_prompt)
        pending = fake_api.botapi.state.updates
        await until(lambda: not pending, "every update so far confirmed")
        confirmed = fake_api.botapi.webhook.status.confirmed_at
        before = set(confirmed)
        await fp.press_and_wait("Implemented")
        await until(lambda: bool(set(confirmed) - before), "the tap's update confirmed")
        [press] = set(confirmed) - before
        edits = [c for c in fake_api.calls("editMessageText") if c.chat_id == 4102]
        assert edits, "the tap was answered"
        assert edits[-1].monotonic < confirmed[press], "confirmed before it was handled"


def as_list(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


async def test_allowed_updates_are_the_kinds_the_handlers_take_in_both_modes(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    # Every handler takes a kind in the list: a new kind of handler (an inline query, a chat
    # member) must add its kind to ALLOWED_UPDATES, or Telegram would never send it.
    kinds: dict[type[Any], set[str]] = {
        CommandHandler: {"message"},
        MessageHandler: {"message"},
        CallbackQueryHandler: {"callback_query"},
        # The private-chat gate (group -1): being added to a group or channel, a channel post.
        TypeHandler: {"my_chat_member", "channel_post"},
    }
    async with BotHarness(fake_api, tg, database) as harness:
        await until(lambda: bool(fake_api.calls("getUpdates")), "a long poll")
        polled = fake_api.calls("getUpdates")[-1].params["allowed_updates"]
        application = build_application(harness.runtime)
    taken: set[str] = set()
    for group in application.handlers.values():
        for handler in group:
            assert type(handler) in kinds, f"{handler}: which kind of update does it take?"
            taken |= kinds[type(handler)]
    assert taken == set(ALLOWED_UPDATES)

    async with BotHarness(fake_api, tg, database, webhook=True):
        set_webhook = fake_api.calls("setWebhook")[-1].params["allowed_updates"]
        # An update of a kind not asked for stays at Telegram; the rest are posted.
        stranger = await tg.user(4201, "Sam")
        edited = fake_api.state.queue_update("edited_message", {"message_id": 1})
        await stranger.command("start")
        await stranger.expect(lambda message: bool(message.text))
        assert edited not in fake_api.state.updates
    assert as_list(polled) == list(ALLOWED_UPDATES)
    assert as_list(set_webhook) == list(ALLOWED_UPDATES)


async def test_requests_without_the_secret_too_large_or_not_json_are_refused(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="bot.web.app")
    async with BotHarness(fake_api, tg, database, webhook=True) as harness:
        url = harness.settings.webhook_url
        update = {
            "update_id": 99,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "hi",
                "chat": {"id": 5, "type": "private"},
            },
        }
        secret, too_large, bad = refused("secret"), refused("too_large"), refused("bad_request")
        async with httpx.AsyncClient() as client:
            assert (await client.post(url, json=update)).status_code == 403
            wrong = {SECRET_HEADER: WEBHOOK_SECRET[:-1] + "x"}
            assert (await client.post(url, json=update, headers=wrong)).status_code == 403
            right = {SECRET_HEADER: WEBHOOK_SECRET}
            assert (await client.post(url, content=b"{not json", headers=right)).status_code == 400
            not_update = await client.post(url, json={"hello": 1}, headers=right)
            assert not_update.status_code == 400

            # No Content-Length: refused once the limit is passed.
            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(MAX_BODY_BYTES // 65536):
                    yield b" " * 65536
                yield b" "

            chunked = await client.post(url, content=chunks(), headers=right)
            assert chunked.status_code == 413
        assert refused("secret") == secret + 2
        assert refused("bad_request") == bad + 2
        # A flood of junk is counted, not logged line by line: one line, then one a minute.
        lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.app"]
        assert lines == ["webhook request refused (403): wrong or missing secret token"]

        # A body announced as 100 MiB is refused from its headers: nothing more is read.
        host, port = "127.0.0.1", harness.serving.web.port  # type: ignore[union-attr]
        reader, writer = await asyncio.open_connection(host, port)
        headers = (
            f"POST /telegram HTTP/1.1\r\nHost: {host}\r\n{SECRET_HEADER}: {WEBHOOK_SECRET}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {100 * 1024 * 1024}\r\n\r\n"
        )
        writer.write(headers.encode() + b"{")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
        writer.close()
        assert status_line.split()[1] == b"413", status_line
        assert refused("too_large") == too_large + 2


async def test_telegram_posts_again_until_the_bot_answers(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    async with BotHarness(fake_api, tg, database, webhook=True) as harness:
        secret = refused("secret")
        # The webhook set again with another secret (as a misconfigured second process might):
        # the bot refuses Telegram's posts with 403, and Telegram keeps the update.
        await bot_api(
            fake_api, "setWebhook", url=harness.settings.webhook_url, secret_token="other"
        )
        stranger = await tg.user(4301, "Sam")
        await stranger.command("start")
        await until(lambda: fake_api.botapi.webhook.status.failed_attempts >= 2, "two refusals")
        info = (await bot_api(fake_api, "getWebhookInfo"))["result"]
        assert info["pending_update_count"] == 1
        assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
        assert refused("secret") >= secret + 2
        assert not await stranger.messages(), "nothing was handled"

        # Right again: the same update is posted once more, and handled.
        await bot_api(
            fake_api, "setWebhook", url=harness.settings.webhook_url, secret_token=WEBHOOK_SECRET
        )
        await stranger.expect(lambda message: bool(message.text))
        assert (await bot_api(fake_api, "getWebhookInfo"))["result"]["pending_update_count"] == 0


async def test_updates_sent_while_the_bot_is_down_arrive_after_its_restart(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    harness = BotHarness(fake_api, tg, database, webhook=True)
    async with harness:
        admin = await harness.admin()
    await admin.command("help")  # nobody listens: the post fails, the update waits
    await until(lambda: fake_api.botapi.webhook.status.failed_attempts >= 1, "a failed post")
    assert not fake_api.calls("getUpdates")
    async with harness:
        await admin.expect("/help")


async def test_the_fake_wants_https_on_telegrams_ports(fake_api: FakeBotAPI):
    answers = []
    for url in (
        "http://127.0.0.1:8080/telegram",
        "https://bot.example.org:9000/telegram",
        "https://bot.example.org/telegram",
    ):
        answers.append(await bot_api(fake_api, "setWebhook", url=url, secret_token="s"))
    answers.append(await bot_api(fake_api, "getUpdates"))
    http, port, fine, polled = answers
    assert (
        http["description"] == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    assert "ports 80, 88, 443 or 8443" in port["description"]
    assert fine["ok"] is True
    assert polled["error_code"] == 409
