"""`normsbot demo`: try the real bot in the terminal, without a Telegram token.

One process runs everything: the built-in fake Bot API on loopback, the real application
(built exactly as `normsbot run` builds it) on a throwaway SQLite database, and a small chat
client. A simulated admin invites you through the real invite flow, as a focal point of
Thailand, and a second person as a coordinator; each opens the invite and the bot welcomes
them and asks for their language, which you choose. Then you chat: the bot's messages are
printed as plain text with their buttons numbered, and what you type is sent as a message, or
presses a button when it is a number. Demo commands start with a colon (`:help` lists them).
Files the bot sends (/chart, /export) are saved in a folder whose path is printed.

Nothing here is used by the bot itself; stdin may be a pipe (the tests feed it a script).
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import re
import secrets
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.bootstrap import SetupError, prepare_runtime
from bot.config import Settings
from bot.db import Database
from bot.i18n import I18n
from bot.telegram.app import build_application
from bot.views.callbacks import LanguageButton
from bot.web.server import running
from fakegram import FakeBotAPI, FakeTelegram, FakeUser, Msg
from fakegram.client import Button, FakeTelegramError

TOKEN = "100000001:DEMO-token-for-the-built-in-fake-bot-api"  # noqa: S105 - not a secret
BOT_USERNAME = "normsbot_demo_bot"
ADMIN_ID = 1001
FOCAL_POINT_ID = 2001
COORDINATOR_ID = 3001
COUNTRY = "TH"
INVITE_LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")

FIRST_REPLY_SECONDS = 10.0  # how long to wait for the bot's first reply to an action
QUIET_SECONDS = 0.4  # the reply is complete once the chat stays quiet this long

HELP = """\
Type a number to press that button, anything else to send it as a message (/help lists
the bot's commands). Demo commands:
  :coord        switch to the coordinator's chat      :fp    back to the focal point's
  :doc [PATH]   upload a file (default: a small sample) as a document
  :show         show the last message with buttons again
  :help         this text                             :quit  leave (the data is thrown away)"""

SAMPLE_DOCUMENT = (
    b"Sample evidence uploaded from normsbot demo.\n"
    b"In real use this would be a policy paper, a decree or a meeting record.\n"
)


@dataclass
class Chat:
    """One simulated person in the demo and what the terminal has shown of their chat."""

    user: FakeUser
    label: str
    shown_seq: int = 0
    keyboard: list[tuple[int, Button]] = field(default_factory=list)  # (message id, button)
    last_with_buttons: Msg | None = None


class Terminal:
    """Prints bot messages as plain text with numbered buttons."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def prompt(self, text: str) -> None:
        print(text, end="", file=self.out, flush=True)

    def message(self, chat: Chat, message: Msg, *, edited: bool) -> None:
        tag = "bot (edited)" if edited else "bot"
        if message.deleted:
            self.say(f"[{tag}: a message was deleted]")
            return
        self.say(f"┌─ {tag} → {chat.label}")
        for line in message.plain.splitlines() or [""]:
            self.say(f"│ {line}")
        if message.document:
            self.say(f"│ 📄 {message.document.get('file_name') or 'document'}")
        rows = message.keyboard()
        if rows:
            chat.keyboard = []
            chat.last_with_buttons = message
            for row in rows:
                labels = []
                for button in row:
                    chat.keyboard.append((message.message_id, button))
                    link = f" ({button.url})" if button.url else ""
                    labels.append(f"[{len(chat.keyboard)}] {button.text}{link}")
                self.say("│ " + "  ".join(labels))
        self.say("└─")


class Demo:
    """The running demo: the server, the bot, the two people and the terminal."""

    def __init__(self, tg: FakeTelegram, terminal: Terminal, *, echo: bool, output: Path) -> None:
        self.tg = tg
        self.terminal = terminal
        self.output = output  # where files the bot sends are saved
        self.echo = echo  # input from a pipe is not on the screen: repeat what was sent
        self.chats: dict[str, Chat] = {}
        self.current: Chat | None = None

    # --- showing what the bot did -------------------------------------------------------

    async def show_reply(self, chat: Chat, *, wait: bool = True) -> None:
        """Print every bot message sent or edited in `chat` since we last looked."""
        timeout = FIRST_REPLY_SECONDS if wait else 0.0
        while True:
            changed, newest = await self.tg.wait(chat.user.id, chat.shown_seq, timeout)
            if not changed:
                return
            for message in changed:
                self.terminal.message(chat, message, edited=message.edited)
                if message.from_bot and not message.edited and not message.deleted:
                    await self.save_file(message)
            chat.shown_seq = max(chat.shown_seq, newest)
            timeout = QUIET_SECONDS

    async def save_file(self, message: Msg) -> None:
        """A document or photo the bot sent (a chart, an export) is saved in `output`."""
        media = message.document or message.photo
        if not media or not media.get("file_id"):
            return
        content = await self.tg.download(str(media["file_id"]))
        name = Path(str(media.get("file_name") or "")).name
        if not name:
            extension = ".png" if content.startswith(b"\x89PNG") else ".jpg"
            name = f"photo-{message.message_id}{extension}"
        path = await asyncio.to_thread(_write_new, self.output, name, content)
        self.terminal.say(f"(saved {path})")

    async def after_action(self, chat: Chat) -> None:
        # Whatever was already there when the person acted is old news.
        chat.shown_seq = max(chat.shown_seq, chat.user.action_seq)
        await self.show_reply(chat)

    # --- acting -------------------------------------------------------------------------

    async def press(self, chat: Chat, number: int) -> None:
        if not 1 <= number <= len(chat.keyboard):
            self.terminal.say(f"(no button {number}; the last message has {len(chat.keyboard)})")
            return
        message_id, button = chat.keyboard[number - 1]
        if button.callback_data is None:
            self.terminal.say(f"(button {number} opens {button.url}; nothing to press)")
            return
        self.terminal.say(f"» pressed [{number}] {button.text}")
        answer = await chat.user.press(
            button.callback_data, message_id=message_id, force=True, timeout=FIRST_REPLY_SECONDS
        )
        if answer is not None and answer.text:
            kind = "alert" if answer.show_alert else "notice"
            self.terminal.say(f"({kind}: {answer.text})")
        await self.after_action(chat)

    async def upload(self, chat: Chat, argument: str) -> None:
        if argument:
            found = await asyncio.to_thread(_read_file, argument)
            if found is None:
                self.terminal.say(f"(no such file: {argument})")
                return
            content, name = found
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        else:
            content, name, mime = SAMPLE_DOCUMENT, "sample-evidence.txt", "text/plain"
        self.terminal.say(f"» sent the document {name} ({len(content)} bytes)")
        await chat.user.send_document(name, content, mime)
        await self.after_action(chat)

    async def send(self, chat: Chat, text: str) -> None:
        if self.echo:
            self.terminal.say(f"» sent: {text}")
        await chat.user.send(text)
        await self.after_action(chat)

    async def switch(self, key: str) -> None:
        chat = self.chats[key]
        self.current = chat
        self.terminal.say(f"── you are now {chat.label} ──")
        if chat.last_with_buttons is not None:
            self.terminal.message(chat, chat.last_with_buttons, edited=False)
        await self.show_reply(chat, wait=False)

    async def handle(self, line: str) -> bool:
        """Carry out one line of input; False when the demo should end."""
        try:
            return await self._handle(line)
        except (AssertionError, FakeTelegramError) as error:
            # A message that is gone, a refused upload: say so in one line and carry on.
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self.terminal.say(f"(that did not work: {first_line})")
            return True

    async def _handle(self, line: str) -> bool:
        chat = self.current
        assert chat is not None
        text = line.strip()
        if not text:
            return True
        command, _, argument = text.partition(" ")
        if command in (":quit", ":q", ":exit"):
            return False
        if command == ":help":
            self.terminal.say(HELP)
        elif command in (":coord", ":coordinator"):
            await self.switch("coordinator")
        elif command in (":fp", ":focal"):
            await self.switch("focal_point")
        elif command == ":doc":
            await self.upload(chat, argument.strip())
        elif command == ":show":
            if chat.last_with_buttons is not None:
                self.terminal.message(chat, chat.last_with_buttons, edited=False)
        elif command.startswith(":"):
            self.terminal.say(f"(unknown demo command {command}; :help lists them)")
        elif text.isdigit():
            await self.press(chat, int(text))
        else:
            await self.send(chat, text)
        return True


def _write_new(folder: Path, name: str, content: bytes) -> Path:
    """Write `content` as `folder/name`, numbering the name if such a file exists already."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    path.write_bytes(content)
    return path.resolve()


def _read_file(argument: str) -> tuple[bytes, str] | None:
    path = Path(argument).expanduser()
    return (path.read_bytes(), path.name) if path.is_file() else None


# --- enrolment through the real flow ------------------------------------------------------


async def _expect(user: FakeUser, predicate: Callable[[Msg], bool], what: str) -> Msg:
    try:
        return await user.expect(predicate, timeout=FIRST_REPLY_SECONDS)
    except AssertionError:
        # The assertion lists the chat's messages for a test's reader; one line is enough here.
        raise SetupError(f"the demo could not {what} within {FIRST_REPLY_SECONDS:g} s") from None


def _language_button(code: str) -> Callable[[Msg], bool]:
    data = LanguageButton(code).pack()
    return lambda message: data in message.callback_data()


async def _invite_code(admin: FakeUser, *arguments: str) -> str:
    await admin.command("invite", *arguments)
    message = await _expect(
        admin, lambda m: INVITE_LINK.search(m.plain) is not None, "create an invite"
    )
    match = INVITE_LINK.search(message.plain)
    assert match is not None
    return match.group(1)


async def _invited(
    tg: FakeTelegram, admin: FakeUser, user_id: int, name: str, language: str, *invite: str
) -> FakeUser:
    """Invite, `/start CODE`: the bot welcomes the person and asks for their language, which
    is left for the person at the terminal to choose. `language` is their Telegram app's."""
    code = await _invite_code(admin, *invite)
    user = await tg.user(user_id, name, language_code=language)
    await user.command("start", code)
    await _expect(user, _language_button(language), f"offer {language} to {name}")
    return user


async def _admin(tg: FakeTelegram) -> FakeUser:
    admin = await tg.user(ADMIN_ID, "Ada", last_name="Admin", language_code="en")
    await admin.command("start")
    await _expect(admin, _language_button("en"), "greet the admin")
    await admin.press(LanguageButton("en").pack(), timeout=FIRST_REPLY_SECONDS)
    await _expect(admin, lambda m: "/invite" in m.plain, "show the admin's commands")
    return admin


# --- the terminal's input -----------------------------------------------------------------


def _read_lines(source: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines of `source` delivered to the event loop; None at the end of input.

    A daemon thread, not the loop's executor: a read still blocked when the demo ends must
    not keep the process alive.
    """
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        try:
            for line in source:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="demo-stdin", daemon=True).start()
    return queue


# --- the whole demo -----------------------------------------------------------------------


async def demo(
    role: str,
    language: str,
    *,
    source: TextIO,
    out: TextIO,
    workdir: Path,
    output: Path,
    webhook: bool = False,
) -> int:
    terminal = Terminal(out)
    # Everything but the addresses; NORMSBOT_* variables still apply (a checklist folder...).
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, admins=[ADMIN_ID], poll_timeout=1)
    available = I18n(settings.locales_dir, default=settings.default_locale).available
    if language not in available:
        raise SetupError(f"no language {language}; choose one of: {', '.join(available)}")
    db = Database(f"sqlite:///{workdir / 'demo.db'}")
    async with AsyncExitStack() as stack:
        api = await stack.enter_async_context(
            FakeBotAPI(token=TOKEN, bot_username=BOT_USERNAME, webhook_http=webhook)
        )
        settings = settings.model_copy(
            update={"telegram_base_url": api.base_url, "database_url": db.url}
        )
        if webhook:
            settings = settings.model_copy(update=_webhook_settings())
        rt = prepare_runtime(settings, db=db)
        stack.callback(db.dispose)
        application = build_application(rt)
        await stack.enter_async_context(running(application, rt))
        tg = await stack.enter_async_context(FakeTelegram(api.base_url))

        terminal.say("normsbot demo: the real bot, a built-in fake Telegram, a throwaway database.")
        if webhook:
            terminal.say(f"The fake Telegram posts each update to {settings.webhook_url}")
        terminal.say("Inviting you as a focal point of Thailand, and a coordinator…")
        terminal.say(f"Charts and exports the bot sends are saved in {output}")
        admin = await _admin(tg)
        focal = await _invited(tg, admin, FOCAL_POINT_ID, "Fon", language, COUNTRY)
        coordinator = await _invited(tg, admin, COORDINATOR_ID, "Cora", language, "coordinator")
        app = Demo(tg, terminal, echo=not source.isatty(), output=output)
        app.chats["focal_point"] = Chat(focal, "Fon (focal point, Thailand)")
        app.chats["coordinator"] = Chat(coordinator, "Cora (coordinator)")
        # Each chat is shown from the invite link on: the welcome and the language choice.
        for chat in app.chats.values():
            chat.shown_seq = chat.user.action_seq
        terminal.say(HELP)
        await app.switch("coordinator" if role == "coordinator" else "focal_point")

        lines = _read_lines(source, asyncio.get_running_loop())
        while True:
            terminal.prompt(f"{app.current.label if app.current else ''} > ")
            line = await lines.get()
            if line is None or not await app.handle(line):
                break
        terminal.say("Bye. The demo's database is deleted now.")
    return 0


def _webhook_settings() -> dict[str, object]:
    """A webhook on loopback, as `normsbot run` would set one behind a proxy (a free port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "webhook_secret": SecretStr(secrets.token_urlsafe(32)),
        "listen": f"127.0.0.1:{port}",
    }


def run_demo(role: str, language: str, output: Path | None = None, *, webhook: bool = False) -> int:
    """Entry point of `normsbot demo`: 0 on a normal end, 2 on a set-up problem.

    Files the bot sends go to `output`, by default a new temporary folder that outlives the
    demo (its database does not).
    """
    # The bot's own INFO logs would interleave with the chat; keep warnings and errors.
    logging.getLogger().setLevel(logging.WARNING)
    output = (output or Path(tempfile.mkdtemp(prefix="normsbot-demo-files-"))).resolve()
    with tempfile.TemporaryDirectory(prefix="normsbot-demo-") as folder:
        try:
            return asyncio.run(
                demo(
                    role,
                    language,
                    source=sys.stdin,
                    out=sys.stdout,
                    workdir=Path(folder),
                    output=output,
                    webhook=webhook,
                )
            )
        except KeyboardInterrupt:
            print("\nBye.", flush=True)
            return 0
