"""The fake Bot API as python-telegram-bot 22 sees it: real Bot, real Application, real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import html
import struct
import zlib
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from fakegram import FakeBotAPI, FakeTelegram
from tests.fakegram.conftest import BOT_USERNAME, AppFactory

pytestmark = pytest.mark.asyncio

Context = ContextTypes.DEFAULT_TYPE


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


def png(width: int, height: int) -> bytes:
    """A valid tiny PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


async def test_get_me(ptb_bot: Any, fake_server: FakeBotAPI) -> None:
    me = await ptb_bot.get_me()
    assert me.username == BOT_USERNAME
    assert me.id == 7000000001
    assert me.is_bot is True
    assert fake_server.log.by_method["getMe"] >= 1


async def test_command_reaches_handler_and_reply_is_readable(
    fake_client: FakeTelegram, run_app: AppFactory
) -> None:
    seen: list[Update] = []

    async def start(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        seen.append(update)
        await update.effective_message.reply_html(
            f"Welcome, <b>{html.escape(update.effective_user.first_name)}</b>! "  # type: ignore[union-attr]
            f"code={' '.join(context.args or [])}",
            reply_markup=keyboard(("Settings", "settings")),
        )

    async with run_app(CommandHandler("start", start)):
        alice = await fake_client.user(1001, "Alice <&>", language_code="en")
        sent = await alice.command("start", "INV-123")
        assert sent.text == "/start INV-123"
        reply = await alice.expect("Welcome")

    assert reply.text == "Welcome, Alice <&>! code=INV-123"
    assert reply.html == "Welcome, <b>Alice &lt;&amp;&gt;</b>! code=INV-123"
    assert reply.parse_mode == "HTML"
    assert reply.entities == [{"type": "bold", "offset": 9, "length": 9}]
    assert reply.callback_data() == ["settings"]
    assert reply.button("Sett").callback_data == "settings"
    message = seen[0].effective_message
    assert message is not None and message.entities[0].type == "bot_command"
    assert (message.entities[0].offset, message.entities[0].length) == (0, 6)
    assert seen[0].effective_user is not None and seen[0].effective_user.language_code == "en"


async def test_button_press_reaches_handler_and_answer_reaches_press(
    fake_client: FakeTelegram, run_app: AppFactory
) -> None:
    pressed: list[str] = []

    async def start(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "Pick one", reply_markup=keyboard(("Yes ✅", "ans:yes"), ("No", "ans:no"))
        )

    async def on_press(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        pressed.append(query.data)
        await query.answer(f"Saved {query.data}")
        await query.edit_message_text(f"You chose {query.data}")  # drops the keyboard

    async with run_app(CommandHandler("start", start), CallbackQueryHandler(on_press)):
        bob = await fake_client.user(1002, "Bob")
        await bob.command("start")
        prompt = await bob.expect("Pick one")
        answer = await bob.press("Yes")  # by part of the text
        assert answer is not None and answer.text == "Saved ans:yes" and not answer.show_alert
        edited = await bob.expect("You chose")
        assert edited.message_id == prompt.message_id
        assert edited.version == 1 and edited.edited and edited.buttons() == []
        assert edited.seq > prompt.seq

        # the keyboard is gone: pressing "No" on it is refused unless forced (a stale client)
        with pytest.raises(AssertionError, match="no button"):
            await bob.press("ans:no", message_id=prompt.message_id)
        changed = await bob.press_and_wait("ans:no", message_id=prompt.message_id, force=True)
        assert changed.text == "You chose ans:no"
        assert changed.version == 2

    assert pressed == ["ans:yes", "ans:no"]


async def test_press_and_wait_returns_the_reply_to_the_press_not_a_message_sent_meanwhile(
    fake_client: FakeTelegram, run_app: AppFactory
) -> None:
    """A bot may send a message of its own (a notice) while it handles a press: the reply to
    the press is the pressed message as the bot edited it, and the handler has finished."""
    handled: list[str] = []

    async def start(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Remove?", reply_markup=keyboard(("Yes", "y")))

    async def on_press(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await context.bot.send_message(query.message.chat.id, "A notice, sent meanwhile")
        await query.edit_message_text("Removed")
        handled.append("done")
        await query.answer()

    async with run_app(CommandHandler("start", start), CallbackQueryHandler(on_press)):
        ann = await fake_client.user(1003, "Ann")
        await ann.command("start")
        prompt = await ann.expect("Remove?")
        reply = await ann.press_and_wait("Yes")
        assert (reply.message_id, reply.text) == (prompt.message_id, "Removed")
        assert handled == ["done"]


async def test_callback_data_over_64_bytes_is_refused(
    ptb_bot: Any, fake_server: FakeBotAPI
) -> None:
    fake_server.add_user(2001, started=True)
    ok = await ptb_bot.send_message(2001, "fits", reply_markup=keyboard(("é", "é" * 32)))
    assert ok.reply_markup.inline_keyboard[0][0].callback_data == "é" * 32  # 64 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await ptb_bot.send_message(2001, "x", reply_markup=keyboard(("a", "a" * 65)))
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        # 33 characters, but 66 bytes
        await ptb_bot.send_message(2001, "x", reply_markup=keyboard(("é", "é" * 33)))
    with pytest.raises(BadRequest, match="text buttons are unallowed"):
        await ptb_bot.send_message(
            2001, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("plain")]])
        )
    assert fake_server.log.by_status[400] == 3


async def test_message_length_counted_after_parsing_in_utf16(
    ptb_bot: Any, fake_server: FakeBotAPI
) -> None:
    fake_server.add_user(2002, started=True)
    await ptb_bot.send_message(2002, "a" * 4096)
    await ptb_bot.send_message(2002, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await ptb_bot.send_message(2002, "😀" * 2048)  # 4096 UTF-16 code units
    for too_long in ("a" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match="Message is too long"):
            await ptb_bot.send_message(2002, too_long)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await ptb_bot.send_message(2002, "<b></b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await ptb_bot.send_document(2002, b"%PDF", filename="a.pdf", caption="c" * 1025)


async def test_malformed_html_refused_and_escaped_html_accepted(
    ptb_bot: Any, fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    fake_server.add_user(2003, started=True)
    cases = {
        "<b>x": 'Can\'t find end tag corresponding to start tag "b"',
        "Note: <script>x</script>": 'Unsupported start tag "script" at byte offset 6',
        "Q&A": 'Character "&" at byte offset 1',
    }
    for text, detail in cases.items():
        with pytest.raises(BadRequest) as caught:
            await ptb_bot.send_message(2003, text, parse_mode=ParseMode.HTML)
        # PTB strips "Bad Request: " and str.capitalize()s the rest, lowering every other letter
        assert caught.value.message.startswith("Can't parse entities: ")
        assert detail.lower() in caught.value.message.lower()
    user_text = 'Q&A <script> "5 > 3"'
    sent = await ptb_bot.send_message(
        2003, f"<i>{html.escape(user_text)}</i>", parse_mode=ParseMode.HTML
    )
    assert sent.text == user_text
    assert sent.entities[0].type == "italic"
    stored = (await (await fake_client.user(2003)).messages())[-1]
    assert stored.text == user_text
    assert stored.html == f"<i>{html.escape(user_text)}</i>"


async def test_edit_message_text_rules(ptb_bot: Any, fake_server: FakeBotAPI) -> None:
    fake_server.add_user(2004, started=True)
    fake_server.add_user(2005, started=True)
    markup = keyboard(("Next", "next"))
    sent = await ptb_bot.send_message(2004, "<b>Page 1</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await ptb_bot.edit_message_text(
            "<b>Page 1</b>", 2004, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    # same text, but bold is gone: that is a change
    edited = await ptb_bot.edit_message_text("Page 1", 2004, sent.message_id, reply_markup=markup)
    assert edited.text == "Page 1" and edited.edit_date is not None
    # omitting reply_markup removes the keyboard, as on Telegram: also a change
    edited = await ptb_bot.edit_message_text("Page 1", 2004, sent.message_id)
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb_bot.edit_message_reply_markup(2004, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb_bot.edit_message_text("x", 2004, sent.message_id + 100)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb_bot.edit_message_text("x", 2005, sent.message_id)  # another chat
    assert await ptb_bot.delete_message(2004, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb_bot.edit_message_text("x", 2004, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await ptb_bot.delete_message(2004, sent.message_id)


async def test_stale_callback_query_is_too_old(
    fake_server: FakeBotAPI, fake_client: FakeTelegram, run_app: AppFactory
) -> None:
    fake_server.callback_query_timeout = 0.3
    errors: list[str] = []

    async def start(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Slow", reply_markup=keyboard(("Go", "go")))

    async def slow(update: Update, context: Context) -> None:
        assert update.callback_query is not None
        await asyncio.sleep(0.5)
        try:
            await update.callback_query.answer("late")
        except BadRequest as error:
            errors.append(error.message)

    async with run_app(CommandHandler("start", start), CallbackQueryHandler(slow)):
        carol = await fake_client.user(1003, "Carol")
        await carol.command("start")
        await carol.expect("Slow")
        assert await carol.press("Go", timeout=1.0) is None

    assert errors == ["Query is too old and response timeout expired or query id is invalid"]


async def test_callback_answered_twice_or_unknown_or_too_long(
    ptb_bot: Any, fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    dave = await fake_client.user(1004, "Dave", started=True)
    sent = await ptb_bot.send_message(1004, "Q", reply_markup=keyboard(("A", "a")))
    assert await dave.press("a", timeout=0) is None  # nobody is polling: no answer yet
    updates = await ptb_bot.get_updates()
    query = updates[-1].callback_query
    assert query.message.message_id == sent.message_id and query.chat_instance
    with pytest.raises(BadRequest, match="Message_too_long"):
        await ptb_bot.answer_callback_query(query.id, text="x" * 201)
    assert await ptb_bot.answer_callback_query(query.id, text="ok") is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await ptb_bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await ptb_bot.answer_callback_query("123456789")


async def test_user_document_reaches_bot_which_downloads_identical_bytes(
    fake_client: FakeTelegram, run_app: AppFactory
) -> None:
    content = bytes(range(256)) * 300 + b"%%EOF"

    async def on_document(update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        file = await context.bot.get_file(message.document.file_id)
        data = bytes(await file.download_as_bytearray())
        await message.reply_text(
            f"{message.document.file_name} {message.document.mime_type} "
            f"{len(data)} {hashlib.sha256(data).hexdigest()} {message.caption}"
        )

    async def on_photo(update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and message.photo
        biggest = message.photo[-1]
        data = await (await biggest.get_file()).download_as_bytearray()
        await message.reply_text(f"photo {biggest.width}x{biggest.height} {len(data)}")

    async with run_app(
        MessageHandler(filters.Document.ALL, on_document),
        MessageHandler(filters.PHOTO, on_photo),
    ):
        erin = await fake_client.user(1005, "Erin")
        await erin.send_document("report.pdf", content, caption="Q1")
        reply = await erin.expect("report.pdf")
        image = png(3, 2)
        await erin.send_photo(image)
        photo_reply = await erin.expect("photo")

    assert reply.text == (
        f"report.pdf application/pdf {len(content)} {hashlib.sha256(content).hexdigest()} Q1"
    )
    assert photo_reply.text == f"photo 3x2 {len(image)}"


async def test_bot_sends_document_and_photo_client_downloads_them(
    ptb_bot: Any, fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    frank = await fake_client.user(1006, "Frank", started=True)
    content = b"col1,col2\n1,2\n" * 100
    sent = await ptb_bot.send_document(
        1006,
        InputFile(content, filename="export.csv"),
        caption="<b>Export</b>",
        parse_mode="HTML",
        reply_markup=keyboard(("Again", "again")),
    )
    assert sent.document.file_name == "export.csv" and sent.caption == "Export"
    message = await frank.last()
    assert message.kind == "document" and message.caption == "Export"
    assert message.document is not None and message.document["file_name"] == "export.csv"
    assert message.document["mime_type"] == "text/csv"
    assert await fake_client.download(message.document["file_id"]) == content
    # the bot can fetch its own upload too
    file = await ptb_bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    # re-sending by file_id reuses the stored file
    again = await ptb_bot.send_document(1006, sent.document.file_id)
    assert again.document.file_unique_id == sent.document.file_unique_id

    image = png(40, 30)
    photo = await ptb_bot.send_photo(1006, image)
    assert (photo.photo[-1].width, photo.photo[-1].height) == (40, 30)
    assert await fake_client.download(photo.photo[-1].file_id) == image
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await ptb_bot.send_photo(1006, b"not an image")


async def test_set_my_commands_per_language(ptb_bot: Any, fake_client: FakeTelegram) -> None:
    english = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    thai = [BotCommand("start", "เริ่ม")]
    assert await ptb_bot.set_my_commands(english)
    assert await ptb_bot.set_my_commands(thai, language_code="th")
    assert await ptb_bot.set_my_commands(
        english[:1], scope=BotCommandScopeAllPrivateChats(), language_code="en"
    )
    commands = await fake_client.commands()
    assert commands == {
        ("default", ""): [
            {"command": "start", "description": "Start"},
            {"command": "help", "description": "Help"},
        ],
        ("default", "th"): [{"command": "start", "description": "เริ่ม"}],
        ("all_private_chats", "en"): [{"command": "start", "description": "Start"}],
    }
    assert [c.command for c in await ptb_bot.get_my_commands(language_code="th")] == ["start"]
    assert await ptb_bot.delete_my_commands(language_code="th")
    assert await ptb_bot.get_my_commands(language_code="th") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await ptb_bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await ptb_bot.set_my_description("About", language_code="en")
    assert (await fake_client.profile())["descriptions"] == {"en": "About"}


async def test_unknown_chat_blocked_user_and_never_started(
    ptb_bot: Any, fake_server: FakeBotAPI, fake_client: FakeTelegram
) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await ptb_bot.send_message(999999, "hello")
    await fake_client.user(1007, "Gina")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await ptb_bot.send_message(1007, "hello")
    gina = await fake_client.user(1007, "Gina")
    await gina.send("hi")
    assert (await ptb_bot.send_message(1007, "hello")).text == "hello"
    await gina.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb_bot.send_message(1007, "hello")
    await gina.unblock()
    chat = await ptb_bot.get_chat(1007)
    assert (chat.id, chat.type, chat.first_name) == (1007, "private", "Gina")
    assert await ptb_bot.send_chat_action(1007, "typing") is True
