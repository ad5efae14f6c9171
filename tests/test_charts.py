"""/chart: the heatmap a coordinator gets as a photo, its labels in their language (or a
readable fallback), and the bot staying responsive while it is drawn."""

from __future__ import annotations

import struct

import pytest
from sqlmodel import Session

from benchmarks.synthetic import seed_region, write_checklist
from bot.checklist import ChecklistRegistry
from bot.db import Database
from bot.i18n import I18n
from bot.services import charts
from bot.services.actors import actor_of
from bot.services.charts import (
    HeatmapData,
    HeatmapLabels,
    available_fonts,
    render_heatmap,
    resolve_labels,
)
from bot.services.errors import PermissionDenied
from bot.services.matrix import norm_matrix
from bot.views.reports import heatmap
from fakegram import FakeBotAPI, FakeTelegram
from tests.conftest import IN_CI
from tests.harness import START, BotHarness, is_prompt

THAI_TITLE = "การดำเนินการตามบรรทัดฐาน"
# matplotlib's mathtext would parse text between dollar signs, and fail on an unknown macro.
MATH_TITLE = "$\\undefinedmacro{x}$"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), data[:16]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _labels(rows: int, title: tuple[str, ...] = ("Implementation of the norms",)) -> HeatmapLabels:
    return HeatmapLabels(
        title=title,
        subtitle=("First reporting cycle · as of 2 Mar 2026",),
        rows=tuple((f"Country {n}", f"C{n}") for n in range(rows)),
        columns=(*((letter,) for letter in "abcdefghijk"), ("All",)),
        key=tuple((f"{letter}  Norm {letter}",) for letter in "abcdefghijk"),
        legend_title=("Share of items implemented, in %",),
        not_applicable=("n/a",),
        footnote=("Implemented items ÷ (items − not applicable).",),
    )


def _data(rows: int) -> HeatmapData:
    return HeatmapData(
        shares=tuple(
            tuple(None if (r + c) % 7 == 0 else ((r * 13 + c * 7) % 101) / 100 for c in range(12))
            for r in range(rows)
        ),
        norm_columns=11,
    )


# --------------------------------------------------------------------------- drawing


def test_eleven_countries_fit_a_phone_screen():
    png = render_heatmap(_data(11), _labels(11))
    width, height = png_size(png)
    assert width == 1080  # a phone's width in pixels
    assert 1200 <= height <= 1700  # one screen and a little scrolling
    assert width + height <= 10000  # Telegram's limit for a photo


def test_a_region_of_193_countries_still_renders_tall():
    png = render_heatmap(_data(193), _labels(193))
    width, height = png_size(png)
    assert width == 1080
    assert 5000 <= height <= 8900  # taller, and still within width + height <= 10000
    assert not charts.sends_as_photo(_data(193))  # Telegram would shrink it: sent as a file
    assert charts.sends_as_photo(_data(11))


def test_labels_are_drawn_as_plain_text_never_as_math():
    # Any label can hold text a person typed (cycle titles, country names): "$...$" must be
    # drawn as it reads, and an unknown macro must not break the chart for everyone.
    for math in ("$x^2$", MATH_TITLE, "$\\frac{1}{0", "$a$ & $b$"):
        labels = HeatmapLabels(
            title=(math,),
            subtitle=(f"{math} · as of 2 Mar 2026",),
            rows=tuple((f"{math} {n}",) for n in range(3)),
            columns=(*((f"${letter}$",) for letter in "abcdefghijk"), (math,)),
            key=tuple((f"{letter}  {math}",) for letter in "abcdefghijk"),
            legend_title=(math,),
            not_applicable=(math,),
            footnote=(math,),
        )
        assert png_size(render_heatmap(_data(3), labels))[0] == 1080


def test_labels_fall_back_to_english_then_codes_when_no_font_has_the_script():
    only_latin = available_fonts(families=["DejaVu Sans"])
    assert only_latin.families == ("DejaVu Sans",)
    labels = _labels(2, title=(THAI_TITLE, "Implementation of the norms"))
    labels = HeatmapLabels(
        **{
            **labels.__dict__,
            "rows": (("ประเทศไทย", "Thailand", "TH"), ("กัมพูชา", "ខ្មែរ", "KH")),
        }
    )
    resolved = resolve_labels(labels, only_latin)
    assert resolved.title == "Implementation of the norms"
    assert resolved.rows == ("Thailand", "KH")
    assert resolved.fell_back
    # A chart drawn that way is still a chart.
    assert png_size(render_heatmap(_data(2), labels, font_families=["DejaVu Sans"]))[0] == 1080

    nothing_fits = HeatmapLabels(**{**labels.__dict__, "title": ("ไทย", "ไทย")})
    assert resolve_labels(nothing_fits, only_latin).title == "???"  # never empty boxes


