"""/report: the national report as PDF, and the blank questionnaire.

Through the real bot: the PDF arrives by sendDocument, is fetched from the fake Bot API like the
/export files, and its text is read back with pypdf.
"""

from __future__ import annotations

import io
import shutil
import unicodedata
from pathlib import Path

import pypdf
import pytest

from bot.checklist import bundled_checklist_dir
from bot.i18n import Translator
from bot.services.pdf import breakable
from fakegram import FakeUser, Msg
from tests.harness import BotHarness, is_prompt

pytestmark = pytest.mark.db

THAI_COMMENT = "ตามมติคณะรัฐมนตรี พ.ศ. 2567 & <ทดสอบ>"
VIETNAMESE_COMMENT = "Theo Nghị quyết số 12/NQ-CP, đã ban hành năm 2024"
LINK = "https://example.org/policy.pdf"


def plain(text: str) -> str:
    """Text as compared: what a PDF viewer adds between glyphs (control and format characters,
    such as the break points the report puts into Thai) left out, spaces collapsed, and
    compatibility forms decomposed (the PDF writes Thai sara am as the two characters it is
    drawn with)."""
    text = unicodedata.normalize("NFKD", text)
    kept = "".join(char for char in text if unicodedata.category(char) not in ("Cc", "Cf"))
    return " ".join(kept.split())


async def pdf_documents(user: FakeUser) -> list[Msg]:
    return [
        m for m in await user.messages() if m.document and m.document["file_name"].endswith(".pdf")
    ]


async def report(harness: BotHarness, user: FakeUser, *args: str) -> tuple[Msg, str]:
    """`/report ARGS`, then the PDF it sends and the PDF's text."""
    before = len(await pdf_documents(user))
    await user.command("report", *args)
    for _ in range(60):
        documents = await pdf_documents(user)
        if len(documents) > before:
            message = documents[-1]
            assert message.document is not None
            assert message.document["file_name"].endswith(".pdf")
            content = await harness.tg.download(message.document["file_id"])
            reader = pypdf.PdfReader(io.BytesIO(content))
            return message, plain("\n".join(page.extract_text() for page in reader.pages))
        await user.wait_for_change(timeout=2)
    raise AssertionError("no PDF arrived")


async def answer_first_item(user: FakeUser, status: str, comment: str) -> None:
    """Comment, a link and a status on the first item (the buttons in the person's language)."""
    t = translator_of(user)
    await user.press_and_wait(t.gettext("Comment"))
    await user.send(comment)
    await user.expect(lambda m: is_prompt(m))
    await user.press_and_wait(t.gettext("Evidence"))
    await user.send(LINK)
    await user.expect(lambda m: is_prompt(m))
    await user.press_and_wait(status)


_TRANSLATORS: dict[int, Translator] = {}


def translator_of(user: FakeUser) -> Translator:
    return _TRANSLATORS[user.id]


async def enrol(harness: BotHarness, user_id: int, country: str, locale: str, **kw) -> FakeUser:
    t = harness.runtime.i18n.translator(locale)
    languages = {"en": "English", "vi": "Tiếng Việt", "th": "ไทย", "my": "မြန်မာ"}
    user = await harness.enrol(
        user_id, country, language=languages[locale], language_code=locale, **kw
    )
    _TRANSLATORS[user.id] = t
    return user


async def test_focal_point_gets_the_report_in_vietnamese(harness: BotHarness):
    hoa = await enrol(harness, 3101, "VN", "vi", name="Hoa")
    t = translator_of(hoa)
    implemented = t.pgettext("status", "Implemented")
    await answer_first_item(hoa, implemented, VIETNAMESE_COMMENT)
    await hoa.press_and_wait(t.pgettext("status", "Planned"))  # a.2

    message, text = await report(harness, hoa)
    assert message.document is not None
    assert message.document["file_name"].endswith("-vn-2026-03-02.pdf")
    assert "Hoa" in message.plain or "Việt Nam" in message.plain  # the caption
    assert plain(t.gettext("National report: {country}").format(country="Việt Nam")) in text
    assert plain(implemented) in text
    assert plain(t.pgettext("status", "Planned")) in text
    assert plain(VIETNAMESE_COMMENT) in text
    assert LINK in text
    assert plain(t.gettext("Draft: not submitted yet.")) in text
    assert plain(t.pgettext("status", "Open")) in text  # a.3 and the rest
    assert "Draft instrument" not in text  # the norms checklist is no draft
    # Every item is there, the cover and the progress per theme too.
    checklist = harness.runtime.checklists.default()
    assert all(item.id in text for item in checklist.items)
    assert plain(t.gettext("Progress per theme")) in text


