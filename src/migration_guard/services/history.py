"""History is immutable: a change must not edit or delete a migration the base already has.

A migration that merged may have run anywhere; editing it afterwards leaves databases that ran
the old text (Flyway's ``validate`` and Atlas' ``atlas.sum`` catch this; Alembic and sqitch do
not). ``check`` compares the chain at the merge base with this change, by file for Alembic and
by plan line and script for sqitch (a sqitch ``rework`` is the sanctioned way to change a
deployed change and is accepted).

An edit is accepted, and said so, when the chain's ``allow_edits`` lists it, when the pull
request carries the label ``ACCEPT_LABEL``, or when a commit of this change carries the trailer
``RECOVER_TRAILER`` and touched the file: ``recover --apply --branch`` must rename a merged file
to repair a merged collision, and it writes that trailer.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections import Counter
from collections.abc import Collection, Sequence
from typing import NamedTuple

from migration_guard import git
from migration_guard.chains import read_chain, registry
from migration_guard.model import ChainSpec
from migration_guard.tree import GitTree, Tree
from migration_guard.workspace import Workspace

ACCEPT_LABEL = "migration-guard/edit-history"
RECOVER_TRAILER = "Migration-Guard: recover"


class HistoryEdit(NamedTuple):
    chain: str
    name: str  # the migration (file stem, change name)
    path: str  # its file, or the plan
    what: str  # "modified", "deleted", "renamed to X", "plan line changed", ...
    accepted: str | None = None  # why it is fine, or None


def history_edits(
    workspace: Workspace,
    *,
    merge_base: str,
    head: str | None,
    head_tree: Tree,
    labels: Collection[str] = (),
) -> list[HistoryEdit]:
    """Every migration of the merge base that this change (``head``; None: the working tree,
    whose view is ``head_tree``) edits, deletes or renames, each with its acceptance."""
    before = GitTree(workspace.root, merge_base)
    recover_files = _recover_files(workspace, merge_base, head)
    edits: list[HistoryEdit] = []
    for spec in workspace.config.chains:
        if not before.exists(spec.path):
            continue
        if not registry.kind_of(spec.kind).shown_by_path:  # a plan lists the chain
            found = _sqitch_edits(workspace, spec, before, head_tree, merge_base, head)
        else:
            found = _file_edits(workspace, spec, before, merge_base, head)
        edits += [_accept(e, spec, labels, recover_files) for e in found]
    return edits


def _recover_files(workspace: Workspace, merge_base: str, head: str | None) -> set[str]:
    commits = git.commits_with_trailer(
        merge_base, head or "HEAD", RECOVER_TRAILER, cwd=workspace.root
    )
    return {path for files in commits.values() for path in files}


def _accept(
    edit: HistoryEdit, spec: ChainSpec, labels: Collection[str], recover_files: set[str]
) -> HistoryEdit:
    if any(
        fnmatch.fnmatchcase(edit.name, p) or fnmatch.fnmatchcase(edit.path, p)
        for p in spec.allow_edits
    ):
        return edit._replace(accepted=f"listed in allow_edits of chain {spec.name!r}")
    if ACCEPT_LABEL in labels:
        return edit._replace(accepted=f"the pull request has the label {ACCEPT_LABEL!r}")
    if edit.path in recover_files:
        return edit._replace(accepted="made by `migration-guard recover` (its commit trailer)")
    return edit


def _file_edits(
    workspace: Workspace, spec: ChainSpec, before: GitTree, merge_base: str, head: str | None
) -> list[HistoryEdit]:
    """Alembic-like chains: one file per migration."""
    old = {m.path: m.name for m in read_chain(before, spec).migrations}
    edits = []
    for change in git.diff_name_status(merge_base, head, cwd=workspace.root, paths=[spec.path]):
        source = (change.old_path or change.path) if change.status in "RC" else change.path
        if source not in old or change.status == "C":
            continue
        if change.status == "R":
            what = f"renamed to {change.path}"
        elif change.status == "D":
            what = "deleted"
        else:
            what = "modified"
        edits.append(HistoryEdit(spec.name, old[source], source, what))
    return edits


def _sqitch_edits(
    workspace: Workspace,
    spec: ChainSpec,
    before: GitTree,
    after: Tree,
    merge_base: str,
    head: str | None,
) -> list[HistoryEdit]:
    """sqitch: a change's plan line (its identity: name, dependencies, time, planner, note)
    and its scripts, unless the change is reworked by this change."""
    from migration_guard.chains.sqitch import reader as sqitch
    from migration_guard.chains.sqitch.plan import Plan, parse_plan

    def lines(plan: Plan) -> dict[str, str]:
        first: dict[str, str] = {}
        for change in plan.changes:
            first.setdefault(change.name, plan.lines[change.line - 1].text)
        return first

    old_plan = parse_plan(before.read_bytes(spec.path), spec.path)
    new_plan = (
        parse_plan(after.read_bytes(spec.path), spec.path) if after.exists(spec.path) else None
    )
    old_lines = lines(old_plan)
    new_lines = lines(new_plan) if new_plan is not None else {}
    edits = []
    for name, text in old_lines.items():
        if name not in new_lines:
            edits.append(HistoryEdit(spec.name, name, spec.path, "removed from the plan"))
        elif new_lines[name] != text:
            edits.append(HistoryEdit(spec.name, name, spec.path, "plan line changed"))
    old_count = Counter(c.name for c in old_plan.changes)
    new_count = Counter(c.name for c in (new_plan.changes if new_plan is not None else ()))
    reworked = {name for name, n in new_count.items() if n > old_count.get(name, n)}
    folders, extension = sqitch.script_folders(before, spec)
    for diff in git.diff_name_status(merge_base, head, cwd=workspace.root, paths=list(folders)):
        source = (diff.old_path or diff.path) if diff.status in "RC" else diff.path
        if diff.status in "AC" or not source.endswith(extension):
            continue
        folder = next((f for f in folders if source.startswith(f + "/")), None)
        if folder is None:
            continue
        name = source[len(folder) + 1 : -len(extension)]
        if "@" in posixpath.basename(name) or name not in old_lines or name in reworked:
            continue  # a rework's copy, not a change of the base, or a sanctioned rework
        what = {"D": "script deleted", "R": f"script renamed to {diff.path}"}.get(
            diff.status, "script modified"
        )
        edits.append(HistoryEdit(spec.name, name, source, what))
    return edits


def blocking(edits: Sequence[HistoryEdit]) -> list[HistoryEdit]:
    return [e for e in edits if e.accepted is None]
