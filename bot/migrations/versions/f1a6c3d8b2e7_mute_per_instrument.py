"""mute per instrument: the muted cycle moves from the person to their membership

Revision ID: f1a6c3d8b2e7
Revises: e4b2c9a7f13d
Create Date: 2026-12-07 18:00:00

A person with roles in several instruments gets one reminder naming each; muting the reminders
of one instrument's cycle must leave the others' on. `person.muted_cycle_id` held one cycle
for the person: it becomes `membership.muted_cycle_id`, kept in the membership of the muted
cycle's instrument, and the person's column goes (nothing may read both).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a6c3d8b2e7"
down_revision: str | None = "e4b2c9a7f13d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("membership", sa.Column("muted_cycle_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE membership SET muted_cycle_id = (SELECT p.muted_cycle_id FROM person p "
        "JOIN cycle c ON c.id = p.muted_cycle_id "
        "WHERE p.id = membership.person_id AND c.checklist_id = membership.checklist_id)"
    )
    # In place, not in batch mode (see e4b2c9a7f13d): the column is in no index or key.
    op.execute("ALTER TABLE person DROP COLUMN muted_cycle_id")


def downgrade() -> None:
    """Back to one muted cycle per person: the muted one of any of their memberships."""
    op.add_column("person", sa.Column("muted_cycle_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE person SET muted_cycle_id = (SELECT MAX(m.muted_cycle_id) FROM membership m "
        "WHERE m.person_id = person.id)"
    )
    op.execute("ALTER TABLE membership DROP COLUMN muted_cycle_id")
