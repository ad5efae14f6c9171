"""The audit log: who did which administrative act, when, in one append-only, hash-chained table.

Answer history (`AnswerRevision`) already says who changed which answer. This log records the
rest: invites created, cancelled and redeemed, revocations, re-admissions, role changes, cycles
opened and closed, deadlines moved, reports submitted, signed off and reopened, exports and
charts requested, people erased. The services that do these acts call `record` as the last step
of their success path, in the same transaction: the act and its entry commit together or not at
all.

**Tamper-evident.** Each entry stores `hash`, the SHA-256 of a canonical serialisation of its
content (time, actor, action, country, subject, details) and of `prev_hash`, the hash of the
entry before it. Changing, removing or reordering a row breaks the chain at that row;
`verify` (and `normsbot audit verify`) names the first broken one. The one-row `audit_head`
keeps the last hash and the count, so cutting entries off the end shows too. This detects
edits made behind the bot's back (an SQL console, a restored backup mixed with a live one);
someone who can write the database *and* recompute every later hash could rewrite the
history undetected, so keep an outside copy of `normsbot audit verify`'s last line (it names
the count) or of the export's audit sheet if that matters.

**Appending is serialised.** The previous hash is read, then the entry written: a
read-check-write. `record` holds a row lock on `audit_head` (`SELECT ... FOR UPDATE`) from that
read to the end of the transaction, so on PostgreSQL concurrent appends queue up and the chain
never forks; SQLite's `BEGIN IMMEDIATE` already lets one writer in at a time. A unique
constraint on `prev_hash` backs this up: a fork could not even be stored.

**No personal data in hashed rows.** People appear by person id only (`actor_id`, subjects
such as "person:7", ids inside `details`); names, @usernames and Telegram ids are never
written here. They are looked up in `Person` when the log is read. Erasing a person
(`bot/services/erasure.py`) replaces their name in `Person` with a pseudonym, so the log then
shows the pseudonym, and not one hashed byte changes: the chain still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.checklist import ASEAN_NORMS_ID
from bot.models import AuditAction, AuditEntry, AuditHead, Country, Cycle, Person
from bot.services.actors import Actor
from bot.services.errors import UnknownCountry

Action = AuditAction  # services write `audit.Action.INVITE_CREATED`: one import, no merge fuss
GENESIS = ""  # the prev_hash of the first entry
HASH_FORMAT = "v1"  # part of every serialisation: a later format can be told apart
RECENT_MAX = 100

Plain = str | int | float | bool | None


# --------------------------------------------------------------------------- the chain


def _plain(value: Any) -> Plain | list[Plain]:
    """A details value as JSON can hold it; times become ISO strings in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]  # type: ignore[misc]
    raise TypeError(f"audit details hold plain values only, not {type(value).__name__}")


