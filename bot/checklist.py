"""Checklists as data: load, validate and navigate a checklist file.

A checklist file (YAML) describes one version of one instrument: the ASEAN Checklist for
Responsible State Behaviour in Cyberspace (`asean-norms`, bundled as a project paraphrase in
`checklist/asean-norms.yaml`), and the other instruments built the same way. The top-level
grouping is written `norms` in the ASEAN file and is a `Section` in the code; a file may say
`themes` or `sections` instead. Each checklist id is one instrument; its `short_name` is the
word people type (`/invite TH scams`) and its `short_title` names it on buttons. A `draft`
instrument is marked as such wherever it is shown. See `checklist/README.md` for the format.

Every problem in a file is reported with the file and the line of the offending YAML node, and
all problems are collected, not only the first: the people who edit these files (a secretariat
loading the official wording) see the whole list at once.

Versions of one checklist are ordered by `version_sort_key` (natural sort), never by file date.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Final

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "ASEAN_NORMS_ID",
    "ASEAN_NORM_IDS",
    "DEFAULT_STATUSES",
    "EXPLANATION_MAX_CHARS",
    "TEXT_MAX_CHARS",
    "TRANSLATABLE_FIELDS",
    "Checklist",
    "ChecklistError",
    "ChecklistProblem",
    "ChecklistRegistry",
    "Item",
    "Section",
    "bundled_checklist_dir",
    "check_checklist",
    "checklist_msgctxt",
    "load_checklist",
    "version_sort_key",
]

ASEAN_NORMS_ID: Final = "asean-norms"
ASEAN_NORM_IDS: Final[tuple[str, ...]] = tuple("abcdefghijk")
DEFAULT_STATUSES: Final[tuple[str, ...]] = (
    "implemented",
    "in_progress",
    "planned",
    "not_started",
    "not_applicable",
)
TEXT_MAX_CHARS: Final = 200
EXPLANATION_MAX_CHARS: Final = 400
# The fields whose values are shown to users and therefore translated.
TRANSLATABLE_FIELDS: Final = frozenset(
    {"title", "short_title", "label", "summary", "text", "explanation"}
)
# The short title names an instrument on a menu button; the short name is typed in commands.
SHORT_TITLE_MAX_CHARS: Final = 32
SHORT_NAME_MAX_CHARS: Final = 16

# Buttons carry ids in Telegram's 64 bytes of callback data: the widest one,
# "a:ed:<version>:<item id>:<evidence id>" with 11-digit numbers, leaves 35 for the item id
# (tests/test_buttons.py). An item id is its section id, a dot and a number.
ITEM_ID_MAX_CHARS: Final = 32
SECTION_ID_MAX_CHARS: Final = 30

_CHECKLIST_ID_RE: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SECTION_ID_RE: Final = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*")
_ITEM_ID_RE: Final = re.compile(r"([a-z0-9]+(?:[_-][a-z0-9]+)*)\.([1-9][0-9]*)")
_STATUS_RE: Final = re.compile(r"[a-z][a-z0-9_]*")
_VERSION_RE: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._+-]*[A-Za-z0-9])?")
_LANGUAGE_RE: Final = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
_SHORT_NAME_RE: Final = re.compile(r"[a-z][a-z0-9]*")
_SECTION_KEYS: Final = ("norms", "sections", "themes")

Loc = tuple[str | int, ...]


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class ChecklistProblem:
    """One problem in a checklist file; `line` is 1-based, None when no line applies."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ChecklistError(Exception):
    """A checklist file (or folder) is invalid; `errors` lists every problem found."""

    def __init__(self, errors: Iterable[ChecklistProblem]) -> None:
        self.errors: list[ChecklistProblem] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.errors)


@dataclass(frozen=True)
class Item:
    """One action item, e.g. `f.2`; `position` is 0-based over the whole checklist."""

    id: str
    section_id: str
    text: str
    explanation: str
    position: int


