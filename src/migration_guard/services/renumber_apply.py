"""The renumber procedure itself, shared by ``renumber`` and ``check --fix``: pick the moves
and their numbers, plan every edit (pure planners per chain kind), then apply it all or
nothing and validate the chain afterwards; a result that is worse than before is rolled back.
The commands only report (and ``check --fix`` commits and pushes)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from migration_guard import journal
from migration_guard.apply import Registry, apply_plan
from migration_guard.chain_bounds import ChainBound
from migration_guard.chains import read_chain, registry
from migration_guard.chains.kind import Capability, Move, RenumberContext, unsupported
from migration_guard.edits import EditPlan
from migration_guard.errors import InputError, UsageError
from migration_guard.model import ChainSpec, ChainState, Severity
from migration_guard.report import finding_lines
from migration_guard.services.renumbering import (
    Options,
    branch_targets,
    choose_numbers,
    claimed_numbers,
    resolve_targets,
)
from migration_guard.tree import GitTree, Tree
from migration_guard.workspace import Workspace


class ValidationError(InputError):
    """The renumbered chain is worse than before; everything was rolled back."""

    exit_code = 1


@dataclass(frozen=True)
class Renumbered:
    """What a renumber did (or, for a dry run, would do)."""

    moves: tuple[Move, ...]
    plan: EditPlan
    after: Mapping[str, ChainState] | None  # None for a dry run
    base: str | None  # the base branch the numbers were checked against
    remaining: tuple[str, ...]  # with --force: numbers still claimed by someone else

    @property
    def paths(self) -> list[str]:
        """Every file the plan wrote, renamed or removed (both sides of a rename)."""
        found = [e.path for e in self.plan.edits]
        found += [p for r in self.plan.renames for p in (r.old_path, r.new_path)]
        return list(dict.fromkeys(found))


def renumber(
    *,
    workspace: Workspace,
    targets: Sequence[str],
    branch: bool,
    options: Options,
    cwd: Path,
) -> Renumbered:
    """Renumber ``targets`` (or, with ``branch``, every migration this branch adds)."""
    if branch == bool(targets):
        raise UsageError("name the migration(s) to renumber, or pass --branch (not both)")
    journal.refuse_if_pending(workspace.root, workspace.in_git)
    from migration_guard.services.sources import resolve_base

    env = dict(options.env or os.environ)
    options = replace(options, env=env)
    base: str | None = None
    base_tree: GitTree | None = None
    if workspace.in_git:
        # The base says which numbers are taken and which head to put the migration on.
        base, _ = resolve_base(workspace, options.base_sha, env)
        base_tree = GitTree(workspace.root, base)
    elif branch or options.to == "next":
        raise UsageError("--branch and --to next need a git repository with a base branch")
    if branch:
        assert base is not None
        moves = branch_targets(workspace, base)
    else:
        moves = resolve_targets(workspace, targets, cwd)
    claims = claimed_numbers(workspace, moves, options, base)
    moves = choose_numbers(workspace, moves, options, claims)
    remaining = tuple(
        f"[{m.spec.name}] {m.new_number} is also claimed by {owner}"
        for m in moves
        if m.new_number.isdigit()
        and (owner := claims[m.spec.name].taken.get(int(m.new_number))) is not None
    )
    plan = EditPlan()
    specs: dict[str, ChainSpec] = {}
    context = RenumberContext(base_tree=base_tree, onto=options.down_revision)
    for spec_name in dict.fromkeys(m.spec.name for m in moves):
        chain_moves = [m for m in moves if m.spec.name == spec_name]
        spec = chain_moves[0].spec
        specs[spec_name] = spec
        kind = registry.kind_of(spec.kind)
        if Capability.RENUMBER not in kind.capabilities:
            raise unsupported(kind, "renumber", [spec_name])
        plan = plan.merged(kind.plan_renumber(workspace.tree, spec, chain_moves, context))
    if not plan.edits and not plan.renames:
        first = moves[0].migration
        raise UsageError(
            f"{first.name} already has number {moves[0].new_number or first.number_text} and "
            "sits where it should: nothing to change"
            if moves[0].new_number
            else f"{first.name} already sits on the head: nothing to change"
        )
    # A deployed migration is refused (or its registry surgery prepared) before anything, so a
    # dry run says so too.
    deployed = _deployed_procedure(workspace, specs, moves, options)
    if options.dry_run:
        return Renumbered(tuple(moves), plan, None, base, remaining)
    view = _validation_tree(workspace, specs, base_tree, plan)
    before = {name: read_chain(view, spec) for name, spec in specs.items()}
    after: dict[str, ChainState] = {}

    def validate() -> None:
        for name, spec in specs.items():
            after[name] = state = read_chain(view, spec)
            _compare(before[name], state)

    apply_plan(
        workspace.root,
        plan,
        in_git=workspace.in_git,
        force=options.force,
        after_apply=validate,
        registry=deployed,
        bounds=[ChainBound.no_worse_than(state) for state in before.values()],
    )
    return Renumbered(tuple(moves), plan, after, base, remaining)


def graph(spec: ChainSpec) -> bool:
    """Whether the chain's migrations form a graph with heads (Alembic, Django)."""
    return Capability.HEADS in registry.kind_of(spec.kind).capabilities