def details_json(details: Mapping[str, Any] | None) -> str:
    """The canonical JSON text of an entry's details (sorted keys, no spaces, ASCII)."""
    plain = {str(key): _plain(value) for key, value in (details or {}).items()}
    return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _time_text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    country_code: str | None,
    subject: str | None,
    details: str,
    prev_hash: str,
    checklist_id: str | None = None,
) -> str:
    """SHA-256 (hex) of the entry's content fields and the previous entry's hash.

    The serialisation is a JSON array in a fixed order: unambiguous (no field can bleed into
    the next), and the same bytes on every database and Python version. The instrument is
    appended only when set: entries from before instruments keep their hashes.
    """
    content: list[str | int | None] = [
        HASH_FORMAT,
        _time_text(at),
        actor_id,
        action,
        country_code,
        subject,
        details,
        prev_hash,
    ]
    if checklist_id is not None:
        content.append(checklist_id)
    serialised = json.dumps(content, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(serialised.encode("ascii")).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    assert entry.at is not None
    return entry_hash(
        at=entry.at,
        actor_id=entry.actor_id,
        action=entry.action,
        country_code=entry.country_code,
        subject=entry.subject,
        details=entry.details,
        prev_hash=entry.prev_hash,
        checklist_id=entry.checklist_id,
    )


def _locked_head(session: Session) -> AuditHead:
    """The log's head row, locked until the transaction ends (see the module docstring)."""
    head = session.exec(
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if head is None:  # a database made without the migration (which inserts the row)
        head = AuditHead(id=1)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: AuditAction,
    now: datetime,
    country_code: str | None = None,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
    checklist_id: str | None = None,
) -> AuditEntry:
    """Append one entry to the log, chained to the last one, in the caller's transaction.

    `actor_id` is a person id (None: the bot itself, e.g. a setting took effect); `subject`
    a short id such as "invite:12", "person:7", "cycle:3"; `details` plain values, never a
    name, @username or Telegram id.
    """
    head = _locked_head(session)
    at = now.astimezone(UTC)
    text = details_json(details)
    action_code = AuditAction(action).value
    entry = AuditEntry(
        at=at,
        actor_id=actor_id,
        action=action_code,
        country_code=country_code,
        subject=subject,
        details=text,
        prev_hash=head.last_hash,
        hash="",
        checklist_id=checklist_id,
    )
    entry.hash = _hash_of(entry)  # from the fields as stored, as `verify` computes it
    session.add(entry)
    session.flush()
    head.last_id, head.last_hash, head.count = entry.id, entry.hash, head.count + 1
    session.add(head)
    session.flush()
    return entry


def record_request(
    session: Session,
    *,
    actor: Actor,
    action: AuditAction,
    now: datetime,
    cycle_id: int | None,
    country_code: str | None,
) -> None:
    """An export, a chart or a report was asked for: which cycle, which country (None: all)."""
    requests = (
        AuditAction.EXPORT_REQUESTED,
        AuditAction.CHART_REQUESTED,
        AuditAction.REPORT_REQUESTED,
    )
    if action not in requests:
        raise ValueError(f"not a request: {action}")
    cycle = session.get(Cycle, cycle_id) if cycle_id is not None else None
    record(
        session,
        actor_id=actor.person_id,
        action=action,
        now=now,
        country_code=country_code,
        subject=f"cycle:{cycle_id}" if cycle_id is not None else None,
        checklist_id=cycle.checklist_id if cycle else actor.checklist_id,
    )


@dataclass(frozen=True)
class VerifyResult:
    """The chain's state: `broken_id` is the first entry that does not verify, and `reason`
    says why ("changed", "unchained", "truncated")."""

    ok: bool
    count: int
    broken_id: int | None = None
    reason: str | None = None


def verify(session: Session, *, batch: int = 1000) -> VerifyResult:
    """Walk the log in order and recompute every hash; stop at the first broken entry.

    The head is read first: entries the running bot appends meanwhile extend the chain past
    it and are verified like the others, while a log shorter than the head says was cut.
    """
    head = session.get(AuditHead, 1)
    head_count, head_hash = (head.count, head.last_hash) if head else (0, GENESIS)
    previous, hash_at_head = GENESIS, GENESIS
    count = 0
    last_id: int | None = None
    query = select(AuditEntry).order_by(col(AuditEntry.id)).execution_options(yield_per=batch)
    for entry in session.exec(query):
        if entry.prev_hash != previous:
            return VerifyResult(False, count, entry.id, "unchained")
        if _hash_of(entry) != entry.hash:
            return VerifyResult(False, count, entry.id, "changed")
        previous, last_id = entry.hash, entry.id
        count += 1
        if count == head_count:
            hash_at_head = entry.hash
    if count < head_count or hash_at_head != head_hash:
        # Entries were removed from the end (or the head was edited): the last one standing
        # is where the log stops matching what was recorded.
        return VerifyResult(False, count, last_id, "truncated")
    return VerifyResult(True, count)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class AuditLine:
    """One entry as a reader sees it; names come from `Person` at read time."""

    entry_id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None  # None: the bot itself
    action: AuditAction
    country_code: str | None
    subject_kind: str | None  # "invite", "person", "cycle"
    subject_id: int | None
    subject_name: str | None  # the person's current name (or pseudonym) for "person:N"
    subject: str | None = None  # as stored: "invite:12"
    details_text: str = "{}"  # as stored (and hashed)
    hash: str = ""


@dataclass(frozen=True)
class AuditLog:
    lines: list[AuditLine]  # newest first
    country_code: str | None
    total: int  # entries in this scope, of which `lines` are the newest


def _split_subject(subject: str | None) -> tuple[str | None, int | None]:
    if not subject:
        return None, None
    kind, _, number = subject.partition(":")
    return kind, int(number) if number.isdigit() else None


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(Person.id, Person.display_name).where(col(Person.id).in_(wanted))
    ).all()
    return {person_id: name for person_id, name in rows if person_id is not None}