@dataclass(frozen=True)
class Section:
    """A top-level group of items: a norm (a)-(k) in the ASEAN checklist."""

    id: str
    label: str
    summary: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    """One version of one checklist, as loaded from `path`."""

    id: str
    version: str
    title: str
    source: str
    source_language: str
    statuses: tuple[str, ...]
    sections: tuple[Section, ...]
    path: str
    short_name: str = ""  # the id when empty
    short_title: str = ""  # the title when empty
    draft: bool = False
    grouping: str = "norms"  # what the file calls its sections: "norms", "themes", "sections"
    items: tuple[Item, ...] = field(init=False, repr=False, compare=False)
    _item_index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)
    _section_index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        items = tuple(item for section in self.sections for item in section.items)
        item_index: dict[str, int] = {}
        for position, item in enumerate(items):
            if item.id in item_index:
                raise ValueError(f"duplicate item id {item.id!r}")
            if item.position != position:
                raise ValueError(f"item {item.id!r} has position {item.position}, not {position}")
            item_index[item.id] = position
        section_index = {section.id: n for n, section in enumerate(self.sections)}
        if len(section_index) != len(self.sections):
            raise ValueError("duplicate section id")
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "short_name", self.short_name or self.id)
        object.__setattr__(self, "short_title", self.short_title or self.title)
        object.__setattr__(self, "_item_index", item_index)
        object.__setattr__(self, "_section_index", section_index)

    @property
    def key(self) -> tuple[str, str]:
        """`(id, version)`: what a reporting cycle stores to find this checklist again."""
        return (self.id, self.version)

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError if there is none."""
        return self.items[self.index_of(item_id)]

    def section(self, section_id: str) -> Section:
        """The section (norm) with this id; KeyError if there is none."""
        try:
            return self.sections[self._section_index[section_id]]
        except KeyError:
            raise KeyError(
                f"no section {section_id!r} in checklist {self.id} {self.version}"
            ) from None

    def index_of(self, item_id: str) -> int:
        """0-based position of the item in the whole checklist; KeyError if unknown."""
        try:
            return self._item_index[item_id]
        except KeyError:
            raise KeyError(f"no item {item_id!r} in checklist {self.id} {self.version}") from None

    def next_item_id(self, item_id: str) -> str | None:
        """The id of the item after this one, None after the last; KeyError if unknown."""
        index = self.index_of(item_id) + 1
        return self.items[index].id if index < len(self.items) else None

    def previous_item_id(self, item_id: str) -> str | None:
        """The id of the item before this one, None before the first; KeyError if unknown."""
        index = self.index_of(item_id) - 1
        return self.items[index].id if index >= 0 else None


def checklist_msgctxt(checklist_id: str, element_id: str, field: str) -> str:
    """The gettext message context of one translatable text of a checklist.

    `"<checklist id>:<element id>:<field>"`, e.g. `asean-norms:f.2:text` (an item),
    `asean-norms:f:label` (a section). The checklist's own title has an empty element id:
    `asean-norms::title`. The version is not part of the context: an unchanged text keeps its
    translation across versions, a changed text is a new msgid anyway.
    """
    if field not in TRANSLATABLE_FIELDS:
        raise ValueError(f"{field!r} is not a translatable checklist field")
    if ":" in checklist_id or ":" in element_id:
        raise ValueError("checklist and element ids cannot contain ':'")
    return f"{checklist_id}:{element_id}:{field}"


def version_sort_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key for versions of one checklist: a natural sort.

    The version is split into runs of digits and runs of letters (other characters only
    separate runs). Digit runs compare as numbers, letter runs case-insensitively, a digit run
    ranks above a letter run at the same place, and a version that is the start of another is
    older. So `2024.1 < 2024.1-p1 < 2024.1-p2 < 2024.2 < 2024.10 < 2025.1`. Beware that a
    suffix always makes a version newer (`2024.1-rc1` sorts after `2024.1`).
    """
    runs = re.findall(r"[0-9]+|[A-Za-z]+", version)
    return tuple((1, int(run), "") if run.isdigit() else (0, 0, run.lower()) for run in runs)


