"""The environment a CI job gives the CLI: GitHub Actions (with its event file) or GitLab CI,
pointed at a loopback fake forge. Tests set it with ``monkeypatch``; benchmarks with
``os.environ``."""

from __future__ import annotations

import json
from pathlib import Path

from testing.fake_forge import FakeForge


def github_actions(
    event_dir: Path,
    *,
    pr: int,
    forge: FakeForge | None = None,
    event_name: str = "pull_request",
    head_ref: str | None = None,
    head_sha: str | None = "1" * 40,
    head_repo: str | None = None,
    base_repo: str | None = None,
) -> dict[str, str]:
    """A pull-request job: the event file is written into ``event_dir``; with ``forge`` the
    job's token and API addresses point at it. ``head_repo``/``base_repo``: the event's
    ``head.repo.full_name`` and ``base.repo.full_name`` (a fork's head repo differs)."""
    head: dict[str, object] = {"ref": head_ref or f"pr-{pr}"}
    base: dict[str, object] = {"ref": "main", "sha": "0" * 40}
    if head_sha is not None:
        head["sha"] = head_sha
    if head_repo is not None:
        head["repo"] = {"full_name": head_repo}
    if base_repo is not None:
        base["repo"] = {"full_name": base_repo}
    event = event_dir / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": pr, "base": base, "head": head}}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_BASE_REF": "main",
    }
    if forge is not None:
        env |= {
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_TOKEN": forge.token,
            "GITHUB_API_URL": forge.github_api_url,
            "GITHUB_GRAPHQL_URL": forge.graphql_url,
        }
    return env


def gitlab_ci(forge: FakeForge, *, mr: int, base_sha: str) -> dict[str, str]:
    """A merge-request pipeline against ``forge``'s GitLab API, project 42."""
    return {
        "GITLAB_CI": "true",
        "CI_MERGE_REQUEST_IID": str(mr),
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base_sha,
        "CI_API_V4_URL": forge.gitlab_api_url,
        "GITLAB_TOKEN": forge.token,
    }
