"""answer support needs: the kinds of support a country asks for on an item, and a note

Revision ID: e4b9c1d7a2f6
Revises: d3a8f6c2e1b9
Create Date: 2026-12-07 16:45:00

`answer.support_kinds` holds the kinds asked for as their codes joined by "," in a fixed
order ("policy,training"), `answer.support_note` a short note; both None when no support is
asked. Their changes are kept in `answer_revision` like the status's and the comment's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e4b9c1d7a2f6"
down_revision: str | None = "d3a8f6c2e1b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.add_column(
            sa.Column("support_kinds", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(
            sa.Column("support_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.drop_column("support_note")
        batch.drop_column("support_kinds")
