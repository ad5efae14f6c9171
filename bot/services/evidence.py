"""Evidence of an answer: several links, documents or photos per item, kept with their history.

Each piece is one `Evidence` row. Removing one marks it removed (who, when) instead of deleting
it, so the history and older exports keep their meaning. A document or photo is reachable from
an export through a deep link, `t.me/<bot>?start=ev_<public id>`: the public id is random, so
nobody reaches a file by counting, and `file_for` lets only coordinators and focal points of
the answer's country have it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.models import Answer, Evidence, Person
from bot.services.actors import Actor
from bot.services.errors import BadEvidenceLink

# A phone screen lists this many with a remove button each; more is a folder, not evidence.
MAX_PER_ANSWER = 10
DEEP_LINK_PREFIX = "ev_"  # the /start parameter of an evidence deep link
PUBLIC_ID_BYTES = 16  # 22 URL-safe characters: Telegram allows 64 in a /start parameter


@dataclass(frozen=True)
class EvidenceEntry:
    """One piece of evidence as the screens and exports show it."""

    id: int
    kind: str  # "link", "document", "photo"
    url: str | None
    file_name: str | None
    caption: str | None
    public_id: str

    @property
    def label(self) -> str:
        """The link, or the file's name and its caption."""
        if self.kind == "link":
            return self.url or ""
        name = self.file_name or self.kind
        return f"{name} – {self.caption}" if self.caption else name


@dataclass(frozen=True)
class EvidenceFile:
    """A document or photo to send to the person who opened its deep link."""

    kind: str  # "document" or "photo"
    file_id: str
    file_name: str | None
    caption: str | None
    country_code: str
    item_id: str


def _entry(row: Evidence | sa.Row[Any]) -> EvidenceEntry:
    """An `Evidence` row, or a row of its columns (`on_screen`), as plain data."""
    assert row.id is not None
    return EvidenceEntry(row.id, row.kind, row.url, row.file_name, row.caption, row.public_id)


def _active() -> sa.ColumnElement[bool]:
    return col(Evidence.removed_at).is_(None)


# What an item's screen shows beside the answer itself: who changed it last, and its evidence.
# One statement, not two: every tap draws the next item's screen. A row per piece of evidence
# (one row with none when it has none), each carrying the author's name.
_ON_SCREEN: sa.Select[*tuple[Any, ...]] = (
    sa.select(
        col(Person.display_name).label("author"),
        col(Evidence.id),
        col(Evidence.kind),
        col(Evidence.url),
        col(Evidence.file_name),
        col(Evidence.caption),
        col(Evidence.public_id),
    )
    .select_from(Answer)
    .outerjoin(Person, col(Person.id) == col(Answer.updated_by))
    .outerjoin(Evidence, sa.and_(col(Evidence.answer_id) == col(Answer.id), _active()))
    .where(col(Answer.id) == sa.bindparam("answer_id"))
    .order_by(col(Evidence.id))
)


def on_screen(session: Session, answer_id: int) -> tuple[str | None, tuple[EvidenceEntry, ...]]:
    """The name of who changed the answer last (None: nobody yet), and its evidence that is
    not removed, oldest first."""
    rows = session.execute(_ON_SCREEN, {"answer_id": answer_id}).all()
    author = rows[0].author if rows else None
    return author, tuple(_entry(row) for row in rows if row.id is not None)


def entries_of(session: Session, answer_ids: Iterable[int]) -> dict[int, tuple[EvidenceEntry, ...]]:
    """The evidence of many answers at once (exports, review lists), by answer id."""
    ids = list(answer_ids)
    found: dict[int, list[EvidenceEntry]] = {}
    # Chunks keep the IN list within every driver's parameter limit.
    for start in range(0, len(ids), 1000):
        rows = session.exec(
            select(Evidence)
            .where(col(Evidence.answer_id).in_(ids[start : start + 1000]), _active())
            .order_by(col(Evidence.id))
        ).all()
        for row in rows:
            found.setdefault(row.answer_id, []).append(_entry(row))
    return {answer_id: tuple(items) for answer_id, items in found.items()}


def revision_text(entry: EvidenceEntry | Evidence) -> str:
    """How one piece appears in the history: the link, or "<kind>:<name>:<public id>"."""
    if entry.kind == "link":
        return entry.url or ""
    return f"{entry.kind}:{entry.file_name or ''}:{DEEP_LINK_PREFIX}{entry.public_id}"


