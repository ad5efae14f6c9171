"""Per-user translation and formatting: gettext catalogs from `locales/` through Babel.

There is no global `_`: every view gets the `Translator` of the person it renders for.
Catalogs are read once at start. Compiled `.mo` files are used when they are present and newer
than their `.po` (the Dockerfile and `make compile` build them); otherwise the `.po` is
compiled in memory, so a fresh clone runs without a build step.

Which locales are offered to users is decided by `locales/LINGUAS` (the gettext convention):
one code a line. A catalog folder not listed there is a translation in progress: it is kept
in the repository for translators but not offered. English is the source language and always
available, with or without a catalog.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache, cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAINS = ("messages", "checklist")
DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class LocaleInfo:
    code: str  # the catalog folder's name, e.g. "zh_Hans"
    native_name: str  # how the language calls itself, shown on the language buttons
    english_name: str
    formatting: str  # the CLDR locale Babel formats dates and numbers with
    command_code: str | None  # setMyCommands takes ISO 639-1 codes only
    buddhist_era: bool = False


# Every locale the product knows; which of them ship is decided by `locales/LINGUAS`.
LOCALES: dict[str, LocaleInfo] = {
    info.code: info
    for info in (
        LocaleInfo("en", "English", "English", "en", "en"),
        LocaleInfo("id", "Bahasa Indonesia", "Indonesian", "id", "id"),
        LocaleInfo("ms", "Bahasa Melayu", "Malay", "ms", "ms"),
        LocaleInfo("th", "ไทย", "Thai", "th", "th", buddhist_era=True),
        LocaleInfo("vi", "Tiếng Việt", "Vietnamese", "vi", "vi"),
        LocaleInfo("fil", "Filipino", "Filipino", "fil", "tl"),
        LocaleInfo("km", "ខ្មែរ", "Khmer", "km", "km"),
        LocaleInfo("lo", "ລາວ", "Lao", "lo", "lo"),
        LocaleInfo("my", "မြန်မာ", "Burmese", "my", "my"),
        LocaleInfo("zh_Hans", "简体中文", "Chinese (Simplified)", "zh_Hans_SG", "zh"),
        LocaleInfo("ta", "தமிழ்", "Tamil", "ta", "ta"),
        LocaleInfo("pt", "Português", "Portuguese", "pt_TL", "pt"),
        # Tetum has no CLDR data: dates and numbers fall back to Portuguese (Timor-Leste).
        LocaleInfo("tet", "Tetun", "Tetum", "pt_TL", None),
    )
}

# Telegram's `language_code` (an IETF tag of the app's language) to our locale codes.
ALIASES: dict[str, str] = {
    "zh": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh-sg": "zh_Hans",
    "zh-hans-sg": "zh_Hans",
    "tl": "fil",
    "fil": "fil",
    "in": "id",  # the withdrawn ISO code some Android phones still report
    "iw": "he",
    "pt-br": "pt",
    "pt-pt": "pt",
    "tdt": "tet",
}


def negotiate(language_code: str | None, available: Iterable[str]) -> str | None:
    """Our locale for a Telegram `language_code`, or None when we have none for it."""
    if not language_code:
        return None
    available = set(available)
    tag = language_code.strip().replace("_", "-").lower()
    candidates = [tag, ALIASES.get(tag, "")]
    base = tag.split("-")[0]
    candidates += [ALIASES.get(base, ""), base]
    for candidate in candidates:
        if candidate in available:
            return candidate
    return None


def _utc_offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


_Day = date  # the type, for the methods of `Translator`, which has one named `date`


class Translator:
    """Texts and formats for one locale. Cheap to pass around; built by `I18n`."""

    def __init__(self, info: LocaleInfo, translations: NullTranslations) -> None:
        self.info = info
        self.locale = info.code
        self._t = translations
        # Every screen formats a few counts and a date, and Babel takes longer over one than
        # the rest of the line: the same few values come back, so each is formatted once.
        self._number = lru_cache(maxsize=4096, typed=True)(self._format_number)
        self._date = lru_cache(maxsize=1024)(self._format_date)

    @cached_property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.info.formatting)

    # Texts -------------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        return self._t.ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ungettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._t.upgettext(context, message)

    def has_translation(self, context: str, message: str) -> bool:
        """Whether the interface catalog translates `message` in `context` (a translation may
        read like the English, as "Malaysia" in Malay: only the catalog can tell)."""
        catalog = getattr(self._t, "_catalog", None)
        return isinstance(catalog, dict) and f"{context}\x04{message}" in catalog

    def checklist_text(self, context: str, default: str) -> str:
        """A checklist text (label, item text, explanation) by its message context."""
        return self._t.dupgettext("checklist", context, default)

    # Formats -----------------------------------------------------------------------------
    def number(self, value: float) -> str:
        return self._number(value)

    def _format_number(self, value: float) -> str:
        return babel_numbers.format_decimal(value, locale=self.babel_locale)

    def percent(self, share: float) -> str:
        return babel_numbers.format_percent(share, locale=self.babel_locale)

    def date(self, value: date | datetime, tz: str | tzinfo | None = None) -> str:
        """A date in the locale's medium style (Thai in the Buddhist era)."""
        if isinstance(value, datetime):
            value = value.astimezone(_zone(tz)).date()
        return self._date(value)

    def _format_date(self, value: _Day) -> str:
        if self.info.buddhist_era:
            day_month = babel_dates.format_skeleton("MMMd", value, locale=self.babel_locale)
            return f"{day_month} {value.year + 543}"
        return babel_dates.format_date(value, "medium", locale=self.babel_locale)

    def time(self, value: datetime, tz: str | tzinfo | None = None) -> str:
        return babel_dates.format_time(
            value.astimezone(_zone(tz)), "short", locale=self.babel_locale
        )

    def datetime(self, value: datetime, tz: str | tzinfo | None = None) -> str:
        """Date and time in the given zone, with the UTC offset (no ambiguous abbreviations)."""
        zone = _zone(tz)
        local = value.astimezone(zone)
        # Pass the zone on: without it, date() and time() would show the moment in UTC.
        return f"{self.date(local, zone)} {self.time(local, zone)} ({_utc_offset(local)})"


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return UTC
    if isinstance(tz, str):
        return _named_zone(tz)
    return tz


