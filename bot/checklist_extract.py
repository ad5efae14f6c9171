"""Babel extraction method for checklist files: every text a user reads, with its context.

For each checklist file it yields the title, each section's (norm's) label and summary, and
each item's text and explanation as `pgettext` messages whose context comes from
`bot.checklist.checklist_msgctxt`, e.g. `asean-norms:f.2:text` or `asean-norms:f:label`. The
bot looks the translation up with the same context, in the `checklist` gettext domain.

Use it in `babel.cfg` in one of these ways (Babel splits a section name at its first colon,
so `module:function` cannot be written inside the brackets):

    # through the entry point `checklist` that pyproject.toml registers
    [checklist: checklist/**.yaml]

    # without installing the package: the dotted path of the function
    [bot.checklist_extract.extract_checklist: checklist/**.yaml]

    # or by alias
    [extractors]
    checklist = bot.checklist_extract:extract_checklist

The extractor validates the file first: an invalid checklist raises `ChecklistError` with every
problem, instead of silently leaving texts out of the catalog template. The message keyword
`pgettext` must be known to Babel (it is one of its default keywords). The only option is
`encoding` (default UTF-8).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from bot.checklist import ChecklistError, _load_source, checklist_msgctxt

__all__ = ["extract_checklist"]

ExtractResult = tuple[int, str, tuple[str, str], list[str]]


def extract_checklist(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[ExtractResult]:
    """Yield `(lineno, "pgettext", (context, text), [translator comment])` per text."""
    if "pgettext" not in keywords:
        raise ValueError(
            "the checklist extractor needs the 'pgettext' keyword:"
            " do not use --no-default-keywords, or add -k pgettext:1c,2"
        )
    raw = fileobj.read()
    encoding = str(options.get("encoding") or "utf-8")
    if encoding.replace("-", "").replace("_", "").lower() == "utf8":
        encoding = "utf-8-sig"  # tolerate a byte order mark
    text = raw.decode(encoding) if isinstance(raw, bytes) else str(raw)
    name = str(getattr(fileobj, "name", "<checklist>"))
    checklist, source = _load_source(text, name)
    if checklist is None:
        raise ChecklistError(source.problems)

    def line(*loc: str | int) -> int:
        return source.lines.get(loc) or 1

    word = source.section_key.removesuffix("s").capitalize()
    cid = checklist.id
    yield (
        line("title"),
        "pgettext",
        (checklist_msgctxt(cid, "", "title"), checklist.title),
        [f"Title of the checklist {cid}"],
    )
    if checklist.short_title != checklist.title:
        yield (
            line("short_title"),
            "pgettext",
            (checklist_msgctxt(cid, "", "short_title"), checklist.short_title),
            [f"Short title of {cid}"],
        )
    for s, section in enumerate(checklist.sections):
        where = f"{word} {section.id}"
        yield (
            line("sections", s, "label"),
            "pgettext",
            (checklist_msgctxt(cid, section.id, "label"), section.label),
            [f"{where}: short label"],
        )
        yield (
            line("sections", s, "summary"),
            "pgettext",
            (checklist_msgctxt(cid, section.id, "summary"), section.summary),
            [f"{where}: one-sentence summary"],
        )
        for i, item in enumerate(section.items):
            number = item.id.rpartition(".")[2]
            yield (
                line("sections", s, "items", i, "text"),
                "pgettext",
                (checklist_msgctxt(cid, item.id, "text"), item.text),
                [f"{where}, item {number}: the action text"],
            )
            yield (
                line("sections", s, "items", i, "explanation"),
                "pgettext",
                (checklist_msgctxt(cid, item.id, "explanation"), item.explanation),
                [f"{where}, item {number}: explanation (what counts, example of evidence)"],
            )
