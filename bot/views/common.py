"""Pieces every view uses: the rendered message, escaping, status labels, country names."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.checklist import Checklist, checklist_msgctxt
from bot.countries import ASEAN_MEMBER_STATES
from bot.i18n import Translator
from bot.services.reads import ItemState

MAX_MESSAGE = 4096
T = TypeVar("T")


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


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


def _asean_names(t: Translator) -> dict[str, str]:
    """The member states as ASEAN writes them, through the catalogs (CLDR says "Laos",
    "Myanmar (Burma)", "Vietnam", "Brunei": not the names a ministry expects to read)."""
    # TRANSLATORS: country names as ASEAN documents write them in your language.
    return {
        "BN": t.pgettext("country", "Brunei Darussalam"),
        "KH": t.pgettext("country", "Cambodia"),
        "ID": t.pgettext("country", "Indonesia"),
        "LA": t.pgettext("country", "Lao PDR"),
        "MY": t.pgettext("country", "Malaysia"),
        "MM": t.pgettext("country", "Myanmar"),
        "PH": t.pgettext("country", "Philippines"),
        "SG": t.pgettext("country", "Singapore"),
        "TH": t.pgettext("country", "Thailand"),
        "TL": t.pgettext("country", "Timor-Leste"),
        "VN": t.pgettext("country", "Viet Nam"),
    }


_ENGLISH_ASEAN = {info.code: info.name for info in ASEAN_MEMBER_STATES}


def country_name(t: Translator, code: str | None) -> str:
    """The country's name in the reader's language, or its code: the one place for it.

    A member state's name comes from the catalogs (ASEAN's usage); while a catalog has no
    translation for it yet, CLDR's name in the reader's language stands in (without CLDR's
    bracketed alternative, "Myanmar (Burma)"). Any other country (a test region, a benchmark)
    has CLDR's name.
    """
    if not code:
        return ""
    asean = _asean_names(t).get(code)
    if asean is not None and (
        t.locale == "en" or t.has_translation("country", _ENGLISH_ASEAN[code])
    ):
        return asean
    cldr: str | None = t.babel_locale.territories.get(code)
    if cldr:
        return cldr.split(" (")[0] if asean is not None else cldr
    return asean or code


# Thai and Lao write some vowels before the consonant they follow in speech; dictionaries sort
# by the consonant, so the key swaps such a vowel behind its consonant.
_LEADING_VOWELS = re.compile("([\u0e40-\u0e44\u0ec0-\u0ec4])(.)")


def name_sort_key(text: str) -> tuple[str, str]:
    """A language-neutral sort key for a name: letters first, then accents and tone marks.

    No collation library ships with Babel (and ICU is a heavy system dependency), so this is
    an approximation of Unicode collation's first two levels: the text decomposed, casefolded,
    combining marks dropped ("Việt Nam" sorts as "viet nam"), Thai and Lao leading vowels put
    behind their consonant; the marks decide only between otherwise equal names.
    """
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = _LEADING_VOWELS.sub(r"\2\1", folded)
    base = "".join(c for c in folded if not unicodedata.combining(c))
    return base, folded


def countries_sorted(
    t: Translator,
    items: Iterable[T],
    code: Callable[[T], str | None],
    *,
    first: Callable[[T], Any] | None = None,
) -> list[T]:
    """`items` (rows, people, codes…) in the one country order of every list: by the country's
    name in the reader's language. `first` is a primary order that the name only breaks ties
    in, as /summary's "countries behind first"."""

    def key(item: T) -> tuple[Any, ...]:
        by_name = name_sort_key(country_name(t, code(item)))
        return (first(item), by_name) if first is not None else (by_name,)

    return sorted(items, key=key)


def cycle_title(t: Translator, title: str) -> str:
    """A cycle's title for a reader: a coordinator's own as typed, the bot's default translated.

    The cycle the bot opens on its first start has no title of its own (an empty one, which a
    coordinator cannot type): every reader sees the default name in their language.
    """
    return title or t.gettext("First reporting cycle")


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


def section_heading(t: Translator, checklist: Checklist, section_id: str) -> str:
    """ "Norm f: label" (HTML), or "Theme gov: label" for an instrument written in themes."""
    label = esc(section_label(t, checklist, section_id))
    if checklist.grouping == "norms":
        return t.gettext("Norm {norm}: {label}").format(norm=esc(section_id), label=label)
    return t.gettext("Theme {theme}: {label}").format(theme=esc(section_id), label=label)


def instrument_title(t: Translator, checklist: Checklist) -> str:
    """An instrument's short title ("Cyber norms") in the reader's language."""
    return t.checklist_text(
        checklist_msgctxt(checklist.id, "", "short_title"), checklist.short_title
    )


def draft_note(t: Translator, checklist: Checklist) -> str | None:
    """The marking of a draft instrument (its wording is not official), or None."""
    if not checklist.draft:
        return None
    return t.gettext("Draft instrument: the wording is not official.")


def instrument_line(t: Translator, checklist: Checklist) -> str:
    """The line that names the instrument a screen belongs to, with its draft note (HTML)."""
    note = draft_note(t, checklist)
    line = "📋 " + esc(instrument_title(t, checklist))
    return f"{line} · <i>{esc(note)}</i>" if note else line


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


def support_kind_label(t: Translator, kind: str) -> str:
    """A kind of support a country may ask for (`bot.services.needs.SUPPORT_KINDS`)."""
    labels = {
        "policy": t.pgettext("support kind", "Policy or legal drafting"),
        "technical": t.pgettext("support kind", "Technical"),
        "training": t.pgettext("support kind", "Training"),
        "funding": t.pgettext("support kind", "Funding"),
        "other": t.pgettext("support kind", "Other"),
    }
    return labels.get(kind, kind)


def support_kinds_text(t: Translator, kinds: Iterable[str]) -> str:
    """The kinds' labels joined, plain text (escape it for HTML)."""
    return ", ".join(support_kind_label(t, kind) for kind in kinds)
