"""Every screen in every shipped locale: complete texts that fit Telegram and a phone.

The screens are rendered through the view functions with realistic data (the bundled
checklist's longest item, long names and comments, every notice and error) for each locale
listed in `locales/LINGUAS`, and for a pseudo-locale built from the texts Babel extracts from
the code, in which every translatable letter is swapped for an accented look-alike: a plain
English word left on a pseudo-locale screen is a text the translators can never reach.

Then locale negotiation, dates and numbers, and the per-language command menus registered
with setMyCommands, the latter through the real bot against the fake Bot API.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import NullTranslations, Translations
from telegram import InlineKeyboardMarkup

from bot.checklist import ASEAN_NORMS_ID, Checklist, ChecklistRegistry, bundled_checklist_dir
from bot.countries import ASEAN_MEMBER_STATES
from bot.i18n import LOCALES, I18n, LocaleInfo, Translator, negotiate, shipped_locales
from bot.models import Awaiting, Role
from bot.services import errors as service_errors
from bot.services.actors import Actor
from bot.services.colleagues import ColleagueChange
from bot.services.cycles import CycleInfo, CycleOverview, DaysLeft, DraftView
from bot.services.enrolment import CreatedInvite, InviteRow
from bot.services.erasure import ErasePreview
from bot.services.evidence import EvidenceEntry
from bot.services.needs import SUPPORT_KINDS, ItemNeed, NeedGroup, NeedsPicture
from bot.services.people import PersonRow
from bot.services.reporting import (
    AnswerState,
    Conflict,
    DoneScreen,
    ItemScreen,
    Notice,
    Progress,
    ReviewItem,
    ReviewSection,
    SectionProgress,
)
from bot.services.summaries import CountryRow, RegionalSummary
from bot.telegram.common import CALLBACK_ANSWER_MAX
from bot.telegram.menus import commands_for
from bot.views import (
    answering,
    audit,
    coordinators,
    cycles,
    digests,
    general,
    reminders,
    summaries,
)
from bot.views import needs as needs_views
from bot.views.callbacks import MAX_BYTES
from bot.views.common import MAX_MESSAGE, Rendered, instrument_title, split_text
from bot.views.errors import error_text, invite_text, stranger_text
from fakegram.html import parse_html, utf16_len
from tests.button_widths import LabelFonts, find_label_fonts, label_budget
from tests.conftest import IN_CI
from tests.harness import BotHarness
from tools.i18n_check import extract_template

REPO = Path(__file__).resolve().parent.parent
LOCALES_DIR = REPO / "locales"
SHIPPED = shipped_locales(LOCALES_DIR) or ["en"]
PSEUDO = "pseudo"
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


# --- Translators that remember which texts they were asked for --------------------------------


class Recording(NullTranslations):
    """Delegates to the real translations and records every (domain, context, msgid) asked."""

    def __init__(self, inner: NullTranslations) -> None:
        super().__init__()
        self.inner = inner
        self.used: set[tuple[str, str | None, str]] = set()

    def ugettext(self, message: str) -> str:
        self.used.add(("messages", None, message))
        return self.inner.ugettext(message)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        self.used.add(("messages", None, singular))
        return self.inner.ungettext(singular, plural, n)

    def upgettext(self, context: str, message: str) -> str:
        self.used.add(("messages", context, message))
        return self.inner.upgettext(context, message)

    def dupgettext(self, domain: str, context: str, message: str) -> str:
        self.used.add((domain, context, message))
        return self.inner.dupgettext(domain, context, message)


def compiled(catalog: Catalog, domain: str) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


@dataclass
class Subject:
    """A translator for one locale, the catalogs behind it, and what it was asked for."""

    code: str
    t: Translator
    recording: Recording
    catalogs: dict[str, Catalog] = field(default_factory=dict)


_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçďéƒğĥîĵķľɱñöƥʠŕšţüṽŵẋýžÁƁÇĎÉƑĞĤÎĴĶĽṀÑÖƤɊŔŠŢÜṼŴẊÝŽ",
)
# What a translation keeps as it is: placeholders, tags, entities, links, commands.
_KEEP = re.compile(r"\{[^{}]*\}|<[^<>]*>|&[#\w]+;|https?://\S+|(?<![\w/:.<\-])/[a-z][a-z0-9_]*")


def pseudo(text: str) -> str:
    out, last = [], 0
    for match in _KEEP.finditer(text):
        out += [text[last : match.start()].translate(_ACCENTED), match.group()]
        last = match.end()
    out.append(text[last:].translate(_ACCENTED))
    return "".join(out)


@pytest.fixture(scope="module")
def pseudo_catalogs() -> dict[str, Catalog]:
    """Every text Babel extracts from the code and the checklist files, pseudo-translated."""
    catalogs = {}
    for domain in ("messages", "checklist"):
        catalog = extract_template(REPO, domain)
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, tuple):
                message.string = tuple(pseudo(form) for form in message.id)
            else:
                message.string = pseudo(str(message.id))
        catalogs[domain] = catalog
    return catalogs


def make_subject(code: str, pseudo_catalogs: dict[str, Catalog]) -> Subject:
    if code == PSEUDO:
        # Russian formatting: dates and country names without Latin letters.
        info = LocaleInfo(PSEUDO, "Ƥšéüðö", "Pseudo", "ru", None)
        catalogs = pseudo_catalogs
    else:
        info = LOCALES[code]
        folder = LOCALES_DIR / code / "LC_MESSAGES"
        catalogs = {
            domain: read_catalog(folder / f"{domain}.po")
            for domain in ("messages", "checklist")
            if (folder / f"{domain}.po").is_file()
        }
    inner: NullTranslations = (
        compiled(catalogs["messages"], "messages") if "messages" in catalogs else Translations()
    )
    if "checklist" in catalogs and isinstance(inner, Translations):
        inner.add(compiled(catalogs["checklist"], "checklist"), merge=False)
    recording = Recording(inner)
    return Subject(code, Translator(info, recording), recording, catalogs)


@pytest.fixture(params=[*SHIPPED, PSEUDO])
def subject(request: pytest.FixtureRequest, pseudo_catalogs: dict[str, Catalog]) -> Subject:
    return make_subject(request.param, pseudo_catalogs)


# --- Realistic data ---------------------------------------------------------------------------

# Non-Latin on purpose: nothing the user typed may look like a leaked English text.
NAME = "สมศักดิ์ ศรีสวัสดิ์วงศ์ตระกูลไทยรักษ์ชาติ"
COMMENT = "ဝန်ကြီးဌာနအဆင့် ညှိနှိုင်းအစည်းအဝေး ပြီးဆုံးပြီ " * 20  # longer than the 600 shown
TITLE = "រង្វង់របាយការណ៍ ២០២៦ <ពិសេស> & ចុងក្រោយ"
FILE_NAME = "កំណត់ត្រា_ការអនុវត្ត_២០២៦.ឯកសារ"


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return ChecklistRegistry.from_dir(bundled_checklist_dir()).default()


def longest_item(checklist: Checklist) -> str:
    return max(checklist.items, key=lambda item: len(item.text) + len(item.explanation)).id


def actor(role: Role, *, admin: bool = False, lead: bool = False) -> Actor:
    return Actor(
        person_id=7,
        telegram_id=700007,
        display_name=NAME,
        role=role,
        is_admin=admin,
        is_national_lead=lead,
        country_code=None if role is Role.COORDINATOR else "KH",
        locale=None,
        timezone="Asia/Phnom_Penh",
    )


def item_screens(checklist: Checklist) -> Iterator[tuple[str, ItemScreen | DoneScreen]]:
    item_id = longest_item(checklist)
    item = checklist.item(item_id)
    total = len(checklist.items)
    answered = AnswerState(
        status=checklist.statuses[1],
        comment=COMMENT,
        evidence=(EvidenceEntry(1, "document", None, FILE_NAME, COMMENT[:200], "x" * 22),),
        updated_by=NAME,
        updated_at=NOW - timedelta(days=3),
    )
    base: dict[str, Any] = {
        "cycle_id": 1,
        "checklist": checklist,
        "item_id": item_id,
        "section_id": item.section_id,
        "position": item.position + 1,
        "total": total,
        "answered": total - 1,
        "answer": answered,
        "awaiting": Awaiting.NOTHING,
        "version": 123456,
    }
    yield "item, open", ItemScreen(**{**base, "answer": AnswerState(), "answered": 0})
    yield "item, answered", ItemScreen(**base)
    for chosen in checklist.statuses:  # the chosen status's button is marked, so wider
        yield f"item, {chosen}", ItemScreen(**{**base, "answer": replace(answered, status=chosen)})
    yield "item, skipped", ItemScreen(**{**base, "answer": AnswerState(skipped=True)})
    yield (
        "item, from the last cycle",
        ItemScreen(**{**base, "answer": AnswerState(status="planned", from_baseline=True)}),
    )
    yield "item, awaiting a comment", ItemScreen(**{**base, "awaiting": Awaiting.COMMENT})
    yield "item, awaiting evidence", ItemScreen(**{**base, "awaiting": Awaiting.EVIDENCE})
    yield (
        "item, pending text",
        ItemScreen(**{**base, "pending_kind": "text", "pending_preview": COMMENT}),
    )
    yield (
        "item, pending file",
        ItemScreen(**{**base, "pending_kind": "document", "pending_preview": FILE_NAME}),
    )
    yield "item, reopened", ItemScreen(**{**base, "reopened": True})
    every_kind = replace(answered, support_kinds=SUPPORT_KINDS, support_note=COMMENT)
    yield "item, support needed", ItemScreen(**{**base, "answer": every_kind})
    yield (
        "item, support screen, nothing chosen",
        ItemScreen(**{**base, "answer": AnswerState(), "awaiting": Awaiting.SUPPORT}),
    )
    yield (
        "item, support screen, every kind chosen",
        ItemScreen(**{**base, "answer": every_kind, "awaiting": Awaiting.SUPPORT}),
    )
    at = NOW - timedelta(hours=1)
    for changed, theirs, mine in (
        ("status", checklist.statuses[1], checklist.statuses[0]),
        ("comment", COMMENT, COMMENT),
        ("comment", COMMENT, None),
        ("support_note", COMMENT, COMMENT),
        ("support_note", None, COMMENT),
        ("support", ",".join(SUPPORT_KINDS), None),
        ("support", None, None),
    ):
        for by in (NAME, None):  # None: the colleague was erased
            yield (
                f"item, a colleague's {changed} conflicts ({by})",
                ItemScreen(**{**base, "conflict": Conflict(changed, theirs, mine, by, at)}),
            )
    yield (
        "item, evidence a colleague changed meanwhile",
        ItemScreen(**{**base, "meanwhile": ColleagueChange("evidence", NAME, at)}),
    )
    yield (
        "item, support a colleague changed meanwhile",
        ItemScreen(
            **{
                **base,
                "awaiting": Awaiting.SUPPORT,
                "meanwhile": ColleagueChange("support_kinds", None, at),
            }
        ),
    )
    for notice in Notice:
        status = checklist.statuses[0] if notice is Notice.RECORDED else None
        yield (
            f"item, notice {notice.value}",
            ItemScreen(**{**base, "notice": notice, "notice_status": status}),
        )
    done: dict[str, Any] = {
        "cycle_id": 1,
        "total": total,
        "answered": total - 3,
        "skipped": 2,
        "first_open_item": item_id,
        "version": 123456,
    }
    yield "done, items open", DoneScreen(**done)
    yield "done, one item open", DoneScreen(**{**done, "answered": total - 1})
    yield (
        "done, all answered",
        DoneScreen(**{**done, "answered": total, "first_open_item": None, "submitted": True}),
    )
    yield (
        "done, recorded and reopened",
        DoneScreen(
            **{**done, "notice": Notice.RECORDED, "notice_status": "implemented", "reopened": True}
        ),
    )


def progress(checklist: Checklist) -> Progress:
    sections = [
        SectionProgress(
            section.id,
            len(section.items),
            len(section.items) - 1,
        )
        for section in checklist.sections
    ]
    total = len(checklist.items)
    return Progress(
        cycle_title=TITLE,
        deadline=NOW + timedelta(days=40),
        checklist=checklist,
        total=total,
        answered=total - len(sections),
        skipped=3,
        by_status={status: 2 for status in checklist.statuses},
        sections=sections,
        version=123456,
        to_confirm=4,
    )


def review_section(checklist: Checklist) -> ReviewSection:
    section = max(checklist.sections, key=lambda s: len(s.items))
    statuses = [*checklist.statuses, None, None]
    items = [
        ReviewItem(
            item_id=item.id,
            status=statuses[n % len(statuses)],
            skipped=n % len(statuses) == len(statuses) - 1,
            has_comment=n % 2 == 0,
            has_evidence=n % 3 == 0,
            from_baseline=n == 1,
            has_support=n % 2 == 1,
        )
        for n, item in enumerate(section.items)
    ]
    return ReviewSection(checklist, section.id, items, 123456)


def screens(t: Translator, checklist: Checklist) -> Iterator[tuple[str, Rendered]]:
    """Every screen of the focal points' and coordinators' flows, by name."""
    zone = "Asia/Yangon"
    for name, screen in item_screens(checklist):
        yield name, answering.render_screen(t, screen, timezone=zone)
    yield "menu", answering.render_menu(t, 123456)
    yield "review", answering.render_review_overview(t, progress(checklist))
    yield "review section", answering.render_review_section(t, review_section(checklist))
    yield "progress", answering.render_progress(t, progress(checklist), timezone=zone)
    focal_point, coordinator = actor(Role.FOCAL_POINT), actor(Role.COORDINATOR, admin=True)
    yield "help, focal point", general.render_help(t, focal_point)
    yield "help, coordinator", general.render_help(t, coordinator)
    yield "help, stranger", general.render_help(t, None)
    for who in (focal_point, coordinator):
        yield (
            f"language choice, welcome {who.role}",
            general.render_language_choice(t, list(LOCALES), welcome=general.welcome_text(t, who)),
        )
    yield "language choice", general.render_language_choice(t, list(LOCALES), welcome=None)
    for code in LOCALES:
        yield f"language set to {code}", Rendered(general.language_set_text(t, code))
    expires = NOW + timedelta(days=7)
    for role, lead, country in (
        (Role.COORDINATOR, False, None),
        (Role.FOCAL_POINT, True, "TL"),
        (Role.FOCAL_POINT, False, "MM"),
    ):
        invite = CreatedInvite(42, "Zq7-4Kx9_Pw2", country, role, lead, expires, ASEAN_NORMS_ID)
        yield (
            f"invite, {role.value}{' lead' if lead else ''}",
            general.render_invite(t, invite, bot_username="normsbot_test_bot", timezone=zone),
        )
    rows = [
        InviteRow(n, country, role, lead, expires, ASEAN_NORMS_ID)
        for n, (country, role, lead) in enumerate(
            [
                ("TH", Role.FOCAL_POINT, False),
                (None, Role.COORDINATOR, False),
                ("VN", Role.FOCAL_POINT, True),
            ]
            * 10,
            start=1,
        )
    ]
    yield "open invites", general.render_invites(t, rows, timezone=zone, now=NOW)
    yield "no open invites", general.render_invites(t, [], timezone=zone, now=NOW)
    yield from coordinator_screens(t, checklist)


def coordinator_screens(t: Translator, checklist: Checklist) -> Iterator[tuple[str, Rendered]]:
    """The screens with buttons that only coordinators, or a reminder, show."""
    zone = "Asia/Yangon"
    for name, delivery, muted in (
        ("reminder", 5, False),
        ("reminder, snoozed", None, False),
        ("reminder, muted", None, True),
    ):
        yield name, Rendered("⏰", reminders.reminder_keyboard(t, delivery, 1, muted=muted))
    title = instrument_title(t, checklist)  # a short title: at most 32 characters
    both = [(1, title), (2, title)]
    yield "reminder of two", Rendered("⏰", reminders.reminder_keyboard(t, 5, 1, instruments=both))
    for enabled in (True, False):
        yield f"digest, enabled {enabled}", Rendered("🔔", digests.digest_keyboard(t, enabled))
    info = CycleInfo(1, TITLE, "2026.1", 40, NOW, NOW + timedelta(days=9), None, TITLE, 10, 4, 2, 3)
    overview = CycleOverview(info, None, True, DaysLeft(9, False), None, None, None)
    yield "cycle", cycles.render_cycle(t, overview, timezone=zone, today=NOW.date())
    yield "close cycle", cycles.render_close_confirm(t, info, timezone=zone)
    countries = [
        CountryRow(code, 40, 20, 2, 0, 10, 1, None, None, NOW, 1, None)
        for code in (country.code for country in ASEAN_MEMBER_STATES)
    ]
    region = RegionalSummary(TITLE, None, None, None, countries, None)
    yield "status, which country", summaries.render_status_choice(t, region)
    for baseline in (True, False):
        draft = DraftView(
            3,
            TITLE,
            NOW + timedelta(days=60),
            "2026.1",
            ("2025.1", "2026.1"),
            40,
            baseline,
            TITLE,
            info,
        )
        yield f"new cycle, baseline {baseline}", cycles.render_draft(t, draft, timezone=zone)
    person = PersonRow(
        12, 700012, NAME, None, Role.FOCAL_POINT, False, True, "KH", NOW, False, False, False
    )
    yield "revoke", coordinators.render_revoke_confirm(t, person)
    yield "readmit", coordinators.render_readmit_confirm(t, person)
    preview = ErasePreview(12, NAME, None, Role.FOCAL_POINT, "KH", "#12", "x" * 8)
    yield "erase", audit.render_erase_confirm(t, preview)
    yield from needs_screens(t)


def needs_screens(t: Translator) -> Iterator[tuple[str, Rendered]]:
    """/needs: the whole region asking for everything, one country with long notes, nobody."""
    checklist = ChecklistRegistry.from_dir(bundled_checklist_dir()).default()
    codes = tuple(country.code for country in ASEAN_MEMBER_STATES)
    everything = tuple(
        ItemNeed(code, item.section_id, item.id, SUPPORT_KINDS, COMMENT)
        for code in codes
        for item in checklist.items
    )

    groups = tuple(
        NeedGroup(section.id, kind, tuple((code, len(section.items)) for code in codes))
        for section in checklist.sections
        for kind in SUPPORT_KINDS
    )

    def picture(items: tuple[ItemNeed, ...], **focus: Any) -> NeedsPicture:
        asking = codes if items else ()
        whole = NeedsPicture(checklist, 1, TITLE, None, None, groups, items, asking)
        return replace(whole, groups=groups if items else (), **focus)

    yield "needs, the region", needs_views.render_needs(t, picture(everything))
    yield (
        "needs, one country and theme",
        needs_views.render_needs(
            t,
            picture(
                tuple(n for n in everything if n.country_code == "KH"),
                country_code="KH",
                section_id=checklist.sections[0].id,
            ),
        ),
    )
    yield "needs, nobody", needs_views.render_needs(t, picture(()))
    draft = replace(picture(()), checklist=replace(checklist, draft=True))
    yield "needs, a draft instrument", needs_views.render_needs(t, draft)


# Every variant of every error the services raise, with the details its text needs.
E = service_errors
# One or more of every error the services raise, with the values their texts show.
ERROR_VARIANTS: list[service_errors.ServiceError] = [
    E.NotEnrolled(),
    E.PermissionDenied(),
    E.CoordinatorsOnly(),
    E.NoRoleInInstrument(),
    E.FocalPointsOnly(),
    E.AdminsOnly(),
    E.NotYourCountry(country="TH"),
    E.NationalLeadOnly(),
    E.CannotRevokeSelf(),
    E.ConfiguredAdmin(),
    E.NoOpenCycle(),
    E.NoOpenCycle(closed_title=TITLE),
    E.CycleClosed(),
    E.UnknownCountry(country="XX"),
    E.UnknownItem(item="z.99"),
    E.UnknownCycle(cycle=99),
    E.UnknownNeedsWord(value="zz9", instruments=("x1", "y2")),  # typed words
    *(E.InviteInvalid(reason=r) for r in E.InviteProblem if r is not E.InviteProblem.REVOKED),
    E.InviteForAnotherCountry(current="TH", invited="VN"),
    E.StaleAction(),
    E.CursorMoved(prompt_message_id=None),
    E.ReminderUnchanged(cycle_id=1, muted=True),
    E.TooLong(length=4321, limit=3000),
    E.InvalidInput(),
    E.UnknownRole(value="b0ss"),
    E.TitleMissing(),
    E.TitleTooLong(limit=200),
    E.DeadlinePast(),
    E.NoSuchDay(value="31.04.2026"),
    E.UnknownChecklistVersion(value="9.9", known=("2025.1", "2026.1")),
    E.BadEvidenceLink(),
    E.UnknownPerson(person=77),
    E.OldReminder(),
    E.StillHasAccess(person=77),
    E.AlreadyErased(person=77),
]


def service_error_classes() -> list[type[service_errors.ServiceError]]:
    found: list[type[service_errors.ServiceError]] = []
    pending = list(service_errors.ServiceError.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def alerts(t: Translator) -> Iterator[tuple[str, str]]:
    """Texts that can reach a user as a button's alert (at most 200 characters there)."""
    for error in ERROR_VARIANTS:
        yield f"error {error!r}", error_text(t, error)
    for reason in E.InviteProblem:
        yield f"invite {reason}", invite_text(t, reason)
    yield "stranger", stranger_text(t)