def load_checklist(path: str | Path) -> Checklist:
    """Load and validate one checklist file; ChecklistError lists every problem."""
    checklist, problems = _load_file(Path(path))[:2]
    if checklist is None:
        raise ChecklistError(problems)
    return checklist


def check_checklist(path: str | Path) -> list[ChecklistProblem]:
    """Every problem of one checklist file, in line order; [] when it is valid."""
    return _load_file(Path(path))[1]


class ChecklistRegistry:
    """All checklists of a folder, by `(id, version)`."""

    DEFAULT_ID: ClassVar[str] = ASEAN_NORMS_ID

    def __init__(self, checklists: Iterable[Checklist] = ()) -> None:
        self._checklists: dict[tuple[str, str], Checklist] = {}
        for checklist in checklists:
            if checklist.key in self._checklists:
                raise ValueError(f"checklist {checklist.id} {checklist.version} given twice")
            self._checklists[checklist.key] = checklist

    @classmethod
    def from_dir(cls, path: str | Path) -> ChecklistRegistry:
        """Load every `*.yaml` / `*.yml` file of the folder (not its subfolders).

        Raises ChecklistError listing the problems of all files, including two files that
        define the same id and version.
        """
        directory = Path(path)
        if not directory.is_dir():
            raise ChecklistError([ChecklistProblem(str(directory), None, "not a folder")])
        files = sorted(
            entry
            for entry in directory.iterdir()
            if entry.suffix in (".yaml", ".yml") and entry.is_file()
        )
        problems: list[ChecklistProblem] = []
        checklists: dict[tuple[str, str], Checklist] = {}
        short_names: dict[str, str] = {}
        for file in files:
            checklist, file_problems, source = _load_file(file)
            problems.extend(file_problems)
            if checklist is None:
                continue
            if checklist.key in checklists:
                first = checklists[checklist.key]
                problems.append(
                    ChecklistProblem(
                        str(file),
                        source.lines.get(("version",)),
                        f"checklist {checklist.id!r} version {checklist.version!r} is already"
                        f" defined in {first.path}; give this file another version",
                    )
                )
                continue
            owner = short_names.setdefault(checklist.short_name, checklist.id)
            if owner != checklist.id:
                problems.append(
                    ChecklistProblem(
                        str(file),
                        source.lines.get(("short_name",)),
                        f"short_name {checklist.short_name!r} is already used by {owner!r};"
                        " each instrument needs its own",
                    )
                )
                continue
            checklists[checklist.key] = checklist
        if problems:
            raise ChecklistError(problems)
        return cls(checklists.values())

    @classmethod
    def bundled(cls) -> ChecklistRegistry:
        """The checklists shipped with the bot (`bundled_checklist_dir()`)."""
        return cls.from_dir(bundled_checklist_dir())

    def get(self, checklist_id: str, version: str) -> Checklist:
        """The checklist with this id and version; KeyError if it is not loaded."""
        try:
            return self._checklists[(checklist_id, version)]
        except KeyError:
            raise KeyError(f"no checklist {checklist_id!r} version {version!r}") from None

    def versions(self, checklist_id: str) -> tuple[str, ...]:
        """The loaded versions of one checklist, oldest first (see `version_sort_key`)."""
        found = [version for (cid, version) in self._checklists if cid == checklist_id]
        return tuple(sorted(found, key=lambda version: (version_sort_key(version), version)))

    def latest(self, checklist_id: str) -> Checklist:
        """The highest version of a checklist by `version_sort_key`; KeyError if none.

        File dates play no part: copying or touching a file never changes which version
        new cycles use.
        """
        versions = self.versions(checklist_id)
        if not versions:
            raise KeyError(f"no checklist {checklist_id!r}")
        return self._checklists[(checklist_id, versions[-1])]

    def default(self) -> Checklist:
        """The latest version of the ASEAN norms checklist (`asean-norms`)."""
        return self.latest(self.DEFAULT_ID)

    def instruments(self) -> tuple[Checklist, ...]:
        """The latest version of every instrument: the default first, then by id."""
        ids = sorted({cid for cid, _ in self._checklists}, key=lambda c: (c != self.DEFAULT_ID, c))
        return tuple(self.latest(cid) for cid in ids)

    def by_short_name(self, short_name: str) -> Checklist:
        """The latest version of the instrument people call `short_name`; KeyError if none."""
        for checklist in self.instruments():
            if checklist.short_name == short_name:
                return checklist
        raise KeyError(f"no instrument called {short_name!r}")

    def __iter__(self) -> Iterator[Checklist]:
        """Every checklist, by id and then oldest version first."""
        return iter(
            sorted(
                self._checklists.values(),
                key=lambda c: (c.id, version_sort_key(c.version), c.version),
            )
        )

    def __len__(self) -> int:
        return len(self._checklists)

    def __contains__(self, key: object) -> bool:
        return key in self._checklists