async def test_thai_report_keeps_thai_words_and_a_coordinator_names_the_country(
    harness: BotHarness,
):
    somchai = await enrol(harness, 3102, "TH", "th", name="Somchai")
    t = translator_of(somchai)
    implemented = t.pgettext("status", "Implemented")
    await answer_first_item(somchai, implemented, THAI_COMMENT)

    _, text = await report(harness, somchai)
    assert plain(implemented) in text
    assert plain(THAI_COMMENT) in text
    assert plain(t.gettext("Comment")) in text

    coordinator = await harness.enrol_coordinator(3190, name="Coordinator")
    _, text = await report(harness, coordinator, "th")
    assert "Thailand" in text and plain(THAI_COMMENT) in text
    assert "Implemented" in text  # in the coordinator's language


async def test_a_focal_point_cannot_get_another_countrys_report(harness: BotHarness):
    somchai = await enrol(harness, 3103, "TH", "en", name="Somchai")
    await somchai.command("report", "VN")
    await somchai.expect("You can only see your own country's report.")
    await somchai.command("report", "norms", "TH", "extra")
    await somchai.expect(
        lambda m: "“extra” is neither an instrument nor a country code." in m.plain
    )
    assert not await pdf_documents(somchai)

    coordinator = await harness.enrol_coordinator(3191, name="Coordinator")
    await coordinator.command("report")
    reply = await coordinator.expect("Usage: /report TH")
    assert "norms" in reply.plain  # the instruments' words
    await coordinator.command("report", "XX")
    await coordinator.expect(lambda m: "XX" in m.plain)
    assert not await pdf_documents(coordinator)


async def test_blank_report_has_the_questions_and_no_answers(harness: BotHarness):
    somchai = await enrol(harness, 3104, "TH", "en", name="Somchai")
    await answer_first_item(somchai, "Implemented", "A comment nobody should see")

    _, text = await report(harness, somchai, "TH", "blank")  # the country changes nothing
    checklist = harness.runtime.checklists.default()
    first = checklist.items[0]
    assert "Blank questionnaire" in text
    assert plain(first.text)[:60] in text
    assert "A comment nobody should see" not in text
    assert LINK not in text
    assert "Not started" in text  # the possible answers, listed once on the cover
    # What each question means travels with it: the reader has no bot to ask.
    assert plain(first.explanation)[:60] in text


@pytest.fixture
def draft_checklists(tmp_path: Path) -> Path:
    folder = tmp_path / "checklist"
    folder.mkdir()
    shutil.copy(bundled_checklist_dir() / "asean-norms.yaml", folder)
    (folder / "trial.yaml").write_text(
        """
id: trial-instrument
version: "0.1"
title: "Trial instrument"
short_name: trial
draft: true
source: "tests"
source_language: en
statuses: [implemented, in_progress, not_started]
themes:
  - id: one
    label: "First theme"
    summary: "What the first theme is about."
    items:
      - id: one.1
        text: "The country has a trial policy."
        explanation: "Counts if it does."
""",
        encoding="utf-8",
    )
    return folder


async def test_a_draft_instrument_is_marked_in_its_pdf(fake_api, tg, database, draft_checklists):
    async with BotHarness(fake_api, tg, database, checklist_dir=draft_checklists) as harness:
        somchai = await enrol(harness, 3105, "TH", "en", name="Somchai")
        _, text = await report(harness, somchai, "trial", "blank")
        assert "Draft instrument: the wording is not official." in text
        assert "The country has a trial policy." in text
        _, norms = await report(harness, somchai, "blank")
        assert "Draft instrument" not in norms