# --- What every screen must satisfy ------------------------------------------------------------


def buttons(keyboard: InlineKeyboardMarkup | None) -> Iterator[tuple[int, str, str | None]]:
    """(buttons in the row, text, callback_data) for every button."""
    for row in keyboard.inline_keyboard if keyboard else ():
        for button in row:
            yield len(row), button.text, button.callback_data  # type: ignore[misc]


def problems_of(name: str, rendered: Rendered) -> list[str]:
    problems = []
    parts = split_text(rendered.text)
    if len(parts) > 1:  # views edit messages in place: a screen must fit one message
        problems.append(f"{name}: {len(parts)} messages long")
    for part in parts:
        try:
            parsed = parse_html(part)
        except Exception as error:
            problems.append(f"{name}: Telegram would refuse the HTML: {error}")
            continue
        if not parsed.text.strip():
            problems.append(f"{name}: empty message")
        if utf16_len(parsed.text) > MAX_MESSAGE:
            problems.append(f"{name}: {utf16_len(parsed.text)} characters (limit {MAX_MESSAGE})")
    for _in_row, text, data in buttons(rendered.keyboard):
        if not text.strip():
            problems.append(f"{name}: a button without text")
        if data is None or not data.isascii() or len(data.encode()) > MAX_BYTES:
            problems.append(f"{name}: callback_data {data!r} is not ASCII within {MAX_BYTES} bytes")
    return problems


