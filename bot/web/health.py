"""What /readyz checks: the database answers and is at the newest migration, and Telegram
answered this process within the last minute.

"Telegram answered" is read from what the bot recorded (`TelegramContact`): a long poll ends
every few seconds, so a polling bot that is talking to Telegram is always fresh. A webhook bot
that nobody wrote to for a minute has made no call at all: then the check asks Telegram itself
(getMe, straight through the bot's HTTP client, without the rate limiter's repeats), so a quiet
bot is not reported unready, and one whose Telegram went away is, within one probe.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram.error import TelegramError

from bot import logs
from bot.db import migration_heads
from bot.telegram.runtime import App, Runtime

TELEGRAM_FRESH_SECONDS = 60.0
PROBE_SECONDS = 5.0  # a probe of Telegram that takes longer counts as unreachable


@dataclass(frozen=True)
class Readiness:
    problems: tuple[str, ...]  # one line each; none when ready

    @property
    def ready(self) -> bool:
        return not self.problems


class ReadinessCheck:
    """Checks the database and Telegram, both at once, for one /readyz request."""

    def __init__(
        self, application: App, rt: Runtime, *, telegram_fresh: float = TELEGRAM_FRESH_SECONDS
    ) -> None:
        self.application = application
        self.rt = rt
        self.telegram_fresh = telegram_fresh  # tests set 0: every check asks Telegram

    async def __call__(self) -> Readiness:
        found = await asyncio.gather(asyncio.to_thread(self._database), self._telegram())
        return Readiness(tuple(problem for problem in found if problem))

    def _database(self) -> str | None:
        try:
            revisions = self.rt.db.revisions()
        except Exception as error:  # the drivers' own errors differ per database
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            return logs.mask(f"database unreachable: {reason}")
        if revisions != migration_heads():
            return (
                f"database not at the newest migration ({', '.join(sorted(revisions)) or 'none'}"
                f" instead of {', '.join(sorted(migration_heads()))}): run `normsbot migrate`"
            )
        return None

    async def _telegram(self) -> str | None:
        contact = self.rt.contact
        if contact.within(self.telegram_fresh):
            return None
        bot = self.application.bot
        try:
            # The URL holds the token: it is never part of what is said below.
            await asyncio.wait_for(
                bot.request.post(
                    f"{bot.base_url}/getMe",
                    connect_timeout=PROBE_SECONDS,
                    read_timeout=PROBE_SECONDS,
                ),
                PROBE_SECONDS,
            )
        except (TelegramError, TimeoutError) as error:
            return logs.mask(f"Telegram unreachable: {type(error).__name__}: {error}")
        return None
