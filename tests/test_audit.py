"""The audit log: every administrative act done through the bot leaves one entry, the chain of
hashes verifies, a row changed behind the bot's back is named, concurrent appends never fork
the chain, and only coordinators read it (/audit, the export's audit sheet)."""

from __future__ import annotations

import io
import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import AuditAction, AuditEntry, Person
from bot.services import audit
from bot.services.actors import find_actor
from bot.services.errors import PermissionDenied
from fakegram import FakeUser, Msg
from tests.harness import START, BotHarness, is_prompt
from tests.test_cli import normsbot
from tests.test_coordinators import fill_answers


def _entries(harness: BotHarness) -> list[AuditEntry]:
    with harness.db.session() as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all())


def _person_id(harness: BotHarness, telegram_id: int) -> int:
    with harness.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == telegram_id)).one()
        assert person.id is not None
        return person.id


class Log:
    """Reads the entries an act added since the last look."""

    def __init__(self, harness: BotHarness) -> None:
        self.harness = harness
        self.seen = len(_entries(harness))

    def new(self, *actions: AuditAction) -> list[AuditEntry]:
        entries = _entries(self.harness)
        added, self.seen = entries[self.seen :], len(entries)
        assert [entry.action for entry in added] == [action.value for action in actions]
        return added


async def _documents(user: FakeUser, count: int) -> list[Msg]:
    for _ in range(60):
        found = [m for m in await user.messages() if m.document]
        if len(found) >= count:
            return found
        await user.wait_for_change(timeout=2)
    raise AssertionError(f"expected {count} documents")


async def _audit_sheet(harness: BotHarness, user: FakeUser, *args: str) -> list[list[object]]:
    """The export's audit sheet (rows after the header), or [] when there is none."""
    before = len([m for m in await user.messages() if m.document])
    await user.command("export", *args)
    await _documents(user, before + 2)
    # The newest workbook: messages come oldest first.
    xlsx = [
        m for m in await user.messages() if m.document and m.document["file_name"][-4:] == "xlsx"
    ][-1]
    assert xlsx.document is not None
    book = openpyxl.load_workbook(io.BytesIO(await harness.tg.download(xlsx.document["file_id"])))
    if "Audit log" not in book.sheetnames:
        return []
    assert book.sheetnames[-2:] == ["Audit log", "About"]
    return [[cell.value for cell in row] for row in book["Audit log"].iter_rows(min_row=2)]


# --------------------------------------------------------------------------- the story