def test_every_screen_fits_telegram_and_a_phone(subject: Subject, checklist: Checklist):
    rendered = list(screens(subject.t, checklist))
    assert len(rendered) > 40
    problems = [p for name, screen in rendered for p in problems_of(name, screen)]
    assert problems == [], "\n".join(problems)


@pytest.fixture(scope="session")
def label_fonts() -> LabelFonts:
    """The fonts a phone draws button labels with; without them the width tests skip (not in CI)."""
    fonts, missing = find_label_fonts()
    if fonts is None:
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    return fonts


def too_wide(fonts: LabelFonts, where: str, in_row: int, label: str) -> str | None:
    width, budget = fonts.width(label), label_budget(in_row)
    if width <= budget:
        return None
    return (
        f"{where}: button {label!r} is {width:.1f} dp wide; a row of {in_row} on a 360-dp"
        f" phone shows {budget:.1f} dp uncut"
    )


def test_every_button_label_fits_its_share_of_a_phone_row(
    subject: Subject, checklist: Checklist, label_fonts: LabelFonts
):
    """Each label, in the glyphs of its script, fits the share of the row its builder gives it:
    a cut status button would hide which status it records."""
    where: dict[tuple[int, str], str] = {}  # each label in a row of n, first screen showing it
    for name, screen in screens(subject.t, checklist):
        for in_row, text, _ in buttons(screen.keyboard):
            where.setdefault((in_row, text), name)
    problems = [
        problem
        for (in_row, text), name in where.items()
        if (problem := too_wide(label_fonts, name, in_row, text))
    ]
    assert problems == [], "\n".join(problems)


