"""The Bot API methods of the fake server, with Telegram's validation and error wording.

Each method takes :class:`~fakegram.params.Params` and returns the ``result`` JSON, or
raises :class:`~fakegram.errors.ApiError`. Transport (HTTP, logging, faults, flood
control) is the server's business, not this module's.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from fakegram.errors import ApiError, bad_request, forbidden
from fakegram.html import HtmlParseError, parse_html, utf16_len
from fakegram.markup import parse_reply_markup
from fakegram.media import image_size
from fakegram.params import Params, Upload, require
from fakegram.state import FakeState, Group, Message, StoredFile, User
from fakegram.webhook import WebhookPusher

Handler = Callable[[Params], Awaitable[Any]]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
UPLOAD_LIMIT = 50 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})  # the only ports Telegram posts to
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class Formatted:
    """Visible text, raw text, parse mode and entities of a text or caption."""

    def __init__(
        self, text: str, raw: str, parse_mode: str | None, entities: list[dict[str, Any]]
    ) -> None:
        self.text = text
        self.raw = raw
        self.parse_mode = parse_mode
        self.entities = entities


class BotApi:
    """Implements the supported Bot API methods over a :class:`FakeState`."""

    def __init__(
        self,
        state: FakeState,
        *,
        callback_query_timeout: float = 15.0,
        strict_html: bool = True,
        webhook_http: bool = False,
    ) -> None:
        self.state = state
        self.callback_query_timeout = callback_query_timeout
        self.strict_html = strict_html
        # Telegram posts to https:// only (on ports 443, 80, 88, 8443); told so, this fake
        # also posts to http:// on loopback at any port, for tests of a bot's webhook.
        self.webhook_http = webhook_http
        self.webhook = WebhookPusher(state, self._pending)
        self._poll_generation = 0
        self.methods: dict[str, Handler] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "close": self.close,
            "logout": self.close,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "senddocument": self.send_document,
            "sendphoto": self.send_photo,
            "sendchataction": self.send_chat_action,
            "getfile": self.get_file,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "setmydescription": self.set_my_description,
            "getmydescription": self.get_my_description,
            "setmyshortdescription": self.set_my_short_description,
            "getmyshortdescription": self.get_my_short_description,
            "setchatmenubutton": self.set_chat_menu_button,
            "getchatmenubutton": self.get_chat_menu_button,
            "getchat": self.get_chat,
            "leavechat": self.leave_chat,
        }

    async def call(self, method: str, params: Params) -> Any:
        handler = self.methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params)

    # --- helpers ----------------------------------------------------------------------------

    def _known_user(self, chat_id: object) -> User | None:
        """The user whose private chat ``chat_id`` names (``@username`` never resolves a user)."""
        if isinstance(chat_id, bool) or not isinstance(chat_id, (int, str)):
            return None
        try:
            return self.state.users.get(int(chat_id))
        except ValueError:
            return None

    def _user(self, params: Params, *, sending: bool = False) -> User:
        raw = require(params.raw("chat_id"), bad_request("chat_id is empty"))
        user = self._known_user(raw)
        if user is None:
            raise bad_request("chat not found")
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if sending and not user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return user

    def _group(self, chat_id: object) -> Group | None:
        if isinstance(chat_id, bool) or not isinstance(chat_id, (int, str)):
            return None
        try:
            return self.state.groups.get(int(chat_id))
        except ValueError:
            return None

    def _chat(self, params: Params, *, sending: bool = False) -> int:
        """The id of the chat `chat_id` names: a user's private chat or a group the bot is in.

        Telegram's refusals: a bot that left (or was removed from) a group gets 403, and in
        a channel only an administrator may post.
        """
        group = self._group(params.raw("chat_id"))
        if group is None:
            return self._user(params, sending=sending).id
        if group.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {group.type} chat")
        if not group.bot_inside:
            raise forbidden(f"bot is not a member of the {group.type} chat")
        if sending and group.type == "channel" and group.bot_status != "administrator":
            raise bad_request("need administrator rights in the channel chat")
        return group.id

    def _format(
        self,
        params: Params,
        *,
        key: str,
        mode_key: str,
        entities_key: str,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> Formatted | None:
        raw = params.get_str(key)
        if raw is None or raw == "":
            if empty is not None:
                raise bad_request(empty)
            return None
        mode = params.get_str(mode_key) or None
        entities: list[dict[str, Any]] = []
        if mode is None:
            text = raw
            given = params.get_json(entities_key)
            if isinstance(given, list):
                entities = [e for e in given if isinstance(e, dict)]
        elif mode.lower() == "html":
            try:
                parsed = parse_html(raw, strict=self.strict_html)
            except HtmlParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
            text, entities = parsed.text, parsed.entities
        elif mode.lower() in ("markdown", "markdownv2"):
            text = raw  # Markdown is not parsed by this fake; the text is kept as sent.
        else:
            raise bad_request("unsupported parse_mode")
        if not text.strip():
            if empty is not None:
                raise bad_request(empty)
            return None
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return Formatted(text, raw, mode, entities)

    def _text(self, params: Params) -> Formatted:
        formatted = self._format(
            params,
            key="text",
            mode_key="parse_mode",
            entities_key="entities",
            limit=TEXT_LIMIT,
            too_long="message is too long",
            empty="message text is empty",
        )
        assert formatted is not None
        return formatted

    def _caption(self, params: Params) -> Formatted | None:
        return self._format(
            params,
            key="caption",
            mode_key="parse_mode",
            entities_key="caption_entities",
            limit=CAPTION_LIMIT,
            too_long="message caption is too long",
            empty=None,
        )

    def _reply_to(self, params: Params, chat_id: int) -> int | None:
        reply = params.get_json("reply_parameters")
        message_id: int | None
        allow_missing = params.get_bool("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        else:
            message_id = params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        target = self.state.find_message(chat_id, int(message_id))
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return int(message_id)

    def _editable(self, params: Params) -> tuple[int, Message]:
        if params.has("inline_message_id") and not params.has("chat_id"):
            raise bad_request("message to edit not found")
        chat_id = self._chat(params)
        message_id = require(
            params.get_int("message_id"), bad_request("message identifier is not specified")
        )
        message = self.state.find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat_id, message

    def _inline_markup(self, params: Params) -> dict[str, Any] | None:
        markup = parse_reply_markup(params.raw("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    async def _input_file(self, params: Params, name: str, *, photo: bool) -> StoredFile:
        upload = params.files.get(name)
        value = params.raw(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"there is no {name} in the request")
        if upload is None and isinstance(value, str) and value:
            if value.startswith(("http://", "https://")):
                upload = await _fetch(value)
            else:
                existing = self.state.files.get(value)
                if existing is None:
                    raise bad_request("wrong file identifier/HTTP URL specified")
                if photo != existing.file_path.startswith("photos/"):
                    raise bad_request("type of file mismatch")
                return existing
        if upload is None:
            raise bad_request(f"there is no {name} in the request")
        if not upload.content:
            raise bad_request("file must be non-empty")
        if len(upload.content) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        if photo:
            size = image_size(upload.content)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * min(width, height):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            return self.state.store_file(
                upload.content,
                kind="photo",
                mime_type="image/jpeg",
                width=width,
                height=height,
                from_bot=True,
            )
        file_name = upload.filename or name
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(file_name)[0] or mime or "application/octet-stream"
        return self.state.store_file(
            upload.content, kind="document", file_name=file_name, mime_type=mime, from_bot=True
        )

    # --- identity, updates, webhook ---------------------------------------------------------

    async def get_me(self, params: Params) -> Any:
        return {
            **self.state.bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm(self, offset: int) -> None:
        updates = self.state.updates
        if offset > 0:
            updates[:] = [u for u in updates if u["update_id"] >= offset]
        elif offset < 0:
            updates[:] = updates[offset:]

    def _pending(self) -> list[dict[str, Any]]:
        allowed = self.state.profile.allowed_updates
        if allowed:
            self.state.updates[:] = [
                u for u in self.state.updates if any(kind in u for kind in allowed)
            ]
        return self.state.updates

    async def get_updates(self, params: Params) -> Any:
        if self.state.profile.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = min(100, max(1, params.get_int("limit") or 100))
        timeout = max(0.0, params.get_float("timeout") or 0.0)
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self.state.profile.allowed_updates = [str(kind) for kind in allowed] or None
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.state.notifier.notify()  # wakes an older long poll so it can end with 409

        def ready() -> bool:
            return (
                bool(self._pending()) or self._poll_generation != generation or self.state.closing
            )

        await self.state.notifier.wait_for(ready, timeout)
        if self._poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._pending()[:limit]

    def _webhook_url(self, url: str) -> str:
        parsed = urlsplit(url)
        loopback_http = (
            self.webhook_http and parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS
        )
        if parsed.scheme != "https" and not loopback_http:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not parsed.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        try:
            port = parsed.port or 443
        except ValueError:
            raise bad_request("bad webhook: Invalid port specified") from None
        if not loopback_http and port not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        return url

    async def set_webhook(self, params: Params) -> Any:
        url = params.get_str("url") or ""
        if url:
            self._webhook_url(url)
        secret = params.get_str("secret_token") or ""
        if secret and not _SECRET_TOKEN_RE.match(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        connections = params.get_int("max_connections") or 40
        if not 1 <= connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        profile = self.state.profile
        profile.webhook_url = url
        profile.webhook_secret = secret
        profile.webhook_max_connections = connections
        profile.webhook_options = {
            k: v
            for k, v in params.loggable().items()
            if k not in ("url", "certificate", "secret_token")
        }
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            profile.allowed_updates = [str(kind) for kind in allowed] or None
        if params.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.webhook.reset()
        return True

    async def delete_webhook(self, params: Params) -> Any:
        self.state.profile.webhook_url = ""
        self.state.profile.webhook_secret = ""
        if params.get_bool("drop_pending_updates"):
            self.state.updates.clear()
        self.webhook.reset()
        return True

    async def get_webhook_info(self, params: Params) -> Any:
        profile = self.state.profile
        info: dict[str, Any] = {
            "url": profile.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending()),
        }
        if profile.webhook_url:
            info["max_connections"] = profile.webhook_max_connections
            status = self.webhook.status
            if status.last_error_date is not None:
                info["last_error_date"] = status.last_error_date
                info["last_error_message"] = status.last_error_message
        if profile.allowed_updates:
            info["allowed_updates"] = profile.allowed_updates
        return info

    async def close(self, params: Params) -> Any:
        return True

    # --- messages ---------------------------------------------------------------------------

    async def send_message(self, params: Params) -> Any:
        chat_id = self._chat(params, sending=True)
        formatted = self._text(params)
        markup = parse_reply_markup(params.raw("reply_markup"))
        reply_to = self._reply_to(params, chat_id)
        message = self.state.new_message(
            chat_id,
            from_bot=True,
            kind="text",
            text=formatted.text,
            raw=formatted.raw,
            parse_mode=formatted.parse_mode,
            entities=formatted.entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            protect_content=params.get_bool("protect_content"),
        )
        return self.state.message_json(message)

    async def _send_media(self, params: Params, kind: str) -> Any:
        chat_id = self._chat(params, sending=True)
        caption = self._caption(params)
        markup = parse_reply_markup(params.raw("reply_markup"))
        reply_to = self._reply_to(params, chat_id)
        stored = await self._input_file(params, kind, photo=kind == "photo")
        message = self.state.new_message(
            chat_id,
            from_bot=True,
            kind=kind,
            text=caption.text if caption else None,
            raw=caption.raw if caption else None,
            parse_mode=caption.parse_mode if caption else None,
            entities=caption.entities if caption else [],
            reply_markup=markup,
            file=stored,
            reply_to_message_id=reply_to,
            protect_content=params.get_bool("protect_content"),
        )
        return self.state.message_json(message)

    async def send_document(self, params: Params) -> Any:
        return await self._send_media(params, "document")

    async def send_photo(self, params: Params) -> Any:
        return await self._send_media(params, "photo")

    async def edit_message_text(self, params: Params) -> Any:
        _, message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        formatted = self._text(params)
        markup = self._inline_markup(params)
        current = message.reply_markup if message.has_inline_keyboard else None
        if (formatted.text, formatted.entities, markup) == (
            message.text,
            message.entities,
            current,
        ):
            raise bad_request(NOT_MODIFIED)
        message.text = formatted.text
        message.raw = formatted.raw
        message.parse_mode = formatted.parse_mode
        message.entities = formatted.entities
        message.reply_markup = markup
        self.state.touch(message)
        return self.state.message_json(message)

    async def edit_message_caption(self, params: Params) -> Any:
        _, message = self._editable(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(params)
        markup = self._inline_markup(params)
        current = message.reply_markup if message.has_inline_keyboard else None
        new_text = caption.text if caption else None
        new_entities = caption.entities if caption else []
        if (new_text, new_entities, markup) == (message.text, message.entities, current):
            raise bad_request(NOT_MODIFIED)
        message.text = new_text
        message.raw = caption.raw if caption else None
        message.parse_mode = caption.parse_mode if caption else None
        message.entities = new_entities
        message.reply_markup = markup
        self.state.touch(message)
        return self.state.message_json(message)

    async def edit_message_reply_markup(self, params: Params) -> Any:
        _, message = self._editable(params)
        markup = self._inline_markup(params)
        current = message.reply_markup if message.has_inline_keyboard else None
        if markup == current:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        self.state.touch(message)
        return self.state.message_json(message)

    async def delete_message(self, params: Params) -> Any:
        chat_id = self._chat(params)
        message_id = require(
            params.get_int("message_id"), bad_request("message identifier is not specified")
        )
        message = self.state.find_message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        self.state.touch(message, edited=False)
        return True

    async def answer_callback_query(self, params: Params) -> Any:
        query_id = params.get_str("callback_query_id") or ""
        query = self.state.callbacks.get(query_id)
        too_old = query is not None and (
            time.monotonic() - query.created > self.callback_query_timeout
        )
        if query is None or query.answered or too_old:
            raise bad_request(QUERY_TOO_OLD)
        text = params.get_str("text") or ""
        if len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        query.answer = {
            "text": text or None,
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time") or 0,
        }
        self.state.notifier.notify()
        return True

    async def send_chat_action(self, params: Params) -> Any:
        self._chat(params, sending=True)
        action = params.get_str("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # --- files ------------------------------------------------------------------------------

    async def get_file(self, params: Params) -> Any:
        file_id = require(params.get_str("file_id"), bad_request("file_id not specified"))
        stored = self.state.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return stored.file_json()

    # --- bot profile ------------------------------------------------------------------------

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope")
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.match(language):
            raise bad_request("invalid language code specified")
        if scope is None:
            return ("default", language)
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        key = scope["type"]
        for field in ("chat_id", "user_id"):
            if field in scope:
                key += f":{scope[field]}"
        return (key, language)

    async def set_my_commands(self, params: Params) -> Any:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self.state.profile.commands[key] = cleaned
        else:
            self.state.profile.commands.pop(key, None)
        return True

    async def get_my_commands(self, params: Params) -> Any:
        return self.state.profile.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: Params) -> Any:
        self.state.profile.commands.pop(self._commands_key(params), None)
        return True

    async def set_my_description(self, params: Params) -> Any:
        text = params.get_str("description") or ""
        if len(text) > 512:
            raise bad_request("BOT_ABOUT_INVALID")
        self.state.profile.descriptions[params.get_str("language_code") or ""] = text
        return True

    async def get_my_description(self, params: Params) -> Any:
        language = params.get_str("language_code") or ""
        return {"description": self.state.profile.descriptions.get(language, "")}

    async def set_my_short_description(self, params: Params) -> Any:
        text = params.get_str("short_description") or ""
        if len(text) > 120:
            raise bad_request("BOT_ABOUT_INVALID")
        self.state.profile.short_descriptions[params.get_str("language_code") or ""] = text
        return True

    async def get_my_short_description(self, params: Params) -> Any:
        language = params.get_str("language_code") or ""
        return {"short_description": self.state.profile.short_descriptions.get(language, "")}

    async def set_chat_menu_button(self, params: Params) -> Any:
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button JSON object")
        chat = params.get_str("chat_id") or ""
        if chat:
            self._user(params)
        self.state.profile.menu_buttons[chat] = button
        return True

    async def get_chat_menu_button(self, params: Params) -> Any:
        return self.state.profile.menu_buttons.get(
            params.get_str("chat_id") or "", {"type": "default"}
        )

    async def leave_chat(self, params: Params) -> Any:
        """The bot leaves a group or channel; Telegram then sends the `my_chat_member` update."""
        raw = require(params.raw("chat_id"), bad_request("chat_id is empty"))
        group = self._group(raw)
        if group is None:
            if self._known_user(raw) is not None:
                raise bad_request("chat member status can't be changed in private chats")
            raise bad_request("chat not found")
        self._chat(params)  # 403 when the bot is not in it any more
        old, group.bot_status = group.bot_status, "left"
        self.state.chat_member_update(group, None, old, "left")
        return True

    async def get_chat(self, params: Params) -> Any:
        raw = require(params.raw("chat_id"), bad_request("chat_id is empty"))
        group = self._group(raw)
        user = self._known_user(raw)
        if user is None and group is None:
            raise bad_request("chat not found")
        return {
            **(group.chat_json() if group is not None else user.chat_json()),  # type: ignore[union-attr]
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }


async def _fetch(url: str) -> Upload:
    """Download a file the bot passed by URL, as Telegram does (failures are Telegram's 400)."""
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            if response.status != 200:
                raise bad_request("failed to get HTTP URL content")
            content = await response.read()
            name = url.rstrip("/").rsplit("/", 1)[-1] or "file"
            return Upload(name, response.content_type, content)
    except (aiohttp.ClientError, TimeoutError):
        raise bad_request("failed to get HTTP URL content") from None
