"""The checklist file format: bundled data, loader, validator, registry and Babel extractor."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

import bot.checklist as checklist_module
from bot.checklist import (
    ASEAN_NORM_IDS,
    DEFAULT_STATUSES,
    Checklist,
    ChecklistError,
    ChecklistProblem,
    ChecklistRegistry,
    Item,
    Section,
    bundled_checklist_dir,
    check_checklist,
    checklist_msgctxt,
    load_checklist,
    version_sort_key,
)
from bot.checklist_extract import extract_checklist

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "checklists"
BUNDLED = REPO / "checklist" / "asean-norms.yaml"

# A valid file; the problem tests change single lines of it, so line numbers stay put.
BASE = """\
id: demo
version: "1.0"
title: "Demo checklist"
source: "Test fixture"
source_language: en
sections:
  - id: a
    label: "First"
    summary: "First section."
    items:
      - id: a.1
        text: "Do the first thing."
        explanation: "Evidence is a document."
      - id: a.2
        text: "Do the second thing."
        explanation: "Evidence is a link."
  - id: b
    label: "Second"
    summary: "Second section."
    items:
      - id: b.1
        text: "Do another thing."
        explanation: "Evidence is a report."
"""


def variant(changes: dict[int, str | None], extra: str = "") -> str:
    """BASE with 1-based lines replaced (None deletes the line), plus `extra` at the end."""
    lines: list[str | None] = list(BASE.splitlines())
    for number, new in changes.items():
        lines[number - 1] = new
    return "\n".join(line for line in lines if line is not None) + "\n" + extra


def problems_of(tmp_path: Path, text: str, name: str = "demo.yaml") -> list[tuple[int | None, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = check_checklist(path)
    assert all(problem.path == str(path) for problem in problems)
    return [(problem.line, problem.message) for problem in problems]


def assert_problems(
    found: list[tuple[int | None, str]], expected: list[tuple[int | None, str]]
) -> None:
    """Each expected (line, regex) matches one found problem, in order, and nothing else."""
    assert len(found) == len(expected), found
    for (line, message), (want_line, pattern) in zip(found, expected, strict=True):
        assert line == want_line, (line, message)
        assert re.search(pattern, message), (pattern, message)


# --------------------------------------------------------------------------- bundled file


@pytest.fixture(scope="module")
def bundled() -> Checklist:
    return load_checklist(BUNDLED)


def test_bundled_file_is_valid() -> None:
    assert check_checklist(BUNDLED) == []


def test_bundled_file_has_norms_a_to_k(bundled: Checklist) -> None:
    assert bundled.key == ("asean-norms", "2024.1-p1")
    assert bundled.title == "Checklist for Responsible State Behaviour in Cyberspace"
    assert bundled.source_language == "en"
    assert bundled.statuses == DEFAULT_STATUSES
    assert bundled.path == str(BUNDLED)
    assert tuple(section.id for section in bundled.sections) == ASEAN_NORM_IDS
    assert [len(section.items) for section in bundled.sections] == [4, 4, 4, 5, 4, 4, 5, 4, 5, 5, 4]
    assert len(bundled.items) == 48
    assert bundled.section("a").label == "Cooperate for stability"
    assert bundled.section("k").label == "Do not harm CERTs"


def test_bundled_items_are_numbered_in_order(bundled: Checklist) -> None:
    ids = [item.id for item in bundled.items]
    assert len(set(ids)) == len(ids)
    assert [item.position for item in bundled.items] == list(range(len(ids)))
    for section in bundled.sections:
        assert 3 <= len(section.items) <= 6
        assert [item.id for item in section.items] == [
            f"{section.id}.{n}" for n in range(1, len(section.items) + 1)
        ]
        assert all(item.section_id == section.id for item in section.items)
        assert section.summary.endswith(".")
    for item in bundled.items:
        assert 0 < len(item.text) <= 200
        assert 0 < len(item.explanation) <= 400
        assert "\n" not in item.text
        assert item.text == item.text.strip()


def test_bundled_dir_is_the_repository_folder() -> None:
    assert bundled_checklist_dir() == REPO / "checklist"


def test_bundled_dir_prefers_the_wheel_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bot" / "_bundled" / "checklist").mkdir(parents=True)
    monkeypatch.setattr(checklist_module, "__file__", str(tmp_path / "bot" / "checklist.py"))
    assert bundled_checklist_dir() == tmp_path / "bot" / "_bundled" / "checklist"


# --------------------------------------------------------------------------- navigation


def test_navigation(bundled: Checklist) -> None:
    assert bundled.index_of("a.1") == 0
    assert bundled.index_of("b.1") == 4
    assert bundled.index_of("k.4") == 47
    assert bundled.next_item_id("a.1") == "a.2"
    assert bundled.next_item_id("a.4") == "b.1"
    assert bundled.next_item_id("k.4") is None
    assert bundled.previous_item_id("b.1") == "a.4"
    assert bundled.previous_item_id("a.1") is None
    item = bundled.item("f.2")
    assert (item.id, item.section_id, item.position) == ("f.2", "f", bundled.index_of("f.2"))
    assert bundled.items[item.position] is item


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.item("z.1"),
        lambda c: c.index_of("a.9"),
        lambda c: c.next_item_id("nope"),
        lambda c: c.previous_item_id("f.9"),
        lambda c: c.section("l"),
    ],
)
def test_unknown_ids_raise_key_error(
    bundled: Checklist, call: Callable[[Checklist], object]
) -> None:
    with pytest.raises(KeyError):
        call(bundled)


def test_checklist_rejects_inconsistent_positions() -> None:
    section = Section("a", "A", "A.", (Item("a.1", "a", "t", "e", position=1),))
    with pytest.raises(ValueError, match="position"):
        Checklist("x", "1", "X", "s", "en", DEFAULT_STATUSES, (section,), "x.yaml")


# --------------------------------------------------------------------------- problems


def test_base_fixture_is_valid(tmp_path: Path) -> None:
    assert problems_of(tmp_path, BASE) == []
    path = tmp_path / "demo.yaml"
    demo = load_checklist(path)
    assert [item.id for item in demo.items] == ["a.1", "a.2", "b.1"]
    assert demo.statuses == DEFAULT_STATUSES  # the default scale when the file has none


@pytest.mark.parametrize(
    ("changes", "extra", "expected"),
    [
        pytest.param(
            {15: '       text: "one space too few"'},
            "",
            [(15, r"^YAML syntax error: .*starts on line 11")],
            id="yaml-syntax",
        ),
        pytest.param({8: None}, "", [(7, r"^section a: 'label' is required$")], id="missing"),
        pytest.param(
            {22: None}, "", [(21, r"^item b\.1: 'text' is required$")], id="missing-in-item"
        ),
        pytest.param(
            {3: "title: 42"},
            "",
            [(3, r"'title' must be text, not the number 42")],
            id="wrong-type-number",
        ),
        pytest.param(
            {2: "version: 1.0"}, "", [(2, r"'version' must be text.*quotes")], id="unquoted-version"
        ),
        pytest.param(
            {9: "    summary: yes"},
            "",
            [(9, r"^section a: 'summary' must be text, not true")],
            id="wrong-type-yes",
        ),
        pytest.param(
            {10: "    items: {a: 1}", **dict.fromkeys(range(11, 17))},
            "",
            [(10, r"^section a: 'items' must be a list, not a mapping")],
            id="wrong-type-list",
        ),
        pytest.param(
            {11: "      - just a sentence", 12: None, 13: None},
            "",
            [
                (
                    11,
                    r"^section a, item #1: it must be a mapping"
                    r" with the keys id, text, explanation, not text$",
                )
            ],
            id="wrong-type-mapping",
        ),
        pytest.param(
            {12: '        text: ""'}, "", [(12, r"^item a\.1: 'text' is empty$")], id="empty-text"
        ),
        pytest.param({12: '        text: "   "'}, "", [(12, r"'text' is empty")], id="blank-text"),
        pytest.param(
            {12: "        text:"}, "", [(12, r"^item a\.1: 'text' has no value$")], id="null-text"
        ),
        pytest.param(
            {18: '    label: ""'}, "", [(18, r"^section b: 'label' is empty$")], id="empty-label"
        ),
        pytest.param(
            {14: "      - id: a.1"},
            "",
            [(14, r"^duplicate item id 'a\.1' \(first on line 11\)$")],
            id="duplicate-item",
        ),
        pytest.param(
            {17: "  - id: a", 21: "      - id: a.3"},
            "",
            [(17, r"^duplicate section id 'a' \(first on line 7\)$")],
            id="duplicate-section",
        ),
        pytest.param(
            {11: "      - id: a1"},
            "",
            [(11, r"^item id 'a1' is not valid: write '<section id>\.<number>', such as 'a\.1'$")],
            id="item-id-form",
        ),
        pytest.param(
            {11: "      - id: a.01"},
            "",
            [(11, r"item id 'a\.01' is not valid")],
            id="item-id-leading-zero",
        ),
        pytest.param(
            {11: "      - id: a.0"}, "", [(11, r"item id 'a\.0' is not valid")], id="item-id-zero"
        ),
        pytest.param(
            {17: "  - id: " + "b" * 30, 21: "      - id: " + "b" * 30 + ".12"},
            "",
            [(21, r"^item id 'b{30}\.12' is longer than 32 characters")],
            id="item-id-too-long-for-a-button",
        ),
        pytest.param(
            {17: "  - id: " + "b" * 31, 21: "      - id: " + "b" * 31 + ".1"},
            "",
            [
                (17, r"^section id 'b{31}' is longer than 30 characters"),
                (21, r"^item id 'b{31}\.1' is longer than 32 characters"),
            ],
            id="section-id-too-long-for-a-button",
        ),
        pytest.param(
            {21: "      - id: a.3"},
            "",
            [(21, r"^item id 'a\.3' does not start with its section id 'b': write 'b\.3'")],
            id="item-id-prefix",
        ),
        pytest.param(
            {},
            "statuses: [implemented, In-Progress, done, done]\n",
            [
                (24, r"^unknown status 'In-Progress': a status is a lowercase name"),
                (24, r"^status 'done' is listed twice$"),
            ],
            id="statuses",
        ),
        pytest.param(
            {},
            "statuses: [done, no]\n",
            [(24, r"^entry #2 of 'statuses' must be text, not false")],
            id="status-no-is-a-boolean",
        ),
        pytest.param({}, "statuses: []\n", [(24, r"'statuses' is empty")], id="no-statuses"),
        pytest.param(
            {12: '        text: "' + "x" * 201 + '"'},
            "",
            [(12, r"^item a\.1: 'text' has 201 characters; the limit is 200$")],
            id="text-too-long",
        ),
        pytest.param(
            {16: '        explanation: "' + "y" * 401 + '"'},
            "",
            [(16, r"^item a\.2: 'explanation' has 401 characters; the limit is 400$")],
            id="explanation-too-long",
        ),
        pytest.param(
            {20: "    items: []", 21: None, 22: None, 23: None},
            "",
            [(20, r"^section b has no items")],
            id="no-items",
        ),
        pytest.param(
            {20: "    items:", 21: None, 22: None, 23: None},
            "",
            [(20, r"^section b has no items")],
            id="null-items",
        ),
        pytest.param(
            {13: '        explenation: "typo"'},
            "",
            [
                (11, r"^item a\.1: 'explanation' is required$"),
                (13, r"^item a\.1: unknown key 'explenation' \(did you mean 'explanation'\?\)$"),
            ],
            id="unknown-item-key",
        ),
        pytest.param(
            {3: 'titel: "Demo"'},
            "",
            [(1, r"^'title' is required$"), (3, r"unknown key 'titel' \(did you mean 'title'\?\)")],
            id="unknown-top-key",
        ),
        pytest.param(
            {},
            "colour: red\n",
            [(24, r"^unknown key 'colour'$")],
            id="unknown-key-without-guess",
        ),
        pytest.param(
            {13: '        text: "again"'},
            "",
            [
                (11, r"'explanation' is required"),
                (13, r"^duplicate key 'text' \(first on line 12\)$"),
            ],
            id="duplicate-yaml-key",
        ),
        pytest.param(
            {1: "id: Demo_1", 5: "source_language: English"},
            "",
            [(1, r"^id 'Demo_1' is not valid"), (5, r"^source_language 'English' is not valid")],
            id="bad-ids",
        ),
        pytest.param(
            {6: "sections: []", **dict.fromkeys(range(7, 24))},
            "",
            [(6, r"^there are no sections$")],
            id="no-sections",
        ),
        pytest.param(
            dict.fromkeys(range(6, 24)),
            "",
            [(1, r"^'norms' is required")],
            id="no-norms-key",
        ),
        pytest.param(
            {},
            "norms: []\n",
            [(24, r"^write only one of 'norms', 'sections' or 'themes'$")],
            id="norms-and-sections",
        ),
    ],
)
def test_problem_is_reported_on_its_line(
    tmp_path: Path,
    changes: dict[int, str | None],
    extra: str,
    expected: list[tuple[int | None, str]],
) -> None:
    assert_problems(problems_of(tmp_path, variant(changes, extra)), expected)


def test_norms_key_is_accepted_and_named_in_messages(tmp_path: Path) -> None:
    text = variant({6: "norms:", 8: None})
    assert_problems(problems_of(tmp_path, text), [(7, r"^norm a: 'label' is required$")])
    (tmp_path / "ok.yaml").write_text(variant({6: "norms:"}), encoding="utf-8")
    assert [s.id for s in load_checklist(tmp_path / "ok.yaml").sections] == ["a", "b"]


def test_asean_checklist_needs_exactly_norms_a_to_k(tmp_path: Path) -> None:
    text = variant({1: "id: asean-norms", 6: "norms:", 17: "  - id: z", 21: "      - id: z.1"})
    assert_problems(
        problems_of(tmp_path, text),
        [
            (6, r"^missing norms b, c, d, e, f, g, h, i, j, k: the ASEAN checklist has"),
            (17, r"^unknown norm 'z'"),
        ],
    )


def test_asean_norms_must_be_in_order(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    a_start = text.index("\n  - id: a\n")
    b_start = text.index("\n  - id: b\n")
    swapped = text[:a_start] + text[b_start:].rstrip("\n") + "\n" + text[a_start:b_start] + "\n"
    problems = problems_of(tmp_path, swapped)
    assert problems == [
        (20, "the norms must come in order a to k, not b, c, d, e, f, g, h, i, j, k, a")
    ]


def test_bundled_file_with_one_norm_removed(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    start, end = text.index("\n  - id: e\n"), text.index("\n  - id: f\n")
    problems = problems_of(tmp_path, text[:start] + text[end:])
    assert problems == [
        (20, "missing norm e: the ASEAN checklist has the 11 norms a to k"),
    ]


def test_all_problems_of_a_file_are_collected() -> None:
    path = DATA / "bad" / "many-problems.yaml"
    problems = check_checklist(path)
    assert [problem.line for problem in problems] == [3, 12, 13, 14, 15, 18, 21]
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path)
    assert caught.value.errors == problems
    lines = str(caught.value).splitlines()
    assert len(lines) == 7
    assert lines[0] == f"{path}:3: 'version' must be text, not the number 2024.1; put it in quotes"
    assert (
        lines[3] == f"{path}:14: item a.1: unknown key 'explenation' (did you mean 'explanation'?)"
    )
    assert lines[6] == f"{path}:21: norm a has no items: add at least one"


def test_yaml_syntax_error_fixture() -> None:
    path = DATA / "bad" / "syntax.yaml"
    [problem] = check_checklist(path)
    assert problem.line == 13
    assert problem.message.startswith("YAML syntax error: expected <block end>")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", (1, "the file is empty")),
        (b"# only a comment\n", (1, "the file is empty")),
        (b"- a\n- b\n", (1, "a checklist file is a mapping of keys, not a list")),
        (b"id: \xff\n", (None, "cannot read the file: it is not UTF-8 text")),
        (b"a: &x [*x]\n", (1, "a YAML alias refers to itself")),
    ],
)
def test_files_that_are_not_checklists(
    tmp_path: Path, content: bytes, expected: tuple[int | None, str]
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    assert (check_checklist(path)[0].line, check_checklist(path)[0].message) == expected


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    [problem] = check_checklist(path)
    assert problem == ChecklistProblem(
        str(path), None, "cannot read the file: No such file or directory"
    )
    assert str(problem) == f"{path}: cannot read the file: No such file or directory"


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_checklist(path).id == "demo"


# --------------------------------------------------------------------------- registry


def test_version_sort_is_natural() -> None:
    versions = ["2024.10", "2024.1-p1", "2025.1", "2024.2", "2024.1", "2024.1-p2"]
    assert sorted(versions, key=version_sort_key) == [
        "2024.1",
        "2024.1-p1",
        "2024.1-p2",
        "2024.2",
        "2024.10",
        "2025.1",
    ]


def test_registry_picks_the_highest_version_not_the_newest_file(tmp_path: Path) -> None:
    for file in (DATA / "registry").iterdir():
        shutil.copy(file, tmp_path / file.name)
    # The oldest version gets the newest modification time: it must not win.
    os.utime(tmp_path / "demo-guide-1.2.yaml", (2_000_000_000, 2_000_000_000))
    os.utime(tmp_path / "demo-guide-1.10.yml", (1_000_000_000, 1_000_000_000))
    registry = ChecklistRegistry.from_dir(tmp_path)
    assert len(registry) == 3
    assert registry.versions("demo-guide") == ("1.2", "1.9-p1", "1.10")
    assert registry.latest("demo-guide").version == "1.10"
    assert registry.latest("demo-guide").path == str(tmp_path / "demo-guide-1.10.yml")
    assert registry.get("demo-guide", "1.9-p1").key == ("demo-guide", "1.9-p1")
    assert [c.key for c in registry] == [
        ("demo-guide", "1.2"),
        ("demo-guide", "1.9-p1"),
        ("demo-guide", "1.10"),
    ]
    assert ("demo-guide", "1.2") in registry
    with pytest.raises(KeyError):
        registry.get("demo-guide", "1.0")
    with pytest.raises(KeyError):
        registry.latest("asean-norms")
    with pytest.raises(KeyError):
        registry.default()


def test_bundled_registry_default() -> None:
    registry = ChecklistRegistry.bundled()
    assert registry.default().key == ("asean-norms", "2024.1-p1")
    assert sorted(c.key for c in registry) == [
        ("asean-ai", "2025.1-draft"),
        ("asean-norms", "2024.1-p1"),
        ("asean-scams", "2025.1-draft"),
    ]


def test_bundled_instruments() -> None:
    registry = ChecklistRegistry.bundled()
    found = [
        (c.id, c.short_name, c.short_title, c.draft, [len(s.items) for s in c.sections])
        for c in registry.instruments()
    ]
    assert found == [
        ("asean-norms", "norms", "Cyber norms", False, [4, 4, 4, 5, 4, 4, 5, 4, 5, 5, 4]),
        ("asean-ai", "ai", "AI governance", True, [2] * 7 + [5, 9]),
        ("asean-scams", "scams", "Online scams", True, [2] * 6),
    ]
    ai, scams = registry.by_short_name("ai"), registry.by_short_name("scams")
    assert [s.id for s in scams.sections] == ["gov", "prev", "detect", "victim", "law", "data"]
    principles = ["transp", "fair", "safe", "human", "privacy", "account", "robust"]
    assert [s.id for s in ai.sections] == [*principles, "nat", "genai"]
    assert "draft" in scams.title and "draft" in ai.title
    assert "not the official text" in scams.source and "not the official text" in ai.source


def test_every_bundled_file_loads_and_passes_the_check() -> None:
    files = sorted(bundled_checklist_dir().glob("*.y*ml"))
    assert [f.name for f in files] == ["asean-ai.yaml", "asean-norms.yaml", "asean-scams.yaml"]
    for path in files:
        assert check_checklist(path) == [], path.name
        assert load_checklist(path).statuses == DEFAULT_STATUSES


def test_registry_with_an_official_version(tmp_path: Path) -> None:
    shutil.copy(BUNDLED, tmp_path / "asean-norms.yaml")
    official = BUNDLED.read_text(encoding="utf-8").replace(
        'version: "2024.1-p1"', 'version: "2025.1"'
    )
    (tmp_path / "asean-norms-official.yml").write_text(official, encoding="utf-8")
    registry = ChecklistRegistry.from_dir(tmp_path)
    assert registry.default().version == "2025.1"
    assert registry.get("asean-norms", "2024.1-p1").version == "2024.1-p1"


def test_an_official_text_replaces_a_draft(tmp_path: Path) -> None:
    """checklist/README.md's steps: same id, a higher version, no draft flag."""
    draft = REPO / "checklist" / "asean-scams.yaml"
    shutil.copy(draft, tmp_path / "asean-scams.yaml")
    official = (
        draft.read_text(encoding="utf-8")
        .replace('version: "2025.1-draft"', 'version: "2025.2"')
        .replace("draft: true\n", "")
        .replace(": national self-assessment (draft)", ": national self-assessment")
    )
    (tmp_path / "asean-scams-official.yaml").write_text(official, encoding="utf-8")
    registry = ChecklistRegistry.from_dir(tmp_path)
    scams = registry.by_short_name("scams")
    assert (scams.version, scams.draft, scams.short_title) == ("2025.2", False, "Online scams")
    assert registry.get("asean-scams", "2025.1-draft").draft
    # Why the README warns against "2025.1": the draft's longer version sorts above it.
    assert version_sort_key("2025.1") < version_sort_key("2025.1-draft")


