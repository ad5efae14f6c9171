"""Several pieces of evidence per item: added, listed, removed one at a time, exported with a
deep link that brings a document to a coordinator, and kept across the upgrade of an old
database."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.models import Answer, AnswerRevision, Evidence
from bot.services.evidence import MAX_PER_ANSWER
from fakegram import FakeUser, Msg
from tests.conftest import BACKENDS, make_freshly_migrated_database
from tests.harness import BOT_USERNAME, BotHarness, is_prompt, item_id_of

DEEP_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=(ev_[A-Za-z0-9_-]+)")


def _evidence(harness: BotHarness, country: str, item_id: str) -> list[Evidence]:
    with harness.db.session() as session:
        return list(
            session.exec(
                select(Evidence)
                .join(Answer, col(Answer.id) == col(Evidence.answer_id))
                .where(Answer.country_code == country, Answer.item_id == item_id)
                .order_by(col(Evidence.id))
            ).all()
        )


def _evidence_revisions(harness: BotHarness, item_id: str) -> list[tuple[str | None, str | None]]:
    with harness.db.session() as session:
        rows = session.exec(
            select(AnswerRevision)
            .where(AnswerRevision.item_id == item_id, AnswerRevision.field == "evidence")
            .order_by(col(AnswerRevision.id))
        ).all()
        return [(r.old_value, r.new_value) for r in rows]


async def _add_document(user: FakeUser, name: str, content: bytes, caption: str | None = None):
    await user.press_and_wait("Evidence")
    await user.send_document(name, content, caption=caption)
    return await user.expect(lambda m: "Evidence saved" in m.plain and is_prompt(m))


async def _add_link(user: FakeUser, url: str) -> Msg:
    await user.press_and_wait("Evidence")
    await user.send(url)
    return await user.expect(lambda m: "Evidence saved" in m.plain and is_prompt(m))


async def _csv_rows(harness: BotHarness, user: FakeUser, *args: str) -> list[dict[str, str]]:
    await user.command("export", *args)
    for _ in range(50):
        csvs = [
            m
            for m in await user.messages()
            if m.document and m.document["file_name"].endswith("csv")
        ]
        if csvs:
            raw = await harness.tg.download(csvs[-1].document["file_id"])  # type: ignore[index]
            return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        await user.wait_for_change(timeout=2)
    raise AssertionError("no CSV export arrived")


async def test_two_documents_and_a_link_are_all_kept_listed_and_exported(harness: BotHarness):
    alice = await harness.enrol(3001, "TH", name="Alice")
    await _add_document(alice, "strategy.pdf", b"%PDF-1.4 strategy")
    await _add_document(alice, "budget.pdf", b"%PDF-1.4 budget", caption="Budget law 2025")
    shown = await _add_link(alice, "https://example.org/th/policy")
    assert item_id_of(shown) == "a.1"
    for text in ("strategy.pdf", "budget.pdf", "Budget law 2025", "https://example.org/th/policy"):
        assert text in shown.plain, shown.plain

    rows = _evidence(harness, "TH", "a.1")
    assert [(e.kind, e.file_name or e.url) for e in rows] == [
        ("document", "strategy.pdf"),
        ("document", "budget.pdf"),
        ("link", "https://example.org/th/policy"),
    ]
    assert rows[1].caption == "Budget law 2025"
    assert all(e.file_unique_id for e in rows[:2])
    assert len({e.public_id for e in rows}) == 3
    revisions = _evidence_revisions(harness, "a.1")
    assert [old for old, _ in revisions] == [None, None, None]
    assert revisions[2][1] == "https://example.org/th/policy"

    # The evidence screen lists all three, each with its own remove button.
    listing = await alice.press_and_wait("Evidence")
    assert all(name in listing.plain for name in ("strategy.pdf", "budget.pdf", "policy"))
    assert len([d for d in listing.callback_data() if d.startswith("a:ed:")]) == 3

    admin = await harness.admin()
    table = await _csv_rows(harness, admin)
    th = next(row for row in table if row["Code"] == "TH" and row["Item"] == "a.1")
    cell = th["Evidence (link or file)"]
    lines = cell.splitlines()
    assert len(lines) == 3, cell
    assert lines[0].startswith("strategy.pdf") and DEEP_LINK.search(lines[0])
    assert "Budget law 2025" in lines[1] and DEEP_LINK.search(lines[1])
    assert lines[2] == "https://example.org/th/policy"
    tokens = [DEEP_LINK.search(line).group(1) for line in lines[:2]]  # type: ignore[union-attr]
    assert tokens == [f"ev_{rows[0].public_id}", f"ev_{rows[1].public_id}"]


async def test_removing_one_evidence_twice_removes_it_once(harness: BotHarness):
    alice = await harness.enrol(3002, "TH", name="Alice")
    await _add_document(alice, "first.pdf", b"%PDF-1.4 one")
    await _add_document(alice, "second.pdf", b"%PDF-1.4 two")
    listing = await alice.press_and_wait("Evidence")
    first_remove = next(d for d in listing.callback_data() if d.startswith("a:ed:"))
    done = await alice.press(first_remove, message_id=listing.message_id)
    again = await alice.press(first_remove, message_id=listing.message_id, force=True)
    assert done is not None and again is not None
    assert "Already done" in (again.text or "")
    shown = await alice.last()
    assert "Evidence removed" in shown.plain
    assert "second.pdf" in shown.plain and "first.pdf" not in shown.plain

    rows = _evidence(harness, "TH", "a.1")
    assert [(e.file_name, e.removed_at is not None) for e in rows] == [
        ("first.pdf", True),
        ("second.pdf", False),
    ]
    assert rows[0].removed_by is not None
    revisions = _evidence_revisions(harness, "a.1")
    assert len(revisions) == 3  # two added, one removed
    assert revisions[2][1] is None and "first.pdf" in (revisions[2][0] or "")


async def test_an_item_takes_at_most_ten_pieces_of_evidence(harness: BotHarness):
    alice = await harness.enrol(3003, "TH")
    for n in range(MAX_PER_ANSWER):
        await _add_link(alice, f"https://example.org/{n}")
    await alice.press_and_wait("Evidence")
    await alice.send("https://example.org/one-too-many")
    refused = await alice.expect(lambda m: "at most" in m.plain)
    assert "one-too-many" not in refused.plain
    assert len(_evidence(harness, "TH", "a.1")) == MAX_PER_ANSWER


async def test_the_exports_deep_link_sends_the_document_only_to_those_who_may_see_it(
    harness: BotHarness,
):
    alice = await harness.enrol(3004, "TH", name="Alice")
    content = b"%PDF-1.4 the national cyber strategy"
    await _add_document(alice, "strategy.pdf", content, caption="National strategy")
    admin = await harness.admin()
    table = await _csv_rows(harness, admin)
    th = next(row for row in table if row["Code"] == "TH" and row["Item"] == "a.1")
    match = DEEP_LINK.search(th["Evidence (link or file)"])
    assert match, th
    token = match.group(1)

    await admin.command("start", token)
    sent = await admin.expect(lambda m: m.document is not None)
    assert sent.document is not None
    assert await harness.tg.download(sent.document["file_id"]) == content
    assert "National strategy" in sent.plain and "a.1" in sent.plain

    coordinator = await harness.enrol_coordinator(3005)
    await coordinator.command("start", token)
    assert (await coordinator.expect(lambda m: m.document is not None)).document is not None

    stranger = await harness.user(3006, "Eve")
    await stranger.command("start", token)
    refusal = await stranger.expect("ask your coordinator")
    assert refusal.document is None

    viet = await harness.enrol(3007, "VN")
    await viet.command("start", token)
    refusal = await viet.expect("your own country")
    assert refusal.document is None
    assert not [m for m in await viet.messages() if m.document]

    bob = await harness.enrol(3008, "TH", name="Bob")  # the same country's focal point
    await bob.command("start", token)
    assert (await bob.expect(lambda m: m.document is not None)).document is not None

    guessed = "ev_" + "A" * 22
    await admin.command("start", guessed)
    await admin.expect("not valid")


# --------------------------------------------------------------------------- the upgrade

OLD_REVISION = "f2523687d1f5"
T0 = "2026-01-05 03:00:00"


@pytest.fixture(params=BACKENDS)
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at the revision before evidence rows, not migrated any further."""
    yield from make_freshly_migrated_database(request.param, tmp_path, OLD_REVISION)


