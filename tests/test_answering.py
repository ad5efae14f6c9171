"""A focal point's story: enrol, choose a language, answer, stop, come back, change answers."""

from __future__ import annotations

from sqlmodel import select

from bot.checklist import ASEAN_NORMS_ID
from bot.models import Answer, AnswerRevision, Cursor, Evidence
from tests.harness import BotHarness, is_prompt, item_id_of


async def test_answers_three_items_restarts_and_resumes_at_the_fourth(harness: BotHarness):
    alice = await harness.enrol(1001, "TH", name="Alice")
    first = await alice.last()
    assert "Item 1 / " in first.plain
    assert item_id_of(first) == "a.1"

    for expected_next in ("a.2", "a.3", "a.4"):
        shown = await alice.press_and_wait("Implemented")
        assert is_prompt(shown)
        assert item_id_of(shown) == expected_next

    await harness.restart()
    await alice.command("start")
    resumed = await alice.expect(is_prompt)
    assert item_id_of(resumed) == "a.4"
    assert "Item 4 / " in resumed.plain

    with harness.db.session() as session:
        answers = session.exec(select(Answer).where(Answer.country_code == "TH")).all()
        assert sorted((a.item_id, a.status) for a in answers) == [
            ("a.1", "implemented"),
            ("a.2", "implemented"),
            ("a.3", "implemented"),
        ]


def _history(
    harness: BotHarness, item_id: str
) -> list[tuple[str, str | None, str | None, int | None]]:
    with harness.db.session() as session:
        rows = session.exec(
            select(AnswerRevision)
            .where(AnswerRevision.item_id == item_id)
            .order_by(AnswerRevision.id)  # type: ignore[arg-type]
        ).all()
        return [(r.field, r.old_value, r.new_value, r.changed_by) for r in rows]


def _answer(harness: BotHarness, country: str, item_id: str) -> Answer | None:
    with harness.db.session() as session:
        return session.exec(
            select(Answer).where(Answer.country_code == country, Answer.item_id == item_id)
        ).first()


async def test_comment_is_saved_and_shown_escaped(harness: BotHarness):
    alice = await harness.enrol(1002, "TH")
    await alice.press_and_wait("Comment")
    await alice.expect("Type your comment")
    await alice.send("<b>bold</b> <script>alert(1)</script> & more")
    shown = await alice.expect(lambda m: "Comment saved" in m.plain and is_prompt(m))
    assert "<b>bold</b> <script>alert(1)</script> & more" in shown.plain
    assert "&lt;script&gt;" in (shown.html or "")
    assert "<b>bold</b> <script>" not in (shown.html or "")
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    assert answer.comment == "<b>bold</b> <script>alert(1)</script> & more"
    assert answer.status is None  # a comment alone does not answer the item


async def test_over_long_comment_is_refused_and_nothing_changes(harness: BotHarness):
    alice = await harness.enrol(1003, "TH")
    await alice.press_and_wait("Comment")
    await alice.send("x" * (harness.settings.comment_max_chars + 1))
    refusal = await alice.expect("the limit is")
    assert "Nothing was saved" in refusal.plain
    assert _answer(harness, "TH", "a.1") is None
    await alice.send("short and fine")
    await alice.expect("Comment saved")
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    assert answer.comment == "short and fine"


async def test_evidence_as_link_and_as_document(harness: BotHarness):
    alice = await harness.enrol(1004, "VN")
    await alice.press_and_wait("Evidence")
    await alice.send("not a link")
    await alice.expect("That is not a link")
    await alice.send("https://example.org/policy.pdf")
    shown = await alice.expect("Evidence saved")
    assert "https://example.org/policy.pdf" in shown.plain

    await alice.press_and_wait("Evidence")
    await alice.send_document("strategy.pdf", b"%PDF-1.4 national strategy", "application/pdf")
    shown = await alice.expect("Evidence saved")
    # The document is added beside the link, not in its place.
    assert "strategy.pdf" in shown.plain
    assert "https://example.org/policy.pdf" in shown.plain
    answer = _answer(harness, "VN", "a.1")
    assert answer is not None
    with harness.db.session() as session:
        evidence = session.exec(
            select(Evidence).where(Evidence.answer_id == answer.id).order_by(Evidence.id)  # type: ignore[arg-type]
        ).all()
        assert [(e.kind, e.url, e.file_name) for e in evidence] == [
            ("link", "https://example.org/policy.pdf", None),
            ("document", None, "strategy.pdf"),
        ]
        assert evidence[1].file_id
    fields = [row[0] for row in _history(harness, "a.1")]
    assert fields == ["evidence", "evidence"]


async def test_skip_and_back_move_without_answering(harness: BotHarness):
    alice = await harness.enrol(1005, "ID")
    shown = await alice.press_and_wait("Skip")
    assert item_id_of(shown) == "a.2"
    assert "Skipped" in shown.plain
    shown = await alice.press_and_wait("Back")
    assert item_id_of(shown) == "a.1"
    shown = await alice.press_and_wait("Back")
    assert item_id_of(shown) == "a.1"
    assert "first item" in shown.plain
    answer = _answer(harness, "ID", "a.1")
    assert answer is not None
    assert answer.status is None
    assert answer.skipped is True


