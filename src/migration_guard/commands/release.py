"""``migration-guard release CHAIN NUMBER``: give a reserved number back."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from migration_guard.errors import UndecidableError, UsageError
from migration_guard.services import reservations as remote_reservations
from migration_guard.workspace import Workspace

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits


def run(
    *,
    workspace: Workspace,
    chain: str,
    number: str,
    remote: str | None,
    out: TextIO,
    via: str = "git",
    env: Mapping[str, str] | None = None,
    forge_limits: ForgeLimits | None = None,
) -> int:
    if not workspace.in_git:
        raise UsageError("release needs a git repository", hint="run it inside your clone")
    if not number.isdigit():
        raise UsageError(f"{number!r} is not a number")
    (spec,) = workspace.config.select([chain])
    store = remote_reservations.open_store(
        workspace.root,
        via=via,
        remote=remote,
        env=os.environ if env is None else env,
        limits=forge_limits,
    )
    held = [r for r in store.read(spec.name) if r.number == int(number)]
    if not held:
        raise UsageError(
            f"{spec.name} {number} is not reserved on {store.where}",
            hint=f"see `migration-guard reservations {spec.name}`",
        )
    for reservation in held:
        deleted = store.delete(reservation)
        if not deleted.ok:
            raise UndecidableError(
                f"could not release {reservation.ref} on {store.where}: {deleted.reason} (it "
                "changed since it was read, or the remote refused)",
                hint=f"see `migration-guard reservations {spec.name}` and try again",
            )
        print(f"released {spec.name} {reservation.number_text} ({reservation.describe})", file=out)
    return 0
