"""The control API under ``/_fake/``: simulated users act, tests observe, faults are injected.

JSON over HTTP on the same server as the Bot API. Errors are ``{"ok": false, "error": ...}``
with status 400 (bad input) or 404 (unknown user, message, file or query).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakegram.faults import FaultRule
from fakegram.html import utf16_len
from fakegram.media import image_size
from fakegram.state import Group, Message, StoredFile, User

if TYPE_CHECKING:
    from fakegram.server import FakeBotAPI

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
MAX_WAIT = 120.0
DEFAULT_PHOTO_SIZE = (1280, 960)


class ControlError(Exception):
    """A refused control request."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _json_error(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn control-API refusals into JSON errors; other paths are left alone."""
    try:
        return await handler(request)
    except ControlError as exc:
        return _json_error(exc.status, exc.error)
    except (KeyError, TypeError, ValueError) as exc:
        if not request.path.startswith("/_fake/"):
            raise
        return _json_error(400, f"bad request: {exc!r}")


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram puts on a message starting with a command."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


class ControlApi:
    """Handlers for ``/_fake/...``, acting on a :class:`FakeBotAPI`'s state."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/_fake/users", self.create_user)
        router.add_get("/_fake/users/{user_id}", self.get_user)
        router.add_post("/_fake/users/{user_id}/block", self.block)
        router.add_post("/_fake/users/{user_id}/unblock", self.unblock)
        router.add_post("/_fake/users/{user_id}/message", self.user_message)
        router.add_post("/_fake/users/{user_id}/document", self.user_document)
        router.add_post("/_fake/users/{user_id}/photo", self.user_photo)
        router.add_post("/_fake/users/{user_id}/press", self.press)
        router.add_post("/_fake/groups", self.create_group)
        router.add_get("/_fake/groups/{chat_id}", self.get_group)
        router.add_post("/_fake/groups/{chat_id}/bot", self.set_bot_status)
        router.add_post("/_fake/groups/{chat_id}/post", self.channel_post)
        router.add_get("/_fake/callback_answers/{query_id}", self.callback_answer)
        router.add_get("/_fake/chats/{chat_id}/messages", self.chat_messages)
        router.add_get("/_fake/chats/{chat_id}/wait", self.chat_wait)
        router.add_get("/_fake/files/{file_id}", self.file)
        router.add_get("/_fake/commands", self.commands)
        router.add_get("/_fake/profile", self.profile)
        router.add_get("/_fake/calls", self.calls)
        router.add_get("/_fake/stats", self.stats)
        router.add_get("/_fake/faults", self.list_faults)
        router.add_post("/_fake/faults", self.add_fault)
        router.add_delete("/_fake/faults", self.clear_faults)
        router.add_post("/_fake/reset", self.reset)
        router.add_post("/_fake/config", self.config)
        router.add_get("/_fake/health", self.health)
        router.add_get("/_fake/updates", self.updates)

    # --- helpers ----------------------------------------------------------------------------

    def _user(self, request: web.Request) -> User:
        user_id = int(request.match_info["user_id"])
        user: User | None = self.api.state.users.get(user_id)
        if user is None:
            raise ControlError(404, f"unknown user {user_id}; register it with POST /_fake/users")
        return user

    def _group(self, chat_id: int) -> Group:
        group: Group | None = self.api.state.groups.get(chat_id)
        if group is None:
            raise ControlError(404, f"unknown group {chat_id}; create it with POST /_fake/groups")
        return group

    def _chat_of(self, user: User, body: dict[str, Any]) -> int:
        """The chat a user acts in: their private chat, or a group (`chat_id`) they are in."""
        if body.get("chat_id") is None:
            return user.id
        group = self._group(int(body["chat_id"]))
        if user.id not in group.members:
            raise ControlError(400, f"user {user.id} is not a member of chat {group.id}")
        return group.id

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        body = await request.json()
        if not isinstance(body, dict):
            raise ControlError(400, "a JSON object is expected")
        return body

    def _posted(self, update: dict[str, Any] | None, message: Message) -> web.Response:
        """What posting a message answers: the update the bot gets (None: it sees nothing)."""
        return web.json_response(
            {
                "ok": True,
                "update": update,
                "message": message.control_json(),
                "seq": self.api.state.seq,
            }
        )

    def _post_user_message(self, user: User, message: Message) -> web.Response:
        group = self.api.state.groups.get(message.chat_id)
        update = None
        if group is None:
            user.started = True  # writing in a group does not open the private chat
            update = self.api.state.queue_update("message", self.api.state.message_json(message))
        elif group.bot_inside:  # a bot that is not in the group sees nothing of it
            update = self.api.state.queue_update("message", self.api.state.message_json(message))
        return self._posted(update, message)

    # --- users ------------------------------------------------------------------------------

    async def create_user(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self.api.add_user(
            int(body["id"]),
            str(body.get("first_name") or "Test"),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code"),
            started=bool(body.get("started", False)),
        )
        return web.json_response({"ok": True, "user": user.user_json()})

    async def get_user(self, request: web.Request) -> web.Response:
        user = self._user(request)
        return web.json_response(
            {"ok": True, "user": user.user_json(), "blocked": user.blocked, "started": user.started}
        )

    async def block(self, request: web.Request) -> web.Response:
        self._user(request).blocked = True
        return web.json_response({"ok": True})

    async def unblock(self, request: web.Request) -> web.Response:
        self._user(request).blocked = False
        return web.json_response({"ok": True})

    async def user_message(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        text = str(body.get("text") or "")
        if not text.strip():
            raise ControlError(400, "a user message needs non-empty text")
        if utf16_len(text) > 4096:
            raise ControlError(400, "a user message is at most 4096 characters")
        message = self.api.state.new_message(
            self._chat_of(user, body),
            from_bot=False,
            kind="text",
            text=text,
            raw=text,
            entities=command_entities(text),
            reply_to_message_id=body.get("reply_to_message_id"),
            sender_id=user.id,
        )
        return self._post_user_message(user, message)

    async def _upload(self, request: web.Request) -> tuple[bytes, dict[str, str]]:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise ControlError(400, "multipart field 'file' is required")
        fields = {k: str(v) for k, v in form.items() if not isinstance(v, web.FileField)}
        if upload.filename and "filename" not in fields:
            fields["filename"] = upload.filename
        if upload.content_type and "mime_type" not in fields:
            fields["mime_type"] = upload.content_type
        return upload.file.read(), fields

    def _post_user_file(
        self, user: User, kind: str, stored: StoredFile, caption: str | None
    ) -> web.Response:
        message = self.api.state.new_message(
            user.id, from_bot=False, kind=kind, file=stored, text=caption, raw=caption
        )
        return self._post_user_message(user, message)

    async def user_document(self, request: web.Request) -> web.Response:
        user = self._user(request)
        content, fields = await self._upload(request)
        stored = self.api.state.store_file(
            content,
            kind="document",
            file_name=fields.get("filename") or "document",
            mime_type=fields.get("mime_type") or "application/octet-stream",
            from_bot=False,
        )
        return self._post_user_file(user, "document", stored, fields.get("caption") or None)

    async def user_photo(self, request: web.Request) -> web.Response:
        user = self._user(request)
        content, fields = await self._upload(request)
        width, height = image_size(content) or DEFAULT_PHOTO_SIZE
        stored = self.api.state.store_file(
            content,
            kind="photo",
            mime_type="image/jpeg",
            width=width,
            height=height,
            from_bot=False,
        )
        return self._post_user_file(user, "photo", stored, fields.get("caption") or None)

    async def press(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        message_id = int(body["message_id"])
        data = str(body["callback_data"])
        chat_id = self._chat_of(user, body)
        message = self.api.state.find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise ControlError(404, f"no message {message_id} in chat {chat_id}")
        if not message.from_bot:
            raise ControlError(400, f"message {message_id} was not sent by the bot")
        if user.blocked:
            raise ControlError(400, f"user {user.id} has blocked the bot")
        if not body.get("force") and data not in message.callback_data():
            raise ControlError(
                400,
                f"message {message_id} has no button with callback_data {data!r} "
                f"(it has {message.callback_data()}); pass force=true to press a stale one",
            )
        if chat_id == user.id:
            user.started = True
        query = self.api.state.new_callback(user, message, data)
        payload = {
            "id": query.id,
            "from": user.user_json(),
            "message": self.api.state.message_json(message),
            "chat_instance": str(-(10**18) - user.id),
            "data": data,
        }
        update = self.api.state.queue_update("callback_query", payload)
        return web.json_response(
            {
                "ok": True,
                "callback_query_id": query.id,
                "update": update,
                "seq": self.api.state.seq,
            }
        )

    # --- groups and channels ----------------------------------------------------------------

    async def create_group(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        kind = str(body.get("type") or "group")
        if kind not in ("group", "supergroup", "channel"):
            raise ControlError(400, "type is one of group, supergroup, channel")
        chat_id = int(body["id"])
        if chat_id >= 0:
            raise ControlError(400, "group and channel ids are negative")
        group = Group(chat_id, kind, str(body.get("title") or "Group"))
        # "member": the bot was in it before the test began (no my_chat_member update).
        group.bot_status = str(body.get("bot_status") or "left")
        if group.bot_status not in ("member", "administrator", "left", "kicked"):
            raise ControlError(400, "bot_status is one of member, administrator, left, kicked")
        group.members = {int(member) for member in body.get("members") or []}
        self.api.state.groups[chat_id] = group
        self.api.state.chats.setdefault(chat_id, [])
        return web.json_response({"ok": True, "group": self._group_json(group)})

    def _group_json(self, group: Group) -> dict[str, Any]:
        return {
            **group.chat_json(),
            "members": sorted(group.members),
            "bot_status": group.bot_status,
        }

    async def get_group(self, request: web.Request) -> web.Response:
        group = self._group(int(request.match_info["chat_id"]))
        return web.json_response({"ok": True, "group": self._group_json(group)})

    async def set_bot_status(self, request: web.Request) -> web.Response:
        """A member adds the bot to the group (or removes it): the bot gets `my_chat_member`."""
        group = self._group(int(request.match_info["chat_id"]))
        body = await self._body(request)
        status = str(body.get("status") or "member")
        if status not in ("member", "administrator", "left", "kicked"):
            raise ControlError(400, "status is one of member, administrator, left, kicked")
        by = self.api.state.users.get(int(body["by"])) if body.get("by") is not None else None
        if by is None or by.id not in group.members:
            raise ControlError(400, "`by` must name a member of the group")
        old, group.bot_status = group.bot_status, status
        self.api.state.chat_member_update(group, by, old, status)
        return web.json_response({"ok": True, "seq": self.api.state.seq})

    async def channel_post(self, request: web.Request) -> web.Response:
        """A post in a channel the bot is in: the bot gets a `channel_post` update."""
        group = self._group(int(request.match_info["chat_id"]))
        if group.type != "channel":
            raise ControlError(400, f"chat {group.id} is not a channel")
        text = str((await self._body(request)).get("text") or "")
        if not text.strip():
            raise ControlError(400, "a post needs non-empty text")
        message = self.api.state.new_message(
            group.id, from_bot=False, kind="text", text=text, raw=text
        )
        update = None
        if group.bot_inside:
            update = self.api.state.queue_update(
                "channel_post", self.api.state.message_json(message)
            )
        return self._posted(update, message)

    async def callback_answer(self, request: web.Request) -> web.Response:
        query = self.api.state.callbacks.get(request.match_info["query_id"])
        if query is None:
            raise ControlError(404, "unknown callback query id")
        timeout = min(MAX_WAIT, float(request.query.get("timeout", "0")))
        await self.api.state.notifier.wait_for(lambda: query.answered, timeout)
        if not query.answered or query.answer is None:
            return web.json_response({"ok": True, "answered": False}, status=408)
        return web.json_response({"ok": True, "answered": True, **query.answer})

    # --- observing --------------------------------------------------------------------------

    async def chat_messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        messages = self.api.state.chats.get(chat_id)
        if messages is None:
            raise ControlError(404, f"unknown chat {chat_id}")
        return web.json_response(
            {
                "ok": True,
                "messages": [m.control_json() for m in messages],
                "seq": self.api.state.chat_seq(chat_id),
            }
        )

    async def chat_wait(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        after = int(request.query.get("after_seq", "0"))
        timeout = min(MAX_WAIT, float(request.query.get("timeout", "5")))

        def changed() -> list[Message]:
            messages = self.api.state.chats.get(chat_id, [])
            fresh = (m for m in messages if m.from_bot and m.seq > after)
            return sorted(fresh, key=lambda m: m.seq)

        await self.api.state.notifier.wait_for(lambda: bool(changed()), timeout)
        found = changed()
        return web.json_response(
            {
                "ok": True,
                "messages": [m.control_json() for m in found],
                "seq": max((m.seq for m in found), default=after),
            }
        )

    async def file(self, request: web.Request) -> web.Response:
        stored = self.api.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise ControlError(404, "unknown file_id")
        return web.Response(
            body=stored.content,
            content_type=stored.mime_type or "application/octet-stream",
            headers={"X-File-Name": stored.file_name or ""},
        )

    async def commands(self, request: web.Request) -> web.Response:
        listing = [
            {"scope": scope, "language_code": language, "commands": commands}
            for (scope, language), commands in sorted(self.api.state.profile.commands.items())
        ]
        return web.json_response({"ok": True, "commands": listing})

    async def profile(self, request: web.Request) -> web.Response:
        profile = self.api.state.profile
        return web.json_response(
            {
                "ok": True,
                "descriptions": profile.descriptions,
                "short_descriptions": profile.short_descriptions,
                "menu_buttons": profile.menu_buttons,
                "webhook_url": profile.webhook_url,
                "allowed_updates": profile.allowed_updates,
            }
        )

    async def calls(self, request: web.Request) -> web.Response:
        records = self.api.calls(request.query.get("method"))
        return web.json_response({"ok": True, "calls": [r.to_json() for r in records]})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, **self.api.stats()})

    async def updates(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "updates": self.api.state.updates})

    # --- faults and configuration -----------------------------------------------------------

    async def list_faults(self, request: web.Request) -> web.Response:
        rules = [rule.to_json() for rule in self.api.faults.rules]
        return web.json_response({"ok": True, "faults": rules})

    async def add_fault(self, request: web.Request) -> web.Response:
        rule = FaultRule.from_json(await self._body(request))
        self.api.faults.add(rule)
        return web.json_response({"ok": True, "fault": rule.to_json()})

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.api.clear_faults()
        return web.json_response({"ok": True})

    async def reset(self, request: web.Request) -> web.Response:
        self.api.reset()
        return web.json_response({"ok": True})

    async def config(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        if "callback_query_timeout" in body:
            self.api.callback_query_timeout = float(body["callback_query_timeout"])
        return web.json_response(
            {"ok": True, "callback_query_timeout": self.api.callback_query_timeout}
        )

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "bot_username": self.api.state.bot_username})