def bundled_checklist_dir() -> Path:
    """The folder of the bundled checklists.

    `bot/_bundled/checklist` next to this module when the bot runs from a wheel, else the
    repository's `checklist/` folder.
    """
    package_dir = Path(__file__).resolve().parent
    wheel_dir = package_dir / "_bundled" / "checklist"
    if wheel_dir.is_dir():
        return wheel_dir
    return package_dir.parent / "checklist"


# --------------------------------------------------------------------------- YAML with lines


@dataclass
class _Source:
    """A parsed file: plain data plus the 1-based line of every node, by location."""

    path: str
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)  # line of each value
    key_lines: dict[Loc, int] = field(default_factory=dict)  # line of each mapping key
    problems: list[ChecklistProblem] = field(default_factory=list)
    section_key: str = "norms"  # how the file names its sections

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(ChecklistProblem(self.path, line, message))

    def line_of(self, loc: Loc) -> int | None:
        """The line of the node at `loc`, or of its nearest ancestor that exists."""
        while True:
            if loc in self.lines:
                return self.lines[loc]
            if not loc:
                return None
            loc = loc[:-1]


class _Constructor(SafeConstructor):
    pass


# LibYAML's parser when PyYAML was built with it (the wheels are): 70× faster on the norms
# checklist (45 ms → 0.6 ms), which every start and every `normsbot checklist check` parses.
# A file it refuses is parsed again by the pure-Python one, whose messages are the clearer.
_FAST_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader)


def _parse(text: str, path: str) -> _Source:
    source = _Source(path)
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        context, start = exc.context, exc.context_mark
        if context and start and exc.problem_mark and start.line != exc.problem_mark.line:
            what += f" ({context} that starts on line {start.line + 1})"
        source.problem(line, f"YAML syntax error: {what}")
        return source
    except yaml.YAMLError as exc:
        source.problem(None, f"YAML syntax error: {exc}")
        return source
    if root is None:
        source.problem(1, "the file is empty")
        return source
    source.data = _Builder(source).build(root, ())
    if isinstance(source.data, dict):
        _rename_sections(source)
    return source


