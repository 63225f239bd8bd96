"""Which migrations ``renumber`` moves and to which numbers: the targets a user names (a
file, CHAIN:NUMBER, a migration's name) or this branch's new migrations, and the numbers
nobody holds (the base, open changes, this branch), as ``check`` would suggest them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_guard import git
from migration_guard.apply import refuse_links
from migration_guard.chains import read_chain, read_readable, readable, registry
from migration_guard.chains.kind import Move, shown
from migration_guard.errors import InputError, UndecidableError, UsageError
from migration_guard.model import ChainSpec, ChainState, Migration, NumberingMode
from migration_guard.numbering import Numbering, format_number, leading_number
from migration_guard.paths import classify, rules_for
from migration_guard.reservations import claims as reservation_claims
from migration_guard.reservations import slug_of
from migration_guard.services.reservations import DEFAULT_REMOTE
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits

_TARGET_NUMBER = re.compile(r"^([a-z0-9][a-z0-9_-]*):(\d+)$")


class ClaimedNumberError(InputError):
    """The requested number is already held by the base branch, an open PR or this branch."""


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
    pr_number: int | None = None  # this change's PR, when known: not one of the others


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


def claimed_numbers(
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
        exclude_number=options.pr_number or None,
        exclude_head=head,
        exclude_refs=[branch, f"origin/{branch}"] if branch else [],
        env=options.env,
        forge_limits=options.forge_limits,
        reservations_remote=DEFAULT_REMOTE,
    )
    if not sources.complete and not options.force:
        raise UndecidableError(
            "could not see every open change's files, so cannot tell which numbers are free: "
            + "; ".join(sources.problems),
            hint="retry, pass --provider none to ignore open PRs, or --force",
        )
    own = sources.own_change.number if sources.own_change is not None else None
    own = own or options.pr_number or None
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
    # Reservations count as check counts them: this branch's own (made from it, or for one
    # of its migrations' slugs) are not in the way, every other one is.
    slugs: dict[str, list[str]] = {}
    for migration in new:
        slugs.setdefault(migration.chain, []).append(slug_of(migration.name))
    others = [
        *ranked(workspace, sources, mine, base=base_commit),
        *reservation_claims(sources.reservations, branches=[branch] if branch else [], slugs=slugs),
    ]
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
