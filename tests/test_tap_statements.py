"""What one status tap sends to the database, counted: the answering path runs on every tap,
so a statement more there is paid 20 times a second on a busy deadline day.

Through the real application and the fake Bot API, on SQLite and PostgreSQL: the statements
are counted on the bot's own engines while Alice taps a status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from bot.models import AnswerRevision, Person
from tests.harness import BotHarness, item_id_of


@contextmanager
def _listening(harness: BotHarness, event: str, listener: Callable[..., None]) -> Iterator[None]:
    """`listener` on the bot's engines' `event` while the block runs."""
    engines = {harness.db.engine, harness.db.read_engine}  # one engine on PostgreSQL
    for engine in engines:
        sa.event.listen(engine, event, listener)
    try:
        yield
    finally:
        for engine in engines:
            sa.event.remove(engine, event, listener)


@contextmanager
def _statements(harness: BotHarness) -> Iterator[list[str]]:
    """Every statement the bot's engines send while the block runs, whitespace folded."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    with _listening(harness, "before_cursor_execute", note):
        yield sent


@contextmanager
def _transactions(harness: BotHarness) -> Iterator[list[str]]:
    """One entry per transaction the bot's engines begin while the block runs."""
    begun: list[str] = []

    def note(conn: Any) -> None:
        begun.append(conn.engine.url.drivername)

    with _listening(harness, "begin", note):
        yield begun


async def test_a_status_tap_writes_the_cursor_once_after_claiming_it(harness: BotHarness):
    """The claim (compare-and-set on the version) and one write of where the person now
    stands, also when the next item already has a colleague's answer: the screen is drawn
    from that answer's version, which is known before the cursor is written."""
    alice = await harness.enrol(2301, "TH", name="Alice")
    bob = await harness.enrol(2302, "TH", name="Bob")
    await bob.press_and_wait("Skip")  # Bob walks on to a.2 …
    await bob.press_and_wait("Planned")  # … and answers it
    screen = await alice.last()
    assert item_id_of(screen) == "a.1"

    with _statements(harness) as sent:
        shown = await alice.press_and_wait("Implemented", message_id=screen.message_id)
    assert item_id_of(shown) == "a.2" and "Planned" in shown.plain  # Bob's answer, shown

    cursor_writes = [s for s in sent if s.upper().startswith("UPDATE CURSOR")]
    assert len(cursor_writes) == 2, cursor_writes
    assert "version" in cursor_writes[0].split(" WHERE ")[0]  # the claim comes first


async def test_a_status_tap_is_one_transaction(harness: BotHarness):
    """Who taps is found in the transaction of the tap, not in one of its own before it: a
    transaction is a connection checked out and pinged, a BEGIN and a COMMIT, and a thread hop,
    on every tap."""
    alice = await harness.enrol(2321, "TH", name="Alice")
    await alice.press_and_wait("Skip")  # after the first prompt was remembered (its own write)
    screen = await alice.last()
    with _transactions(harness) as begun:
        shown = await alice.press_and_wait("Implemented", message_id=screen.message_id)
    assert "Recorded: Implemented" in shown.plain
    assert len(begun) == 1, begun


async def test_a_status_tap_loads_only_the_answer_it_changes(harness: BotHarness):
    """The country's answers feed counts and the screen: read as rows, not as entities loaded
    into the session (1.1 ms against 0.5 for the 150 answers of a full checklist). Only the
    answer the tap changes is loaded, locked, to be written."""
    from bot.models import Answer

    alice = await harness.enrol(2331, "TH", name="Alice")
    bob = await harness.enrol(2332, "TH", name="Bob")
    for status in ("Skip", "Planned", "Implemented"):  # Bob answers three items
        await bob.press_and_wait(status)
    screen = await alice.last()
    loaded: list[str] = []

    def note(target: Answer, _context: Any) -> None:
        loaded.append(target.item_id)

    sa.event.listen(Answer, "load", note)
    try:
        await alice.press_and_wait("Implemented", message_id=screen.message_id)
    finally:
        sa.event.remove(Answer, "load", note)
    assert loaded == ["a.1"], loaded


