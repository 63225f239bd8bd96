"""``migration-guard release CHAIN NUMBER``: give a reserved number back."""

from __future__ import annotations

from typing import TextIO

from migration_guard.errors import UndecidableError, UsageError
from migration_guard.services import reservations as remote_reservations
from migration_guard.workspace import Workspace


def run(*, workspace: Workspace, chain: str, number: str, remote: str, out: TextIO) -> int:
    if not workspace.in_git:
        raise UsageError("release needs a git repository", hint="run it inside your clone")
    if not number.isdigit():
        raise UsageError(f"{number!r} is not a number")
    (spec,) = workspace.config.select([chain])
    if not remote_reservations.available(workspace.root, remote):
        raise UsageError(f"there is no remote {remote!r}", hint="name one with --remote")
    held = [
        r
        for r in remote_reservations.read(workspace.root, remote, spec.name)
        if r.number == int(number)
    ]
    if not held:
        raise UsageError(
            f"{spec.name} {number} is not reserved on {remote}",
            hint=f"see `migration-guard reservations {spec.name}`",
        )
    for reservation in held:
        deleted = remote_reservations.delete(workspace.root, remote, reservation)
        if not deleted.ok:
            raise UndecidableError(
                f"could not release {reservation.ref} on {remote}: {deleted.reason} (it changed "
                "since it was read, or the remote refused)",
                hint=f"see `migration-guard reservations {spec.name}` and try again",
            )
        print(f"released {spec.name} {reservation.number_text} ({reservation.describe})", file=out)
    return 0
