"""first cycle's title per reader

The cycle the bot opens on its first start used to be stored with the English title
"First reporting cycle", which every reader then saw in English. It now has no title of its
own (an empty one, which a coordinator cannot type), and the views show the default name in
each reader's language (`bot.views.common.cycle_title`). This turns the stored English default
of an existing database's first cycle into that empty title; a title a deployment chose
(NORMSBOT_FIRST_CYCLE_TITLE) or a coordinator typed stays as it is.

Revision ID: b7c41e9a2d05
Revises: b7c1d2e3f4a5
Create Date: 2026-12-07 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c41e9a2d05"
down_revision: str | None = "b7c1d2e3f4a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_DEFAULT = "First reporting cycle"


def upgrade() -> None:
    # Only the first cycle is the bot's own: it is the one ensure_first_cycle created.
    op.execute(
        sa.text(
            "UPDATE cycle SET title = '' WHERE title = :old "
            "AND id = (SELECT MIN(id) FROM cycle)"
        ).bindparams(old=OLD_DEFAULT)
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE cycle SET title = :old WHERE title = ''").bindparams(old=OLD_DEFAULT))
