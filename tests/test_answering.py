"""A focal point's story: enrol, choose a language, answer, stop, come back, change answers."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Answer
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
