"""``migration-guard renumber``: the runbook's renumber procedure as one safe command.

Plan every edit first (pure planners per chain kind), show it, then apply it all-or-nothing
and validate the chain afterwards; a result that is worse than before is rolled back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from migration_guard import journal, signals
from migration_guard.apply import (
    ApplyError,
    Registry,
    apply_plan,
    execute,
    undo,
)
from migration_guard.chain_bounds import ChainBound
from migration_guard.chains import read_chain, registry
from migration_guard.chains.kind import (
    Capability,
    Move,
    RenumberContext,
    shown,
    shown_new,
    unsupported,
)
from migration_guard.edits import EditPlan, unified_diff
from migration_guard.errors import InputError, UsageError
from migration_guard.model import (
    ChainSpec,
    ChainState,
    Severity,
)
from migration_guard.report import finding_lines, heads_brief, state_line
from migration_guard.services.renumbering import (
    Options,
    branch_targets,
    choose_numbers,
    claimed_numbers,
    resolve_targets,
)
from migration_guard.tree import GitTree, Tree
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    pass


class ValidationError(InputError):
    """The renumbered chain is worse than before; everything was rolled back."""

    exit_code = 1


def run(
    *,
    workspace: Workspace,
    targets: Sequence[str],
    branch: bool,
    options: Options,
    output_format: str,
    out: TextIO,
    cwd: Path,
) -> int:
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
    remaining = [
        f"[{m.spec.name}] {m.new_number} is also claimed by {owner}"
        for m in moves
        if m.new_number.isdigit()
        and (owner := claims[m.spec.name].taken.get(int(m.new_number))) is not None
    ]
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
        _report(moves, plan, None, output_format, out, dry_run=True)
        return 0
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
    _report(moves, plan, after, output_format, out, dry_run=False, base=base, remaining=remaining)
    if remaining or any(not _clean(s) and not _undecided(s) for s in after.values()):
        return 1
    return 3 if any(_undecided(s) for s in after.values()) else 0


def _undecided(state: ChainState) -> bool:
    """No errors, but whether the heads are intentional branches cannot be told."""
    return state.ok and bool(state.undecided)


def _clean(state: ChainState) -> bool:
    """No errors and, in a graph, one head or intentional branches (``heads_ok``)."""
    return state.ok and (not _graph(state.spec) or state.heads_ok)


def _graph(spec: ChainSpec) -> bool:
    """Whether the chain's migrations form a graph with heads (Alembic, Django)."""
    return Capability.HEADS in registry.kind_of(spec.kind).capabilities


def _validation_tree(
    workspace: Workspace,
    specs: Mapping[str, ChainSpec],
    base_tree: Tree | None,
    plan: EditPlan,
) -> Tree:
    """Graph chains are checked as they will be once merged with the base."""
    folders = [p for s in specs.values() if _graph(s) for p in s.folders]
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
        _graph(before.spec) and len(after.heads) > max(1, len(before.heads)) and not after.branched
    )
    if worse:
        details = "\n".join(
            finding_lines([f for f in after.findings if f.severity is Severity.ERROR])
        )
        raise ValidationError(
            f"after renumbering, chain {after.spec.name!r} would have new problems; "
            f"nothing was changed:\n{details}"
        )


def _report(
    moves: Sequence[Move],
    plan: EditPlan,
    after: Mapping[str, ChainState] | None,
    output_format: str,
    out: TextIO,
    *,
    dry_run: bool,
    base: str | None = None,
    remaining: Sequence[str] = (),
) -> None:
    if output_format == "json":
        payload: dict[str, Any] = {
            "ok": not remaining and all(_clean(s) for s in (after or {}).values()),
            "collisions": list(remaining),
            "dry_run": dry_run,
            "moves": [
                {
                    "chain": m.spec.name,
                    "from": m.migration.number_text,
                    "to": m.new_number,
                    "name": m.migration.name,
                    "new_name": m.new_name,
                    "path": m.migration.path,
                    "new_path": m.new_path,
                }
                for m in moves
            ],
            "renames": [{"from": r.old_path, "to": r.new_path} for r in plan.renames],
            "edited": [e.path for e in plan.edits],
            "notes": list(plan.notes),
            "diff": unified_diff(plan),
        }
        if after is not None:
            payload["validation"] = {
                name: {"ok": s.ok, "heads": [h.revision for h in s.heads]}
                for name, s in after.items()
            }
        print(json.dumps(payload, indent=2), file=out)
        return
    lines = []
    for m in moves:
        kind = registry.kind_of(m.spec.kind)
        what, new = shown(kind, m.migration), shown_new(kind, m)
        lines.append(f"[{m.spec.name}] {_version(m)} -> {m.new_number}: {what} -> {new}")
    lines += [f"  {note}" for note in plan.notes]
    if dry_run:
        lines.append("")
        lines.append(unified_diff(plan).rstrip())
        lines.append("")
        lines.append("Dry run: nothing was changed.")
    else:
        lines.append(f"Changed {len(plan.edits)} file(s), renamed {len(plan.renames)}.")
        assert after is not None
        for state in after.values():
            lines.append(state_line(state))
            if _graph(state.spec):
                lines += [f"  {reason}" for reason in state.undecided]
            lines += finding_lines(state.findings)
        if any(not _clean(s) and not _undecided(s) for s in after.values()):
            lines.append(
                "The chain still has problems (it had them before this renumber, which added "
                "none): see `migration-guard recover` for a collision that already merged."
            )
            print("\n".join(lines), file=out)
            return
        if remaining:
            lines += [f"COLLISION {r} (forced)" for r in remaining]
        elif base is not None:
            lines.append(f"Collision check against {base} and open PRs: OK.")
        names = ", ".join(f"{m.spec.name} {_version(m)} to {m.new_number}" for m in moves)
        lines.append("Next: review `git diff`, then")
        lines.append(f'  git add -A && git commit -m "Renumber {names}" && git push')
        lines.append("  migration-guard check   # the collision guard should pass now")
    print("\n".join(lines), file=out)


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


