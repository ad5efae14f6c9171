"""The house's picture, checked: `bot/` has no import cycle, and imports run one way.

Every module under `bot/` is parsed with `ast` (nothing is imported), and every import it
holds, at the top, inside a function or under `TYPE_CHECKING`, is an edge: an import hidden in
a function is still a dependency, and hiding one there is how a cycle goes unnoticed. The
layers are docs/architecture.md's: handlers (bot.telegram) → views → services → models/db.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (importer prefix, imported prefix, why it is forbidden). A prefix matches the module itself
# and everything below it: "bot.services" matches bot.services.reporting.
FORBIDDEN = [
    ("bot.services", "bot.telegram", "services are Telegram-free: they take and return plain data"),
    ("bot.services", "telegram", "services are Telegram-free: no python-telegram-bot types"),
    ("bot.services", "bot.views", "services return data; the views turn it into texts"),
    ("bot.views", "bot.telegram", "views render; the handlers call them, not the other way"),
    ("bot.models", "bot.services", "the tables know nothing of the logic built on them"),
    ("bot.telegram", "bot.web", "the web server feeds the handlers; they never call it"),
    ("bot.services", "bot.web", "services are Telegram-free and web-free"),
    ("bot", "fakegram", "the product never depends on the fake Bot API"),
    ("bot", "aiohttp", "aiohttp is the Bot API client's connection pool, in one module"),
]

# The allowed exceptions: `normsbot demo` runs the real bot against the fake Bot API in one
# process, so driving the fake is that module's whole job; `bot.telegram.http` puts aiohttp's
# pool under PTB's calls, and nothing else in the bot talks HTTP through aiohttp itself.
ALLOWED = {("bot.demo", "fakegram"), ("bot.telegram.http", "aiohttp")}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of `package` under `root`, by its dotted name (a package by its own)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The modules `name` imports, anywhere in its file; `from pkg import mod` names `pkg.mod`."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from its own package, one level up per extra dot
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in known else base


def import_graph(root: Path, package: str = "bot") -> dict[str, set[str]]:
    """Each module of `package` → every module it imports (its own and outside ones)."""
    modules = module_names(root, package)
    known = set(modules)
    return {
        name: {target for target in imports_of(name, path, known) if target != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles among the graph's own modules, one example path per tangle.

    Tarjan's strongly connected components: modules that reach each other through imports.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module] & graph.keys()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(_path_through(sorted(component), graph))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _path_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One cycle inside a strongly connected component, as a readable path a → b → … → a."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    while True:
        step = sorted(graph[path[-1]] & members)
        nxt = next((m for m in step if m == start), None) or next(
            (m for m in step if m not in seen), step[0]
        )
        path.append(nxt)
        if nxt in seen:
            return path[path.index(nxt) :]
        seen.add(nxt)


def violations(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{importer} imports {target}: {why}"
        for importer, targets in sorted(graph.items())
        for target in sorted(targets)
        for source, forbidden, why in FORBIDDEN
        if _within(importer, source)
        and _within(target, forbidden)
        and not any(_within(importer, a) and _within(target, b) for a, b in ALLOWED)
    ]


def test_the_bot_has_no_import_cycle():
    graph = import_graph(ROOT)
    # The walk sees the house (a parser that found nothing would pass every check).
    assert len(graph) > 50
    assert "bot.services.reads" in graph["bot.services.cycles"]
    assert "bot.demo" in graph["bot.cli"]  # an import inside a function counts
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in found)


def test_imports_run_one_way():
    graph = import_graph(ROOT)
    assert "fakegram" in graph["bot.demo"]  # the one allowed edge is seen, and allowed
    problems = violations(graph)
    assert not problems, "\n".join(problems)


# The checks themselves, shown failing on small trees written into tmp_path.


def _tree(root: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return import_graph(root)


def test_a_cycle_hidden_inside_a_function_is_found(tmp_path: Path):
    graph = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/services/__init__.py": "",
            "bot/services/cycles.py": "from bot.services import people\n",
            "bot/services/people.py": "def f():\n    from .cycles import x\n",
            "bot/services/reads.py": "from bot.services.people import y\n",
        },
    )
    assert cycles(graph) == [["bot.services.cycles", "bot.services.people", "bot.services.cycles"]]


@pytest.mark.parametrize(
    ("module", "text", "expected"),
    [
        ("bot/services/x.py", "from telegram import Bot\n", "bot.services.x imports telegram"),
        ("bot/services/x.py", "import bot.views.y\n", "bot.services.x imports bot.views.y"),
        ("bot/views/x.py", "from bot.telegram import app\n", "bot.views.x imports bot.telegram"),
        ("bot/models.py", "from bot.services import reads\n", "bot.models imports bot.services"),
        ("bot/cli.py", "def f():\n    import fakegram\n", "bot.cli imports fakegram"),
    ],
)
def test_a_forbidden_direction_is_named(tmp_path: Path, module: str, text: str, expected: str):
    graph = _tree(tmp_path, {module: text, "bot/demo.py": "from fakegram import FakeBotAPI\n"})
    problems = violations(graph)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
