"""``migration-guard check``: this change's new migrations against every other claim."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from migration_guard import check_report, git
from migration_guard.collisions import detect
from migration_guard.errors import GuardError, UndecidableError, UsageError
from migration_guard.forges.base import Forge
from migration_guard.forges.context import CIContext, detect_context
from migration_guard.forges.http import ForgeLimits
from migration_guard.redact import scrub
from migration_guard.reservations import claims as reservation_claims
from migration_guard.reservations import slug_of
from migration_guard.services import fixing
from migration_guard.services.history import history_edits
from migration_guard.services.reservations import DEFAULT_REMOTE
from migration_guard.services.sources import (
    Sources,
    changed_migrations,
    gather_sources,
    local_tree,
    ranked,
    resolve_base,
    self_claims,
)
from migration_guard.services.touched import NO_MIGRATIONS_TOUCHED, touches_chains
from migration_guard.tree import GitTree
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace

COMMENT_MARKER = check_report.COMMENT_MARKER


def run(
    *,
    workspace: Workspace,
    base_sha: str | None,
    head: str,
    pr_number: int | None,
    provider: str,
    open_prs: Path | None,
    post_comment: bool,
    output_format: str,
    out: TextIO,
    env: Mapping[str, str] | None = None,
    forge_limits: ForgeLimits | None = None,
    fix: bool = False,
    ui: Ui = DEFAULT,
    program: str = check_report.PROGRAM,
) -> int:
    env = dict(os.environ if env is None else env)
    if fix and head != "HEAD":
        raise UsageError("--fix commits on the checkout: it cannot be combined with --head")
    if not workspace.in_git:
        raise UsageError("check needs a git repository", hint="run it inside your clone")
    if not workspace.config.chains:
        config = workspace.config
        raise config.nothing_to(
            f"no migration chains to check ({config.source})"
            + ("" if config.notes else ": nothing found that Alembic or sqitch would read"),
            hint="add migration-guard.toml with a [[chains]] table per chain (kind, path); see "
            "docs/config.md",
        )
    context = detect_context(env)
    if pr_number is None:
        pr_number = context.pr_number if context is not None and context.pr_number else 0
    base, base_ref = resolve_base(workspace, base_sha, env)
    head_commit = _head_commit(workspace, head, context, pr_number)
    base_commit = git.resolve_commit(base, cwd=workspace.root)
    merge_base = git.merge_base(base_commit, head_commit, cwd=workspace.root)
    local = context is None and head == "HEAD"
    if (
        output_format in ("text", "github")
        and not fix
        and open_prs is None  # a file given is read, and a bad one is an error
        and not touches_chains(
            workspace, merge_base=merge_base, head=head_commit, working_tree=local
        )
    ):
        # The fast exit: a required check runs on every pull request (no `paths:` filter).
        if not ui.quiet:
            print(f"{program}: base={base!r} pr={pr_number}", file=out)
            print(NO_MIGRATIONS_TOUCHED, file=out)
        summary = env.get("GITHUB_STEP_SUMMARY") if output_format == "github" else None
        if summary:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(f"### Migration number check\n{NO_MIGRATIONS_TOUCHED}\n")
        if post_comment:
            _clear_comment(
                workspace, provider, open_prs, env, forge_limits, pr_number, program=program
            )
        return 0
    tree, dirty = (None, []) if context is not None or head != "HEAD" else local_tree(workspace)
    new, removed = changed_migrations(workspace, merge_base=merge_base, head=head_commit, tree=tree)
    branch = git.current_branch(cwd=workspace.root) if head == "HEAD" else head
    sources = gather_sources(
        workspace,
        base=base,
        base_ref=base_ref,
        provider=provider,
        open_prs=open_prs,
        exclude_number=pr_number or None,
        exclude_head=head_commit,
        exclude_refs=[branch, f"origin/{branch}"] if branch else [],
        env=env,
        forge_limits=forge_limits,
        reservations_remote=DEFAULT_REMOTE,
    )
    own = sources.own_change
    own_pr = pr_number or (own.number if own is not None else None)
    mine = self_claims(
        workspace,
        new,
        pr=own_pr,
        head=head_commit,
        base=base_commit,
        rank_by_time=own_pr is None and sources.provider == "git",
        uncommitted=dirty,
    )
    # A reservation made from this change's branch, or for one of its migrations (same
    # slug), is its own; every other one outranks it.
    slugs: dict[str, list[str]] = {}
    for migration in new:
        slugs.setdefault(migration.chain, []).append(slug_of(migration.name))
    heads = [b for b in (branch, context.head_ref if context is not None else None) if b]
    others = [
        *ranked(workspace, sources, mine, base=base_commit),
        *reservation_claims(sources.reservations, branches=heads, slugs=slugs),
    ]
    outcome = detect(mine, sources.chains_without(removed), others)
    history = history_edits(
        workspace,
        merge_base=merge_base,
        head=None if tree is not None else head_commit,
        head_tree=tree if tree is not None else GitTree(workspace.root, head_commit),
        labels=context.labels if context is not None else (),
    )
    report = check_report.CheckReport(
        pr=pr_number, sources=sources, outcome=outcome, history=tuple(history), program=program
    )
    if post_comment:
        _can_post(sources, pr_number)
    _notes(ui, sources, new)
    check_report.emit(report, output_format, out=out, env=env, ui=ui)
    if post_comment:
        try:
            _post(report, sources, pr_number)
        except GuardError as exc:
            if report.ok:
                raise  # nothing else to report: the failure is the result (exit 3)
            # The collision is the finding: a comment that could not be posted does not
            # turn "FAIL" into "could not decide". Say so, and keep exit 1.
            print(
                f"migration-guard check: could not post the comment on PR #{pr_number}: "
                f"{exc.message}",
                file=sys.stderr,
            )
            if exc.hint:
                print(f"  hint: {exc.hint}", file=sys.stderr)
    if fix:
        said = out if output_format == "text" else sys.stderr  # machine formats stay valid
        return _fix(
            workspace,
            report,
            context,
            head_commit,
            said,
            base_sha=base_sha,
            provider=provider,
            open_prs=open_prs,
            pr_number=pr_number or None,
            env=env,
            forge_limits=forge_limits,
        )
    return exit_code(report)


def _fix(
    workspace: Workspace,
    report: check_report.CheckReport,
    context: CIContext | None,
    head_commit: str,
    said: TextIO,
    **sources: Any,
) -> int:
    """``--fix``: when this change must move, renumber it, commit and push (services/fixing);
    the re-run on the pushed commit decides, so a fix exits 1 too."""
    code = exit_code(report)
    collisions = fixing.fixable(report.outcome.collisions)
    if not collisions:
        if not report.ok:
            print("Not fixed: nothing here that a renumber settles (see above).", file=said)
        return code
    if not report.sources.complete:
        print(
            "Not fixed: not every open change could be seen, so the next free number is not "
            "certain.",
            file=said,
        )
        return code
    if fixing.last_commit_is_fix(workspace, head_commit):
        print(
            f"Not fixed: the last commit ({head_commit[:12]}) already is a migration-guard fix "
            f"({fixing.TRAILER!r}), and a fix is never stacked on a fix; renumber by hand with "
            "the command above.",
            file=said,
        )
        return 1
    if context is not None and git.head_commit(cwd=workspace.root) != head_commit:
        raise UsageError(
            "--fix commits on the checkout, and under pull_request_target it is the base branch",
            hint="check out the pull request's head (actions/checkout with "
            "ref: ${{ github.event.pull_request.head.sha }})",
        )
    if context is not None and context.head_sha and head_commit != context.head_sha:
        raise UsageError(
            f"--fix commits on the checkout, and it is not the pull request's head commit "
            f"{context.head_sha[:12]} (actions/checkout checks out a merge commit by default)",
            hint="check out the pull request's head (actions/checkout with "
            "ref: ${{ github.event.pull_request.head.sha }})",
        )
    where = fixing.push_target(workspace, context)
    if isinstance(where, fixing.Declined):
        print(f"Not fixed: {where.reason}.", file=said)
        return 1
    fixing.refuse_uncommitted(workspace)
    fixed = fixing.fix(workspace, collisions, where, **sources)
    print(fixed.summary(), file=said)
    return 1


def _head_commit(workspace: Workspace, head: str, context: CIContext | None, pr_number: int) -> str:
    """The commit that is the change under check. Under ``pull_request_target`` the checkout
    is the *base* branch: the change is the event's head commit, fetched when missing."""
    if (
        head != "HEAD"
        or context is None
        or context.event_name != "pull_request_target"
        or not context.head_sha
    ):
        return git.resolve_commit(head, cwd=workspace.root)
    sha = context.head_sha
    if not git.commit_exists(sha, cwd=workspace.root) and pr_number:
        git.fetch_ref(f"refs/pull/{pr_number}/head", cwd=workspace.root)
    if not git.commit_exists(sha, cwd=workspace.root):
        raise UndecidableError(
            f"under pull_request_target the checkout is the base branch, and the pull "
            f"request's head {sha[:12]} is not in this clone (fetching "
            f"refs/pull/{pr_number or 'N'}/head failed)",
            hint="check out the PR head (actions/checkout with ref: "
            "${{ github.event.pull_request.head.sha }}) or fetch it, then rerun",
        )
    return sha


