"""Each update takes effect once, even when Telegram serves it again.

`handled_once` wraps a handler's body: the first writing service call of the body (through
`Database.run`) starts by recording the update's id (`services.updates.record`), so the id and
the effect commit together. An update served again (after a crash before its offset was
confirmed, or a webhook retry) stops at that call with `AlreadyHandled`, having changed
nothing, and gets no second reply. A body that only reads records nothing: shown again, it
only shows the same thing again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from telegram import Update

from bot import metrics
from bot.db import before_first_write
from bot.services import updates
from bot.services.updates import AlreadyHandled
from bot.telegram.runtime import Runtime

log = logging.getLogger(__name__)


@contextmanager
def handled_once(update: Update, rt: Runtime) -> Iterator[None]:
    """Run the block as the handling of `update`, skipped from its first write if a repeat."""
    step = functools.partial(updates.record, update_id=update.update_id, now=rt.clock.now())
    with before_first_write(step):
        try:
            yield
        except AlreadyHandled:
            metrics.mark(metrics.Outcome.SKIPPED_REPEAT)
            log.info("update %s was handled before: not again", update.update_id)