def test_installed_fonts_show_each_script_in_its_own_letters():
    fonts = available_fonts()
    scripts = {"Thai": "ประเทศไทย", "Khmer": "កម្ពុជា", "Lao": "ລາວ", "Burmese": "မြန်မာ"}
    missing = [name for name, sample in scripts.items() if not fonts.can_render(sample)]
    if missing:  # .ci/run installs them: in CI their absence is a failure
        problem = f"no font for {', '.join(missing)} here (apt-get install fonts-noto-core)"
        pytest.fail(problem) if IN_CI else pytest.skip(problem)
    labels = _labels(1, title=(THAI_TITLE, "Implementation of the norms"))
    resolved = resolve_labels(labels, fonts)
    assert resolved.title == THAI_TITLE
    assert not resolved.fell_back
    # Only the families the labels need are handed to matplotlib: fewer look-ups per text.
    needed = fonts.needed_for([THAI_TITLE, "Country 1"])
    assert needed[0] == "DejaVu Sans"
    assert len(needed) == 2
    assert fonts.needed_for(["Only Latin text, 100%"]) == ("DejaVu Sans",)


# --------------------------------------------------------------------------- the service


def test_the_matrix_counts_per_norm_and_leaves_not_applicable_out(database: Database, tmp_path):
    checklist = write_checklist(tmp_path, items=22, sections=11)
    registry = ChecklistRegistry([checklist])
    region = seed_region(database, checklist, countries=3, cycles=2, answered_share=0.5)
    matrix = database.read(
        norm_matrix, actor=region.coordinator, checklists=registry, cycle_id=None
    )
    assert matrix.cycle.cycle_id == region.open_cycle_id
    # Every country is a row, by code; those that never answered show nothing implemented.
    codes = [row.country_code for row in matrix.rows]
    assert len(codes) == 11 and codes == sorted(codes)
    assert set(region.countries) == {"BN", "KH", "ID"}
    silent = next(row for row in matrix.rows if row.country_code == "VN")
    assert (silent.total.answered, silent.total.share) == (0, 0.0)
    assert matrix.section_ids == tuple("abcdefghijk")
    with database.session() as session:
        expected = _count_by_hand(session, region.open_cycle_id, "BN")
    bn = next(row for row in matrix.rows if row.country_code == "BN")
    for section_id, cell in zip(matrix.section_ids, bn.cells, strict=True):
        implemented, not_applicable, answered = expected.get(section_id, (0, 0, 0))
        assert (cell.implemented, cell.not_applicable, cell.answered) == (
            implemented,
            not_applicable,
            answered,
        )
        assert cell.items == 2
        if not_applicable == 2:
            assert cell.share is None
        else:
            assert cell.share == pytest.approx(implemented / (2 - not_applicable))
    assert bn.total.answered == sum(cell.answered for cell in bn.cells)

    older = database.read(
        norm_matrix, actor=region.coordinator, checklists=registry, cycle_id=region.cycle_ids[0]
    )
    assert older.cycle.closed_at is not None
    # The closed cycles are complete for the countries of the region.
    assert [row.total.open for row in older.rows if row.country_code in region.countries] == [
        0,
        0,
        0,
    ]


def _count_by_hand(session: Session, cycle_id: int, country: str) -> dict[str, tuple[int, ...]]:
    from sqlmodel import select

    from bot.models import Answer

    counts: dict[str, list[int]] = {}
    for answer in session.exec(
        select(Answer).where(Answer.cycle_id == cycle_id, Answer.country_code == country)
    ):
        section = answer.item_id.split(".")[0]
        entry = counts.setdefault(section, [0, 0, 0])
        entry[0] += answer.status == "implemented"
        entry[1] += answer.status == "not_applicable"
        entry[2] += answer.status is not None
    return {key: tuple(value) for key, value in counts.items()}