def _lines(session: Session, entries: list[AuditEntry]) -> list[AuditLine]:
    parsed = [(entry, *_split_subject(entry.subject)) for entry in entries]
    ids = [entry.actor_id for entry in entries if entry.actor_id is not None]
    ids += [number for _, kind, number in parsed if kind == "person" and number is not None]
    names = _names(session, ids)
    lines = []
    for entry, kind, number in parsed:
        assert entry.id is not None and entry.at is not None
        try:
            action = AuditAction(entry.action)
        except ValueError:  # written by a newer version of the bot: this one cannot name it
            continue
        actor_name = None
        if entry.actor_id is not None:
            actor_name = names.get(entry.actor_id) or f"#{entry.actor_id}"
        lines.append(
            AuditLine(
                entry_id=entry.id,
                at=entry.at,
                actor_id=entry.actor_id,
                actor_name=actor_name,
                action=action,
                country_code=entry.country_code,
                subject_kind=kind,
                subject_id=number,
                subject_name=names.get(number) if kind == "person" and number else None,
                subject=entry.subject,
                details_text=entry.details,
                hash=entry.hash,
            )
        )
    return lines


def _in_instrument(checklist_id: str) -> sa.ColumnElement[bool]:
    """The entries of one instrument; those without one belong to the default instrument."""
    mine = col(AuditEntry.checklist_id) == checklist_id
    if checklist_id == ASEAN_NORMS_ID:
        return sa.or_(mine, col(AuditEntry.checklist_id).is_(None))
    return mine


def _scoped(country_code: str | None, checklist_id: str) -> Any:
    query = select(AuditEntry).where(_in_instrument(checklist_id))
    if country_code is not None:
        query = query.where(col(AuditEntry.country_code) == country_code)
    return query


def recent(
    session: Session, *, actor: Actor, country_code: str | None = None, limit: int = 30
) -> AuditLog:
    """The newest entries of the actor's instrument (of one country, or all): for its
    coordinators only.

    Focal points are refused, national leads among them too: the log names coordinators and
    every country's people.
    """
    actor.require_coordinator()
    if country_code is not None:
        country_code = country_code.upper()
        if session.get(Country, country_code) is None:
            raise UnknownCountry(country=country_code)
    limit = max(1, min(limit, RECENT_MAX))
    entries = list(
        session.exec(
            _scoped(country_code, actor.checklist_id)
            .order_by(col(AuditEntry.id).desc())
            .limit(limit)
        ).all()
    )
    count_query = (
        select(func.count()).select_from(AuditEntry).where(_in_instrument(actor.checklist_id))
    )
    if country_code is not None:
        count_query = count_query.where(col(AuditEntry.country_code) == country_code)
    total = int(session.exec(count_query).one())
    return AuditLog(_lines(session, entries), country_code, total)


def export_lines(
    session: Session, *, country_code: str | None, checklist_id: str
) -> list[AuditLine]:
    """Every entry of an instrument (of one country, or all), oldest first, for the export's
    audit sheet. The caller decides who may see it (`bot/services/exports.py`: coordinators
    only)."""
    entries = list(
        session.exec(_scoped(country_code, checklist_id).order_by(col(AuditEntry.id))).all()
    )
    return _lines(session, entries)