class _Builder:
    """Turns composed YAML nodes into plain data, recording the line of every node."""

    def __init__(self, source: _Source) -> None:
        self.source = source
        self.constructor = _Constructor()
        self.stack: set[int] = set()

    def build(self, node: Node, loc: Loc) -> Any:
        self.source.lines[loc] = node.start_mark.line + 1
        if id(node) in self.stack:
            self.source.problem(node.start_mark.line + 1, "a YAML alias refers to itself")
            return None
        if isinstance(node, ScalarNode):
            try:
                return self.constructor.construct_object(node, deep=True)
            except ConstructorError as exc:
                self.source.problem(node.start_mark.line + 1, f"invalid value: {exc.problem}")
                return None
        self.stack.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child, (*loc, n)) for n, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
            return None
        finally:
            self.stack.discard(id(node))

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        try:
            self.constructor.flatten_mapping(node)  # resolves `<<` merge keys
        except ConstructorError as exc:
            self.source.problem(node.start_mark.line + 1, f"invalid merge: {exc.problem}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = (
                self.constructor.construct_object(key_node)
                if isinstance(key_node, ScalarNode)
                else None
            )
            if not isinstance(key, str):
                self.source.problem(key_line, f"a key must be a name, not {_describe(key)}")
                continue
            if key in result:
                first = self.source.key_lines[(*loc, key)]
                self.source.problem(key_line, f"duplicate key {key!r} (first on line {first})")
                continue
            self.source.key_lines[(*loc, key)] = key_line
            result[key] = self.build(value_node, (*loc, key))
        return result


def _rename_sections(source: _Source) -> None:
    """Accept `norms`, `themes` or `sections`; the data and line maps then say `sections`."""
    data: dict[str, Any] = source.data
    present = [key for key in data if key in _SECTION_KEYS]  # in the file's order
    if not present:
        return
    source.section_key = present[0]
    for extra in present[1:]:
        source.problem(
            source.key_lines[(extra,)], "write only one of 'norms', 'sections' or 'themes'"
        )
        del data[extra]
        for mapping in (source.lines, source.key_lines):
            for loc in [loc for loc in mapping if loc and loc[0] == extra]:
                del mapping[loc]
    if source.section_key != "sections":
        key = source.section_key
        data["sections"] = data.pop(key)
        for mapping in (source.lines, source.key_lines):
            for loc in [loc for loc in mapping if loc and loc[0] == key]:
                mapping[("sections", *loc[1:])] = mapping.pop(loc)


# --------------------------------------------------------------------------- validation


class _ItemModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    text: str
    explanation: str


class _SectionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    label: str
    summary: str
    items: list[_ItemModel]


class _ChecklistModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    version: str
    title: str
    source: str
    source_language: str
    statuses: list[str] = list(DEFAULT_STATUSES)
    short_name: str | None = None
    short_title: str | None = None
    draft: bool = False
    sections: list[_SectionModel]


