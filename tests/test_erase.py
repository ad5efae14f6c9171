"""/erase: an administrator deletes a revoked person's Telegram id, name and @username; their
answers, the history, exports and the audit log then show a pseudonym, and the audit log's
chain still verifies."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from sqlmodel import select

from bot.models import Delivery, DeliveryKind, DeliveryStatus, Person
from bot.services import audit
from fakegram import FakeUser, Msg
from tests.harness import BotHarness, is_prompt

ALICE_ID = 5001
ALICE_USERNAME = "alice_th_mfa"


def _person(harness: BotHarness, person_id: int) -> Person:
    with harness.db.session() as session:
        person = session.get(Person, person_id)
        assert person is not None
        return person


async def _enrol_alice(harness: BotHarness) -> tuple[FakeUser, int]:
    """A focal point with an @username (the harness's `enrol` registers users without one)."""
    code = await harness.invite_code("TH")
    alice = await harness.tg.user(ALICE_ID, "Alice Srisuk", "en", username=ALICE_USERNAME)
    await alice.command("start", code)
    await alice.expect(lambda m: m.has_button("English"))
    await alice.press("English")
    await alice.expect(is_prompt)
    with harness.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == ALICE_ID)).one()
        assert person.id is not None
        return alice, person.id


async def _export_texts(harness: BotHarness, user: FakeUser) -> tuple[list[str], str]:
    """Every cell of the newest workbook, and the CSV, as text."""
    before = len([m for m in await user.messages() if m.document])
    await user.command("export")
    documents: list[Msg] = []
    for _ in range(60):
        documents = [m for m in await user.messages() if m.document]
        if len(documents) >= before + 2:
            break
        await user.wait_for_change(timeout=2)
    xlsx, csv = documents[-2], documents[-1]
    assert xlsx.document is not None and csv.document is not None
    content = await harness.tg.download(xlsx.document["file_id"])
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    raw = await harness.tg.download(csv.document["file_id"])
    return cells, raw.decode("utf-8-sig")


async def test_an_admin_erases_a_revoked_person_who_then_shows_as_a_pseudonym(
    harness: BotHarness,
):
    alice, alice_id = await _enrol_alice(harness)
    await alice.press_and_wait("Implemented")
    await alice.press_and_wait("Comment")
    await alice.send("Cabinet resolution 2024")
    await alice.expect("Comment saved")
    admin = await harness.admin()
    pseudonym = f"Focal point TH-{alice_id}"
    with harness.db.session() as session:  # a reminder planned for her
        session.add(
            Delivery(
                recipient_id=alice_id,
                kind=DeliveryKind.REMINDER,
                slot="test",
                due_at=harness.clock.now() + timedelta(days=1),
                created_at=harness.clock.now(),
            )
        )

    await admin.command("erase", str(alice_id))  # she still has access
    await admin.expect(f"#{alice_id} still has access. Remove it first with /revoke {alice_id}")
    await admin.command("revoke", str(alice_id))
    await admin.expect("Remove the access of")
    await admin.press_and_wait("Yes, remove access")

    await admin.command("erase", f"#{alice_id}")
    ask = await admin.expect("Erase")
    assert f"#{alice_id} Alice Srisuk (@{ALICE_USERNAME}) (focal point, Thailand)" in ask.plain
    assert f"shown as “{pseudonym}”" in ask.plain
    cancelled = await admin.press_and_wait("Cancel")
    assert "Nothing was erased" in cancelled.plain
    assert _person(harness, alice_id).display_name == "Alice Srisuk"

    await admin.command("erase", str(alice_id))
    ask = await admin.expect("Erase")
    confirm = next(data for data in ask.callback_data() if data.startswith("er:y:"))
    done = await admin.press_and_wait("Yes, erase")
    assert f"Erased. #{alice_id} is now shown as “{pseudonym}”." in done.plain
    person = _person(harness, alice_id)
    assert (person.telegram_id, person.display_name) == (-alice_id, pseudonym)
    assert (person.username, person.telegram_language, person.active) == (None, None, False)
    with harness.db.session() as session:
        statuses = session.exec(
            select(Delivery.status).where(Delivery.recipient_id == alice_id)
        ).all()
        assert statuses == [DeliveryStatus.CANCELLED]
        # The hashed rows never held her name: the chain verifies as before.
        result = audit.verify(session)
        assert result.ok, result

    # A second tap on the same button changes nothing.
    again = await admin.press(confirm, message_id=ask.message_id, force=True)
    assert again is not None and f"#{alice_id} was already erased" in (again.text or "")

    # History, exports and the audit log show the pseudonym, and nothing identifying is left.
    cells, csv = await _export_texts(harness, admin)
    text = "\n".join(cells) + "\n" + csv
    assert pseudonym in csv  # the answers' author
    assert "Cabinet resolution 2024" in text  # her answers stay
    for gone in ("Alice", "Srisuk", ALICE_USERNAME, str(ALICE_ID)):
        assert gone not in text, gone
    await admin.command("audit")
    log = await admin.expect("Audit log")
    assert f"Person erased · Thailand · #{alice_id} {pseudonym}" in log.plain
    assert f"#{alice_id} {pseudonym} · Invite used" in log.plain
    assert "Alice" not in log.plain

    # The human behind the erased account is a stranger to the bot now.
    await alice.command("start")
    await alice.expect("To get access, ask your coordinator for an invite link")


async def test_only_admins_erase_and_only_someone_revoked(harness: BotHarness):
    _alice, alice_id = await _enrol_alice(harness)
    admin = await harness.admin()
    bob = await harness.enrol_coordinator(5002, name="Bob")
    await admin.command("revoke", str(alice_id))
    await admin.expect("Remove the access of")
    await admin.press_and_wait("Yes, remove access")

    await bob.command("erase", str(alice_id))
    await bob.expect("Only administrators can do this.")
    await admin.command("erase")
    await admin.expect("Usage: /erase NUMBER")
    await admin.command("erase", "999")
    await admin.expect("There is nobody with number #999.")

    # A confirm button made before a change to the person (here: re-enrolled under another
    # invite, then revoked again) is stale: its fingerprint no longer matches.
    await admin.command("erase", str(alice_id))
    ask = await admin.expect("Erase")
    with harness.db.session() as session:
        person = session.get(Person, alice_id)
        assert person is not None
        person.display_name = "Alice S."
        session.add(person)
    answer = await admin.press("Yes, erase", message_id=ask.message_id)
    assert answer is not None and "no longer current" in (answer.text or "")
    assert _person(harness, alice_id).telegram_id == ALICE_ID


async def test_usernames_are_shown_to_coordinators_only(harness: BotHarness):
    alice, _alice_id = await _enrol_alice(harness)
    code = await harness.invite_code("TH")
    bob = await harness.tg.user(5003, "Bob", "en", username="bob_th_mfa")
    await bob.command("start", code)
    await bob.expect(lambda m: m.has_button("English"))
    await bob.press("English")
    await bob.expect(is_prompt)

    await alice.command("people")
    colleagues = await alice.expect("People")
    assert "Bob" in colleagues.plain and "Alice Srisuk" in colleagues.plain
    assert "@" not in colleagues.plain  # not even her own: the list is the same for everyone
    admin = await harness.admin()
    await admin.command("people", "TH")
    listing = await admin.expect("People")
    assert "Bob (@bob_th_mfa)" in listing.plain
    assert f"Alice Srisuk (@{ALICE_USERNAME})" in listing.plain
