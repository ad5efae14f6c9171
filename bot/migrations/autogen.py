"""Developer tool: write a new migration from the difference between the models and `head`.

    python -m bot.migrations.autogen "what changed"

It upgrades a throwaway SQLite database to `head`, then lets Alembic compare it with the
models. Review the generated file before committing it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.db import MIGRATIONS_DIR, Database


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'autogen.db'}")
        db.migrate()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with db.engine.connect() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True)
        db.dispose()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "change")
