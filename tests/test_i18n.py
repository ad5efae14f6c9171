"""The translation workflow: the catalog checker's rules, new languages, LINGUAS, `.mo` files.

Each rule of `tools.i18n_check` is shown failing on a small catalog written into tmp_path; the
last tests run the checker on the real `locales/`, which is the CI gate.
"""

from __future__ import annotations

import io
import shutil
import textwrap
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import I18n, shipped_locales
from tools.i18n_check import (
    Problem,
    check_catalog,
    check_sources,
    check_templates,
    compare_texts,
    expected_plural_forms,
    init_language,
    main,
    run_checks,
)

REPO = Path(__file__).resolve().parent.parent
CHECKLIST = REPO / "tests" / "data" / "checklists" / "mini.yaml"

TEMPLATE = """\
msgid "Cancel"
msgstr ""

#, python-brace-format
msgid "Welcome, {name}!"
msgstr ""

#, python-brace-format
msgid "{count} item is still open."
msgid_plural "{count} items are still open."
msgstr[0] ""
msgstr[1] ""

msgctxt "status"
msgid "Planned"
msgstr ""
"""

THAI = """\
msgid "Cancel"
msgstr "ยกเลิก"

#, python-brace-format
msgid "Welcome, {name}!"
msgstr "ยินดีต้อนรับ {name}!"

#, python-brace-format
msgid "{count} item is still open."
msgid_plural "{count} items are still open."
msgstr[0] "ยังเหลืออีก {count} ข้อ"

msgctxt "status"
msgid "Planned"
msgstr "วางแผนแล้ว"
"""


def header(language: str | None, plural_forms: str | None) -> str:
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=utf-8\\n"']
    if language:
        lines.append(f'"Language: {language}\\n"')
    if plural_forms:
        lines.append(f'"Plural-Forms: {plural_forms}\\n"')
    return "\n".join(lines) + "\n\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def template(tmp_path: Path, body: str = TEMPLATE):
    path = write(tmp_path / "messages.pot", header(None, None) + body)
    with path.open("rb") as handle:
        return read_po(handle)


def check(
    tmp_path: Path,
    body: str,
    *,
    code: str = "th",
    plural_forms: str | None = "nplurals=1; plural=0;",
    pot: str = TEMPLATE,
) -> list[Problem]:
    po = write(tmp_path / code / "LC_MESSAGES" / "messages.po", header(code, plural_forms) + body)
    return check_catalog(po, template(tmp_path, pot), code, display=f"{code}/messages.po")


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --- One message ----------------------------------------------------------------------------


def test_a_complete_thai_catalog_passes(tmp_path):
    assert check(tmp_path, THAI) == []


def test_an_empty_translation_fails_with_its_line(tmp_path):
    body = THAI.replace('msgstr "ยกเลิก"', 'msgstr ""')
    assert messages(check(tmp_path, body)) == ["th/messages.po:7: not translated"]


def test_a_fuzzy_entry_fails(tmp_path):
    body = THAI.replace('msgid "Cancel"', '#, fuzzy\nmsgid "Cancel"')
    assert messages(check(tmp_path, body)) == [
        "th/messages.po:8: marked fuzzy: review the translation and remove the fuzzy flag"
    ]


def test_a_fuzzy_header_fails(tmp_path):
    po = tmp_path / "th" / "LC_MESSAGES" / "messages.po"
    write(po, "#, fuzzy\n" + header("th", "nplurals=1; plural=0;") + THAI)
    problems = check_catalog(po, template(tmp_path), "th", display="th.po")
    assert [p.message for p in problems] == [
        "the header is marked fuzzy: compiling would skip the whole catalog"
    ]


def test_a_missing_placeholder_fails(tmp_path):
    body = THAI.replace("ยินดีต้อนรับ {name}!", "ยินดีต้อนรับ!")
    assert messages(check(tmp_path, body)) == ["th/messages.po:11: placeholder {name} missing"]


def test_a_translated_placeholder_name_fails_both_ways(tmp_path):
    body = THAI.replace("ยินดีต้อนรับ {name}!", "ยินดีต้อนรับ {ชื่อ}!")
    assert messages(check(tmp_path, body)) == [
        "th/messages.po:11: placeholder {name} missing",
        "th/messages.po:11: unknown placeholder {ชื่อ}",
    ]


