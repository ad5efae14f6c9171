"""Capacity needs: a focal point says on an item which support their country needs (kinds and a
short note), every change is kept in the answer's history, a colleague's needs are never
replaced unseen; coordinators see the regional picture with /needs, in the export's Needs sheet
and in a chart.

Through the real application and the fake Bot API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from dataclasses import replace

import openpyxl
import pytest
from sqlmodel import col, select

from bot.checklist import ChecklistRegistry
from bot.i18n import I18n
from bot.models import Answer, Cycle
from bot.services import needs
from bot.services.errors import NotYourCountry, UnknownNeedsWord
from bot.views.needs import render_needs
from fakegram import FakeUser, Msg
from tests.harness import BotHarness, is_prompt, item_id_of
from tests.test_charts import png_size
from tests.test_colleagues import BOB, _answer, _history

NOTE = "<b>Drafting</b> help & a =1+1 workshop"
NOTE_HTML = "&lt;b&gt;Drafting&lt;/b&gt; help &amp; a =1+1 workshop"


def _is_support_screen(message: Msg) -> bool:
    return message.has_button("Done") and message.has_button("Training")


def _is_question(message: Msg) -> bool:
    return message.has_button("Keep theirs") and message.has_button("Use mine")


async def _open_support(user: FakeUser) -> Msg:
    screen = await user.press_and_wait("Need support")
    assert _is_support_screen(screen), screen.plain
    return screen


# --------------------------------------------------------------------------- on the item


async def test_adding_changing_and_removing_needs_records_history(harness: BotHarness):
    alice = await harness.enrol(6001, "TH", name="Alice")
    me = harness.actor(6001).person_id
    screen = await _open_support(alice)
    assert "▫️ Training" in [b.text for b in screen.buttons()]
    assert not screen.has_button("Remove all")  # nothing to remove yet

    shown = await alice.press_and_wait("Training")
    assert "Support needs saved" in shown.plain and _is_support_screen(shown)
    assert "✅ Training" in [b.text for b in shown.buttons()]
    shown = await alice.press_and_wait("Funding")
    assert "Support needed: Training, Funding" in shown.plain
    await alice.send(NOTE)
    noted = await alice.expect(lambda m: "Support needs saved" in m.plain and _is_support_screen(m))
    assert NOTE_HTML in (noted.html or "")  # the note is data: escaped, never markup
    shown = await alice.press_and_wait("✅ Training")  # a second tap takes it away
    assert "Support needed: Funding" in shown.plain

    item = await alice.press_and_wait("Done")  # back to the item, which shows the needs
    assert is_prompt(item) and item_id_of(item) == "a.1"
    assert "Support needed: Funding" in item.plain and NOTE_HTML in (item.html or "")
    await alice.command("review")
    await alice.expect("Your answers by norm")
    listed = await alice.press_and_wait("a 0/4")  # norm a's list marks the item
    assert next(line for line in listed.plain.splitlines() if " a.1 " in line).endswith("🆘")
    await alice.press_and_wait("Back to the item")
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    assert (answer.support_kinds, answer.support_note, answer.status) == ("funding", NOTE, None)

    await _open_support(alice)
    removed = await alice.press_and_wait("Remove all")
    assert "Support needs removed" in removed.plain and is_prompt(removed)
    assert "Support needed" not in removed.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and (answer.support_kinds, answer.support_note) == (None, None)
    assert _history(harness, "a.1", "support_kinds") == [
        (None, "training", me),
        ("training", "training,funding", me),
        ("training,funding", "funding", me),
        ("funding", None, me),
    ]
    assert _history(harness, "a.1", "support_note") == [(None, NOTE, me), (NOTE, None, me)]


async def test_a_stale_needs_button_changes_nothing(harness: BotHarness):
    alice = await harness.enrol(6011, "TH", name="Alice")
    screen = await _open_support(alice)
    old = next(b.callback_data for b in screen.buttons() if "Training" in b.text)
    assert old is not None and old.startswith("a:s1:")
    await alice.press_and_wait("Training")  # on, with the fresh button
    await alice.press_and_wait("Training")  # off again
    # The first screen's "Training" (on) pressed once more: its version is gone.
    await alice.press(old, message_id=screen.message_id, force=True)
    await asyncio.sleep(0.3)  # time for a (wrong) write to land
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.support_kinds is None
    assert [row[1] for row in _history(harness, "a.1", "support_kinds")] == ["training", None]


async def test_a_long_note_is_refused_and_nothing_changes(harness: BotHarness):
    alice = await harness.enrol(6021, "TH", name="Alice")
    await _open_support(alice)
    await alice.send("x" * (needs.NOTE_MAX + 1))
    await alice.expect(str(needs.NOTE_MAX))
    answer = _answer(harness, "TH", "a.1")
    assert answer is None or answer.support_note is None


async def test_status_names_a_change_of_the_needs_in_the_reader_s_words(harness: BotHarness):
    alice = await harness.enrol(6031, "TH", name="Alice")
    await _open_support(alice)
    await alice.press_and_wait("Training")
    admin = await harness.admin()
    await admin.command("status", "TH")
    status = await admin.expect("Recent changes")
    assert "support needs" in status.plain and "support_kinds" not in status.plain


# --------------------------------------------------------------------------- colleagues


async def _colleagues(harness: BotHarness) -> tuple[FakeUser, FakeUser]:
    alice = await harness.enrol(6101, "TH", name="Alice")
    bob = await harness.enrol(6102, "TH", name=BOB)
    return alice, bob


async def test_a_colleague_s_needs_never_block_a_status_tap(harness: BotHarness):
    alice, bob = await _colleagues(harness)
    alice_screen = await alice.last()
    await _open_support(bob)
    await bob.press_and_wait("Technical")
    shown = await alice.press_and_wait("Implemented", message_id=alice_screen.message_id)
    assert not _is_question(shown) and "Recorded: Implemented" in shown.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    assert (answer.status, answer.support_kinds) == ("implemented", "technical")


async def test_a_kind_added_beside_a_colleague_s_keeps_theirs_and_names_them(
    harness: BotHarness,
):
    alice, bob = await _colleagues(harness)
    alice_screen = await _open_support(alice)
    await _open_support(bob)
    await bob.press_and_wait("Technical")
    shown = await alice.press_and_wait("Training", message_id=alice_screen.message_id)
    assert "Bob &lt;Lee&gt; &amp; Co also changed the support needs" in (shown.html or "")
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.support_kinds == "technical,training"


async def test_a_note_crossing_a_colleague_s_asks_keep_theirs_or_use_mine(harness: BotHarness):
    alice, bob = await _colleagues(harness)
    await _open_support(alice)
    await _open_support(bob)
    await bob.send("Bob's note")
    await bob.expect("Support needs saved")
    await alice.send("Alice's note")
    asked = await alice.expect(_is_question)
    assert "Bob's note" in asked.plain and "Alice's note" in asked.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.support_note == "Bob's note"
    used = await alice.press_and_wait("Use mine")
    assert "Support needs saved" in used.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.support_note == "Alice's note"


async def test_removing_needs_a_colleague_changed_asks_first(harness: BotHarness):
    alice, bob = await _colleagues(harness)
    await _open_support(alice)
    alice_screen = await alice.press_and_wait("Funding")
    await _open_support(bob)
    await bob.press_and_wait("Policy")
    asked = await alice.press_and_wait("Remove all", message_id=alice_screen.message_id)
    assert _is_question(asked), asked.plain
    assert "Policy or legal drafting" in asked.plain and "no support needed" in asked.plain
    kept = await alice.press_and_wait("Keep theirs")
    assert is_prompt(kept)
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.support_kinds == "policy,funding"


# --------------------------------------------------------------------------- /needs


def _seed(harness: BotHarness, rows: Sequence[tuple[str, str, str | None, str | None]]) -> None:
    """(country, item, kinds, note) on the open cycle, as if focal points had said so."""
    with harness.db.session() as session:
        cycle = session.exec(select(Cycle).where(col(Cycle.closed_at).is_(None))).one()
        for country, item_id, kinds, note in rows:
            session.add(
                Answer(
                    cycle_id=cycle.id,  # type: ignore[arg-type]
                    country_code=country,
                    item_id=item_id,
                    support_kinds=kinds,
                    support_note=note,
                )
            )


REGION = [
    ("TH", "f.1", "training", None),
    ("TH", "f.2", "training,funding", "<i>two</i> & more"),
    ("VN", "f.1", "training", None),
    ("PH", "b.1", "policy", None),
    ("PH", "f.1", "training,technical", None),
    ("VN", "b.2", "technical", '=HYPERLINK("x")'),
    ("SG", "b.1", "policy", None),
    ("VN", "f.2", "funding", None),
    ("VN", "f.3", "funding", None),
    ("VN", "b.3", "technical", None),
    ("VN", "b.4", "technical", None),
]


def _lines(message: Msg) -> list[str]:
    return [line for line in message.plain.splitlines() if line.startswith("•")]


async def test_needs_are_aggregated_most_requested_first_and_filtered(harness: BotHarness):
    admin = await harness.admin()
    _seed(harness, REGION)
    await admin.command("needs")
    shown = await admin.expect("Support needs")
    assert "11 items ask for support, from 4 countries." in shown.plain
    # Most countries first, then most items, then the checklist's and the kinds' order:
    # Viet Nam's three items of b/technical come after b/policy's two countries.
    assert [(line[2], line.split(" · ")[-1]) for line in _lines(shown)] == [
        ("f", "Training: Thailand (2), Philippines (1), Viet Nam (1)"),
        ("f", "Funding: Viet Nam (2), Thailand (1)"),
        ("b", "Policy or legal drafting: Philippines (1), Singapore (1)"),
        ("b", "Technical: Viet Nam (3)"),
        ("f", "Technical: Philippines (1)"),
    ]

    await admin.command("needs", "b")
    only_b = await admin.expect("Theme b:")
    assert all(line.startswith("• b ") for line in _lines(only_b)) and len(_lines(only_b)) == 2

    await admin.command("needs", "norms", "TH")
    th = await admin.expect(lambda m: "Support needs" in m.plain and "Thailand" in m.plain)
    assert "Viet Nam" not in th.plain and "Philippines" not in th.plain
    assert "&lt;i&gt;two&lt;/i&gt; &amp; more" in (th.html or "")  # a note is escaped

    await admin.command("needs", "nonsense")
    await admin.expect("I do not understand “nonsense”")
    await admin.command("needs", "norms", "f", "TH")
    await admin.expect("I do not understand “TH”")


async def test_a_focal_point_sees_only_their_own_country_s_needs(harness: BotHarness):
    alice = await harness.enrol(6201, "TH", name="Alice")
    _seed(harness, REGION)
    await alice.command("needs")
    own = await alice.expect("Support needs")
    assert "Thailand" in own.plain and "Viet Nam" not in own.plain
    await alice.command("needs", "VN")
    await alice.expect("You can only see your own country's report.")
    actor = harness.actor(6201)
    with harness.db.session() as session:
        with pytest.raises(NotYourCountry):
            needs.regional_needs(
                session, actor=actor, checklists=harness.runtime.checklists, words=["VN"]
            )
        with pytest.raises(UnknownNeedsWord):
            needs.regional_needs(
                session, actor=actor, checklists=harness.runtime.checklists, words=["zz9"]
            )
        picture = needs.regional_needs(
            session, actor=actor, checklists=harness.runtime.checklists, words=[]
        )
    assert {need.country_code for need in picture.items} == {"TH"}


async def test_the_needs_chart_renders(harness: BotHarness):
    admin = await harness.admin()
    _seed(harness, REGION)
    await admin.command("needs")
    await admin.expect("Support needs")
    await admin.press("Chart")
    photo = await admin.expect(lambda m: m.photo is not None, timeout=60)
    assert "Support needs" in photo.plain
    assert photo.photo is not None
    width, _ = png_size(await harness.tg.download(photo.photo["file_id"]))
    assert width == 1080


def test_the_chart_counts_items_per_country_and_theme() -> None:
    checklist = ChecklistRegistry.bundled().default()
    items = tuple(
        needs.ItemNeed(country, checklist.item(item).section_id, item, needs.parse_kinds(k), n)
        for country, item, k, n in REGION
    )
    picture = needs.NeedsPicture(
        checklist, 1, "", None, None, (), items, tuple(sorted({i.country_code for i in items}))
    )
    grid = needs.needs_grid(picture)
    assert grid.countries == ("PH", "SG", "TH", "VN")
    column = grid.section_ids.index("f")
    assert [row[column] for row in grid.counts] == [1, 0, 2, 3]
    assert sum(map(sum, grid.counts)) == len(REGION)


def test_a_draft_instrument_s_needs_say_so() -> None:
    checklist = ChecklistRegistry.bundled().default()
    picture = needs.NeedsPicture(checklist, 1, "", None, None, (), (), ())
    t = I18n().translator("en")
    assert "Draft instrument" not in render_needs(t, picture).text
    drafted = replace(picture, checklist=replace(checklist, draft=True))
    assert "Draft instrument: the wording is not official." in render_needs(t, drafted).text


# --------------------------------------------------------------------------- the export


async def test_the_export_has_a_needs_sheet(harness: BotHarness):
    admin = await harness.admin()
    _seed(harness, REGION)
    await admin.command("export")
    document = await admin.expect(
        lambda m: m.document is not None and "xlsx" in m.document["file_name"]
    )
    assert document.document is not None
    content = await harness.tg.download(document.document["file_id"])
    book = openpyxl.load_workbook(io.BytesIO(content))
    names = book.sheetnames
    assert names.index("Needs") == names.index("History") + 1  # the sheet list: test_exports
    sheet = book["Needs"]
    header = [cell.value for cell in sheet[1]]
    assert header == [
        "Code",
        "Country",
        "Norm",
        "Norm label",
        "Item",
        "Item text",
        "Support needed",
        "Support codes",
        "Note",
    ]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(row[0], row[4]) for row in rows] == [
        ("PH", "b.1"),
        ("PH", "f.1"),
        ("SG", "b.1"),
        ("TH", "f.1"),
        ("TH", "f.2"),
        ("VN", "b.2"),
        ("VN", "b.3"),
        ("VN", "b.4"),
        ("VN", "f.1"),
        ("VN", "f.2"),
        ("VN", "f.3"),
    ]
    by_key = {(row[0], row[4]): row for row in rows}
    assert by_key[("TH", "f.2")][6:] == [
        "Training, Funding",
        "training,funding",
        "<i>two</i> & more",
    ]
    assert by_key[("VN", "b.2")][8] == '\'=HYPERLINK("x")'  # text, never a formula
    assert all(
        cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value
    )


async def test_the_answers_sheet_and_the_csv_carry_each_answers_support(harness: BotHarness):
    """Tools that read the CSV (it is the answers sheet) see what help a country asks for, as
    the Needs sheet does: the kinds in the reader's language and the note, never a formula."""
    admin = await harness.admin()
    _seed(harness, REGION)
    await admin.command("export")
    # Both files, however they arrive: `expect` gives the newest match, so asking it twice
    # would give the CSV twice when both are already there.
    found: dict[str, Msg] = {}
    for _ in range(60):
        found = {
            m.document["file_name"].rsplit(".", 1)[1]: m
            for m in await admin.messages()
            if m.document
        }
        if len(found) == 2:
            break
        await admin.wait_for_change(timeout=2)
    assert sorted(found) == ["csv", "xlsx"]
    raw = await harness.tg.download(found["csv"].document["file_id"])  # type: ignore[index]
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][-2:] == ["Support needed", "Support note"]
    rows = {(row[0], row[4]): row for row in table[1:]}
    assert rows[("TH", "f.2")][-2:] == ["Training, Funding", "<i>two</i> & more"]
    assert rows[("VN", "b.2")][-1] == '\'=HYPERLINK("x")'  # text, never a formula
    assert rows[("TH", "a.1")][-2:] == ["", ""]  # no support asked for
    workbook = await harness.tg.download(found["xlsx"].document["file_id"])  # type: ignore[index]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["Answers"]
    assert [cell.value for cell in sheet[1]][-2:] == ["Support needed", "Support note"]