def add(
    session: Session,
    *,
    answer: Answer,
    kind: str,
    url: str | None,
    file_id: str | None,
    file_unique_id: str | None,
    file_name: str | None,
    caption: str | None,
    by: int,
    now: datetime,
) -> EvidenceEntry | None:
    """Append one piece to a locked answer; None when it already has `MAX_PER_ANSWER`.

    The caller holds the answer's row lock (`reporting._answer_for`), so two focal points
    adding at once cannot both pass the limit.
    """
    assert answer.id is not None
    count = session.exec(
        select(sa.func.count()).where(col(Evidence.answer_id) == answer.id, _active())
    ).one()
    if count >= MAX_PER_ANSWER:
        return None
    row = Evidence(
        answer_id=answer.id,
        public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES),
        kind=kind,
        url=url,
        file_id=file_id,
        file_unique_id=file_unique_id,
        file_name=file_name,
        caption=caption,
        added_by=by,
        added_at=now,
    )
    session.add(row)
    session.flush()
    return _entry(row)


def remove(
    session: Session, *, answer: Answer, evidence_id: int, by: int, now: datetime
) -> EvidenceEntry | None:
    """Mark one piece of this answer removed; None when it is not there (any more).

    One conditional UPDATE: of two focal points removing the same piece at once, one does.
    """
    result = session.execute(
        sa.update(Evidence)
        .where(
            col(Evidence.id) == evidence_id,
            col(Evidence.answer_id) == answer.id,
            _active(),
        )
        .values(removed_at=now, removed_by=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.get(Evidence, evidence_id)
    assert row is not None
    return _entry(row)


def deep_link(bot_username: str, public_id: str) -> str:
    """The link in an export that makes the bot send this file to whoever may see it."""
    return f"https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{public_id}"


def file_for(session: Session, *, actor: Actor, public_id: str) -> EvidenceFile:
    """The file behind a deep link, for coordinators and the answer's own focal points.

    Unknown, removed and link evidence raise `InvalidInput`; another country's file raises
    `PermissionDenied` before anything about it is told.
    """
    row = session.exec(
        select(Evidence, Answer)
        .join(Answer, col(Answer.id) == col(Evidence.answer_id))
        .where(col(Evidence.public_id) == public_id)
    ).first()
    if row is None:
        raise BadEvidenceLink()
    evidence, answer = row
    actor.require_country(answer.country_code)
    if evidence.removed_at is not None or evidence.file_id is None or evidence.kind == "link":
        raise BadEvidenceLink()
    return EvidenceFile(
        kind=evidence.kind,
        file_id=evidence.file_id,
        file_name=evidence.file_name,
        caption=evidence.caption,
        country_code=answer.country_code,
        item_id=answer.item_id,
    )


def copy_evidence(session: Session, *, source_cycle_id: int, target_cycle_id: int) -> int:
    """Give the answers copied into a new cycle the evidence they had (see `copy_baseline`).

    Each copy gets a public id of its own (the column is unique, and a link from the old
    cycle's export keeps pointing at the old row); author and time stay the original's.
    """
    old, new = sa.orm.aliased(Answer), sa.orm.aliased(Answer)
    rows = session.execute(
        sa.select(Evidence, col(new.id))
        .join(old, col(old.id) == col(Evidence.answer_id))
        .join(
            new,
            sa.and_(
                col(new.cycle_id) == target_cycle_id,
                col(new.country_code) == col(old.country_code),
                col(new.item_id) == col(old.item_id),
            ),
        )
        .where(col(old.cycle_id) == source_cycle_id, col(Evidence.removed_at).is_(None))
        .order_by(col(Evidence.id))
    ).all()
    copies = [
        {
            "answer_id": answer_id,
            "public_id": secrets.token_urlsafe(PUBLIC_ID_BYTES),
            "kind": piece.kind,
            "url": piece.url,
            "file_id": piece.file_id,
            "file_unique_id": piece.file_unique_id,
            "file_name": piece.file_name,
            "caption": piece.caption,
            "added_by": piece.added_by,
            "added_at": piece.added_at,
        }
        for piece, answer_id in rows
    ]
    if copies:
        session.execute(sa.insert(Evidence), copies)
    return len(copies)
