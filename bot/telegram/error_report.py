"""Errors reach people, not only the log: a short report of each bug in an admin chat.

With `NORMSBOT_ERROR_CHAT_ID` set, an unexpected exception (not a bad network day: that is
one WARNING line, see `transient.py`) sends that chat a few lines: the kind of update, the
handler, the exception's type and message and where in our code it was raised, every secret
masked as in the log (`bot.logs`). A storm must not become a storm of messages: at most one
report a minute; the errors in between are counted, and the next report, or the sweeper once
the minute is over, says "+12 more errors since …". The details stay in the log.

Sending a report never raises and never reports itself: if it fails (the chat is gone, the
network is down) that is one WARNING line, and nothing else happens.

The report is for the people who run the bot, as the log is: it is written in English and not
through the catalogs.
"""

from __future__ import annotations

import html
import logging
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from telegram import Bot

from bot import metrics
from bot.logs import SecretMask, secrets_of
from bot.telegram import transient
from bot.telegram.instrument import kind_of
from bot.telegram.runtime import App, Runtime

log = logging.getLogger(__name__)

KEY = "normsbot.error_report"
INTERVAL = timedelta(minutes=1)  # at most one message in this time
MESSAGE_MAX = 300  # characters of the exception's message in the report
# Frames in our own files say more than a library's innermost one.
OUR_CODE = str(Path(__file__).resolve().parents[1])


class ErrorReporter:
    """Writes and sends the reports of one process; holds back all but one a minute."""

    def __init__(self, chat_id: int | None, secrets: Iterable[str] = ()) -> None:
        self.chat_id = chat_id
        self.mask = SecretMask(secrets)
        self.last_sent: datetime | None = None
        self.held_back = 0  # errors since `last_sent` not reported on their own

    def describe(self, error: BaseException, *, kind: str, handler: str) -> str:
        """The report of one error: a few lines of HTML, every secret masked."""
        message = self.mask.mask(str(error))
        if len(message) > MESSAGE_MAX:
            message = message[: MESSAGE_MAX - 1] + "…"
        lines = [
            "⚠️ <b>normsbot error</b>",
            f"update: {html.escape(kind)} · handler: {html.escape(handler)}",
            f"<code>{html.escape(type(error).__name__)}: {html.escape(message)}</code>",
        ]
        where = _where(error)
        if where:
            lines.append(f"at {html.escape(where)}")
        return "\n".join(lines)

    def _due(self, now: datetime) -> bool:
        return self.last_sent is None or now - self.last_sent >= INTERVAL

    def _more(self) -> str:
        assert self.last_sent is not None
        since = self.last_sent.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"+{self.held_back} more errors since {since} (details in the log)"

    async def report(self, bot: Bot, text: str, now: datetime) -> None:
        """Send `text` now if no report went out in the last minute; else count it."""
        if self.chat_id is None:
            return
        if not self._due(now):
            self.held_back += 1
            return
        if self.held_back:
            text += "\n" + html.escape(self._more())
        self.last_sent, self.held_back = now, 0
        await self._send(bot, text)

    async def flush(self, bot: Bot, now: datetime) -> None:
        """Once the minute is over, say how many errors were held back, if any."""
        if self.chat_id is None or not self.held_back or not self._due(now):
            return
        text = "⚠️ " + html.escape(self._more())
        self.last_sent, self.held_back = now, 0
        await self._send(bot, text)

    async def _send(self, bot: Bot, text: str) -> None:
        assert self.chat_id is not None
        try:
            await bot.send_message(self.chat_id, text)
        except Exception as error:  # whatever it is: one line, never a report of its own
            log.warning(
                "could not send the error report to chat %s: %s",
                self.chat_id,
                transient.describe(error),
            )


def _where(error: BaseException) -> str | None:
    """File, line and function where the error was raised: the innermost frame in our code."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return None
    ours = [frame for frame in frames if frame.filename.startswith(OUR_CODE)]
    frame = (ours or frames)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def reporter(application: App) -> ErrorReporter:
    """The application's reporter, made on first use from its settings."""
    value = application.bot_data.get(KEY)
    if not isinstance(value, ErrorReporter):
        rt: Runtime = application.bot_data["normsbot"]
        value = ErrorReporter(rt.settings.error_chat_id, secrets_of(rt.settings))
        application.bot_data[KEY] = value
    return value


async def report_error(application: App, update: object, error: BaseException | None) -> None:
    """Report a bug met while handling `update` (None: in a job) to the admin chat."""
    try:
        target = reporter(application)
        if error is None or target.chat_id is None:
            return
        handling = metrics.current()
        kind = handling.kind if handling else (kind_of(update) if update else "job")
        handler = (handling.handler if handling else None) or "?"
        rt: Runtime = application.bot_data["normsbot"]
        text = target.describe(error, kind=kind, handler=handler)
        await target.report(application.bot, text, rt.clock.now())
    except Exception:  # a report must never become an error of its own
        log.warning("could not write the error report", exc_info=True)


async def flush_error_reports(application: App) -> None:
    """Say how many errors were held back, once their minute is over (the sweeper calls it)."""
    try:
        rt: Runtime = application.bot_data["normsbot"]
        await reporter(application).flush(application.bot, rt.clock.now())
    except Exception:
        log.warning("could not send the count of held-back errors", exc_info=True)
