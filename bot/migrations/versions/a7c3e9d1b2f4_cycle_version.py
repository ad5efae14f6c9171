"""cycle version: the counter a cycle's buttons carry (stale and repeated taps change nothing)

Revision ID: a7c3e9d1b2f4
Revises: 7c1e9a4b2d30
Create Date: 2026-12-07 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e9d1b2f4"
down_revision: str | None = "7c1e9a4b2d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server_default fills the rows of an existing database; batch mode for SQLite.
    with op.batch_alter_table("cycle") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("cycle") as batch:
        batch.drop_column("version")
