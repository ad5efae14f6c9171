"""Answering the checklist: the conversation position, answers and their history.

A focal point's position lives in a `Cursor` row, so a restart or another bot process carries
on exactly where they were. Every button carries the cursor's `version`; an action first
bumps it with a conditional update (compare-and-set), so a button from an older message, or
a second tap on one already acted upon, changes nothing. The answer, its revision rows and the
new position are written in the caller's single transaction (see `Database.run`).

The cursor also keeps the version of the item's answer its screen was drawn from
(`answer_version`). A status or comment that would replace what a colleague set after that
(`colleagues.changed_since`) is not written: the person's value is held in the cursor and the
screen asks "keep theirs / use mine" (`Conflict`). A value equal to the stored one changes
nothing and asks nothing. Evidence is added beside a colleague's, never in its place, so it
asks nothing either; the screen names the colleague (`ItemScreen.meanwhile`). Every change of
an answer is one conditional UPDATE on the version it was decided on (`_save`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.db import insert_new
from bot.models import Answer, AnswerRevision, Awaiting, Cursor, Cycle
from bot.services import colleagues, evidence, needs
from bot.services.actors import Actor, touch
from bot.services.colleagues import ColleagueChange
from bot.services.cycles import checklist_of, no_open_cycle
from bot.services.errors import (
    CursorMoved,
    CycleClosed,
    InvalidInput,
    StaleAction,
    TooLong,
    UnknownItem,
)
from bot.services.evidence import EvidenceEntry
from bot.services.reads import (
    AnswerFacts,
    answer_state,
    count_states,
    country_answers,
    country_report,
    open_cycle_and_cursor,
)
from bot.services.submission import is_submitted, reopen_after_change

URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
URL_MAX = 1000
MINE: Final = "mine"  # the cursor's `pending` kind of a value held while a conflict is asked


class Action(StrEnum):
    """What a button asks for; the short values go into callback_data."""

    SHOW = "r"  # show the current item again, unchanged
    STATUS = "s"
    SKIP = "k"
    BACK = "b"
    NEXT = "n"
    ASK_COMMENT = "c"
    ASK_EVIDENCE = "e"
    CANCEL = "x"
    OPEN = "o"
    FIRST_OPEN = "f"
    CLEAR_COMMENT = "cd"
    REMOVE_EVIDENCE = "ed"  # a:ed:<version>:<item>:<evidence id>: one piece, not all
    KEEP_PENDING = "pk"
    DROP_PENDING = "pd"
    KEEP_THEIRS = "kt"  # a colleague changed the item meanwhile: leave their value
    USE_MINE = "um"  # … or write the person's own over it
    # The "need support" screen (`_SUPPORT_STEPS`): a:s1:<version>:<item>:<kind index> adds a
    # kind, a:s0:… takes it away; sd removes every kind and the note; sx closes the screen.
    ASK_SUPPORT = "sp"
    SUPPORT_ON = "s1"
    SUPPORT_OFF = "s0"
    CLEAR_SUPPORT = "sd"
    SUPPORT_DONE = "sx"


class Notice(StrEnum):
    """What just happened, shown above the next screen."""

    RECORDED = "recorded"
    SKIPPED = "skipped"
    COMMENT_SAVED = "comment_saved"
    COMMENT_REMOVED = "comment_removed"
    EVIDENCE_SAVED = "evidence_saved"
    EVIDENCE_REMOVED = "evidence_removed"
    EVIDENCE_FULL = "evidence_full"  # the item has `evidence.MAX_PER_ANSWER` pieces already
    FIRST_ITEM = "first_item"
    CANCELLED = "cancelled"
    DISCARDED = "discarded"
    BAD_LINK = "bad_link"
    KEPT_THEIRS = "kept_theirs"
    SUPPORT_SAVED = "support_saved"
    SUPPORT_REMOVED = "support_removed"


@dataclass(frozen=True)
class AnswerState:
    status: str | None = None
    skipped: bool = False
    comment: str | None = None
    evidence: tuple[EvidenceEntry, ...] = ()  # oldest first, removed ones left out
    updated_by: str | None = None
    updated_at: datetime | None = None
    from_baseline: bool = False  # copied from the last cycle: to confirm or change
    support_kinds: tuple[str, ...] = ()  # "we need support": `needs.SUPPORT_KINDS` asked for
    support_note: str | None = None


@dataclass(frozen=True)
class Conflict:
    """A colleague changed what the person's tap or text would replace: theirs or mine?"""

    field: str  # "status", "comment", "support_note", or "support" (removing the needs)
    theirs: str | None  # what is stored
    mine: str | None  # what the person sent, held in the cursor until they choose
    by: str | None  # who set theirs
    at: datetime | None


@dataclass(frozen=True)
class ItemScreen:
    """One checklist item as a focal point sees it, with what the bot waits for."""

    cycle_id: int
    checklist: Checklist
    item_id: str
    section_id: str
    position: int  # 1-based
    total: int
    answered: int
    answer: AnswerState
    awaiting: Awaiting
    version: int
    notice: Notice | None = None
    notice_status: str | None = None
    pending_kind: str | None = None
    pending_preview: str | None = None
    reopened: bool = False  # this action reopened the submitted report
    conflict: Conflict | None = None
    meanwhile: ColleagueChange | None = None  # a colleague's evidence, kept beside the new piece


@dataclass(frozen=True)
class DoneScreen:
    """Past the last item: what is answered, and whether anything is still open."""

    cycle_id: int
    total: int
    answered: int
    skipped: int
    first_open_item: str | None
    version: int
    notice: Notice | None = None
    notice_status: str | None = None
    reopened: bool = False  # this action reopened the submitted report
    submitted: bool = False  # the country's report is submitted
    outstanding: int = 0  # open items and copies to confirm: what keeps /submit from working


Screen = ItemScreen | DoneScreen


@dataclass(frozen=True)
class SectionProgress:
    section_id: str
    total: int
    answered: int


