"""``migration-guard new CHAIN SLUG``: what the runbook's "pick the next number with
``ls | sort | tail -1``" step becomes. A number is reserved on the remote first (atomic:
everyone dispatched in the same wave gets a distinct one), then the migration is written
from the chain's own template, on top of the chain's head. Prints the created paths.

Chains that are not numbered (hex ids): no reservation; the revision gets a fresh id on the
head, and forks are caught by ``check``. If writing fails, the reservation is given back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from migration_guard.apply import apply_plan
from migration_guard.chains import read_readable, registry
from migration_guard.chains.kind import NewRequest
from migration_guard.chains.newfile import planner
from migration_guard.model import NumberingMode
from migration_guard.services import reserving
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def run(
    *,
    workspace: Workspace,
    chain: str,
    slug: str,
    message: str,
    remote: str | None,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    forge_limits: ForgeLimits | None = None,
    via: str = "git",
) -> int:
    env = dict(os.environ if env is None else env)
    (spec,) = workspace.config.select([chain])
    kind = registry.kind_of(spec.kind)
    state = read_readable(workspace.tree, spec)
    reserved = None
    store = None
    number = ""
    if state.numbering is NumberingMode.SEQUENTIAL:
        store = reserving.store_for(
            workspace, via=via, remote=remote, env=env, forge_limits=forge_limits
        )
        (reserved,) = reserving.reserve_numbers(
            workspace,
            spec,
            count=1,
            store=store,
            slug=slug,
            base_sha=base_sha,
            provider=provider,
            open_prs=open_prs,
            env=env,
            forge_limits=forge_limits,
        )
        number = reserved.number_text
    try:
        created = kind.plan_new(
            workspace.tree,
            spec,
            state,
            NewRequest(
                number, slug, message, datetime.now().astimezone(), planner(workspace.root, env)
            ),
        )
        apply_plan(workspace.root, created.plan, in_git=workspace.in_git)
    except BaseException:
        if reserved is not None and store is not None:  # nothing was written: give it back
            store.delete(reserved)
        raise
    print("\n".join(created.paths), file=out)
    if reserved is not None and store is not None:
        print(
            f"reserved {spec.title} {number} on {store.where} ({reserved.ref}); `check` counts it "
            f"as this branch's; release with `migration-guard release {spec.name} {number}` "
            "if the change is dropped",
            file=sys.stderr,
        )
    else:
        print(
            f"{spec.title} is not numbered ({state.numbering.value}): nothing to reserve; "
            "a fork with another change's migration is caught by `migration-guard check`",
            file=sys.stderr,
        )
    return 0
