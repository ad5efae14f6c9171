"""One truth: /progress, /submit, /status and the digest count the same items the same way.

Each item of a country's report is answered, skipped, to confirm (copied from the last cycle)
or open, never two of these (`bot.services.reads`). The stories below are the ones where the
screens used to disagree: a skipped item counted as open by one and not by another, copies
from the last cycle counted twice, a digest that called everyone behind on the first day, and
a digest that forgot the previous cycle's changes once a new cycle opened.
"""

from __future__ import annotations

import re

from fakegram import FakeUser
from tests.harness import BotHarness, is_prompt
from tests.test_coordinators import fill_answers

STATE_LINE = re.compile(
    r"^\S+ (Open|Skipped|Carried over, not confirmed|From the last cycle, to confirm): (\d+)$",
    re.MULTILINE,
)


async def _progress(user: FakeUser) -> tuple[int, dict[str, int]]:
    """The answered count and the state lines of /progress, as the user reads them."""
    await user.command("progress")
    shown = await user.expect("items answered")
    answered = int(re.search(r"(\d+) of 48 items answered", shown.plain).group(1))  # type: ignore[union-attr]
    return answered, {label: int(count) for label, count in STATE_LINE.findall(shown.plain)}


async def test_progress_adds_up_with_a_skipped_item(harness: BotHarness):
    alice = await harness.enrol(5001, "TH", name="Alice")
    for _ in range(5):
        await alice.press_and_wait("Implemented")
    await alice.press_and_wait("Skip")
    answered, states = await _progress(alice)
    assert answered == 5
    assert states == {"Skipped": 1, "Open": 42}
    assert answered + sum(states.values()) == 48


async def test_progress_adds_up_in_a_baseline_cycle(harness: BotHarness):
    alice = await harness.enrol(5002, "TH", name="Alice")
    for _ in range(4):
        await alice.press_and_wait("Implemented")
    await harness.open_cycle("2026-12-31", "Second", "cycle", "baseline")
    await alice.command("continue")
    await alice.expect(is_prompt)
    await alice.press_and_wait("Implemented")  # a.1 confirmed; a.2 .. a.4 still to confirm
    answered, states = await _progress(alice)
    assert answered == 1
    assert answered + sum(states.values()) == 48
    assert states["Open"] == 44


async def test_submit_status_and_progress_say_the_same_open_count(harness: BotHarness):
    alice = await harness.enrol(5003, "TH", name="Alice")
    for _ in range(5):
        await alice.press_and_wait("Implemented")
    await alice.press_and_wait("Skip")  # a knowingly skipped item is not open

    await alice.command("submit")
    refused = await alice.expect("cannot be submitted yet")
    assert "42 items are still open" in refused.plain

    _, states = await _progress(alice)
    assert states["Open"] == 42

    admin = await harness.admin()
    await admin.command("status", "TH")
    status = await admin.expect("Recent changes")
    assert "Still open (42)" in status.plain
    assert "Skipped (1)" in status.plain


async def test_submit_counts_copies_to_confirm_as_open_like_status_does(harness: BotHarness):
    alice = await harness.enrol(5004, "TH", name="Alice")
    fill_answers(harness, "TH", leave=("a.1",))
    await harness.open_cycle("2026-12-31", "Second", "cycle", "baseline")
    await alice.command("submit")
    refused = await alice.expect("cannot be submitted yet")
    assert "48 items are still open" in refused.plain  # a.1 open, 47 copies to confirm
    admin = await harness.admin()
    await admin.command("status", "TH")
    status = await admin.expect("Recent changes")
    assert "Still open (48)" in status.plain
    _, states = await _progress(alice)
    assert states["Open"] == 1
    assert states["Carried over, not confirmed"] == 47


async def test_nobody_is_behind_while_nothing_is_expected_yet(harness: BotHarness):
    admin = await harness.admin()
    await harness.enrol(5005, "TH", name="Alice")
    harness.clock.advance(hours=1)  # 1 hour of a 90-day cycle: not one item expected yet
    await admin.command("digest")
    shown = await admin.expect("digest")
    assert "Nobody is behind." in shown.plain
    assert "Thailand: 0 of 48" not in shown.plain


async def test_a_digest_over_a_new_cycle_tells_the_changes_of_both(harness: BotHarness):
    admin = await harness.admin()
    alice = await harness.enrol(5006, "TH", name="Alice")
    harness.clock.advance(minutes=5)  # after the coordinator enrolled: within their window
    for _ in range(3):
        await alice.press_and_wait("Implemented")
    harness.clock.advance(days=1)
    await harness.open_cycle("2026-12-31", "Second", "cycle")
    harness.clock.advance(hours=1)
    await alice.command("continue")
    await alice.expect(is_prompt)
    await alice.press_and_wait("Planned")
    harness.clock.advance(hours=1)

    await admin.command("digest")
    shown = await admin.expect("digest")
    text = shown.plain
    changes = text[text.index("Changes") : text.index("New submissions")]
    assert "Thailand: 1 item changed; 1 of 48 answered" in changes  # the open cycle
    assert "First reporting cycle" in changes  # the cycle closed within the window
    assert "Thailand: 3 items changed; 3 of 48 answered" in changes


async def test_the_end_of_the_checklist_counts_a_skipped_item_as_done(harness: BotHarness):
    registry = harness.runtime.checklists
    last = registry.latest(registry.DEFAULT_ID).items[-1].id
    fill_answers(harness, "TH", leave=(last,))
    alice = await harness.enrol(5007, "TH", name="Alice")  # starts at the one open item
    item = await alice.expect(is_prompt)
    assert last in item.plain
    await alice.press_and_wait("Skip")
    done = await alice.expect("end of the checklist")
    assert "47 of 48 items answered." in done.plain
    assert "still open" not in done.plain  # as /submit and /progress: nothing is open
    assert "send /submit" in done.plain
