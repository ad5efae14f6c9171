"""several evidence entries per answer; the cursor remembers a return to the review list

Revision ID: 7c1e9a4b2d30
Revises: f2523687d1f5
Create Date: 2026-12-07 05:50:00

The answer's single evidence (four `evidence_*` columns, each new piece replacing the last)
becomes rows of `evidence`, one per piece: the existing values are moved there, then the old
columns are dropped, so that nothing can read the stale copy.

The columns are dropped with SQLite's own ALTER TABLE … DROP COLUMN (SQLite 3.35 or newer)
rather than Alembic's copy-and-rename: the bot runs SQLite with foreign keys enforced, and
dropping the old `answer` table would fail on the revisions that point at it.
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.models

revision: str = "7c1e9a4b2d30"
down_revision: str | None = "f2523687d1f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COLUMNS = ("evidence_kind", "evidence_url", "evidence_file_id", "evidence_file_name")


def _evidence_table() -> sa.Table:
    return sa.table(
        "evidence",
        sa.column("answer_id", sa.Integer),
        sa.column("public_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("url", sa.String),
        sa.column("file_id", sa.String),
        sa.column("file_name", sa.String),
        sa.column("added_by", sa.Integer),
        sa.column("added_at", bot.models.UTCDateTime()),
        sa.column("removed_at", bot.models.UTCDateTime()),
        sa.column("id", sa.Integer),
    )


def _answer_table() -> sa.Table:
    return sa.table(
        "answer",
        sa.column("id", sa.Integer),
        sa.column("updated_by", sa.Integer),
        sa.column("updated_at", bot.models.UTCDateTime()),
        *(sa.column(name, sa.String) for name in OLD_COLUMNS),
    )


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("file_unique_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("caption", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["removed_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_answer_id"), ["answer_id"], unique=False)
    with op.batch_alter_table("cursor", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("return_to", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )

    # The data: every answer's single evidence becomes its first evidence row. Its author and
    # time are the answer's last change, the best the old columns can tell.
    answer, evidence = _answer_table(), _evidence_table()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            answer.c.id,
            answer.c.evidence_kind,
            answer.c.evidence_url,
            answer.c.evidence_file_id,
            answer.c.evidence_file_name,
            answer.c.updated_by,
            answer.c.updated_at,
        ).where(answer.c.evidence_kind.is_not(None))
    ).all()
    now = datetime.now(UTC)
    moved = [
        {
            "answer_id": answer_id,
            "public_id": secrets.token_urlsafe(16),
            "kind": kind,
            "url": url if kind == "link" else None,
            "file_id": file_id if kind != "link" else None,
            "file_name": file_name if kind != "link" else None,
            "added_by": updated_by,
            "added_at": updated_at or now,
        }
        for answer_id, kind, url, file_id, file_name, updated_by, updated_at in rows
    ]
    if moved:
        connection.execute(sa.insert(evidence), moved)

    with op.batch_alter_table("answer", schema=None, recreate="never") as batch_op:
        for name in OLD_COLUMNS:
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None, recreate="never") as batch_op:
        for name in OLD_COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    # Back to one evidence per answer: the newest that was not removed.
    answer, evidence = _answer_table(), _evidence_table()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            evidence.c.answer_id,
            evidence.c.kind,
            evidence.c.url,
            evidence.c.file_id,
            evidence.c.file_name,
        )
        .where(evidence.c.removed_at.is_(None))
        .order_by(evidence.c.id)
    ).all()
    newest = {row[0]: row for row in rows}
    for answer_id, kind, url, file_id, file_name in newest.values():
        connection.execute(
            sa.update(answer)
            .where(answer.c.id == answer_id)
            .values(
                evidence_kind=kind,
                evidence_url=url,
                evidence_file_id=file_id,
                evidence_file_name=file_name,
            )
        )
    with op.batch_alter_table("cursor", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("return_to")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_answer_id"))
    op.drop_table("evidence")
