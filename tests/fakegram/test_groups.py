"""Groups, supergroups and channels: users write there, the bot is added, posts and leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, ChatMemberAdministrator, Update

from fakegram import FakeBotAPI, FakeTelegram
from fakegram.client import FakeTelegramError
from tests.fakegram.conftest import TOKEN

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def raw(fake_server: FakeBotAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{fake_server.base_url}/bot{TOKEN}") as client:
        yield client


async def call(raw: httpx.AsyncClient, method: str, **params: Any) -> tuple[int, Any]:
    response = await raw.post(f"/{method}", json=params)
    body = response.json()
    return response.status_code, body.get("result", body.get("description"))


async def test_a_user_writes_in_a_group_and_the_bot_answers_then_leaves(
    raw: httpx.AsyncClient, fake_client: FakeTelegram, fake_server: FakeBotAPI, ptb_bot: Bot
) -> None:
    ann = await fake_client.user(4101, "Ann")
    stranger = await fake_client.user(4102, "Sam")
    group = await fake_client.group(-501, "Staff", members=(ann,), bot_status="member")
    await ann.command("status", chat_id=group.id)
    with pytest.raises(FakeTelegramError, match="not a member"):
        await stranger.send("hello", chat_id=group.id)

    (update,) = [Update.de_json(u, ptb_bot) for u in fake_server.state.updates]
    assert update.effective_chat is not None and update.effective_chat.type == "group"
    assert update.effective_user is not None and update.effective_user.id == ann.id
    assert update.effective_message is not None and update.effective_message.text == "/status"

    assert (await call(raw, "sendMessage", chat_id=group.id, text="hi"))[0] == 200
    assert [m.plain for m in await group.messages()] == ["hi"]
    assert await call(raw, "leaveChat", chat_id=group.id) == (200, True)
    assert await group.bot_status() == "left"
    left = Update.de_json(fake_server.state.updates[-1], ptb_bot)
    assert left.my_chat_member is not None
    assert left.my_chat_member.new_chat_member.status == "left"
    assert await call(raw, "sendMessage", chat_id=group.id, text="again") == (
        403,
        "Forbidden: bot is not a member of the group chat",
    )
    assert await call(raw, "leaveChat", chat_id=ann.id) == (
        400,
        "Bad Request: chat member status can't be changed in private chats",
    )
    assert [c.params.get("chat_id") for c in fake_server.calls("leaveChat")] == [
        group.id,
        ann.id,
    ]
    # A bot that is not in a group sees nothing of it.
    before = len(fake_server.state.updates)
    await ann.send("anyone?", chat_id=group.id)
    assert len(fake_server.state.updates) == before


async def test_adding_the_bot_and_channel_posts(
    raw: httpx.AsyncClient, fake_client: FakeTelegram, fake_server: FakeBotAPI, ptb_bot: Bot
) -> None:
    ann = await fake_client.user(4111, "Ann")
    group = await fake_client.group(-502, "Staff", type="supergroup", members=(ann,))
    await group.add_bot(ann)
    added = Update.de_json(fake_server.state.updates[-1], ptb_bot)
    assert added.my_chat_member is not None and added.my_chat_member.from_user.id == ann.id
    assert added.my_chat_member.new_chat_member.status == "member"
    assert added.effective_chat is not None and added.effective_chat.type == "supergroup"

    channel = await fake_client.group(-1000503, "News", type="channel", members=(ann,))
    await channel.add_bot(ann)
    assert await call(raw, "sendMessage", chat_id=channel.id, text="x") == (
        400,
        "Bad Request: need administrator rights in the channel chat",
    )
    await channel.add_bot(ann, status="administrator")
    promoted = Update.de_json(fake_server.state.updates[-1], ptb_bot)
    assert promoted.my_chat_member is not None
    assert isinstance(promoted.my_chat_member.new_chat_member, ChatMemberAdministrator)
    await channel.post("Hello")
    post = Update.de_json(fake_server.state.updates[-1], ptb_bot)
    assert post.channel_post is not None and post.channel_post.text == "Hello"
    assert post.channel_post.sender_chat is not None
    assert post.effective_chat is not None and post.effective_chat.type == "channel"
    assert (await call(raw, "sendMessage", chat_id=channel.id, text="ok"))[0] == 200
