"""Checks of the translation catalogs, run by `make check-catalogs` and by CI.

    python -m tools.i18n_check                every shipped locale (listed in locales/LINGUAS)
    python -m tools.i18n_check --locale km    one locale, shipped or still in progress
    python -m tools.i18n_check --all          every catalog folder under locales/
    python -m tools.i18n_check init km        start the catalogs of a new language

It prints one line per problem, `path:line: what is wrong`, and exits with 1 when any is an
error (warnings alone exit 0). A catalog fails when it has an empty or fuzzy entry, when a
translation's `{placeholders}`, HTML tags, entities, /commands or leading and trailing line
breaks differ from the English text, when a plural entry lacks a form or its Plural-Forms
header does not fit the language (an untranslated plural in a one-form language such as Thai
would silently show the English singular), or when it is not up to date with its template.
The templates themselves fail when the code or the checklist files hold texts they do not
(`make extract` was not run), and the code fails when a gettext call sits inside an f-string,
where Babel on Python 3.11 does not see it, so the text would never be translated.

English is the source language: it needs no catalog and is never checked.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import re
import string
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, write_po

from bot.i18n import DEFAULT_LOCALE, LOCALES, shipped_locales

# Each gettext domain: its template, and the folder its texts are extracted from (the
# Makefile's `extract` target runs Babel on the same folders with the same babel.cfg).
DOMAINS = ("messages", "checklist")
DOMAIN_SOURCES = {"messages": "bot", "checklist": "checklist"}

# Plural rules where the project deliberately differs from Babel's table, or Babel has none.
PLURAL_FORMS: dict[str, tuple[int, str]] = {
    # Tetum nouns do not inflect for number: a numeral needs no plural marker ("livru rua",
    # two books), so one form serves every count. Babel has no CLDR data for Tetum.
    "tet": (1, "0"),
    # Portuguese as written in Timor-Leste follows the European norm, where zero takes the
    # plural ("0 itens"); Babel's `pt` is Brazilian (0 takes the singular). CLDR's third
    # "many" form only differs for spelled-out millions ("1 milhão de itens"), and the bot
    # writes numbers in digits, so two forms are enough.
    "pt": (2, "(n != 1)"),
}

# Numbers the plural rules are compared on: every form of every language here shows below 200.
_PLURAL_SAMPLES: tuple[int, ...] = (*range(0, 200), 1000, 1001, 1000000)

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);")
_COMMAND = re.compile(r"(?<![\w/:.<\-])/[a-z][a-z0-9_]*")  # not </b>, not https://


@dataclass(frozen=True)
class Problem:
    """One finding, printed as `path:line: message` (the format editors and CI understand)."""

    path: str
    line: int | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


# --- Rules on one message --------------------------------------------------------------------


def placeholders(text: str) -> set[str] | None:
    """The `{field}` names of a str.format text (`{}` for automatic ones); None if malformed."""
    names: set[str] = set()
    try:
        for _literal, field, _spec, _conversion in string.Formatter().parse(text):
            if field is not None:
                names.add("{" + field + "}")
    except ValueError:
        return None
    return names


def html_tags(text: str) -> Counter[str]:
    """Tags by name and direction (`<a href=…>` counts as `<a>`), and entities such as `&lt;`."""
    found: Counter[str] = Counter(f"<{close}{name.lower()}>" for close, name in _TAG.findall(text))
    found.update(_ENTITY.findall(text))
    return found


def bare_markup(text: str) -> int:
    """How many `<` and `&` start neither a tag nor an entity (Telegram refuses them)."""
    rest = _ENTITY.sub("", _TAG.sub("", text))
    return rest.count("<") + rest.count("&")


def commands(text: str) -> set[str]:
    return set(_COMMAND.findall(text))


def _describe(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))


def compare_texts(source: str, translation: str) -> list[str]:
    """What a translation breaks in its English source: placeholders, markup, commands."""
    found: list[str] = []
    wanted, got = placeholders(source), placeholders(translation)
    if wanted is not None:  # a source that is not a format string is never .format()ted
        if got is None:
            found.append("malformed placeholder: a { or } without its pair (write {{ or }})")
        else:
            if wanted - got:
                found.append(f"placeholder {_describe(wanted - got)} missing")
            if got - wanted:
                found.append(f"unknown placeholder {_describe(got - wanted)}")
    source_tags, tags = html_tags(source), html_tags(translation)
    if source_tags != tags:
        missing, extra = source_tags - tags, tags - source_tags
        parts = []
        if missing:
            parts.append(f"missing {_describe(missing.elements())}")
        if extra:
            parts.append(f"extra {_describe(extra.elements())}")
        found.append("HTML tags or entities differ from the source: " + "; ".join(parts))
    if bare_markup(translation) > bare_markup(source):
        found.append("a bare < or & that Telegram refuses: write &lt; or &amp;")
    if commands(source) != commands(translation):
        missing_commands = commands(source) - commands(translation)
        extra_commands = commands(translation) - commands(source)
        if missing_commands:
            found.append(
                f"command {_describe(missing_commands)} missing (commands stay in English)"
            )
        if extra_commands:
            found.append(f"unknown command {_describe(extra_commands)}")
    for edge, test in (("starts", str.startswith), ("ends", str.endswith)):
        if test(source, "\n") != test(translation, "\n"):
            found.append(
                f"the source {edge} with a line break and the translation does not"
                if test(source, "\n")
                else f"the translation {edge} with a line break and the source does not"
            )
    return found


def check_message(message: Message, nplurals: int, language: str) -> list[str]:
    """Every problem of one catalog entry, as short sentences."""
    if message.fuzzy:
        return ["marked fuzzy: review the translation and remove the fuzzy flag"]
    if isinstance(message.id, (list, tuple)):
        forms = list(message.string) if isinstance(message.string, (list, tuple)) else []
        general = message.id[1] if len(message.id) > 1 else message.id[0]
        if not any(forms):
            return ["not translated"]
        found: list[str] = []
        if len(forms) < nplurals:
            found.append(f"has {len(forms)} plural forms, {language} has {nplurals}")
        for index, form in enumerate(forms):
            if not form:
                found.append(f"plural form msgstr[{index}] is empty")
            else:
                found += [f"msgstr[{index}]: {problem}" for problem in compare_texts(general, form)]
        return found
    if not message.string:
        return ["not translated"]
    return compare_texts(str(message.id), str(message.string))


# --- Rules on one catalog ----------------------------------------------------------------------


def expected_plural_forms(code: str) -> tuple[int, str]:
    """(nplurals, plural expression) a catalog for `code` must declare."""
    if code in PLURAL_FORMS:
        return PLURAL_FORMS[code]
    plural = get_plural(code)
    return plural.num_plurals, plural.plural_expr


def same_plural_rule(expr_a: str, expr_b: str) -> int | None:
    """None when both C expressions pick the same form for every sample n, else the first n."""
    rule_a, rule_b = gettext.c2py(expr_a), gettext.c2py(expr_b)
    for n in _PLURAL_SAMPLES:
        if rule_a(n) != rule_b(n):
            return n
    return None


def _key(message: Message) -> tuple[str | None, str]:
    ident = message.id
    text = "\x00".join(ident) if isinstance(ident, (list, tuple)) else str(ident)
    return message.context, text


def _shown(key: tuple[str | None, str]) -> str:
    context, text = key
    text = text.replace("\x00", " / ")
    text = text if len(text) <= 60 else text[:59] + "…"
    return f'"{text}"' + (f" (context {context})" if context else "")


def _header_line(path: Path, field: str) -> int:
    """The line of a header field such as Plural-Forms, for the problem's position."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith(f'"{field}:'):
                return number
            if number > 40:
                break
    return 1


