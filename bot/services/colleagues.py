"""What a colleague changed on an answer after a person's screen was drawn from it.

Several focal points of one country share each answer. Every item screen is drawn from one
version of the answer (`Cursor.answer_version`), and every change records the version it made
(`AnswerRevision.answer_version`). A colleague changed a field "since" the screen when a
revision of that field made a version above the screen's, by someone else: the person's own
changes never count, nor do a colleague's changes of other fields (a comment does not make a
status tap a conflict). `reporting` asks this before writing a status or a comment, and asks
the person "keep theirs / use mine" instead of replacing what they never saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.models import Answer, AnswerRevision, Person
from bot.services.reads import AnswerFacts


@dataclass(frozen=True)
class ColleagueChange:
    """The newest change of one field of an answer: who made it, and when."""

    field: str
    by: str | None  # the author's display name; None once they were erased
    at: datetime | None


def changed_since(
    session: Session, *, answer: Answer, field: str, seen: int | None, me: int
) -> ColleagueChange | None:
    """The newest change of `field` that someone other than `me` made after version `seen`.

    None when nobody else touched the field since (also when `seen` is unknown: a screen
    drawn before versions were kept, which is left to write as it always did).
    """
    if seen is None or answer.id is None or answer.version <= seen:
        return None
    return _newest(session, _NEWEST_BY_OTHERS, answer.id, field, seen=seen, me=me)


def last_change(session: Session, *, answer: AnswerFacts, field: str) -> ColleagueChange | None:
    """The newest change of `field`, by anyone: who set what a conflict shows as "theirs"."""
    if answer.id is None:
        return None
    return _newest(session, _NEWEST, answer.id, field)


# Built once, with bound parameters: a status tap after a colleague's change asks the first,
# and building and keying a statement cost more CPU than running it.
_NEWEST = (
    sa.select(col(AnswerRevision.changed_at), col(Person.display_name))
    .outerjoin(Person, col(Person.id) == col(AnswerRevision.changed_by))
    .where(
        col(AnswerRevision.answer_id) == sa.bindparam("answer_id"),
        col(AnswerRevision.field) == sa.bindparam("field"),
    )
    .order_by(col(AnswerRevision.id).desc())
    .limit(1)
)
_NEWEST_BY_OTHERS = _NEWEST.where(
    col(AnswerRevision.answer_version) > sa.bindparam("seen"),
    sa.or_(
        col(AnswerRevision.changed_by).is_(None),
        col(AnswerRevision.changed_by) != sa.bindparam("me"),
    ),
)


def _newest(
    session: Session, statement: sa.Executable, answer_id: int, field: str, **more: int
) -> ColleagueChange | None:
    row = (
        session.connection()
        .execute(statement, {"answer_id": answer_id, "field": field, **more})
        .first()
    )
    if row is None:
        return None
    changed_at, name = row
    return ColleagueChange(field=field, by=name, at=changed_at)
