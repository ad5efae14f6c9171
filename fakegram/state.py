"""In-memory world of the fake Telegram: users, chats, messages, files, updates.

Private chats have the user's id; groups, supergroups and channels (negative ids) are
:class:`Group` rows that remember whether the bot is in them.

Everything here is plain data plus a :class:`Notifier` that long-polls (getUpdates, the
control API's waits) sleep on. ``seq`` is a server-wide change counter: every message that
is sent, edited or deleted gets the next value, so a client can ask "what changed after N".
Counters (update ids, message ids, seq) survive :meth:`FakeState.reset` so that a bot still
polling with an old offset is never confused by a reset.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakegram import markup as markup_mod


class Notifier:
    """Wakes every waiter on any change; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, ready: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``ready()`` is true, at most ``seconds``; False if it never became true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, seconds)
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return ready()
        return True


@dataclass
class User:
    """A simulated Telegram user; its private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked: bool = False
    started: bool = False

    def user_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data

    def chat_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Group:
    """A group, supergroup or channel; `bot_status` is the bot's membership ("left" first)."""

    id: int
    type: str  # "group" | "supergroup" | "channel"
    title: str
    members: set[int] = field(default_factory=set)
    bot_status: str = "left"  # "member" | "administrator" | "left" | "kicked"

    @property
    def bot_inside(self) -> bool:
        return self.bot_status in ("member", "administrator")

    def chat_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class StoredFile:
    """A file Telegram holds, uploaded by a user or by the bot."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    from_bot: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    def document_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data

    def photo_json(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.size,
                "width": self.width or 0,
                "height": self.height or 0,
            }
        ]

    def file_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class Message:
    """One message in a private chat, in its current state (after edits)."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    kind: str  # "text" | "document" | "photo"
    seq: int
    text: str | None = None  # visible text, or visible caption of a media message
    raw: str | None = None  # the text/caption exactly as sent
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    reply_to_message_id: int | None = None
    protect_content: bool = False
    edit_date: int | None = None
    version: int = 0
    deleted: bool = False
    sender_id: int | None = None  # the user who wrote in a group (private chats: the chat)

    @property
    def has_inline_keyboard(self) -> bool:
        return self.reply_markup is not None and "inline_keyboard" in self.reply_markup

    def callback_data(self) -> list[str]:
        if not self.has_inline_keyboard or self.reply_markup is None:
            return []
        return [
            button["callback_data"]
            for row in self.reply_markup["inline_keyboard"]
            for button in row
            if "callback_data" in button
        ]

    def control_json(self) -> dict[str, Any]:
        """The shape the control API (and the test client) sees."""
        document = None
        if self.file is not None and self.kind == "document":
            document = {
                "file_id": self.file.file_id,
                "file_name": self.file.file_name,
                "mime_type": self.file.mime_type,
                "file_size": self.file.size,
            }
        photo = None
        if self.file is not None and self.kind == "photo":
            photo = {
                "file_id": self.file.file_id,
                "width": self.file.width,
                "height": self.file.height,
                "file_size": self.file.size,
            }
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": self.text,
            "html": self.raw,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": markup_mod.normalise(self.reply_markup),
            "document": document,
            "photo": photo,
            "caption": self.text if self.kind != "text" else None,
            "reply_to_message_id": self.reply_to_message_id,
            "date": self.date,
            "edited": self.version > 0,
            "deleted": self.deleted,
            "version": self.version,
            "seq": self.seq,
        }