def read_catalog(path: Path, display: str) -> tuple[Catalog | None, list[Problem]]:
    """The catalog, or the first syntax problem in it (a file that cannot be read)."""
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True), []
    except PoFileError as error:
        what = str(error).rsplit(" on ", 1)[0]
        return None, [Problem(display, error.lineno + 1, f"cannot be read: {what}")]
    except (UnicodeDecodeError, ValueError) as error:
        return None, [Problem(display, None, f"cannot be read: {error}")]


def check_catalog(
    path: Path, template: Catalog | None, code: str, *, display: str | None = None
) -> list[Problem]:
    """Every problem of one `.po` file for locale `code`, compared with its template."""
    shown = display or str(path)
    catalog, problems = read_catalog(path, shown)
    if catalog is None:
        return problems
    info = LOCALES.get(code)
    language = info.english_name if info else code
    if catalog.fuzzy:
        problems.append(
            Problem(shown, 1, "the header is marked fuzzy: compiling would skip the whole catalog")
        )
    if catalog.locale_identifier and catalog.locale_identifier != code:
        problems.append(
            Problem(
                shown,
                _header_line(path, "Language"),
                f"Language header says {catalog.locale_identifier!r}, the folder {code!r}",
                warning=True,
            )
        )
    nplurals = catalog.num_plurals
    plural_line = _header_line(path, "Plural-Forms")
    try:
        wanted_n, wanted_expr = expected_plural_forms(code)
    except UnknownLocaleError:
        problems.append(
            Problem(
                shown,
                plural_line,
                f"Babel knows no plural rule for {code!r}: add it to PLURAL_FORMS",
            )
        )
    else:
        if nplurals != wanted_n:
            problems.append(
                Problem(
                    shown,
                    plural_line,
                    f"Plural-Forms declares nplurals={nplurals}, {language} has {wanted_n}"
                    f" (nplurals={wanted_n}; plural={wanted_expr};)",
                )
            )
        else:
            differs_at = same_plural_rule(catalog.plural_expr, wanted_expr)
            if differs_at is not None:
                problems.append(
                    Problem(
                        shown,
                        plural_line,
                        f"Plural-Forms rule picks another form than {language}'s for"
                        f" n={differs_at} (expected plural={wanted_expr};)",
                    )
                )
    for message in catalog:
        if not message.id:
            continue  # the header
        for text in check_message(message, nplurals, language):
            problems.append(Problem(shown, message.lineno, text))
    if catalog.obsolete:
        first = min(message.lineno or 0 for message in catalog.obsolete.values())
        problems.append(
            Problem(
                shown,
                first or None,
                f"{len(catalog.obsolete)} obsolete entries (#~) at the end: reuse what helps,"
                " then delete them",
                warning=True,
            )
        )
    if template is not None:
        problems += _compare_keys(
            have={_key(m) for m in catalog if m.id},
            want={_key(m) for m in template if m.id},
            path=shown,
            missing="{n} texts of the template are missing (first: {first}): run make update",
            extra="{n} texts are no longer in the template (first: {first}): run make update",
        )
    return problems