def test_only_coordinators_get_the_matrix(database: Database, tmp_path):
    checklist = write_checklist(tmp_path, items=11)
    registry = ChecklistRegistry([checklist])
    seed_region(database, checklist, countries=2, cycles=1)
    from sqlmodel import select

    from bot.models import Person

    with database.session() as session:
        focal = session.exec(select(Person).where(Person.country_code == "BN")).first()
        assert focal is not None
        actor = actor_of(session, focal, checklist.id)
    with pytest.raises(PermissionDenied):
        database.read(norm_matrix, actor=actor, checklists=registry)


def test_the_view_orders_countries_by_name_and_offers_fallbacks(database: Database, tmp_path):
    checklist = write_checklist(tmp_path, items=11)
    registry = ChecklistRegistry([checklist])
    region = seed_region(database, checklist, countries=11, cycles=1)
    matrix = database.read(norm_matrix, actor=region.coordinator, checklists=registry)
    i18n = I18n()
    english = i18n.translator("en")
    data, labels = heatmap(english, english, matrix, now=START, tz="Asia/Bangkok")
    names = [row[0] for row in labels.rows]
    assert names == sorted(names, key=str.casefold)
    assert labels.rows[names.index("Thailand")][-1] == "TH"  # the last resort: the code
    assert len(data.shares) == 11 and all(len(row) == 12 for row in data.shares)
    assert labels.subtitle[0] == "Synthetic cycle 2024 · as of Mar 2, 2026"


# --------------------------------------------------------------------------- through the bot


async def test_coordinator_gets_the_heatmap_as_a_photo(harness: BotHarness):
    alice = await harness.enrol(3001, "TH")
    await alice.press_and_wait("Implemented")
    admin = await harness.admin()
    await admin.command("chart")
    photo = await admin.expect(lambda m: m.photo is not None, timeout=60)
    assert "Implementation of the norms" in photo.plain
    assert "11 countries, 11 norms" in photo.plain
    assert photo.photo is not None
    content = await harness.tg.download(photo.photo["file_id"])
    width, height = png_size(content)
    assert (width, photo.photo["width"]) == (1080, 1080)
    assert 1200 <= height <= 1700
    upload = [c for c in await harness.tg.calls("sendChatAction") if c["chat_id"] == admin.id]
    assert upload and upload[0]["params"]["action"] == "upload_photo"

    await admin.command("chart", "TH")
    await admin.expect("Usage: /chart")
    await admin.command("chart", "42")
    await admin.expect("There is no reporting cycle number 42.")


async def test_a_cycle_title_with_math_markup_still_gets_a_chart(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
):
    # The first cycle's title is a setting; a coordinator's /newcycle stores theirs the same way.
    async with BotHarness(fake_api, tg, database, first_cycle_title=MATH_TITLE) as bot:
        admin = await bot.admin()
        await admin.command("chart")
        photo = await admin.expect(lambda m: m.photo is not None or "wrong" in m.plain, timeout=60)
        assert photo.photo is not None, photo.plain
        assert MATH_TITLE in photo.plain


async def test_taps_are_answered_while_a_chart_is_drawn(harness: BotHarness):
    # 300 countries: the worker process takes a second or more to start and draw them. A focal
    # point who answers three items meanwhile gets each next item before the chart arrives.
    # Drawn in the bot's own process, the chart would hold every update back until it is done,
    # and at most the first tap (while the matrix is read) could come back before it.
    seed_region(harness.db, harness.runtime.checklists.default(), countries=300, cycles=1)
    alice = await harness.enrol(3011, "TH")
    admin = await harness.admin()
    await admin.command("chart")
    for _ in range(100):
        started = [
            call for call in await harness.tg.calls("sendChatAction") if call["chat_id"] == admin.id
        ]
        if started:
            break
        await admin.wait_for_change(timeout=0.05)
    assert started, "the chart was never started"

    shown = [await alice.press_and_wait("Implemented", timeout=60) for _ in range(3)]
    assert all(is_prompt(message) for message in shown)
    chart = await admin.expect(lambda m: m.document is not None, timeout=60)
    assert chart.document is not None and chart.document["file_name"].endswith(".png")
    assert shown[-1].seq < chart.seq
    png = await harness.tg.download(chart.document["file_id"])
    assert png_size(png)[0] == 1080
