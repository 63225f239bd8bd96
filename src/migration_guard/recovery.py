"""Diagnose a collision that already merged, and decide which side moves. Pure.

Given a chain's migrations and, for each, the first-parent commit of the base branch that
landed it, every group of colliding migrations (same number, same revision id, or siblings of
one parent on one branch in a chain with several heads) keeps the one that landed first and
moves the ones that landed later, together with everything else their landing commit added to
the chain (a PR's block moves as one). Siblings on different labelled branches (Alembic's
expand/contract design) are intentional and never collide.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migration_guard.chains.kind import Move
    from migration_guard.edits import EditPlan
    from migration_guard.model import ChainSpec, ChainState, Finding

_PR_PATTERNS = (
    re.compile(r"Merge pull request #(\d+)"),
    re.compile(r"\(#(\d+)\)\s*$"),
    re.compile(r"Merge (?:PR|pull request|MR|merge request) [#!](\d+)", re.IGNORECASE),
    re.compile(r"See merge request \S*!(\d+)"),
)


@dataclass(frozen=True)
class Landing:
    """The first-parent commit of the base branch that brought a file (or plan line) in."""

    commit: str
    timestamp: int
    subject: str
    order: int  # 0 = the oldest first-parent commit that touched the chain
    pr: int | None

    @property
    def label(self) -> str:
        who = f"PR #{self.pr}" if self.pr is not None else f"commit {self.commit[:10]}"
        return who


def pr_from_message(message: str) -> int | None:
    for pattern in _PR_PATTERNS:
        match = pattern.search(message)
        if match:
            return int(match.group(1))
    return None


@dataclass(frozen=True)
class Member:
    """One migration in a collision: an Alembic file or a sqitch change."""

    key: str  # path (Alembic) or change name (sqitch)
    number: int
    number_text: str = ""
    revision: str | None = None
    down_revisions: tuple[str, ...] = ()
    branch: tuple[str, ...] | None = ()  # its branch labels (alembic_graph.BranchMap)


@dataclass(frozen=True)
class Collision:
    chain: str
    reason: str  # "same number", "same revision id", "same down_revision"
    value: str
    members: tuple[str, ...]  # keys, earliest landing first
    survivor: str
    movers: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    chain: str
    collisions: tuple[Collision, ...]
    block: tuple[str, ...]  # every key that moves, in number order

    @property
    def ok(self) -> bool:
        return not self.collisions


def _order(key: str, landings: Mapping[str, Landing]) -> tuple[int, str]:
    landing = landings.get(key)
    # Unknown history (not committed yet) sorts last: it certainly landed after the rest.
    return (landing.order if landing is not None else 1 << 30, key)


def diagnose(
    chain: str,
    members: Sequence[Member],
    landings: Mapping[str, Landing],
    *,
    several_heads: bool,
) -> Diagnosis:
    groups: list[tuple[str, str, list[Member]]] = []
    by_number: dict[int, list[Member]] = defaultdict(list)
    by_revision: dict[str, list[Member]] = defaultdict(list)
    by_parent: dict[tuple[str, tuple[str, ...]], list[Member]] = defaultdict(list)
    for member in members:
        by_number[member.number].append(member)
        if member.revision is not None:
            by_revision[member.revision].append(member)
        if member.branch is not None:  # unknown: cannot tell whether siblings collide
            for parent in member.down_revisions:
                by_parent[parent, member.branch].append(member)
    for number, group in sorted(by_number.items()):
        if len(group) > 1 and number >= 0:
            groups.append(("same number", group[0].number_text or str(number), group))
    for revision, group in sorted(by_revision.items()):
        if len(group) > 1:
            groups.append(("same revision id", revision, group))
    if several_heads:
        for (parent, _), group in sorted(by_parent.items()):
            if len(group) > 1:
                groups.append(("same down_revision", parent, group))
    collisions: dict[tuple[str, ...], Collision] = {}
    for reason, value, group in groups:
        ordered = sorted((m.key for m in group), key=lambda k: _order(k, landings))
        key = tuple(sorted(ordered))
        if key in collisions:
            continue
        collisions[key] = Collision(
            chain, reason, value, tuple(ordered), ordered[0], tuple(ordered[1:])
        )
    movers = {k for c in collisions.values() for k in c.movers}
    survivors = {c.survivor for c in collisions.values()}
    # Everything the movers' landing commits added moves with them (one PR, one block).
    commits = {landings[k].commit for k in movers if k in landings}
    block = {
        m.key
        for m in members
        if m.key in movers or (m.key in landings and landings[m.key].commit in commits)
    }
    block -= survivors - movers
    numbered = sorted((m for m in members if m.key in block), key=lambda m: (m.number, m.key))
    return Diagnosis(chain, tuple(collisions.values()), tuple(m.key for m in numbered))


@dataclass(frozen=True)
class Repair:
    """One chain's diagnosis and the plan that repairs it (empty when nothing collides)."""

    spec: ChainSpec
    state: ChainState
    diagnosis: Diagnosis
    landings: Mapping[str, Landing]
    moves: tuple[Move, ...]
    parent: str | None
    plan: EditPlan
    # What recover cannot repair (a file it cannot read statically, a cycle...): reported,
    # and nothing of the chain is moved while they stand.
    blockers: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return self.diagnosis.ok and not self.blockers
