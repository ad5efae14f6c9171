"""Keep what start-up built out of the garbage collector's full passes.

A running bot holds a large heap that never changes: the checklists, thirteen translation
catalogs, the handlers, SQLAlchemy's mappers and compiled statements, python-telegram-bot's
and Starlette's objects. CPython's collector walks all of it in each full (oldest-generation)
collection: 76 ms in a process with only the checklists and SQLAlchemy loaded, while every
tap waits. Those pauses were the slowest percent of taps (p99 69 → 39 ms at 20 taps a second
on PostgreSQL, `benchmarks/answer_path.py`). `gc.freeze()` moves every object alive at that
moment into a permanent generation the collector skips; what the bot allocates afterwards is
collected as before, and reference counting still frees everything that is not in a cycle.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def start_up_frozen() -> Iterator[None]:
    """Within the block, the objects alive when it began are skipped by the collector.

    Given back on the way out (`gc.unfreeze`), so a process that starts the bot many times
    (the tests, the demo) does not keep every run's objects out of collection for good.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
