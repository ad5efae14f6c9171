"""Reading Bot API parameters from any of Telegram's encodings, with Telegram's type coercions.

A request can carry parameters in the query string, a form-urlencoded body, a multipart body
(where file parts live too) or a JSON body. Values from forms arrive as strings; objects such
as ``reply_markup`` arrive JSON-encoded. :class:`Params` hides those differences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from fakegram.errors import ApiError, bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


class Params:
    """Typed access to one call's parameters; ``files`` holds the multipart file parts."""

    def __init__(self, values: dict[str, Any], files: dict[str, Upload]) -> None:
        self.values = values
        self.files = files

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON encoded request") from None
                if isinstance(body, dict):
                    values.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form: MultiDictProxy[Any] = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[key] = value
        return cls(values, files)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.files

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1", "yes")

    def get_json(self, name: str) -> Any:
        """A JSON-typed parameter, given either as an object or as its JSON text."""
        value = self.values.get(name)
        if isinstance(value, (str, bytes)):
            if value in ("", b""):
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id_value(self) -> int | None:
        """``chat_id`` as an integer if it is one (for logs, faults and rate limits)."""
        value = self.values.get("chat_id")
        try:
            return None if value is None or isinstance(value, bool) else int(value)
        except (TypeError, ValueError):
            return None

    def loggable(self) -> dict[str, Any]:
        """Parameters for the call log: files replaced by their names and sizes."""
        logged: dict[str, Any] = dict(self.values)
        for key, upload in self.files.items():
            logged[key] = {"filename": upload.filename, "size": len(upload.content)}
        return logged


def require(value: Any, error: ApiError) -> Any:
    """Return ``value`` unless it is missing, in which case raise ``error``."""
    if value is None or value == "":
        raise error
    return value