def test_single_evidence_of_an_old_database_survives_the_upgrade(old_database: Database):
    statements = [
        "INSERT INTO country (code, name, timezone, locales) "
        "VALUES ('TH', 'Thailand', 'Asia/Bangkok', 'th,en')",
        "INSERT INTO person (id, telegram_id, display_name, role, is_admin, is_national_lead, "
        "country_code, active, digest_enabled, created_at) "
        f"VALUES (1, 5001, 'Alice', 'focal_point', false, false, 'TH', true, true, '{T0}')",
        "INSERT INTO cycle (id, checklist_id, checklist_version, title, opens_at, created_at) "
        f"VALUES (1, 'asean-norms', '1', 'First', '{T0}', '{T0}')",
        "INSERT INTO answer (id, cycle_id, country_code, item_id, status, skipped, "
        "evidence_kind, evidence_url, evidence_file_id, evidence_file_name, updated_by, "
        "updated_at, version, baseline) VALUES "
        "(1, 1, 'TH', 'a.1', 'implemented', false, 'document', NULL, 'FILE-1', 'law.pdf', 1, "
        f"'{T0}', 3, false), "
        "(2, 1, 'TH', 'a.2', 'planned', false, 'link', 'https://example.org/x', NULL, NULL, 1, "
        f"'{T0}', 2, false), "
        "(3, 1, 'TH', 'a.3', 'planned', false, NULL, NULL, NULL, NULL, 1, "
        f"'{T0}', 1, false)",
        "INSERT INTO answerrevision (answer_id, cycle_id, country_code, item_id, field, "
        f"old_value, new_value, changed_by, changed_at) VALUES (1, 1, 'TH', 'a.1', 'evidence', "
        f"NULL, 'document:law.pdf:FILE-1', 1, '{T0}')",
    ]
    with old_database.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))

    old_database.migrate()

    with old_database.session() as session:
        rows = session.exec(select(Evidence).order_by(col(Evidence.answer_id))).all()
        assert [(e.answer_id, e.kind, e.url, e.file_id, e.file_name) for e in rows] == [
            (1, "document", None, "FILE-1", "law.pdf"),
            (2, "link", "https://example.org/x", None, None),
        ]
        assert all(e.added_by == 1 and e.removed_at is None for e in rows)
        assert rows[0].added_at == datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
        assert len({e.public_id for e in rows}) == 2 and all(len(e.public_id) >= 20 for e in rows)
        assert session.exec(select(AnswerRevision)).one().answer_id == 1
    columns = {c["name"] for c in sa.inspect(old_database.engine).get_columns("answer")}
    assert not {c for c in columns if c.startswith("evidence")}