@dataclass(frozen=True)
class Progress:
    cycle_title: str
    deadline: datetime | None
    checklist: Checklist
    total: int
    answered: int
    skipped: int
    by_status: dict[str, int]
    sections: list[SectionProgress]
    version: int
    to_confirm: int = 0  # copied from the last cycle, not yet confirmed
    open: int = 0  # nothing yet; answered + skipped + to_confirm + open == total


@dataclass(frozen=True)
class ReviewItem:
    item_id: str
    status: str | None
    skipped: bool
    has_comment: bool
    has_evidence: bool
    from_baseline: bool = False
    evidence_count: int = 0
    has_support: bool = False  # the country asks for support on it


@dataclass(frozen=True)
class ReviewSection:
    checklist: Checklist
    section_id: str
    items: list[ReviewItem]
    version: int
    # Set when a status tap on an item opened from this list brought the person back here.
    cycle_id: int | None = None
    notice: Notice | None = None
    notice_status: str | None = None
    reopened: bool = False


@dataclass
class _Context:
    """What every action loads first: the cycle, the checklist, the country and the cursor."""

    actor: Actor
    country: str
    cycle: Cycle
    checklist: Checklist
    cursor: Cursor
    answers: dict[str, AnswerFacts] = field(default_factory=dict)  # an `Answer` once locked
    reopened: bool = False  # a change reopened the country's submitted report
    meanwhile: ColleagueChange | None = None  # see `ItemScreen.meanwhile`
    reopen_checked: bool = False  # see `_reopen_if_submitted`


# The statements of every tap, built once: building and keying a statement cost more CPU than
# running it. Parameters of UPDATEs are named b_* (SQLAlchemy keeps column names for SET).
_CLAIM = (
    sa.update(Cursor)
    .where(
        col(Cursor.id) == sa.bindparam("b_cursor"), col(Cursor.version) == sa.bindparam("b_seen")
    )
    .values(
        version=sa.select(sa.func.max(Cursor.version))
        .where(col(Cursor.person_id) == sa.bindparam("b_person"))
        .scalar_subquery()
        + 1
    )
    .returning(col(Cursor.version))
)
# What an action may change in a cursor: every column but its keys and its version (`_claim`).
# All of it is written once at the end of the action (`_save_place`).
_PLACE = tuple(
    column.name
    for column in sa.inspect(Cursor).columns
    if column.name not in ("id", "person_id", "cycle_id", "version")
)
_SAVE_PLACE = sa.update(Cursor).where(col(Cursor.id) == sa.bindparam("b_cursor"))
_ANSWER_LOCKED = (
    select(Answer)
    .where(
        col(Answer.cycle_id) == sa.bindparam("cycle_id"),
        col(Answer.country_code) == sa.bindparam("country_code"),
        col(Answer.item_id) == sa.bindparam("item_id"),
    )
    .with_for_update()
    .execution_options(populate_existing=True)
)
_SAVE = sa.update(Answer).where(
    col(Answer.id) == sa.bindparam("b_answer"), col(Answer.version) == sa.bindparam("b_seen")
)
_REVISION = sa.insert(AnswerRevision)


def _load(
    session: Session,
    actor: Actor,
    checklists: ChecklistRegistry,
    now: datetime,
    *,
    writing: bool,
) -> _Context:
    country = actor.require_focal_point()
    found = open_cycle_and_cursor(session, actor.checklist_id, actor.person_id)
    if found is None:
        raise no_open_cycle(session, actor.checklist_id)
    cycle, cursor = found
    checklist = checklist_of(cycle, checklists)
    assert cycle.id is not None
    answers = country_answers(session, cycle.id, country)
    if cursor is None:
        # Versions continue above the person's cursors of earlier cycles, so that a button
        # left on a prompt of the previous cycle can never match the new cycle's cursor.
        previous = session.exec(
            select(sa.func.max(Cursor.version)).where(Cursor.person_id == actor.person_id)
        ).one()
        cursor = Cursor(
            person_id=actor.person_id,
            cycle_id=cycle.id,
            item_id=_first_open(checklist, answers) or checklist.items[0].id,
            version=(previous or 0) + 1,
            updated_at=now,
        )
        if writing:
            session.add(cursor)
            session.flush()
    return _Context(actor, country, cycle, checklist, cursor, answers)


def _first_open(checklist: Checklist, answers: dict[str, AnswerFacts]) -> str | None:
    for item in checklist.items:
        answer = answers.get(item.id)
        if answer is None or answer.status is None or answer.baseline:
            return item.id
    return None


def _stale(ctx: _Context) -> CursorMoved:
    """The refusal of a button that does not fit where the person stands now."""
    return CursorMoved(prompt_message_id=ctx.cursor.prompt_message_id)


def _claim(session: Session, ctx: _Context, version: int) -> None:
    """Compare-and-set the cursor's version: the one guard against stale and double taps.

    The new version is above every cursor of the person's, not only this one's: a person
    answering two instruments has a cursor in each open cycle, and a button left on the other
    instrument's screen must never match this one (the buttons carry no cycle).
    """
    cursor = ctx.cursor
    # A Core statement: the cursor in this session is brought up to date below, so the ORM's
    # UPDATE (a flush first, then its bookkeeping) would only cost time on every tap.
    new_version = (
        session.connection()
        .execute(_CLAIM, {"b_cursor": cursor.id, "b_seen": version, "b_person": cursor.person_id})
        .scalar_one_or_none()
    )
    if new_version is None:
        session.refresh(cursor)
        raise _stale(ctx)
    set_committed_value(cursor, "version", new_version)


def _save_place(session: Session, cursor: Cursor) -> None:
    """Write where the person now stands: every column of the cursor an action may change.

    A Core UPDATE, as in `_claim`: the ORM's flush of the one changed object (its unit of
    work, then its bookkeeping) cost more CPU than the statement, on every tap. The values
    are then marked as the cursor's committed state, so no later flush writes them again.
    """
    values = {name: getattr(cursor, name) for name in _PLACE}
    session.connection().execute(_SAVE_PLACE, {"b_cursor": cursor.id, **values})
    for name, value in values.items():
        set_committed_value(cursor, name, value)


