"""Telegram's ``parse_mode=HTML`` parser: plain text + MessageEntity dicts, or Telegram's error.

It follows the algorithm of Telegram's own parser (tdlib ``parse_html``): the same tag set,
attribute rules, byte offsets in error messages, entity decoding and UTF-16 entity offsets.
It is deliberately *stricter* than Telegram in one respect, switchable with ``strict``:
a ``&`` that does not start a valid entity is refused (Telegram would keep it literally), so
that a bot which forgets to escape user text fails in tests instead of on some later input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACE = frozenset(b" \t\r\n\f\v")


class HtmlParseError(Exception):
    """The text after ``can't parse entities: `` in Telegram's 400 answer."""


@dataclass
class ParsedText:
    """Visible text and the entities Telegram would attach to it."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    byte_pos: int  # position in the output buffer, to recover <a> text without href
    expandable: bool = False


def _decode_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode ``&...`` at ``pos`` like Telegram; return (char, next position) or None."""
    n = len(data)
    end = pos + 1
    if end < n and data[end] == ord("#"):
        end += 1
        value = 0
        if end < n and data[end] == ord("x"):
            end += 1
            while end < n and chr(data[end]) in "0123456789abcdefABCDEF":
                value = value * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while end < n and 48 <= data[end] <= 57:
                value = value * 10 + data[end] - 48
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(value)
    else:
        while end < n and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(data[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and data[end] == ord(";"):
        end += 1
    return char, end


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram-flavoured HTML; raise :class:`HtmlParseError` with Telegram's wording."""
    data = text.encode("utf-8")
    n = len(data)
    out = bytearray()
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i = 0

    def at(k: int) -> int:
        return data[k] if k < n else 0

    while i < n:
        c = data[i]
        if c == ord("&"):
            decoded = _decode_entity(data, i)
            if decoded is not None:
                char, i = decoded
                out += char.encode("utf-8", "surrogatepass")
                utf16 += 2 if ord(char) > 0xFFFF else 1
                continue
            if strict:
                raise HtmlParseError(f'Character "&" at byte offset {i} must be escaped as "&amp;"')
        if c != ord("<"):
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            while i < n and data[i] not in _SPACE and data[i] != ord(">"):
                i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in ALLOWED_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument, expandable, i = _parse_attributes(data, i, tag, begin)
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            stack.append(_Open(tag, argument, utf16, len(out), expandable))
            i += 1  # skip '>'
            continue

        # end tag
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i += 1
        while i < n and data[i] not in _SPACE and data[i] != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode("utf-8", "replace").lower()
        while i < n and data[i] in _SPACE:
            i += 1
        if at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        opened = stack[-1]
        if end_tag and end_tag != opened.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{end_tag}>"'
            )
        stack.pop()
        if utf16 > opened.utf16_offset:
            inner = out[opened.byte_pos :].decode("utf-8", "replace")
            _close_entity(entities, opened, utf16 - opened.utf16_offset, inner)

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')

    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(out.decode("utf-8", "replace"), entities)


def _parse_attributes(data: bytes, i: int, tag: str, begin: int) -> tuple[str, bool, int]:
    """Read attributes up to ``>``; return (argument, expandable, index of ``>``)."""
    n = len(data)
    argument = ""
    expandable = False

    def at(k: int) -> int:
        return data[k] if k < n else 0

    while at(i) != ord(">"):
        while i < n and data[i] in _SPACE:
            i += 1
        if at(i) == ord(">"):
            break
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        name_begin = i
        while i < n and data[i] not in _SPACE and data[i] not in (ord("="), ord(">")):
            i += 1
        name = data[name_begin:i].decode("utf-8", "replace").lower()
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while i < n and data[i] in _SPACE:
            i += 1
        if at(i) != ord("="):
            if tag == "blockquote" and name == "expandable":
                expandable = True
                continue
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {begin}"
            )
        i += 1
        while i < n and data[i] in _SPACE:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if data[i] not in (ord("'"), ord('"')):
            token_begin = i
            while i < n and ((chr(data[i]).isalnum() and data[i] < 128) or data[i] in b".-"):
                i += 1
            value = data[token_begin:i].decode("ascii").lower()
            if i < n and data[i] not in _SPACE and data[i] != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = data[i]
            i += 1
            buf = bytearray()
            while i < n and data[i] != quote:
                if data[i] == ord("&"):
                    decoded = _decode_entity(data, i)
                    if decoded is not None:
                        buf += decoded[0].encode("utf-8", "surrogatepass")
                        i = decoded[1]
                        continue
                buf.append(data[i])
                i += 1
            if i < n:
                i += 1
            value = buf.decode("utf-8", "replace")
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
    return argument, expandable, i


def _close_entity(entities: list[dict[str, Any]], opened: _Open, length: int, inner: str) -> None:
    offset = opened.utf16_offset
    tag = opened.tag
    if tag in _SIMPLE_ENTITY_TYPES:
        entities.append({"type": _SIMPLE_ENTITY_TYPES[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": opened.argument,
            }
        )
    elif tag == "a":
        url = opened.argument or inner
        if url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
            and opened.argument
        ):
            last["language"] = opened.argument
        else:
            entity: dict[str, Any] = {"type": "code", "offset": offset, "length": length}
            if opened.argument:
                entity["language"] = opened.argument
            entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.expandable else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