def undecided(state: ChainState) -> bool:
    """No errors, but whether the heads are intentional branches cannot be told."""
    return state.ok and bool(state.undecided)


def clean(state: ChainState) -> bool:
    """No errors and, in a graph, one head or intentional branches (``heads_ok``)."""
    return state.ok and (not graph(state.spec) or state.heads_ok)


def _validation_tree(
    workspace: Workspace,
    specs: Mapping[str, ChainSpec],
    base_tree: Tree | None,
    plan: EditPlan,
) -> Tree:
    """Graph chains are checked as they will be once merged with the base."""
    folders = [p for s in specs.values() if graph(s) for p in s.folders]
    if base_tree is None or not folders:
        return workspace.tree
    from migration_guard.merged_tree import MergedTree

    return MergedTree(
        workspace.tree, base_tree, folders=folders, hidden=[r.old_path for r in plan.renames]
    )


def _compare(before: ChainState, after: ChainState) -> None:
    def errors(state: ChainState) -> list[str]:
        return sorted(f.code for f in state.findings if f.severity is Severity.ERROR)

    # More heads than before is worse unless each ends a branch of its own.
    worse = len(errors(after)) > len(errors(before)) or (
        graph(before.spec) and len(after.heads) > max(1, len(before.heads)) and not after.branched
    )
    if worse:
        details = "\n".join(
            finding_lines([f for f in after.findings if f.severity is Severity.ERROR])
        )
        raise ValidationError(
            f"after renumbering, chain {after.spec.name!r} would have new problems; "
            f"nothing was changed:\n{details}"
        )


def _deployed_procedure(
    workspace: Workspace,
    specs: Mapping[str, ChainSpec],
    moves: Sequence[Move],
    options: Options,
) -> Registry | None:
    """Each kind's rule for deployed migrations (``--target``, ``--allow-deployed``): a
    refusal, or the registry steps that move the record of one chain along."""
    registries: list[Registry] = []
    for spec in specs.values():
        kind = registry.kind_of(spec.kind)
        if Capability.DEPLOYED not in kind.capabilities:
            if options.targets_uri:
                raise unsupported(kind, "renumber --target", [spec.name])
            continue
        found = kind.deployed_guard(
            workspace.root,
            workspace.tree,
            spec,
            [m for m in moves if m.spec.name == spec.name],
            targets=options.targets_uri,
            allow_deployed=options.allow_deployed,
        )
        if found is not None:
            registries.append(found)
    if len(registries) > 1:
        raise UsageError(
            "renumber one chain with deployed changes at a time",
            hint="run renumber once for each of them",
        )
    return registries[0] if registries else None
