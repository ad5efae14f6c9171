"""The bot's HTTP client to the Bot API (`QuietRequest` on aiohttp's pool, `bot/telegram/http.py`)
as PTB sees it, against the fake Bot API over loopback: it talks again after a shutdown, keeps
PTB's time-outs, and turns each failure on the way into the error PTB and `transient.py` know."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.telegram.transient import QuietRequest, is_transient
from fakegram import FakeBotAPI, FakeTelegram
from tests.fakegram.conftest import BOT_USERNAME, TOKEN


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, bot_username=BOT_USERNAME) as server:
        yield server


@pytest.fixture
async def control(api: FakeBotAPI) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(api.base_url) as client:
        yield client


def _bot(base_url: str, file_url: str, **request: Any) -> Bot:
    return Bot(
        TOKEN,
        base_url=base_url,
        base_file_url=file_url,
        request=QuietRequest(connection_pool_size=4, **request),
    )


async def test_the_client_talks_again_after_a_shutdown(api: FakeBotAPI) -> None:
    # PTB closes its client on shutdown and makes a new one on the next initialize: the
    # connection pool underneath must be a new one too, not the closed one.
    bot = _bot(api.bot_base_url, api.bot_base_file_url)
    for _ in range(2):
        async with bot:
            assert (await bot.get_me()).username == BOT_USERNAME
            assert (await bot.get_me()).username == BOT_USERNAME


async def test_a_dropped_connection_is_a_transient_network_error(
    api: FakeBotAPI, control: FakeTelegram
) -> None:
    async with _bot(api.bot_base_url, api.bot_base_file_url) as bot:  # initialising calls getMe
        await control.inject_fault("getMe", "drop")
        with pytest.raises(NetworkError) as caught:
            await bot.get_me()
        assert is_transient(caught.value)
        assert (await bot.get_me()).username == BOT_USERNAME  # the pool recovers


async def test_a_slow_answer_is_timed_out_by_ptbs_read_timeout(
    api: FakeBotAPI, control: FakeTelegram
) -> None:
    async with _bot(api.bot_base_url, api.bot_base_file_url, read_timeout=0.3) as bot:
        await control.inject_fault("getMe", "delay", delay=2.0)
        with pytest.raises(TimedOut) as caught:
            await bot.get_me(read_timeout=0.3)
        assert is_transient(caught.value)


async def test_a_refused_connection_is_transient_and_names_no_token() -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    bot = _bot(f"{base}/bot", f"{base}/file/bot", connect_timeout=2.0)
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.get_me()  # not initialised: that would call getMe first
    finally:
        await bot.request.shutdown()
    assert is_transient(caught.value)
    assert TOKEN not in str(caught.value)
    assert TOKEN.split(":")[1] not in repr(caught.value.__cause__)


async def test_an_upload_the_other_side_stops_reading_is_timed_out() -> None:
    # aiohttp has no write time-out of its own: without one a stalled upload (a document to a
    # peer that stopped reading) would wait as long as the kernel keeps the connection.
    stalled: list[asyncio.StreamWriter] = []
    short = ("pool_timeout", "connect_timeout", "read_timeout", "write_timeout")

    async def never_read(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)  # keep the connection open, read nothing

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    bot = _bot(
        f"{base}/bot", f"{base}/file/bot", **dict.fromkeys(short, 0.5), media_write_timeout=0.5
    )
    try:
        with pytest.raises(TimedOut):
            await asyncio.wait_for(
                bot.send_document(1, io.BytesIO(b"x" * 20_000_000), filename="big.bin"), 20
            )
    finally:
        await bot.request.shutdown()
        for writer in stalled:
            writer.close()
        server.close()
        await server.wait_closed()