def _notes(ui: Ui, sources: Sources, new: Sequence[object]) -> None:
    """``--verbose``: what the verdict was built from."""
    for name, state in sources.base_states.items():
        ui.note(f"base {sources.base}: {name} has {len(state.migrations)} migration(s)")
    ui.note(f"this change adds {len(new)} migration file(s)")
    ui.note(
        f"open changes via {sources.provider} ({sources.provider_note}): "
        f"{sources.changes_scanned} read, {len(sources.claims)} migration file(s) in them, "
        f"{sources.requests} forge request(s)"
    )
    if sources.reservations_from is not None:
        ui.note(f"{len(sources.reservations)} reservation(s) on {sources.reservations_from}")


def exit_code(report: check_report.CheckReport) -> int:
    if not report.ok:
        return 1
    return 0 if report.sources.complete else 3


def _can_post(sources: Sources, pr_number: int) -> Forge:
    forge = sources.forge
    if forge is None or not forge.supports_comments:
        raise UsageError(
            f"--post-comment needs the github or gitlab provider (used: {sources.provider})",
            hint="set GITHUB_TOKEN (or GITLAB_TOKEN) so the forge can be asked and written to",
        )
    if not pr_number:
        raise UsageError("--post-comment needs the PR number (--pr-number N)")
    return forge


