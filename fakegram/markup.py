"""Validation and normalisation of ``reply_markup`` the way the Bot API checks it.

Telegram's wording is kept for every refusal. One rule is stricter than Telegram (which
silently uses the first action field it finds): an inline button must carry exactly one action.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fakegram.errors import ApiError, bad_request

INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
MAX_CALLBACK_DATA_BYTES = 64


def _button_error(reason: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def parse_reply_markup(raw: object) -> dict[str, Any] | None:
    """Return the validated markup object (as Telegram would keep it) or None when absent."""
    if raw is None or raw == "":
        return None
    value: object = raw
    if isinstance(raw, (str, bytes)):
        try:
            value = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        return {"inline_keyboard": _inline_keyboard(value["inline_keyboard"])}
    if "keyboard" in value:
        return _reply_keyboard(value)
    if value.get("remove_keyboard") is True:
        return {"remove_keyboard": True, **_flag(value, "selective")}
    if value.get("force_reply") is True:
        extra = {k: value[k] for k in ("input_field_placeholder", "selective") if k in value}
        return {"force_reply": True, **extra}
    return None


def _flag(value: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: value[key]} if key in value else {}


def _inline_keyboard(rows: object) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    result: list[list[dict[str, Any]]] = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        result.append([_inline_button(button) for button in row])
    return result


def _inline_button(button: object) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in INLINE_ACTIONS if key in button]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(
            "exactly one of the optional fields must be used, got " + ", ".join(actions)
        )
    action = actions[0]
    if action == "callback_data":
        data = button["callback_data"]
        if not isinstance(data, str):
            raise _button_error('Field "callback_data" must be of type String')
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        url = button["url"]
        if not isinstance(url, str):
            raise _button_error('Field "url" must be of type String')
        if not _valid_button_url(url):
            raise bad_request("BUTTON_URL_INVALID")
    return dict(button)


def _valid_button_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc) and " " not in url
    return parts.scheme in ("tg", "ton")


def _reply_keyboard(value: dict[str, Any]) -> dict[str, Any]:
    rows = value["keyboard"]
    if not isinstance(rows, list):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    keyboard: list[list[dict[str, Any]]] = []
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
            )
        buttons: list[dict[str, Any]] = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    "can't parse keyboard button: KeyboardButton must be a String or an Object"
                )
            buttons.append(dict(button))
        keyboard.append(buttons)
    extra_keys = (
        "is_persistent",
        "resize_keyboard",
        "one_time_keyboard",
        "input_field_placeholder",
        "selective",
    )
    return {"keyboard": keyboard, **{k: value[k] for k in extra_keys if k in value}}


def normalise(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """A compact form for the control API: inline rows as ``{text, callback_data?, url?}``."""
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        rows = [
            [
                {k: button[k] for k in ("text", "callback_data", "url") if k in button}
                for button in row
            ]
            for row in markup["inline_keyboard"]
        ]
        return {"inline_keyboard": rows}
    return dict(markup)
