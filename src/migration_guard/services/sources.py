"""Who claims what: the base branch, the other open changes, and this change's new migrations.

Shared by ``check``, ``next`` and ``renumber``: everything they compare against, read once.
Other changes are known by the paths they touch (``paths.classify``); where a chain's
collisions depend on what a file says (an Alembic revision's id and parent: forks), their new
files are read from the forge too. What could not be read makes the result incomplete when the
verdict depends on it (never "no collision" on a guess), or a warning when it does not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard import git
from migration_guard.chains import read_readable, registry
from migration_guard.chains.kind import Capability
from migration_guard.collisions import ChainFacts, Claim, ClaimSource
from migration_guard.errors import ForgeError, GitError
from migration_guard.forges.base import Forge, OpenChange, others
from migration_guard.model import ChainSpec, ChainState, Migration, NumberingMode
from migration_guard.numbering import Numbering
from migration_guard.paths import PathRule, classify, rules_for
from migration_guard.reservations import Reservation
from migration_guard.tree import GitTree, Tree, WorkTree
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits

_CLAIMING_STATUSES = {"added", "renamed", "copied", "unknown"}


@dataclass(frozen=True)
class Sources:
    """Everything ``check`` and ``next`` compare against, read once."""

    base: str
    base_ref: str
    provider: str
    provider_note: str
    base_states: Mapping[str, ChainState]
    claims: tuple[Claim, ...]
    changes_scanned: int
    complete: bool
    problems: tuple[str, ...]  # what makes the result incomplete
    requests: int
    forge: Forge | None
    warnings: tuple[str, ...] = ()  # worth saying, but no verdict depends on it
    own_change: OpenChange | None = None  # this branch's own PR, found in the listing
    reservations: tuple[Reservation, ...] = ()  # every live reservation on the remote
    reservations_from: str | None = None  # the remote they were read from (None: not read)

    @property
    def base_migrations(self) -> tuple[Migration, ...]:
        return tuple(m for state in self.base_states.values() for m in state.migrations)

    @property
    def chains(self) -> dict[str, ChainFacts]:
        return {name: facts_of(state) for name, state in self.base_states.items()}

    def chains_without(self, removed: set[tuple[str, str]]) -> dict[str, ChainFacts]:
        """The chains as the base will hold them once this change, which removes or renames
        ``removed`` ((path, name) pairs), has merged."""
        return {
            name: facts_of(
                state._replace(
                    migrations=tuple(m for m in state.migrations if (m.path, m.name) not in removed)
                )
            )
            for name, state in self.base_states.items()
        }


def facts_of(state: ChainState) -> ChainFacts:
    """What the collision core needs of a chain read from the base."""
    return ChainFacts(
        numbering=Numbering(state.numbering, state.width),
        forks=Capability.HEADS in registry.kind_of(state.spec.kind).capabilities,
        base=state.migrations,
    )


def resolve_base(
    workspace: Workspace, base_sha: str | None, env: Mapping[str, str]
) -> tuple[str, str]:
    """(base revision to read, base branch name for filtering open changes)."""
    from migration_guard.forges.context import detect_context

    context = detect_context(env)
    branch = context.base_ref if context is not None else None
    if base_sha is None:
        if context is not None and branch:
            remote_ref = f"origin/{branch}"
            has_remote = git.commit_exists(remote_ref, cwd=workspace.root)
            base_sha = remote_ref if has_remote else (context.base_sha or remote_ref)
        else:
            base_sha = workspace.config.base or "origin/main"
    if not branch:
        branch = base_sha.split("/", 1)[1] if base_sha.startswith("origin/") else None
    if not branch:
        configured = workspace.config.base or "origin/main"
        branch = configured.split("/", 1)[1] if "/" in configured else configured
    return base_sha, branch


def gather_sources(
    workspace: Workspace,
    *,
    base: str,
    base_ref: str,
    provider: str,
    open_prs: Path | None,
    exclude_number: int | None,
    exclude_head: str | None,
    exclude_refs: Sequence[str],
    env: Mapping[str, str],
    forge_limits: ForgeLimits | None = None,
    reservations_remote: str | None = None,
) -> Sources:
    """What every other claimant holds. Reservations are read from ``reservations_remote``
    when that remote exists (None, or ``--provider none``: not read); a remote that cannot be
    read makes the result incomplete."""
    from migration_guard.forges.context import select_forge

    base_tree = GitTree(workspace.root, base)
    specs = workspace.config.chains
    base_states = {s.name: read_readable(base_tree, s) for s in specs}
    if provider == "none":
        return Sources(
            base,
            base_ref,
            "none",
            "--provider none: base branch only",
            base_states,
            (),
            0,
            True,
            (),
            0,
            None,
        )
    selection = select_forge(
        provider, open_prs_file=open_prs, repo_root=workspace.root, env=env, limits=forge_limits
    )
    forge = selection.forge
    listing = forge.open_changes(base_ref)
    changes = others(
        listing.changes, number=exclude_number, head_sha=exclude_head, refs=exclude_refs
    )
    own = _own_change(listing.changes, changes, exclude_number, exclude_head)
    numbering = {name: Numbering(s.numbering, s.width) for name, s in base_states.items()}
    rules = rules_for(base_tree, specs, numbering)
    reader = _ClaimReader(specs, base_states, rules, forge)
    claims = reader.claims(changes)
    reservations, remote, problem = _reservations(workspace, reservations_remote)
    return Sources(
        base=base,
        base_ref=base_ref,
        provider=forge.name,
        provider_note=selection.reason,
        base_states=base_states,
        claims=tuple(claims),
        changes_scanned=len(changes),
        complete=listing.complete and not reader.problems and problem is None,
        problems=(*listing.problems, *reader.problems, *([problem] if problem else [])),
        requests=listing.requests,
        forge=forge,
        warnings=tuple(reader.warnings),
        own_change=own,
        reservations=tuple(reservations),
        reservations_from=remote,
    )


def all_claims(
    workspace: Workspace,
    *,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    env: Mapping[str, str],
    forge_limits: ForgeLimits | None = None,
    reservations_remote: str | None = None,
) -> Sources:
    """Every claim on the chains' numbers, nobody's excluded: the base branch, every open
    change (and the live reservations, from ``reservations_remote``). What ``next`` and
    ``reserve`` pick free numbers from."""
    base, base_ref = resolve_base(workspace, base_sha, env)
    return gather_sources(
        workspace,
        base=base,
        base_ref=base_ref,
        provider=provider,
        open_prs=open_prs,
        exclude_number=None,
        exclude_head=None,
        exclude_refs=(),
        env=env,
        forge_limits=forge_limits,
        reservations_remote=reservations_remote,
    )


def _reservations(
    workspace: Workspace, remote: str | None
) -> tuple[list[Reservation], str | None, str | None]:
    """(reservations, the remote read, the problem that kept them from being read)."""
    from migration_guard.services import reservations

    if remote is None or not reservations.available(workspace.root, remote):
        return [], None, None
    try:
        return reservations.read(workspace.root, remote), remote, None
    except GitError as exc:
        return [], remote, f"could not read the reservations on {remote}: {exc.message}"


def _own_change(
    every: Sequence[OpenChange],
    rest: Sequence[OpenChange],
    number: int | None,
    head: str | None,
) -> OpenChange | None:
    """The change the caller excluded as its own: its PR number ranks its claims."""
    kept = {id(c) for c in rest}
    mine = [c for c in every if id(c) not in kept]
    for change in mine:
        if number is not None and change.number == number:
            return change
    for change in mine:
        if head is not None and change.head_sha == head:
            return change
    return mine[0] if mine else None


class _ClaimReader:
    """Turns other changes' file lists (and, where needed, contents) into claims."""

    def __init__(
        self,
        specs: Sequence[ChainSpec],
        base_states: Mapping[str, ChainState],
        rules: Sequence[PathRule],
        forge: Forge,
    ) -> None:
        self.specs = {s.name: s for s in specs}
        self.base_states = base_states
        self.rules = rules
        self.forge = forge
        self.base_names = {(m.chain, m.name) for s in base_states.values() for m in s.migrations}
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def claims(self, changes: Sequence[OpenChange]) -> list[Claim]:
        found: dict[tuple[str, str, str], Claim] = {}
        graph_files: dict[int, list[tuple[Migration, OpenChange]]] = {}
        for change in changes:
            for changed in change.files:
                if changed.status not in _CLAIMING_STATUSES:
                    continue
                migration = classify(changed.path, self.rules)
                if migration is None or (migration.chain, migration.name) in self.base_names:
                    continue
                key = (migration.chain, migration.name, change.ref)
                if key in found:
                    continue
                found[key] = _claim(migration, change)
                kind = registry.kind_of(self.specs[migration.chain].kind)
                if Capability.HEADS in kind.capabilities:
                    graph_files.setdefault(id(change), []).append((migration, change))
        self._read_graph_files(list(graph_files.values()), found)
        self._read_plans(changes, found)
        return list(found.values())

    def _read_graph_files(
        self,
        groups: Sequence[Sequence[tuple[Migration, OpenChange]]],
        found: dict[tuple[str, str, str], Claim],
    ) -> None:
        """Read other changes' new migration files in graph chains (one batched request
        where the provider allows): their ids and parents say whether they fork with this
        change. Chains that are not ``sequential`` depend on it; in the others a fork between
        open changes is only a note, left out when the files cannot be read."""
        if not groups:
            return
        decisive = [
            (m, change)
            for group in groups
            for m, change in group
            if self.base_states[m.chain].numbering is not NumberingMode.SEQUENTIAL
        ]
        try:
            if not self.forge.supports_read_files:
                raise ForgeError(f"{self.forge.name} cannot show file contents")
            contents = self.forge.read_files_batch(
                [(group[0][1], [m.path for m, _ in group]) for group in groups]
            )
        except ForgeError as exc:
            for label in dict.fromkeys(change.label for _, change in decisive):
                self.problems.append(
                    f"could not read {label}'s new migration file(s) ({exc}), so cannot tell "
                    "whether they build on the same parent as this change"
                )
            return
        for group, files in zip(groups, contents, strict=True):
            for migration, change in group:
                data = files.get(migration.path)
                if data is None:
                    continue
                kind = registry.kind_of(self.specs[migration.chain].kind)
                refined = kind.refine_claim(migration, data)
                key = (migration.chain, migration.name, change.ref)
                if not isinstance(refined, str):
                    found[key] = _claim(refined, change)
                elif (migration, change) in decisive:
                    self.problems.append(
                        f"{change.label}: {migration.path} cannot be read statically "
                        f"({refined}), so cannot tell what it builds on"
                    )

    def _read_plans(
        self, changes: Sequence[OpenChange], found: dict[tuple[str, str, str], Claim]
    ) -> None:
        """Other changes' version of each plan (a chain that is one file listing its
        migrations, as a sqitch plan): the migrations they add, with numbers."""
        plan_specs = [s for s in self.specs.values() if not registry.kind_of(s.kind).shown_by_path]
        if not plan_specs or not self.forge.supports_read_files:
            return

        requests = []
        for change in changes:
            touched = {f.path for f in change.files}
            plans = [s for s in plan_specs if s.path in touched]
            if plans:
                requests.append((change, plans))
        if not requests:
            return
        try:
            contents = self.forge.read_files_batch(
                [(change, [s.path for s in plans]) for change, plans in requests]
            )
        except ForgeError as exc:
            labels = ", ".join(change.label for change, _ in requests)
            self.problems.append(f"could not read the plan of {labels}: {exc}")
            return
        for (change, plans), files in zip(requests, contents, strict=True):
            for spec in plans:
                data = files.get(spec.path)
                if data is None:
                    continue
                state = self.base_states[spec.name]
                numbering = Numbering(state.numbering, state.width)
                listed, unread = registry.kind_of(spec.kind).listed_migrations(
                    spec, data, numbering
                )
                if unread:
                    self.problems.append(
                        f"could not read chain {spec.name} in {change.label}: {'; '.join(unread)}"
                    )
                for migration in listed:
                    if (spec.name, migration.name) in self.base_names:
                        continue
                    key = (spec.name, migration.name, change.ref)
                    previous = found.get(key)
                    if previous is None or not previous.id:
                        found[key] = _claim(migration, change)


