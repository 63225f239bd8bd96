"""Collision logic: this change's new migrations against every other claim. Pure.

A *claim* is a migration somebody holds in a chain: the base branch, another open change, a
reservation, or this change itself. Two claims collide when both merging would break the
chain (design.md, "collision"):

- **number**: two migrations with one sequence number (``sequential`` chains only);
- **id**: two migrations with one id (an Alembic revision, a sqitch change name);
- **fork**: two migrations built on one parent, so two heads once both merge (chain kinds
  whose migrations name their parents, such as Alembic; a sqitch plan is one line).

Who keeps a contested number or parent (the *owner*): the base branch, else a reservation,
else the claim that came first (lowest PR number; for branches, the earliest commit that added
the migration). Every other claimant must move. Those that must move to a new number get the
next free numbers in that same order, so that following each fix line never collides again:
every change computes the same assignment from the same claims.

Forks between two open changes of a ``sequential`` chain are notes, not failures: their
numbers already order them, and the later one re-parents once the earlier has merged (then
it is a fork with the base branch, which always fails). In ``date`` and ``none`` chains the
fork is the collision, so the later claimant fails until it re-parents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import PurePosixPath

from migration_guard.model import Migration, NumberingMode
from migration_guard.numbering import NextNumbers, Numbering, format_number, next_free


class ClaimSource(StrEnum):
    PR = "pr"
    BASE = "base"
    SELF = "self"
    RESERVATION = "reservation"


class CollisionKind(StrEnum):
    NUMBER = "number"
    ID = "id"
    FORK = "fork"


def where(path: str, name: str) -> str:
    """How to point at a migration: its file, or for a sqitch change its plan and name."""
    if not name or PurePosixPath(path).stem == name:
        return path
    return f"{path}: {name}"


def target(path: str, name: str) -> str:
    """What to hand to ``renumber``: the file, or the sqitch change's name."""
    return path if PurePosixPath(path).stem == name or not name else name


# Base claims are merged: nothing outranks them. Then reservations, then ranked changes.
_PRIORITY = {
    ClaimSource.BASE: 0,
    ClaimSource.RESERVATION: 1,
    ClaimSource.PR: 2,
    ClaimSource.SELF: 2,
}
_LAST = 1 << 62


@dataclass(frozen=True)
class Claim:
    """One migration held by someone. ``id``/``parents`` are empty when only the path is known
    (another change's file whose content was not read). ``rank`` orders claimants: the PR
    number, or when a branch added the migration (None: last, e.g. an unsaved local change).
    ``fingerprint`` tells two different migrations with one name apart (their content: an
    Alembic revision and parents, a sqitch plan line); empty when unknown."""

    chain: str
    number: int | None
    path: str
    source: ClaimSource
    pr: int | None = None
    ref: str | None = None  # branch name (git provider), or the reservation's ref
    name: str = ""  # file stem (Alembic) or change name (sqitch)
    number_text: str = ""
    id: str = ""
    parents: tuple[str, ...] = ()
    rank: int | None = None
    fingerprint: str = ""
    uncommitted: bool = False
    detail: str = ""  # a reservation: who reserved it, from which branch, when

    @classmethod
    def of(
        cls,
        migration: Migration,
        source: ClaimSource,
        *,
        pr: int | None = None,
        ref: str | None = None,
        rank: int | None = None,
        fingerprint: str = "",
        uncommitted: bool = False,
    ) -> Claim:
        return cls(
            migration.chain,
            migration.number,
            migration.path,
            source,
            pr=pr,
            ref=ref,
            name=migration.name,
            number_text=migration.number_text,
            id=migration.id,
            parents=migration.parents,
            rank=rank,
            fingerprint=fingerprint,
            uncommitted=uncommitted,
        )

    @property
    def identity(self) -> tuple[str, str]:
        return (self.chain, self.name or self.path)

    def same_migration(self, other: Claim) -> bool:
        """The same migration carried twice (a stacked PR holding the same commit), not a
        rival: same name (sqitch changes share their plan's path) and, where both are known,
        the same content."""
        if self.identity != other.identity:
            return False
        return (
            not self.fingerprint or not other.fingerprint or self.fingerprint == other.fingerprint
        )

    def describe(self) -> str:
        if self.source is ClaimSource.PR:
            who = f"PR #{self.pr}" if self.pr is not None else f"branch {self.ref}"
        elif self.source is ClaimSource.BASE:
            who = "base branch"
        elif self.source is ClaimSource.SELF:
            who = "this PR (uncommitted)" if self.uncommitted else "this PR"
        elif self.detail:
            return f"reservation {self.number_text or self.number} ({self.detail})"
        else:
            who = f"reservation {self.ref}" if self.ref else "reservation"
        return f"{who} ({where(self.path, self.name)})"

    @property
    def who(self) -> str:
        """The claimant alone: ``PR #12``, ``branch origin/x``, ``the base branch``."""
        return self.describe().rsplit(" (", 1)[0]


