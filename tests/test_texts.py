"""Texts every screen shares: country names and their order, the first cycle's title, /help
per role, the language offered to someone whose Telegram speaks another language, and the
one line for countries without changes in /compare and /digest."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from alembic.config import Config
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from sqlmodel import select

from bot.countries import ASEAN_MEMBER_STATES
from bot.db import MIGRATIONS_DIR, Database
from bot.i18n import LOCALES, I18n, Translator
from bot.models import Cycle
from bot.services.actors import find_actor
from bot.services.summaries import compare_cycles, regional_summary
from bot.views.common import countries_sorted, country_name, cycle_title, name_sort_key
from bot.views.general import commands_of
from bot.views.summaries import render_compare, render_summary
from fakegram import FakeBotAPI, FakeTelegram
from tests.harness import ADMIN_ID, BotHarness
from tests.test_coordinators import fill_answers

ASEAN_NAMES = ("Brunei Darussalam", "Lao PDR", "Myanmar", "Viet Nam", "Timor-Leste")
CLDR_NAMES = ("Burma", "Vietnam", "Laos")


def _order(text: str, names: list[str]) -> list[str]:
    """`names` in the order they first appear in `text`."""
    return sorted((name for name in names if name in text), key=text.index)


def translator_with(code: str, messages: dict[str, str], context: str | None = None) -> Translator:
    """A translator whose catalog holds just `messages` (a translation to come)."""
    catalog = Catalog(locale=code)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr, context=context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translator(LOCALES[code], Translations(buffer))


# --------------------------------------------------------------------------- country names


async def test_member_states_are_named_as_asean_writes_them_in_every_list(harness: BotHarness):
    admin = await harness.admin()
    for command in ("summary", "people"):
        await admin.command(command)
        shown = await admin.expect("Thailand")
        for name in ASEAN_NAMES:
            assert name in shown.plain, (command, name)
        for name in CLDR_NAMES:
            assert name not in shown.plain, (command, name)


def test_the_english_names_are_the_reference_datas():
    english = I18n().translator("en")
    assert {info.code: country_name(english, info.code) for info in ASEAN_MEMBER_STATES} == {
        info.code: info.name for info in ASEAN_MEMBER_STATES
    }
    # Before (or without) a translation: the reader's language from CLDR, without "(Burma)".
    myanmar = country_name(I18n().translator("th"), "MM")
    assert myanmar.startswith("เมียนมา") and "(" not in myanmar
    # A translation that reads like the English is a translation all the same.
    malay = translator_with("ms", {"Viet Nam": "Viet Nam", "Lao PDR": "Laos"}, "country")
    assert (country_name(malay, "VN"), country_name(malay, "LA")) == ("Viet Nam", "Laos")
    assert country_name(I18n().translator("ms"), "VN") == "Vietnam"  # CLDR, until translated


async def test_countries_equally_behind_come_in_name_order(harness: BotHarness):
    """By code, Indonesia (ID) came before Cambodia (KH) and Myanmar (MM) before Malaysia."""
    admin = await harness.admin()
    await admin.command("summary")
    text = (await admin.expect("Reports submitted")).plain
    assert _order(text, ["Indonesia", "Cambodia"]) == ["Cambodia", "Indonesia"]
    assert _order(text, ["Myanmar", "Malaysia"]) == ["Malaysia", "Myanmar"]

    await admin.command("status")
    picker = await admin.expect("Which country?")
    labels = [button.text.split(" ", 1)[1] for button in picker.buttons()]
    assert labels == sorted(labels, key=name_sort_key)
    assert labels.index("Cambodia") < labels.index("Indonesia")

    await admin.command("people")
    people = (await admin.expect("People")).plain
    assert _order(people, ["Indonesia", "Cambodia"]) == ["Cambodia", "Indonesia"]


async def test_summary_keeps_countries_behind_first_and_sorts_equals_by_name(
    harness: BotHarness,
):
    await harness.enrol(5001, "VN", name="Vu")
    fill_answers(harness, "VN")  # complete: after every country with nothing answered
    with harness.db.session(write=False) as session:
        actor = find_actor(session, ADMIN_ID)
        assert actor is not None
        summary = regional_summary(
            session, actor=actor, checklists=harness.runtime.checklists, now=harness.clock.now()
        )
    thai = I18n().translator("th")
    text = render_summary(thai, summary, timezone=None, now=harness.clock.now()).text
    names = [country_name(thai, info.code) for info in ASEAN_MEMBER_STATES]
    shown = _order(text, names)
    assert shown[-1] == country_name(thai, "VN")
    assert shown[:-1] == sorted(shown[:-1], key=name_sort_key)
    # Thai dictionaries sort เมียนมา (Myanmar) under ม, not under its leading vowel เ.
    lao = country_name(thai, "LA")  # "สปป. ลาว", as the Thai catalog writes Lao PDR
    assert shown.index("มาเลเซีย") < shown.index("เมียนมา") < shown.index(lao)


def test_name_order_ignores_case_accents_and_leading_vowels():
    names = ["Việt Nam", "viet nam", "Brunei", "ไทย", "กัมพูชา", "เมียนมา", "มาเลเซีย"]
    assert sorted(names, key=name_sort_key) == [
        "Brunei",
        "viet nam",
        "Việt Nam",
        "กัมพูชา",
        "ไทย",
        "มาเลเซีย",
        "เมียนมา",
    ]
    english = I18n().translator("en")
    assert countries_sorted(english, ["VN", "KH", None, "ID"], lambda code: code) == [
        None,
        "KH",
        "ID",
        "VN",
    ]


# --------------------------------------------------------------------------- the first cycle


async def test_the_bots_first_cycle_has_no_title_of_its_own_and_reads_in_each_language(
    harness: BotHarness,
):
    with harness.db.session(write=False) as session:
        assert session.exec(select(Cycle.title)).one() == ""
    admin = await harness.admin()
    await admin.command("summary")
    await admin.expect("📊 First reporting cycle")
    await admin.command("compare")
    first = await admin.expect("First reporting cycle")
    assert first.plain == (
        "🔁 First reporting cycle\nThere is no earlier cycle to compare this one with yet."
    )

    thai = translator_with("th", {"First reporting cycle": "รอบการรายงานแรก"})
    assert cycle_title(thai, "") == "รอบการรายงานแรก"
    assert cycle_title(thai, "Cycle 2027") == "Cycle 2027"  # a coordinator's own, as typed
    with harness.db.session(write=False) as session:
        actor = find_actor(session, ADMIN_ID)
        assert actor is not None
        comparison = compare_cycles(
            session, actor=actor, checklists=harness.runtime.checklists, now=harness.clock.now()
        )
    assert "รอบการรายงานแรก" in render_compare(thai, comparison).text


@pytest.fixture
async def titled_harness(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database
) -> AsyncIterator[BotHarness]:
    async with BotHarness(fake_api, tg, database, first_cycle_title=" Cycle  2026 ") as bot:
        yield bot


async def test_a_first_cycle_title_from_the_settings_is_a_title_of_its_own(
    titled_harness: BotHarness,
):
    with titled_harness.db.session(write=False) as session:
        assert session.exec(select(Cycle.title)).one() == "Cycle 2026"
    admin = await titled_harness.admin()
    await admin.command("summary")
    await admin.expect("📊 Cycle 2026")


def _alembic(database: Database, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(alembic_command, action)(config, revision)
        connection.commit()


def test_an_existing_databases_first_cycle_gets_the_title_per_reader(database: Database):
    _alembic(database, "downgrade", "f2523687d1f5")
    insert = sa.text(
        "INSERT INTO cycle (id, checklist_id, checklist_version, title, opens_at, created_at) "
        "VALUES (:id, 'asean-norms', '1', :title, :now, :now)"
    )
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with database.engine.begin() as connection:
        connection.execute(insert, {"id": 1, "title": "First reporting cycle", "now": now})
        # A coordinator who typed the same words keeps them.
        connection.execute(insert, {"id": 2, "title": "First reporting cycle", "now": now})
    _alembic(database, "upgrade", "head")
    with database.engine.connect() as connection:
        titles = connection.execute(sa.text("SELECT title FROM cycle ORDER BY id")).scalars()
        assert list(titles) == ["", "First reporting cycle"]


# --------------------------------------------------------------------------- /help per role


def _listed(text: str) -> list[str]:
    return [line.split(" ", 1)[0][1:] for line in text.splitlines() if line.startswith("/")]


async def _menu(harness: BotHarness, user_id: int) -> list[str]:
    commands = await harness.tg.commands()
    return [c["command"] for c in commands[(f"chat:{user_id}", "")]]


async def test_help_and_the_menu_list_what_each_role_may_use(harness: BotHarness):
    focal = await harness.enrol(6001, "TH", name="Fon")
    lead = await harness.enrol(6002, "TH", name="Lek", national_lead=True)
    coordinator = await harness.enrol_coordinator(6003, name="Cora")
    expected = {
        6001: [
            "start",
            "instruments",
            "continue",
            "review",
            "progress",
            "submit",
            "cycle",
            "summary",
            "status",
            "compare",
            "needs",
            "people",
            "export",
            "report",
            "language",
            "cancel",
            "help",
        ],
        6003: [
            "start",
            "instruments",
            "summary",
            "status",
            "compare",
            "chart",
            "needs",
            "export",
            "report",
            "cycle",
            "newcycle",
            "deadline",
            "closecycle",
            "people",
            "revoke",
            "readmit",
            "invite",
            "invites",
            "cancelinvite",
            "remind",
            "reminders",
            "digest",
            "audit",
            "language",
            "cancel",
            "help",
        ],
    }
    expected[6002] = [*expected[6001][:6], "signoff", *expected[6001][6:]]
    admin = await harness.admin()  # an administrator also erases people's data
    at = expected[6003].index("readmit") + 1
    expected[admin.id] = [*expected[6003][:at], "erase", *expected[6003][at:]]
    for user in (focal, lead, coordinator, admin):
        await user.command("help")
        shown = await user.expect("Commands")
        assert _listed(shown.plain) == expected[user.id], user
        assert await _menu(harness, user.id) == expected[user.id], user
        if user not in (coordinator, admin):
            assert "COUNTRY" not in shown.plain
            await user.command("summary")
            summary = await user.expect("Thailand")
            assert "/status COUNTRY" not in summary.plain and "/status" in summary.plain
    with harness.db.session(write=False) as session:
        actor = find_actor(session, 6002)
        assert actor is not None and commands_of(actor) == tuple(expected[6002])


# --------------------------------------------------------------------------- languages


async def test_a_khmer_speaker_reporting_for_thailand_may_keep_khmer(harness: BotHarness):
    code = await harness.invite_code("TH")
    user = await harness.user(7001, "Sok", language_code="km")
    await user.command("start", code)
    choice = await user.expect(lambda m: m.has_button("ไทย"))
    assert [b.text for b in choice.buttons()] == ["ខ្មែរ", "ไทย", "English"]
    await user.press("ខ្មែរ")
    item = await user.expect(lambda m: m.has_button("✅"))
    assert "a.1" in item.plain


# --------------------------------------------------------------------------- no changes


async def test_compare_names_the_countries_without_changes_on_one_line(harness: BotHarness):
    alice = await harness.enrol(8001, "TH", name="Alice")
    await alice.press_and_wait("Implemented")
    admin = await harness.admin()
    await harness.open_cycle("2026-12-31", "Second", "cycle")
    await alice.command("continue")
    await alice.expect("Item 1 / 48")  # the new cycle's prompt, not the old one's buttons
    await alice.press_and_wait("Planned")

    await admin.command("compare")
    text = (await admin.expect("compared with")).plain
    assert "No changes." not in text
    [line] = [line for line in text.splitlines() if line.startswith("No changes:")]
    others = [info.name for info in ASEAN_MEMBER_STATES if info.code != "TH"]
    assert line == "No changes: " + ", ".join(others)
    assert "Thailand:" in text


async def test_the_digest_names_the_countries_without_changes_on_one_line(harness: BotHarness):
    admin = await harness.admin()
    harness.clock.advance(hours=1)
    alice = await harness.enrol(9001, "TH", name="Alice")
    await alice.press_and_wait("Implemented")
    harness.clock.advance(hours=1)
    await admin.command("digest")
    text = (await admin.expect("digest")).plain
    assert "Thailand: 1 item changed; 1 of 48 answered" in text
    others = [info.name for info in ASEAN_MEMBER_STATES if info.code != "TH"]
    assert "No changes: " + ", ".join(others) in text


async def test_exports_list_countries_in_the_readers_name_order(harness: BotHarness):
    admin = await harness.admin()
    await admin.command("export")
    csv_message = await admin.expect(
        lambda m: (m.document or {}).get("file_name", "").endswith(".csv")
    )
    assert csv_message.document is not None
    raw = await harness.tg.download(csv_message.document["file_id"])
    codes = list(dict.fromkeys(row[0] for row in csv.reader(io.StringIO(raw.decode("utf-8-sig")))))
    assert codes[1:] == ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN"]