def _compare_keys(
    *,
    have: set[tuple[str | None, str]],
    want: set[tuple[str | None, str]],
    path: str,
    missing: str,
    extra: str,
) -> list[Problem]:
    problems = []
    for keys, text in ((want - have, missing), (have - want, extra)):
        if keys:
            first = _shown(sorted(keys, key=lambda k: (k[0] or "", k[1]))[0])
            problems.append(Problem(path, None, text.format(n=len(keys), first=first)))
    return problems


# --- Rules on the templates and the code --------------------------------------------------------


def extract_template(root: Path, domain: str) -> Catalog:
    """What `make extract` would write for `domain` now, without writing it."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]
    catalog = Catalog(domain=domain)
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        root / DOMAIN_SOURCES[domain], method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        catalog.add(message, None, context=context)
    return catalog


def check_templates(root: Path, locales_dir: Path) -> list[Problem]:
    """Each `.pot` holds exactly the texts the code and the checklist files have now."""
    problems: list[Problem] = []
    for domain in DOMAINS:
        pot = locales_dir / f"{domain}.pot"
        shown = _display(pot, root)
        if not pot.is_file():
            problems.append(Problem(shown, None, "template missing: run make extract"))
            continue
        template, read_problems = read_catalog(pot, shown)
        if template is None:
            problems += read_problems
            continue
        current = extract_template(root, domain)
        source = DOMAIN_SOURCES[domain]
        problems += _compare_keys(
            have={_key(m) for m in template if m.id},
            want={_key(m) for m in current if m.id},
            path=shown,
            missing=f"{{n}} texts in {source}/ are missing (first: {{first}}): run make extract",
            extra=f"{{n}} texts are no longer in {source}/ (first: {{first}}): run make extract",
        )
    return problems


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def gettext_calls_in_fstrings(path: Path) -> Iterator[tuple[int, str]]:
    """(line, problem) for each gettext call Babel cannot extract because of an f-string."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _call_name(inner.func) in DEFAULT_KEYWORDS:
                    yield (
                        inner.lineno,
                        f"{_call_name(inner.func)}() inside an f-string: Babel on Python 3.11"
                        " does not extract it, so it is never translated; call it outside",
                    )
        elif (
            isinstance(node, ast.Call)
            and _call_name(node.func) in DEFAULT_KEYWORDS
            and any(isinstance(arg, ast.JoinedStr) for arg in node.args)
        ):
            yield (
                node.lineno,
                f"{_call_name(node.func)}() of an f-string: the text changes with its values,"
                " so no catalog can hold it; use {placeholders} and .format()",
            )