def _claim(migration: Migration, change: OpenChange) -> Claim:
    return Claim.of(
        migration,
        ClaimSource.PR,
        pr=change.number,
        ref=change.ref,
        rank=change.number,
        fingerprint=fingerprint(migration),
    )


def fingerprint(migration: Migration) -> str:
    """What tells two migrations with one name apart: their id and parents (empty when
    only the path is known)."""
    if not migration.id:
        return ""
    return "\0".join((migration.id, *migration.parents))


def ranked(
    workspace: Workspace,
    sources: Sources,
    mine: Sequence[Claim],
    *,
    base: str,
) -> list[Claim]:
    """``sources.claims`` with ranks for branch claims (no PR number) that tie with another
    claim, this change's included: when their branch first added the migration. Asked of
    git only for those (one process each): ties are rare, branches many."""
    claims = list(sources.claims)
    unranked = {c for c in claims if c.rank is None and c.source is ClaimSource.PR}
    if not unranked:
        return claims
    contested = _contested_keys([*claims, *mine])
    ranked_claims = []
    for claim in claims:
        # The git provider's refs name the branch tips.
        if claim in unranked and claim.ref and _keys(claim) & contested:
            added = git.first_added(claim.ref, base, claim.path, cwd=workspace.root)
            claim = replace(claim, rank=added)
        ranked_claims.append(claim)
    return ranked_claims