def test_a_lone_brace_fails(tmp_path):
    body = THAI.replace("ยินดีต้อนรับ {name}!", "ยินดีต้อนรับ {name!")
    assert [p.message for p in check(tmp_path, body)] == [
        "malformed placeholder: a { or } without its pair (write {{ or }})"
    ]


def test_each_plural_form_needs_every_placeholder(tmp_path):
    body = THAI.replace("ยังเหลืออีก {count} ข้อ", "ยังเหลืออีกหลายข้อ")
    assert messages(check(tmp_path, body)) == [
        "th/messages.po:15: msgstr[0]: placeholder {count} missing"
    ]


def test_a_plural_entry_lacking_a_form_fails(tmp_path):
    body = (
        THAI.replace("ยินดีต้อนรับ {name}!", "Selamat datang, {name}!")
        .replace("ยกเลิก", "Batal")
        .replace("วางแผนแล้ว", "Dirancang")
    )
    # Tamil has two forms; a catalog that gives only the first shows English for n != 1.
    problems = check(tmp_path, body, code="ta", plural_forms="nplurals=2; plural=(n != 1);")
    assert messages(problems) == ["ta/messages.po:15: plural form msgstr[1] is empty"]


def test_an_untranslated_plural_in_a_one_form_language_fails(tmp_path):
    body = THAI.replace('msgstr[0] "ยังเหลืออีก {count} ข้อ"', 'msgstr[0] ""')
    assert messages(check(tmp_path, body)) == ["th/messages.po:15: not translated"]


def test_more_forms_than_the_language_has_cannot_be_read(tmp_path):
    body = THAI.replace(
        'msgstr[0] "ยังเหลืออีก {count} ข้อ"',
        'msgstr[0] "ยังเหลืออีก {count} ข้อ"\nmsgstr[1] "ยังเหลืออีก {count} ข้อ"',
    )
    assert messages(check(tmp_path, body)) == [
        "th/messages.po:15: cannot be read: msg has more translations than num_plurals of catalog"
    ]


def test_a_wrong_number_of_plural_forms_in_the_header_fails(tmp_path):
    body = THAI.replace(
        'msgstr[0] "ยังเหลืออีก {count} ข้อ"',
        'msgstr[0] "ยังเหลืออีก {count} ข้อ"\nmsgstr[1] "ยังเหลืออีก {count} ข้อ"',
    )
    problems = check(tmp_path, body, plural_forms="nplurals=2; plural=(n != 1);")
    assert messages(problems) == [
        "th/messages.po:5: Plural-Forms declares nplurals=2, Thai has 1 (nplurals=1; plural=0;)"
    ]


def test_a_plural_rule_of_another_variant_fails(tmp_path):
    # Brazilian Portuguese's rule (zero is singular) in the Timor-Leste (European) catalog.
    body = textwrap.dedent(
        """\
        msgid "Cancel"
        msgstr "Cancelar"

        #, python-brace-format
        msgid "Welcome, {name}!"
        msgstr "Bem-vindo, {name}!"

        #, python-brace-format
        msgid "{count} item is still open."
        msgid_plural "{count} items are still open."
        msgstr[0] "{count} item ainda está aberto."
        msgstr[1] "{count} itens ainda estão abertos."

        msgctxt "status"
        msgid "Planned"
        msgstr "Planeado"
        """
    )
    assert check(tmp_path, body, code="pt", plural_forms="nplurals=2; plural=(n != 1);") == []
    problems = check(tmp_path, body, code="pt", plural_forms="nplurals=2; plural=(n > 1);")
    assert messages(problems) == [
        "pt/messages.po:5: Plural-Forms rule picks another form than Portuguese's for n=0"
        " (expected plural=(n != 1);)"
    ]


def test_tetum_has_one_plural_form_and_no_cldr_data(tmp_path):
    assert expected_plural_forms("tet") == (1, "0")
    body = THAI.replace("ยังเหลืออีก {count} ข้อ", "{count} item sira seidauk remata.")
    assert check(tmp_path, body, code="tet", plural_forms="nplurals=1; plural=0;") == []


def test_html_tags_must_match_the_source(tmp_path):
    pot = 'msgid "<b>Deadline:</b> {date}"\nmsgstr ""\n'
    po = 'msgid "<b>Deadline:</b> {date}"\nmsgstr "<b>กำหนดส่ง: {date}"\n'
    assert messages(check(tmp_path, po, pot=pot)) == [
        "th/messages.po:7: HTML tags or entities differ from the source: missing </b>"
    ]


