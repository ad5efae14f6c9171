"""Every button's `callback_data`: one small typed class per kind of button.

A view makes a button with `SomeButton(...).pack()`; its handler reads the tap back with
`SomeButton.unpack(query.data)`, one class for both sides. `unpack` gives None for anything
that is not such a button (forged, cut, of a retired shape), and the handler answers that as
it answers a stale button.

On the wire a button is its `PREFIX`, then its fields in the order the dataclass declares
them, joined by ':': `a:s:<version>:<item>:<status index>`. Fields are short plain ASCII and
numbers, never free text, and trailing optional fields that are None are left out. Buttons
already sitting in chats are read with these same classes, so the wire format is a contract:
a field keeps its place and spelling; a new one goes last, optional. Telegram allows 64 bytes;
`pack` refuses anything longer or not plain ASCII, so a keyboard Telegram would refuse fails
loudly in our own tests first. Buttons that change state carry a `version` the service
compares, so an old or repeated tap changes nothing.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from typing import ClassVar, Self

from bot.services.reporting import Action

MAX_BYTES = 64
INT_DIGITS = 11  # a number on a button (an id, a version) is below 10**11
_FIELD = re.compile(r"^[A-Za-z0-9_.\-]*$")

# The first field routes a tap to its handler (`CallbackQueryHandler(pattern=...)`).
ANSWER = "a"
MENU = "mn"
REVIEW = "rv"
PROGRESS = "pg"
LANGUAGES = "lg"
LANGUAGE = "l"
STATUS = "st"
PEOPLE = "pp"
ERASE = "er"
CYCLE = "cy"
REMIND = "rm"
DIGEST = "dg"
NEEDS = "nd"
INSTRUMENT = "in"


class CallbackDataError(ValueError):
    """A button that cannot be made: too long for Telegram, or a field that is not plain."""


@dataclass(frozen=True)
class Button:
    """The codec every kind of button shares; subclasses declare `PREFIX` and their fields.

    Fields are `int`, `str` or a `StrEnum`, optionally `| None` with a default of None (only
    at the end).
    """

    PREFIX: ClassVar[str]

    def pack(self) -> str:
        values = [getattr(self, spec.name) for spec in fields(self)]
        while values and values[-1] is None:
            values.pop()
        if None in values:
            raise CallbackDataError(f"{self!r}: only the last fields may be left out")
        return _join(*self.PREFIX.split(":"), *values)

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The button behind `data`, or None when `data` is not one of this kind."""
        parts = _split(data)
        head = cls.PREFIX.split(":")
        texts = parts[len(head) :]
        layout = _layout(cls)
        required = sum(1 for _, needed in layout if needed)
        if parts[: len(head)] != head or not required <= len(texts) <= len(layout):
            return None
        values = [_parse(kind, text) for (kind, _), text in zip(layout, texts, strict=False)]
        if None in values:
            return None
        return cls(*values)


def read_button(data: str | None, *kinds: type[Button]) -> Button | None:
    """The first of `kinds` that `data` is, for handlers that serve several kinds."""
    for kind in kinds:
        if (button := kind.unpack(data)) is not None:
            return button
    return None


def parse_int(text: str) -> int | None:
    """A number as a button or a command carries it: digits only, below 10**11."""
    return int(text) if text.isdigit() and len(text) <= INT_DIGITS else None


def _join(*values: object) -> str:
    parts = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < 10**INT_DIGITS:
                raise CallbackDataError(f"{value} is not a number a button can carry")
        elif not isinstance(value, str) or not _FIELD.match(value):
            raise CallbackDataError(f"callback field {value!r} is not short plain ASCII")
        parts.append(str(value))
    data = ":".join(parts)
    if len(data.encode("ascii")) > MAX_BYTES:
        raise CallbackDataError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
    return data


def _split(data: str | None) -> list[str]:
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return []
    return data.split(":")