def test_the_measure_sees_how_wide_each_script_is(label_fonts: LabelFonts):
    """Burmese and Tamil take more room than Latin for as many letters, and emoji count."""
    latin, burmese, tamil = "Implemented", "အကောင်အထည်ဖော်", "செயல்படுத்தப்பட்டது"
    assert label_fonts.width(burmese) > 1.3 * label_fonts.width(latin)
    assert label_fonts.width(tamil) > 1.5 * label_fonts.width(latin)
    assert label_fonts.width("✅ " + latin) > label_fonts.width(latin) + 15
    assert too_wide(label_fonts, "s", 2, "📎 Attach as evidence") is None
    assert too_wide(label_fonts, "s", 3, "📎 Attach as evidence") is not None


def test_every_error_has_its_own_text_and_fits_an_alert(subject: Subject):
    generic = error_text(subject.t, service_errors.ServiceError())
    shown = {type(error) for error in ERROR_VARIANTS}
    missing = [cls.__name__ for cls in service_error_classes() if cls not in shown]
    assert missing == [], "add the new errors to ERROR_VARIANTS"
    texts = list(alerts(subject.t))
    assert len(texts) >= len(ERROR_VARIANTS)
    for name, text in texts:
        assert text.strip(), name
        if "InvalidInput()" not in name:  # the generic invalid input is the generic text
            assert text != generic, f"{name} falls back to the generic error text"
        parse_html(text)
        assert len(text) <= CALLBACK_ANSWER_MAX, f"{name}: {len(text)} characters: {text}"


