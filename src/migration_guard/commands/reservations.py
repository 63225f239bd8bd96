"""``migration-guard reservations [CHAIN]``: who holds which number; ``--gc`` collects the
reservations whose number has landed on the base branch or that are too old."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from migration_guard.chains import read_readable
from migration_guard.errors import UndecidableError, UsageError
from migration_guard.reservations import DEFAULT_MAX_AGE_DAYS, Reservation, age_text, stale
from migration_guard.services import reservations as remote_reservations
from migration_guard.services.sources import facts_of, resolve_base
from migration_guard.tree import GitTree
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def run(
    *,
    workspace: Workspace,
    chain: str | None,
    remote: str | None,
    gc: bool,
    max_age_days: float | None,
    base_sha: str | None,
    output_format: str,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    via: str = "git",
    forge_limits: ForgeLimits | None = None,
) -> int:
    env = dict(os.environ if env is None else env)
    if not workspace.in_git:
        raise UsageError("reservations needs a git repository", hint="run it inside your clone")
    if max_age_days is not None and max_age_days <= 0:
        raise UsageError("--max-age must be a positive number of days")
    name = workspace.config.select([chain])[0].name if chain else None
    store = remote_reservations.open_store(
        workspace.root, via=via, remote=remote, env=env, limits=forge_limits
    )
    now = now or datetime.now(UTC)
    held = store.read(name)
    collected: dict[str, str] = {}  # ref -> why it was collected
    failed: list[str] = []
    if gc and held:
        max_age = max_age_days or workspace.config.reservation_max_age_days or DEFAULT_MAX_AGE_DAYS
        base, _ = resolve_base(workspace, base_sha, env)
        for item in stale(
            held, landed=_landed(workspace, base, held), now=now, max_age_days=max_age
        ):
            deleted = store.delete(item.reservation)
            if deleted.ok:
                collected[item.reservation.ref] = item.reason
            else:
                failed.append(f"{item.reservation.ref}: {deleted.reason}")
    if output_format == "json":
        payload = [_json(r, now, collected.get(r.ref)) for r in held]
        print(json.dumps(payload, indent=2), file=out)
    else:
        if not held:
            print(f"no reservations on {store.where}", file=out)
        for r in held:
            line = (
                f"{r.chain} {r.number_text}  {_who(r)}  {age_text(r.age_seconds(now))}"
                f"  branch {r.branch or '-'}  slug {r.slug or '-'}"
            )
            if r.ref in collected:
                line += f"  (released: {collected[r.ref]})"
            print(line, file=out)
    if failed:
        raise UndecidableError("could not release " + "; ".join(failed))
    return 0


def _landed(workspace: Workspace, base: str, held: list[Reservation]) -> dict[str, set[int]]:
    """The numbers the base branch holds, of each configured chain with a reservation."""
    chains = {r.chain for r in held}
    tree = GitTree(workspace.root, base)
    landed: dict[str, set[int]] = {}
    for spec in workspace.config.chains:
        if spec.name in chains:
            state = read_readable(tree, spec)
            if state.unread:
                raise UndecidableError(
                    f"could not read chain {spec.name} on {base}: {'; '.join(state.unread)}"
                )
            facts = facts_of(state)
            landed[spec.name] = {
                n for m in state.migrations if (n := facts.number_of(m)) is not None
            }
    return landed


def _who(r: Reservation) -> str:
    if r.who and r.email:
        return f"{r.who} <{r.email}>"
    return r.who or r.email or "?"


def _json(r: Reservation, now: datetime, released: str | None) -> dict[str, object]:
    return {
        "chain": r.chain,
        "number": r.number_text,
        "ref": r.ref,
        "who": r.who,
        "email": r.email,
        "host": r.host,
        "branch": r.branch,
        "slug": r.slug,
        "created": r.created.strftime("%Y-%m-%dT%H:%M:%SZ") if r.created else None,
        "age_seconds": r.age_seconds(now),
        "age": age_text(r.age_seconds(now)),
        "released": released,
    }
