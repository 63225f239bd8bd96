"""The gate's pure helpers: database URLs for Alembic and sqitch, and reading sqitch's output."""

from __future__ import annotations

import importlib.util
import os
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from migration_guard import __version__
from migration_guard.chains.sqitch.conf import SqitchConf
from migration_guard.databases.roundtrip import first_line
from migration_guard.databases.sqitch_gate import SqitchProject, failure
from migration_guard.databases.targets import (
    dialect_of,
    mask_url,
    normalize_url,
    postgres_driver,
    require_modules,
    sqitch_target,
    with_database,
    with_driver,
)
from migration_guard.errors import GuardError, UsageError
from migration_guard.project import REPOSITORY_URL


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql://u:p%40ss@db:5432/x?sslmode=require") == (
        "postgresql://u:***@db:5432/x?sslmode=require"
    )
    assert mask_url("postgresql://u@db/x") == "postgresql://u@db/x"
    assert mask_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_dialects() -> None:
    assert dialect_of("postgresql+psycopg2://h/db") == "postgresql"
    assert dialect_of("postgres://h/db") == "postgresql"
    assert dialect_of("sqlite:///x.db") == "sqlite"
    assert dialect_of("mysql+pymysql://h/db") == "mysql"


def test_sqitch_targets_from_sqlalchemy_urls() -> None:
    assert sqitch_target("postgresql+psycopg2://u:p%40ss@db:5432/shop") == (
        "db:pg://u@db:5432/shop",
        "p@ss",  # sqitch gets it in SQITCH_PASSWORD, never on the command line
    )
    assert sqitch_target("postgresql://db/shop") == ("db:pg://db/shop", None)
    assert sqitch_target("sqlite:////tmp/q/queue.db") == ("db:sqlite:/tmp/q/queue.db", None)
    assert sqitch_target("mysql://u@h/db") == (None, None)


def test_relative_sqlite_paths_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalize_url("sqlite:///gate.db") == f"sqlite:///{tmp_path}/gate.db"
    assert normalize_url("sqlite:////abs/gate.db?timeout=5") == "sqlite:////abs/gate.db?timeout=5"
    assert normalize_url("postgresql://h/db") == "postgresql://h/db"
    for url in ("sqlite://", "sqlite:///:memory:", "localhost:5432"):
        with pytest.raises(UsageError):
            normalize_url(url)


def _installed_driver() -> str:
    """Which driver is importable here, found without the function under test."""
    for module in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return module
    raise AssertionError("the test extra installs psycopg2: no PostgreSQL driver found")


def test_postgres_urls_name_the_installed_driver() -> None:
    driver = _installed_driver()
    assert postgres_driver() == driver
    assert with_driver("postgresql://h/db") == f"postgresql+{driver}://h/db"
    assert with_driver("postgres://h/db") == f"postgresql+{driver}://h/db"
    assert with_driver("postgresql+asyncpg://h/db") == "postgresql+asyncpg://h/db"
    assert with_driver("sqlite:////x.db") == "sqlite:////x.db"
    assert with_database("postgresql://u@h:1/postgres?x=1", "gate_a") == (
        "postgresql://u@h:1/gate_a?x=1"
    )


def test_missing_extra_names_the_install_command() -> None:
    with pytest.raises(GuardError) as info:
        require_modules("no_such_module_for_gate", why="the gate runs Alembic chains")
    assert info.value.exit_code == 2
    assert info.value.message.startswith(
        "the gate runs Alembic chains, and no_such_module_for_gate is not installed"
    )
    requirement = f"migration-guard[gate] @ git+{REPOSITORY_URL}@v{__version__}"
    assert info.value.hint == (
        f"pip install '{requirement}' into the environment the project's migrations run in"
    )


def test_sqitch_output_is_read_for_change_path_and_message() -> None:
    # What sqitch 1.3.1 prints when a verify script fails on PostgreSQL and the revert after it
    # fails too: the first failure is the one reported.
    stdout = (
        "Deploying changes to db:pg://postgres@127.0.0.1:5432/q\n"
        "  + 01-queue-schema ...... ok\n"
        "  + 05-job-attempts ...... not ok\n"
        "  - 03-job-status-index .. not ok\n"
    )
    stderr = (
        'psql:verify/05-job-attempts.sql:4: ERROR:  column "nonexistent" does not exist\n'
        "LINE 1: SELECT nonexistent FROM queue_jobs;\n"
        "               ^\n"
        'Verify script "verify/05-job-attempts.sql" failed.\n'
        "Reverting all changes\n"
        'psql:revert/03-job-status-index.sql:1: ERROR:  table "nope" does not exist\n'
        '"psql" unexpectedly returned exit value 3\n'
        "Deploy failed\n"
    )
    project = SqitchProject(
        folder="queue/sqitch", conf=SqitchConf("queue/sqitch/sqitch.conf"), plan_args=()
    )
    step = failure("deploy --verify", "deploy", stdout, stderr, Path(os.sep), project)
    assert (step.ok, step.revision, step.path, step.error) == (
        False,
        "05-job-attempts",
        "queue/sqitch/verify/05-job-attempts.sql",
        'verify failed: ERROR: column "nonexistent" does not exist',
    )
    # A failure without a script line: the path comes from the project's layout.
    step = failure(
        "revert",
        "revert",
        "  - 02-x .. not ok\n",
        'Error: near line 1: no such table: t\n"sqlite3" unexpectedly returned exit value 1\n',
        Path(os.sep),
        project,
    )
    assert (step.revision, step.path, step.error) == (
        "02-x",
        "queue/sqitch/revert/02-x.sql",
        "Error: near line 1: no such table: t",
    )


def test_first_line() -> None:
    assert first_line("\n\n  a   b \n c") == "a b"
    assert first_line("x" * 400, limit=10) == "x" * 9 + "…"
    assert first_line("") == ""


def _only_installed(monkeypatch: pytest.MonkeyPatch, *installed: str) -> None:
    """Make the PostgreSQL drivers not in ``installed`` look uninstalled (and those in it
    installed), whatever this environment has."""
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        if name in ("psycopg", "psycopg2"):
            return ModuleSpec(name, None) if name in installed else None
        return real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (("psycopg", "psycopg2"), "psycopg"),  # psycopg 3 first: SQLAlchemy 2.1's default
        (("psycopg2",), "psycopg2"),
        (("psycopg",), "psycopg"),
        ((), None),
    ],
)
def test_the_driver_is_psycopg_then_psycopg2_then_none(
    monkeypatch: pytest.MonkeyPatch, installed: tuple[str, ...], expected: str | None
) -> None:
    _only_installed(monkeypatch, *installed)
    assert postgres_driver() == expected
    if expected is None:  # no driver: the URL stays as given (SQLAlchemy then says why)
        assert with_driver("postgresql://h/db") == "postgresql://h/db"
    else:
        assert with_driver("postgresql://h/db") == f"postgresql+{expected}://h/db"
