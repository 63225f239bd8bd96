"""Renumbering sqitch changes: the plan and script rewrite, and the deployed-state rule
(sqitch keys deployed changes by name and id: a deployed change is refused, or with
``--allow-deployed`` its registry rows are moved along, all-or-nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.chains.kind import Move, renamed
from migration_guard.chains.sqitch import reader as sqitch
from migration_guard.chains.sqitch.rewrite import SqitchRename, plan_sqitch_rename_in_tree
from migration_guard.edits import EditPlan
from migration_guard.errors import DeployedChangeError
from migration_guard.model import ChainSpec, Migration
from migration_guard.tree import Tree

if TYPE_CHECKING:
    from migration_guard.apply import Registry


def moved(spec: ChainSpec, migration: Migration, number: str) -> Move:
    """The change with the new number in its name (its scripts follow in the plan)."""
    if not number:
        return Move(spec, migration, "", migration.name, migration.path)
    new_name = renamed(migration.name, migration.number_text, number, "-")
    return Move(spec, migration, number, new_name, migration.path)


def plan_renumber(tree: Tree, spec: ChainSpec, moves: Sequence[Move]) -> EditPlan:
    """Rename the changes in the plan (and in every dependency on them) and their scripts."""
    return rename_plan(tree, spec, moves).edit_plan


def rename_plan(tree: Tree, spec: ChainSpec, moves: Sequence[Move]) -> SqitchRename:
    _, layout = sqitch.chain_layout(tree, spec)
    renames = {m.migration.name: m.new_name for m in moves}
    return plan_sqitch_rename_in_tree(tree, spec.path, layout, renames)


def database_targets(targets: Sequence[str]) -> list[str]:
    """``--target`` values meant for sqitch: target names and ``db:`` URIs, not the
    SQLAlchemy URLs that Alembic chains take."""
    return [t for t in targets if "://" not in t or t.startswith("db:")]


def deployed_procedure(
    root: Path,
    tree: Tree,
    spec: ChainSpec,
    moves: Sequence[Move],
    *,
    allow_deployed: bool,
    extra_targets: Sequence[str],
) -> Registry | None:
    """Refuse to rename a deployed sqitch change, or (``--allow-deployed``) prepare the
    registry surgery that records the rename on every target where it is deployed."""
    from migration_guard.chains.sqitch.plan import parse_plan
    from migration_guard.databases import sqitch_registry, sqitch_rename

    conf, _ = sqitch.chain_layout(tree, spec)
    conf_dir = root / (conf.folder if conf is not None else spec.path.rpartition("/")[0])
    targets = sqitch_registry.configured_targets(conf, database_targets(extra_targets))
    plan = parse_plan(tree.read_bytes(spec.path), spec.path)
    names = [m.migration.name for m in moves]
    hits = sqitch_registry.check_rename_safety(plan, names, targets, conf_dir=conf_dir)
    if not hits:
        return None
    if not allow_deployed:
        listed = "; ".join(f"{h.target}: {', '.join(h.deployed)}" for h in hits[:3])
        raise DeployedChangeError(
            f"{hits[0].change} is deployed (sqitch tracks deployed changes by name and id; "
            f"renaming it changes the id of it and every later change): {listed}",
            hint="rename it anyway with --allow-deployed, which records the rename in each "
            "target's registry (sqitch revert/deploy --log-only) and checks sqitch status; or "
            "leave it and renumber the other side of the collision",
        )
    rename = rename_plan(tree, spec, moves)
    return sqitch_rename.prepare(rename, targets, conf_dir=conf_dir, plan_file=root / spec.path)
