"""CPU-heavy work (charts, workbooks) in a worker process, so the event loop keeps answering.

Drawing a chart with matplotlib or writing a workbook holds the GIL from start to end: run in
the bot's own process, even in a thread, it would leave every other person's tap waiting until
it is done. A `ProcessPoolExecutor` runs such a function elsewhere; what goes in and out is
plain, picklable data (rows and strings in, bytes out).

There is one pool per running application, started with the first job (most processes never
draw a chart) and shut down when the application stops (`shutdown`, PTB's post_shutdown).
Workers are started with "spawn": a fork of a process that runs threads (the database's worker
threads, PTB's) can inherit a lock that no thread will ever release.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from telegram.ext import ContextTypes

from bot import metrics
from bot.telegram.runtime import App

log = logging.getLogger(__name__)

KEY = "normsbot.offload"
P = ParamSpec("P")
T = TypeVar("T")


class AlreadyPreparing(Exception):
    """The person has a chart, an export or a report in the making already."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # what is being prepared: "chart", "export" or "report"


class Busy(Exception):
    """As many jobs wait for a worker as the queue holds: try again in a minute."""


# A worker is replaced after this many jobs: each chart or workbook leaves it 2-3 MB larger
# (matplotlib's caches, the allocator's arenas), about 120 MB after its first; the fresh one's
# start (a second or so, once in so many jobs) keeps it near that instead of growing all day.
JOBS_PER_WORKER = 8


class Offloader:
    """Runs pure functions in a small pool of worker processes, started on first use.

    `reserved` bounds the jobs: one per person at a time, and at most `workers + queue`
    altogether, so that 200 /export from one person (or from everyone at once) make neither
    an unbounded queue nor wait times nobody would bear.
    """

    def __init__(self, workers: int, queue: int = 8) -> None:
        self.workers = workers
        self.queue = queue
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[int, str] = {}  # person -> kind of the job they have in the making
        self._submitted = 0  # jobs handed to the pool and not back yet

    def running(self) -> int:
        """Jobs a worker process is making now (a gauge)."""
        return min(self._submitted, self.workers)

    def waiting(self) -> int:
        """Jobs held for someone and not in a worker: their data being read, or queued."""
        return max(len(self._jobs) - self.running(), 0)

    @contextlib.asynccontextmanager
    async def reserved(self, person: int, kind: str) -> AsyncIterator[None]:
        """Hold the person's one place for a job of `kind` for the block; raises
        `AlreadyPreparing` or `Busy` instead of queueing without end."""
        # One event loop: the check and the write below cannot interleave with another's.
        if person in self._jobs:
            raise AlreadyPreparing(self._jobs[person])
        if len(self._jobs) >= self.workers + self.queue:
            raise Busy()
        self._jobs[person] = kind
        try:
            yield
        finally:
            del self._jobs[person]

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=JOBS_PER_WORKER,
            )
        return self._pool

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` in a worker process; its exceptions come back here."""
        loop = asyncio.get_running_loop()
        self._submitted += 1
        try:
            return await loop.run_in_executor(
                self._executor(), functools.partial(fn, *args, **kwargs)
            )
        except BrokenProcessPool:
            # A worker died (killed, out of memory): drop the pool so the next job gets a
            # fresh one, and let this job fail like any other error.
            log.error("a worker process died; starting a new pool for the next job")
            self.shutdown(wait=False)
            raise
        finally:
            self._submitted -= 1

    def shutdown(self, *, wait: bool = True) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)


def offloader(context: ContextTypes.DEFAULT_TYPE) -> Offloader:
    """The application's offloader (created with the application, see `attach`)."""
    value = context.application.bot_data[KEY]
    assert isinstance(value, Offloader)
    return value


def attach(application: App, workers: int, queue: int = 8) -> None:
    worker = Offloader(workers, queue)
    application.bot_data[KEY] = worker
    metrics.watch("normsbot_queue_depth", worker, Offloader.waiting, queue="offload")
    metrics.watch("normsbot_heavy_jobs_running", worker, Offloader.running)


async def shutdown(application: App) -> None:
    """Stop the worker processes; PTB calls this when the application shuts down."""
    value = application.bot_data.get(KEY)
    if isinstance(value, Offloader):
        await asyncio.to_thread(value.shutdown)