def check_sources(root: Path) -> list[Problem]:
    problems = []
    for path in sorted((root / DOMAIN_SOURCES["messages"]).rglob("*.py")):
        for line, text in gettext_calls_in_fstrings(path):
            problems.append(Problem(_display(path, root), line, text))
    return problems


# --- Which locales, and the whole run ---------------------------------------------------------


def catalog_folders(locales_dir: Path) -> list[str]:
    """Every locale folder with catalogs (shipped or in progress), English excluded."""
    return sorted(
        p.name
        for p in locales_dir.iterdir()
        if (p / "LC_MESSAGES").is_dir() and p.name != DEFAULT_LOCALE
    )


def check_linguas(locales_dir: Path, root: Path) -> tuple[list[str], list[Problem]]:
    """The shipped locales to check (English excluded), and what is wrong with LINGUAS."""
    shown = _display(locales_dir / "LINGUAS", root)
    shipped = shipped_locales(locales_dir)
    if shipped is None:
        return [], [Problem(shown, None, "missing: list the shipped locale codes, one a line")]
    problems = []
    codes = []
    for code in shipped:
        if code not in LOCALES:
            problems.append(
                Problem(shown, None, f"unknown locale {code!r}: add it to LOCALES in bot/i18n.py")
            )
        elif code != DEFAULT_LOCALE:
            codes.append(code)
    return codes, problems


def check_locales(
    locales_dir: Path, codes: Sequence[str], *, root: Path, templates: bool = True
) -> list[Problem]:
    """The catalogs of the given locales, each against its template."""
    problems: list[Problem] = []
    loaded: dict[str, Catalog | None] = {}
    for domain in DOMAINS:
        pot = locales_dir / f"{domain}.pot"
        loaded[domain] = read_catalog(pot, str(pot))[0] if templates and pot.is_file() else None
    for code in codes:
        if code not in LOCALES:
            problems.append(
                Problem(
                    _display(locales_dir / code, root),
                    None,
                    f"{code!r} is not in LOCALES (bot/i18n.py): the bot will not offer it",
                    warning=True,
                )
            )
        for domain in DOMAINS:
            po = locales_dir / code / "LC_MESSAGES" / f"{domain}.po"
            shown = _display(po, root)
            if not po.is_file():
                problems.append(Problem(shown, None, f"missing: run make add-language LANG={code}"))
                continue
            problems += check_catalog(po, loaded[domain], code, display=shown)
    return problems


def run_checks(
    root: Path,
    locales_dir: Path,
    *,
    codes: Sequence[str] | None = None,
    every_folder: bool = False,
    catalogs_only: bool = False,
) -> list[Problem]:
    """Everything `make check-catalogs` checks; `codes` replaces the shipped locales."""
    problems: list[Problem] = []
    shipped, linguas_problems = check_linguas(locales_dir, root)
    if codes is None:
        problems += linguas_problems
        codes = catalog_folders(locales_dir) if every_folder else shipped
    if not catalogs_only:
        problems += check_sources(root)
        problems += check_templates(root, locales_dir)
    problems += check_locales(locales_dir, codes, root=root)
    return problems


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --- Starting a new language ------------------------------------------------------------------


