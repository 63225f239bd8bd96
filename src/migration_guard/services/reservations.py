"""Reservations on a git remote: read them, create one (create-only), delete one.

Reading is one ``git fetch`` of ``refs/migration-guard/*`` into a private local namespace
(``refs/migration-guard-remote/<remote>/*``, pruned, no FETCH_HEAD): it brings the ref names
*and* the small commits that say who reserved what and when, in one round trip; the
messages are then read locally with ``git for-each-ref``. (``git ls-remote`` alone gives
only ids, and fetching the commits afterwards would be a second round trip.)

Creating is ``git push --porcelain --force-with-lease=<ref>: <remote> <commit>:<ref>``: the
empty expected value means "must not exist", and the commit is unique to the claimant (its
message carries a random nonce), so an "up to date" answer can never hide a lost race. A
rejected push is judged by reading the ref back: someone else's commit there means the race
was lost (try the next number); nothing there means the remote refuses the namespace (a hook,
a policy): an error, exit 3.

``GitStore`` is this transport as a ``ReservationStore``; ``open_store`` picks it or GitHub's
REST API (``--via github``: no push needed, only a token); ``claim`` works on either.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard import git
from migration_guard.errors import GitError, UndecidableError, UsageError
from migration_guard.model import NumberingMode
from migration_guard.reservations import (
    LOCAL_NAMESPACE,
    NAMESPACE,
    Claimant,
    Deleted,
    Reservation,
    ReservationStore,
    message,
    ref_for,
    reservation_of,
)

if TYPE_CHECKING:
    from migration_guard.forges.http import ForgeLimits

__all__ = ["Deleted", "GitStore", "ReservationStore", "claim", "open_store"]

DEFAULT_REMOTE = "origin"
VIA = ("git", "github")
MAX_ROUNDS = 20
_SPARE = 64  # candidates beyond those wanted, tried in turn when a race is lost


class RefusedError(UndecidableError):
    """The remote does not accept reservation refs (a hook or a policy rejected the push)."""


def _local_prefix(remote: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", remote).strip("._") or "remote"
    return f"{LOCAL_NAMESPACE}{safe}/"


def available(root: Path, remote: str = DEFAULT_REMOTE) -> bool:
    """Whether there is a remote to keep reservations on."""
    return git.remote_known(remote, cwd=root)


def read(root: Path, remote: str = DEFAULT_REMOTE, chain: str | None = None) -> list[Reservation]:
    """Every reservation on ``remote`` (of ``chain`` only, when given), by chain and number."""
    prefix = _local_prefix(remote)
    git.fetch_namespace(remote, NAMESPACE, prefix, cwd=root)
    found = []
    for entry in git.refs_with_messages(prefix, cwd=root):
        reservation = reservation_of(
            entry.ref, entry.oid, entry.message, committed=entry.committed, prefix=prefix
        )
        if reservation is not None and (chain is None or reservation.chain == chain):
            found.append(reservation)
    return sorted(found, key=lambda r: (r.chain, r.number, r.ref))


def claimant(root: Path, *, slug: str | None) -> Claimant:
    """This user, host and branch, as a reservation records them. A detached checkout (CI)
    records the pull request's head branch from the environment (GitHub's
    ``GITHUB_HEAD_REF``, GitLab's ``CI_MERGE_REQUEST_SOURCE_BRANCH_NAME``), so that ``check``
    on that PR knows the reservation as its own."""
    branch = (
        git.current_branch(cwd=root)
        or os.environ.get("GITHUB_HEAD_REF")
        or os.environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or None
    )
    return Claimant(
        who=git.config_value("user.name", cwd=root) or os.environ.get("USER", "") or "unknown",
        email=git.config_value("user.email", cwd=root) or "",
        host=socket.gethostname(),
        branch=branch,
        slug=slug,
        nonce=secrets.token_hex(8),
    )


def create(
    root: Path,
    remote: str,
    chain: str,
    number_text: str,
    who: Claimant,
    *,
    now: datetime | None = None,
) -> Reservation | None:
    """Reserve ``chain`` ``number_text`` on ``remote``: the reservation, or None when someone
    else holds it (it existed, or another claimant won the race)."""
    created = (now or datetime.now(UTC)).replace(microsecond=0)
    # A fresh nonce per commit: no two pushes can ever send the same object.
    text = message(chain, number_text, who._replace(nonce=secrets.token_hex(8)), created)
    commit = git.commit_tree(
        git.empty_tree(cwd=root), text, name=who.who, email=who.email or "unknown", cwd=root
    )
    ref = ref_for(chain, number_text)
    result = git.push_create(remote, commit, ref, cwd=root)
    if result.status == "failed":
        raise GitError(f"could not push {ref} to {remote}: {result.reason}")
    if result.status == "rejected":
        holder = git.remote_ref(remote, ref, cwd=root)
        if holder is None and "stale info" not in result.reason:
            raise RefusedError(
                f"the remote {remote} refused to create {ref} ({result.reason}): it does not "
                f"accept reservations ({NAMESPACE}*)",
                hint=f"allow pushes to {NAMESPACE}* on the remote (a pre-receive hook, branch "
                "protection or push rules), or pick numbers with `migration-guard next`",
            )
        if holder != commit:
            return None
    return reservation_of(ref, commit, text)


class GitStore:
    """Reservations on a git remote, as a ``ReservationStore``."""

    def __init__(self, root: Path, remote: str = DEFAULT_REMOTE) -> None:
        self.root = root
        self.remote = remote

    @property
    def where(self) -> str:
        return self.remote

    def read(self, chain: str | None = None) -> list[Reservation]:
        return read(self.root, self.remote, chain)

    def create(self, chain: str, number_text: str, who: Claimant) -> Reservation | None:
        return create(self.root, self.remote, chain, number_text, who)

    def delete(self, reservation: Reservation) -> Deleted:
        return delete(self.root, self.remote, reservation)


def open_store(
    root: Path,
    *,
    via: str = "git",
    remote: str | None = None,
    env: Mapping[str, str],
    limits: ForgeLimits | None = None,
) -> ReservationStore:
    """Where ``--via`` keeps reservations: the git remote ``remote`` (default origin), or
    GitHub's REST API for ``GITHUB_REPOSITORY`` with ``GITHUB_TOKEN`` (no push needed)."""
    if via == "github":
        if remote is not None:
            raise UsageError(
                "--remote is for --via git; --via github keeps reservations in the repository "
                "named by GITHUB_REPOSITORY",
            )
        from migration_guard.forges.github import GitHubSettings
        from migration_guard.forges.github_reservations import GitHubReservations
        from migration_guard.forges.http import ForgeLimits

        return GitHubReservations(
            GitHubSettings.from_env(env), limits=limits or ForgeLimits.resolve(env)
        )
    if via != "git":
        raise UsageError(f"unknown --via {via!r}; choose one of {', '.join(VIA)}")
    remote = remote or DEFAULT_REMOTE
    if not available(root, remote):
        raise UsageError(
            f"there is no remote {remote!r} to keep reservations on",
            hint="name one with --remote (a remote's name or URL); where only an API token is "
            "at hand (CI), --via github",
        )
    return GitStore(root, remote)


