"""The runbook's sample monorepo, built from code: Console and Raptor (Alembic), Queue (sqitch).

Used by ``migration-guard demo`` and by the tests, so both exercise the same realistic tree.
Migration scripts are real Alembic/sqitch scripts that run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONSOLE_VERSIONS = "console/migrations/versions"
RAPTOR_VERSIONS = "backend_v2/alembic/versions"
QUEUE_PLAN = "queue/migrations/sqitch/sqitch.plan"
CONSOLE_COUNT = 192
RAPTOR_COUNT = 57

CONFIG_TOML = f"""\
# migration-guard configuration: the three chains of the runbook.
[[chains]]
name = "console"
title = "Console"
kind = "alembic"
path = "{CONSOLE_VERSIONS}"
width = 4
alembic_config = "console/migrations/alembic.ini"

[[chains]]
name = "raptor"
title = "Raptor"
kind = "alembic"
path = "{RAPTOR_VERSIONS}"
width = 4
alembic_config = "backend_v2/alembic.ini"

[[chains]]
name = "queue"
title = "Queue"
kind = "sqitch"
path = "{QUEUE_PLAN}"
width = 2
"""

_WORDS = (
    "accounts",
    "invoices",
    "orders",
    "sessions",
    "audit_log",
    "feature_flags",
    "webhooks",
    "api_keys",
    "teams",
    "projects",
    "billing_plans",
    "usage_events",
    "notifications",
    "exports",
    "imports",
    "tags",
    "comments",
    "attachments",
    "roles",
    "permissions",
)
_ACTIONS = ("create", "add_index_to", "add_column_to", "backfill")

ALEMBIC_INI = """\
[alembic]
script_location = %(here)s/{script}
prepend_sys_path = .
path_separator = os
sqlalchemy.url = sqlite:///{db}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