def init_language(code: str, locales_dir: Path) -> list[Path]:
    """Create empty catalogs for `code` from the templates, with the right Plural-Forms."""
    code = code.replace("-", "_")
    if code == DEFAULT_LOCALE:
        raise ValueError("English is the source language: it needs no catalog")
    try:
        nplurals, expr = expected_plural_forms(code)
    except (UnknownLocaleError, ValueError):
        raise ValueError(
            f"Babel has no CLDR data for {code!r}: add its plural rule to PLURAL_FORMS in"
            " tools/i18n_check.py (as for Tetum), then run this again"
        ) from None
    targets = [locales_dir / code / "LC_MESSAGES" / f"{domain}.po" for domain in DOMAINS]
    for target in targets:
        if target.exists():
            shown = _display(target, Path.cwd())
            raise ValueError(f"{shown} already exists: run make update to refresh it")
    info = LOCALES.get(code)
    try:
        language = info.english_name if info else Locale.parse(code).english_name or code
    except (UnknownLocaleError, ValueError):
        language = code
    for domain, target in zip(DOMAINS, targets, strict=True):
        pot = locales_dir / f"{domain}.pot"
        with pot.open("rb") as handle:
            catalog = read_po(handle)
        catalog.locale = code  # Babel keeps an identifier it has no data for (Tetum)
        catalog.mime_headers = [("Plural-Forms", f"nplurals={nplurals}; plural={expr};")]
        catalog.header_comment = (
            f"# {language} translations of normsbot ({domain}): see docs/translations.md."
        )
        catalog.language_team = language
        catalog.fuzzy = False
        catalog.revision_date = datetime.now(UTC)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_po(handle, catalog, width=76)
    return targets


# --- Command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path.cwd()
    if args[:1] == ["init"]:
        parser = argparse.ArgumentParser(
            prog="python -m tools.i18n_check init",
            description="Start the catalogs of a new language from the templates.",
        )
        parser.add_argument("code", help="locale code as in LOCALES (bot/i18n.py), e.g. km")
        parser.add_argument("--locales", type=Path, default=root / "locales")
        options = parser.parse_args(args[1:])
        try:
            created = init_language(options.code, options.locales)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for path in created:
            print(f"created {_display(path, root)}")
        code = options.code.replace("-", "_")
        if code not in LOCALES:
            print(
                f"next: add a LocaleInfo for {code!r} to LOCALES in bot/i18n.py (native name,"
                " CLDR formatting locale, Telegram command code), or the bot will not offer it"
            )
        print(
            f"next: translate both files (Poedit, Weblate); when `make check-catalogs"
            f" LANG={code}` passes, add {code} to locales/LINGUAS to offer it to users"
        )
        return 0

    parser = argparse.ArgumentParser(
        prog="python -m tools.i18n_check",
        description="Check the translation catalogs (the shipped ones by default).",
    )
    parser.add_argument("--locales", type=Path, default=root / "locales")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--locale", action="append", dest="codes", help="check this locale (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="check every catalog folder")
    parser.add_argument(
        "--catalogs-only",
        action="store_true",
        help="skip the checks of the templates against the code",
    )
    options = parser.parse_args(args)
    codes = [c.replace("-", "_") for c in options.codes] if options.codes else None
    problems = run_checks(
        root,
        options.locales,
        codes=codes,
        every_folder=options.all,
        catalogs_only=options.catalogs_only,
    )
    for problem in problems:
        print(problem)
    errors = sum(not p.warning for p in problems)
    warnings = len(problems) - errors
    if errors:
        print(f"{errors} problems, {warnings} warnings", file=sys.stderr)
        return 1
    print(f"catalogs OK ({warnings} warnings)" if warnings else "catalogs OK", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
