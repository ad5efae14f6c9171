"""/export: a coordinator gets the workbook and the CSV of every answer; a focal point gets their
own country's; formula-like text never runs; other people's taps are answered meanwhile."""

from __future__ import annotations

import csv
import io
import pickle
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select

from benchmarks.synthetic import seed_region, write_checklist
from bot.checklist import ChecklistRegistry
from bot.db import Database
from bot.models import Person
from bot.services.actors import actor_of
from bot.services.errors import PermissionDenied
from bot.services.exports import build_export, export_file_name, neutralise, slug
from bot.services.matrix import ReportCycle
from bot.services.xlsx import Column, Format, Sheet, sheet_names, write_workbook
from fakegram import FakeUser, Msg
from tests.harness import BotHarness, is_prompt

HYPERLINK = '=HYPERLINK("http://evil.example/x","Click")'
THAI = "ตามมติคณะรัฐมนตรี พ.ศ. 2567 & <ทดสอบ>"
XLSX_NAME = "normsbot-first-reporting-cycle-2026-03-02.xlsx"
CSV_NAME = "normsbot-first-reporting-cycle-2026-03-02.csv"


def _documents(messages: list[Msg]) -> dict[str, Msg]:
    return {m.document["file_name"]: m for m in messages if m.document}


async def _export(user: FakeUser, *args: str, count: int = 2) -> dict[str, Msg]:
    await user.command("export", *args)
    await user.expect(lambda m: len(_documents([m])) == 1 and m.document is not None)
    for _ in range(50):
        documents = _documents(await user.messages())
        if len(documents) >= count:
            return documents
        await user.wait_for_change(timeout=2)
    raise AssertionError(f"expected {count} documents, got {list(documents)}")


async def _workbook(harness: BotHarness, message: Msg) -> openpyxl.Workbook:
    assert message.document is not None
    content = await harness.tg.download(message.document["file_id"])
    return openpyxl.load_workbook(io.BytesIO(content))


async def _answer_a1(user: FakeUser, comment: str) -> None:
    """Status, a comment and a link on item a.1."""
    await user.press_and_wait("Comment")
    await user.send(comment)
    await user.expect(lambda m: "Comment saved" in m.plain and is_prompt(m))
    await user.press_and_wait("Evidence")
    await user.send("https://example.org/th/policy.pdf")
    await user.expect(lambda m: "Evidence saved" in m.plain and is_prompt(m))
    await user.press_and_wait("Implemented")


# --------------------------------------------------------------------------- the story


