"""Collision logic: this change's new migrations against every other claim. Pure.

A *claim* is a number somebody holds in a chain: the base branch, another open change, a
reservation, or this change itself. Two claims on one number in one chain collide unless they
are the same file (same path: a stacked PR carrying the same commit is not a second claim).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from migration_guard.model import Migration
from migration_guard.numbering import NextNumbers, next_free


class ClaimSource(StrEnum):
    PR = "pr"
    BASE = "base"
    SELF = "self"
    RESERVATION = "reservation"


def where(path: str, name: str) -> str:
    """How to point at a migration: its file, or for a sqitch change its plan and name."""
    if not name or PurePosixPath(path).stem == name:
        return path
    return f"{path}: {name}"


def target(migration: Migration) -> str:
    """What to hand to ``renumber``: the file, or the sqitch change's name."""
    return (
        migration.path if PurePosixPath(migration.path).stem == migration.name else migration.name
    )


@dataclass(frozen=True)
class Claim:
    chain: str
    number: int
    path: str
    source: ClaimSource
    pr: int | None = None
    ref: str | None = None  # branch name when the change has no number (git provider)
    name: str = ""  # the migration's name: file stem (Alembic) or change name (sqitch)

    def same_migration(self, migration: Migration) -> bool:
        """A claim on this very migration (a stacked PR carrying the same commit), not a
        rival: sqitch changes share their plan's path, so the name decides."""
        return self.name == migration.name if self.name else self.path == migration.path

    def describe(self) -> str:
        if self.source is ClaimSource.PR:
            who = f"PR #{self.pr}" if self.pr is not None else f"branch {self.ref}"
        elif self.source is ClaimSource.BASE:
            who = "base branch"
        elif self.source is ClaimSource.SELF:
            who = "this PR"
        else:
            who = f"reservation {self.ref}" if self.ref else "reservation"
        return f"{who} ({where(self.path, self.name)})"


@dataclass(frozen=True)
class Collision:
    migration: Migration
    claimed_by: tuple[Claim, ...]
    next_available: str


@dataclass(frozen=True)
class Outcome:
    new: tuple[Migration, ...]
    collisions: tuple[Collision, ...]
    next_by_chain: Mapping[str, NextNumbers]

    @property
    def ok(self) -> bool:
        return not self.collisions

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"[{chain}] {n.warning}" for chain, n in self.next_by_chain.items() if n.warning
        )


def base_claims(base: Iterable[Migration]) -> list[Claim]:
    return [Claim(m.chain, m.number, m.path, ClaimSource.BASE, name=m.name) for m in base]


def next_numbers(
    chain: str, base: Iterable[Migration], others: Iterable[Claim], *, width: int, count: int = 1
) -> NextNumbers:
    """The next ``count`` numbers of ``chain`` above the base's highest that nobody claims."""
    highest = max((m.number for m in base if m.chain == chain), default=0)
    taken = {c.number for c in others if c.chain == chain}
    return next_free(highest, taken, width=width, count=count)


def detect(
    new: Sequence[Migration],
    base: Sequence[Migration],
    others: Sequence[Claim],
    *,
    widths: Mapping[str, int],
) -> Outcome:
    """Every number of ``new`` that the base tip, another claim, or ``new`` itself also holds."""
    ordered = sorted(new, key=lambda m: (m.chain, m.number, m.path))
    claims_by_key: dict[tuple[str, int], list[Claim]] = defaultdict(list)
    for claim in [*base_claims(base), *others]:
        claims_by_key[(claim.chain, claim.number)].append(claim)
    own_by_key: dict[tuple[str, int], list[Migration]] = defaultdict(list)
    for migration in ordered:
        own_by_key[(migration.chain, migration.number)].append(migration)

    per_chain: dict[str, list[Migration]] = defaultdict(list)
    for migration in ordered:
        per_chain[migration.chain].append(migration)
    next_by_chain: dict[str, NextNumbers] = {}
    assigned: dict[Migration, str] = {}
    for chain, migrations in per_chain.items():
        numbers = next_numbers(
            chain, base, others, width=widths.get(chain, 1), count=len(migrations)
        )
        next_by_chain[chain] = numbers
        assigned.update(zip(migrations, numbers.numbers, strict=True))

    collisions = []
    for migration in ordered:
        key = (migration.chain, migration.number)
        rivals = [c for c in claims_by_key.get(key, []) if not c.same_migration(migration)]
        own = own_by_key[key]
        if rivals or own[0] is not migration:
            # Between this PR's own duplicates, the first keeps the number; the rest move.
            rivals += [
                Claim(m.chain, m.number, m.path, ClaimSource.SELF, name=m.name)
                for m in own
                if m is not migration
            ]
            order = {
                ClaimSource.BASE: 0,
                ClaimSource.PR: 1,
                ClaimSource.RESERVATION: 2,
                ClaimSource.SELF: 3,
            }
            rivals.sort(key=lambda c: (order[c.source], c.pr or 0, c.ref or "", c.path))
            collisions.append(Collision(migration, tuple(rivals), assigned[migration]))
    return Outcome(new=tuple(ordered), collisions=tuple(collisions), next_by_chain=next_by_chain)