def _bump(session: Session, ctx: _Context) -> None:
    """A new prompt is about to be sent: older buttons become stale."""
    if ctx.cursor.id is None:
        session.add(ctx.cursor)
        session.flush()
    _claim(session, ctx, ctx.cursor.version)


def _answer_for(session: Session, ctx: _Context, item_id: str, now: datetime) -> Answer:
    """The country's answer row for an item, created if missing, locked for this change.

    Several focal points of one country may change the same item at the same moment: a
    missing row is created with INSERT … ON CONFLICT DO NOTHING and then read FOR UPDATE, so
    on PostgreSQL the second writer waits for the first and sees its change (old value,
    version) instead of failing on the unique constraint. (SQLite's BEGIN IMMEDIATE already
    serialises, and ignores FOR UPDATE.) `_load` read the answers as rows; the one to change
    is loaded here, once per transaction.
    """
    assert ctx.cycle.id is not None
    known = ctx.answers.get(item_id)
    if isinstance(known, Answer):
        return known
    if known is None:
        insert_new(
            session,
            Answer,
            {
                "cycle_id": ctx.cycle.id,
                "country_code": ctx.country,
                "item_id": item_id,
                "skipped": False,
                "version": 0,
                "baseline": False,
            },
            ["cycle_id", "country_code", "item_id"],
        )
    answer = session.exec(
        _ANSWER_LOCKED,
        params={"cycle_id": ctx.cycle.id, "country_code": ctx.country, "item_id": item_id},
    ).one()
    ctx.answers[item_id] = answer
    return answer


def _change(
    session: Session,
    ctx: _Context,
    answer: Answer,
    field_name: str,
    new: str | None,
    now: datetime,
) -> bool:
    """Set one field of an answer and append its revision; False when nothing changed."""
    return _change_all(session, ctx, answer, {field_name: new}, now)


def _change_all(
    session: Session,
    ctx: _Context,
    answer: Answer,
    changes: dict[str, str | None],
    now: datetime,
) -> bool:
    """Set fields of an answer (values as their revisions write them: "true"/"false" for the
    flags) with one UPDATE, and append a revision for each field that changed, all of the
    same answer version: one change made together. False when nothing changed."""
    values: dict[str, object] = {}
    revisions: list[tuple[str, str | None, str | None]] = []
    for field_name, new in changes.items():
        old = getattr(answer, field_name)
        old_text: str | None
        new_text: str | None
        if field_name in ("skipped", "baseline"):
            old_text, new_text = str(bool(old)).lower(), str(new == "true").lower()
            value: object = new == "true"
        else:
            old_text, new_text, value = old, new, new
        if old_text != new_text:
            values[field_name] = value
            revisions.append((field_name, old_text, new_text))
    if not values:
        return False
    _save(session, ctx, answer, now, **values)
    _add_revisions(session, ctx, answer, revisions, now)
    _reopen_if_submitted(session, ctx, now)
    return True


def _save(session: Session, ctx: _Context, answer: Answer, now: datetime, **values: object) -> None:
    """Write `values` to the answer: one conditional UPDATE on the version it was read at.

    The row is locked (`_answer_for`), so on PostgreSQL no colleague's write can come in
    between; the WHERE on the version and the row count make that a checked fact rather than
    an assumption. A miss rolls the whole action back as a stale tap.
    """
    seen = answer.version
    changes = {**values, "updated_by": ctx.actor.person_id, "updated_at": now, "version": seen + 1}
    # Core, as in `_claim`; the columns to SET are the keys of `changes`.
    result = session.connection().execute(_SAVE, {"b_answer": answer.id, "b_seen": seen, **changes})
    if result.rowcount != 1:
        raise StaleAction()
    for name, value in changes.items():
        set_committed_value(answer, name, value)


def _add_revisions(
    session: Session,
    ctx: _Context,
    answer: Answer,
    changed: list[tuple[str, str | None, str | None]],
    now: datetime,
) -> None:
    """Append the answer's revisions for the change just saved, one per (field, old, new):
    a Core INSERT, since nothing in the transaction reads them back, so the ORM's unit of
    work would only cost time."""
    assert answer.id is not None and ctx.cycle.id is not None
    rows = [
        {
            "answer_id": answer.id,
            "cycle_id": ctx.cycle.id,
            "country_code": ctx.country,
            "item_id": answer.item_id,
            "field": field_name,
            "old_value": old,
            "new_value": new,
            "changed_by": ctx.actor.person_id,
            "changed_at": now,
            "answer_version": answer.version,
        }
        for field_name, old, new in changed
    ]
    session.connection().execute(_REVISION, rows[0] if len(rows) == 1 else rows)


def _reopen_if_submitted(session: Session, ctx: _Context, now: datetime) -> None:
    """A change after /submit reopens the country's report (see `submission`).

    Once per transaction: after the first change the report is open either way (nothing in
    an answering transaction submits it), so a tap that changes a status and clears a skip
    or a copy from the last cycle asks only once.
    """
    assert ctx.cycle.id is not None
    if ctx.reopen_checked:
        return
    ctx.reopen_checked = True
    if reopen_after_change(
        session,
        cycle_id=ctx.cycle.id,
        country_code=ctx.country,
        person_id=ctx.actor.person_id,
        now=now,
    ):
        ctx.reopened = True


def _evidence_changed(
    session: Session,
    ctx: _Context,
    answer: Answer,
    old: str | None,
    new: str | None,
    now: datetime,
) -> None:
    """One piece of evidence was added or removed: the answer changed, with its revision."""
    _save(session, ctx, answer, now)
    _add_revisions(session, ctx, answer, [("evidence", old, new)], now)
    _reopen_if_submitted(session, ctx, now)