async def test_coordinator_exports_workbook_and_csv_with_every_answer(harness: BotHarness):
    alice = await harness.enrol(2001, "TH", name="Alice")
    await _answer_a1(alice, HYPERLINK)
    await alice.press_and_wait("Planned")  # a.2
    bob = await harness.enrol(2002, "VN", name="Bob")
    await bob.press_and_wait("Comment")
    await bob.send(THAI)
    await bob.expect("Comment saved")

    admin = await harness.admin()
    documents = await _export(admin)
    assert set(documents) == {XLSX_NAME, CSV_NAME}
    caption = documents[XLSX_NAME].plain
    assert "First reporting cycle" in caption and "all countries" in caption

    book = await _workbook(harness, documents[XLSX_NAME])
    assert book.sheetnames == [
        "Answers",
        "Countries x norms",
        "History",
        "Needs",
        "Audit log",
        "About",
    ]
    answers = book["Answers"]
    assert answers.freeze_panes == "A2"
    header = [cell.value for cell in answers[1]]
    assert header[:7] == ["Code", "Country", "Norm", "Norm label", "Item", "Item text", "Status"]
    items = len(harness.runtime.checklists.default().items)
    rows = [[cell.value for cell in row] for row in answers.iter_rows(min_row=2)]
    assert len(rows) == 11 * items  # every country x item, answered or not
    by_key = {(row[0], row[4]): dict(zip(header, row, strict=True)) for row in rows}

    th = by_key[("TH", "a.1")]
    assert th["Country"] == "Thailand"
    assert th["Status"] == "Implemented"
    assert th["Status code"] == "implemented"
    assert th["Comment"] == "'" + HYPERLINK  # stays text in every spreadsheet
    assert th["Evidence (link or file)"] == "https://example.org/th/policy.pdf"
    assert th["Evidence type"] == "link"
    assert th["Answered by"] == "Alice"
    assert th["Answered at (UTC)"] == datetime(2026, 3, 2, 3, 0)
    assert by_key[("TH", "a.2")]["Status"] == "Planned"
    assert by_key[("TH", "a.3")]["Status"] == "Open"
    assert by_key[("TH", "a.3")]["Answered by"] is None
    assert by_key[("VN", "a.1")]["Comment"] == THAI  # Thai, "&" and "<" intact
    assert by_key[("VN", "a.1")]["Status"] == "Open"

    matrix = book["Countries x norms"]
    matrix_header = [cell.value for cell in matrix[1]]
    assert matrix_header[:3] == ["Code", "Country", "(a) Cooperate for stability"]
    matrix_rows = {row[0].value: row for row in matrix.iter_rows(min_row=2)}
    assert len(matrix_rows) == 11
    norm_a = len(harness.runtime.checklists.default().section("a").items)
    th_row = matrix_rows["TH"]
    assert th_row[2].value == pytest.approx(1 / norm_a)  # one of norm a's items implemented
    assert th_row[2].number_format == "0%"
    counts = dict(zip(matrix_header, [cell.value for cell in th_row], strict=True))
    assert counts["All norms"] == pytest.approx(1 / items)
    assert (counts["Items"], counts["Answered"], counts["Implemented"], counts["Open"]) == (
        items,
        2,
        1,
        items - 2,
    )
    assert matrix_rows["VN"][2].value == 0

    history = [[cell.value for cell in row] for row in book["History"].iter_rows(min_row=2)]
    th_history = [row for row in history if row[1] == "TH"]
    assert [(row[3], row[4], row[5], row[6]) for row in th_history] == [
        ("a.1", "Comment", None, "'" + HYPERLINK),
        ("a.1", "Evidence", None, "https://example.org/th/policy.pdf"),
        ("a.1", "Status", None, "Implemented"),
        ("a.2", "Status", None, "Planned"),
    ]
    assert {row[7] for row in th_history} == {"Alice"}
    about = {row[0].value: row[1].value for row in book["About"].iter_rows(min_row=2)}
    assert about["Reporting cycle"] == "First reporting cycle"
    assert about["Countries"] == "All 11 countries"

    csv_document = documents[CSV_NAME].document
    assert csv_document is not None
    raw = await harness.tg.download(csv_document["file_id"])
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == header
    assert len(table) == 1 + 11 * items
    csv_rows = {(row[0], row[4]): row for row in table[1:]}
    assert csv_rows[("TH", "a.1")][9] == "'" + HYPERLINK
    assert csv_rows[("TH", "a.1")][13] == "2026-03-02 03:00:00"
    assert csv_rows[("VN", "a.1")][9] == THAI


