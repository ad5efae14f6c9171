"""Test-side client of the fake Telegram: simulated users who write, upload and press buttons.

    async with FakeTelegram(api.base_url) as tg:
        alice = await tg.user(1001, "Alice", language_code="en")
        await alice.command("start")
        welcome = await alice.expect("Welcome")
        await alice.press("Settings")
        page = await alice.expect(lambda m: m.has_button("Back"))

Seq bookkeeping: the server numbers every message send/edit/delete with a global ``seq``.
Each user remembers the ``seq`` of its own last action (message, upload, press); ``expect``
only accepts bot messages changed *after* that action, so it can never match a stale message
left over from earlier steps. ``wait_for_change`` additionally remembers what it returned,
so successive calls see successive changes.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


class FakeTelegramError(Exception):
    """The control API refused a request."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status
        self.error = error


@dataclass(frozen=True)
class Button:
    """An inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot passed to answerCallbackQuery."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class Msg:
    """A message in a chat in its current state (after any edits)."""

    chat_id: int
    message_id: int
    from_bot: bool
    kind: str
    text: str | None
    html: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    seq: int
    version: int = 0
    edited: bool = False
    deleted: bool = False
    caption: str | None = None
    document: dict[str, Any] | None = None
    photo: dict[str, Any] | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_to_message_id: int | None = None
    date: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Msg:
        return cls(
            chat_id=int(data["chat_id"]),
            message_id=int(data["message_id"]),
            from_bot=bool(data["from_bot"]),
            kind=str(data["kind"]),
            text=data.get("text"),
            html=data.get("html"),
            parse_mode=data.get("parse_mode"),
            reply_markup=data.get("reply_markup"),
            seq=int(data["seq"]),
            version=int(data.get("version", 0)),
            edited=bool(data.get("edited", False)),
            deleted=bool(data.get("deleted", False)),
            caption=data.get("caption"),
            document=data.get("document"),
            photo=data.get("photo"),
            entities=list(data.get("entities") or []),
            reply_to_message_id=data.get("reply_to_message_id"),
            date=int(data.get("date", 0)),
        )

    @property
    def plain(self) -> str:
        """Visible text (or caption); empty string when there is none."""
        return self.text or ""

    def keyboard(self) -> list[list[Button]]:
        """Inline keyboard rows (empty when the message has no inline keyboard)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows
        ]

    def buttons(self) -> list[Button]:
        """Inline buttons, flattened row by row."""
        return [button for row in self.keyboard() for button in row]

    def button(self, text_substring: str) -> Button:
        """The button whose text contains ``text_substring`` (exact text wins)."""
        buttons = self.buttons()
        for button in buttons:
            if button.text == text_substring:
                return button
        matches = [b for b in buttons if text_substring in b.text]
        if len(matches) != 1:
            reason = "no button" if not matches else f"{len(matches)} buttons"
            raise AssertionError(
                f"{reason} with text containing {text_substring!r} in message "
                f"{self.message_id}: {[b.text for b in buttons]}"
            )
        return matches[0]

    def has_button(self, text_substring: str) -> bool:
        return any(text_substring in b.text for b in self.buttons())

    def callback_data(self) -> list[str]:
        return [b.callback_data for b in self.buttons() if b.callback_data is not None]

    def summary(self) -> str:
        """One line for assertion messages."""
        flags = "".join(
            flag for flag, on in (("edited ", self.edited), ("deleted ", self.deleted)) if on
        )
        buttons = f" buttons={[b.text for b in self.buttons()]}" if self.buttons() else ""
        extra = f" document={self.document.get('file_name')}" if self.document else ""
        return (
            f"#{self.message_id} seq={self.seq} v{self.version} {flags}{self.kind}: "
            f"{self.plain[:300]!r}{buttons}{extra}"
        )


Predicate = Callable[[Msg], bool]