async def test_review_and_change_keeps_full_history_with_authors(harness: BotHarness):
    alice = await harness.enrol(1006, "MY", name="Alice")
    await alice.press_and_wait("Planned")
    await alice.command("review")
    overview = await alice.expect("Your answers by norm")
    assert overview.has_button("a 1/")
    section = await alice.press_and_wait("a 1/")
    assert "a.1" in section.plain
    item = await alice.press_and_wait("a.1")
    assert item_id_of(item) == "a.1"
    assert "Planned" in item.plain
    changed = await alice.press_and_wait("Implemented")
    assert "Recorded" in changed.plain

    bob = await harness.enrol(1007, "MY", name="Bob")
    # Bob starts at the first open item of the country's shared report.
    assert item_id_of(await bob.last()) == "a.2"
    await bob.command("review")
    await bob.expect("Your answers by norm")
    await bob.press_and_wait("a 1/")
    item = await bob.press_and_wait("a.1")
    assert "Implemented" in item.plain
    assert "Alice" in item.plain
    await bob.press_and_wait("Not started")

    answer = _answer(harness, "MY", "a.1")
    assert answer is not None
    assert answer.status == "not_started"
    status_changes = [row for row in _history(harness, "a.1") if row[0] == "status"]
    assert [(old, new) for _, old, new, _ in status_changes] == [
        (None, "planned"),
        ("planned", "implemented"),
        ("implemented", "not_started"),
    ]
    authors = [by for *_, by in status_changes]
    assert authors[0] == authors[1] != authors[2]


async def test_another_country_sees_none_of_the_answers(harness: BotHarness):
    alice = await harness.enrol(1008, "TH")
    await alice.press_and_wait("Comment")
    await alice.send("Thai secret remark")
    await alice.expect("Comment saved")
    await alice.press_and_wait("Implemented")

    viet = await harness.enrol(1009, "VN")
    first = await viet.last()
    assert item_id_of(first) == "a.1"
    assert "Thai secret remark" not in first.plain
    assert "Implemented" not in first.plain.split("Answer:")[1].splitlines()[0]
    await viet.command("progress")
    progress = await viet.expect("items answered")
    assert "0 of 48 items answered" in progress.plain


async def test_stale_button_from_an_old_message_changes_nothing(harness: BotHarness):
    alice = await harness.enrol(1010, "TH")
    old_prompt = await alice.last()
    old_data = next(d for d in old_prompt.callback_data() if d.startswith("a:s:"))
    await alice.command("continue")  # a new prompt: the old message's buttons are stale now
    new_prompt = await alice.expect(is_prompt)
    assert new_prompt.message_id != old_prompt.message_id
    answer = await alice.press(old_data, message_id=old_prompt.message_id, force=True)
    assert answer is not None
    assert "no longer current" in (answer.text or "")
    assert _answer(harness, "TH", "a.1") is None
    refreshed = await alice.expect(is_prompt)
    assert item_id_of(refreshed) == "a.1"


async def test_double_tap_records_once(harness: BotHarness):
    alice = await harness.enrol(1011, "TH")
    prompt = await alice.last()
    data = next(d for d in prompt.callback_data() if d.startswith("a:s:") and d.endswith(":0"))
    first = await alice.press(data, message_id=prompt.message_id)
    second = await alice.press(data, message_id=prompt.message_id, force=True)
    assert first is not None
    assert second is not None
    assert "Already done" in (second.text or "")
    assert [row[0] for row in _history(harness, "a.1")].count("status") == 1
    assert item_id_of(await alice.last()) == "a.2"


async def test_unexpected_text_is_kept_and_can_become_the_comment(harness: BotHarness):
    alice = await harness.enrol(1012, "TH")
    await alice.send("We adopted the strategy in 2023")
    offer = await alice.expect("I was not waiting for a message")
    assert "We adopted the strategy in 2023" in offer.plain
    await alice.press_and_wait("Save as comment")
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None
    assert answer.comment == "We adopted the strategy in 2023"


async def test_unknown_command_gets_help(harness: BotHarness):
    alice = await harness.enrol(1013, "TH")
    await alice.command("frobnicate")
    await alice.expect("I do not know that command")
    await alice.expect("/review")


async def test_strangers_learn_only_how_to_get_access(harness: BotHarness):
    stranger = await harness.user(1014, "Eve")
    await stranger.command("start")
    reply = await stranger.expect("ask your coordinator")
    assert not reply.buttons()
    await stranger.send("hello")
    await stranger.expect("ask your coordinator")
    await stranger.command("review")
    await stranger.expect("ask your coordinator")
    await stranger.command("start", "not-a-real-code")
    await stranger.expect("not valid")