async def test_each_act_through_the_bot_leaves_one_entry_and_the_chain_verifies(
    harness: BotHarness,
):
    log = Log(harness)
    admin = await harness.admin()
    admin_id = _person_id(harness, 900001)
    (first,) = log.new(AuditAction.ROLE_CHANGED)
    assert (first.actor_id, first.subject, first.prev_hash) == (None, f"person:{admin_id}", "")

    alice = await harness.enrol(4001, "TH", name="Alice")
    alice_id = _person_id(harness, 4001)
    created, redeemed = log.new(AuditAction.INVITE_CREATED, AuditAction.INVITE_REDEEMED)
    assert (created.actor_id, created.country_code) == (admin_id, "TH")
    assert created.subject is not None and created.subject.startswith("invite:")
    assert (redeemed.actor_id, redeemed.subject) == (alice_id, created.subject)

    await admin.command("invite", "VN")
    await admin.expect("Invite for")
    (vn,) = log.new(AuditAction.INVITE_CREATED)
    assert vn.subject is not None
    await admin.command("cancelinvite", vn.subject.split(":")[1])
    await admin.expect("cancelled")
    (cancelled,) = log.new(AuditAction.INVITE_CANCELLED)
    assert (cancelled.subject, cancelled.country_code) == (vn.subject, "VN")

    lena = await harness.enrol(4002, "TH", name="Lena", national_lead=True)
    log.new(AuditAction.INVITE_CREATED, AuditAction.INVITE_REDEEMED)

    fill_answers(harness, "TH")
    await alice.command("submit")
    await alice.expect("is submitted")
    (submitted,) = log.new(AuditAction.REPORT_SUBMITTED)
    assert (submitted.actor_id, submitted.country_code, submitted.subject) == (
        alice_id,
        "TH",
        "cycle:1",
    )
    await lena.command("signoff")
    await lena.expect("You signed off")
    log.new(AuditAction.REPORT_SIGNED_OFF)

    await alice.command("continue")
    await alice.expect(is_prompt)
    await alice.press_and_wait("Planned")
    (reopened,) = log.new(AuditAction.REPORT_REOPENED)
    assert (reopened.actor_id, reopened.country_code) == (alice_id, "TH")

    await admin.command("deadline", "2026-06-30")
    await admin.expect("is now")
    (moved,) = log.new(AuditAction.DEADLINE_MOVED)
    assert '"new":"2026-06-30T' in moved.details

    await admin.command("chart")
    await admin.expect(lambda m: m.photo is not None, timeout=60)
    log.new(AuditAction.CHART_REQUESTED)
    rows = await _audit_sheet(harness, admin, "TH")
    (exported,) = log.new(AuditAction.EXPORT_REQUESTED)
    assert (exported.country_code, exported.subject) == ("TH", "cycle:1")
    # A country's export holds that country's entries only, names read at export time.
    th = [entry for entry in _entries(harness) if entry.country_code == "TH"]
    assert [row[1] for row in rows] == [entry.id for entry in th[:-1]]  # not yet this export
    assert rows[0][2] == f"#{admin_id} Ada Admin" and rows[0][3] == "Invite created"
    assert rows[0][8] == th[0].hash

    await admin.command("revoke", str(alice_id))
    await admin.expect("Remove the access of")
    # Wait for this reply, not the first change: a notice of the submission or sign-off to the
    # coordinators (sent after its commit) may reach the admin's chat just after the press.
    await admin.press("Yes, remove access")
    await admin.expect("Access removed")
    (revoked,) = log.new(AuditAction.PERSON_REVOKED)
    assert (revoked.subject, revoked.country_code) == (f"person:{alice_id}", "TH")

    await admin.command("closecycle")
    await admin.expect("Close “First reporting cycle”?")
    await admin.press("Yes, close it")
    await admin.expect("is closed.")
    log.new(AuditAction.CYCLE_CLOSED)
    await harness.open_cycle("2026-12-31", "Second")
    (opened,) = log.new(AuditAction.CYCLE_OPENED)
    assert opened.subject == "cycle:2"

    entries = _entries(harness)
    for entry in entries:  # people by id only: no name, @username or Telegram id
        text = f"{entry.subject} {entry.details}"
        assert not any(word in text for word in ("Alice", "Lena", "Ada", "4001", "900001"))
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    with harness.db.session() as session:
        result = audit.verify(session)
    assert (result.ok, result.count) == (True, len(entries))


async def test_audit_command_for_coordinators_only(harness: BotHarness):
    admin = await harness.admin()
    alice = await harness.enrol(4011, "TH", name="Alice")
    lena = await harness.enrol(4012, "TH", name="Lena", national_lead=True)
    await harness.enrol(4013, "VN", name="Vu")

    await admin.command("audit")
    shown = await admin.expect("Audit log")
    assert "The newest 7 of 7 entries, newest first." in shown.plain
    lines = shown.plain.splitlines()
    # Newest first, the time in the reader's zone (the admin's: Jakarta, UTC+07:00).
    assert (
        lines[3]
        == "Mar 2, 2026 10:00\u202fAM (UTC+07:00) · #4 Vu · Invite used · Viet Nam · invite #3"
    )
    assert "#1 Ada Admin · Invite created · Thailand · invite #1" in shown.plain
    assert lines[-1].endswith("the bot · Role changed · #1 Ada Admin")

    await admin.command("audit", "th")
    only_th = await admin.expect(lambda m: "Audit log · Thailand" in m.plain)
    assert "Viet Nam" not in only_th.plain
    assert "The newest 4 of 4 entries" in only_th.plain
    await admin.command("audit", "XX")
    await admin.expect("Unknown country code")

    for person in (alice, lena):
        await person.command("audit")
        await person.expect("Only coordinators can do this.")
    with harness.db.session() as session:
        lead = find_actor(session, 4012)
        assert lead is not None and lead.is_national_lead
        with pytest.raises(PermissionDenied):
            audit.recent(session, actor=lead, country_code="TH")

    # A focal point's own export has no audit sheet; a coordinator's has every entry.
    await alice.press_and_wait("Implemented")
    assert await _audit_sheet(harness, alice) == []
    rows = await _audit_sheet(harness, admin)
    assert len(rows) == len(_entries(harness)) - 1  # all but this export's own entry