def test_every_command_description_fits_the_menu(subject: Subject):
    names = tuple(dict.fromkeys(general.FOCAL_POINT_COMMANDS + general.COORDINATOR_COMMANDS))
    for command in commands_for(subject.t, names) + commands_for(
        subject.t, names, own_country=True
    ):
        # Telegram refuses a description outside 1-256 characters, and with it the whole menu;
        # commands_for would cut a long one, so require it to fit uncut.
        assert 1 <= len(command.description) < 256, command


# --- No text the translators cannot reach -------------------------------------------------------


def render_everything(subject: Subject, checklist: Checklist) -> list[tuple[str, str]]:
    """(screen, visible text) for every screen, button, alert and command description."""
    shown: list[tuple[str, str]] = []
    for name, rendered in screens(subject.t, checklist):
        shown += [(name, parse_html(part).text) for part in split_text(rendered.text)]
        shown += [(name, text) for _, text, _ in buttons(rendered.keyboard)]
    shown += [(name, parse_html(text).text) for name, text in alerts(subject.t)]
    names = tuple(dict.fromkeys(general.FOCAL_POINT_COMMANDS + general.COORDINATOR_COMMANDS))
    shown += [
        ("commands", c.description)
        for own_country in (False, True)
        for c in commands_for(subject.t, names, own_country=own_country)
    ]
    return shown


