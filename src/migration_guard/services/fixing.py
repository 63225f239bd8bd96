"""``check --fix``: when this change is the one that must move, renumber it, commit that with
a ``Migration-Guard: fix`` trailer and push it to the change's own branch, all or nothing.

Never for a fork's pull request (the job's credentials cannot and must not write there),
never twice in a row (the last commit already is a fix: no loops), never over an uncommitted
change of a migration file. A push that fails takes the commit back: HEAD and the files are
as they were."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migration_guard import git
from migration_guard.chains import registry
from migration_guard.collisions import Claim, ClaimSource, Collision, CollisionKind, target
from migration_guard.errors import GuardError, UndecidableError, UsageError
from migration_guard.forges.context import CIContext
from migration_guard.forges.http import ForgeLimits
from migration_guard.services.renumber_apply import Renumbered, renumber
from migration_guard.services.renumbering import Options
from migration_guard.workspace import Workspace

TRAILER = "Migration-Guard: fix"


class PushFailedError(UndecidableError):
    """The fix could not be pushed; the local commit was taken back."""


@dataclass(frozen=True)
class PushTarget:
    remote: str
    ref: str  # refs/heads/<branch>

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


@dataclass(frozen=True)
class Declined:
    """Why nothing is pushed although this change must move (check's exit 1 stays)."""

    reason: str


@dataclass(frozen=True)
class Fixed:
    renumbered: Renumbered
    commit: str
    message: str
    target: PushTarget

    def summary(self) -> str:
        moves = ", ".join(
            f"{m.spec.name} {m.migration.number_text or m.migration.name} to "
            f"{m.new_number or 'the base head'}"
            for m in self.renumbered.moves
        )
        return (
            f"Fixed: renumbered {moves}; pushed {self.commit[:12]} to {self.target.branch}. "
            "The re-run on that commit decides."
        )


def fixable(collisions: Sequence[Collision]) -> list[Collision]:
    """The collisions a renumber settles now: a number taken by someone who keeps it, and a
    fork on a parent the base branch has built on already. (A duplicated id needs a new id by
    hand; a fork with another open change waits until that one has merged.)"""
    return [
        c
        for c in collisions
        if (c.kind is CollisionKind.NUMBER and c.next_available)
        or (c.kind is CollisionKind.FORK and c.with_base)
    ]


def last_commit_is_fix(workspace: Workspace, commit: str) -> bool:
    message = git.commit_message(commit, cwd=workspace.root)
    return any(line.strip() == TRAILER for line in message.splitlines())


def push_target(workspace: Workspace, context: CIContext | None) -> PushTarget | Declined:
    """Where the fix goes: in GitHub Actions the pull request's head branch (same repository
    only), locally the checked-out branch's upstream. Raises ``UsageError`` when there is
    nowhere to push to."""
    if context is not None:
        if context.provider != "github":
            raise UsageError(
                f"check --fix pushes from GitHub Actions or a local clone, not from "
                f"{context.provider} CI",
                hint="run check without --fix there, and `migration-guard renumber` locally",
            )
        same = context.same_repository
        if same is None:
            return Declined(
                "the event does not say which repository the pull request's head branch is in, "
                "so it may be a fork: not pushing"
            )
        if not same:
            return Declined(
                f"the pull request comes from a fork ({context.head_repository}): this job "
                "cannot and must not push there; run the fix command above in the fork"
            )
        if not context.head_ref:
            raise UsageError("the event does not name the pull request's head branch")
        return PushTarget("origin", f"refs/heads/{context.head_ref}")
    branch = git.current_branch(cwd=workspace.root)
    if branch is None:
        raise UsageError(
            "check --fix pushes to the checked-out branch's upstream, and HEAD is detached",
            hint="check out the pull request's branch",
        )
    found = git.upstream(branch, cwd=workspace.root)
    if found is None:
        raise UsageError(
            f"check --fix pushes to the upstream of branch {branch!r}, and it has none",
            hint=f"set one: git push -u origin {branch}",
        )
    remote, ref = found
    if not ref.startswith("refs/heads/"):
        raise UsageError(f"the upstream of branch {branch!r} is {ref}, not a branch")
    return PushTarget(remote, ref)


def refuse_uncommitted(workspace: Workspace) -> None:
    """The repository contract: a user's uncommitted change is never overwritten."""
    folders = [
        folder
        for spec in workspace.config.chains
        for folder in registry.kind_of(spec.kind).owned_folders(spec)
    ]
    dirty = git.dirty_paths(workspace.root, list(dict.fromkeys(folders)))
    if dirty:
        more = f" (and {len(dirty) - 1} more)" if len(dirty) > 1 else ""
        raise UsageError(
            f"not fixing: {dirty[0]}{more} has uncommitted changes, and check --fix commits "
            "and pushes migration files; nothing was changed",
            hint="commit or discard the change, then run check --fix again",
        )


def _owner(collision: Collision) -> str:
    claim: Claim | None = collision.owner or (collision.rivals[0] if collision.rivals else None)
    if claim is None:
        return "another change"
    if claim.source is ClaimSource.BASE:
        return "the base branch"
    return claim.who


def message(renumbered: Renumbered, collisions: Sequence[Collision]) -> str:
    """``Renumber console 0193 to 0195: 0193 is claimed by PR #3277`` (one line a move),
    and the trailer that tells the next run this commit is a fix."""
    by_path = {c.migration.identity: c for c in collisions}
    lines = []
    for move in renumbered.moves:
        m = move.migration
        collision = by_path.get((m.chain, m.name or m.path))
        owner = _owner(collision) if collision is not None else "another change"
        old = m.number_text
        if old and move.new_number and move.new_number != old:
            lines.append(
                f"Renumber {move.spec.name} {old} to {move.new_number}: {old} is claimed by {owner}"
            )
        else:
            parent = collision.parent if collision is not None and collision.parent else "a parent"
            lines.append(
                f"Re-parent {move.spec.name} {m.name or m.path} on the base branch's head: "
                f"{parent} is built on by {owner}"
            )
    if len(lines) == 1:
        return f"{lines[0]}\n\n{TRAILER}\n"
    subject = f"Renumber {len(lines)} migrations that others claim"
    return f"{subject}\n\n" + "\n".join(lines) + f"\n\n{TRAILER}\n"


def fix(
    workspace: Workspace,
    collisions: Sequence[Collision],
    where: PushTarget,
    *,
    base_sha: str | None,
    provider: str,
    open_prs: Path | None,
    pr_number: int | None,
    env: Mapping[str, str],
    forge_limits: ForgeLimits | None,
) -> Fixed:
    """Renumber, commit and push, or (on any failure after the files changed) leave HEAD, the
    index and the files as they were."""
    single = len(collisions) == 1 and collisions[0].kind is CollisionKind.NUMBER
    options = Options(
        to=(collisions[0].next_available or "next") if single else "next",
        base_sha=base_sha,
        provider=provider,
        open_prs=open_prs,
        down_revision=None,
        dry_run=False,
        force=False,
        allow_deployed=False,
        env=env,
        forge_limits=forge_limits,
        pr_number=pr_number,
    )
    root = workspace.root
    before = git.head_commit(cwd=root)
    targets = list(dict.fromkeys(target(c.migration.path, c.migration.name) for c in collisions))
    done = renumber(workspace=workspace, targets=targets, branch=False, options=options, cwd=root)
    text = message(done, collisions)
    try:
        commit = git.commit_files(text, done.paths, cwd=root)
    except GuardError as exc:
        git.restore_paths(done.paths, cwd=root)
        raise UndecidableError(
            f"could not commit the fix ({exc.message}); the renumber was undone, nothing "
            "was changed",
            hint=exc.hint,
        ) from exc
    problem = git.push(where.remote, f"HEAD:{where.ref}", cwd=root)
    if problem is not None:
        git.reset_keep(before, cwd=root)
        raise PushFailedError(
            f"could not push the fix to {where.remote} {where.branch}: {problem}; the local "
            f"commit was undone (HEAD is {before[:12]} again, the files as they were)",
            hint="the job needs `permissions: contents: write` and a checkout that keeps its "
            "credentials; or run the fix command above and push it yourself",
        )
    return Fixed(done, commit, text, where)