def _post(report: check_report.CheckReport, sources: Sources, pr_number: int) -> None:
    """The sticky comment: created on a collision, updated in place while it exists."""
    forge = _can_post(sources, pr_number)
    body = scrub(check_report.markdown(report, marker=COMMENT_MARKER))
    result = forge.upsert_comment(pr_number, COMMENT_MARKER, body, create=not report.ok)
    what = {
        "created": "posted a comment on",
        "updated": "updated the comment on",
        "unchanged": "comment already up to date on",
        "skipped": "no collision and no earlier comment: nothing posted on",
    }[result.action]
    print(f"migration-guard check: {what} PR #{pr_number}", file=sys.stderr)
    if result.note:
        print(f"migration-guard check: note: {result.note}", file=sys.stderr)


def _clear_comment(
    workspace: Workspace,
    provider: str,
    open_prs: Path | None,
    env: Mapping[str, str],
    forge_limits: ForgeLimits | None,
    pr_number: int,
    *,
    program: str,
) -> None:
    """``--post-comment`` on a change that touches no chain: an earlier sticky comment (a
    collision the change has since dropped) is updated; none is created."""
    from migration_guard.forges.context import select_forge

    forge = None
    if provider != "none":
        forge = select_forge(
            provider, open_prs_file=open_prs, repo_root=workspace.root, env=env, limits=forge_limits
        ).forge
    if forge is None or not forge.supports_comments:
        raise UsageError(
            f"--post-comment needs the github or gitlab provider (used: "
            f"{forge.name if forge is not None else provider})",
            hint="set GITHUB_TOKEN (or GITLAB_TOKEN) so the forge can be asked and written to",
        )
    if not pr_number:
        raise UsageError("--post-comment needs the PR number (--pr-number N)")
    body = check_report.untouched_markdown(COMMENT_MARKER)
    result = forge.upsert_comment(pr_number, COMMENT_MARKER, body, create=False)
    if result.action in ("updated", "unchanged"):
        print(f"{program}: updated the comment on PR #{pr_number}", file=sys.stderr)
