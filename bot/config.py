"""The one settings class: everything the bot can be told, from the environment or a `.env` file.

Names of the variables are listed in the README's configuration table. Bad values end the
program with one line per problem (see `bot.cli`), never with a traceback.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
# Telegram's rule for setWebhook's secret_token: 1 to 256 of these characters.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Paths the bot's web server answers itself; a webhook there would shadow one of them.
WEB_PATHS = ("/healthz", "/readyz", "/metrics")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _split_ints(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


def host_port(value: str) -> tuple[str, int]:
    """`host:port` (`[::1]:8080` for IPv6) split; ValueError saying what is expected."""
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError("must be host:port, such as 127.0.0.1:8080 or 0.0.0.0:8080")
    return host, int(port)


class Settings(BaseSettings):
    """Settings of one bot process. Every field has a default except the token."""

    model_config = SettingsConfigDict(
        env_prefix="NORMSBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        # An empty variable means the default: compose.yaml hands every setting over as
        # `${NAME:-}`, empty when .env does not set it.
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    telegram_base_url: str = Field(
        default="https://api.telegram.org", validation_alias=AliasChoices("TELEGRAM_BASE_URL")
    )
    database_url: str = Field(
        default="sqlite:///./data/normsbot.db", validation_alias=AliasChoices("DATABASE_URL")
    )
    admins: Annotated[list[int], NoDecode] = Field(default_factory=list)

    default_locale: str = "en"
    checklist_dir: Path | None = None  # default: the bundled `checklist/` folder
    locales_dir: Path | None = None  # default: the bundled `locales/` folder
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object a line, for collectors
    # A chat (a group of the people who run the bot, or one person) told of every bug, at most
    # one message a minute (bot/telegram/error_report.py).
    error_chat_id: int | None = None

    invite_ttl_days: int = Field(default=14, ge=1, le=365)
    comment_max_chars: int = Field(default=2000, ge=50, le=3500)
    # Empty: the first cycle has no title of its own and every reader sees the default name
    # ("First reporting cycle") in their language. A title set here is taken as a coordinator's
    # own: shown as written, in every language.
    first_cycle_title: str = ""
    first_cycle_deadline_days: int = Field(default=90, ge=1)
    # The zone of coordinators who belong to no country (the ASEAN Secretariat is in Jakarta):
    # deadlines they type are the end of that day there, and their dates are shown in it.
    coordinator_timezone: str = "Asia/Jakarta"

    # Polling and sending
    poll_timeout: int = Field(default=30, ge=0, le=50)
    concurrent_updates: int = Field(default=64, ge=1, le=1024)
    overall_messages_per_second: float = Field(default=30.0, gt=0)
    send_max_retries: int = Field(default=3, ge=0, le=10)
    send_burst: int = Field(default=5, ge=1, le=30)  # messages at once; then evenly spaced
    sweep_interval_seconds: float = Field(default=60.0, gt=0)

    # Fairness between people (see bot/telegram/fairness.py): one person's updates are handled
    # one at a time, `user_burst` at once then `user_updates_per_second`; beyond
    # `user_backlog` waiting, the rest of a flood is skipped with one notice.
    user_burst: int = Field(default=10, ge=1, le=1000)
    user_updates_per_second: float = Field(default=2.0, gt=0)
    user_backlog: int = Field(default=5, ge=0, le=100)

    # Charts and exports (see docs/exports.md)
    report_workers: int = Field(default=1, ge=1, le=8)  # processes drawing charts, files
    chart_fonts_dir: Path | None = None  # more .ttf/.otf/.ttc fonts for chart labels
    # Charts and exports waiting for a worker, of everyone together; one more is refused with
    # "try again in a minute". Each person has at most one at a time anyway.
    report_queue: int = Field(default=8, ge=0, le=1000)

    # Reminders (see README: "Reminders")
    reminders_enabled: bool = True
    reminder_first_nudge_days: int = Field(default=3, ge=1)
    reminder_idle_days: int = Field(default=7, ge=1)
    reminder_days_before_deadline: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [14, 7, 3, 1, 0]
    )
    reminder_max_per_cycle: int = Field(default=8, ge=1)
    reminder_quiet_minutes: int = Field(default=30, ge=0)
    reminder_min_gap_hours: int = Field(default=20, ge=0)  # between two reminders to one person
    work_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)

    # Digests to coordinators (see README: "Digests")
    digest_enabled: bool = True
    digest_weekday: int = Field(default=0, ge=0, le=6)
    digest_time: time = time(9, 0)
    digest_frequency: Literal["daily", "weekly"] = "weekly"
    # Coordinators of no country get theirs at digest_time in `coordinator_timezone`.

    # Sending what the bot sends on its own (see README: "Reminders and digests")
    sweep_on_start: bool = True  # a first sweep right after start sends what is overdue
    delivery_concurrency: int = Field(default=32, ge=1, le=1000)  # sends waiting on the limiter
    delivery_lease_seconds: int = Field(default=300, ge=30)  # a claim older than this is dead
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    delivery_retry_seconds: int = Field(default=30, ge=1)  # first backoff; doubles, max 1 hour

    # Webhook mode and the web server (see bot/web/): without a webhook URL the bot polls.
    webhook_url: str = ""  # the public HTTPS address Telegram posts updates to
    webhook_secret: SecretStr = Field(default=SecretStr(""), validate_default=True)
    listen: str = "127.0.0.1:8080"  # webhook mode: where the web server listens (host:port)
    health_listen: str = ""  # polling mode: /healthz, /readyz and /metrics there if set

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        value = value.strip()
        if not value:
            return value
        url = urlsplit(value)
        # Telegram posts to HTTPS only; plain HTTP to this machine is for the fake Bot API.
        if not url.hostname or not (
            url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS)
        ):
            raise ValueError("must be a public https:// URL (Telegram posts to HTTPS only)")
        if url.path in WEB_PATHS:
            raise ValueError(f"its path must not be one of {', '.join(WEB_PATHS)}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value().strip()
        if secret and not WEBHOOK_SECRET_PATTERN.match(secret):
            raise ValueError("must be 1 to 256 letters, digits, _ or - (Telegram's rule)")
        if not secret and info.data.get("webhook_url"):
            raise ValueError(
                "must be set with NORMSBOT_WEBHOOK_URL: Telegram sends it with every update "
                "and anything else is refused (make one with: python3 -c "
                "'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return SecretStr(secret)

    @field_validator("listen", "health_listen")
    @classmethod
    def _host_port(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value or info.field_name == "listen":
            host_port(value)
        return value

    @field_validator("admins", "reminder_days_before_deadline", "work_days", mode="before")
    @classmethod
    def _comma_separated_ints(cls, value: object) -> object:
        return _split_ints(value)

    @field_validator("work_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(day < 0 or day > 6 for day in value):
            raise ValueError("must be weekdays from 0 (Monday) to 6 (Sunday), at least one")
        return value

    @field_validator("reminder_days_before_deadline")
    @classmethod
    def _days_before(cls, value: list[int]) -> list[int]:
        if any(days < 0 for days in value):
            raise ValueError("must be whole days before the deadline (0 is the day itself)")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _working_hours(self) -> Settings:
        if self.work_end != time(0, 0) and self.work_end <= self.work_start:
            raise ValueError("WORK_END must be after WORK_START (00:00 means midnight)")
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("coordinator_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Jakarta") from None
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    def token(self) -> str:
        """The bot token, checked. Raises ValueError with a sentence saying what to fix."""
        token = self.telegram_bot_token.get_secret_value().strip()
        if not token:
            raise ValueError(
                "TELEGRAM_BOT_TOKEN is not set: ask @BotFather for a token and put it in the "
                "environment or in .env (or try `normsbot demo`, which needs none)"
            )
        if not TOKEN_PATTERN.match(token):
            raise ValueError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then at "
                "least 30 letters, digits, _ or -): copy it again from @BotFather"
            )
        return token