def _add_evidence(
    session: Session,
    ctx: _Context,
    item_id: str,
    now: datetime,
    *,
    kind: str,
    url: str | None = None,
    file_id: str | None = None,
    file_unique_id: str | None = None,
    file_name: str | None = None,
    caption: str | None = None,
) -> Notice:
    """Append one piece of evidence to the item's answer; refused past the limit.

    A colleague's evidence added or removed since the screen stays as it is; the next screen
    names them (`meanwhile`), so their change is not overlooked.
    """
    answer = _answer_for(session, ctx, item_id, now)
    ctx.meanwhile = _changed_since(session, ctx, answer, "evidence")
    added = evidence.add(
        session,
        answer=answer,
        kind=kind,
        url=url,
        file_id=file_id,
        file_unique_id=file_unique_id,
        file_name=file_name,
        caption=caption,
        by=ctx.actor.person_id,
        now=now,
    )
    if added is None:
        return Notice.EVIDENCE_FULL
    _evidence_changed(session, ctx, answer, None, evidence.revision_text(added), now)
    return Notice.EVIDENCE_SAVED


def _changed_since(
    session: Session, ctx: _Context, answer: Answer, field_name: str
) -> ColleagueChange | None:
    """A colleague's change of `field_name` after the version the person's screen showed."""
    return colleagues.changed_since(
        session,
        answer=answer,
        field=field_name,
        seen=ctx.cursor.answer_version,
        me=ctx.actor.person_id,
    )


def _asks(
    session: Session, ctx: _Context, answer: Answer, field_name: str, mine: str | None
) -> bool:
    """Would writing `mine` replace what a colleague set after the screen was drawn?

    Then nothing is written: `mine` is held in the cursor and the next screen asks "keep
    theirs / use mine" (drawn from the answer as it is now, so "use mine" is checked against
    the colleague's version). A value equal to the stored one asks nothing.
    """
    if getattr(answer, field_name) == mine:
        return False
    if _changed_since(session, ctx, answer, field_name) is None:
        return False
    ctx.cursor.pending = json.dumps({"kind": MINE, "field": field_name, "value": mine})
    ctx.cursor.awaiting = Awaiting.NOTHING
    return True


def _conflict(session: Session, answer: AnswerFacts | None, pending: dict[str, Any]) -> Conflict:
    field_name = pending["field"]
    if field_name == _SUPPORT:
        return _support_conflict(session, answer)
    theirs = getattr(answer, field_name) if answer is not None else None
    change = colleagues.last_change(session, answer=answer, field=field_name) if answer else None
    return Conflict(
        field=field_name,
        theirs=theirs,
        mine=pending["value"],
        by=change.by if change else None,
        at=change.at if change else None,
    )


def _answer_state(session: Session, answer: AnswerFacts | None) -> AnswerState:
    if answer is None or answer.id is None:
        return AnswerState()
    author, pieces = evidence.on_screen(session, answer.id)
    return AnswerState(
        status=answer.status,
        skipped=answer.skipped,
        comment=answer.comment,
        evidence=pieces,
        updated_by=author,
        updated_at=answer.updated_at,
        from_baseline=answer.baseline,
        support_kinds=needs.parse_kinds(answer.support_kinds),
        support_note=answer.support_note,
    )


def _screen(
    session: Session,
    ctx: _Context,
    *,
    notice: Notice | None = None,
    notice_status: str | None = None,
) -> Screen:
    cursor, checklist = ctx.cursor, ctx.checklist
    counts = count_states(answer_state(ctx.answers.get(item.id)) for item in checklist.items)
    answered = counts.answered
    assert ctx.cycle.id is not None
    _draw_from(ctx, _shown_answer_version(ctx))
    if cursor.item_id is None:
        return DoneScreen(
            cycle_id=ctx.cycle.id,
            total=len(checklist.items),
            answered=answered,
            skipped=counts.skipped,
            outstanding=counts.outstanding,
            first_open_item=_first_open(checklist, ctx.answers),
            version=cursor.version,
            notice=notice,
            notice_status=notice_status,
            reopened=ctx.reopened,
            submitted=is_submitted(session, ctx.cycle.id, ctx.country),
        )
    item = checklist.item(cursor.item_id)
    answer = ctx.answers.get(item.id)
    pending = json.loads(cursor.pending) if cursor.pending else None
    conflict = None
    if pending is not None and pending["kind"] == MINE:
        conflict, pending = _conflict(session, answer, pending), None
    return ItemScreen(
        cycle_id=ctx.cycle.id,
        checklist=checklist,
        item_id=item.id,
        section_id=item.section_id,
        position=item.position + 1,
        total=len(checklist.items),
        answered=answered,
        answer=_answer_state(session, answer),
        awaiting=cursor.awaiting,
        version=cursor.version,
        notice=notice,
        notice_status=notice_status,
        pending_kind=pending["kind"] if pending else None,
        pending_preview=(pending.get("text") or pending.get("file_name")) if pending else None,
        reopened=ctx.reopened,
        conflict=conflict,
        meanwhile=ctx.meanwhile,
    )


def _shown_answer_version(ctx: _Context) -> int | None:
    """The version of the answer the screen at the cursor is drawn from (0: no answer yet,
    None: no item on the screen): the next write on that screen compares with it."""
    if ctx.cursor.item_id is None:
        return None
    answer = ctx.answers.get(ctx.cursor.item_id)
    return answer.version if answer is not None else 0


def _draw_from(ctx: _Context, answer_version: int | None) -> None:
    """Note the answer version a screen is drawn from. Set only when it changes: an
    assignment marks the cursor changed even with an equal value, and its queries would
    then flush it again."""
    if ctx.cursor.answer_version != answer_version:
        ctx.cursor.answer_version = answer_version


