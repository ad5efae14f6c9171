"""Two focal points of one country on the same item: nobody's answer is silently replaced.

Each item screen is drawn from one version of the item's answer. A status tap, a comment or a
removal of the comment on a screen whose status or comment a colleague changed since then
writes nothing: the person sees what the colleague set (who, when) and chooses "Keep theirs"
or "Use mine". A tap that agrees with what is stored changes nothing and asks nothing.
Evidence is added beside the colleague's, never in its place.

Through the real application and the fake Bot API, on SQLite and PostgreSQL; the last test
races two writers with real threads.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlmodel import col, select

from bot.models import Answer, AnswerRevision, Cursor, Evidence
from bot.services import reporting
from bot.services.actors import Actor
from bot.services.reporting import Action, ItemScreen
from fakegram import FakeUser, Msg
from tests.harness import START, BotHarness, is_prompt, item_id_of

BOB = "Bob <Lee> & Co"  # a colleague whose name needs escaping


def _answer(harness: BotHarness, country: str, item_id: str) -> Answer | None:
    with harness.db.session() as session:
        return session.exec(
            select(Answer).where(Answer.country_code == country, Answer.item_id == item_id)
        ).first()


def _history(harness: BotHarness, item_id: str, field: str) -> list[tuple[Any, ...]]:
    """(old value, new value, author's id) of each change of `field`, oldest first."""
    with harness.db.session() as session:
        rows = session.exec(
            select(AnswerRevision)
            .where(AnswerRevision.item_id == item_id, AnswerRevision.field == field)
            .order_by(col(AnswerRevision.id))
        ).all()
        return [(r.old_value, r.new_value, r.changed_by) for r in rows]


def _person_id(harness: BotHarness, telegram_id: int) -> int:
    return harness.actor(telegram_id).person_id


async def _two_colleagues(harness: BotHarness, country: str = "TH") -> tuple[FakeUser, FakeUser]:
    """Alice and Bob of one country, both looking at item a.1."""
    alice = await harness.enrol(2101, country, name="Alice")
    bob = await harness.enrol(2102, country, name=BOB)
    assert item_id_of(await alice.last()) == item_id_of(await bob.last()) == "a.1"
    return alice, bob


def _is_question(message: Msg) -> bool:
    return message.has_button("Keep theirs") and message.has_button("Use mine")


async def _press_again(user: FakeUser, message: Msg, label: str) -> None:
    """A second tap on a button of `message` that the bot already acted on."""
    data = next(b for b in message.buttons() if label in b.text).callback_data
    assert data is not None
    answered = await user.press(data, message_id=message.message_id, force=True)
    assert answered is not None  # answered, as a button pressed before
    await asyncio.sleep(0.3)  # time for a (wrong) write to land


async def _statuses_crossed(harness: BotHarness) -> tuple[FakeUser, FakeUser, Msg]:
    """Bob answers a.1 "Planned" after Alice's screen was drawn; Alice taps "Implemented"."""
    alice, bob = await _two_colleagues(harness)
    alice_screen = await alice.last()
    await bob.press_and_wait("Planned")
    asked = await alice.press_and_wait("Implemented", message_id=alice_screen.message_id)
    assert _is_question(asked), asked.plain
    assert "Recorded" not in asked.plain
    return alice, bob, asked


# --------------------------------------------------------------------------- status taps


async def test_a_stale_status_tap_asks_and_keep_theirs_changes_nothing(harness: BotHarness):
    alice, _, asked = await _statuses_crossed(harness)
    assert BOB in asked.plain  # who …
    assert "Bob &lt;Lee&gt; &amp; Co" in (asked.html or "")  # … escaped
    assert "10:00" in asked.plain and "UTC+07:00" in asked.plain  # when, in Bangkok's time
    assert "Planned" in asked.plain and "Implemented" in asked.plain  # theirs and mine
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.status == "planned"
    assert answer.updated_by == _person_id(harness, 2102)

    kept = await alice.press_and_wait("Keep theirs")
    assert is_prompt(kept) and item_id_of(kept) == "a.1"  # the item as stored
    assert "Recorded" not in kept.plain
    assert "Answer: 🗓 Planned" in kept.plain, kept.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.status == "planned"
    assert _history(harness, "a.1", "status") == [(None, "planned", _person_id(harness, 2102))]


async def test_use_mine_writes_once_and_a_second_tap_changes_nothing(harness: BotHarness):
    alice, _, asked = await _statuses_crossed(harness)
    recorded = await alice.press_and_wait("Use mine", message_id=asked.message_id)
    assert "Recorded: Implemented" in recorded.plain
    assert item_id_of(recorded) == "a.2"  # walks on, as any status tap
    alice_id, bob_id = _person_id(harness, 2101), _person_id(harness, 2102)
    history = [(None, "planned", bob_id), ("planned", "implemented", alice_id)]
    assert _history(harness, "a.1", "status") == history

    await _press_again(alice, asked, "Use mine")
    assert _history(harness, "a.1", "status") == history
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.status == "implemented"


async def test_use_mine_after_a_second_change_asks_again(harness: BotHarness):
    alice, bob, asked = await _statuses_crossed(harness)
    assert "Planned" in asked.plain

    await bob.press_and_wait("Back")  # Bob goes back to a.1 and changes it again
    await bob.press_and_wait("Not started")
    again = await alice.press_and_wait("Use mine", message_id=asked.message_id)
    assert _is_question(again), again.plain
    assert "Not started" in again.plain and "Recorded" not in again.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.status == "not_started"

    recorded = await alice.press_and_wait("Use mine", message_id=again.message_id)
    assert "Recorded: Implemented" in recorded.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.status == "implemented"


async def test_a_tap_that_agrees_with_the_colleague_asks_nothing(harness: BotHarness):
    alice, bob = await _two_colleagues(harness)
    alice_screen = await alice.last()
    await bob.press_and_wait("Planned")
    shown = await alice.press_and_wait("Planned", message_id=alice_screen.message_id)
    assert not _is_question(shown)
    assert "Recorded: Planned" in shown.plain and item_id_of(shown) == "a.2"
    # Nothing changed: the answer is still Bob's, with one change in its history.
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.updated_by == _person_id(harness, 2102)
    assert _history(harness, "a.1", "status") == [(None, "planned", _person_id(harness, 2102))]


async def test_a_colleague_s_comment_does_not_stop_a_status_tap(harness: BotHarness):
    """Only a change of what the tap would replace is a conflict: Bob's comment stays."""
    alice, bob = await _two_colleagues(harness)
    alice_screen = await alice.last()
    await bob.press_and_wait("Comment")
    await bob.send("Bob's note")
    await bob.expect("Comment saved")
    shown = await alice.press_and_wait("Implemented", message_id=alice_screen.message_id)
    assert not _is_question(shown)
    assert "Recorded: Implemented" in shown.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    assert (answer.status, answer.comment) == ("implemented", "Bob's note")


async def test_one_s_own_earlier_change_is_no_conflict(harness: BotHarness):
    """Only someone else's change counts: the screen's version may lag behind one's own."""
    alice = await harness.enrol(2121, "TH", name="Alice")
    await alice.press_and_wait("Planned")  # a.1, version 1
    back = await alice.press_and_wait("Back")
    with harness.db.session() as session:  # as if this screen were drawn before her change
        cursor = session.exec(select(Cursor)).one()
        assert cursor.answer_version == 1
        cursor.answer_version = 0
        session.add(cursor)
    shown = await alice.press_and_wait("Implemented", message_id=back.message_id)
    assert not _is_question(shown) and "Recorded: Implemented" in shown.plain


async def test_the_question_is_asked_in_the_person_s_language(harness: BotHarness):
    alice = await harness.enrol(2111, "VN", name="An", language="Tiếng Việt", language_code="vi")
    bob = await harness.enrol(2112, "VN", name=BOB)
    alice_screen = await alice.last()
    await bob.press_and_wait("Planned")
    await alice.press(
        next(d for d in alice_screen.callback_data() if d.startswith("a:s:")),
        message_id=alice_screen.message_id,
    )
    asked = await alice.expect(lambda m: len(m.buttons()) == 2)
    assert "Keep theirs" not in asked.plain and not asked.has_button("Use mine")
    assert BOB in asked.plain and "UTC+07:00" in asked.plain
    answer = _answer(harness, "VN", "a.1")
    assert answer is not None and answer.status == "planned"


# --------------------------------------------------------------------------- comments


async def _both_send(
    harness: BotHarness, button: str, bob_sends: str, alice_sends: str
) -> tuple[FakeUser, FakeUser]:
    """Alice presses `button` on a.1; Bob, meanwhile, does too and saves `bob_sends`; then
    Alice sends `alice_sends` to the prompt drawn before Bob's change."""
    alice, bob = await _two_colleagues(harness)
    await alice.press_and_wait(button)
    await bob.press_and_wait(button)
    await bob.send(bob_sends)
    await bob.expect(lambda m: f"{button} saved" in m.plain)
    await alice.send(alice_sends)
    return alice, bob


async def _comments_crossed(harness: BotHarness) -> tuple[FakeUser, FakeUser, Msg]:
    """Alice starts a comment; Bob saves his meanwhile; Alice sends hers: the question."""
    alice, bob = await _both_send(harness, "Comment", "Bob's comment", "Alice's comment")
    asked = await alice.expect(_is_question)
    assert "Comment saved" not in asked.plain
    assert "Bob's comment" in asked.plain and "Alice's comment" in asked.plain
    assert BOB in asked.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.comment == "Bob's comment"
    return alice, bob, asked


async def test_a_comment_crossing_a_colleague_s_asks_and_keep_theirs_keeps_it(
    harness: BotHarness,
):
    alice, _, _ = await _comments_crossed(harness)
    kept = await alice.press_and_wait("Keep theirs")
    assert is_prompt(kept) and "Comment saved" not in kept.plain
    assert "Bob's comment" in kept.plain and "Alice's comment" not in kept.plain
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.comment == "Bob's comment"
    assert [row[1] for row in _history(harness, "a.1", "comment")] == ["Bob's comment"]


async def test_a_comment_crossing_a_colleague_s_use_mine_replaces_it_once(harness: BotHarness):
    alice, _, asked = await _comments_crossed(harness)
    saved = await alice.press_and_wait("Use mine")
    assert "Comment saved" in saved.plain and "Alice's comment" in saved.plain
    history = [("Bob's comment", "Alice's comment", _person_id(harness, 2101))]
    assert _history(harness, "a.1", "comment")[1:] == history
    await _press_again(alice, asked, "Use mine")
    assert _history(harness, "a.1", "comment")[1:] == history
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.comment == "Alice's comment"


async def test_the_same_comment_as_the_colleague_s_asks_nothing(harness: BotHarness):
    alice, _ = await _both_send(harness, "Comment", "Agreed text", "Agreed text")
    shown = await alice.expect("Comment saved")
    assert not _is_question(shown)
    assert len(_history(harness, "a.1", "comment")) == 1


# --------------------------------------------------------------------------- evidence


async def test_evidence_is_added_beside_a_colleague_s_and_says_so(harness: BotHarness):
    """Evidence adds rather than replaces: nothing to choose, and the colleague is named."""
    bob_link, alice_link = "https://example.org/bob.pdf", "https://example.org/alice.pdf"
    alice, _ = await _both_send(harness, "Evidence", bob_link, alice_link)
    shown = await alice.expect("Evidence saved")
    assert not _is_question(shown)
    assert "https://example.org/bob.pdf" in shown.plain
    assert "https://example.org/alice.pdf" in shown.plain
    assert BOB in shown.plain  # told that Bob added evidence meanwhile
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    with harness.db.session() as session:
        urls = session.exec(
            select(Evidence.url).where(Evidence.answer_id == answer.id).order_by(col(Evidence.id))
        ).all()
    assert urls == ["https://example.org/bob.pdf", "https://example.org/alice.pdf"]


# --------------------------------------------------------------------------- real races


def _tap_at_once(
    harness: BotHarness, people: list[Actor], screens: list[Any], item: str
) -> list[Any]:
    """Each person taps a different status on their screen of `item`, at the same moment."""
    barrier = threading.Barrier(len(people))
    results: list[Any] = [None] * len(people)

    def tap(index: int) -> None:
        barrier.wait()
        try:
            results[index] = harness.db.call(
                reporting.act,
                actor=people[index],
                checklists=harness.runtime.checklists,
                version=screens[index].version,
                action=Action.STATUS,
                item_id=item,
                status_index=index,
                now=START,
            )
        except Exception as error:  # any failure is a finding
            results[index] = error

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


async def test_two_colleagues_tapping_at_once_one_writes_and_the_other_is_asked(
    harness: BotHarness,
):
    """Real threads, each with its own transaction: of two taps drawn from the same answer,
    exactly one writes; the other is asked, never shown "Recorded" for a replaced value."""
    await _two_colleagues(harness)
    checklists = harness.runtime.checklists
    people = [harness.actor(2101), harness.actor(2102)]
    for item in ("a.1", "a.2", "a.3", "a.4"):
        screens = []
        for person in people:  # both open the item from the review list, as it stands
            shown = harness.db.call(
                reporting.resume, actor=person, checklists=checklists, now=START
            )
            screens.append(
                harness.db.call(
                    reporting.act,
                    actor=person,
                    checklists=checklists,
                    version=shown.version,
                    action=Action.OPEN,
                    item_id=item,
                    now=START,
                )
            )
        results = await asyncio.to_thread(_tap_at_once, harness, people, screens, item)
        recorded = [r for r in results if getattr(r, "notice", None) is reporting.Notice.RECORDED]
        asked = [r for r in results if isinstance(r, ItemScreen) and r.conflict is not None]
        assert len(recorded) == 1 and len(asked) == 1, (item, results)
        stored = _answer(harness, "TH", item)
        assert stored is not None and stored.status == recorded[0].notice_status
        conflict = asked[0].conflict
        assert conflict is not None and conflict.theirs == stored.status
        assert len(_history(harness, item, "status")) == 1
