"""``migration-guard next CHAIN``: the next free number(s), from the same sources as ``check``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from migration_guard.chains import read_readable
from migration_guard.collisions import free_numbers
from migration_guard.errors import UsageError
from migration_guard.model import NumberingMode
from migration_guard.numbering import format_number
from migration_guard.reservations import claims as reservation_claims
from migration_guard.services.reservations import DEFAULT_REMOTE
from migration_guard.services.sources import all_claims
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def run(
    *,
    workspace: Workspace,
    chain: str,
    count: int,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    output_format: str,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    forge_limits: ForgeLimits | None = None,
    ui: Ui = DEFAULT,
) -> int:
    env = dict(os.environ if env is None else env)
    if count < 1:
        raise UsageError("--count must be at least 1")
    if not workspace.in_git:
        raise UsageError("next needs a git repository", hint="run it inside your clone")
    (spec,) = workspace.config.select([chain])
    # A chain that is not numbered is refused before the base or a forge is asked anything.
    _require_numbered(spec.name, read_readable(workspace.tree, spec).numbering)
    sources = all_claims(
        workspace,
        base_sha=base_sha,
        provider=provider,
        open_prs=open_prs,
        env=env,
        forge_limits=forge_limits,
        reservations_remote=DEFAULT_REMOTE,
    )
    state = sources.base_states[spec.name]
    ui.note(
        f"base {sources.base}: {spec.name} has {len(state.migrations)} migration(s); open "
        f"changes via {sources.provider}: {sources.changes_scanned} read, "
        f"{sources.requests} forge request(s)"
    )
    _require_numbered(spec.name, state.numbering)
    facts = sources.chains[spec.name]
    reserved = reservation_claims(sources.reservations)
    numbers = free_numbers(spec.name, facts, [*sources.claims, *reserved], count=count)
    highest = state.highest
    highest_text = format_number(facts.highest, state.width) if highest else None
    if output_format == "json":
        payload = {
            "chain": spec.name,
            "next": list(numbers.numbers),
            "base": sources.base,
            "base_highest": highest_text,
            "provider": sources.provider,
            "complete": sources.complete,
            "claimed_by_open_prs": sorted(
                {c.number for c in sources.claims if c.chain == spec.name and c.number is not None}
            ),
            "reserved": sorted(
                {c.number for c in reserved if c.chain == spec.name and c.number is not None}
            ),
            "problems": list(sources.problems),
            "warning": numbers.warning,
        }
        print(json.dumps(payload, indent=2), file=out)
    else:
        ui.show("\n".join(numbers.numbers), out)
        note = (
            f"next {spec.title} number after {sources.base} (highest {highest_text or 'none'}), "
            f"skipping numbers claimed by {sources.changes_scanned} open change(s) via "
            f"{sources.provider}"
            + (
                f" and {len(reserved)} reservation(s) on {sources.reservations_from}"
                if reserved
                else ""
            )
        )
        if not ui.quiet:  # the numbers are the answer; how they were found is chatter
            print(note, file=sys.stderr)
        for problem in sources.problems:
            print(f"warning: {problem}", file=sys.stderr)
        if numbers.warning:
            print(f"warning: {numbers.warning}", file=sys.stderr)
    return 0 if sources.complete else 3


def _require_numbered(chain: str, numbering: NumberingMode) -> None:
    if numbering is not NumberingMode.SEQUENTIAL:
        what = "timestamps" if numbering is NumberingMode.DATE else "ids, not numbers"
        raise UsageError(
            f"chain {chain!r} is not numbered (numbering: {numbering.value}): its "
            f"migrations are named by {what}, so there is no next number to hand out",
            hint="create the migration with your framework's own command; `migration-guard "
            "check` catches two changes built on one parent. If the chain is numbered, set "
            'numbering = "sequential" for it in migration-guard.toml',
        )