_LAYOUTS: dict[type[Button], tuple[tuple[type[object], bool], ...]] = {}


def _layout(cls: type[Button]) -> tuple[tuple[type[object], bool], ...]:
    """Each field's type (`| None` taken off: int, str or a StrEnum) and whether it is required."""
    if cls not in _LAYOUTS:
        hints = typing.get_type_hints(cls)
        layout = []
        for spec in fields(cls):
            kind = hints[spec.name]
            if isinstance(kind, types.UnionType):
                (kind,) = (member for member in typing.get_args(kind) if member is not type(None))
            assert kind in (int, str) or issubclass(kind, StrEnum), f"{cls.__name__}.{spec.name}"
            layout.append((kind, spec.default is MISSING))
        _LAYOUTS[cls] = tuple(layout)
    return _LAYOUTS[cls]


def _parse(kind: type[object], text: str) -> object | None:
    if kind is int:
        return parse_int(text)
    if kind is str:
        return text if _FIELD.match(text) else None
    assert issubclass(kind, StrEnum)
    try:
        value: StrEnum = kind(text)
    except ValueError:
        return None
    return value


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class AnswerButton(Button):
    """Every button of the answering screens: `a:<action>:<version>[:<item>[:<number>]]`.

    `number` is a status's index (`Action.STATUS`), a piece of evidence's id
    (`Action.REMOVE_EVIDENCE`) or a kind of support's index (`Action.SUPPORT_ON`/`_OFF`).
    """

    PREFIX: ClassVar[str] = ANSWER
    action: Action
    version: int
    item_id: str | None = None
    number: int | None = None

    @property
    def status_index(self) -> int | None:
        return self.number if self.action is Action.STATUS else None

    @property
    def support_kind(self) -> int | None:
        return self.number if self.action in (Action.SUPPORT_ON, Action.SUPPORT_OFF) else None

    @property
    def evidence_id(self) -> int | None:
        return self.number if self.action is Action.REMOVE_EVIDENCE else None


@dataclass(frozen=True)
class MenuButton(Button):
    """☰ Menu under an item: `mn:<version>`."""

    PREFIX: ClassVar[str] = MENU
    version: int


@dataclass(frozen=True)
class ReviewButton(Button):
    """The norms (`rv:<version>`) or one norm's items (`rv:<version>:<norm>`)."""

    PREFIX: ClassVar[str] = REVIEW
    version: int | None = None
    section_id: str | None = None


@dataclass(frozen=True)
class ProgressButton(Button):
    """📊 Progress: `pg:<version>`."""

    PREFIX: ClassVar[str] = PROGRESS
    version: int | None = None


# --------------------------------------------------------------------------- language


@dataclass(frozen=True)
class LanguagesButton(Button):
    """🌐 Language, the choice of every language: `lg`."""

    PREFIX: ClassVar[str] = LANGUAGES


@dataclass(frozen=True)
class LanguageButton(Button):
    """One language of the choice: `l:<locale>`."""

    PREFIX: ClassVar[str] = LANGUAGE
    locale: str


@dataclass(frozen=True)
class InstrumentButton(Button):
    """One instrument of the /instruments choice: `in:<short name>`. No version: it sets the
    person's own current instrument to a value, which a repeated tap sets again."""

    PREFIX: ClassVar[str] = INSTRUMENT
    short_name: str


# --------------------------------------------------------------------------- following


@dataclass(frozen=True)
class CountryStatusButton(Button):
    """A country of the /status choice: `st:<country code>`."""

    PREFIX: ClassVar[str] = STATUS
    country_code: str


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class RevokeButton(Button):
    """Confirm /revoke: `pp:rv:<person>`."""

    PREFIX: ClassVar[str] = f"{PEOPLE}:rv"
    person_id: int


@dataclass(frozen=True)
class ReadmitButton(Button):
    """Confirm /readmit: `pp:ra:<person>`."""

    PREFIX: ClassVar[str] = f"{PEOPLE}:ra"
    person_id: int