@dataclass
class CallbackQuery:
    """A button press waiting for (or having received) answerCallbackQuery."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class BotProfile:
    """Settings a bot stores about itself (commands, descriptions, menu button, webhook)."""

    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    menu_buttons: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_url: str = ""
    webhook_secret: str = ""  # sent back in each post's X-Telegram-Bot-Api-Secret-Token
    webhook_max_connections: int = 40
    webhook_options: dict[str, Any] = field(default_factory=dict)
    allowed_updates: list[str] | None = None


class FakeState:
    """All mutable state of one fake Telegram server."""

    def __init__(self, bot_id: int, bot_username: str, bot_first_name: str) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.notifier = Notifier()
        self._update_ids = itertools.count(1)
        self._seq = 0
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self.closing = False
        self._init_data()

    def _init_data(self) -> None:
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.chats: dict[int, list[Message]] = {}
        self._messages: dict[tuple[int, int], Message] = {}
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.profile = BotProfile()

    def reset(self) -> None:
        """Forget everything except counters (see module docstring)."""
        self._init_data()
        self.notifier.notify()

    # --- identities -------------------------------------------------------------------------

    def bot_user_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def add_user(self, user: User) -> User:
        existing = self.users.get(user.id)
        if existing is not None:
            user.blocked = existing.blocked
            user.started = existing.started or user.started
        self.users[user.id] = user
        self.chats.setdefault(user.id, [])
        return user

    # --- counters ---------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        return self._seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def chat_seq(self, chat_id: int) -> int:
        """Newest change counter among this chat's messages (0 when empty)."""
        return max((m.seq for m in self.chats.get(chat_id, [])), default=0)

    # --- messages ---------------------------------------------------------------------------

    def new_message(self, chat_id: int, *, from_bot: bool, kind: str, **fields: Any) -> Message:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message = Message(
            chat_id=chat_id,
            message_id=next(counter),
            from_bot=from_bot,
            date=int(time.time()),
            kind=kind,
            seq=self.next_seq(),
            **fields,
        )
        self.chats.setdefault(chat_id, []).append(message)
        self._messages[chat_id, message.message_id] = message
        self.notifier.notify()
        return message

    def touch(self, message: Message, *, edited: bool = True) -> None:
        """Record an edit or deletion of ``message``."""
        if edited:
            message.version += 1
            message.edit_date = int(time.time())
        message.seq = self.next_seq()
        self.notifier.notify()

    def find_message(self, chat_id: int, message_id: int) -> Message | None:
        return self._messages.get((chat_id, message_id))

    def message_json(self, message: Message, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API ``Message`` object for ``message``."""
        group = self.groups.get(message.chat_id)
        user = self.users.get(message.chat_id if group is None else message.sender_id or 0)
        if group is not None:
            chat = group.chat_json()
        else:
            chat = user.chat_json() if user else {"id": message.chat_id, "type": "private"}
        sender = self.bot_user_json() if message.from_bot else (user.user_json() if user else {})
        data: dict[str, Any] = {"message_id": message.message_id}
        if group is not None and group.type == "channel" and not message.from_bot:
            data["sender_chat"] = chat  # a channel post is signed by the channel itself
        else:
            data["from"] = sender
        data.update({"chat": chat, "date": message.date})
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.kind == "text":
            data["text"] = message.text or ""
            if message.entities:
                data["entities"] = message.entities
        else:
            if message.file is not None and message.kind == "document":
                data["document"] = message.file.document_json()
            if message.file is not None and message.kind == "photo":
                data["photo"] = message.file.photo_json()
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        if message.has_inline_keyboard:
            data["reply_markup"] = message.reply_markup
        if message.protect_content:
            data["has_protected_content"] = True
        if with_reply and message.reply_to_message_id is not None:
            replied = self.find_message(message.chat_id, message.reply_to_message_id)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_json(replied, with_reply=False)
        return data

    # --- files ------------------------------------------------------------------------------

    def store_file(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        from_bot: bool,
    ) -> StoredFile:
        number = next(self._file_counter)
        prefix = {"document": "BQACAgIAAxkBAAI", "photo": "AgACAgIAAxkBAAI"}.get(
            kind, "CAACAgIAAxkBAAI"
        )
        file_id = f"{prefix}{number:06d}{secrets.token_urlsafe(18)}"
        unique = f"AQAD{number:06d}{secrets.token_urlsafe(6)}"
        folder = "photos" if kind == "photo" else "documents"
        extension = _extension(file_name, mime_type, kind)
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            content=content,
            file_path=f"{folder}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            from_bot=from_bot,
        )
        self.files[file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # --- updates ----------------------------------------------------------------------------

    def queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self.notifier.notify()
        return update

    def chat_member_update(self, group: Group, by: User | None, old: str, new: str) -> None:
        """Queue the `my_chat_member` update Telegram sends when the bot's status changes."""

        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"user": self.bot_user_json(), "status": status}
            if status == "administrator":
                data.update(_ADMIN_RIGHTS)
            if status == "kicked":
                data["until_date"] = 0
            return data

        payload: dict[str, Any] = {
            "chat": group.chat_json(),
            "from": by.user_json() if by else self.bot_user_json(),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self.queue_update("my_chat_member", payload)

    def new_callback(self, user: User, message: Message, data: str) -> CallbackQuery:
        number = next(self._callback_counter)
        query = CallbackQuery(
            id=f"{4_000_000_000_000_000_000 + number * 7919 + secrets.randbelow(7919)}",
            user_id=user.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            data=data,
            created=time.monotonic(),
        )
        self.callbacks[query.id] = query
        return query


# What a ChatMemberAdministrator must carry (PTB refuses the update without these fields).
_ADMIN_RIGHTS: dict[str, Any] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": False,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": False,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_post_messages": True,
}


def _extension(file_name: str | None, mime_type: str | None, kind: str) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    if kind == "photo":
        return ".jpg"
    known = {"application/pdf": ".pdf", "text/plain": ".txt", "image/png": ".png"}
    return known.get(mime_type or "", "")