def _describe(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads unquoted yes, no, on and off as true/false)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, datetime | date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Validator:
    def __init__(self, source: _Source) -> None:
        self.source = source
        self.data: dict[str, Any] = source.data
        self.word = {"norms": "norm", "themes": "theme"}.get(source.section_key, "section")

    # ---- naming things in messages

    def where(self, loc: Loc) -> tuple[str, Loc]:
        """'norm c, item c.2'-style name of the element at `loc`, and the rest of `loc`."""
        if len(loc) < 2 or loc[0] != "sections" or not isinstance(loc[1], int):
            return "", loc
        section = _index(self.data.get("sections"), loc[1])
        section_id = _text_field(section, "id")
        name = f"{self.word} {section_id}" if section_id else f"{self.word} #{loc[1] + 1}"
        rest = loc[2:]
        if len(rest) >= 2 and rest[0] == "items" and isinstance(rest[1], int):
            item_id = _text_field(_index(_get(section, "items"), rest[1]), "id")
            name = f"item {item_id}" if item_id else f"{name}, item #{rest[1] + 1}"
            rest = rest[2:]
        return name, rest

    def field_name(self, rest: Loc) -> str:
        if rest and isinstance(rest[-1], int):
            return f"entry #{rest[-1] + 1} of {self.field_name(rest[:-1])}"
        names = [self.source.section_key if part == "sections" else str(part) for part in rest]
        return repr(".".join(names)) if names else ""

    def report(
        self, loc: Loc, message: str, *, line: int | None = None, prefix: bool = True
    ) -> None:
        name, _ = self.where(loc)
        text = f"{name}: {message}" if name and prefix else message
        self.source.problem(self.source.line_of(loc) if line is None else line, text)

    # ---- structure (pydantic)

    def structure(self) -> _ChecklistModel | None:
        try:
            return _ChecklistModel.model_validate(self.data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                self.structure_error(loc, error["type"], error.get("input"), error["msg"])
            return None

    def structure_error(self, loc: Loc, kind: str, value: object, fallback: str) -> None:
        _, rest = self.where(loc)
        name = self.field_name(rest)
        subject = name or "it"
        if kind == "missing":
            if loc == ("sections",):
                message = "'norms' is required: the list of norms and their items"
            else:
                message = f"{name} is required"
            self.report(loc[:-1], message)
        elif kind == "extra_forbidden":
            message = f"unknown key {name}"
            guess = difflib.get_close_matches(str(loc[-1]), self.allowed_keys(loc), n=1)
            if guess:
                message += f" (did you mean {guess[0]!r}?)"
            self.report(loc, message, line=self.source.key_lines.get(loc))
        elif value is None and loc[-1] == "items":
            pass  # reported by the content checks: "has no items"
        elif value is None:
            self.report(loc, f"{subject} has no value")
        elif kind == "string_type":
            hint = "; put it in quotes" if isinstance(value, int | float | date) else ""
            self.report(loc, f"{subject} must be text, not {_describe(value)}{hint}")
        elif kind == "bool_type":
            self.report(loc, f"{subject} must be true or false, not {_describe(value)}")
        elif kind == "list_type":
            self.report(loc, f"{subject} must be a list, not {_describe(value)}")
        elif kind in ("model_type", "dict_type"):
            keys = ", ".join(self.allowed_keys((*loc, "")))
            self.report(
                loc, f"{subject} must be a mapping with the keys {keys}, not {_describe(value)}"
            )
        else:
            self.report(loc, f"{subject}: {fallback}")

    def allowed_keys(self, loc: Loc) -> list[str]:
        depth = len(loc)
        if depth >= 5:
            return list(_ItemModel.model_fields)
        if depth >= 3:
            return list(_SectionModel.model_fields)
        return [
            self.source.section_key if key == "sections" else key
            for key in _ChecklistModel.model_fields
        ]

    # ---- content

    def content(self) -> None:
        data = self.data
        self.pattern(("id",), _CHECKLIST_ID_RE, "lowercase letters, digits and '-'")
        self.pattern(("version",), _VERSION_RE, "letters, digits, '.', '-', '+' and '_'")
        self.not_empty(("title",))
        self.not_empty(("source",))
        self.pattern(("source_language",), _LANGUAGE_RE, "a language code such as 'en'")
        self.statuses(data.get("statuses"))
        self.pattern(("short_name",), _SHORT_NAME_RE, "lowercase letters and digits, like 'scams'")
        self.limit(("short_name",), SHORT_NAME_MAX_CHARS)
        self.limit(("short_title",), SHORT_TITLE_MAX_CHARS)
        sections = data.get("sections")
        if not isinstance(sections, list):
            return
        if not sections:
            self.report(("sections",), f"there are no {self.word}s")
        section_lines: dict[str, int] = {}
        item_lines: dict[str, int] = {}
        for n, section in enumerate(sections):
            if isinstance(section, dict):
                self.section(("sections", n), section, section_lines, item_lines)
        if data.get("id") == ASEAN_NORMS_ID:
            self.asean_norms(sections)

    def not_empty(self, loc: Loc) -> str | None:
        value = _get_path(self.data, loc)
        if not isinstance(value, str):
            return None
        if not value.strip():
            _, rest = self.where(loc)
            self.report(loc, f"{self.field_name(rest)} is empty")
            return None
        return value

    def pattern(self, loc: Loc, regex: re.Pattern[str], allowed: str) -> None:
        value = self.not_empty(loc)
        if value is not None and not regex.fullmatch(value):
            self.report(loc, f"{loc[-1]} {value!r} is not valid: use {allowed}")

    def limit(self, loc: Loc, maximum: int) -> None:
        value = self.not_empty(loc)
        if value is not None and len(value.strip()) > maximum:
            _, rest = self.where(loc)
            self.report(
                loc,
                f"{self.field_name(rest)} has {len(value.strip())} characters;"
                f" the limit is {maximum}",
            )

    def statuses(self, statuses: object) -> None:
        if not isinstance(statuses, list):
            return
        if not statuses:
            self.report(("statuses",), "'statuses' is empty: list the possible answers")
        seen: set[str] = set()
        for n, status in enumerate(statuses):
            if not isinstance(status, str):
                continue
            if not _STATUS_RE.fullmatch(status):
                self.report(
                    ("statuses", n),
                    f"unknown status {status!r}: a status is a lowercase name of letters,"
                    " digits and '_', such as 'in_progress'",
                )
            elif status in seen:
                self.report(("statuses", n), f"status {status!r} is listed twice")
            seen.add(status)

    def section(
        self,
        loc: Loc,
        section: dict[str, Any],
        section_lines: dict[str, int],
        item_lines: dict[str, int],
    ) -> None:
        section_id = section.get("id")
        if isinstance(section_id, str) and section_id:
            line = self.source.line_of((*loc, "id"))
            if section_id in section_lines:
                self.report(
                    (*loc, "id"),
                    f"duplicate {self.word} id {section_id!r}"
                    f" (first on line {section_lines[section_id]})",
                    prefix=False,
                )
            elif not _SECTION_ID_RE.fullmatch(section_id):
                self.report(
                    (*loc, "id"),
                    f"{self.word} id {section_id!r} is not valid:"
                    " use lowercase letters and digits, such as 'a'",
                    prefix=False,
                )
            elif len(section_id) > SECTION_ID_MAX_CHARS:
                self.report(
                    (*loc, "id"),
                    f"{self.word} id {section_id!r} is longer than {SECTION_ID_MAX_CHARS}"
                    " characters: buttons carry it, and Telegram allows them 64 bytes",
                    prefix=False,
                )
            else:
                section_lines[section_id] = line or 0
        self.not_empty((*loc, "id"))
        self.not_empty((*loc, "label"))
        self.not_empty((*loc, "summary"))
        items = section.get("items")
        if "items" in section and (items is None or items == []):
            name, _ = self.where(loc)
            self.report((*loc, "items"), f"{name} has no items: add at least one", prefix=False)
        if not isinstance(items, list):
            return
        for n, item in enumerate(items):
            if isinstance(item, dict):
                self.item((*loc, "items", n), item, section_id, item_lines)

    def item(
        self, loc: Loc, item: dict[str, Any], section_id: object, item_lines: dict[str, int]
    ) -> None:
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id.strip():
            id_loc = (*loc, "id")
            match = _ITEM_ID_RE.fullmatch(item_id)
            if item_id in item_lines:
                self.report(
                    id_loc,
                    f"duplicate item id {item_id!r} (first on line {item_lines[item_id]})",
                    prefix=False,
                )
            else:
                item_lines[item_id] = self.source.line_of(id_loc) or 0
            if match is None:
                example = f"{section_id}.1" if isinstance(section_id, str) else "a.1"
                self.report(
                    id_loc,
                    f"item id {item_id!r} is not valid: write '<{self.word} id>.<number>',"
                    f" such as {example!r}",
                    prefix=False,
                )
            elif len(item_id) > ITEM_ID_MAX_CHARS:
                self.report(
                    id_loc,
                    f"item id {item_id!r} is longer than {ITEM_ID_MAX_CHARS} characters:"
                    " buttons carry it, and Telegram allows them 64 bytes",
                    prefix=False,
                )
            elif isinstance(section_id, str) and match.group(1) != section_id:
                self.report(
                    id_loc,
                    f"item id {item_id!r} does not start with its {self.word} id"
                    f" {section_id!r}: write {section_id + '.' + match.group(2)!r}"
                    f" or move the item",
                    prefix=False,
                )
        self.not_empty((*loc, "id"))
        self.limit((*loc, "text"), TEXT_MAX_CHARS)
        self.limit((*loc, "explanation"), EXPLANATION_MAX_CHARS)

    def asean_norms(self, sections: list[Any]) -> None:
        found = [_text_field(section, "id") for section in sections]
        line = self.source.key_lines.get(("sections",))
        missing = [norm for norm in ASEAN_NORM_IDS if norm not in found]
        if missing:
            self.report(
                ("sections",),
                f"missing {'norm' if len(missing) == 1 else 'norms'} {', '.join(missing)}:"
                " the ASEAN checklist has the 11 norms a to k",
                line=line,
            )
        for n, norm in enumerate(found):
            if norm and norm not in ASEAN_NORM_IDS:
                self.report(
                    ("sections", n, "id"),
                    f"unknown norm {norm!r}: the ASEAN checklist has the 11 norms a to k",
                    prefix=False,
                )
        known = list(dict.fromkeys(norm for norm in found if norm in ASEAN_NORM_IDS))
        if known != sorted(known):
            self.report(
                ("sections",),
                f"the norms must come in order a to k, not {', '.join(known)}",
                line=line,
            )


def _index(value: object, n: int) -> object:
    return value[n] if isinstance(value, list) and 0 <= n < len(value) else None


def _get(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None


def _get_path(value: object, loc: Loc) -> object:
    for part in loc:
        value = _index(value, part) if isinstance(part, int) else _get(value, part)
    return value


def _text_field(value: object, key: str) -> str | None:
    found = _get(value, key)
    return found if isinstance(found, str) and found.strip() else None


def _build(model: _ChecklistModel, path: str, grouping: str) -> Checklist:
    sections: list[Section] = []
    position = 0
    for section in model.sections:
        items: list[Item] = []
        for item in section.items:
            items.append(
                Item(
                    id=item.id,
                    section_id=section.id,
                    text=item.text.strip(),
                    explanation=item.explanation.strip(),
                    position=position,
                )
            )
            position += 1
        sections.append(
            Section(
                id=section.id,
                label=section.label.strip(),
                summary=section.summary.strip(),
                items=tuple(items),
            )
        )
    return Checklist(
        id=model.id,
        version=model.version,
        title=model.title.strip(),
        source=model.source.strip(),
        source_language=model.source_language,
        statuses=tuple(model.statuses),
        sections=tuple(sections),
        path=path,
        short_name=model.short_name or "",
        short_title=(model.short_title or "").strip(),
        draft=model.draft,
        grouping=grouping,
    )


def _load_source(text: str, path: str) -> tuple[Checklist | None, _Source]:
    """Parse and validate a checklist's text: the checklist (None if invalid) and the source,
    whose `problems` are sorted by line and whose `lines` locate every value."""
    source = _parse(text, path)
    model: _ChecklistModel | None = None
    if source.data is not None and not isinstance(source.data, dict):
        source.problem(
            source.line_of(()),
            f"a checklist file is a mapping of keys, not {_describe(source.data)}",
        )
    elif isinstance(source.data, dict):
        validator = _Validator(source)
        model = validator.structure()
        validator.content()
    source.problems.sort(key=lambda problem: problem.line or 0)
    if source.problems or model is None:
        return None, source
    return _build(model, path, source.section_key), source


def _load_file(path: Path) -> tuple[Checklist | None, list[ChecklistProblem], _Source]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        source = _Source(str(path))
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        source.problem(None, f"cannot read the file: {reason}")
        return None, source.problems, source
    checklist, source = _load_source(text, str(path))
    return checklist, source.problems, source