@dataclass(frozen=True)
class ChainFacts:
    """What the core needs to know of one chain: its numbering on the base branch, whether two
    children of one parent break it (a capability of its kind), and the base's migrations."""

    numbering: Numbering
    forks: bool
    base: tuple[Migration, ...] = ()

    @property
    def highest(self) -> int:
        return max((n for m in self.base if (n := self.number_of(m)) is not None), default=0)

    def number_of(self, migration: Migration) -> int | None:
        """The number ``migration`` holds: its file's, else the one its id claims."""
        if migration.number is not None or self.numbering.mode is not NumberingMode.SEQUENTIAL:
            return migration.number
        found = self.numbering.id_number(migration.id)
        return found[0] if found is not None else None


@dataclass(frozen=True)
class Collision:
    """One of this change's migrations against its rivals. ``owner`` keeps the contested
    number, id or parent (None: this change does). ``blocking``: this change must act."""

    kind: CollisionKind
    migration: Claim
    rivals: tuple[Claim, ...]
    owner: Claim | None
    next_available: str | None = None  # NUMBER: the number this migration moves to
    parent: str | None = None  # FORK: the shared parent
    blocking: bool = True

    @property
    def claimed_by(self) -> tuple[Claim, ...]:
        return self.rivals

    @property
    def with_base(self) -> bool:
        return self.owner is not None and self.owner.source is ClaimSource.BASE


@dataclass(frozen=True)
class Outcome:
    new: tuple[Claim, ...]
    collisions: tuple[Collision, ...]  # blocking: this change must act
    notes: tuple[Collision, ...] = ()  # this change keeps it, or a fork resolved at merge time
    next_by_chain: Mapping[str, NextNumbers] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.collisions

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"[{chain}] {n.warning}" for chain, n in self.next_by_chain.items() if n.warning
        )


def base_claims(chain: str, facts: ChainFacts) -> list[Claim]:
    return [numbered(Claim.of(m, ClaimSource.BASE), facts) for m in facts.base if m.chain == chain]


def numbered(claim: Claim, facts: ChainFacts) -> Claim:
    """``claim`` holding the number its id claims when its file name has none (a
    ``sequential`` chain's ``add_x.py`` with ``revision = "0193"`` holds 0193: another 0193
    breaks the chain as surely as a second ``0193_x.py``)."""
    if claim.number is not None or facts.numbering.mode is not NumberingMode.SEQUENTIAL:
        return claim
    found = facts.numbering.id_number(claim.id)
    if found is None:
        return claim
    return replace(claim, number=found[0], number_text=found[1])


def _order(claim: Claim) -> tuple[int, int, int, str]:
    rank = claim.rank if claim.rank is not None else _LAST
    return (_PRIORITY[claim.source], rank, claim.number or 0, claim.name or claim.path)


def _distinct(claims: Iterable[Claim]) -> list[Claim]:
    """One claim per migration: a migration carried by several changes counts once, held by
    the one that ranks first."""
    kept: list[Claim] = []
    for claim in sorted(claims, key=_order):
        if not any(claim.same_migration(k) for k in kept):
            kept.append(claim)
    return kept


def _number(claim: Claim) -> int | None:
    return claim.number


def _id(claim: Claim) -> str:
    return claim.id


def _groups(
    claims: Sequence[Claim], key_of: Callable[[Claim], int | str | None]
) -> list[list[Claim]]:
    """Groups of two or more distinct migrations sharing a number or an id, owner first."""
    by_key: dict[object, list[Claim]] = defaultdict(list)
    for claim in claims:
        key = key_of(claim)
        if key is not None and key != "":
            by_key[key].append(claim)
    groups = []
    for members in by_key.values():
        distinct = _distinct(members)
        if len(distinct) > 1:
            groups.append(distinct)
    return groups


def pending_moves(
    chain: str, facts: ChainFacts, claims: Sequence[Claim], reserved: Iterable[int] = ()
) -> dict[tuple[str, str], int]:
    """Where every claim that must give up its number goes: identity -> new number.

    Displaced claims take the free numbers above the base's highest in claim order (rank,
    then number), skipping every number anyone holds or is assigned. Pure and deterministic:
    each open change computes the same assignment.
    """
    if facts.numbering.mode is not NumberingMode.SEQUENTIAL:
        return {}
    every = [*base_claims(chain, facts), *[numbered(c, facts) for c in claims if c.chain == chain]]
    displaced: list[Claim] = []
    for group in _groups(every, _number):
        displaced += group[1:]
    taken = {c.number for c in every if c.number is not None} | set(reserved)
    moves: dict[tuple[str, str], int] = {}
    candidate = facts.highest + 1
    for claim in sorted(displaced, key=_order):
        if claim.identity in moves:
            continue
        while candidate in taken:
            candidate += 1
        moves[claim.identity] = candidate
        taken.add(candidate)
    return moves


def free_numbers(
    chain: str,
    facts: ChainFacts,
    claims: Sequence[Claim],
    *,
    count: int = 1,
    reserved: Iterable[int] = (),
) -> NextNumbers:
    """The next ``count`` numbers of ``chain`` above the base's highest that nobody holds,
    reserves, or is about to move to (``pending_moves``)."""
    moves = pending_moves(chain, facts, claims, reserved)
    mine = [numbered(c, facts) for c in claims if c.chain == chain]
    taken = {c.number for c in mine if c.number is not None}  # the base's are all <= highest
    taken |= set(moves.values()) | set(reserved)
    return next_free(facts.highest, taken, width=facts.numbering.width, count=count)