def test_an_entity_must_match_and_a_bare_ampersand_fails():
    assert compare_texts("Use &lt;code&gt;", "Use <code>") == [
        "HTML tags or entities differ from the source: missing &gt;, &lt;; extra <code>"
    ]
    assert compare_texts("Questions and answers", "Q & A") == [
        "a bare < or & that Telegram refuses: write &lt; or &amp;"
    ]


def test_commands_stay_in_english():
    assert compare_texts("Use /summary or /help.", "Gunakan /ringkasan atau /help.") == [
        "command /summary missing (commands stay in English)",
        "unknown command /ringkasan",
    ]
    # A link's slashes are no command.
    assert compare_texts("Send a link (https://…).", "Kirim tautan (https://…).") == []


def test_leading_and_trailing_line_breaks_must_match():
    assert compare_texts("Done.\n", "Selesai.") == [
        "the source ends with a line break and the translation does not"
    ]


def test_obsolete_entries_are_a_warning(tmp_path):
    body = THAI + '\n#~ msgid "Old text"\n#~ msgstr "ข้อความเก่า"\n'
    problems = check(tmp_path, body)
    assert [(p.warning, p.message) for p in problems] == [
        (True, "1 obsolete entries (#~) at the end: reuse what helps, then delete them")
    ]


# --- A catalog against its template -----------------------------------------------------------


def test_a_catalog_missing_a_text_of_the_template_asks_for_make_update(tmp_path):
    pot = TEMPLATE + '\nmsgid "Remove comment"\nmsgstr ""\n'
    assert messages(check(tmp_path, THAI, pot=pot)) == [
        'th/messages.po: 1 texts of the template are missing (first: "Remove comment"):'
        " run make update"
    ]


def test_a_catalog_with_a_text_gone_from_the_template_asks_for_make_update(tmp_path):
    pot = TEMPLATE.replace('msgctxt "status"\nmsgid "Planned"\nmsgstr ""\n', "")
    assert messages(check(tmp_path, THAI, pot=pot)) == [
        'th/messages.po: 1 texts are no longer in the template (first: "Planned"'
        " (context status)): run make update"
    ]


# --- The templates against the code -----------------------------------------------------------


def make_project(tmp_path: Path, code: str) -> Path:
    """A tiny project: babel.cfg, bot/ with one view, checklist/ with one file, locales/."""
    root = tmp_path / "project"
    (root / "locales").mkdir(parents=True)
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    write(root / "bot" / "view.py", code)
    (root / "checklist").mkdir()
    shutil.copy(CHECKLIST, root / "checklist" / "mini.yaml")
    return root


VIEW = """\
def render(t, n):
    return t.gettext("Cancel") + t.ngettext("{count} day", "{count} days", n)
"""


def extract(root: Path) -> None:
    from babel.messages.frontend import CommandLineInterface

    for domain, source in (("messages", "bot"), ("checklist", "checklist")):
        CommandLineInterface().run(  # type: ignore[no-untyped-call]
            [
                "pybabel",
                "--quiet",
                "extract",
                f"--mapping-file={root / 'babel.cfg'}",
                f"--output-file={root / 'locales' / f'{domain}.pot'}",
                str(root / source),
            ]
        )


def test_templates_made_by_extract_are_up_to_date(tmp_path):
    root = make_project(tmp_path, VIEW)
    extract(root)
    text = (root / "locales" / "checklist.pot").read_text(encoding="utf-8")
    assert 'msgctxt "demo-guide:p.1:text"' in text
    assert check_templates(root, root / "locales") == []


def test_a_text_added_to_the_code_asks_for_make_extract(tmp_path):
    root = make_project(tmp_path, VIEW)
    extract(root)
    write(root / "bot" / "view.py", VIEW + '\ndef more(t):\n    return t.gettext("Discard")\n')
    assert messages(check_templates(root, root / "locales")) == [
        'locales/messages.pot: 1 texts in bot/ are missing (first: "Discard"): run make extract'
    ]


def test_a_text_changed_in_a_checklist_asks_for_make_extract(tmp_path):
    root = make_project(tmp_path, VIEW)
    extract(root)
    yaml = root / "checklist" / "mini.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace("Staff are trained.", "Staff are taught."),
        encoding="utf-8",
    )
    assert messages(check_templates(root, root / "locales")) == [
        'locales/checklist.pot: 1 texts in checklist/ are missing (first: "Staff are taught."'
        " (context demo-guide:p.2:text)): run make extract",
        'locales/checklist.pot: 1 texts are no longer in checklist/ (first: "Staff are trained."'
        " (context demo-guide:p.2:text)): run make extract",
    ]