async def test_workbook_shows_every_piece_of_evidence_with_a_link_to_each_file(
    harness: BotHarness,
):
    alice = await harness.enrol(2003, "TH", name="Alice")
    await alice.press_and_wait("Evidence")
    await alice.send_document("=law.pdf", b"%PDF-1.4 law", caption="Cyber law\nof 2025")
    await alice.expect(lambda m: "Evidence saved" in m.plain and is_prompt(m))
    await alice.press_and_wait("Evidence")
    await alice.send("https://example.org/th/decree")
    await alice.expect(lambda m: "Evidence saved" in m.plain and is_prompt(m))

    documents = await _export(await harness.admin(), "TH")
    book = await _workbook(harness, documents[XLSX_NAME.replace("-2026", "-th-2026")])
    answers = book["Answers"]
    header = [cell.value for cell in answers[1]]
    row = dict(zip(header, [cell.value for cell in answers[2]], strict=True))
    assert row["Item"] == "a.1"
    lines = row["Evidence (link or file)"].splitlines()
    # The file's name stays text; its caption stays on its line; the link opens it in the bot.
    assert lines[0].startswith(
        "'=law.pdf – Cyber law of 2025 (https://t.me/normsbot_test_bot?start=ev_"
    )
    assert lines[1] == "https://example.org/th/decree"
    assert row["Evidence type"].splitlines() == ["document", "link"]
    history = [[c.value for c in r] for r in book["History"].iter_rows(min_row=2)]
    assert [(r[4], r[5], r[6]) for r in history] == [
        ("Evidence", None, "'=law.pdf"),
        ("Evidence", None, "https://example.org/th/decree"),
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells_as_split_by(line: str, delimiter: str) -> list[str]:
    """The cells a spreadsheet makes of one CSV line when it splits on `delimiter` (its
    locale's list separator), honouring double quotes as every spreadsheet does."""
    cells, current, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == delimiter and not quoted:
            cells.append(current)
            current = ""
        else:
            current += char
    cells.append(current)
    return [
        cell[1:-1].replace('""', '"') if len(cell) > 1 and cell[0] == cell[-1] == '"' else cell
        for cell in cells
    ]


async def test_csv_cells_never_run_as_formulas_in_any_locale(harness: BotHarness):
    payloads = ['x;=1+1;=HYPERLINK("http://e")', "y;@SUM(A1)", "a,=1+1", '"=1"', "\t=1", "-2+3"]
    plain = "Laws 12, 14; decree 3"
    alice = await harness.enrol(2021, "TH", name="Alice")
    for comment in [*payloads, plain]:
        await alice.press_and_wait("Comment")
        await alice.send(comment)
        await alice.expect(lambda m: "Comment saved" in m.plain and is_prompt(m))
        await alice.press_and_wait("Implemented")

    documents = await _export(await harness.admin(), "TH")
    document = documents["normsbot-first-reporting-cycle-th-2026-03-02.csv"].document
    assert document is not None
    raw = await harness.tg.download(document["file_id"])
    text = raw.decode("utf-8-sig")
    comments = [row[9] for row in list(csv.reader(io.StringIO(text)))[1:] if row[9]]
    # The bot strips what people type: "\t=1" arrives as "=1".
    assert comments == ["'" + payload.strip() for payload in payloads] + [plain]
    for delimiter in (",", ";", "\t"):
        for line in text.splitlines():
            for cell in _cells_as_split_by(line, delimiter):
                assert not cell.startswith(FORMULA_STARTS), (delimiter, cell, line)


async def test_focal_point_exports_only_their_own_country(harness: BotHarness):
    alice = await harness.enrol(2011, "TH", name="Alice")
    await alice.press_and_wait("Implemented")
    bob = await harness.enrol(2012, "VN", name="Bob")
    await bob.press_and_wait("Planned")

    documents = await _export(alice)
    name = "normsbot-first-reporting-cycle-th-2026-03-02.xlsx"
    assert set(documents) == {name, name.replace(".xlsx", ".csv")}
    book = await _workbook(harness, documents[name])
    codes = {row[0].value for row in book["Answers"].iter_rows(min_row=2)}
    assert codes == {"TH"}
    assert {row[0].value for row in book["Countries x norms"].iter_rows(min_row=2)} == {"TH"}
    assert {row[1].value for row in book["History"].iter_rows(min_row=2)} == {"TH"}

    await bob.command("export", "everything")
    await bob.expect("Usage: /export for your country's answers")
    before = len(await bob.messages())
    await bob.command("export", "TH")
    refusal = await bob.expect("your own country")
    assert "🔒" in refusal.plain
    assert not _documents((await bob.messages())[before:])


async def test_strangers_and_focal_points_get_no_chart(harness: BotHarness):
    stranger = await harness.user(2021, "Eve")
    await stranger.command("export")
    await stranger.expect("ask your coordinator for an invite")
    await stranger.command("chart")
    await stranger.expect("ask your coordinator for an invite")
    assert not [m for m in await stranger.messages() if m.document or m.photo]

    alice = await harness.enrol(2022, "TH")
    await alice.command("chart")
    await alice.expect("Only coordinators can do this.")
    assert not [m for m in await alice.messages() if m.document or m.photo]


async def test_bad_arguments_are_explained(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("export", "XX")
    await admin.expect("Unknown country code “XX”")
    await admin.command("export", "99")
    unknown = await admin.expect("There is no reporting cycle number 99.")
    assert "#1 First reporting cycle · open since Mar 2, 2026" in unknown.plain
    await admin.command("export", "TH", "VN")
    usage = await admin.expect("Usage: /export")
    assert "Reporting cycles" in usage.plain and "#1 First reporting cycle" in usage.plain
    await admin.command("export", "<b>")
    await admin.expect("Usage: /export")
    assert not [m for m in await admin.messages() if m.document]

    documents = await _export(admin, "th", "#1")
    assert "normsbot-first-reporting-cycle-th-2026-03-02.xlsx" in documents


async def test_taps_are_answered_while_an_export_is_built(harness: BotHarness):
    # A large region (300 countries with their history) makes the export take a while: its
    # rows are read in a database thread, its files written in a worker process, and the focal
    # point's taps come back before the files do. (tests/test_charts.py shows the same for the
    # CPU-heavy part alone, where a chart drawn in the bot's own process makes it fail.)
    checklist = harness.runtime.checklists.default()
    seed_region(harness.db, checklist, countries=300, cycles=1, answered_share=0.5)
    alice = await harness.enrol(2031, "TH", name="Alice")
    admin = await harness.admin()
    await admin.command("export")
    # The export has started once the chat shows "sending a file..."
    for _ in range(100):
        actions = [
            call
            for call in await harness.tg.calls("sendChatAction")
            if call["chat_id"] == admin.id and call["params"].get("action") == "upload_document"
        ]
        if actions:
            break
        await admin.wait_for_change(timeout=0.1)
    assert actions, "the export never started"
    assert not [m for m in await admin.messages() if m.document]

    shown = [await alice.press_and_wait("Implemented", timeout=30) for _ in range(3)]
    assert all(is_prompt(message) for message in shown)

    documents = await _export_arrived(admin)
    assert shown[-1].seq < min(message.seq for message in documents)


async def _export_arrived(user: FakeUser) -> list[Msg]:
    for _ in range(300):
        documents = [m for m in await user.messages() if m.document]
        if len(documents) == 2:
            return documents
        await user.wait_for_change(timeout=1)
    raise AssertionError("the export never arrived")


# --------------------------------------------------------------------------- the service


def test_access_is_decided_in_the_service(database: Database, tmp_path: Path):
    checklist = write_checklist(tmp_path, items=11)
    registry = ChecklistRegistry([checklist])
    region = seed_region(database, checklist, countries=3, cycles=2)
    with database.session() as session:
        person = session.exec(select(Person).where(Person.country_code == "KH")).one()
        focal_point = actor_of(session, person, checklist.id)

    everything = database.read(build_export, actor=region.coordinator, checklists=registry, now=_T)
    assert everything.countries == tuple(sorted(everything.countries))
    assert len(everything.countries) == 11  # every member state, answered or not
    assert len(everything.answers) == 11 * 11
    one = database.read(
        build_export, actor=region.coordinator, checklists=registry, now=_T, country_code="ID"
    )
    assert {row.country_code for row in one.answers} == {"ID"}

    own = database.read(build_export, actor=focal_point, checklists=registry, now=_T)
    assert own.country_code == "KH"
    assert {row.country_code for row in own.answers} == {"KH"}
    assert {row.country_code for row in own.history} == {"KH"}
    assert [row.country_code for row in own.matrix] == ["KH"]
    with pytest.raises(PermissionDenied):
        database.read(
            build_export, actor=focal_point, checklists=registry, now=_T, country_code="ID"
        )
    older = database.read(
        build_export, actor=focal_point, checklists=registry, now=_T, cycle_id=region.cycle_ids[0]
    )
    assert older.cycle.closed_at is not None
    assert all(row.status is not None for row in older.answers)  # the old cycle is complete


def test_export_data_crosses_to_a_worker_process_unchanged(database: Database, tmp_path: Path):
    checklist = write_checklist(tmp_path, items=22)
    region = seed_region(database, checklist, countries=4, cycles=1, answered_share=0.5)
    data = database.read(
        build_export, actor=region.coordinator, checklists=ChecklistRegistry([checklist]), now=_T
    )
    assert any(row.answered_at is None for row in data.answers)  # unanswered items
    copy = pickle.loads(pickle.dumps(data))
    assert copy == data
    assert copy.history[0].changed_at == data.history[0].changed_at
    assert copy.history[0].changed_at is not None
    assert copy.history[0].changed_at.tzinfo is not None
    empty = replace(data, answers=(), history=())
    assert pickle.loads(pickle.dumps(empty)) == empty


# --------------------------------------------------------------------------- pieces


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+41 22 917 1234", "'+41 22 917 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        # A separator or a quote before a formula: Excel in a locale that splits on ";" (or a
        # text import that splits on ",") would start a new cell there.
        ('x;=1+1;=HYPERLINK("http://e")', '\'x;=1+1;=HYPERLINK("http://e")'),
        ("a,=1+1", "'a,=1+1"),
        ("a; -1", "'a; -1"),
        ('"=1"', '\'"=1"'),
        ("Adopted in 2024 = done", "Adopted in 2024 = done"),
        ("Laws 12, 14; decree 3", "Laws 12, 14; decree 3"),
        ('The "Cyber Act", 2024', 'The "Cyber Act", 2024'),
        ("ตามมติ", "ตามมติ"),
        ("", ""),
    ],
)
def test_neutralise_formula_like_text(value: str, shown: str):
    assert neutralise(value) == shown


