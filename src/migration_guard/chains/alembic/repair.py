"""Repairing a collision that reached the base in an Alembic chain (``recover``)."""

from __future__ import annotations

from pathlib import Path

from migration_guard.chains.alembic import reader as alembic
from migration_guard.chains.alembic.graph import BranchMap
from migration_guard.chains.alembic.renumber import moved, plan_renumber, surviving_heads
from migration_guard.chains.alembic.script import ScriptInfo
from migration_guard.chains.kind import RenumberContext, moves_on_top
from migration_guard.edits import EditPlan
from migration_guard.errors import InputError
from migration_guard.model import ChainSpec, ChainState, Severity
from migration_guard.recovery import Member, Repair, diagnose
from migration_guard.services.landings import file_landings
from migration_guard.tree import Tree


def plan_repair(tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str) -> Repair:
    """Who collides (by number, id, or as siblings where the heads are), who landed first,
    and the plan that moves the later block on top of the head the chain keeps."""
    history = file_landings(root, rev, list(spec.folders))
    parsed = alembic.read_scripts(tree, spec)
    scripts = [s for s in parsed if isinstance(s, ScriptInfo)]
    numbered = {m.path: m for m in state.migrations if m.number is not None}
    branches = BranchMap(scripts)
    members = []
    for index, script in enumerate(parsed):
        known = numbered.get(script.path)
        number = known.number if known and known.number is not None else -1 - index
        text = known.number_text if known else ""  # unnumbered: -1 - index, never equal
        if isinstance(script, ScriptInfo):
            links: tuple[tuple[str, ...], tuple[str, ...] | None] = (
                script.down_revisions,
                branches.of(script),
            )
        else:
            links = ((), None)  # unknown links: never anyone's sibling
        members.append(Member(script.path, number, text, script.revision or None, *links))
    # Siblings collide only where the heads do (MG102): intentional branches never do.
    several = any(f.code == "MG102" for f in state.findings)
    diagnosis = diagnose(spec.name, members, history, several_heads=several)
    blockers = tuple(
        f
        for f in state.findings
        if f.code in alembic.HEAD_BREAKING and f.severity is Severity.ERROR
    )
    if diagnosis.ok or blockers:
        return Repair(spec, state, diagnosis, history, (), None, EditPlan(), blockers)
    block = set(diagnosis.block)
    ids = {s.revision for s in scripts if s.path in block}
    roots = [s for s in scripts if s.path in block and not ids.intersection(s.down_revisions)]
    heads = surviving_heads(scripts, block, roots)
    if len(heads) != 1:
        raise InputError(
            f"chain {spec.name!r}: without the migrations to move it still has "
            f"{len(heads)} heads ({', '.join(heads)}); this needs a person",
            hint="see `migration-guard heads`; renumber by hand with migration-guard renumber",
        )
    by_path = {m.path: m for m in state.migrations}
    moves = moves_on_top(moved, spec, state, [by_path[key] for key in diagnosis.block])
    context = RenumberContext(base_tree=None, onto=heads[0], follow_new_files=False)
    plan = plan_renumber(tree, spec, moves, context)
    return Repair(spec, state, diagnosis, history, moves, heads[0], plan)