def test_gettext_inside_an_f_string_is_reported_with_its_line(tmp_path):
    code = "def label(t):\n    x = 1\n    return f\"▫️ {t.gettext('Open')}: {x}\"\n"
    root = make_project(tmp_path, code)
    assert messages(check_sources(root)) == [
        "bot/view.py:3: gettext() inside an f-string: Babel on Python 3.11 does not extract"
        " it, so it is never translated; call it outside"
    ]


def test_gettext_of_an_f_string_is_reported(tmp_path):
    root = make_project(tmp_path, 'def label(t, n):\n    return t.gettext(f"Item {n}")\n')
    assert [p.line for p in check_sources(root)] == [2]


# --- LINGUAS, new languages and the command line -----------------------------------------------


def test_init_language_writes_the_plural_rule_of_each_language(tmp_path):
    locales = tmp_path / "locales"
    write(locales / "messages.pot", header(None, None) + TEMPLATE)
    write(locales / "checklist.pot", header(None, None))
    expected = {
        "th": "nplurals=1; plural=0;",
        "tet": "nplurals=1; plural=0;",
        "pt": "nplurals=2; plural=(n != 1);",
        "ta": "nplurals=2; plural=(n != 1);",
        "zh_Hans": "nplurals=1; plural=0;",
    }
    for code, plural_forms in expected.items():
        messages_po, checklist_po = init_language(code, locales)
        assert messages_po == locales / code / "LC_MESSAGES" / "messages.po"
        assert checklist_po.is_file()
        text = messages_po.read_text(encoding="utf-8")
        assert f'"Language: {code}\\n"' in text
        assert f'"Plural-Forms: {plural_forms}\\n"' in text
    # An empty catalog fails the check until it is translated; then it passes.
    problems = check_catalog(
        locales / "tet" / "LC_MESSAGES" / "messages.po", None, "tet", display="tet"
    )
    assert [p.message for p in problems] == ["not translated"] * 4


def test_init_language_refuses_english_an_existing_catalog_and_unknown_codes(tmp_path):
    locales = tmp_path / "locales"
    write(locales / "messages.pot", header(None, None) + TEMPLATE)
    write(locales / "checklist.pot", header(None, None))
    with pytest.raises(ValueError, match="source language"):
        init_language("en", locales)
    init_language("km", locales)
    with pytest.raises(ValueError, match="already exists"):
        init_language("km", locales)
    with pytest.raises(ValueError, match="no CLDR data for 'xqz'"):
        init_language("xqz", locales)


def test_linguas_lists_the_shipped_locales(tmp_path):
    locales = tmp_path / "locales"
    locales.mkdir()
    assert shipped_locales(locales) is None
    write(locales / "LINGUAS", "# shipped\nen\nth vi  # two on a line\n\nth\n")
    assert shipped_locales(locales) == ["en", "th", "vi"]


def test_run_checks_reports_linguas_problems(tmp_path):
    root = make_project(tmp_path, VIEW)
    extract(root)
    locales = root / "locales"
    problems = run_checks(root, locales, catalogs_only=True)
    assert messages(problems) == [
        "locales/LINGUAS: missing: list the shipped locale codes, one a line"
    ]
    write(locales / "LINGUAS", "en\nxx\nth\n")
    problems = run_checks(root, locales, catalogs_only=True)
    assert messages(problems) == [
        "locales/LINGUAS: unknown locale 'xx': add it to LOCALES in bot/i18n.py",
        "locales/th/LC_MESSAGES/messages.po: missing: run make add-language LANG=th",
        "locales/th/LC_MESSAGES/checklist.po: missing: run make add-language LANG=th",
    ]


