"""``migration-guard reserve CHAIN``: take the next free number(s) for everyone, now.

The numbers are those ``next`` would print (above the base branch's highest, not claimed by
an open change), skipping every live reservation; each is taken with a create-only push of
``refs/migration-guard/<chain>/<number>``, so concurrent callers always get distinct numbers.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from migration_guard.chains import read_readable
from migration_guard.collisions import free_numbers
from migration_guard.errors import UndecidableError, UsageError
from migration_guard.reservations import Reservation
from migration_guard.reservations import claims as reservation_claims
from migration_guard.services import reservations as remote_reservations
from migration_guard.services.sources import gather_sources, resolve_base
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def run(
    *,
    workspace: Workspace,
    chain: str,
    count: int,
    remote: str,
    slug: str | None,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    output_format: str,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    forge_limits: ForgeLimits | None = None,
) -> int:
    env = dict(os.environ if env is None else env)
    if count < 1:
        raise UsageError("--count must be at least 1")
    if not workspace.in_git:
        raise UsageError("reserve needs a git repository", hint="run it inside your clone")
    (spec,) = workspace.config.select([chain])
    remote_reservations.require_sequential(spec.name, read_readable(workspace.tree, spec).numbering)
    if not remote_reservations.available(workspace.root, remote):
        raise UsageError(
            f"there is no remote {remote!r} to keep reservations on",
            hint="name one with --remote (a remote's name or URL)",
        )
    base, base_ref = resolve_base(workspace, base_sha, env)
    sources = gather_sources(
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
    )
    state = sources.base_states[spec.name]
    remote_reservations.require_sequential(spec.name, state.numbering)
    if not sources.complete:
        raise UndecidableError(
            "could not see every claim, so nothing was reserved: " + "; ".join(sources.problems),
            hint="fix what stops the open changes from being read, or pass --open-prs FILE",
        )
    facts = sources.chains[spec.name]

    def candidates(current: Sequence[Reservation], wanted: int) -> Sequence[str]:
        claims = [*sources.claims, *reservation_claims(current)]
        return free_numbers(spec.name, facts, claims, count=wanted).numbers

    who = remote_reservations.claimant(workspace.root, slug=slug)
    won = remote_reservations.claim(workspace.root, remote, spec.name, count, who, candidates)
    if output_format == "json":
        payload = [
            {
                "chain": r.chain,
                "number": r.number_text,
                "ref": r.ref,
                "who": r.who,
                "email": r.email,
                "branch": r.branch,
                "slug": r.slug,
                "created": r.created.strftime("%Y-%m-%dT%H:%M:%SZ") if r.created else None,
            }
            for r in won
        ]
        print(json.dumps(payload, indent=2), file=out)
    else:
        print("\n".join(r.number_text for r in won), file=out)
        print(
            f"reserved {spec.title} {', '.join(r.number_text for r in won)} on {remote} "
            f"(refs {', '.join(r.ref for r in won)}); release with `migration-guard release "
            f"{spec.name} NUMBER`",
            file=sys.stderr,
        )
    return 0
