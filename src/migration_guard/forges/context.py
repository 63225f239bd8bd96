"""Where are we running, and which provider lists the other open changes.

``detect_context(env)`` reads the CI environment into a ``CIContext``:

* GitHub Actions (``GITHUB_ACTIONS=true``): the event payload at ``GITHUB_EVENT_PATH``
  (``pull_request.number``, ``.base.ref``, ``.base.sha``, ``.head.sha``, ``.head.ref``,
  ``.head.repo.full_name`` and ``.base.repo.full_name`` (a fork's head repo differs); or a
  ``merge_group``), ``GITHUB_BASE_REF``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``.
  ``base_sha`` is the base branch tip when the event fired, not the merge base.
* GitLab CI (``GITLAB_CI=true``): ``CI_MERGE_REQUEST_IID``,
  ``CI_MERGE_REQUEST_TARGET_BRANCH_NAME``, ``CI_MERGE_REQUEST_DIFF_BASE_SHA`` (the merge base),
  ``CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`` or ``CI_COMMIT_SHA``, the project id and
  ``CI_API_V4_URL``.

``select_forge(provider, open_prs_file=, repo_root=, env=)`` builds the provider and says why:

* ``auto``: ``--open-prs FILE`` if given; else GitHub when ``GITHUB_REPOSITORY`` and a token
  (``GITHUB_TOKEN``/``GH_TOKEN``) are set; else GitLab when a project id and a token
  (``GITLAB_TOKEN``, ``MIGRATION_GUARD_GITLAB_TOKEN`` or, in GitLab CI, ``CI_JOB_TOKEN``) are
  set; else ``git`` (the fetched branches). In GitHub Actions *without* a token it refuses
  (``UsageError``) rather than quietly falling back to ``git``, which on a CI checkout sees no
  other branches and would report "no collisions".
* ``github``, ``gitlab``, ``gh-json`` (needs the file), ``git``: that provider, or a
  ``UsageError`` saying what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from migration_guard.errors import InputError, UsageError
from migration_guard.forges.base import Forge
from migration_guard.forges.gh_json import GhJsonForge
from migration_guard.forges.git_branches import GitBranchesForge
from migration_guard.forges.github import GitHubForge, GitHubSettings
from migration_guard.forges.gitlab import GitLabForge, GitLabSettings
from migration_guard.forges.http import ForgeLimits

PROVIDERS = ("auto", "github", "gitlab", "gh-json", "git")


@dataclass(frozen=True)
class CIContext:
    provider: Literal["github", "gitlab"]
    pr_number: int | None
    base_ref: str | None
    base_sha: str | None
    head_sha: str | None
    head_ref: str | None = None
    repository: str | None = None
    """``owner/name`` on GitHub, the project id (or path) on GitLab."""
    api_url: str | None = None
    event_name: str | None = None
    labels: tuple[str, ...] = ()  # the pull request's labels, when the event carries them
    head_repository: str | None = None
    """GitHub: the repository the pull request's head branch lives in (``owner/name``; a
    fork's differs from the base's)."""
    base_repository: str | None = None

    @property
    def same_repository(self) -> bool | None:
        """Whether the change's head branch is in the repository it targets (not a fork);
        None when the event does not say."""
        base = self.base_repository or self.repository
        if self.head_repository is None or base is None:
            return None
        return self.head_repository.lower() == base.lower()


@dataclass(frozen=True)
class ForgeSelection:
    forge: Forge
    reason: str


def detect_context(env: Mapping[str, str]) -> CIContext | None:
    """The CI run we are part of, or ``None`` outside GitHub Actions and GitLab CI."""
    if env.get("GITHUB_ACTIONS") == "true":
        return _github_context(env)
    if env.get("GITLAB_CI") == "true":
        return _gitlab_context(env)
    return None


def _github_context(env: Mapping[str, str]) -> CIContext:
    event = _read_event(env.get("GITHUB_EVENT_PATH"))
    pr = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    number = base_ref = base_sha = head_sha = head_ref = head_repo = base_repo = None
    if pr is not None:
        number = _opt_int(pr.get("number"), "pull_request.number")
        base = pr.get("base") if isinstance(pr.get("base"), dict) else {}
        head = pr.get("head") if isinstance(pr.get("head"), dict) else {}
        base_ref, base_sha = _opt_str(base.get("ref")), _opt_str(base.get("sha"))
        head_sha, head_ref = _opt_str(head.get("sha")), _opt_str(head.get("ref"))
        head_repo, base_repo = _repo_name(head), _repo_name(base)
    elif isinstance(event.get("merge_group"), dict):
        group = event["merge_group"]
        base_ref = _branch(_opt_str(group.get("base_ref")))
        base_sha, head_sha = _opt_str(group.get("base_sha")), _opt_str(group.get("head_sha"))
        head_ref = _branch(_opt_str(group.get("head_ref")))
    else:
        head_sha = env.get("GITHUB_SHA") or None
        head_ref = env.get("GITHUB_HEAD_REF") or _branch(env.get("GITHUB_REF") or None)
    return CIContext(
        provider="github",
        pr_number=number,
        base_ref=base_ref or env.get("GITHUB_BASE_REF") or None,
        base_sha=base_sha,
        head_sha=head_sha,
        head_ref=head_ref or env.get("GITHUB_HEAD_REF") or None,
        repository=env.get("GITHUB_REPOSITORY") or None,
        api_url=env.get("GITHUB_API_URL") or None,
        event_name=env.get("GITHUB_EVENT_NAME") or None,
        labels=_labels(pr),
        head_repository=head_repo,
        base_repository=base_repo,
    )


def _gitlab_context(env: Mapping[str, str]) -> CIContext:
    iid = env.get("CI_MERGE_REQUEST_IID") or None
    if iid is not None and not iid.isdigit():
        raise InputError(f"CI_MERGE_REQUEST_IID is not a number: {iid!r}")
    return CIContext(
        provider="gitlab",
        pr_number=int(iid) if iid else None,
        base_ref=env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or None,
        base_sha=env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or None,
        head_sha=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or env.get("CI_COMMIT_SHA") or None,
        head_ref=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or env.get("CI_COMMIT_REF_NAME")
        or None,
        repository=env.get("CI_MERGE_REQUEST_PROJECT_ID") or env.get("CI_PROJECT_ID") or None,
        api_url=env.get("CI_API_V4_URL") or None,
        event_name=env.get("CI_PIPELINE_SOURCE") or None,
        labels=tuple(
            label.strip()
            for label in (env.get("CI_MERGE_REQUEST_LABELS") or "").split(",")
            if label.strip()
        ),
    )


def _read_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read GITHUB_EVENT_PATH {path}: {exc.strerror}") from None
    except ValueError:
        raise InputError(f"GITHUB_EVENT_PATH {path} is not valid JSON") from None
    except RecursionError:
        raise InputError(
            f"GITHUB_EVENT_PATH {path} nests its JSON too deeply to be a GitHub event"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"GITHUB_EVENT_PATH {path} does not hold a JSON object")
    return data


def _repo_name(side: dict[str, Any]) -> str | None:
    """``head.repo.full_name`` (or ``base.repo.full_name``); None when absent (a deleted
    fork's head has ``repo: null``)."""
    repo = side.get("repo")
    return _opt_str(repo.get("full_name")) if isinstance(repo, dict) else None


def _labels(pr: dict[str, Any] | None) -> tuple[str, ...]:
    labels = pr.get("labels") if pr is not None else None
    if not isinstance(labels, list):
        return ()
    return tuple(
        label["name"]
        for label in labels
        if isinstance(label, dict) and isinstance(label.get("name"), str)
    )


def _branch(ref: str | None) -> str | None:
    if ref and ref.startswith("refs/heads/"):
        return ref[len("refs/heads/") :]
    return ref


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"GITHUB_EVENT_PATH: {what} is not a number")
    return value


