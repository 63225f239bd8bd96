"""Reserving numbers for a chain: the free ones as ``check`` sees them (the base, open
changes, live reservations), taken with create-only ref creations on a ``ReservationStore``
(a git remote, or GitHub's REST API: ``services/reservations.py``). ``reserve`` prints them;
``new`` writes a migration with one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.chains import read_readable
from migration_guard.collisions import free_numbers
from migration_guard.errors import UndecidableError, UsageError
from migration_guard.model import ChainSpec
from migration_guard.reservations import Reservation, ReservationStore
from migration_guard.reservations import claims as reservation_claims
from migration_guard.services.reservations import claim, claimant, open_store, require_sequential
from migration_guard.services.sources import all_claims
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def store_for(
    workspace: Workspace,
    *,
    via: str,
    remote: str | None,
    env: Mapping[str, str],
    forge_limits: ForgeLimits | None = None,
) -> ReservationStore:
    """Where ``--via`` keeps this workspace's reservations (a git repository is needed)."""
    if not workspace.in_git:
        raise UsageError("reserving a number needs a git repository", hint="run it in your clone")
    return open_store(workspace.root, via=via, remote=remote, env=env, limits=forge_limits)


def reserve_numbers(
    workspace: Workspace,
    spec: ChainSpec,
    *,
    count: int,
    store: ReservationStore,
    slug: str | None,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    env: Mapping[str, str],
    forge_limits: ForgeLimits | None = None,
) -> list[Reservation]:
    """Claim ``count`` numbers of ``spec`` that nobody holds (the base, open changes, live
    reservations) with create-only ref creations on ``store``; concurrent callers always get
    distinct numbers. ``reserve`` prints them, ``new`` writes a migration with one."""
    if count < 1:
        raise UsageError("--count must be at least 1")
    if not workspace.in_git:
        raise UsageError("reserving a number needs a git repository", hint="run it in your clone")
    require_sequential(spec.name, read_readable(workspace.tree, spec).numbering)
    sources = all_claims(
        workspace,
        base_sha=base_sha,
        provider=provider,
        open_prs=open_prs,
        env=env,
        forge_limits=forge_limits,
    )
    require_sequential(spec.name, sources.base_states[spec.name].numbering)
    if not sources.complete:
        raise UndecidableError(
            "could not see every claim, so nothing was reserved: " + "; ".join(sources.problems),
            hint="fix what stops the open changes from being read, or pass --open-prs FILE",
        )
    facts = sources.chains[spec.name]

    def candidates(current: Sequence[Reservation], wanted: int) -> Sequence[str]:
        claims = [*sources.claims, *reservation_claims(current)]
        return free_numbers(spec.name, facts, claims, count=wanted).numbers

    who = claimant(workspace.root, slug=slug)
    return claim(store, spec.name, count, who, candidates)