def test_registry_reports_problems_of_every_file(tmp_path: Path) -> None:
    shutil.copy(DATA / "bad" / "many-problems.yaml", tmp_path / "a.yaml")
    shutil.copy(DATA / "bad" / "syntax.yaml", tmp_path / "b.yml")
    shutil.copy(DATA / "mini.yaml", tmp_path / "c.yaml")
    shutil.copy(DATA / "mini.yaml", tmp_path / "d.yaml")
    (tmp_path / "notes.txt").write_text("not a checklist", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    shutil.copy(DATA / "bad" / "syntax.yaml", tmp_path / "sub" / "ignored.yaml")
    with pytest.raises(ChecklistError) as caught:
        ChecklistRegistry.from_dir(tmp_path)
    where = [(Path(p.path).name, p.line) for p in caught.value.errors]
    assert where == [("a.yaml", n) for n in (3, 12, 13, 14, 15, 18, 21)] + [
        ("b.yml", 13),
        ("d.yaml", 3),
    ]
    assert caught.value.errors[-1].message == (
        f"checklist 'demo-guide' version '1.0' is already defined in {tmp_path / 'c.yaml'};"
        " give this file another version"
    )


def test_registry_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="not a folder"):
        ChecklistRegistry.from_dir(tmp_path / "nope")


