"""memberships per instrument: a person's role and national lead flag belong to one instrument

Revision ID: e4b2c9a7f13d
Revises: e4b9c1d7a2f6
Create Date: 2026-12-07 17:00:00

Audit entries name their instrument (`audit_entry.checklist_id`; none for the entries before).

Before this, `person.role` and `person.is_national_lead` held one role for the one checklist.
Now a person may hold a role in several instruments (`membership`, one row per person and
instrument). Every existing person gets the membership they had, in `asean-norms` (the only
instrument there was), and the two columns go: nothing may read both. Invites name the
instrument they admit to (`asean-norms` for every existing one), and a person remembers the
instrument they last chose (`current_checklist_id`, none yet).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "e4b2c9a7f13d"
down_revision: str | None = "e4b9c1d7a2f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NORMS = "asean-norms"


def upgrade() -> None:
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("is_national_lead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "checklist_id"),
    )
    with op.batch_alter_table("membership") as batch:
        batch.create_index(batch.f("ix_membership_person_id"), ["person_id"], unique=False)
        batch.create_index(batch.f("ix_membership_checklist_id"), ["checklist_id"], unique=False)
    op.execute(
        sa.text(
            "INSERT INTO membership (person_id, checklist_id, role, is_national_lead) "
            "SELECT id, :norms, role, is_national_lead FROM person ORDER BY id"
        ).bindparams(norms=NORMS)
    )
    # In place, not in batch mode: SQLite's batch mode copies the table, and `person` is
    # referenced by most others (its DROP fails with foreign keys on). SQLite drops a column
    # that is in no index or key itself since 3.35; the index on `role` goes first.
    op.drop_index("ix_person_role", table_name="person")
    op.execute("ALTER TABLE person DROP COLUMN role")
    op.execute("ALTER TABLE person DROP COLUMN is_national_lead")
    op.add_column(
        "person",
        sa.Column(
            "current_checklist_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
    )
    op.add_column(
        "invite",
        sa.Column(
            "checklist_id",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default=NORMS,
        ),
    )
    # The instrument an audited act belongs to: None for the entries before (the norms').
    op.add_column(
        "audit_entry",
        sa.Column("checklist_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.create_index("ix_audit_entry_checklist_id", "audit_entry", ["checklist_id"], unique=False)


def downgrade() -> None:
    """Back to one role per person: their norms membership (a focal point without one)."""
    op.drop_index("ix_audit_entry_checklist_id", table_name="audit_entry")
    op.execute("ALTER TABLE audit_entry DROP COLUMN checklist_id")
    op.execute("ALTER TABLE invite DROP COLUMN checklist_id")
    op.execute("ALTER TABLE person DROP COLUMN current_checklist_id")
    op.add_column(
        "person",
        sa.Column(
            "role",
            sqlmodel.sql.sqltypes.AutoString(),
            nullable=False,
            server_default="focal_point",
        ),
    )
    op.add_column(
        "person",
        sa.Column("is_national_lead", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        sa.text(
            "UPDATE person SET "
            "role = COALESCE((SELECT m.role FROM membership m WHERE m.person_id = person.id "
            "AND m.checklist_id = :norms), 'focal_point'), "
            "is_national_lead = COALESCE((SELECT m.is_national_lead FROM membership m "
            "WHERE m.person_id = person.id AND m.checklist_id = :norms), false)"
        ).bindparams(norms=NORMS)
    )
    op.create_index("ix_person_role", "person", ["role"], unique=False)
    op.drop_table("membership")