def claim(
    store: ReservationStore,
    chain: str,
    count: int,
    who: Claimant,
    candidates: Callable[[Sequence[Reservation], int], Sequence[str]],
    *,
    rounds: int = MAX_ROUNDS,
) -> list[Reservation]:
    """Reserve ``count`` numbers of ``chain``: read the reservations, ask ``candidates``
    (reservations, how many) for the next free numbers, try each in order. A lost race moves
    on to the next candidate at once (the winner took the lower one, so no gap is left):
    with N claimants at the same moment, the k-th pushes at most k times instead of every
    loser re-reading the remote each round. Candidates run out: read again, at most
    ``rounds`` times."""
    won: list[Reservation] = []
    for _ in range(rounds):
        current = store.read(chain)
        for number_text in candidates(current, count - len(won) + _SPARE):
            reservation = store.create(chain, number_text, who)
            if reservation is None:
                continue  # someone else was faster: the next one
            won.append(reservation)
            if len(won) == count:
                return won
    taken = ", ".join(r.number_text for r in won)
    raise UndecidableError(
        f"could not reserve {count} number(s) of {chain} on {store.where} after {rounds} rounds: "
        "other claimants kept taking the next free numbers"
        + (f" (reserved so far, kept: {taken})" if taken else ""),
        hint="run it again; release what you do not need with `migration-guard release`",
    )


def delete(root: Path, remote: str, reservation: Reservation) -> Deleted:
    """Delete ``reservation`` from ``remote`` only while it is what was read (a lease)."""
    result = git.push_delete(remote, reservation.ref, reservation.oid, cwd=root)
    if result.status == "failed":
        raise GitError(f"could not delete {reservation.ref} on {remote}: {result.reason}")
    return Deleted(reservation, result.status == "ok", result.reason)


def require_sequential(chain: str, numbering: NumberingMode) -> None:
    """Reservations hold numbers: a chain that is not ``sequential`` has none to hold."""
    if numbering is not NumberingMode.SEQUENTIAL:
        raise UsageError(
            f"chain {chain!r} is not numbered (numbering: {numbering.value}), so there is no "
            "number to reserve",
            hint="reservations are for sequential chains; `migration-guard check` catches two "
            'changes built on one parent. If the chain is numbered, set numbering = "sequential" '
            "for it in migration-guard.toml",
        )
