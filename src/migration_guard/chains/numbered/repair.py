"""Repairing a collision that reached the base in a folder of numbered files (``recover``):
two files with one version; the one that landed later moves to the next free number."""

from __future__ import annotations

from pathlib import Path

from migration_guard.chains.kind import Move, moves_on_top
from migration_guard.chains.numbered import rename
from migration_guard.chains.numbered.presets import Preset
from migration_guard.edits import EditPlan
from migration_guard.model import ChainSpec, ChainState, Migration, NumberingMode, Severity
from migration_guard.recovery import Member, Repair, diagnose
from migration_guard.services.landings import file_landings
from migration_guard.tree import Tree


def plan_repair(
    tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str, preset: Preset
) -> Repair:
    history = file_landings(root, rev, [spec.path])
    members = [
        # (the version as the framework keys it: Flyway's V1 and V1.0 are one version)
        Member(m.path, m.number if m.number is not None else -1 - i, m.number_text, m.id or None)
        for i, m in enumerate(state.migrations)
    ]
    diagnosis = diagnose(spec.name, members, history, several_heads=False)
    if diagnosis.ok:
        return Repair(spec, state, diagnosis, history, (), None, EditPlan())
    by_path = {m.path: m for m in state.migrations}
    movers = [by_path[key] for key in diagnosis.block]
    if state.numbering is NumberingMode.NONE:  # (Flyway's dotted versions: no next one)
        blockers = tuple(f for f in state.findings if f.severity is Severity.ERROR)
        return Repair(spec, state, diagnosis, history, (), None, EditPlan(), blockers)
    if state.numbering is NumberingMode.DATE:
        versions = rename.new_versions(state, len(movers), "next")
        moves: tuple[Move, ...] = tuple(
            rename.moved(spec, m, v, preset) for m, v in zip(movers, versions, strict=True)
        )
    else:

        def moved(spec: ChainSpec, migration: Migration, number: str) -> Move:
            return rename.moved(spec, migration, number, preset)

        moves = moves_on_top(moved, spec, state, movers)
    plan = rename.plan_renumber(tree, spec, moves, preset)
    return Repair(spec, state, diagnosis, history, moves, None, plan)
