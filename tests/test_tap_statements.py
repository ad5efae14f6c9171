"""What one status tap sends to the database, counted: the answering path runs on every tap,
so a statement more there is paid 20 times a second on a busy deadline day.

Through the real application and the fake Bot API, on SQLite and PostgreSQL: the statements
are counted on the bot's own engine while Alice taps a status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.harness import BotHarness, item_id_of


@contextmanager
def _statements(harness: BotHarness) -> Iterator[list[str]]:
    """Every statement the bot's engine sends while the block runs, whitespace folded."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    sa.event.listen(harness.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(harness.db.engine, "before_cursor_execute", note)


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
