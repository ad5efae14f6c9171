"""Logging for the `normsbot` command: one handler on stderr, its level from the settings, and
no secret in any line it writes.

Secrets reach log records in ways no caller controls: httpx logs every request URL, and the
Bot API's URLs carry the token (`<base>/bot<token>/getMe`); python-telegram-bot puts the token
into `InvalidToken`'s message; a database error may quote its URL. `SecretMask` therefore
rewrites every record that reaches a handler of the root logger: its message (after the
arguments are merged in), its exception text and its stack. It sits on the handlers, not on
the root logger, because Python runs a logger's filters only for records created on that very
logger: a record of `telegram.ext` or `httpx` propagates to the root's handlers and never
passes the root logger's filters.

What is masked: the settings' secrets (every `SecretStr` setting: the bot token, a webhook
secret), the database password, and anything shaped like a bot token (digits, a colon, 30 or
more letters, digits, `_` or `-`), so that a token not in the settings (an old one in a URL
typed into `TELEGRAM_BASE_URL`) is masked too.

Lines are text by default, or one JSON object each (`NORMSBOT_LOG_FORMAT=json`, through
python-json-logger) for log collectors: `timestamp`, `level`, `logger`, `message` and, with an
exception, `exc_info`; masked the same way.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
import urllib.parse
from collections.abc import Iterable
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from pythonjsonlogger.json import JsonFormatter

if TYPE_CHECKING:
    from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# The bot's id (before the colon) is public, its secret part is not: "123456789:***" still
# says which bot a line is about.
TOKEN_SHAPE = re.compile(r"(\d+):[A-Za-z0-9_-]{30,}")
# Shorter literal secrets are not masked: replacing every "pw" in every line would make the
# log unreadable and hide little (a password that short is no secret anyway).
MIN_SECRET_LENGTH = 4
# Libraries that talk too much at INFO: Alembic's "Context impl SQLiteImpl" and "Running
# upgrade" at every start, httpx a line per request (one long poll every 30 seconds).
QUIET_BELOW_DEBUG = ("alembic", "httpx")


class SecretMask(logging.Filter):
    """Rewrites a record so that no secret is left in its message, exception or stack."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str]) -> None:
        # Longest first: a secret that contains another is replaced whole.
        unique = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self.secrets = tuple(sorted(unique, key=len, reverse=True))

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return TOKEN_SHAPE.sub(r"\1:" + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it, as without us
            return True
        # The arguments are merged in first: a secret may be in one of them (a URL, an error).
        record.msg, record.args = self.mask(message), ()
        if record.exc_info and not record.exc_text:
            # Formatted here, once, as a formatter would: it uses `exc_text` when set.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class MaskedJsonFormatter(JsonFormatter):
    """python-json-logger's formatter, whose traceback is masked too: it formats the exception
    afresh from `exc_info` instead of taking the `exc_text` the mask rewrote."""

    def __init__(self, mask: SecretMask) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
        self.secret_mask = mask

    def formatException(self, ei: Any) -> str:
        return self.secret_mask.mask(str(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:
        return self.secret_mask.mask(str(super().formatStack(stack_info)))


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold: `SecretStr` values and the database password (also as
    it is written in the URL, percent-encoded)."""
    from pydantic import SecretStr
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    secrets: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            secrets.append(value.get_secret_value().strip())
        elif isinstance(value, str) and ("secret" in name or "password" in name):
            secrets.append(value.strip())  # a webhook secret typed as a plain string
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    if password:
        password = str(password)
        secrets += [password, urllib.parse.quote(password, safe=""), urllib.parse.quote(password)]
    return [secret for secret in secrets if secret]


_mask = SecretMask()
_handler: logging.Handler | None = None


def configure(
    level: str | int = logging.INFO,
    secrets: Iterable[str] = (),
    *,
    stream: IO[str] | None = None,
    fmt: str = "text",
) -> logging.Handler:
    """Log to stderr (or `stream`) at `level`, with `secrets` masked, as text or JSON lines
    (`fmt`); call again to change them.

    Every handler of the root logger gets the mask, also those added before this call; the
    one installed here is returned.
    """
    global _handler
    root = logging.getLogger()
    if _handler is None or _handler not in root.handlers:
        _handler = logging.StreamHandler(stream or sys.stderr)
        root.addHandler(_handler)
    elif stream is not None and isinstance(_handler, logging.StreamHandler):
        _handler.setStream(stream)
    json_lines = fmt == "json"
    _handler.setFormatter(MaskedJsonFormatter(_mask) if json_lines else logging.Formatter(FORMAT))
    _mask.set_secrets(secrets)
    for handler in root.handlers:
        if _mask not in handler.filters:
            handler.addFilter(_mask)
    root.setLevel(level)
    quiet = logging.WARNING if root.getEffectiveLevel() > logging.DEBUG else logging.NOTSET
    for name in QUIET_BELOW_DEBUG:
        logging.getLogger(name).setLevel(quiet)
    sys.excepthook = _masked_excepthook
    return _handler


def apply_settings(settings: Settings) -> None:
    """The settings' log level and secrets, once they are loaded."""
    configure(settings.log_level, secrets_of(settings), fmt=settings.log_format)


def mask(text: str) -> str:
    """`text` with every known secret masked (for lines printed without logging)."""
    return _mask.mask(text)


def _masked_excepthook(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    # An exception nobody caught is printed by Python itself, not through logging.
    sys.stderr.write(mask("".join(traceback.format_exception(kind, error, tb))))
