"""CPU of the answering transaction alone: `reporting.act` as `as_person` runs it, in-process.

    .venv/bin/python -m benchmarks.act_cpu [--database sqlite|postgresql]

55 focal points (5 in each of the 11 member states), enrolled directly, answer every item in
turn, one tap each per round (a random status, or "use mine" when a colleague's answer came
first), each tap in one transaction that first finds who taps, as the answering buttons do
(`actors.as_person` through `Database.run`), all in one thread.
Printed: the CPU milliseconds per tap (`time.process_time`). No HTTP and no other process is
involved, so the figure moves little with the machine's load: the one to compare a change of
the services with (`answer_path.py` measures the whole path).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import enrol, scratch_database
from bot.checklist import ChecklistRegistry
from bot.db import Database
from bot.services import reporting
from bot.services.actors import as_person, find_actor
from bot.services.reporting import Action, ItemScreen

FIRST_ID = 5_000_000
FOCAL_POINTS = 55
STATUSES = 5


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.act_cpu", description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def taps(db: Database, user_ids: Sequence[int], items: int, rng: random.Random) -> int:
    """Every focal point answers every item; returns the number of taps."""
    checklists = ChecklistRegistry.bundled()
    screens: dict[int, reporting.Screen | reporting.ReviewSection] = {}
    for user_id in user_ids:
        actor = db.read(find_actor, user_id)
        assert actor is not None
        screens[user_id] = db.call(
            reporting.resume, actor=actor, checklists=checklists, now=datetime.now(UTC)
        )
    count = 0
    for _ in range(items):
        for user_id in user_ids:
            screen = screens[user_id]
            if not isinstance(screen, ItemScreen):
                continue
            action = Action.USE_MINE if screen.conflict is not None else Action.STATUS
            _, screens[user_id] = db.call(
                as_person,
                user_id,
                reporting.act,
                checklists=checklists,
                version=screen.version,
                action=action,
                now=datetime.now(UTC),
                item_id=screen.item_id,
                status_index=rng.randrange(STATUSES) if action is Action.STATUS else None,
            )
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    user_ids = [FIRST_ID + n for n in range(FOCAL_POINTS)]
    with (
        tempfile.TemporaryDirectory(prefix="normsbot-bench-") as tmp,
        scratch_database(args.database, Path(tmp)) as database_url,
    ):
        items = enrol(database_url, user_ids)
        db = Database(database_url)
        try:
            started = time.process_time()
            count = taps(db, user_ids, items, random.Random(args.seed))
            cpu = time.process_time() - started
        finally:
            db.dispose()
    print(f"# {args.database}, {FOCAL_POINTS} focal points, {count} taps")
    print(f"act_cpu_ms_per_tap {cpu * 1000 / count:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