# Latin words that are no English text: links, language names in their own language, the UTC
# in offsets, the example code in the invite.
_NOT_TEXT = re.compile(
    r"https?://\S+|(?<![\w/])/[a-z][a-z0-9_]*|UTC|Zq7-4Kx9_Pw2|"
    + "|".join(re.escape(info.native_name) for info in LOCALES.values())
)
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def test_no_english_left_on_any_pseudo_locale_screen(pseudo_catalogs, checklist):
    subject = make_subject(PSEUDO, pseudo_catalogs)
    leaks = []
    for name, text in render_everything(subject, checklist):
        words = _ENGLISH_WORD.findall(_NOT_TEXT.sub(" ", text))
        if words:
            leaks.append(f"{name}: {' '.join(words)!r} in {text[:120]!r}")
    assert leaks == [], "texts not marked for translation:\n" + "\n".join(leaks)


def test_every_text_shown_comes_from_the_catalog(subject: Subject, checklist: Checklist):
    render_everything(subject, checklist)
    used = subject.recording.used
    assert len(used) > 100
    if subject.code == "en":
        # English is the source: every text asked for must be in the templates translators get.
        catalogs = {d: read_catalog(LOCALES_DIR / f"{d}.pot") for d in ("messages", "checklist")}
    else:
        catalogs = subject.catalogs
    missing = []
    for domain, context, msgid in sorted(used, key=str):
        message = catalogs[domain].get(msgid, context)
        strings = (
            message.string
            if message and isinstance(message.string, tuple)
            else ((message.string,) if message else ())
        )
        if message is None or (subject.code != "en" and not all(strings)):
            missing.append(f"{domain}: {msgid!r}" + (f" (context {context})" if context else ""))
    what = "in the templates (run make extract)" if subject.code == "en" else "translated"
    assert missing == [], f"not {what}:\n" + "\n".join(missing)


# --- Negotiation, dates and numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("zh", "zh_Hans"),
        ("zh-hans", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-hans-sg", "zh_Hans"),
        ("tl", "fil"),
        ("fil", "fil"),
        ("in", "id"),
        ("id", "id"),
        ("pt-BR", "pt"),
        ("pt", "pt"),
        ("th-TH", "th"),
        ("en-GB", "en"),
        ("ms_MY", "ms"),
        ("my", "my"),
        ("km", "km"),
        ("xx", None),
        ("de-DE", None),
        ("", None),
        (None, None),
    ],
)
def test_negotiation_with_the_alias_table(language_code, expected):
    assert negotiate(language_code, LOCALES) == expected


def test_an_unknown_or_unshipped_language_falls_back_to_english(tmp_path):
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    (locales / "LINGUAS").write_text("en\nth\n", encoding="utf-8")
    i18n = I18n(locales)
    assert i18n.negotiate("th-TH") == "th"
    assert i18n.negotiate("vi") is None  # its catalog is in progress: not offered
    assert i18n.translator(i18n.negotiate("xx")).locale == "en"
    assert i18n.translator(i18n.negotiate("vi")).locale == "en"


DEADLINE = datetime(2026, 3, 31, 16, 59, tzinfo=UTC)


def formats(code: str) -> Translator:
    return Translator(LOCALES[code], NullTranslations())


def test_thai_dates_are_in_the_buddhist_era():
    t = formats("th")
    assert t.date(DEADLINE, "Asia/Bangkok") == "31 มี.ค. 2569"
    assert t.datetime(DEADLINE, "Asia/Bangkok") == "31 มี.ค. 2569 23:59 น. (UTC+07:00)"
    # Other locales keep the Gregorian year.
    assert formats("vi").date(DEADLINE, "Asia/Ho_Chi_Minh").endswith("2026")


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Yangon", "Mar 31, 2026 11:29\u202fPM (UTC+06:30)"),
        ("Asia/Dili", "Apr 1, 2026 1:59\u202fAM (UTC+09:00)"),
        ("Asia/Manila", "Apr 1, 2026 12:59\u202fAM (UTC+08:00)"),  # never "PST"
        ("Asia/Jakarta", "Mar 31, 2026 11:59\u202fPM (UTC+07:00)"),
    ],
)
def test_deadlines_show_the_local_time_with_the_utc_offset(zone, expected):
    assert formats("en").datetime(DEADLINE, zone) == expected