ENV_PY = '''\
"""Alembic environment: the URL comes from DATABASE_URL when set, else alembic.ini."""

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
url = os.environ.get("DATABASE_URL")
if url:
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


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


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

SCRIPT_MAKO = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''


def slug_for(prefix: str, index: int) -> str:
    action = _ACTIONS[index % len(_ACTIONS)]
    word = _WORDS[(index * 7) % len(_WORDS)]
    return f"{action}_{prefix}_{word}"


def alembic_script(
    revision: str,
    down_revision: str | None,
    slug: str,
    *,
    table: str,
    old_style: bool = False,
    flag: str | None = None,
) -> str:
    """A revision script as Alembic's templates write it (old: ``Union[str, None]``)."""
    down_repr = repr(down_revision)
    annotation = "Union[str, None]" if old_style else "Union[str, Sequence[str], None]"
    typing_import = (
        "from typing import Union" if old_style else "from typing import Sequence, Union"
    )
    flag_block = ""
    upgrade = (
        f'    op.create_table(\n        "{table}",\n'
        '        sa.Column("id", sa.Integer(), primary_key=True),\n'
        '        sa.Column("name", sa.String(100), nullable=True),\n    )'
    )
    downgrade = f'    op.drop_table("{table}")'
    if flag is not None:
        flag_block = (
            f'\n_FLAG = "{flag}"\n'
            "_INSERT_SQL = (\n"
            f"    \"INSERT INTO {table} (id, name) VALUES (1, '{flag}')\"\n"
            ")\n"
        )
        upgrade += "\n    op.execute(_INSERT_SQL)"
    return (
        f'"""{slug.replace("_", " ")}\n\nRevision ID: {revision}\n'
        f'Revises: {down_revision or ""}\nCreate Date: 2026-06-01 12:00:00.000000\n\n"""\n'
        f"{typing_import}\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision: str = "{revision}"\n'
        f"down_revision: {annotation} = {down_repr.replace(chr(39), chr(34))}\n"
        f"branch_labels: {annotation} = None\n"
        f"depends_on: {annotation} = None\n"
        f"{flag_block}\n\n"
        f"def upgrade() -> None:\n{upgrade}\n\n\n"
        f"def downgrade() -> None:\n{downgrade}\n"
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_alembic_chain(root: Path, versions: str, count: int, prefix: str) -> None:
    folder = root / versions
    for n in range(1, count + 1):
        rev = f"{n:04d}"
        down = f"{n - 1:04d}" if n > 1 else None
        slug = slug_for(prefix, n)
        _write(
            folder / f"{rev}_{slug}.py",
            alembic_script(rev, down, slug, table=f"{prefix}_t{rev}", old_style=n < 100),
        )


@dataclass(frozen=True)
class SqitchChange:
    name: str
    table: str
    note: str
    requires: tuple[str, ...] = ()


QUEUE_CHANGES = (
    SqitchChange("01-queue-schema", "queue_meta", "Queue bookkeeping table"),
    SqitchChange("02-jobs-table", "queue_jobs", "Jobs"),
    SqitchChange(
        "03-job-status-index", "queue_job_status", "Job status lookup", ("02-jobs-table",)
    ),
    SqitchChange("04-workers-table", "queue_workers", "Workers"),
    SqitchChange("05-job-attempts", "queue_job_attempts", "Attempts per job", ("02-jobs-table",)),
    SqitchChange("06-dead-letter", "queue_dead_letter", "Dead letter queue"),
    SqitchChange("07-job-priority", "queue_job_priority", "Priorities"),
)


def plan_line(change: SqitchChange, when: str = "2026-06-01T00:00:00Z") -> str:
    deps = f" [{' '.join(change.requires)}]" if change.requires else ""
    return f"{change.name}{deps} {when} raxx-dev-bot <ops@raxx.app> # {change.note}\n"


def write_sqitch_change(sqitch_dir: Path, change: SqitchChange, project: str = "queue") -> None:
    t = change.table
    _write(
        sqitch_dir / "deploy" / f"{change.name}.sql",
        f"-- Deploy {project}:{change.name} to pg\n\nBEGIN;\n\n"
        f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, payload TEXT);\n\nCOMMIT;\n",
    )
    _write(
        sqitch_dir / "revert" / f"{change.name}.sql",
        f"-- Revert {project}:{change.name} from pg\n\nBEGIN;\n\nDROP TABLE {t};\n\nCOMMIT;\n",
    )
    _write(
        sqitch_dir / "verify" / f"{change.name}.sql",
        f"-- Verify {project}:{change.name} on pg\n\nSELECT id, payload FROM {t} WHERE 1 = 0;\n",
    )


def write_queue_chain(root: Path) -> None:
    sqitch_dir = (root / QUEUE_PLAN).parent
    _write(
        sqitch_dir / "sqitch.conf",
        "[core]\n\tengine = sqlite\n\tplan_file = sqitch.plan\n\ttop_dir = .\n",
    )
    plan = "%syntax-version=1.0.0\n%project=queue\n%uri=https://example.invalid/queue\n\n"
    plan += "".join(plan_line(c) for c in QUEUE_CHANGES)
    _write(root / QUEUE_PLAN, plan)
    for change in QUEUE_CHANGES:
        write_sqitch_change(sqitch_dir, change)


def write_sample_repo(root: Path) -> None:
    """Write the runbook's three chains and the configuration into ``root``."""
    _write(root / "migration-guard.toml", CONFIG_TOML)
    _write(root / "README.md", "# Sample monorepo\n\nBuilt by `migration-guard demo`.\n")
    _write(root / ".gitignore", "*.db\n__pycache__/\n")
    _write(root / "console/migrations/alembic.ini", ALEMBIC_INI.format(script=".", db="console.db"))
    _write(root / "console/migrations/env.py", ENV_PY)
    _write(root / "console/migrations/script.py.mako", SCRIPT_MAKO)
    write_alembic_chain(root, CONSOLE_VERSIONS, CONSOLE_COUNT, "console")
    _write(root / "backend_v2/alembic.ini", ALEMBIC_INI.format(script="alembic", db="raptor.db"))
    _write(root / "backend_v2/alembic/env.py", ENV_PY)
    _write(root / "backend_v2/alembic/script.py.mako", SCRIPT_MAKO)
    write_alembic_chain(root, RAPTOR_VERSIONS, RAPTOR_COUNT, "raptor")
    write_queue_chain(root)
