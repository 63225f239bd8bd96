from __future__ import annotations

import json
from pathlib import Path

import pytest

from migration_guard.errors import InputError, UsageError
from migration_guard.forges.context import CIContext, detect_context, select_forge
from migration_guard.forges.gh_json import GhJsonForge
from migration_guard.forges.git_branches import GitBranchesForge
from migration_guard.forges.github import GitHubForge
from migration_guard.forges.gitlab import GitLabForge


def event_file(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def test_github_pull_request_event(tmp_path: Path) -> None:
    payload = {
        "pull_request": {
            "number": 3322,
            "base": {"ref": "main", "sha": "b" * 40},
            "head": {"ref": "feat/x", "sha": "h" * 40},
        }
    }
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": event_file(tmp_path, payload),
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_BASE_REF": "main",
        "GITHUB_SHA": "m" * 40,
        "GITHUB_API_URL": "https://api.github.com",
    }
    assert detect_context(env) == CIContext(
        provider="github",
        pr_number=3322,
        base_ref="main",
        base_sha="b" * 40,
        head_sha="h" * 40,
        head_ref="feat/x",
        repository="acme/app",
        api_url="https://api.github.com",
        event_name="pull_request_target",
    )


@pytest.mark.parametrize(
    ("head_repo", "base_repo", "same"),
    [
        ({"full_name": "acme/app"}, {"full_name": "acme/app"}, True),
        ({"full_name": "Acme/App"}, None, True),  # (falls back on GITHUB_REPOSITORY)
        ({"full_name": "someone/app", "fork": True}, {"full_name": "acme/app"}, False),
        (None, {"full_name": "acme/app"}, None),  # a deleted fork: repo is null
    ],
)
def test_github_head_repository_tells_a_fork(
    tmp_path: Path, head_repo: object, base_repo: object, same: bool | None
) -> None:
    head: dict[str, object] = {"ref": "feat/x", "sha": "h" * 40, "repo": head_repo}
    base: dict[str, object] = {"ref": "main", "sha": "b" * 40}
    if base_repo is not None:
        base["repo"] = base_repo
    payload = {"pull_request": {"number": 7, "base": base, "head": head}}
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_PATH": event_file(tmp_path, payload),
        "GITHUB_REPOSITORY": "acme/app",
    }
    ctx = detect_context(env)
    assert ctx is not None
    assert ctx.head_repository == (head_repo["full_name"] if isinstance(head_repo, dict) else None)
    assert ctx.same_repository is same


def test_github_merge_group_and_push(tmp_path: Path) -> None:
    group = {
        "merge_group": {
            "base_ref": "refs/heads/main",
            "base_sha": "b" * 40,
            "head_sha": "q" * 40,
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-1-abc",
        }
    }
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": event_file(tmp_path, group)}
    ctx = detect_context(env)
    assert ctx is not None
    assert (ctx.pr_number, ctx.base_ref, ctx.base_sha, ctx.head_sha) == (
        None,
        "main",
        "b" * 40,
        "q" * 40,
    )
    push = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "s" * 40, "GITHUB_REF": "refs/heads/dev"}
    ctx = detect_context(push)
    assert ctx is not None
    assert (ctx.pr_number, ctx.base_ref, ctx.head_sha, ctx.head_ref) == (
        None,
        None,
        "s" * 40,
        "dev",
    )


