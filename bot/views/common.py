"""Pieces every view uses: the rendered message, escaping, status labels, country names."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.checklist import Checklist, checklist_msgctxt
from bot.i18n import Translator
from bot.services.reads import ItemState

MAX_MESSAGE = 4096


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    extra: tuple[str, ...] = field(default=())  # further messages when a text is split


def esc(text: object) -> str:
    """Escape a value for Telegram's HTML parse mode (user text, names, anything not ours)."""
    return html.escape(str(text), quote=False)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def chunks(items: Sequence[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    return [list(items[i : i + width]) for i in range(0, len(items), width)]


STATUS_EMOJI = {
    "implemented": "✅",
    "in_progress": "🔄",
    "planned": "🗓",
    "not_started": "⭕",
    "not_applicable": "➖",
}
OPEN_EMOJI = "▫️"
SKIPPED_EMOJI = "⏭"


def status_label(t: Translator, status: str) -> str:
    labels = {
        "implemented": t.pgettext("status", "Implemented"),
        "in_progress": t.pgettext("status", "In progress"),
        "planned": t.pgettext("status", "Planned"),
        "not_started": t.pgettext("status", "Not started"),
        "not_applicable": t.pgettext("status", "Not applicable"),
    }
    return labels.get(status, status.replace("_", " ").capitalize())


STATE_EMOJI = {
    ItemState.SKIPPED: SKIPPED_EMOJI,
    ItemState.TO_CONFIRM: "↩️",
    ItemState.OPEN: OPEN_EMOJI,
}


def state_label(t: Translator, state: ItemState) -> str:
    """The one label of an item state, used by every screen, file and chart."""
    # Messages the catalogs already have, so every language says the same for one state.
    if state is ItemState.ANSWERED:
        return t.gettext("Answered")
    if state is ItemState.SKIPPED:
        return t.pgettext("status", "Skipped")
    if state is ItemState.TO_CONFIRM:
        return t.gettext("Carried over, not confirmed")
    return t.pgettext("status", "Open")


def status_with_emoji(t: Translator, status: str | None, skipped: bool = False) -> str:
    if status is None:
        # gettext calls stay outside f-strings: Babel's extractor cannot see into them.
        label = t.pgettext("status", "Skipped") if skipped else t.pgettext("status", "Open")
        return f"{SKIPPED_EMOJI if skipped else OPEN_EMOJI} {label}"
    return f"{STATUS_EMOJI.get(status, '•')} {status_label(t, status)}"


def emoji_of(status: str | None, skipped: bool = False) -> str:
    if status is None:
        return SKIPPED_EMOJI if skipped else OPEN_EMOJI
    return STATUS_EMOJI.get(status, "•")


def country_name(t: Translator, code: str | None) -> str:
    """The country's name in the reader's language (CLDR), or its code."""
    if not code:
        return ""
    return t.babel_locale.territories.get(code) or code


def section_label(t: Translator, checklist: Checklist, section_id: str) -> str:
    section = checklist.section(section_id)
    return t.checklist_text(checklist_msgctxt(checklist.id, section_id, "label"), section.label)


def item_text(t: Translator, checklist: Checklist, item_id: str) -> str:
    item = checklist.item(item_id)
    return t.checklist_text(checklist_msgctxt(checklist.id, item_id, "text"), item.text)


def item_explanation(t: Translator, checklist: Checklist, item_id: str) -> str:
    item = checklist.item(item_id)
    return t.checklist_text(
        checklist_msgctxt(checklist.id, item_id, "explanation"), item.explanation
    )


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split a long HTML text at line ends so that each part fits one Telegram message.

    Views build long texts line by line with no tag spanning two lines, so a split at a line
    end never cuts a tag in half.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut it (plain text only)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