async def test_a_tap_notes_activity_at_most_once_a_minute(harness: BotHarness):
    """ "Last active" is kept to the minute, as for every other command and button (`seen`):
    the tap found Alice active in its own transaction, so writing her row on every tap bought
    only a statement more. A tap more than a minute after the last note writes it again."""
    alice = await harness.enrol(2341, "TH", name="Alice")
    screen = await alice.last()
    harness.clock.advance(timedelta(seconds=40))
    with _statements(harness) as sent:
        screen = await alice.press_and_wait("Implemented", message_id=screen.message_id)
    assert "Recorded: Implemented" in screen.plain
    assert not [s for s in sent if s.upper().startswith("UPDATE PERSON")], sent

    harness.clock.advance(timedelta(minutes=2))
    with _statements(harness) as sent:
        screen = await alice.press_and_wait("Planned", message_id=screen.message_id)
    assert "Recorded: Planned" in screen.plain
    assert [s for s in sent if s.upper().startswith("UPDATE PERSON")], sent
    with harness.db.session() as session:
        person = session.exec(select(Person).where(Person.telegram_id == 2341)).one()
    assert person.last_active_at == harness.clock.now()


def _signature(statement: str) -> str:
    """The verb and the first table named: "UPDATE cursor", "SELECT answer", …"""
    words = statement.split()
    verb = words[0].upper()
    if verb == "SELECT":
        return f"SELECT {words[words.index('FROM') + 1]}"
    return f"{verb} {words[2] if verb == 'INSERT' else words[1]}"


async def test_what_a_status_tap_sends_to_the_database(harness: BotHarness):
    """Bob skipped a.1 and answered a.2; Alice, still on a.1, taps a status. Each line is
    one statement, all in one transaction: the update's id, who she is, then the tap."""
    alice = await harness.enrol(2311, "TH", name="Alice")
    bob = await harness.enrol(2312, "TH", name="Bob")
    await bob.press_and_wait("Skip")
    await bob.press_and_wait("Planned")
    screen = await alice.last()
    alice_id = harness.actor(2311).person_id

    with _statements(harness) as sent:
        shown = await alice.press_and_wait("Implemented", message_id=screen.message_id)
    assert item_id_of(shown) == "a.2" and "Recorded: Implemented" in shown.plain
    sent = [s for s in sent if s.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE")]

    assert [_signature(s) for s in sent] == [
        "INSERT handled_update",  # the update takes effect once
        "SELECT person",  # find_actor: the person, their zone and roles
        "SELECT cycle",  # the open cycle and Alice's cursor in it
        "SELECT answer",  # Thailand's answers
        "UPDATE cursor",  # the claim: compare-and-set on the button's version
        # (no UPDATE person: Alice's activity was noted less than a minute ago)
        "SELECT answer",  # a.1, to change (FOR UPDATE on PostgreSQL)
        "SELECT answerrevision",  # did a colleague change a.1's status since her screen?
        "UPDATE answer",  # the status, and Bob's skip cleared …
        "INSERT answerrevision",  # … with a revision row for each
        "UPDATE countryreport",  # a change reopens the report if it was submitted
        "UPDATE cursor",  # where Alice now stands: a.2
        "SELECT answer",  # a.2's author (Bob) and its evidence, for her next screen
    ], sent
    with harness.db.session() as session:
        revisions = session.exec(
            select(AnswerRevision).where(AnswerRevision.changed_by == alice_id)
        ).all()
    assert sorted((r.item_id, r.field, r.old_value, r.new_value) for r in revisions) == [
        ("a.1", "skipped", "true", "false"),
        ("a.1", "status", None, "implemented"),
    ]
    assert len({r.answer_version for r in revisions}) == 1  # one change, made together