def test_tetum_dates_and_numbers_fall_back_to_portuguese_of_timor_leste():
    tetum, portuguese = formats("tet"), formats("pt")
    assert tetum.babel_locale.language == "pt"
    assert tetum.datetime(DEADLINE, "Asia/Dili") == "01/04/2026 01:59 (UTC+09:00)"
    assert tetum.datetime(DEADLINE, "Asia/Dili") == portuguese.datetime(DEADLINE, "Asia/Dili")
    assert tetum.number(1234567.5) == "1\xa0234\xa0567,5"
    assert tetum.percent(0.425) == portuguese.percent(0.425) == "42%"


def test_burmese_and_chinese_formats():
    assert formats("my").datetime(DEADLINE, "Asia/Yangon") == "2026 မတ် 31 23:29 (UTC+06:30)"
    assert formats("zh_Hans").date(DEADLINE, "Asia/Singapore") == "2026年4月1日"


# --- Command menus per language, through the real bot --------------------------------------------

THAI_CONTINUE = "ทำรายการตรวจสอบต่อ"
THAI_MENU = "คุณต้องการทำอะไร"


@pytest.fixture
def every_locale_dir(tmp_path: Path) -> Path:
    """The real catalogs with every locale listed as shipped, and two Thai translations."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    (locales / "LINGUAS").write_text("\n".join(LOCALES) + "\n", encoding="utf-8")
    po = locales / "th" / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(po)
    for msgid, text in (
        ("Continue with the checklist", THAI_CONTINUE),
        ("What would you like to do?", THAI_MENU + "?"),
    ):
        message = catalog.get(msgid)
        assert message is not None
        message.string = text
    with po.open("wb") as handle:
        write_po(handle, catalog)
    return locales


@pytest.fixture
async def multilingual(fake_api, tg, database, every_locale_dir) -> Any:
    async with BotHarness(fake_api, tg, database, locales_dir=every_locale_dir) as bot:
        yield bot


@pytest.mark.db
async def test_command_menus_are_registered_under_two_letter_codes(multilingual):
    commands = await multilingual.tg.commands()
    languages = {language for scope, language in commands if scope == "default"}
    assert languages == {"", "id", "ms", "th", "vi", "tl", "km", "lo", "my", "zh", "ta", "pt"}
    assert all(len(code) in (0, 2) for code in languages)  # Filipino under tl, Tetum under none
    thai = {c["command"]: c["description"] for c in commands[("default", "th")]}
    english = {c["command"]: c["description"] for c in commands[("default", "")]}
    assert thai["continue"] == THAI_CONTINUE
    assert english["continue"] == "Continue with the checklist"
    assert set(thai) == set(english)


@pytest.mark.db
async def test_the_users_choice_wins_over_telegrams_language(multilingual):
    # Telegram says Vietnamese; the person picks Thai, and Thai it stays.
    user = await multilingual.enrol(4242, "TH", name="Somchai", language="ไทย", language_code="vi")
    await user.command("continue")
    await user.expect(lambda m: any(d.startswith("mn:") for d in m.callback_data()))
    await press_data(user, "mn:")
    menu = await user.expect(THAI_MENU)
    assert menu.plain.startswith("☰ " + THAI_MENU)


@pytest.mark.db
async def test_a_refused_tap_answers_in_the_users_choice_not_telegrams(multilingual):
    """The answering buttons find who taps inside the transaction of the tap (one transaction
    per tap); a refusal raised there still speaks the language the person chose."""
    from bot.services.cycles import open_cycle
    from bot.views.errors import error_text

    user = await multilingual.enrol(4243, "TH", name="Somchai", language="ไทย", language_code="vi")
    prompt = await user.last()
    with multilingual.db.session() as session:
        cycle = open_cycle(session, ASEAN_NORMS_ID)
        assert cycle is not None
        cycle.closed_at = multilingual.clock.now()
        session.add(cycle)
        title = cycle.title
    data = next(d for d in prompt.callback_data() if d.startswith("a:s:"))
    answer = await user.press(data, message_id=prompt.message_id)
    thai = multilingual.runtime.i18n.translator("th")
    expected = error_text(thai, service_errors.NoOpenCycle(closed_title=title))
    assert answer is not None and answer.show_alert
    assert answer.text and expected.startswith(answer.text.removesuffix("…")), answer.text


# --- Every flow through the real bot, in every shipped language and the pseudo-locale ----------

PSEUDO_INFO = LocaleInfo("qps", "Ƥšéüðö", "Pseudo", "ru", None)
ERROR_TEXT = "Something went wrong. Nothing you already recorded is lost; please try again."


@pytest.fixture
def tour_locale_dir(tmp_path: Path, pseudo_catalogs: dict[str, Catalog], monkeypatch) -> Path:
    """The real catalogs, plus a shipped pseudo-locale `qps` the bot knows for this test."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    for domain, catalog in pseudo_catalogs.items():
        path = locales / "qps" / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog)
    (locales / "LINGUAS").write_text("\n".join([*SHIPPED, "qps"]) + "\n", encoding="utf-8")
    monkeypatch.setitem(LOCALES, "qps", PSEUDO_INFO)
    return locales


@pytest.fixture
async def touring(fake_api, tg, database, tour_locale_dir) -> Any:
    async with BotHarness(
        fake_api, tg, database, locales_dir=tour_locale_dir, first_cycle_title=TITLE
    ) as bot:
        yield bot