async def test_used_and_expired_invites_are_refused(harness: BotHarness):
    code = await harness.invite_code("TH")
    alice = await harness.user(1015, "Alice")
    await alice.command("start", code)
    await alice.expect("Choose your language")
    mallory = await harness.user(1016, "Mallory")
    await mallory.command("start", code)
    await mallory.expect("already been used")

    late_code = await harness.invite_code("VN")
    harness.clock.advance(days=harness.settings.invite_ttl_days, seconds=1)
    late = await harness.user(1017, "Late")
    await late.command("start", late_code)
    await late.expect("has expired")
    await late.command("review")
    await late.expect("ask your coordinator")


async def test_every_keyboard_fits_telegram_limits(harness: BotHarness):
    alice = await harness.enrol(1018, "SG")
    await alice.press_and_wait("Comment")
    await alice.send("a comment")
    await alice.expect("Comment saved")
    await alice.command("review")
    await alice.expect("Your answers by norm")
    await alice.press_and_wait("k 0/")
    await alice.command("progress")
    await alice.expect("items answered")
    for message in await alice.messages():
        for data in message.callback_data():
            assert len(data.encode()) <= 64, data
            assert data.isascii()


async def test_a_button_from_the_previous_cycle_never_answers_the_new_one(harness: BotHarness):
    from datetime import timedelta

    from bot.models import Cycle
    from bot.services.cycles import open_cycle

    alice = await harness.enrol(1019, "TH")
    old_prompt = await alice.last()
    old_data = next(d for d in old_prompt.callback_data() if d.startswith("a:s:"))
    now = harness.clock.now()
    with harness.db.session() as session:
        first = open_cycle(session, ASEAN_NORMS_ID)
        assert first is not None
        first.closed_at = now
        session.add(first)
        session.add(
            Cycle(
                checklist_id=first.checklist_id,
                checklist_version=first.checklist_version,
                title="Second",
                opens_at=now + timedelta(seconds=1),
                deadline=now + timedelta(days=30),
                created_at=now,
            )
        )
    await alice.command("start")  # the first prompt of the new cycle
    new_prompt = await alice.expect(is_prompt)
    assert new_prompt.message_id != old_prompt.message_id
    answer = await alice.press(old_data, message_id=old_prompt.message_id, force=True)
    assert answer is not None
    assert "no longer current" in (answer.text or "")
    with harness.db.session() as session:
        assert session.exec(select(Answer).where(Answer.status.is_not(None))).all() == []  # type: ignore[union-attr]


async def test_two_focal_points_answering_one_item_at_once_neither_is_lost(harness: BotHarness):
    import asyncio

    alice = await harness.enrol(1020, "PH", name="Alice")
    bob = await harness.enrol(1021, "PH", name="Bob")
    alice_prompt, bob_prompt = await alice.last(), await bob.last()
    assert item_id_of(alice_prompt) == item_id_of(bob_prompt) == "a.1"
    answers = await asyncio.gather(alice.press("Implemented"), bob.press("Planned"))
    assert all(a is not None and not a.show_alert for a in answers), answers
    # One tap is recorded; the other, drawn before it, asks keep theirs / use mine instead of
    # replacing it unseen (tests/test_colleagues.py tells that story).
    changes = [row for row in _history(harness, "a.1") if row[0] == "status"]
    assert len(changes) == 1 and changes[0][1] is None
    answer = _answer(harness, "PH", "a.1")
    assert answer is not None
    assert answer.status == changes[0][2]
    assert answer.version == 1
    shown = [await user.last() for user in (alice, bob)]
    assert sum(m.has_button("Use mine") for m in shown) == 1, [m.plain for m in shown]
    for message in shown:
        assert "Something went wrong" not in message.plain


async def test_changing_an_answer_from_review_returns_to_the_review_list(harness: BotHarness):
    alice = await harness.enrol(1022, "TH")
    await alice.press_and_wait("Planned")  # a.1
    await alice.press_and_wait("Planned")  # a.2
    await alice.command("review")
    await alice.expect("Your answers by norm")
    await alice.press_and_wait("a 2/")
    item = await alice.press_and_wait("a.1")
    assert item_id_of(item) == "a.1"
    back = await alice.press_and_wait("Implemented")
    # The norm's review list comes back, with the new status, instead of item a.2.
    assert not is_prompt(back), back.plain
    assert "Recorded: Implemented" in back.plain
    assert "Open an item to change its answer" in back.plain
    assert back.has_button("✅ a.1")
    answer = _answer(harness, "TH", "a.1")
    assert answer is not None and answer.status == "implemented"

    # Where the person came from is kept in the database: a restart does not lose it.
    await alice.press_and_wait("a.2")
    await harness.restart()
    back = await alice.press_and_wait("Not started")
    assert not is_prompt(back), back.plain
    assert "Recorded: Not started" in back.plain
    with harness.db.session() as session:
        cursor = session.exec(select(Cursor)).one()
        assert cursor.return_to is None  # used up: the next status tap walks on as usual
    # "Back to the item" continues at the first open item.
    shown = await alice.press_and_wait("Back to the item")
    assert item_id_of(shown) == "a.3"