# --------------------------------------------------------------------------- verifying


def _fill(db: Database, count: int) -> None:
    with db.session() as session:
        for n in range(count):
            audit.record(
                session,
                actor_id=n + 1,
                action=AuditAction.INVITE_CREATED,
                now=START + timedelta(minutes=n),
                country_code="TH",
                subject=f"invite:{n + 1}",
                details={"role": "focal_point", "expires": START, "n": n},
            )


def _verify(db: Database) -> audit.VerifyResult:
    with db.session(write=False) as session:
        return audit.verify(session)


def _sql(db: Database, statement: str) -> None:
    with db.engine.begin() as connection:
        if db.schema:
            connection.execute(sa.text(f'SET LOCAL search_path TO "{db.schema}"'))
        connection.execute(sa.text(statement))


def test_a_row_changed_by_sql_is_named(database: Database):
    _fill(database, 5)
    assert _verify(database) == audit.VerifyResult(True, 5)

    _sql(database, """UPDATE audit_entry SET details = '{"role":"coordinator"}' WHERE id = 3""")
    assert _verify(database) == audit.VerifyResult(False, 2, 3, "changed")


def test_a_removed_row_and_a_cut_tail_are_named(database: Database):
    _fill(database, 5)
    _sql(database, "DELETE FROM audit_entry WHERE id = 5")
    assert _verify(database) == audit.VerifyResult(False, 4, 4, "truncated")
    _sql(database, "DELETE FROM audit_entry WHERE id = 2")
    assert _verify(database) == audit.VerifyResult(False, 1, 3, "unchained")


def test_entries_appended_while_verifying_are_not_a_cut(database: Database):
    """verify reads the head first; the bot may append after that (simulated: an older head)."""
    _fill(database, 3)
    _sql(
        database,
        "UPDATE audit_head SET count = 2, last_hash = (SELECT hash FROM audit_entry WHERE id = 2)",
    )
    assert _verify(database) == audit.VerifyResult(True, 3)
    _sql(database, "UPDATE audit_head SET count = 2, last_hash = 'x'")
    assert _verify(database) == audit.VerifyResult(False, 3, 3, "truncated")


def test_details_hold_plain_values_only(database: Database):
    with database.session() as session, pytest.raises(TypeError):
        audit.record(
            session,
            actor_id=None,
            action=AuditAction.CYCLE_CLOSED,
            now=START,
            details={"who": object()},
        )


def test_concurrent_appends_keep_one_chain(database: Database):
    """8 threads, each with its own session and transaction, append at the same moment."""
    threads, each = 8, 10
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(each):
                with database.session() as session:
                    audit.record(
                        session,
                        actor_id=worker,
                        action=AuditAction.EXPORT_REQUESTED,
                        now=datetime.now(UTC),
                        details={"n": n},
                    )
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert _verify(database) == audit.VerifyResult(True, threads * each)
    with database.session() as session:
        prev = session.exec(select(AuditEntry.prev_hash)).all()
    assert len(prev) == len(set(prev)) == threads * each  # no fork


# --------------------------------------------------------------------------- the CLI


def test_cli_audit_verify_exit_codes(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    db.migrate()
    _fill(db, 3)
    result = normsbot("audit", "verify", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "audit log OK: 3 entries"

    with Session(db.engine) as session, session.begin():
        session.execute(sa.text("UPDATE audit_entry SET actor_id = 9 WHERE id = 2"))
    db.dispose()
    result = normsbot("audit", "verify", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 1
    assert "audit log BROKEN at entry #2" in result.stdout

    empty = tmp_path / "none"
    empty.mkdir()
    missing = f"sqlite:///{empty / 'fresh.db'}"
    result = normsbot("audit", "verify", env={"DATABASE_URL": missing}, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "normsbot: cannot read the audit log" in result.stderr
