"""The database tables (SQLModel) and the small enums they use.

Every piece of state that matters lives here, never only in a process's memory: a restarted or
second bot process reads the same conversation positions, answers and planned deliveries.
Times are stored in UTC and always come back timezone-aware (see `UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

from bot.checklist import ASEAN_NORMS_ID


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as UTC; naive values coming back from SQLite are marked UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


E = TypeVar("E", bound=StrEnum)


class EnumText(sa.types.TypeDecorator[E]):
    """A StrEnum stored as its plain value in a VARCHAR, as the migrations made the column.

    Not `sa.Enum`: that would store the member's name, or want a native PostgreSQL enum or a
    VARCHAR of the longest value's length, and so change the tables. Rows come back as
    members; a value the enum does not know fails loudly on writing and on reading.
    """

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum  # the name matches the argument: SQLAlchemy's cache key reads it

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


class Role(StrEnum):
    FOCAL_POINT = "focal_point"
    COORDINATOR = "coordinator"


class Awaiting(StrEnum):
    """What the bot waits for from a person in the answering flow."""

    NOTHING = "none"
    COMMENT = "comment"
    EVIDENCE = "evidence"
    DEADLINE = "deadline"  # a coordinator pressed "Other date": the next text is the day
    SUPPORT = "support"  # the item's "need support" screen: kinds by button, the next text the note


class DeliveryStatus(StrEnum):
    """Where a delivery is in its life (see `bot/services/deliveries.py`)."""

    PLANNED = "planned"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeliveryKind(StrEnum):
    REMINDER = "reminder"  # planned by the reminder policy
    NUDGE = "nudge"  # asked for by a coordinator with /remind
    DIGEST = "digest"  # a coordinator's periodic digest
    NOTICE = "notice"  # someone's act told to others: a submission, a new deadline (notices.py)


class Country(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=8)
    name: str
    timezone: str
    locales: str = Field(description="comma-separated bot locales offered to this country")

    def locale_list(self) -> list[str]:
        return [code for code in self.locales.split(",") if code]


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=sa.BigInteger, unique=True, index=True)
    display_name: str = ""
    username: str | None = None
    telegram_language: str | None = None
    locale: str | None = Field(default=None, description="the person's explicit choice")
    # Global: an admin (named in NORMSBOT_ADMINS) coordinates every instrument. Every other
    # role belongs to one instrument: see `Membership`.
    is_admin: bool = False
    country_code: str | None = Field(default=None, foreign_key="country.code", index=True)
    timezone: str | None = Field(default=None, description="overrides the country's zone")
    active: bool = True
    unreachable_at: datetime | None = _utc_column()
    snoozed_until: datetime | None = _utc_column()
    digest_enabled: bool = True
    last_active_at: datetime | None = _utc_column()
    created_at: datetime | None = _utc_column(nullable=False)
    # The instrument the person last chose (/instruments); None: their first one.
    current_checklist_id: str | None = Field(default=None, max_length=64)


class Membership(SQLModel, table=True):
    """A person's role in one instrument (a checklist id): focal point, national lead or
    coordinator. A person may hold one in several instruments; their country is the Person's."""

    __table_args__ = (sa.UniqueConstraint("person_id", "checklist_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    checklist_id: str = Field(max_length=64, index=True)
    role: Role = Field(default=Role.FOCAL_POINT, sa_type=EnumText(Role))
    is_national_lead: bool = False
    # The instrument's cycle whose reminders the person muted (muting one instrument leaves
    # the others' reminders on); None: not muted.
    muted_cycle_id: int | None = None


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    country_code: str | None = Field(default=None, foreign_key="country.code")
    role: Role = Field(default=Role.FOCAL_POINT, sa_type=EnumText(Role))
    is_national_lead: bool = False
    checklist_id: str = Field(
        default=ASEAN_NORMS_ID, max_length=64, sa_column_kwargs={"server_default": ASEAN_NORMS_ID}
    )
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime | None = _utc_column(nullable=False)
    expires_at: datetime | None = _utc_column(nullable=False)
    used_by: int | None = Field(default=None, foreign_key="person.id")
    used_at: datetime | None = _utc_column()
    cancelled_at: datetime | None = _utc_column()


class Cycle(SQLModel, table=True):
    """A reporting round of one checklist version."""

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: str = Field(index=True)
    checklist_version: str
    title: str
    opens_at: datetime | None = _utc_column(nullable=False)
    deadline: datetime | None = _utc_column()
    closed_at: datetime | None = _utc_column()
    baseline_cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime | None = _utc_column(nullable=False)
    # Bumped by every change (deadline, closing); buttons carry it, so a repeated or stale
    # tap matches no row of its conditional UPDATE and changes nothing.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CycleDraft(SQLModel, table=True):
    """A new cycle a coordinator is about to open: kept until they confirm it with a button."""

    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(foreign_key="person.id")
    title: str
    deadline: datetime | None = _utc_column(nullable=False)
    checklist_id: str
    checklist_version: str
    baseline: bool = False
    created_at: datetime | None = _utc_column(nullable=False)
    used_at: datetime | None = _utc_column()


class CountryReport(SQLModel, table=True):
    """A country's report in one cycle: submission and the national lead's sign-off."""

    __table_args__ = (sa.UniqueConstraint("cycle_id", "country_code"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    country_code: str = Field(foreign_key="country.code")
    submitted_at: datetime | None = _utc_column()
    submitted_by: int | None = Field(default=None, foreign_key="person.id")
    signed_off_at: datetime | None = _utc_column()
    signed_off_by: int | None = Field(default=None, foreign_key="person.id")
    reopened_at: datetime | None = _utc_column()
    reopened_by: int | None = Field(default=None, foreign_key="person.id")


class Answer(SQLModel, table=True):
    """The current answer of a country to one checklist item in one cycle."""

    __table_args__ = (sa.UniqueConstraint("cycle_id", "country_code", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    country_code: str = Field(foreign_key="country.code")
    item_id: str = Field(max_length=32)
    status: str | None = None
    skipped: bool = False
    comment: str | None = None
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime | None = _utc_column()
    version: int = 0
    # Copied from the previous cycle when this one opened with a baseline: counts as open
    # until a focal point confirms or changes the status.
    baseline: bool = False
    # "We need support": the kinds asked for, as their codes in a fixed order joined by ","
    # ("policy,training"; see `bot/services/needs.py`), and a short note. None: no need.
    support_kinds: str | None = Field(default=None, max_length=64)
    support_note: str | None = None


class Evidence(SQLModel, table=True):
    """One piece of evidence for an answer: a link, a document or a photo; several per answer.

    Removing one sets `removed_at` instead of deleting the row, so the history and older
    exports keep their meaning. `public_id` is the random token of the export's deep link
    (`t.me/<bot>?start=ev_<public_id>`): the row id would let anyone guess other files.
    """

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    public_id: str = Field(unique=True, max_length=32)
    kind: str  # "link", "document" or "photo"
    url: str | None = None
    file_id: str | None = None
    file_unique_id: str | None = None
    file_name: str | None = None
    caption: str | None = None
    added_by: int | None = Field(default=None, foreign_key="person.id")
    added_at: datetime | None = _utc_column(nullable=False)
    removed_by: int | None = Field(default=None, foreign_key="person.id")
    removed_at: datetime | None = _utc_column()


class AnswerRevision(SQLModel, table=True):
    """Append-only history: one row per change of one field of an answer."""

    __table_args__ = (sa.Index("ix_revision_cycle_country", "cycle_id", "country_code"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    country_code: str = Field(foreign_key="country.code")
    item_id: str = Field(max_length=32)
    field: str  # "status", "comment", "evidence", "skipped", "support_kinds", "support_note"
    old_value: str | None = None
    new_value: str | None = None
    changed_by: int | None = Field(default=None, foreign_key="person.id")
    changed_at: datetime | None = _utc_column(nullable=False, index=True)
    # The answer's `version` this change made: what a colleague changed after the version a
    # person's screen was drawn from (`reporting`). None on rows written before it was kept.
    answer_version: int | None = None


class Cursor(SQLModel, table=True):
    """Where one person stands in one cycle's checklist, and what the bot waits for."""

    __table_args__ = (sa.UniqueConstraint("person_id", "cycle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    item_id: str | None = Field(default=None, max_length=32)
    awaiting: Awaiting = Field(default=Awaiting.NOTHING, sa_type=EnumText(Awaiting))
    pending: str | None = Field(
        default=None,
        description="JSON of a text or file sent when none was asked for, kept until decided",
    )
    prompt_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    # Where a status tap leads back to: "rv:<norm>" when the item was opened from that norm's
    # review list (see `reporting.act`); None in the ordinary walk through the checklist.
    return_to: str | None = Field(default=None, max_length=40)
    version: int = 0
    # The version of the item's answer the screen of this `version` was drawn from: a write
    # finding a colleague's change after it asks "keep theirs / use mine" (`reporting`).
    answer_version: int | None = None
    updated_at: datetime | None = _utc_column()


class Delivery(SQLModel, table=True):
    """One reminder or digest that is planned, being sent, or sent: exactly once per slot."""

    __table_args__ = (
        sa.UniqueConstraint("recipient_id", "kind", "slot"),
        sa.Index("ix_delivery_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="person.id", index=True)
    kind: DeliveryKind = Field(sa_type=EnumText(DeliveryKind))
    slot: str = Field(max_length=64)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    due_at: datetime | None = _utc_column(nullable=False)
    status: DeliveryStatus = Field(default=DeliveryStatus.PLANNED, sa_type=EnumText(DeliveryStatus))
    claimed_by: str | None = None
    claimed_at: datetime | None = _utc_column()
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = _utc_column()
    telegram_message_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    payload: str | None = None
    created_at: datetime | None = _utc_column(nullable=False)


# --------------------------------------------------------------------------- the audit log


class AuditAction(StrEnum):
    """The administrative acts the audit log records (`bot/services/audit.py`)."""

    INVITE_CREATED = "invite_created"
    INVITE_CANCELLED = "invite_cancelled"
    INVITE_REDEEMED = "invite_redeemed"
    PERSON_REVOKED = "person_revoked"
    PERSON_READMITTED = "person_readmitted"
    ROLE_CHANGED = "role_changed"
    ADMIN_DEMOTED = "admin_demoted"
    CYCLE_OPENED = "cycle_opened"
    CYCLE_CLOSED = "cycle_closed"
    DEADLINE_MOVED = "deadline_moved"
    REPORT_SUBMITTED = "report_submitted"
    REPORT_SIGNED_OFF = "report_signed_off"
    REPORT_REOPENED = "report_reopened"
    EXPORT_REQUESTED = "export_requested"
    CHART_REQUESTED = "chart_requested"
    REPORT_REQUESTED = "report_requested"  # /report: a country's report as PDF
    PERSON_ERASED = "person_erased"


class AuditEntry(SQLModel, table=True):
    """One administrative act, append-only, chained to the row before it by `prev_hash`.

    No personal data is stored here: people appear as person ids only (`actor_id`, "person:7"
    in `subject`, ids in `details`), and names are looked up in `Person` when the log is read.
    Erasing a person therefore changes no row of this table, and the chain still verifies.
    """

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _utc_column(nullable=False, index=True)
    actor_id: int | None = Field(default=None, description="person id; None for the system")
    action: str = Field(max_length=32)
    country_code: str | None = Field(default=None, max_length=8, index=True)
    subject: str | None = Field(default=None, max_length=64)
    details: str = Field(default="{}", description="canonical JSON of plain values")
    # Unique: two entries chained to the same predecessor (a fork) cannot both be stored.
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)
    # The instrument the act belongs to; None: before instruments, or the whole bot (shown in
    # the default instrument's log). Hashed when set, so older entries keep their hashes.
    checklist_id: str | None = Field(default=None, max_length=64, index=True)


class AuditHead(SQLModel, table=True):
    """The one row that says where the audit log ends; locked to append one entry at a time.

    `SELECT ... FOR UPDATE` on it serialises appends on PostgreSQL (SQLite's `BEGIN IMMEDIATE`
    already does), and its `last_hash` and `count` show a log whose tail was cut off.
    """

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int | None = None
    last_hash: str = Field(default="", max_length=64)
    count: int = 0


class HandledUpdate(SQLModel, table=True):
    """A Telegram update whose effect is committed, recorded in the same transaction.

    Telegram serves an update again when the process that got it died before confirming it,
    and retries a webhook post whose answer was lost: a repeat finds its id here and changes
    nothing (`bot/services/updates.py`). The sweeper forgets ids after a few days.
    """

    __tablename__ = "handled_update"

    update_id: int = Field(
        primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    at: datetime | None = _utc_column(nullable=False, index=True)