@dataclass(frozen=True)
class PeopleCancelButton(Button):
    """Cancel /revoke or /readmit: `pp:x`."""

    PREFIX: ClassVar[str] = f"{PEOPLE}:x"


@dataclass(frozen=True)
class EraseButton(Button):
    """Confirm /erase: `er:y:<person>:<token>`; the token fingerprints what is erased."""

    PREFIX: ClassVar[str] = f"{ERASE}:y"
    person_id: int
    token: str


@dataclass(frozen=True)
class EraseCancelButton(Button):
    """Cancel /erase: `er:x`."""

    PREFIX: ClassVar[str] = f"{ERASE}:x"


# --------------------------------------------------------------------------- cycles


@dataclass(frozen=True)
class ExtendButton(Button):
    """Move the deadline by some days: `cy:dl:<cycle>:<days>:<version>`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:dl"
    cycle_id: int
    days: int
    version: int


@dataclass(frozen=True)
class DeadlineHelpButton(Button):
    """🗓 Other date: `cy:dh`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:dh"


@dataclass(frozen=True)
class CloseAskButton(Button):
    """🔒 Close cycle, which asks to confirm: `cy:cl:<cycle>`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:cl"
    cycle_id: int


@dataclass(frozen=True)
class CloseButton(Button):
    """Confirm closing: `cy:ok:<cycle>:<version>`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:ok"
    cycle_id: int
    version: int


@dataclass(frozen=True)
class CycleBackButton(Button):
    """Back to /cycle: `cy:bk`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:bk"


@dataclass(frozen=True)
class NewCycleHelpButton(Button):
    """➕ New cycle, which explains /newcycle: `cy:nw`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:nw"


class DraftChoice(StrEnum):
    BASELINE = "b1"  # copy the last cycle's answers
    NO_BASELINE = "b0"
    VERSION = "v"  # another checklist version: `index` says which
    OPEN = "go"
    CANCEL = "no"


@dataclass(frozen=True)
class DraftButton(Button):
    """A choice on a drafted cycle: `cy:d:<draft>:<choice>[:<version index>]`."""

    PREFIX: ClassVar[str] = f"{CYCLE}:d"
    draft_id: int
    choice: DraftChoice
    index: int | None = None


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class ContinueButton(Button):
    """▶️ Continue under a reminder: `rm:go[:<instrument>]`, in the instrument it names first
    (none: the person's current one)."""

    PREFIX: ClassVar[str] = f"{REMIND}:go"
    instrument: str | None = None


class Snooze(StrEnum):
    DAY = "s1"
    WEEK = "s7"

    @property
    def days(self) -> int:
        return 1 if self is Snooze.DAY else 7


@dataclass(frozen=True)
class SnoozeButton(Button):
    """⏰ Snooze one reminder: `rm:s1:<delivery>` or `rm:s7:<delivery>`."""

    PREFIX: ClassVar[str] = REMIND
    length: Snooze
    delivery_id: int


class Muting(StrEnum):
    MUTE = "mute"
    UNMUTE = "um"


@dataclass(frozen=True)
class MuteButton(Button):
    """🔕 / 🔔 reminders of one cycle: `rm:mute:<cycle>` or `rm:um:<cycle>`."""

    PREFIX: ClassVar[str] = REMIND
    muting: Muting
    cycle_id: int


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class DigestButton(Button):
    """Start or stop the scheduled digests: `dg:on` or `dg:off`."""

    PREFIX: ClassVar[str] = DIGEST
    switch: Switch


# --------------------------------------------------------------------------- needs


@dataclass(frozen=True)
class NeedsChartButton(Button):
    """📊 Chart under /needs: `nd:c:<instrument>[:<theme or country>]`; it changes nothing."""

    PREFIX: ClassVar[str] = f"{NEEDS}:c"
    instrument: str
    focus: str | None = None
