"""Several instruments from one bot: roles per instrument, and a database of the one-checklist
days upgraded to them.

The bot here loads the bundled norms checklist and a small second instrument
(`tests/data/instruments/test-scams.yaml`, short name `scams`, a draft).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from bot.checklist import ASEAN_NORMS_ID, bundled_checklist_dir
from bot.db import Database
from bot.models import Answer, Cycle, Invite, Membership, Person, Role
from bot.services import summaries
from bot.services.actors import find_actor, grant
from bot.services.errors import NoRoleInInstrument
from fakegram import FakeBotAPI, FakeTelegram
from tests.conftest import BACKENDS, make_freshly_migrated_database
from tests.harness import ADMIN_ID, BotHarness

SCAMS = "test-scams"
MAIN_HEAD = "e4b9c1d7a2f6"  # the last revision before memberships: a database made by main
T0 = "2026-01-05 03:00:00"


@pytest.fixture(scope="session")
def instruments_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled norms checklist and the small test instrument, side by side."""
    folder = tmp_path_factory.mktemp("instruments")
    shutil.copy(bundled_checklist_dir() / "asean-norms.yaml", folder)
    shutil.copy(Path(__file__).parent / "data" / "instruments" / "test-scams.yaml", folder)
    return folder


@pytest.fixture
async def two(
    fake_api: FakeBotAPI, tg: FakeTelegram, database: Database, instruments_dir: Path
) -> AsyncIterator[BotHarness]:
    """The bot with two instruments loaded."""
    async with BotHarness(fake_api, tg, database, checklist_dir=instruments_dir) as bot:
        yield bot


# --------------------------------------------------------------------------- roles


def test_a_coordinator_of_one_instrument_is_refused_the_others_summary(two: BotHarness):
    with two.db.session() as session:
        boss = Person(telegram_id=7001, display_name="Scams boss", created_at=two.clock.now())
        session.add(boss)
        session.flush()
        assert boss.id is not None
        grant(session, boss.id, SCAMS, Role.COORDINATOR)
    with two.db.session() as session:
        in_norms = find_actor(session, 7001, ASEAN_NORMS_ID)
        in_scams = find_actor(session, 7001, SCAMS)
        assert in_norms is not None and in_scams is not None
        assert (in_norms.role, in_scams.role) == (None, Role.COORDINATOR)
        with pytest.raises(NoRoleInInstrument):
            summaries.regional_summary(
                session, actor=in_norms, checklists=two.runtime.checklists, now=two.clock.now()
            )
    # With no instrument named, the person acts in the one they hold a role in.
    assert two.actor(7001).checklist_id == SCAMS


async def _open_scams_cycle(bot: BotHarness) -> None:
    await bot.open_cycle("scams", "2026-06-30", "Scams 2026")


async def test_a_person_with_roles_in_two_instruments_answers_both(two: BotHarness):
    await _open_scams_cycle(two)
    alice = await two.enrol(7101, "TH", name="Alice")  # norms
    first = await alice.last()
    assert "Cyber norms" in first.plain and "Draft instrument" not in first.plain

    code = await two.invite_code("TH", "scams")
    await alice.command("start", code)
    await alice.expect(lambda m: m.has_button("English"))
    await alice.press("English")
    scams = await alice.expect(lambda m: "gov.1" in m.plain)
    assert "Online scams" in scams.plain
    assert "Draft instrument: the wording is not official." in scams.plain
    await alice.press_and_wait("Implemented")

    await alice.command("start")  # two instruments: the menu, with progress in each
    menu = await alice.expect("Choose the instrument to work on")
    assert "Cyber norms" in menu.plain and "Online scams ✔️" in menu.plain
    assert "1 of 3 items answered." in menu.plain and "0 of 48 items answered." in menu.plain
    await alice.press("Cyber norms")
    norms = await alice.expect(lambda m: "a.1" in m.plain and m.has_button("Implemented"))
    assert "Online scams" not in norms.plain
    await alice.press_and_wait("Planned")
    # A button left on the scams screen does not act on the norms item now shown.
    stale = await alice.press("Planned", message_id=scams.message_id)
    assert stale is not None and "no longer current" in (stale.text or ""), stale

    with two.db.session() as session:
        answers = session.exec(
            select(Cycle.checklist_id, Answer.item_id, Answer.status)
            .join(Cycle, col(Cycle.id) == col(Answer.cycle_id))
            .where(Answer.country_code == "TH")
            .order_by(col(Cycle.checklist_id))
        ).all()
    assert [tuple(row) for row in answers] == [
        (ASEAN_NORMS_ID, "a.1", "planned"),
        (SCAMS, "gov.1", "implemented"),
    ]
    await alice.command("progress")  # the current instrument: norms, chosen last
    progress = await alice.expect("items answered")
    assert "Cyber norms" in progress.plain and "1 of 48" in progress.plain