def detect(
    new: Sequence[Claim],
    chains: Mapping[str, ChainFacts],
    others: Sequence[Claim],
    *,
    reserved: Mapping[str, Iterable[int]] | None = None,
) -> Outcome:
    """Every collision of this change's ``new`` claims (source SELF) with the base branch,
    the ``others`` and each other."""
    new = [numbered(c, chains[c.chain]) for c in new]
    others = [numbered(c, chains[c.chain]) if c.chain in chains else c for c in others]
    ordered = tuple(sorted(new, key=lambda c: (c.chain, c.number or 0, c.path, c.name)))
    reserved = reserved or {}
    collisions: list[Collision] = []
    notes: list[Collision] = []
    next_by_chain: dict[str, NextNumbers] = {}
    for chain in dict.fromkeys(c.chain for c in ordered):
        facts = chains[chain]
        mine = [c for c in ordered if c.chain == chain]
        theirs = [c for c in others if c.chain == chain]
        every = [*base_claims(chain, facts), *theirs, *mine]
        moves = pending_moves(chain, facts, [*theirs, *mine], reserved.get(chain, ()))
        width = facts.numbering.width
        found: list[Collision] = []
        contested: set[tuple[tuple[str, str], tuple[str, str]]] = set()
        if facts.numbering.mode is NumberingMode.SEQUENTIAL:
            for group in _groups(every, _number):
                found += _contest(CollisionKind.NUMBER, group, mine, moves, width, contested)
        for group in _groups(every, _id):
            found += _contest(CollisionKind.ID, group, mine, moves, width, contested)
        if facts.forks:
            found += [
                f
                for f in _forks(mine, theirs, facts)
                if not all((f.migration.identity, r.identity) in contested for r in f.rivals)
            ]
        collisions += [c for c in found if c.blocking]
        notes += [c for c in found if not c.blocking]
        if facts.numbering.mode is NumberingMode.SEQUENTIAL:
            assigned = [moves[c.identity] for c in mine if c.identity in moves]
            texts = tuple(format_number(n, width) for n in sorted(assigned))
            next_by_chain[chain] = (
                NextNumbers(texts, width)
                if texts
                else free_numbers(
                    chain,
                    facts,
                    theirs,
                    count=len(mine),
                    reserved=reserved.get(chain, ()),
                )
            )
    return Outcome(ordered, tuple(collisions), tuple(notes), next_by_chain)


def _contest(
    kind: CollisionKind,
    group: Sequence[Claim],
    mine: Sequence[Claim],
    moves: Mapping[tuple[str, str], int],
    width: int,
    contested: set[tuple[tuple[str, str], tuple[str, str]]],
) -> list[Collision]:
    """The collisions of this change's claims in one group (owner first)."""
    owner = group[0]
    found = []
    for claim in mine:
        member = next((m for m in group if m.same_migration(claim)), None)
        if member is None:
            continue
        rivals = tuple(m for m in group if m is not member)
        pairs = {(claim.identity, r.identity) for r in rivals}
        if pairs <= contested:
            continue  # the same migrations already collide on their number
        contested |= pairs
        if member is owner:
            found.append(Collision(kind, claim, rivals, None, blocking=False))
            continue
        moved = moves.get(claim.identity)
        found.append(
            Collision(
                kind,
                claim,
                rivals,
                owner,
                format_number(moved, width) if kind is CollisionKind.NUMBER and moved else None,
            )
        )
    return found


def _forks(mine: Sequence[Claim], theirs: Sequence[Claim], facts: ChainFacts) -> list[Collision]:
    """This change's migrations that share a parent with a base migration or another change's
    (a parent added by this change itself is its own business)."""
    own_ids = {c.id for c in mine if c.id}
    base = [Claim.of(m, ClaimSource.BASE) for m in facts.base]
    sequential = facts.numbering.mode is NumberingMode.SEQUENTIAL
    found = []
    for claim in mine:
        for parent in claim.parents:
            if parent in own_ids:
                continue
            siblings = [b for b in base if parent in b.parents and not b.same_migration(claim)]
            if siblings:
                found.append(
                    Collision(
                        CollisionKind.FORK, claim, tuple(siblings), siblings[0], parent=parent
                    )
                )
                continue
            rivals = _distinct(
                o
                for o in theirs
                if parent in o.parents
                and not o.same_migration(claim)
                and claim.id not in o.parents
                and o.id not in claim.parents
            )
            if not rivals:
                continue
            contenders = [claim, *rivals]
            if sequential:
                # The numbers order them: the lowest merges first, the others re-parent then.
                first = min(contenders, key=lambda c: (c.number is None, c.number or 0, _order(c)))
            else:
                first = min(contenders, key=_order)
            found.append(
                Collision(
                    CollisionKind.FORK,
                    claim,
                    tuple(rivals),
                    None if first is claim else first,
                    parent=parent,
                    blocking=not sequential and first is not claim,
                )
            )
    return found
