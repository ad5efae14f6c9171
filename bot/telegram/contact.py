"""When Telegram last answered this process: what /readyz reads for "Telegram reachable".

Every Bot API call goes through `QuietRequest` (see transient.py), which records each answer
that came from the Bot API itself: any status below 500, since a 400 or a 403 is Telegram
speaking, while a 5xx (a proxy's 502 page) or no answer at all is Telegram unreachable.
"""

from __future__ import annotations

import time


class TelegramContact:
    """The monotonic time of the last answer from the Bot API, if there was one."""

    def __init__(self) -> None:
        self.last: float | None = None

    def record(self) -> None:
        self.last = time.monotonic()

    def within(self, seconds: float) -> bool:
        """Whether the Bot API answered in the last `seconds`."""
        return self.last is not None and time.monotonic() - self.last <= seconds
