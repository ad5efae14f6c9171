"""handled update: the ids of Telegram updates whose effect is committed (each update once)

Revision ID: c5e2a7d9f1b3
Revises: b7c41e9a2d05
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models

revision: str = "c5e2a7d9f1b3"
down_revision: str | None = "b7c41e9a2d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handled_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
    )
    with op.batch_alter_table("handled_update") as batch:
        batch.create_index(batch.f("ix_handled_update_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handled_update") as batch:
        batch.drop_index(batch.f("ix_handled_update_at"))
    op.drop_table("handled_update")