def test_github_bad_event_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="is not valid JSON"):
        detect_context({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(bad)})
    with pytest.raises(InputError, match="cannot read GITHUB_EVENT_PATH"):
        detect_context({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(tmp_path / "no")})
    path = event_file(tmp_path, {"pull_request": {"number": "7"}})
    with pytest.raises(InputError, match=r"pull_request\.number is not a number"):
        detect_context({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": path})


def test_gitlab_merge_request_pipeline() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_MERGE_REQUEST_IID": "12",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": "b" * 40,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat",
        "CI_COMMIT_SHA": "c" * 40,
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_PROJECT_ID": "8",
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PIPELINE_SOURCE": "merge_request_event",
    }
    assert detect_context(env) == CIContext(
        provider="gitlab",
        pr_number=12,
        base_ref="main",
        base_sha="b" * 40,
        head_sha="c" * 40,
        head_ref="feat",
        repository="8",
        api_url="https://gitlab.example/api/v4",
        event_name="merge_request_event",
    )
    merged_results = {**env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "s" * 40}
    ctx = detect_context(merged_results)
    assert ctx is not None and ctx.head_sha == "s" * 40
    with pytest.raises(InputError, match="CI_MERGE_REQUEST_IID is not a number"):
        detect_context({**env, "CI_MERGE_REQUEST_IID": "x"})


def test_no_ci() -> None:
    assert detect_context({}) is None
    assert detect_context({"GITHUB_ACTIONS": "false"}) is None


# -- select_forge ----------------------------------------------------------------------------


def test_auto_prefers_the_open_prs_file(tmp_path: Path) -> None:
    prs = tmp_path / "prs.json"
    prs.write_text("[]", encoding="utf-8")
    env = {"GITHUB_REPOSITORY": "acme/app", "GITHUB_TOKEN": "t"}
    chosen = select_forge("auto", open_prs_file=prs, repo_root=tmp_path, env=env)
    assert isinstance(chosen.forge, GhJsonForge)
    assert chosen.reason == f"open pull requests read from {prs}"


def test_auto_github_gitlab_git(tmp_path: Path) -> None:
    gh = select_forge(
        "auto",
        open_prs_file=None,
        repo_root=tmp_path,
        env={"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/app", "GITHUB_TOKEN": "t0k"},
    )
    assert isinstance(gh.forge, GitHubForge)
    assert gh.reason == "GitHub Actions with a token: GitHub API for acme/app"
    assert "t0k" not in repr(gh)
    gl = select_forge(
        "auto",
        open_prs_file=None,
        repo_root=tmp_path,
        env={"GITLAB_CI": "true", "CI_PROJECT_ID": "7", "CI_JOB_TOKEN": "j"},
    )
    assert isinstance(gl.forge, GitLabForge)
    assert gl.reason == "GitLab project 7 with a job token"
    git = select_forge("auto", open_prs_file=None, repo_root=tmp_path, env={})
    assert isinstance(git.forge, GitBranchesForge)
    assert git.reason == (
        "no forge settings in the environment: open changes are the branches fetched into "
        "this clone"
    )


def test_auto_in_actions_without_token_refuses(tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/app"}
    with pytest.raises(UsageError, match="GitHub Actions without a token") as info:
        select_forge("auto", open_prs_file=None, repo_root=tmp_path, env=env)
    assert info.value.hint is not None and "github.token" in info.value.hint
    # Explicitly asking for git is allowed.
    chosen = select_forge("git", open_prs_file=None, repo_root=tmp_path, env=env)
    assert isinstance(chosen.forge, GitBranchesForge)


def test_explicit_providers_say_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="GITHUB_REPOSITORY"):
        select_forge("github", open_prs_file=None, repo_root=tmp_path, env={})
    with pytest.raises(UsageError, match="needs a token"):
        select_forge(
            "github", open_prs_file=None, repo_root=tmp_path, env={"GITHUB_REPOSITORY": "a/b"}
        )
    with pytest.raises(UsageError, match="CI_PROJECT_ID"):
        select_forge("gitlab", open_prs_file=None, repo_root=tmp_path, env={})
    with pytest.raises(UsageError, match="needs --open-prs FILE"):
        select_forge("gh-json", open_prs_file=None, repo_root=tmp_path, env={})
    with pytest.raises(UsageError, match="cannot be combined with --provider github"):
        select_forge("github", open_prs_file=tmp_path / "x", repo_root=tmp_path, env={})
    with pytest.raises(UsageError, match="unknown forge 'bitbucket'"):
        select_forge("bitbucket", open_prs_file=None, repo_root=tmp_path, env={})
    with pytest.raises(UsageError, match="needs a git repository"):
        select_forge("git", open_prs_file=None, repo_root=None, env={})
    gl = select_forge(
        "gitlab",
        open_prs_file=None,
        repo_root=None,
        env={"CI_PROJECT_ID": "7", "GITLAB_TOKEN": "t"},
    )
    assert isinstance(gl.forge, GitLabForge) and gl.reason == "--provider gitlab"