# --------------------------------------------------------------------------- translation


def test_msgctxt_format() -> None:
    assert checklist_msgctxt("asean-norms", "f.2", "text") == "asean-norms:f.2:text"
    assert checklist_msgctxt("asean-norms", "f", "label") == "asean-norms:f:label"
    assert checklist_msgctxt("asean-norms", "", "title") == "asean-norms::title"
    with pytest.raises(ValueError, match="translatable"):
        checklist_msgctxt("asean-norms", "f.2", "explenation")
    with pytest.raises(ValueError, match="':'"):
        checklist_msgctxt("a:b", "f.2", "text")


MINI_MESSAGES = [
    (4, "demo-guide::title", "Demo guide", ["Title of the checklist demo-guide"]),
    (10, "demo-guide:p:label", "People", ["Section p: short label"]),
    (11, "demo-guide:p:summary", "Who does what.", ["Section p: one-sentence summary"]),
    (14, "demo-guide:p.1:text", "A lead agency is named.", ["Section p, item 1: the action text"]),
    (
        15,
        "demo-guide:p.1:explanation",
        "Counts if a decree names it. Evidence: the decree.",
        ["Section p, item 1: explanation (what counts, example of evidence)"],
    ),
    (19, "demo-guide:p.2:text", "Staff are trained.", ["Section p, item 2: the action text"]),
    (
        20,
        "demo-guide:p.2:explanation",
        "Evidence: a course list.",
        ["Section p, item 2: explanation (what counts, example of evidence)"],
    ),
    (22, "demo-guide:q:label", "Process", ["Section q: short label"]),
    (23, "demo-guide:q:summary", "How it is done.", ["Section q: one-sentence summary"]),
    (
        26,
        "demo-guide:q.1:text",
        "A written procedure exists.",
        ["Section q, item 1: the action text"],
    ),
    (
        27,
        "demo-guide:q.1:explanation",
        "Evidence: the procedure.",
        ["Section q, item 1: explanation (what counts, example of evidence)"],
    ),
]


