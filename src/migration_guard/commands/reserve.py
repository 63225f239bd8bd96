"""``migration-guard reserve CHAIN``: take the next free number(s) for everyone, now.

The numbers are those ``next`` would print (above the base branch's highest, not claimed by
an open change), skipping every live reservation; each is taken by creating
``refs/migration-guard/<chain>/<number>`` only if it does not exist (a create-only push with
``--via git``, GitHub's create-ref call with ``--via github``), so concurrent callers always
get distinct numbers.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from migration_guard.services import reserving
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def run(
    *,
    workspace: Workspace,
    chain: str,
    count: int,
    remote: str | None,
    slug: str | None,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    output_format: str,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    forge_limits: ForgeLimits | None = None,
    via: str = "git",
) -> int:
    env = dict(os.environ if env is None else env)
    (spec,) = workspace.config.select([chain])
    store = reserving.store_for(
        workspace, via=via, remote=remote, env=env, forge_limits=forge_limits
    )
    won = reserving.reserve_numbers(
        workspace,
        spec,
        count=count,
        store=store,
        slug=slug,
        base_sha=base_sha,
        provider=provider,
        open_prs=open_prs,
        env=env,
        forge_limits=forge_limits,
    )
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
            f"reserved {spec.title} {', '.join(r.number_text for r in won)} on {store.where} "
            f"({', '.join(r.ref for r in won)}); release with `migration-guard release "
            f"{spec.name} NUMBER`",
            file=sys.stderr,
        )
    return 0