def test_long_unspaced_runs_break_only_between_clusters():
    thai = "ดำเนินการแล้วดำเนินการแล้วกำลังดำเนินการ"
    broken = breakable(thai)
    assert broken.replace("\u200b", "") == thai
    for piece in broken.split("\u200b"):
        assert not unicodedata.category(piece[0]).startswith("M")  # no mark starts a line
        assert piece[-1] not in "เแโใไ"  # a leading vowel stays with its consonant
        assert piece[0] not in "ะาำ"  # so does a following one
    khmer = "ការគាំទ្រដែលត្រូវការការគាំទ្រ"
    for piece in breakable(khmer).split("\u200b")[1:]:
        assert not unicodedata.category(piece[0]).startswith("M")
    assert "\u17d2\u200b" not in breakable(khmer)  # coeng keeps the consonant it stacks
    assert breakable("short words stay as they are") == "short words stay as they are"


async def test_the_cover_says_who_submitted_and_signed_off_and_a_lead_gets_their_country(
    harness: BotHarness,
):
    from tests.test_coordinators import fill_answers

    somchai = await enrol(harness, 3106, "TH", "en", name="Somchai")
    lead = await enrol(harness, 3107, "TH", "en", name="Lek", national_lead=True)
    fill_answers(harness, "TH")
    await somchai.command("submit")
    await somchai.expect("is submitted")
    _, text = await report(harness, lead)
    assert "Submitted by Somchai on" in text
    await lead.command("signoff")
    await lead.expect("You signed off")
    _, text = await report(harness, lead, "TH")
    assert "Signed off by Lek on" in text
    assert "Draft: not submitted yet." not in text
    await lead.command("report", "VN")
    await lead.expect("You can only see your own country's report.")


def test_report_words_in_any_order_and_what_is_not_understood():
    from bot.checklist import ChecklistRegistry
    from bot.telegram.handlers.reports import ReportRequest, parse_report_request

    checklists = ChecklistRegistry.bundled()
    norms = checklists.default()
    assert parse_report_request([], checklists) == ReportRequest(norms)
    assert parse_report_request(["th"], checklists) == ReportRequest(norms, "TH")
    assert parse_report_request(["TH", "norms"], checklists) == ReportRequest(norms, "TH")
    assert parse_report_request(["blank", "norms"], checklists) == ReportRequest(norms, blank=True)
    assert parse_report_request(["TH", "VN"], checklists) == "VN"  # one country at a time
    assert parse_report_request(["norms", "norms"], checklists) == "norms"
    assert parse_report_request(["Thailand"], checklists) == "Thailand"


async def test_every_page_says_its_number_and_the_count_in_burmese(harness: BotHarness):
    # The page label's digits follow Burmese text, whose font has no digits: fpdf2's total
    # pages placeholder was lost when the label was written in that font.
    thida = await enrol(harness, 3105, "MM", "my", name="Thida")
    message, _ = await report(harness, thida, "blank")
    assert message.document is not None
    content = await harness.tg.download(message.document["file_id"])
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    label = translator_of(thida).gettext("Page {page} of {pages}")
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert label.format(page=number, pages=len(pages)) in page.extract_text()


async def test_the_report_shows_the_support_a_country_asks_for(harness: BotHarness):
    nguyen = await enrol(harness, 3106, "VN", "vi", name="Nguyen")
    t = translator_of(nguyen)
    await nguyen.press_and_wait(t.gettext("Need support"))
    await nguyen.press_and_wait(t.pgettext("support kind", "Training"))
    await nguyen.send("Cần đào tạo <CERT> & pháp chế")
    await nguyen.expect(lambda m: t.gettext("Support needs saved.") in m.plain)

    _, text = await report(harness, nguyen)
    assert plain(t.gettext("Support needed")) in text
    assert plain(t.pgettext("support kind", "Training")) in text
    assert plain("Cần đào tạo <CERT> & pháp chế") in text