async def test_a_new_cycle_from_the_baseline_keeps_the_evidence_but_not_removed_pieces(
    harness: BotHarness,
):
    alice = await harness.enrol(3009, "TH", name="Alice")
    await _add_document(alice, "kept.pdf", b"%PDF-1.4 kept", caption="Kept")
    await _add_document(alice, "dropped.pdf", b"%PDF-1.4 dropped")
    listing = await alice.press_and_wait("Evidence")
    dropped = [d for d in listing.callback_data() if d.startswith("a:ed:")][1]
    await alice.press(dropped, message_id=listing.message_id)
    await alice.expect("Evidence removed")
    await alice.press_and_wait("Implemented")

    harness.clock.advance(days=30)
    await harness.open_cycle("2026-12-31", "Second", "baseline")
    await alice.expect("A new reporting cycle is open")

    rows = _evidence(harness, "TH", "a.1")
    old, new = rows[:2], rows[2:]
    assert [(e.file_name, e.caption) for e in new] == [("kept.pdf", "Kept")]
    assert new[0].answer_id != old[0].answer_id
    assert new[0].public_id != old[0].public_id and new[0].file_id == old[0].file_id
    await alice.command("start")
    shown = await alice.expect(is_prompt)
    assert item_id_of(shown) == "a.1"
    assert "kept.pdf" in shown.plain and "dropped.pdf" not in shown.plain
