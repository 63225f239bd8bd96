"""``migration-guard check``: this change's new migration numbers against every other claim."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from migration_guard import check_report, git
from migration_guard.chains import read_chain
from migration_guard.collisions import Claim, ClaimSource, Outcome, detect
from migration_guard.errors import ForgeError, UsageError
from migration_guard.forges.base import Forge, OpenChange, others
from migration_guard.model import ChainKind, ChainSpec, Migration
from migration_guard.paths import PathRule, classify, rules_for
from migration_guard.tree import GitTree
from migration_guard.workspace import Workspace

COMMENT_MARKER = "migration-guard:check"
_CLAIMING_STATUSES = {"added", "renamed", "copied", "unknown"}


@dataclass(frozen=True)
class Sources:
    """Everything ``check`` and ``next`` compare against, read once."""

    base: str
    base_ref: str
    provider: str
    provider_note: str
    base_migrations: tuple[Migration, ...]
    claims: tuple[Claim, ...]
    changes_scanned: int
    complete: bool
    problems: tuple[str, ...]
    requests: int
    forge: Forge | None


def resolve_base(
    workspace: Workspace, base_sha: str | None, env: Mapping[str, str]
) -> tuple[str, str]:
    """(base revision to read, base branch name for filtering open changes)."""
    from migration_guard.forges.context import detect_context

    context = detect_context(env)
    branch = context.base_ref if context is not None else None
    if base_sha is None:
        if context is not None and branch:
            remote_ref = f"origin/{branch}"
            has_remote = (
                git.run_git(
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    f"{remote_ref}^{{commit}}",
                    cwd=workspace.root,
                    check=False,
                ).returncode
                == 0
            )
            base_sha = remote_ref if has_remote else (context.base_sha or remote_ref)
        else:
            base_sha = workspace.config.base or "origin/main"
    if not branch:
        branch = base_sha.split("/", 1)[1] if base_sha.startswith("origin/") else None
    if not branch:
        configured = workspace.config.base or "origin/main"
        branch = configured.split("/", 1)[1] if "/" in configured else configured
    return base_sha, branch


def gather_sources(
    workspace: Workspace,
    *,
    base: str,
    base_ref: str,
    provider: str,
    open_prs: Path | None,
    exclude_number: int | None,
    exclude_head: str | None,
    exclude_refs: Sequence[str],
    env: Mapping[str, str],
) -> Sources:
    from migration_guard.forges.context import select_forge

    base_tree = GitTree(workspace.root, base)
    specs = workspace.config.chains
    base_migrations = tuple(m for s in specs for m in read_chain(base_tree, s).migrations)
    if provider == "none":
        return Sources(
            base,
            base_ref,
            "none",
            "--provider none: base branch only",
            base_migrations,
            (),
            0,
            True,
            (),
            0,
            None,
        )
    selection = select_forge(provider, open_prs_file=open_prs, repo_root=workspace.root, env=env)
    forge = selection.forge
    listing = forge.open_changes(base_ref)
    changes = others(
        listing.changes, number=exclude_number, head_sha=exclude_head, refs=exclude_refs
    )
    rules = rules_for(base_tree, specs)
    claims, problems = _claims(changes, rules, specs, base_tree, forge, base_migrations)
    return Sources(
        base=base,
        base_ref=base_ref,
        provider=forge.name,
        provider_note=selection.reason,
        base_migrations=base_migrations,
        claims=tuple(claims),
        changes_scanned=len(changes),
        complete=listing.complete and not problems,
        problems=(*listing.problems, *problems),
        requests=listing.requests,
        forge=forge,
    )


def _claims(
    changes: Sequence[OpenChange],
    rules: Sequence[PathRule],
    specs: Sequence[ChainSpec],
    base_tree: GitTree,
    forge: Forge,
    base_migrations: Sequence[Migration],
) -> tuple[list[Claim], list[str]]:
    claims: dict[tuple[str, int, str, str], Claim] = {}
    base_names = {(m.chain, m.name) for m in base_migrations}
    for change in changes:
        for changed in change.files:
            if changed.status not in _CLAIMING_STATUSES:
                continue
            migration = classify(changed.path, rules)
            if migration is None or (migration.chain, migration.name) in base_names:
                continue
            key = (migration.chain, migration.number, migration.name, change.ref)
            claims.setdefault(
                key,
                Claim(
                    migration.chain,
                    migration.number,
                    migration.path,
                    ClaimSource.PR,
                    pr=change.number,
                    ref=change.ref,
                    name=migration.name,
                ),
            )
    problems: list[str] = []
    sqitch_specs = [s for s in specs if s.kind is ChainKind.SQITCH]
    if sqitch_specs and forge.supports_read_files:
        from migration_guard.chains import sqitch

        for change in changes:
            touched = {f.path for f in change.files}
            plans = [s for s in sqitch_specs if s.path in touched]
            if not plans:
                continue
            try:
                contents = forge.read_files(change, [s.path for s in plans])
            except ForgeError as exc:
                problems.append(f"could not read the sqitch plan of {change.label}: {exc}")
                continue
            for spec in plans:
                data = contents.get(spec.path)
                if data is None:
                    continue
                for migration in sqitch.plan_migrations(data, spec):
                    if (spec.name, migration.name) in base_names:
                        continue
                    key = (spec.name, migration.number, migration.name, change.ref)
                    claims.setdefault(
                        key,
                        Claim(
                            spec.name,
                            migration.number,
                            spec.path,
                            ClaimSource.PR,
                            pr=change.number,
                            ref=change.ref,
                            name=migration.name,
                        ),
                    )
    return list(claims.values()), problems


def new_migrations(workspace: Workspace, *, merge_base: str, head: str) -> list[Migration]:
    """Migrations in ``head`` that ``merge_base`` does not have (added or renamed)."""
    before_tree = GitTree(workspace.root, merge_base)
    after_tree = GitTree(workspace.root, head)
    found = []
    for spec in workspace.config.chains:
        if not after_tree.exists(spec.path):
            continue
        before = (
            {(m.path, m.name) for m in read_chain(before_tree, spec).migrations}
            if before_tree.exists(spec.path)
            else set()
        )
        found += [
            m for m in read_chain(after_tree, spec).migrations if (m.path, m.name) not in before
        ]
    return found


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
) -> int:
    from migration_guard.forges.context import detect_context

    env = dict(os.environ if env is None else env)
    if not workspace.in_git:
        raise UsageError("check needs a git repository", hint="run it inside your clone")
    context = detect_context(env)
    if pr_number is None:
        pr_number = context.pr_number if context is not None and context.pr_number else 0
    base, base_ref = resolve_base(workspace, base_sha, env)
    head_commit = git.resolve_commit(head, cwd=workspace.root)
    base_commit = git.resolve_commit(base, cwd=workspace.root)
    merge_base = git.merge_base(base_commit, head_commit, cwd=workspace.root)
    new = new_migrations(workspace, merge_base=merge_base, head=head_commit)
    branch = git.git_text("rev-parse", "--abbrev-ref", head, cwd=workspace.root).strip()
    sources = gather_sources(
        workspace,
        base=base,
        base_ref=base_ref,
        provider=provider,
        open_prs=open_prs,
        exclude_number=pr_number or None,
        exclude_head=head_commit,
        exclude_refs=[branch, f"origin/{branch}"] if branch and branch != "HEAD" else [],
        env=env,
    )
    widths = {s.name: s.width for s in workspace.config.chains}
    outcome = detect(new, sources.base_migrations, sources.claims, widths=widths)
    report = check_report.CheckReport(pr=pr_number, sources=sources, outcome=outcome)
    if post_comment:
        _can_post(sources, pr_number)
    check_report.emit(report, output_format, out=out, env=env)
    if post_comment:
        _post(report, sources, pr_number)
    return exit_code(outcome, sources)


def exit_code(outcome: Outcome, sources: Sources) -> int:
    if not outcome.ok:
        return 1
    return 0 if sources.complete else 3


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
    body = check_report.markdown(report, marker=COMMENT_MARKER)
    result = forge.upsert_comment(pr_number, COMMENT_MARKER, body, create=not report.outcome.ok)
    what = {
        "created": "posted a comment on",
        "updated": "updated the comment on",
        "unchanged": "comment already up to date on",
        "skipped": "no collision and no earlier comment: nothing posted on",
    }[result.action]
    print(f"migration-guard check: {what} PR #{pr_number}", file=sys.stderr)
