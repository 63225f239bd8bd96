"""Repairing a collision that reached the base in a sqitch plan (``recover``)."""

from __future__ import annotations

from pathlib import Path

from migration_guard import git
from migration_guard.chains.kind import moves_on_top
from migration_guard.chains.sqitch.plan import parse_plan
from migration_guard.chains.sqitch.renumber import moved, plan_renumber
from migration_guard.edits import EditPlan
from migration_guard.model import ChainSpec, ChainState
from migration_guard.recovery import Landing, Member, Repair, diagnose, pr_from_message
from migration_guard.tree import Tree


def plan_repair(tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str) -> Repair:
    """Who collides by number in the plan, whose plan line landed first, and the plan that
    renames the later side's changes to the next free numbers."""
    history = plan_line_landings(root, rev, spec.path, tree)
    members = [
        Member(m.name, m.number if m.number is not None else -1 - i, m.number_text)
        for i, m in enumerate(state.migrations)
    ]
    diagnosis = diagnose(spec.name, members, history, several_heads=False)
    if diagnosis.ok:
        return Repair(spec, state, diagnosis, history, (), None, EditPlan())
    by_name = {m.name: m for m in state.migrations}
    moves = moves_on_top(moved, spec, state, [by_name[key] for key in diagnosis.block])
    return Repair(spec, state, diagnosis, history, moves, None, plan_renumber(tree, spec, moves))


def plan_line_landings(root: Path, rev: str, plan_path: str, tree: Tree) -> dict[str, Landing]:
    """For each change of a sqitch plan: the first-parent commit that added its line."""
    line_commit, info = git.first_parent_blame(rev, plan_path, cwd=root)
    order = git.first_parent_order(rev, cwd=root)
    plan = parse_plan(tree.read_bytes(plan_path), plan_path)
    result: dict[str, Landing] = {}
    messages: dict[str, str] = {}
    for change in plan.changes:
        commit = line_commit.get(change.line)
        if commit is None or change.name in result:
            continue
        stamp, summary = info.get(commit, (0, ""))
        message = messages.setdefault(commit, git.commit_message(commit, cwd=root))
        result[change.name] = Landing(
            commit, stamp, summary, order.get(commit, 1 << 30), pr_from_message(message)
        )
    return result