def _keys(claim: Claim) -> set[tuple[str, str, str]]:
    keys = {(claim.chain, "parent", p) for p in claim.parents}
    if claim.number is not None:
        keys.add((claim.chain, "number", str(claim.number)))
    if claim.id:
        keys.add((claim.chain, "id", claim.id))
    return keys


def _contested_keys(claims: Sequence[Claim]) -> set[tuple[str, str, str]]:
    """Numbers, ids and parents held by two or more claims."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for claim in claims:
        counts.update(_keys(claim))
    return {key for key, count in counts.items() if count > 1}


# --- this change ------------------------------------------------------------------------------


def new_migrations(
    workspace: Workspace, *, merge_base: str, head: str, tree: Tree | None = None
) -> list[Migration]:
    """Migrations in ``head`` (or ``tree``, e.g. the working tree) that ``merge_base`` does
    not have (added or renamed)."""
    return changed_migrations(workspace, merge_base=merge_base, head=head, tree=tree)[0]


def changed_migrations(
    workspace: Workspace,
    *,
    merge_base: str,
    head: str,
    tree: Tree | None = None,
    chains: Collection[str] | None = None,
) -> tuple[list[Migration], set[tuple[str, str]]]:
    """(new migrations, (path, name) of the merge base's migrations this change removes or
    renames away): once merged, the base no longer holds the latter. Of every chain, or of
    those named in ``chains``."""
    before_tree = GitTree(workspace.root, merge_base)
    after_tree = tree if tree is not None else GitTree(workspace.root, head)
    found: list[Migration] = []
    removed: set[tuple[str, str]] = set()
    for spec in workspace.config.chains:
        if chains is not None and spec.name not in chains:
            continue
        if not any(after_tree.exists(p) for p in spec.folders):
            continue
        before = (
            {(m.path, m.name) for m in read_readable(before_tree, spec).migrations}
            if any(before_tree.exists(p) for p in spec.folders)
            else set()
        )
        if not after_tree.exists(spec.path):
            removed |= before
            continue
        after = read_readable(after_tree, spec).migrations
        found += [m for m in after if (m.path, m.name) not in before]
        removed |= before - {(m.path, m.name) for m in after}
    return found, removed


def self_claims(
    workspace: Workspace,
    new: Sequence[Migration],
    *,
    pr: int | None,
    head: str,
    base: str,
    rank_by_time: bool,
    uncommitted: Sequence[str] = (),
) -> list[Claim]:
    """This change's new migrations as claims. Ranked by the PR number; with the ``git``
    provider (``rank_by_time``), by when this branch first added each migration (an
    uncommitted one ranks last)."""
    dirty = set(uncommitted)
    claims = []
    for migration in new:
        rank: int | None = pr
        is_dirty = migration.path in dirty
        if rank_by_time and not is_dirty:
            rank = git.first_added(head, base, migration.path, cwd=workspace.root)
        claims.append(
            Claim.of(
                migration,
                ClaimSource.SELF,
                pr=pr,
                rank=None if is_dirty else rank,
                fingerprint=fingerprint(migration),
                uncommitted=is_dirty,
            )
        )
    return claims


def local_tree(workspace: Workspace) -> tuple[Tree, list[str]]:
    """The working tree and the chain files in it that differ from HEAD (staged, unstaged
    or untracked): a local ``check`` sees what is about to be committed."""
    folders = sorted({p for s in workspace.config.chains for p in s.folders})
    dirty = git.dirty_paths(workspace.root, folders) if folders else []
    return WorkTree(workspace.root), dirty