# --- an interrupted run: --abort / --continue -------------------------------------------------


def resume(*, workspace: Workspace, action: str, out: TextIO) -> int:
    """``--abort``: undo everything a killed run applied (files, index, sqitch registry, a
    hotfix branch), newest first. ``--continue``: finish its remaining steps. Either way the
    journal is removed once done; if this run is stopped too, the journal stays."""
    record = journal.load(workspace.root, workspace.in_git)
    if record is None:
        where = journal.location(workspace.root, workspace.in_git)
        raise UsageError(
            f"no interrupted run to {action}: there is no journal in {where}",
            hint="--abort and --continue resolve a renumber or recover --apply that was killed",
        )
    described = record.describe()
    registry = _recorded_registry(workspace, record)
    if action == "abort":
        with signals.interruptible(), signals.deferred():
            problems = undo(record, workspace.root, registry)
            if not problems:
                record.remove()
        if problems:
            raise ApplyError(
                f"could not undo everything of {described}: " + "; ".join(problems),
                hint=f"the journal in {record.folder} is kept: fix what is named, then run "
                "`migration-guard renumber --abort` again",
            )
        print(f"Aborted {described}.", file=out)
        print("Every applied step was undone: files, git index and sqitch registry.", file=out)
        return 0
    left = len(record.steps) - record.applied
    with signals.interruptible():
        try:
            execute(
                record,
                workspace.root,
                registry=registry,
                validate=_recorded_validation(workspace, record),
            )
        except KeyboardInterrupt as exc:
            exc.add_note(
                "the journal keeps what is done: run `migration-guard renumber --continue` or "
                "`--abort`"
            )
            raise
        except ValidationError as exc:
            raise ValidationError(
                f"cannot finish {described}: {exc.message}",
                hint=f"the journal in {record.folder} is kept: undo the run with "
                "`migration-guard renumber --abort`",
            ) from exc
    record.remove()
    print(f"Continued {described}.", file=out)
    print(f"Finished the {left} remaining step(s).", file=out)
    return _report_touched(workspace, list(record.data["originals"]), out)


def _recorded_validation(workspace: Workspace, record: journal.Journal) -> Callable[[], None]:
    """The killed run's validation, repeated: each chain within the bound it recorded."""
    bounds = [ChainBound.from_json(b) for b in record.data.get("bounds", [])]
    specs = {spec.name: spec for spec in workspace.config.chains}

    def validate() -> None:
        for bound in bounds:
            spec = specs.get(bound.chain)
            if spec is None:
                raise ValidationError(f"chain {bound.chain!r} is no longer configured")
            state = read_chain(workspace.tree, spec)
            if bound.exceeded_by(state):
                details = "\n".join(
                    finding_lines([f for f in state.findings if f.severity is Severity.ERROR])
                )
                heads = f" ({heads_brief(state)})" if _graph(spec) else ""
                raise ValidationError(
                    f"chain {bound.chain!r} would be left with new problems{heads}"
                    + (f":\n{details}" if details else "")
                )

    return validate


def _recorded_registry(workspace: Workspace, record: journal.Journal) -> Registry | None:
    data = record.data.get("registry")
    if data is None:
        return None
    from migration_guard.chains.sqitch.conf import find_sqitch_conf
    from migration_guard.databases.sqitch_rename import from_record

    conf = find_sqitch_conf(workspace.tree, data["plan_path"])
    return from_record(data, conf, workspace.root)


def _report_touched(workspace: Workspace, touched: Sequence[str], out: TextIO) -> int:
    """The state of every chain the run touched, as a finished renumber reports it."""
    specs = [
        spec
        for spec in workspace.config.chains
        if any(
            p == f or p.startswith(f"{f}/")
            for p in touched
            for f in registry.kind_of(spec.kind).owned_folders(spec)
        )
    ]
    code = 0
    for spec in specs:
        state = read_chain(workspace.tree, spec)
        print(state_line(state), file=out)
        for line in finding_lines(state.findings):
            print(line, file=out)
        if not _clean(state):
            code = 1
    return code


def _version(move: Move) -> str:
    """What the migration is numbered now: its number, or (a timestamp, Flyway's 1.2.3) the
    version it is keyed by."""
    if move.migration.number_text or not move.new_number:
        return move.migration.number_text
    return move.migration.id