def test_the_command_line_prints_one_line_per_problem_and_exits_1(tmp_path, monkeypatch, capsys):
    root = make_project(tmp_path, VIEW)
    extract(root)
    monkeypatch.chdir(root)
    assert main(["init", "th"]) == 0
    capsys.readouterr()
    write(root / "locales" / "LINGUAS", "en\nth\n")
    assert main([]) == 1
    out = capsys.readouterr().out.splitlines()
    po_lines = (root / "locales" / "th" / "LC_MESSAGES" / "messages.po").read_text().splitlines()
    cancel = po_lines.index('msgid "Cancel"') + 1
    assert out[0] == f"locales/th/LC_MESSAGES/messages.po:{cancel}: not translated"
    # Two texts in bot/view.py; the title, 2 norms x 2 and 3 items x 2 of the checklist.
    assert len(out) == 2 + 1 + 4 + 6, out
    assert all(line.startswith("locales/th/LC_MESSAGES/") for line in out), out

    # Translate every entry (Thai has one plural form), and the check passes.
    for domain in ("messages", "checklist"):
        path = root / "locales" / "th" / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if message.id:
                source = message.id[1] if isinstance(message.id, tuple) else message.id
                message.string = (
                    (f"ไทย {source}",) if isinstance(message.id, tuple) else (f"ไทย {source}")
                )
        from babel.messages.pofile import write_po

        with path.open("wb") as handle:
            write_po(handle, catalog)
    capsys.readouterr()
    assert main([]) == 0
    assert capsys.readouterr().out == ""
    # English only (no LINGUAS entry for th): nothing to check, and nothing is wrong.
    write(root / "locales" / "LINGUAS", "en\n")
    assert main(["--locale", "th"]) == 0


# --- What the bot loads ---------------------------------------------------------------------


def thai_locales(tmp_path: Path, linguas: str | None) -> Path:
    locales = tmp_path / "locales"
    write(
        locales / "th" / "LC_MESSAGES" / "messages.po",
        header("th", "nplurals=1; plural=0;") + THAI,
    )
    if linguas is not None:
        write(locales / "LINGUAS", linguas)
    return locales


def test_i18n_offers_only_the_locales_in_linguas(tmp_path):
    i18n = I18n(thai_locales(tmp_path, "en\n"))
    assert i18n.available == ["en"]
    assert i18n.translator("th").gettext("Cancel") == "Cancel"  # falls back to English
    assert i18n.negotiate("th") is None


def test_i18n_offers_a_listed_locale_with_its_translations(tmp_path):
    i18n = I18n(thai_locales(tmp_path, "en\nth\n"))
    assert i18n.available == ["en", "th"]
    t = i18n.translator("th")
    assert t.gettext("Cancel") == "ยกเลิก"
    assert t.pgettext("status", "Planned") == "วางแผนแล้ว"
    # One form serves every count in Thai.
    for n in (1, 2, 11):
        assert t.ngettext("{count} item is still open.", "{count} items are still open.", n) == (
            "ยังเหลืออีก {count} ข้อ"
        )


def test_without_linguas_every_catalog_folder_ships(tmp_path):
    assert I18n(thai_locales(tmp_path, None)).available == ["en", "th"]


def test_a_compiled_catalog_is_used_when_newer(tmp_path):
    locales = thai_locales(tmp_path, "en\nth\n")
    po = locales / "th" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="th")
    cancel = catalog.get("Cancel")
    assert cancel is not None
    cancel.string = "ยกเลิก (mo)"
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    po.with_suffix(".mo").write_bytes(buffer.getvalue())
    assert I18n(locales).translator("th").gettext("Cancel") == "ยกเลิก (mo)"


def test_tetum_catalog_loads_with_its_own_plural_rule(tmp_path):
    locales = tmp_path / "locales"
    body = THAI.replace("ยังเหลืออีก {count} ข้อ", "{count} item seidauk remata.")
    write(
        locales / "tet" / "LC_MESSAGES" / "messages.po",
        header("tet", "nplurals=1; plural=0;") + body,
    )
    write(locales / "LINGUAS", "en\ntet\n")
    t = I18n(locales).translator("tet")
    assert t.ngettext("{count} item is still open.", "{count} items are still open.", 5) == (
        "{count} item seidauk remata."
    )
    assert t.babel_locale.language == "pt"  # dates and numbers in Portuguese (Timor-Leste)


# --- The real catalogs: the CI gate -------------------------------------------------------------


def test_the_shipped_catalogs_templates_and_code_pass_the_check():
    problems = run_checks(REPO, REPO / "locales")
    errors = [str(p) for p in problems if not p.warning]
    assert errors == [], "make check-catalogs fails:\n" + "\n".join(errors)


def test_every_locale_of_the_product_has_catalogs_to_translate():
    from bot.i18n import LOCALES

    for code in LOCALES:
        if code == "en":
            continue
        for domain in ("messages", "checklist"):
            assert (REPO / "locales" / code / "LC_MESSAGES" / f"{domain}.po").is_file(), code
    # Compiled catalogs are built (make compile, the Dockerfile), never committed.
    assert "*.mo" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