def test_extractor_yields_pgettext_messages() -> None:
    with (DATA / "mini.yaml").open("rb") as fileobj:
        found = list(extract_checklist(fileobj, DEFAULT_KEYWORDS.keys(), [], {}))
    assert found == [
        (line, "pgettext", (context, text), comments)
        for line, context, text, comments in MINI_MESSAGES
    ]


def test_babel_extract_reads_contexts() -> None:
    with (DATA / "mini.yaml").open("rb") as fileobj:
        # Babel's type hints describe the extractor's results wrongly, hence the cast.
        found = list(extract(cast(Any, extract_checklist), fileobj))
    assert found == [
        (line, text, comments, context) for line, context, text, comments in MINI_MESSAGES
    ]


def test_babel_cfg_dotted_method(tmp_path: Path) -> None:
    (tmp_path / "checklist").mkdir()
    shutil.copy(DATA / "mini.yaml", tmp_path / "checklist" / "mini.yaml")
    cfg = "[bot.checklist_extract.extract_checklist: checklist/**.yaml]\n"
    method_map, options_map = parse_mapping_cfg(io.StringIO(cfg))  # type: ignore[no-untyped-call]
    found = list(extract_from_dir(str(tmp_path), method_map, options_map))
    assert len(found) == len(MINI_MESSAGES)
    filename, line, text, _comments, context = found[3]
    assert (filename, line, text, context) == (
        os.path.join("checklist", "mini.yaml"),
        14,
        "A lead agency is named.",
        "demo-guide:p.1:text",
    )