async def test_a_coordinator_of_one_instrument_is_refused_the_others_data(two: BotHarness):
    admin = await two.admin()
    await _open_scams_cycle(two)
    await two.enrol(7201, "TH", name="Alice")  # a norms focal point: an audit entry in norms
    carol = await two.user(7202, "Carol")
    await carol.command("start", await two.invite_code("coordinator", "scams"))
    await carol.expect(lambda m: m.has_button("English"))
    await carol.press("English")
    await carol.expect("Commands")

    await carol.command("summary")  # her one instrument
    summary = await carol.expect("Scams 2026")
    assert "Online scams" in summary.plain and "Draft instrument" in summary.plain
    refused = "You have no role in this instrument."
    for command in (("summary", "norms"), ("status", "norms", "TH"), ("compare", "norms")):
        await carol.command(*command)
        await carol.expect(refused)
    for command in (("export", "norms"), ("chart", "norms"), ("audit", "norms")):
        await carol.command(*command)
        await carol.expect(refused)
    await carol.command("invite", "TH", "norms")
    await carol.expect(refused)

    await carol.command("audit")
    log = await carol.expect("Audit log")
    assert "Cycle opened" in log.plain and "Alice" not in log.plain  # the scams entries only
    await admin.command("audit")
    everything = await admin.expect(lambda m: "Audit log" in m.plain and "Alice" in m.plain)
    assert "Invite used" in everything.plain


async def test_invite_names_its_instrument_and_an_unknown_word_lists_them(two: BotHarness):
    admin = await two.admin()
    await admin.command("invite", "TH", "scams")
    invite = await admin.expect("Invite for")
    assert "Online scams" in invite.plain
    with two.db.session() as session:
        assert session.exec(select(Invite.checklist_id)).one() == SCAMS
    await admin.command("invite", "TH", "scam")
    refused = await admin.expect("Unknown word “scam”")
    assert "(norms, scams)" in refused.plain


# --------------------------------------------------------------------------- the upgrade


@pytest.fixture(params=BACKENDS)
def main_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database as today's main makes it (one role per person), not migrated further."""
    yield from make_freshly_migrated_database(request.param, tmp_path, MAIN_HEAD)


async def test_the_roles_of_a_main_database_become_norms_memberships(
    main_database: Database, fake_api: FakeBotAPI, tg: FakeTelegram
):
    person = (
        "INSERT INTO person (id, telegram_id, display_name, role, is_admin, is_national_lead, "
        "country_code, locale, active, digest_enabled, created_at) VALUES "
    )
    statements = [
        "INSERT INTO country (code, name, timezone, locales) "
        "VALUES ('TH', 'Thailand', 'Asia/Bangkok', 'th,en')",
        person + f"(1, {ADMIN_ID}, 'Ada', 'coordinator', true, false, NULL, 'en', true, true, "
        f"'{T0}')",
        person + f"(2, 5002, 'Lena', 'focal_point', false, true, 'TH', 'en', true, true, '{T0}')",
        person + f"(3, 5003, 'Alice', 'focal_point', false, false, 'TH', 'en', true, true, '{T0}')",
        "INSERT INTO cycle (id, checklist_id, checklist_version, title, opens_at, created_at, "
        f"version) VALUES (1, 'asean-norms', '2024.1-p1', 'First', '{T0}', '{T0}', 0)",
        "INSERT INTO answer (id, cycle_id, country_code, item_id, status, skipped, updated_by, "
        f"updated_at, version, baseline) VALUES (1, 1, 'TH', 'a.1', 'implemented', false, 3, "
        f"'{T0}', 1, false)",
        "INSERT INTO invite (id, code_hash, country_code, role, is_national_lead, created_by, "
        f"created_at, expires_at) VALUES (1, 'h1', 'TH', 'focal_point', false, 1, '{T0}', "
        "'2099-01-01 00:00:00')",
    ]
    with main_database.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))

    main_database.migrate()

    with main_database.session() as session:
        rows = session.exec(select(Membership).order_by(col(Membership.person_id))).all()
        assert [(m.person_id, m.checklist_id, m.role, m.is_national_lead) for m in rows] == [
            (1, ASEAN_NORMS_ID, Role.COORDINATOR, False),
            (2, ASEAN_NORMS_ID, Role.FOCAL_POINT, True),
            (3, ASEAN_NORMS_ID, Role.FOCAL_POINT, False),
        ]
        assert session.exec(select(Invite)).one().checklist_id == ASEAN_NORMS_ID
        assert session.exec(select(Answer)).one().status == "implemented"
        assert session.exec(select(Cycle)).one().closed_at is None
    columns = {c["name"] for c in sa.inspect(main_database.engine).get_columns("person")}
    assert not columns & {"role", "is_national_lead"}, "one truth: the roles are memberships"

    # The bot carries on with the same people, cycle and answers.
    async with BotHarness(fake_api, tg, main_database) as bot:
        alice = await bot.user(5003, "Alice")
        await alice.command("progress")
        progress = await alice.expect("items answered")
        assert "1 of" in progress.plain or "1/" in progress.plain, progress.plain
        lena = await bot.user(5002, "Lena")
        await lena.command("signoff")
        await lena.expect("not submitted yet")
        admin = await bot.user(ADMIN_ID, "Ada")
        await admin.command("summary")
        await admin.expect("Thailand · 1/48 answered")