def test_file_names_are_ascii_with_cycle_and_day():
    cycle = ReportCycle(7, "Cycle 2026 – Bangkok/ADGMIN", _T, None, None)
    assert export_file_name(cycle, None, date(2026, 3, 2), "xlsx") == (
        "normsbot-cycle-2026-bangkok-adgmin-2026-03-02.xlsx"
    )
    thai = ReportCycle(7, "รอบรายงาน ๒๕๖๙", _T, None, None)
    assert export_file_name(thai, "TH", date(2026, 3, 2), "csv") == (
        "normsbot-cycle-7-th-2026-03-02.csv"
    )
    assert slug("Ça va — Viet Nam's report") == "ca-va-viet-nam-s-report"


_T = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_workbook_keeps_text_exact_and_drops_what_xml_cannot_hold():
    rows: list[list[object]] = [
        ["  spaces kept  ", "line one\nline two", "bell\x07gone", 0.25, _T, True, None, 12],
    ]
    columns = [Column(f"c{n}") for n in range(8)]
    columns[3] = Column("share", format=Format.PERCENT)
    content = write_workbook([Sheet("Data: 1/2 [x]", columns, rows)])  # type: ignore[arg-type]
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Data  1 2  x"]
    sheet = book.active
    assert sheet is not None
    values = [cell.value for cell in sheet[2]]
    assert values == [
        "  spaces kept  ",
        "line one\nline two",
        "bellgone",
        0.25,
        datetime(2026, 3, 2, 3, 0),
        True,
        None,
        12,
    ]
    assert sheet["D2"].number_format == "0%"
    assert sheet["E2"].number_format == "yyyy\\-mm\\-dd\\ hh:mm"
    assert sheet["A1"].font.b is True
    assert sheet.auto_filter.ref == "A1:H2"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_workbook_keeps_text_shaped_like_rich_text_markup():
    # XlsxWriter copies a string shaped "<r>...</r>" into the XML as rich-text markup, unescaped:
    # typed as a comment, it must neither break the workbook nor become markup.
    rows = [["<r>a & b</r>", "<r><t>injected</t></r>", "<r></r>", "\ud800 lone surrogate"]]
    content = write_workbook([Sheet("Data", [Column(f"c{n}") for n in range(4)], rows)])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [cell.value for cell in sheet[2]] == [
        "<r>a & b</r>",
        "<r><t>injected</t></r>",
        "<r></r>",
        " lone surrogate",
    ]


def test_sheet_names_are_made_valid_and_unique():
    long = "A very long sheet name that Excel would refuse"
    assert sheet_names(["History", "history", "", long, "a*b?c"]) == [
        "History",
        "history (2)",
        "Sheet3",
        long[:31],
        "a b c",
    ]


def test_workbook_keeps_every_column_and_the_header_of_an_empty_sheet():
    # The writer takes a sheet's header row from its rows: an empty sheet keeps its header, and
    # two columns with the same header stay two columns.
    columns = [Column("Code"), Column("Code"), Column("When", format=Format.DATETIME)]
    empty = Sheet("Empty", columns, [])
    full = Sheet("Full", columns, [["a", "=1+1", _T], ["b"]])
    book = openpyxl.load_workbook(io.BytesIO(write_workbook([empty, full])))
    assert [cell.value for cell in book["Empty"][1]] == ["Code", "Code (2)", "When"]
    assert list(book["Full"].values) == [
        ("Code", "Code (2)", "When"),
        ("a", "=1+1", datetime(2026, 3, 2, 3, 0)),
        ("b", None, None),
    ]
    assert book["Full"]["B2"].data_type == "s"  # text, never a formula