def _move(ctx: _Context, item_id: str | None, now: datetime) -> None:
    cursor = ctx.cursor
    cursor.item_id = item_id
    cursor.awaiting = Awaiting.NOTHING
    cursor.pending = None
    cursor.return_to = None  # walking elsewhere ends a visit from the review list
    cursor.updated_at = now


def _require_writable(ctx: _Context) -> None:
    if ctx.cycle.closed_at is not None:
        raise CycleClosed()


def resume(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> Screen:
    """Where the person stands, for a new prompt message: /start, /continue, a reminder."""
    ctx = _load(session, actor, checklists, now, writing=True)
    touch(session, actor, now)
    cursor = ctx.cursor
    if cursor.item_id is None:
        first_open = _first_open(ctx.checklist, ctx.answers)
        if first_open is not None:
            _move(ctx, first_open, now)
    _bump(session, ctx)
    return _screen(session, ctx)


def first_open_item(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> Screen:
    """Resume at the first item that has no status yet (a reminder's "continue")."""
    ctx = _load(session, actor, checklists, now, writing=True)
    touch(session, actor, now)
    _move(ctx, _first_open(ctx.checklist, ctx.answers), now)
    _bump(session, ctx)
    return _screen(session, ctx)


def cancel_input(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> Screen:
    """/cancel: stop waiting for a comment or evidence, drop held input, show the item."""
    ctx = _load(session, actor, checklists, now, writing=True)
    touch(session, actor, now)
    waiting = ctx.cursor.awaiting != Awaiting.NOTHING or ctx.cursor.pending is not None
    ctx.cursor.awaiting = Awaiting.NOTHING
    ctx.cursor.pending = None
    ctx.cursor.updated_at = now
    session.add(ctx.cursor)
    _bump(session, ctx)
    return _screen(session, ctx, notice=Notice.CANCELLED if waiting else None)


def remember_prompt(
    session: Session, *, actor: Actor, cycle_id: int, version: int, message_id: int
) -> None:
    """Note which message shows the current prompt (double taps are told apart by it)."""
    session.execute(
        sa.update(Cursor)
        .where(
            col(Cursor.person_id) == actor.person_id,
            col(Cursor.cycle_id) == cycle_id,
            col(Cursor.version) == version,
        )
        .values(prompt_message_id=message_id)
    )


@dataclass(frozen=True)
class _Tap:
    """What the pressed button carried besides its action and the cursor's version."""

    item_id: str | None
    status_index: int | None
    evidence_id: int | None
    support_kind: int | None = None  # an index into `needs.SUPPORT_KINDS`


@dataclass(frozen=True)
class _Outcome:
    """What an action did, for the screen that follows it."""

    notice: Notice | None = None
    notice_status: str | None = None
    review: str | None = None  # a norm's id: show its review list instead of the next screen


def _current_item(ctx: _Context) -> str:
    """The item the cursor is on; past the end, a button that needs one is stale."""
    if ctx.cursor.item_id is None:
        raise _stale(ctx)
    return ctx.cursor.item_id


def _show(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Show the current item again; past the end, the first one still open."""
    if ctx.cursor.item_id is None:
        _move(ctx, _first_open(ctx.checklist, ctx.answers), now)
    return _Outcome()


def _set_status(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Record a status for the item on screen, unless it would replace a colleague's unseen."""
    _require_writable(ctx)
    current = _current_item(ctx)
    if tap.item_id != current:
        raise _stale(ctx)
    checklist = ctx.checklist
    if tap.status_index is None or not 0 <= tap.status_index < len(checklist.statuses):
        raise InvalidInput()
    status = checklist.statuses[tap.status_index]
    answer = _answer_for(session, ctx, current, now)
    if _asks(session, ctx, answer, "status", status):
        return _Outcome()  # the same item, asking keep theirs / use mine
    return _record_status(session, ctx, answer, status, now)


def _record_status(
    session: Session, ctx: _Context, answer: Answer, status: str, now: datetime
) -> _Outcome:
    """Write a status to the item on screen, then walk on (or back to the review list)."""
    current, checklist = answer.item_id, ctx.checklist
    # A status also clears a skip, and confirms (or changes) a copy from the last cycle.
    _change_all(
        session, ctx, answer, {"status": status, "skipped": "false", "baseline": "false"}, now
    )
    return_to = ctx.cursor.return_to
    if return_to is None or not return_to.startswith("rv:"):
        _move(ctx, checklist.next_item_id(current), now)
        return _Outcome(Notice.RECORDED, status)
    # Back to the list the item was opened from; "Back to the item" there then continues
    # where answers are still missing. A norm this checklist no longer has (a list from
    # another checklist version) leads to the first open item.
    _move(ctx, _first_open(checklist, ctx.answers), now)
    section_id = return_to.removeprefix("rv:")
    known = section_id in {section.id for section in checklist.sections}
    return _Outcome(Notice.RECORDED, status, review=section_id if known else None)


def _skip(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    current = _current_item(ctx)
    _require_writable(ctx)
    answer = _answer_for(session, ctx, current, now)
    if answer.status is None:
        _change(session, ctx, answer, "skipped", "true", now)
    _move(ctx, ctx.checklist.next_item_id(current), now)
    return _Outcome(Notice.SKIPPED)


def _next(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    current = ctx.cursor.item_id
    _move(ctx, ctx.checklist.next_item_id(current) if current else None, now)
    return _Outcome()


def _back(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """The previous item; past the end, the last one."""
    current, checklist = ctx.cursor.item_id, ctx.checklist
    if current is None:
        _move(ctx, checklist.items[-1].id, now)
        return _Outcome()
    previous = checklist.previous_item_id(current)
    _move(ctx, previous or current, now)
    return _Outcome(Notice.FIRST_ITEM if previous is None else None)


def _open(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """An item chosen from a norm's review list: a status tap on it returns to that list."""
    if tap.item_id is None:
        raise UnknownItem(item="")
    try:
        item = ctx.checklist.item(tap.item_id)
    except KeyError:
        raise UnknownItem(item=tap.item_id) from None
    _move(ctx, item.id, now)
    ctx.cursor.return_to = f"rv:{item.section_id}"
    return _Outcome()


def _jump_to_first_open(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    _move(ctx, _first_open(ctx.checklist, ctx.answers), now)
    return _Outcome()


def _ask(ctx: _Context, awaiting: Awaiting) -> _Outcome:
    """Wait for a comment or a piece of evidence on the item on screen."""
    _require_writable(ctx)
    _current_item(ctx)
    ctx.cursor.awaiting = awaiting
    ctx.cursor.pending = None
    return _Outcome()


def _ask_comment(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    return _ask(ctx, Awaiting.COMMENT)


def _ask_evidence(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    return _ask(ctx, Awaiting.EVIDENCE)


def _cancel(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    ctx.cursor.awaiting = Awaiting.NOTHING
    return _Outcome(Notice.CANCELLED)


def _clear_comment(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    _require_writable(ctx)
    current = _current_item(ctx)
    answer = _answer_for(session, ctx, current, now)
    if _asks(session, ctx, answer, "comment", None):
        return _Outcome()
    _change(session, ctx, answer, "comment", None, now)
    ctx.cursor.awaiting = Awaiting.NOTHING
    return _Outcome(Notice.COMMENT_REMOVED)


def _remove_evidence(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """One piece of the item's evidence, named by its id in the button."""
    _require_writable(ctx)
    current = _current_item(ctx)
    if tap.item_id != current or tap.evidence_id is None:
        raise _stale(ctx)
    answer = _answer_for(session, ctx, current, now)
    # Conditional: of two focal points removing the same piece at once, one does.
    removed = evidence.remove(
        session, answer=answer, evidence_id=tap.evidence_id, by=ctx.actor.person_id, now=now
    )
    if removed is not None:
        _evidence_changed(session, ctx, answer, evidence.revision_text(removed), None, now)
    ctx.cursor.awaiting = Awaiting.NOTHING
    return _Outcome(Notice.EVIDENCE_REMOVED)


def _keep_pending(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Keep what was sent unasked: text as the comment, a file as evidence."""
    _require_writable(ctx)
    current = _current_item(ctx)
    cursor = ctx.cursor
    if cursor.pending is None:
        raise _stale(ctx)
    pending = json.loads(cursor.pending)
    if pending["kind"] == MINE:
        raise _stale(ctx)
    answer = _answer_for(session, ctx, current, now)
    if pending["kind"] == "text":
        if _asks(session, ctx, answer, "comment", pending["text"]):
            return _Outcome()
        _change(session, ctx, answer, "comment", pending["text"], now)
        notice = Notice.COMMENT_SAVED
    else:
        notice = _add_evidence(
            session,
            ctx,
            current,
            now,
            kind=pending["kind"],
            file_id=pending["file_id"],
            file_unique_id=pending.get("file_unique_id"),
            file_name=pending.get("file_name"),
            caption=pending.get("caption"),
        )
    cursor.pending = None
    cursor.awaiting = Awaiting.NOTHING
    return _Outcome(notice)


def _drop_pending(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    ctx.cursor.pending = None
    return _Outcome(Notice.DISCARDED)


def _held_mine(ctx: _Context) -> dict[str, Any]:
    """The person's value held while a conflict is asked; any other screen's tap is stale."""
    pending = json.loads(ctx.cursor.pending) if ctx.cursor.pending else None
    if pending is None or pending["kind"] != MINE:
        raise _stale(ctx)
    return dict(pending)


def _keep_theirs(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Leave the colleague's value: the item as it is stored, the person's value dropped."""
    _current_item(ctx)
    _held_mine(ctx)
    ctx.cursor.pending = None
    return _Outcome(Notice.KEPT_THEIRS)


def _use_mine(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Write the person's value over the colleague's they were shown.

    The question was drawn from the colleague's version: a further change since then asks
    again (with the newest value), nothing is replaced unseen.
    """
    _require_writable(ctx)
    current = _current_item(ctx)
    mine = _held_mine(ctx)
    answer = _answer_for(session, ctx, current, now)
    field_name, value = mine["field"], mine["value"]
    if field_name == _SUPPORT:
        return _remove_support(session, ctx, answer, now)
    if _asks(session, ctx, answer, field_name, value):
        return _Outcome()
    ctx.cursor.pending = None
    if field_name == "status":
        return _record_status(session, ctx, answer, value, now)
    if field_name == "support_note":
        _change(session, ctx, answer, field_name, value, now)
        return _Outcome(Notice.SUPPORT_SAVED)
    _change(session, ctx, answer, "comment", value, now)
    return _Outcome(Notice.COMMENT_SAVED if value else Notice.COMMENT_REMOVED)


# --------------------------------------------------------------------------- support needs
#
# "We need support" on the item on screen: kinds toggled by button, a note sent as text. Each
# change is a field change of the answer (`support_kinds`, `support_note`) with its revision.
# A toggle adds or takes away one kind of what is stored now, so a colleague's kinds set
# meanwhile stay beside it and the screen names them (`meanwhile`); a note, or removing the
# needs, that would replace a colleague's unseen change asks "keep theirs / use mine". Neither
# touches the status: a colleague's needs never stand in the way of a status tap.

_SUPPORT: Final = "support"  # the conflict's field when removing the needs would replace theirs
_SUPPORT_FIELDS: Final = ("support_kinds", "support_note")


def _ask_support(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Open the item's "need support" screen; a text sent now is the note."""
    return _ask(ctx, Awaiting.SUPPORT)


def _support_done(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    ctx.cursor.awaiting = Awaiting.NOTHING
    return _Outcome()


def _toggle_kind(
    session: Session, ctx: _Context, tap: _Tap, now: datetime, *, on: bool
) -> _Outcome:
    _require_writable(ctx)
    current = _current_item(ctx)
    index = tap.support_kind
    if tap.item_id != current or index is None or not 0 <= index < len(needs.SUPPORT_KINDS):
        raise _stale(ctx)
    answer = _answer_for(session, ctx, current, now)
    ctx.meanwhile = _changed_since(session, ctx, answer, "support_kinds")
    kinds = needs.with_kind(answer.support_kinds, needs.SUPPORT_KINDS[index], on)
    _change(session, ctx, answer, "support_kinds", kinds, now)
    ctx.cursor.awaiting = Awaiting.SUPPORT
    return _Outcome(Notice.SUPPORT_SAVED)


def _support_on(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    return _toggle_kind(session, ctx, tap, now, on=True)


def _support_off(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    return _toggle_kind(session, ctx, tap, now, on=False)


def _clear_support(session: Session, ctx: _Context, tap: _Tap, now: datetime) -> _Outcome:
    """Remove every kind and the note, unless a colleague changed them since the screen."""
    _require_writable(ctx)
    answer = _answer_for(session, ctx, _current_item(ctx), now)
    return _remove_support(session, ctx, answer, now)


def _remove_support(session: Session, ctx: _Context, answer: Answer, now: datetime) -> _Outcome:
    """Write "no support needed"; asks first when that would replace a colleague's change
    made after the screen was drawn (also after "use mine": a further change asks again)."""
    stored = answer.support_kinds is not None or answer.support_note is not None
    if stored and any(_changed_since(session, ctx, answer, f) for f in _SUPPORT_FIELDS):
        ctx.cursor.pending = json.dumps({"kind": MINE, "field": _SUPPORT, "value": None})
        ctx.cursor.awaiting = Awaiting.NOTHING
        return _Outcome()
    ctx.cursor.pending = None
    _change_all(session, ctx, answer, dict.fromkeys(_SUPPORT_FIELDS), now)
    ctx.cursor.awaiting = Awaiting.NOTHING
    return _Outcome(Notice.SUPPORT_REMOVED)


def _support_note(
    session: Session, ctx: _Context, item_id: str, text: str, now: datetime
) -> Notice | None:
    """The note sent on the "need support" screen; `TooLong` past `needs.NOTE_MAX`."""
    _require_writable(ctx)
    if len(text) > needs.NOTE_MAX:
        raise TooLong(length=len(text), limit=needs.NOTE_MAX)
    answer = _answer_for(session, ctx, item_id, now)
    if _asks(session, ctx, answer, "support_note", text or None):
        return None
    _change(session, ctx, answer, "support_note", text or None, now)
    return Notice.SUPPORT_SAVED


def _support_conflict(session: Session, answer: AnswerFacts | None) -> Conflict:
    """Removing the needs would replace a colleague's: theirs are the kinds stored now."""
    changes = [
        colleagues.last_change(session, answer=answer, field=f)
        for f in _SUPPORT_FIELDS
        if answer is not None
    ]
    newest = max(
        (c for c in changes if c is not None),
        key=lambda c: c.at.timestamp() if c.at else 0.0,
        default=None,
    )
    return Conflict(
        field=_SUPPORT,
        theirs=answer.support_kinds if answer is not None else None,
        mine=None,
        by=newest.by if newest else None,
        at=newest.at if newest else None,
    )


_SUPPORT_STEPS: Final[dict[Action, Callable[[Session, _Context, _Tap, datetime], _Outcome]]] = {
    Action.ASK_SUPPORT: _ask_support,
    Action.SUPPORT_ON: _support_on,
    Action.SUPPORT_OFF: _support_off,
    Action.CLEAR_SUPPORT: _clear_support,
    Action.SUPPORT_DONE: _support_done,
}


# What each button does, after `act` has claimed the cursor. A step raises to refuse (nothing
# is written then: the transaction rolls back) and otherwise leaves the cursor where the next
# screen is; `act` saves it.
_STEPS: Final[dict[Action, Callable[[Session, _Context, _Tap, datetime], _Outcome]]] = {
    Action.SHOW: _show,
    Action.STATUS: _set_status,
    Action.SKIP: _skip,
    Action.BACK: _back,
    Action.NEXT: _next,
    Action.ASK_COMMENT: _ask_comment,
    Action.ASK_EVIDENCE: _ask_evidence,
    Action.CANCEL: _cancel,
    Action.OPEN: _open,
    Action.FIRST_OPEN: _jump_to_first_open,
    Action.CLEAR_COMMENT: _clear_comment,
    Action.REMOVE_EVIDENCE: _remove_evidence,
    Action.KEEP_PENDING: _keep_pending,
    Action.DROP_PENDING: _drop_pending,
    Action.KEEP_THEIRS: _keep_theirs,
    Action.USE_MINE: _use_mine,
    **_SUPPORT_STEPS,
}


def act(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    version: int,
    action: Action,
    now: datetime,
    item_id: str | None = None,
    status_index: int | None = None,
    evidence_id: int | None = None,
    message_id: int | None = None,
    support_kind: int | None = None,
) -> Screen | ReviewSection:
    """Carry out one button press on the answering screens; returns the screen to show.

    The cursor is claimed first (compare-and-set on `version`): a stale or repeated tap stops
    there with `StaleAction`. A status tap on an item opened from a norm's review list returns
    that list (the cursor's `return_to` remembers it, also across a restart); elsewhere it
    walks on to the next item.
    """
    ctx = _load(session, actor, checklists, now, writing=True)
    _claim(session, ctx, version)
    touch(session, actor, now)
    cursor = ctx.cursor
    if message_id is not None:
        cursor.prompt_message_id = message_id  # the pressed message shows the next screen
    tap = _Tap(item_id, status_index, evidence_id, support_kind)
    done = _STEPS[action](session, ctx, tap, now)
    cursor.updated_at = now
    # Known before the cursor is written, so that it is written once (drawing the screen
    # would otherwise change it again after the flush, and its queries flush it a second time).
    _draw_from(ctx, None if done.review is not None else _shown_answer_version(ctx))
    _save_place(session, cursor)
    if done.review is not None:
        return _review(
            session, ctx, done.review, notice=done.notice, notice_status=done.notice_status
        )
    return _screen(session, ctx, notice=done.notice, notice_status=done.notice_status)


def receive_text(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    text: str,
    now: datetime,
    comment_max: int,
) -> Screen:
    """Typed text: the comment or link the bot asked for, or else held and offered as comment.

    Raises `TooLong` (nothing changes, the bot keeps waiting) for an over-long comment.
    """
    ctx = _load(session, actor, checklists, now, writing=True)
    touch(session, actor, now)
    cursor = ctx.cursor
    text = text.strip()
    awaiting = cursor.awaiting
    notice: Notice | None = None
    if cursor.item_id is not None and awaiting is Awaiting.COMMENT:
        _require_writable(ctx)
        if len(text) > comment_max:
            raise TooLong(length=len(text), limit=comment_max)
        answer = _answer_for(session, ctx, cursor.item_id, now)
        if not _asks(session, ctx, answer, "comment", text or None):
            _change(session, ctx, answer, "comment", text or None, now)
            cursor.awaiting = Awaiting.NOTHING
            notice = Notice.COMMENT_SAVED
    elif cursor.item_id is not None and awaiting is Awaiting.SUPPORT:
        notice = _support_note(session, ctx, cursor.item_id, text, now)
    elif cursor.item_id is not None and awaiting is Awaiting.EVIDENCE:
        _require_writable(ctx)
        if not URL_PATTERN.match(text) or len(text) > URL_MAX:
            notice = Notice.BAD_LINK  # still waiting for a link or a file
        else:
            notice = _add_evidence(session, ctx, cursor.item_id, now, kind="link", url=text)
            cursor.awaiting = Awaiting.NOTHING
    else:
        if len(text) > comment_max:
            raise TooLong(length=len(text), limit=comment_max)
        # Nobody asked for text: hold it, so it is not lost, and offer to keep it.
        cursor.pending = json.dumps({"kind": "text", "text": text})
    cursor.updated_at = now
    session.add(cursor)
    _bump(session, ctx)
    return _screen(session, ctx, notice=notice)


def receive_file(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    kind: str,
    file_id: str,
    file_name: str | None,
    now: datetime,
    file_unique_id: str | None = None,
    caption: str | None = None,
) -> Screen:
    """A document or photo: evidence added to the item when asked for, or else held and offered.

    `caption` is the text sent with the file; exports show it beside the file's name.
    """
    ctx = _load(session, actor, checklists, now, writing=True)
    touch(session, actor, now)
    cursor = ctx.cursor
    notice: Notice | None = None
    if cursor.item_id is not None and cursor.awaiting is Awaiting.EVIDENCE:
        _require_writable(ctx)
        notice = _add_evidence(
            session,
            ctx,
            cursor.item_id,
            now,
            kind=kind,
            file_id=file_id,
            file_unique_id=file_unique_id,
            file_name=file_name,
            caption=caption,
        )
        cursor.awaiting = Awaiting.NOTHING
    else:
        cursor.pending = json.dumps(
            {
                "kind": kind,
                "file_id": file_id,
                "file_unique_id": file_unique_id,
                "file_name": file_name,
                "caption": caption,
            }
        )
    cursor.updated_at = now
    session.add(cursor)
    _bump(session, ctx)
    return _screen(session, ctx, notice=notice)


def progress(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, now: datetime
) -> Progress:
    """/progress: the counts of `reads.country_report`, overall and per norm."""
    ctx = _load(session, actor, checklists, now, writing=False)
    checklist = ctx.checklist
    report = country_report(session, ctx.cycle, checklist, ctx.country)
    counts = report.counts
    sections = [
        SectionProgress(
            section.id,
            len(section.items),
            report.sections[section.id].answered,
        )
        for section in checklist.sections
    ]
    return Progress(
        cycle_title=ctx.cycle.title,
        deadline=ctx.cycle.deadline,
        checklist=checklist,
        total=counts.total,
        answered=counts.answered,
        skipped=counts.skipped,
        by_status=counts.by_status,
        sections=sections,
        version=ctx.cursor.version,
        to_confirm=counts.to_confirm,
        open=counts.open,
    )


def review_section(
    session: Session,
    *,
    actor: Actor,
    checklists: ChecklistRegistry,
    section_id: str,
    version: int | None,
    now: datetime,
) -> ReviewSection:
    """The items of one norm with their answers; `version` checks the pressed button."""
    ctx = _load(session, actor, checklists, now, writing=False)
    if version is not None and version != ctx.cursor.version:
        raise _stale(ctx)
    return _review(session, ctx, section_id)


def _review(
    session: Session,
    ctx: _Context,
    section_id: str,
    *,
    notice: Notice | None = None,
    notice_status: str | None = None,
) -> ReviewSection:
    try:
        section = ctx.checklist.section(section_id)
    except KeyError:
        raise UnknownItem(item=section_id) from None
    answer_ids = [ctx.answers[i.id].id for i in section.items if i.id in ctx.answers]
    pieces = evidence.entries_of(session, [a for a in answer_ids if a is not None])
    items = []
    for item in section.items:
        answer = ctx.answers.get(item.id)
        count = len(pieces.get(answer.id, ())) if answer is not None and answer.id else 0
        items.append(
            ReviewItem(
                item_id=item.id,
                status=answer.status if answer else None,
                skipped=bool(answer and answer.skipped),
                has_comment=bool(answer and answer.comment),
                has_evidence=count > 0,
                from_baseline=bool(answer and answer.baseline),
                evidence_count=count,
                has_support=bool(answer and (answer.support_kinds or answer.support_note)),
            )
        )
    return ReviewSection(
        ctx.checklist,
        section_id,
        items,
        ctx.cursor.version,
        cycle_id=ctx.cycle.id,
        notice=notice,
        notice_status=notice_status,
        reopened=ctx.reopened,
    )