def test_extractor_on_the_bundled_file() -> None:
    with BUNDLED.open("rb") as fileobj:
        found = list(extract_checklist(fileobj, DEFAULT_KEYWORDS.keys(), [], {}))
    contexts = [context for _, _, (context, _), _ in found]
    assert len(found) == 2 + 11 * 2 + 48 * 2
    assert len(set(contexts)) == len(contexts)
    by_context = {context: (line, comments) for line, _, (context, _), comments in found}
    text = BUNDLED.read_text(encoding="utf-8").splitlines()
    line, comments = by_context["asean-norms:f.2:text"]
    assert comments == ["Norm f, item 2: the action text"]
    assert text[line - 1] == "        text: >-"
    assert text[line - 2] == "      - id: f.2"
    line, comments = by_context["asean-norms:f:label"]
    assert text[line - 1] == '    label: "Do not damage critical infrastructure"'
    assert comments == ["Norm f: short label"]


def test_extractor_refuses_an_invalid_file() -> None:
    with (
        (DATA / "bad" / "many-problems.yaml").open("rb") as fileobj,
        pytest.raises(ChecklistError) as caught,
    ):
        list(extract_checklist(fileobj, DEFAULT_KEYWORDS.keys(), [], {}))
    assert [problem.line for problem in caught.value.errors] == [3, 12, 13, 14, 15, 18, 21]