async def test_report_and_needs_act_in_the_instrument_named_or_held(two: BotHarness):
    from tests.test_report_pdf import report

    await _open_scams_cycle(two)
    code = await two.invite_code("TH", "scams")
    somsak = await two.user(7401, "Somsak")  # a focal point of the scams instrument only
    await somsak.command("start", code)
    await somsak.expect(lambda m: m.has_button("English"))
    await somsak.press("English")
    await somsak.expect(lambda m: "gov.1" in m.plain)
    await somsak.press_and_wait("Need support")
    await somsak.press_and_wait("Training")

    _, held = await report(two, somsak)  # no word: the instrument they hold a role in
    _, named = await report(two, somsak, "scams")  # the word, taken out by the handler
    for text in (held, named):
        assert "A lead agency for online scams is named." in text and "a.1" not in text
    for words in ((), ("scams",), ("scams", "TH")):
        await somsak.command("needs", *words)
        picture = await somsak.expect("Support needs")
        assert "Online scams" in picture.plain and "Training" in picture.plain, picture.plain
    await somsak.command("report", "norms")
    await somsak.expect("You have no role in this instrument")
    await somsak.command("needs", "norms")
    await somsak.expect("You have no role in this instrument")


async def test_an_instrument_of_themes_says_theme_not_norm(two: BotHarness):
    await _open_scams_cycle(two)
    code = await two.invite_code("TH", "scams")
    niran = await two.user(7501, "Niran")
    await niran.command("start", code)
    await niran.expect(lambda m: m.has_button("English"))
    await niran.press("English")
    item = await niran.expect(lambda m: "gov.1" in m.plain)
    assert "Theme gov: Governance" in item.plain and "Norm" not in item.plain
    await niran.command("review")
    overview = await niran.expect("Your answers by theme")
    assert "Choose a theme to see and change its answers." in overview.plain
    listed = await niran.press_and_wait("gov 0/2")
    assert "Theme gov: Governance" in listed.plain and "Norm" not in listed.plain


async def test_an_invite_of_another_instrument_cannot_move_a_person_to_another_country(
    two: BotHarness,
):
    # A coordinator of one instrument must not change who answers for a country in another:
    # the person's country is one for all their instruments.
    await _open_scams_cycle(two)
    alice = await two.enrol(7601, "TH", name="Alice")  # a Thai focal point of the norms
    code = await two.invite_code("VN", "scams")
    await alice.command("start", code)
    refusal = await alice.expect("already represent")
    assert "Thailand" in refusal.plain and "Viet Nam" in refusal.plain
    with two.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == 7601)).one()
        assert person.country_code == "TH"
        invite = session.exec(select(Invite).where(col(Invite.checklist_id) == SCAMS)).one()
        assert invite.used_at is None, "the invite stays open, for a coordinator to cancel"
    assert two.role(7601, SCAMS) == (None, False)
    # An invite of the same instrument still moves a person (a coordinator's correction).
    code = await two.invite_code("VN")
    await alice.command("start", code)
    await alice.expect(lambda m: "Viet Nam" in m.plain)
    with two.db.session() as session:
        moved = session.exec(select(Person).where(Person.telegram_id == 7601)).one()
        assert moved.country_code == "VN"
