"""The codec of `callback_data`: short ASCII fields joined by ':', never free text.

Telegram allows 64 bytes; `pack` refuses anything longer or not plain ASCII, so a keyboard
that would be refused by Telegram fails loudly in our own tests first.
"""

from __future__ import annotations

import re

MAX_BYTES = 64
_FIELD = re.compile(r"^[A-Za-z0-9_.\-]*$")


class CallbackDataError(ValueError):
    pass


def pack(*fields: str | int) -> str:
    parts = [str(part) for part in fields]
    for part in parts:
        if not _FIELD.match(part):
            raise CallbackDataError(f"callback field {part!r} is not short plain ASCII")
    data = ":".join(parts)
    if len(data.encode("ascii")) > MAX_BYTES:
        raise CallbackDataError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
    return data


def unpack(data: str | None) -> list[str]:
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return []
    return data.split(":")


def parse_int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None