def _as_predicate(what: str | Predicate) -> Predicate:
    if isinstance(what, str):
        needle = what
        return lambda message: needle in message.plain
    return what


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, made once per process: making one reads ~150 CA
    certificates (20 ms of CPU), and the tests open a client for each of a thousand tests."""
    return httpx.create_ssl_context()


class FakeTelegram:
    """Client of the control API (``/_fake/``), an async context manager."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, user_timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.default_timeout = timeout
        self.user_timeout = user_timeout  # each FakeUser's default wait for the bot (`expect`)
        self._http = httpx.AsyncClient(
            base_url=f"{self.base_url}/_fake",
            timeout=httpx.Timeout(timeout, read=timeout + 130.0),
            verify=_tls_context(),
        )

    async def __aenter__(self) -> FakeTelegram:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self, method: str, path: str, *, accept: tuple[int, ...] = (200,), **kwargs: Any
    ) -> dict[str, Any]:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code not in accept:
            try:
                error = str(response.json().get("error"))
            except ValueError:
                error = response.text
            raise FakeTelegramError(response.status_code, error)
        body: dict[str, Any] = response.json()
        return body

    # --- world ------------------------------------------------------------------------------

    async def user(
        self,
        id: int,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
        *,
        last_name: str | None = None,
        started: bool = False,
    ) -> FakeUser:
        """Register (or re-register) a simulated user and return its handle."""
        await self.request(
            "POST",
            "/users",
            json={
                "id": id,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
                "started": started,
            },
        )
        user = FakeUser(self, id, timeout=self.user_timeout)
        _, seq = await self.chat(id)
        user._action_seq = seq
        return user

    async def group(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        type: str = "group",
        members: tuple[FakeUser, ...] = (),
        bot_status: str = "left",
    ) -> FakeGroup:
        """Create a group, supergroup or channel (negative id) with these users in it.

        ``bot_status="member"`` (or "administrator") makes the bot already part of it, as if
        added before the test began; otherwise add it with :meth:`FakeGroup.add_bot`.
        """
        await self.request(
            "POST",
            "/groups",
            json={
                "id": chat_id,
                "title": title,
                "type": type,
                "members": [m.id for m in members],
                "bot_status": bot_status,
            },
        )
        return FakeGroup(self, chat_id)

    async def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them now fails with 403."""
        await self.request("POST", f"/users/{user_id}/block")

    async def unblock(self, user_id: int) -> None:
        await self.request("POST", f"/users/{user_id}/unblock")

    async def chat(self, chat_id: int) -> tuple[list[Msg], int]:
        """All messages of a chat (both sides, deleted ones too) and its newest seq."""
        body = await self.request("GET", f"/chats/{chat_id}/messages")
        return [Msg.from_json(m) for m in body["messages"]], int(body["seq"])

    async def wait(
        self,
        chat_id: int,
        after_seq: int,
        timeout: float,  # noqa: ASYNC109 - server-side wait
    ) -> tuple[list[Msg], int]:
        """Bot messages of the chat changed after ``after_seq`` (waits up to ``timeout``)."""
        body = await self.request(
            "GET", f"/chats/{chat_id}/wait", params={"after_seq": after_seq, "timeout": timeout}
        )
        return [Msg.from_json(m) for m in body["messages"]], int(body["seq"])

    async def download(self, file_id: str) -> bytes:
        """Bytes of any stored file (what the bot sent, or what a user uploaded)."""
        response = await self._http.get(f"/files/{file_id}")
        if response.status_code != 200:
            raise FakeTelegramError(response.status_code, response.text)
        return response.content

    # --- server-side observation and control ------------------------------------------------

    async def inject_fault(
        self,
        method: str,
        kind: str,
        *,
        count: int = 1,
        chat_id: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        status: int | None = None,
        processed: bool | None = None,
        share: float | None = None,
    ) -> dict[str, Any]:
        """Make the next ``count`` matching calls fail; see :mod:`fakegram.faults`."""
        rule: dict[str, Any] = {"method": method, "kind": kind, "count": count}
        optional = {
            "chat_id": chat_id,
            "retry_after": retry_after,
            "delay": delay,
            "status": status,
            "processed": processed,
            "share": share,
        }
        rule.update({k: v for k, v in optional.items() if v is not None})
        body = await self.request("POST", "/faults", json=rule)
        fault: dict[str, Any] = body["fault"]
        return fault

    async def clear_faults(self) -> None:
        await self.request("DELETE", "/faults")

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        params = {"method": method} if method else {}
        body = await self.request("GET", "/calls", params=params)
        calls: list[dict[str, Any]] = body["calls"]
        return calls

    async def stats(self) -> dict[str, Any]:
        return await self.request("GET", "/stats")

    async def commands(self) -> dict[tuple[str, str], list[dict[str, str]]]:
        """Registered command lists keyed by (scope, language_code); "" is no language."""
        body = await self.request("GET", "/commands")
        return {(e["scope"], e["language_code"]): e["commands"] for e in body["commands"]}

    async def profile(self) -> dict[str, Any]:
        return await self.request("GET", "/profile")

    async def configure(self, *, callback_query_timeout: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if callback_query_timeout is not None:
            body["callback_query_timeout"] = callback_query_timeout
        return await self.request("POST", "/config", json=body)

    async def reset(self) -> None:
        await self.request("POST", "/reset")


class FakeUser:
    """One simulated user and their private chat with the bot."""

    def __init__(self, tg: FakeTelegram, user_id: int, *, timeout: float = 5.0) -> None:
        self.tg = tg
        self.id = user_id
        self.timeout = timeout
        self._action_seq = 0  # seq when this user last did something
        self._seen_seq = 0  # newest seq handed out by wait_for_change

    def __repr__(self) -> str:
        return f"FakeUser({self.id})"

    @property
    def action_seq(self) -> int:
        """Server seq at this user's last action; ``expect`` looks only at later changes."""
        return self._action_seq

    # --- acting -----------------------------------------------------------------------------

    def _acted(self, body: dict[str, Any]) -> None:
        self._action_seq = max(self._action_seq, int(body["seq"]))

    async def send(
        self, text: str, *, reply_to_message_id: int | None = None, chat_id: int | None = None
    ) -> Msg:
        """Send a text message to the bot (or, with `chat_id`, in a group); returns it."""
        payload: dict[str, Any] = {"text": text}
        if reply_to_message_id is not None:
            payload["reply_to_message_id"] = reply_to_message_id
        if chat_id is not None:
            payload["chat_id"] = chat_id
        body = await self.tg.request("POST", f"/users/{self.id}/message", json=payload)
        self._acted(body)
        return Msg.from_json(body["message"])

    async def command(self, name: str, *args: str, chat_id: int | None = None) -> Msg:
        """``command("start", "abc")`` (or ``"/start"``) sends ``/start abc``."""
        text = name if name.startswith("/") else f"/{name}"
        return await self.send(" ".join([text, *args]), chat_id=chat_id)

    async def send_document(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> Msg:
        data = {"filename": filename, "mime_type": mime_type}
        if caption is not None:
            data["caption"] = caption
        body = await self.tg.request(
            "POST",
            f"/users/{self.id}/document",
            data=data,
            files={"file": (filename, content, mime_type)},
        )
        self._acted(body)
        return Msg.from_json(body["message"])

    async def send_photo(self, content: bytes, caption: str | None = None) -> Msg:
        data = {"caption": caption} if caption is not None else {}
        body = await self.tg.request(
            "POST",
            f"/users/{self.id}/photo",
            data=data,
            files={"file": ("photo.jpg", content, "image/jpeg")},
        )
        self._acted(body)
        return Msg.from_json(body["message"])

    async def block(self) -> None:
        await self.tg.block(self.id)

    async def unblock(self) -> None:
        await self.tg.unblock(self.id)

    async def _resolve_button(
        self, button: str, message_id: int | None, force: bool, chat_id: int | None = None
    ) -> tuple[int, str]:
        chat, _ = await self.tg.chat(self.id if chat_id is None else chat_id)
        messages = [m for m in chat if m.from_bot and not m.deleted]
        if message_id is None:
            with_keyboard = [m for m in messages if m.buttons()]
            if not with_keyboard:
                raise AssertionError(
                    f"no bot message with an inline keyboard in chat {self.id}:\n"
                    + _describe(messages)
                )
            target = with_keyboard[-1]
        else:
            found = [m for m in messages if m.message_id == message_id]
            if not found:
                raise AssertionError(f"no bot message {message_id} in chat {self.id}")
            target = found[0]
        buttons = [b for b in target.buttons() if b.callback_data is not None]
        for candidates in (
            [b for b in buttons if b.callback_data == button],
            [b for b in buttons if b.text == button],
            [b for b in buttons if button in b.text],
        ):
            if len(candidates) == 1 and candidates[0].callback_data is not None:
                return target.message_id, candidates[0].callback_data
            if len(candidates) > 1:
                raise AssertionError(
                    f"{button!r} matches {len(candidates)} buttons of message "
                    f"{target.message_id}: {[b.text for b in candidates]}"
                )
        if force:
            return target.message_id, button
        raise AssertionError(
            f"no button {button!r} (callback_data, text or part of text) on message "
            f"{target.message_id}: {[(b.text, b.callback_data) for b in target.buttons()]}"
        )

    async def _press(
        self, button: str, message_id: int | None, force: bool, chat_id: int | None = None
    ) -> tuple[str, int]:
        """Press; returns the callback query's id and the pressed message's id."""
        target_id, data = await self._resolve_button(button, message_id, force, chat_id)
        payload: dict[str, Any] = {"message_id": target_id, "callback_data": data, "force": force}
        if chat_id is not None:
            payload["chat_id"] = chat_id
        body = await self.tg.request("POST", f"/users/{self.id}/press", json=payload)
        self._acted(body)
        return str(body["callback_query_id"]), target_id

    async def press(
        self,
        button: str,
        *,
        message_id: int | None = None,
        force: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - a server-side long poll
        chat_id: int | None = None,
    ) -> CallbackAnswer | None:
        """Press an inline button and wait for the bot's answerCallbackQuery.

        ``button`` is the exact callback_data, the exact button text, or a unique part of it;
        the message defaults to the newest bot message with an inline keyboard. With
        ``force=True`` a button the message no longer shows can be pressed (a stale keyboard
        on a client): then ``button`` is used as callback_data if nothing matches. With
        ``chat_id`` the button is on a message in that group. Returns None if the bot did not
        answer in time.
        """
        query_id, _ = await self._press(button, message_id, force, chat_id)
        return await self.callback_answer(query_id, timeout=timeout)

    async def callback_answer(
        self,
        query_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a server-side long poll
    ) -> CallbackAnswer | None:
        wait = self.timeout if timeout is None else timeout
        body = await self.tg.request(
            "GET",
            f"/callback_answers/{query_id}",
            params={"timeout": wait},
            accept=(200, 408),
        )
        if not body.get("answered"):
            return None
        return CallbackAnswer(
            query_id, body.get("text"), bool(body.get("show_alert")), body.get("url")
        )

    async def press_and_wait(
        self,
        button: str,
        *,
        message_id: int | None = None,
        force: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - a server-side long poll
    ) -> Msg:
        """Press a button and return the bot's reply: the pressed message as the bot changed
        it, else the first bot message sent or edited after the press.

        It first waits for the bot's answerCallbackQuery (a bot answers a press as it handles
        it, so what the press changed is in place by then; a press left unanswered only costs
        the wait). A message the bot sent on its own meanwhile, such as a notice, is not taken
        for the reply when the pressed message changed too.
        """
        wait = self.timeout if timeout is None else timeout
        query_id, target_id = await self._press(button, message_id, force)
        pressed_at = self._action_seq
        await self.callback_answer(query_id, timeout=wait)
        changed = await self.wait_for_change(after_seq=pressed_at, timeout=wait)
        if not changed:
            raise AssertionError(
                f"no bot message changed after pressing {button!r} in chat {self.id}:\n"
                + _describe(await self.messages())
            )
        return next((m for m in changed if m.message_id == target_id), changed[0])

    # --- observing --------------------------------------------------------------------------

    async def messages(
        self, include_user: bool = False, include_deleted: bool = False
    ) -> list[Msg]:
        """Messages of this chat in order (bot messages only unless ``include_user``)."""
        messages, _ = await self.tg.chat(self.id)
        return [
            m
            for m in messages
            if (include_user or m.from_bot) and (include_deleted or not m.deleted)
        ]

    async def last(self) -> Msg:
        """The newest bot message, in its current state."""
        messages = await self.messages()
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {self.id}")
        return messages[-1]

    async def wait_for_change(
        self,
        after_seq: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a server-side long poll
    ) -> list[Msg]:
        """Bot messages sent/edited/deleted after ``after_seq``, oldest change first.

        Without ``after_seq`` it continues from this user's last action or the last change
        already returned, whichever is newer. Returns [] on timeout.
        """
        since = max(self._action_seq, self._seen_seq) if after_seq is None else after_seq
        changed, newest = await self.tg.wait(self.id, since, timeout)
        self._seen_seq = max(self._seen_seq, newest)
        return changed

    async def mark(self) -> int:
        """Treat everything up to now as old: ``expect`` will only see later changes."""
        _, seq = await self.tg.chat(self.id)
        self._action_seq = max(self._action_seq, seq)
        return self._action_seq

    async def expect(
        self,
        what: str | Predicate,
        timeout: float | None = None,  # noqa: ASYNC109 - polls the server until a deadline
        *,
        after_seq: int | None = None,
    ) -> Msg:
        """Wait for a bot message, changed since this user's last action, that matches.

        ``what`` is a predicate on :class:`Msg` or a substring of the visible text. Newest
        changes are tried first; deleted messages never match. A predicate that raises
        AssertionError, KeyError or IndexError (``m.button("Back")`` on a message without it)
        simply does not match; the last such error is reported on timeout.
        """
        predicate = _as_predicate(what)
        since = self._action_seq if after_seq is None else after_seq
        loop_timeout = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + loop_timeout
        last_error: Exception | None = None
        while True:
            messages, chat_seq = await self.tg.chat(self.id)
            fresh = sorted(
                (m for m in messages if m.from_bot and not m.deleted and m.seq > since),
                key=lambda m: m.seq,
                reverse=True,
            )
            for message in fresh:
                try:
                    if predicate(message):
                        return message
                except (AssertionError, KeyError, IndexError) as error:
                    last_error = error
            remaining = deadline - loop.time()
            if remaining <= 0:
                bot_messages = [m for m in messages if m.from_bot]
                note = f"; the predicate last raised {last_error!r}" if last_error else ""
                raise AssertionError(
                    f"no bot message matching {what!r} in chat {self.id} within "
                    f"{loop_timeout}s (looking at changes after seq {since}){note}; "
                    f"recent bot messages:\n{_describe(bot_messages)}"
                )
            await self.tg.wait(self.id, chat_seq, remaining)


class FakeGroup:
    """A group, supergroup or channel: its users write with ``user.command(..., chat_id=)``."""

    def __init__(self, tg: FakeTelegram, chat_id: int) -> None:
        self.tg = tg
        self.id = chat_id

    def __repr__(self) -> str:
        return f"FakeGroup({self.id})"

    async def add_bot(self, by: FakeUser, *, status: str = "member") -> int:
        """A member adds the bot (the bot gets ``my_chat_member``); returns the seq then."""
        body = await self.tg.request(
            "POST", f"/groups/{self.id}/bot", json={"by": by.id, "status": status}
        )
        return int(body["seq"])

    async def post(self, text: str) -> Msg:
        """A channel post (the bot gets ``channel_post`` when it is in the channel)."""
        body = await self.tg.request("POST", f"/groups/{self.id}/post", json={"text": text})
        return Msg.from_json(body["message"])

    async def bot_status(self) -> str:
        """ "member", "administrator", "left" or "kicked"."""
        body = await self.tg.request("GET", f"/groups/{self.id}")
        return str(body["group"]["bot_status"])

    async def messages(self) -> list[Msg]:
        """What the bot wrote in this chat, in order."""
        messages, _ = await self.tg.chat(self.id)
        return [m for m in messages if m.from_bot]

    async def wait_for_bot(
        self,
        after_seq: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a server-side long poll
    ) -> list[Msg]:
        """Bot messages of this chat changed after ``after_seq`` ([] on timeout)."""
        changed, _ = await self.tg.wait(self.id, after_seq, timeout)
        return changed


def _describe(messages: list[Msg], limit: int = 8) -> str:
    if not messages:
        return "  (none)"
    return "\n".join(f"  {m.summary()}" for m in messages[-limit:])