def test_extractor_needs_the_pgettext_keyword() -> None:
    with pytest.raises(ValueError, match="pgettext"):
        list(extract_checklist(io.BytesIO(BASE.encode()), ["_", "gettext"], [], {}))


# --------------------------------------------------------------------------- instruments


def test_themes_key_is_accepted_and_named_in_messages(tmp_path: Path) -> None:
    text = variant({6: "themes:", 8: None})
    assert_problems(problems_of(tmp_path, text), [(7, r"^theme a: 'label' is required$")])
    (tmp_path / "ok.yaml").write_text(variant({6: "themes:"}), encoding="utf-8")
    assert [s.id for s in load_checklist(tmp_path / "ok.yaml").sections] == ["a", "b"]


def test_one_file_groups_its_items_one_way(tmp_path: Path) -> None:
    extra = 'themes:\n  - id: c\n    label: "C"\n    summary: "C."\n    items: []\n'
    assert_problems(
        problems_of(tmp_path, BASE + extra),
        [(24, r"^write only one of 'norms', 'sections' or 'themes'$")],
    )


def test_an_instrument_without_short_names_or_draft_flag(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(BASE, encoding="utf-8")
    demo = load_checklist(path)
    assert (demo.short_name, demo.short_title, demo.draft) == ("demo", "Demo checklist", False)


def test_an_instrument_with_short_names_and_draft_flag(tmp_path: Path) -> None:
    extra = 'short_name: scams\nshort_title: "Online scams"\ndraft: true\n'
    path = tmp_path / "demo.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    demo = load_checklist(path)
    assert (demo.short_name, demo.short_title, demo.draft) == ("scams", "Online scams", True)


def test_short_names_and_draft_flag_are_checked(tmp_path: Path) -> None:
    extra = 'short_name: "Scams!"\nshort_title: "' + "x" * 33 + '"\ndraft: "yes"\n'
    assert_problems(
        problems_of(tmp_path, BASE + extra),
        [
            (24, r"^short_name 'Scams!' is not valid: use lowercase letters and digits"),
            (25, r"^'short_title' has 33 characters; the limit is 32$"),
            (26, r"^'draft' must be true or false"),
        ],
    )


def instrument(tmp_path: Path, name: str, checklist_id: str, short_name: str) -> None:
    text = BASE.replace("id: demo", f"id: {checklist_id}") + f"short_name: {short_name}\n"
    (tmp_path / name).write_text(text, encoding="utf-8")


def test_registry_lists_instruments_with_the_default_first(tmp_path: Path) -> None:
    shutil.copy(BUNDLED, tmp_path / "asean-norms.yaml")
    instrument(tmp_path, "b.yaml", "beta-guide", "beta")
    instrument(tmp_path, "a.yaml", "alpha-guide", "alpha")
    registry = ChecklistRegistry.from_dir(tmp_path)
    assert [c.id for c in registry.instruments()] == ["asean-norms", "alpha-guide", "beta-guide"]
    assert registry.by_short_name("alpha").id == "alpha-guide"
    assert registry.by_short_name("norms").id == "asean-norms"
    with pytest.raises(KeyError):
        registry.by_short_name("gamma")


def test_registry_refuses_two_instruments_with_one_short_name(tmp_path: Path) -> None:
    instrument(tmp_path, "a.yaml", "alpha-guide", "guide")
    instrument(tmp_path, "b.yaml", "beta-guide", "guide")
    with pytest.raises(ChecklistError) as caught:
        ChecklistRegistry.from_dir(tmp_path)
    assert [(Path(p.path).name, p.line) for p in caught.value.errors] == [("b.yaml", 24)]
    assert "short_name 'guide' is already used by 'alpha-guide'" in str(caught.value)


def test_extractor_yields_the_short_title(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(BASE + 'short_title: "Demo"\n', encoding="utf-8")
    with path.open("rb") as fileobj:
        found = list(extract_checklist(fileobj, DEFAULT_KEYWORDS.keys(), [], {}))
    assert found[1] == (24, "pgettext", ("demo::short_title", "Demo"), ["Short title of demo"])
