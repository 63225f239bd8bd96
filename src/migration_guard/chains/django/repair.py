"""Repairing a collision that reached the base in a Django app (``recover``): two
migrations with one number, or two leaves on one parent; the side that landed later moves
to the next free number, re-parented onto the leaf that stays."""

from __future__ import annotations

from pathlib import Path

from migration_guard.chains.django.rewrite import plan_renumber
from migration_guard.chains.kind import Move, moves_on_top
from migration_guard.edits import EditPlan
from migration_guard.model import ChainSpec, ChainState, Migration
from migration_guard.recovery import Member, Repair, diagnose
from migration_guard.services.landings import file_landings
from migration_guard.tree import Tree

SEVERAL_LEAVES = "MG301"


def moved(spec: ChainSpec, migration: Migration, number: str) -> Move:
    """The migration file with the new number (the slug kept); an unnumbered one gets one."""
    from migration_guard.chains.django.reader import number_prefix

    if not number:
        return Move(spec, migration, "", migration.name, migration.path)
    folder, _, file_name = migration.path.rpartition("/")
    stem = file_name.removesuffix(".py")
    prefix = number_prefix(stem)
    new_name = number + (stem[len(prefix) :] if prefix is not None else "_" + stem)
    return Move(
        spec, migration, number, new_name, f"{folder}/{new_name}.py" if folder else new_name + ".py"
    )


def plan_repair(tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str) -> Repair:
    history = file_landings(root, rev, [spec.path])
    members = [
        Member(m.path, m.number if m.number is not None else -1 - i, m.number_text, m.id, m.parents)
        for i, m in enumerate(state.migrations)
    ]
    several = any(f.code == SEVERAL_LEAVES for f in state.findings)
    diagnosis = diagnose(spec.name, members, history, several_heads=several)
    if diagnosis.ok:
        return Repair(spec, state, diagnosis, history, (), None, EditPlan())
    by_path = {m.path: m for m in state.migrations}
    moves = moves_on_top(moved, spec, state, [by_path[key] for key in diagnosis.block])
    return Repair(spec, state, diagnosis, history, moves, None, plan_renumber(tree, spec, moves))