async def press_data(user: Any, prefix: str) -> None:
    """Press the newest button whose callback_data starts with `prefix`, then await the change."""
    for message in reversed(await user.messages()):
        for data in message.callback_data():
            if data.startswith(prefix):
                await user.press(data, message_id=message.message_id)
                await user.expect(lambda m: True)
                return
    raise AssertionError(f"no button {prefix}… for {user}")


async def command(user: Any, *words: str) -> None:
    await user.command(*words)
    await user.expect(lambda m: True)


async def focal_point_tour(user: Any) -> None:
    """Items in every state, comment, evidence, skip, back, pending text, review, progress."""
    await press_data(user, "a:s:")  # record a status
    await press_data(user, "a:c:")  # ask to comment
    await command(user, "cancel")
    await press_data(user, "a:c:")
    await user.send(COMMENT[:500])
    await user.expect(lambda m: True)
    await press_data(user, "a:e:")  # evidence: a bad link, then a good one
    await user.send("no link")
    await user.expect(lambda m: True)
    await user.send("https://example.org/evidence")
    await user.expect(lambda m: True)
    await press_data(user, "a:k:")  # skip, back
    await press_data(user, "a:b:")
    await user.send("ข้อความที่ไม่ได้ขอ")  # text nobody asked for: keep or discard
    await user.expect(lambda m: True)
    await press_data(user, "a:pd:")
    await press_data(user, "mn:")
    await press_data(user, "rv:")
    await press_data(user, "rv:")  # the first norm's answers
    await press_data(user, "a:o:")
    await press_data(user, "mn:")
    await press_data(user, "pg")
    for words in (("review",), ("progress",), ("submit",), ("help",), ("nonsense",)):
        await command(user, *words)
    await command(user, "language")


async def coordinator_tour(user: Any) -> None:
    for words in (
        ("summary",),
        ("compare",),
        ("digest",),
        ("status", "TH"),
        ("status", "XX"),
        ("reminders",),
        ("remind", "TH"),
        ("cycle",),
        ("people",),
        ("invites",),
        ("help",),
        ("invite",),
    ):
        await command(user, *words)


def leaks_in(text: str, allowed: list[str]) -> list[str]:
    for value in allowed:
        text = text.replace(value, " ")
    return _ENGLISH_WORD.findall(_NOT_TEXT.sub(" ", text))


@pytest.mark.db
async def test_every_flow_in_every_language_is_translated_and_fits(touring):
    h = touring
    # Button widths are measured where the fonts are (always in CI); the rest runs anyway.
    fonts, missing = find_label_fonts()
    if fonts is None and IN_CI:
        pytest.fail(missing)
    languages = [*SHIPPED, "qps"]
    people = {}
    since: dict[int, int] = {}
    for n, code in enumerate(languages):
        name = LOCALES[code].native_name
        # A focal point is first offered their country's languages: English, then /language.
        fp = await h.enrol(6000 + n, "TH", name=NAME)
        await fp.command("language")
        await fp.expect(lambda m, name=name: m.has_button(name))
        await fp.press(name)
        await fp.expect(lambda m: any(d.startswith("a:s:") for d in m.callback_data()))
        since[fp.id] = await fp.mark()  # from here on, all in their language
        invite = await h.invite_code("coordinator")
        coordinator = await h.user(7000 + n, NAME)
        await coordinator.command("start", invite)
        await coordinator.expect(lambda m, name=name: m.has_button(name))
        await coordinator.press(name)
        await coordinator.expect(lambda m: True)
        since[coordinator.id] = await coordinator.mark()
        people[code] = (fp, coordinator)
    for fp, coordinator in people.values():
        await focal_point_tour(fp)
        await coordinator_tour(coordinator)
    # /remind TH waits while the focal points are answering; half an hour later it goes, to
    # every focal point of Thailand in their own language.
    h.clock.advance(minutes=45)
    await h.sweep()
    for fp, _coordinator in people.values():
        await fp.expect(lambda m: any(d.startswith("rm:") for d in m.callback_data()))
        await press_data(fp, "rm:")

    failed = [
        f"{c['method']}: {c['description']}"
        for c in await h.tg.calls()
        if c["status"] >= 400 and "not modified" not in (c["description"] or "")
    ]
    assert failed == [], "Telegram refused:\n" + "\n".join(failed)
    problems = []
    for code, users in people.items():
        t = h.runtime.i18n.translator(code)
        for user in users:
            shown = [m for m in await user.messages() if m.seq > since[user.id]]
            assert len(shown) > 8, (code, [m.summary() for m in shown])
            invite_codes = [
                match.group(1)
                for m in shown
                for match in re.finditer(r"start=([A-Za-z0-9_-]+)", m.plain)
            ]
            for message in shown:
                where = f"{code} {message.summary()[:80]}"
                if t.gettext(ERROR_TEXT) in message.plain:
                    problems.append(f"{where}: the bot failed")
                if fonts is not None:
                    for row in message.keyboard():
                        for button in row:
                            problem = too_wide(fonts, where, len(row), button.text)
                            if problem:
                                problems.append(problem)
                if code == "qps":
                    texts = [message.plain, *(b.text for b in message.buttons())]
                    for text in texts:
                        words = leaks_in(text, [*invite_codes, "Ada Admin"])
                        if words:
                            problems.append(f"{where}: not translatable: {' '.join(words)!r}")
    assert problems == [], "\n".join(problems)