@cache
def _named_zone(name: str) -> ZoneInfo:
    """A zone by its name, read from the tz database once: `ZoneInfo` keeps only its last
    eight strongly, and the member states and their people use more zones than that."""
    return ZoneInfo(name)


def _load_catalog(po_path: Path, locale: str) -> Translations:
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as handle:
            return Translations(handle, domain=po_path.stem)
    with po_path.open("rb") as handle:
        try:
            catalog = read_po(handle, locale=locale)
        except UnknownLocaleError:
            handle.seek(0)
            catalog = read_po(handle)  # e.g. Tetum: plural rule from the file's header
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=po_path.stem)


def shipped_locales(locales_dir: Path) -> list[str] | None:
    """The codes listed in `locales_dir/LINGUAS`, or None when there is no such file.

    One code a line (several on a line, separated by spaces, are accepted too); `#` starts a
    comment.
    """
    linguas = locales_dir / "LINGUAS"
    if not linguas.is_file():
        return None
    codes: list[str] = []
    for line in linguas.read_text(encoding="utf-8").splitlines():
        for code in line.split("#", 1)[0].split():
            if code not in codes:
                codes.append(code)
    return codes


def bundled_locales_dir() -> Path:
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_bundled" / "locales", package_dir.parent / "locales"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no locales/ folder next to the bot package")


class I18n:
    """Every shipped catalog, read once; hands out a `Translator` per locale."""

    def __init__(self, locales_dir: Path | None = None, default: str = DEFAULT_LOCALE) -> None:
        self.locales_dir = locales_dir or bundled_locales_dir()
        self.default = default
        self._translators: dict[str, Translator] = {}
        # Without a LINGUAS file (a hand-made catalog folder), every catalog found ships.
        shipped = shipped_locales(self.locales_dir)
        for code, info in LOCALES.items():
            folder = self.locales_dir / code / "LC_MESSAGES"
            if code != DEFAULT_LOCALE and (
                (shipped is not None and code not in shipped)
                or not (folder / "messages.po").exists()
            ):
                continue
            messages = folder / "messages.po"
            translations = (
                _load_catalog(messages, code)
                if messages.exists()
                else Translations(domain="messages")
            )
            checklist = folder / "checklist.po"
            if checklist.exists():
                # Kept as its own domain: looked up with `dupgettext("checklist", ...)`.
                translations.add(_load_catalog(checklist, code), merge=False)
            self._translators[code] = Translator(info, translations)

    @property
    def available(self) -> list[str]:
        """Shipped locale codes, in the order of `LOCALES`."""
        return list(self._translators)

    def translator(self, locale: str | None) -> Translator:
        if locale and locale in self._translators:
            return self._translators[locale]
        return self._translators.get(self.default) or self._translators[DEFAULT_LOCALE]

    def negotiate(self, language_code: str | None) -> str | None:
        return negotiate(language_code, self.available)