def _has_github_token(env: Mapping[str, str]) -> bool:
    return bool(env.get("GITHUB_TOKEN") or env.get("GH_TOKEN"))


def _has_gitlab(env: Mapping[str, str]) -> bool:
    project = env.get("CI_MERGE_REQUEST_PROJECT_ID") or env.get("CI_PROJECT_ID")
    token = env.get("GITLAB_TOKEN") or env.get("MIGRATION_GUARD_GITLAB_TOKEN")
    job = env.get("GITLAB_CI") == "true" and env.get("CI_JOB_TOKEN")
    return bool(project and (token or job))


def select_forge(
    provider: str,
    *,
    open_prs_file: Path | None,
    repo_root: Path | None,
    env: Mapping[str, str],
    limits: ForgeLimits | None = None,
) -> ForgeSelection:
    """Build the provider named by ``--provider`` (``auto`` decides from the environment).
    ``limits``: the GitHub/GitLab client's deadlines and size cap (default: from ``env``)."""
    if limits is None:
        limits = ForgeLimits.resolve(env)
    if provider not in PROVIDERS:
        raise UsageError(f"unknown forge {provider!r}; choose one of {', '.join(PROVIDERS)}")
    if open_prs_file is not None and provider not in ("auto", "gh-json"):
        raise UsageError(f"--open-prs cannot be combined with --provider {provider}")
    if provider == "gh-json" or (provider == "auto" and open_prs_file is not None):
        if open_prs_file is None:
            raise UsageError("--provider gh-json needs --open-prs FILE")
        return ForgeSelection(
            GhJsonForge.from_file(open_prs_file), f"open pull requests read from {open_prs_file}"
        )
    if provider == "github":
        return ForgeSelection(
            GitHubForge(GitHubSettings.from_env(env), limits=limits), "--provider github"
        )
    if provider == "gitlab":
        return ForgeSelection(
            GitLabForge(GitLabSettings.from_env(env), limits=limits), "--provider gitlab"
        )
    if provider == "auto":
        in_actions = env.get("GITHUB_ACTIONS") == "true"
        if env.get("GITHUB_REPOSITORY") and _has_github_token(env):
            settings = GitHubSettings.from_env(env)
            where = "GitHub Actions" if in_actions else "GITHUB_REPOSITORY"
            return ForgeSelection(
                GitHubForge(settings, limits=limits),
                f"{where} with a token: GitHub API for {settings.repository}",
            )
        if in_actions:
            raise UsageError(
                "running in GitHub Actions without a token: cannot list the open pull requests",
                hint="Add `env: GITHUB_TOKEN: ${{ github.token }}` to the step (and "
                "`permissions: pull-requests: read`), or choose --provider git explicitly.",
            )
        if _has_gitlab(env):
            settings_gl = GitLabSettings.from_env(env)
            return ForgeSelection(
                GitLabForge(settings_gl, limits=limits),
                f"GitLab project {settings_gl.project} with a "
                f"{'job' if settings_gl.token_kind == 'job' else 'access'} token",
            )
    if repo_root is None:
        raise UsageError("--provider git needs a git repository")
    reason = "--provider git" if provider == "git" else "no forge settings in the environment"
    return ForgeSelection(
        GitBranchesForge(repo_root),
        f"{reason}: open changes are the branches fetched into this clone",
    )
