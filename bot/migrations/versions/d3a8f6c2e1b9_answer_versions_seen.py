"""answer versions seen: which answer a screen was drawn from, which version a change made

Revision ID: d3a8f6c2e1b9
Revises: c5e2a7d9f1b3
Create Date: 2026-12-07 14:00:00

`cursor.answer_version` is the version of the item's answer the person's current screen
shows; `answer_revision.answer_version` the version each change made. Together they tell a
colleague's change made after a screen was drawn (keep theirs / use mine). Both are nullable:
screens and history from before this migration simply carry no version.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3a8f6c2e1b9"
down_revision: str | None = "c5e2a7d9f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cursor") as batch:
        batch.add_column(sa.Column("answer_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("answerrevision") as batch:
        batch.add_column(sa.Column("answer_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answerrevision") as batch:
        batch.drop_column("answer_version")
    with op.batch_alter_table("cursor") as batch:
        batch.drop_column("answer_version")
