"""Numbered chains for tests: a folder of files in a temp dir, read by one numbered kind."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from migration_guard.chains.kind import Kind
from migration_guard.chains.registry import kind_of
from migration_guard.edits import EditPlan
from migration_guard.model import ChainKind, ChainSpec, ChainState
from migration_guard.tree import WorkTree

FOLDER = "db/migrations"
REAL_SHAPES = Path(__file__).resolve().parent.parent / "tests" / "data" / "real_shapes"

GOOSE_SQL = "-- +goose Up\ncreate table t (x int);\n\n-- +goose Down\ndrop table t;\n"


def dbmate_sql(table: str) -> str:
    return f"-- migrate:up\ncreate table {table} (x int);\n\n-- migrate:down\ndrop table {table};\n"


def write(root: Path, files: Mapping[str, str], folder: str = FOLDER) -> WorkTree:
    """``files`` (name -> text) in ``root/folder``; the working tree of ``root``."""
    (root / folder).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / folder / name).write_text(text)
    return WorkTree(root)


def spec(key: ChainKind, folder: str = FOLDER, pattern: str | None = None) -> ChainSpec:
    return ChainSpec(name="db", title="Db", kind=key, path=folder, pattern=pattern)


def read(
    root: Path,
    key: ChainKind,
    files: Mapping[str, str],
    *,
    pattern: str | None = None,
) -> ChainState:
    tree = write(root, files)
    return kind_of(key).read_chain(tree, spec(key, pattern=pattern))


def names(state: ChainState) -> list[str]:
    return [m.path.rsplit("/", 1)[1] for m in state.migrations]


def codes(state: ChainState) -> list[str]:
    return [f.code for f in state.findings]


def apply(root: Path, plan: EditPlan) -> None:
    """Carry out a rename-only plan (as apply.py would, without the journal)."""
    assert not plan.edits
    for rename in plan.renames:
        (root / rename.old_path).rename(root / rename.new_path)


def numbered_kind(key: ChainKind) -> Kind:
    return kind_of(key)
