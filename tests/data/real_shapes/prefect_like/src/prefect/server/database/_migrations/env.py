"""Alembic environment: the versions folder is chosen per dialect at run time."""

import os
from pathlib import Path

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""
dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
context.script.version_locations = [str(Path(__file__).parent / "versions" / dialect)]
config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
