"""``migration-guard renumber``: the runbook's renumber procedure as one safe command.

Plan every edit first (pure planners per chain kind), show it, then apply it all-or-nothing
and validate the chain afterwards; a result that is worse than before is rolled back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from migration_guard import git, journal, signals
from migration_guard.apply import (
    ApplyError,
    Registry,
    apply_plan,
    execute,
    refuse_links,
    undo,
)
from migration_guard.chain_bounds import ChainBound
from migration_guard.chains import read_chain, read_readable, readable, registry
from migration_guard.chains.kind import (
    Capability,
    Move,
    RenumberContext,
    shown,
    shown_new,
    unsupported,
)
from migration_guard.edits import EditPlan, unified_diff
from migration_guard.errors import InputError, UndecidableError, UsageError
from migration_guard.model import (
    ChainSpec,
    ChainState,
    Migration,
    NumberingMode,
    Severity,
)
from migration_guard.numbering import Numbering, format_number, leading_number
from migration_guard.paths import classify, rules_for
from migration_guard.report import finding_lines, heads_brief, state_line
from migration_guard.tree import GitTree, Tree
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits

_TARGET_NUMBER = re.compile(r"^([a-z0-9][a-z0-9_-]*):(\d+)$")
_ID_NUMBER = re.compile(r"[0-9]+(?![0-9A-Za-z])")


class ClaimedNumberError(InputError):
    """The requested number is already held by the base branch, an open PR or this branch."""


class ValidationError(InputError):
    """The renumbered chain is worse than before; everything was rolled back."""

    exit_code = 1


@dataclass(frozen=True)
class Options:
    to: str
    base_sha: str | None
    provider: str
    open_prs: Path | None
    down_revision: str | None
    dry_run: bool
    force: bool
    allow_deployed: bool
    targets_uri: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    forge_limits: ForgeLimits | None = None


# --- what to move -----------------------------------------------------------------------------


def resolve_targets(workspace: Workspace, targets: Sequence[str], cwd: Path) -> list[Move]:
    """TARGET: a migration file, ``CHAIN:NUMBER``, or a sqitch change name."""
    tree = workspace.tree
    specs = workspace.config.chains
    states = {spec.name: read_chain(tree, spec) for spec in specs}
    found: list[Move] = []
    for target in targets:
        try:
            move = _resolve_one(workspace, target, cwd, states)
        except (InputError, UsageError):
            # Not found: it may be one of the migrations an unreadable chain hides.
            match = _TARGET_NUMBER.match(target)
            named = match.group(1) if match and match.group(1) in states else None
            for state in states.values():
                if named is None or state.spec.name == named:
                    readable(state, tree.label)
            raise
        found.append(move)
    for move in found:
        readable(states[move.spec.name], tree.label)
    keys = [(m.spec.name, m.migration.name) for m in found]
    if len(set(keys)) != len(keys):
        raise UsageError("the same migration is named twice")
    return found


def _placeholder(spec: ChainSpec, migration: Migration) -> Move:
    return Move(spec, migration, "", "", "")


def _resolve_one(
    workspace: Workspace, target: str, cwd: Path, states: Mapping[str, ChainState]
) -> Move:
    specs = {s.name: s for s in workspace.config.chains}
    match = _TARGET_NUMBER.match(target)
    if match and match.group(1) in specs:
        spec = specs[match.group(1)]
        number = int(match.group(2))
        hits = [m for m in states[spec.name].migrations if m.number == number]
        if not hits:
            raise InputError(f"chain {spec.name!r} has no migration numbered {match.group(2)}")
        if len(hits) > 1:
            listed = ", ".join(shown(registry.kind_of(spec.kind), m) for m in hits)
            raise UsageError(
                f"{target} is ambiguous: {listed}", hint="name the file or change instead"
            )
        return _placeholder(spec, hits[0])
    named = [  # a migration's name: a sqitch change, a golang-migrate up/down pair...
        (spec, migration)
        for spec in workspace.config.chains
        for migration in states[spec.name].migrations
        if migration.name == target
    ]
    if len(named) == 1:
        return _placeholder(*named[0])
    given = cwd / target  # (an absolute target stays absolute)
    if given.is_symlink():  # the path form resolves links: name this one before it does
        folder = workspace.relpath(str(given.parent), cwd)
        refuse_links(workspace.root, [f"{folder}/{given.name}" if folder else given.name])
    rel = workspace.relpath(target, cwd)
    classified = classify(rel, rules_for(workspace.tree, workspace.config.chains))
    if classified is None:
        raise UsageError(
            f"{target} is not a migration of any configured chain",
            hint="name a migration file, CHAIN:NUMBER (e.g. console:0145) or a sqitch change",
        )
    spec = specs[classified.chain]
    for migration in states[spec.name].migrations:
        if migration.path == rel or (
            not registry.kind_of(spec.kind).shown_by_path and migration.name == classified.name
        ):
            return _placeholder(spec, migration)
    raise InputError(f"{target} is not part of chain {spec.name!r} in the working tree")


def branch_targets(workspace: Workspace, base: str) -> list[Move]:
    """Every migration this branch adds (HEAD against its merge base with ``base``)."""
    from migration_guard.services.sources import new_migrations

    head = git.resolve_commit("HEAD", cwd=workspace.root)
    merge_base = git.merge_base(
        git.resolve_commit(base, cwd=workspace.root), head, cwd=workspace.root
    )
    new = new_migrations(workspace, merge_base=merge_base, head=head)
    if not new:
        raise InputError(f"this branch adds no migrations compared with {base}")
    specs = {s.name: s for s in workspace.config.chains}
    chains = {m.chain for m in new}
    current = {
        s.name: read_readable(workspace.tree, s)
        for s in workspace.config.chains
        if s.name in chains
    }
    moves = []
    for migration in new:
        live = [
            m
            for m in current[migration.chain].migrations
            if (m.path, m.name) == (migration.path, migration.name)
        ]
        if not live:
            raise InputError(
                f"{migration.path} ({migration.name}) is not in the working tree",
                hint="commit or restore it first",
            )
        moves.append(_placeholder(specs[migration.chain], live[0]))
    return moves


# --- which numbers ----------------------------------------------------------------------------


def make_move(spec: ChainSpec, migration: Migration, number: str) -> Move:
    """``migration`` with the new number (its kind names the files)."""
    return registry.kind_of(spec.kind).moved(spec, migration, number)


@dataclass(frozen=True)
class ChainClaims:
    """Which numbers of one chain are taken (number -> who holds it), the highest on the base
    and in the tree, and where ``check`` sends every migration that must give up its number
    (so that ``--to next`` agrees with check's fix lines)."""

    numbering: Numbering
    taken: dict[int, str]
    highest: int
    assigned: Mapping[tuple[str, str], int] = field(default_factory=dict)
    own: frozenset[tuple[str, str]] = frozenset()  # this branch's new migrations


Claims = dict[str, ChainClaims]


def choose_numbers(
    workspace: Workspace, moves: Sequence[Move], options: Options, claims: Claims
) -> list[Move]:
    """Give every move its new number: ``--to N`` (a block takes N, N+1, ...) or ``next``.
    In a chain without numbers, ``--to next`` keeps the name: the move only re-parents."""
    by_chain: dict[str, list[Move]] = {}
    for move in moves:
        by_chain.setdefault(move.spec.name, []).append(move)
    if options.to != "next" and len(by_chain) > 1:
        raise UsageError("--to N needs migrations of one chain; use --to next for several chains")
    result: list[Move] = []
    for chain, chain_moves in by_chain.items():
        spec = chain_moves[0].spec
        chain_claims = claims[chain]
        numbering = chain_claims.numbering
        if numbering.mode is not NumberingMode.SEQUENTIAL:
            versions = registry.kind_of(spec.kind).new_versions(
                read_readable(workspace.tree, spec), len(chain_moves), options.to
            )
            if versions is not None:  # (its own versions: timestamps, Flyway's 1.2.3)
                ordered = sorted(chain_moves, key=lambda m: m.migration.path)
                result += [
                    make_move(spec, m.migration, v) for m, v in zip(ordered, versions, strict=True)
                ]
                continue
            if options.to != "next":
                raise UsageError(
                    f"chain {chain!r} has no numbers (numbering: {numbering.mode.value}), so "
                    f"--to {options.to} means nothing there",
                    hint="--to next re-parents the migration onto the base branch's head and "
                    "keeps its name and id",
                )
            result += [make_move(spec, m.migration, "") for m in chain_moves]
            continue
        ordered = sorted(chain_moves, key=lambda m: (m.migration.number or 0, m.migration.path))
        taken = chain_claims.taken
        width = numbering.width
        if options.to == "next":
            start = _next_start(ordered, chain_claims)
        else:
            parsed = leading_number(options.to)
            if parsed is None or parsed[1] != options.to:
                raise UsageError(f"--to takes a number or 'next', not {options.to!r}")
            start = parsed[0]
            _check_width(spec.name, start, len(ordered), width, taken)
            clash = [n for n in range(start, start + len(ordered)) if n in taken]
            if clash and not options.force:
                owner = taken[clash[0]]
                raise ClaimedNumberError(
                    f"{spec.name} {format_number(clash[0], width)} is already claimed by {owner}",
                    hint="use --to next for the next free number(s), or --force",
                )
        for offset, move in enumerate(ordered):
            result.append(make_move(spec, move.migration, format_number(start + offset, width)))
    return result


def _check_width(chain: str, start: int, count: int, width: int, taken: Mapping[int, Any]) -> None:
    """A number wider than the chain's numbers is refused: sorted by name it lands in the
    wrong place, and from two digits more on it no longer reads as a number at all (the
    migration would drop out of every numbering check). One digit more is how a chain grows
    past its last number (9999 -> 10000), so it is accepted once the narrow ones run out."""
    last = start + count - 1
    digits = len(str(last))
    if digits <= width:
        return
    outgrown = max(taken, default=0) + count >= 10**width
    if digits == width + 1 and outgrown:
        return
    raise UsageError(
        f"--to {start} does not fit chain {chain!r}: its numbers have {width} digit(s), "
        f"and {last} has {digits}",
        hint=f"pick a number of at most {width} digits, or --to next",
    )


def _next_start(ordered: Sequence[Move], claims: ChainClaims) -> int:
    """The first of the free numbers the block moves to: where ``check`` sends a single
    migration, else the first run of free numbers that nobody else is sent to either."""
    moving = {(m.migration.chain, m.migration.name or m.migration.path) for m in ordered}
    # Where this branch's other migrations would go is its own business: moving one of
    # them may be what settles their collision.
    others = {
        n for key, n in claims.assigned.items() if key not in moving and key not in claims.own
    }
    own = [claims.assigned.get(key) for key in moving]
    if len(ordered) == 1 and own[0] is not None and own[0] not in claims.taken:
        return own[0]
    start = claims.highest + 1
    while any(n in claims.taken or n in others for n in range(start, start + len(ordered))):
        start += 1
    return start


def _claimed_numbers(
    workspace: Workspace, moves: Sequence[Move], options: Options, base: str | None
) -> Claims:
    """Per chain: number -> who holds it (base, open PRs, the rest of this tree), the
    highest number on the base and in the working tree, and check's pending moves."""
    from migration_guard.collisions import ChainFacts

    moving = {(m.spec.name, m.migration.name) for m in moves}
    chains = {m.spec.name: m.spec for m in moves}
    result: Claims = {}
    for name, spec in chains.items():
        state = read_readable(workspace.tree, spec)
        numbering = Numbering(state.numbering, state.width)
        tree_facts = ChainFacts(numbering, forks=False)
        taken = {
            number: f"this tree ({_where(m)})"
            for m in state.migrations
            if (name, m.name) not in moving and (number := tree_facts.number_of(m)) is not None
        }
        result[name] = ChainClaims(numbering, taken, max(taken, default=0))
    if base is None:
        return result
    from migration_guard.collisions import numbered, pending_moves
    from migration_guard.services.sources import (
        changed_migrations,
        gather_sources,
        local_tree,
        ranked,
        self_claims,
    )

    branch = git.current_branch(cwd=workspace.root)
    head = git.resolve_commit("HEAD", cwd=workspace.root)
    sources = gather_sources(
        workspace,
        base=base,
        base_ref=base.split("/", 1)[1] if base.startswith("origin/") else base,
        provider=options.provider,
        open_prs=options.open_prs,
        exclude_number=None,
        exclude_head=head,
        exclude_refs=[branch, f"origin/{branch}"] if branch else [],
        env=options.env,
        forge_limits=options.forge_limits,
    )
    if not sources.complete and not options.force:
        raise UndecidableError(
            "could not see every open change's files, so cannot tell which numbers are free: "
            + "; ".join(sources.problems),
            hint="retry, pass --provider none to ignore open PRs, or --force",
        )
    own = sources.own_change.number if sources.own_change is not None else None
    base_commit = git.resolve_commit(base, cwd=workspace.root)
    # Every migration this branch adds, not only the ones moving: check ranks and assigns
    # them all, so its fix lines and --to next agree only from the same claims.
    tree, dirty = local_tree(workspace)
    merge_base = git.merge_base(base_commit, head, cwd=workspace.root)
    new = changed_migrations(
        workspace, merge_base=merge_base, head=head, tree=tree, chains=set(chains)
    )[0]
    kept = {(m.chain, m.name) for m in new}
    new = [m for m in new if m.chain in chains]
    new += [m.migration for m in moves if (m.migration.chain, m.migration.name) not in kept]
    mine = self_claims(
        workspace,
        new,
        pr=own,
        head=head,
        base=base_commit,
        rank_by_time=own is None and sources.provider == "git",
        uncommitted=dirty,
    )
    others = ranked(workspace, sources, mine, base=base_commit)
    for chain, chain_claims in result.items():
        taken = chain_claims.taken
        highest = chain_claims.highest
        facts = sources.chains[chain]
        for migration in sources.base_migrations:
            if migration.chain != chain or (chain, migration.name) in moving:
                continue
            if (number := facts.number_of(migration)) is not None:
                taken.setdefault(number, f"base branch ({_where(migration)})")
                highest = max(highest, number)
        for claim in others:
            claim = numbered(claim, facts)
            if claim.chain == chain and claim.number is not None:
                taken.setdefault(claim.number, claim.describe())
        assigned = pending_moves(chain, sources.chains[chain], [*others, *mine])
        own_keys = frozenset(c.identity for c in mine)
        result[chain] = ChainClaims(chain_claims.numbering, taken, highest, assigned, own_keys)
    return result


def _where(migration: Migration) -> str:
    return migration.name if migration.path.endswith(".plan") else migration.path


# --- planning per chain kind ------------------------------------------------------------------


# --- the command ------------------------------------------------------------------------------


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
    claims = _claimed_numbers(workspace, moves, options, base)
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
