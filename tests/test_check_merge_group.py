"""``check`` in a GitHub merge queue (the ``merge_group`` event the workflow ``init`` writes
triggers on): the group is its pull request, which keeps a number it was first to claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.cli import run
from testing.fake_forge import FakeForge
from testing.gitrepo import GitRepo
from testing.incident import main_at_0144

from migration_guard import sample

V = sample.CONSOLE_VERSIONS


def _queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeForge, pr: int) -> GitRepo:
    """Main at 0144; PRs #3277 and #3322 both add console 0145; the queue's group for PR
    ``pr`` (main merged with it) is checked out, as actions/checkout does on merge_group."""
    repo = main_at_0144(tmp_path)
    repo.push("main")
    base = repo.git("rev-parse", "HEAD").strip()
    for number, slug in ((3277, "promote_my_feature"), (3322, "add_refund_audit")):
        repo.git("checkout", "-q", "-b", f"pr-{number}", "main")
        repo.write(f"{V}/0145_{slug}.py", sample.alembic_script("0145", "0144", slug, table=slug))
        repo.commit_all(f"add 0145 ({number})")
        repo.push(f"pr-{number}")
        fake.add_pr(number, [f"{V}/0145_{slug}.py"], head=f"pr-{number}")
    group = f"gh-readonly-queue/main/pr-{pr}-{base}"
    repo.git("checkout", "-q", "-b", group, "main")
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr}", f"pr-{pr}")
    head = repo.git("rev-parse", "HEAD").strip()
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "merge_group": {
                    "base_ref": "refs/heads/main",
                    "base_sha": base,
                    "head_sha": head,
                    "head_ref": f"refs/heads/{group}",
                }
            }
        )
    )
    for key, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "merge_group",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_API_URL": fake.github_api_url,
        "GITHUB_GRAPHQL_URL": fake.graphql_url,
        "GITHUB_TOKEN": fake.token,
    }.items():
        monkeypatch.setenv(key, value)
    return repo


def test_the_first_pr_passes_the_queue_and_the_later_one_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeForge() as fake:
        repo = _queue(tmp_path / "first", monkeypatch, fake, 3277)
        code, out, err = run(repo, capsys, "check", "--format", "github")
        assert code == 0, out + err
        lines = out.splitlines()
        assert f"  [console] 0145 — {V}/0145_promote_my_feature.py" in lines
        assert f"NOTE [console] 0145 — {V}/0145_promote_my_feature.py" in "\n".join(lines)
        assert lines[-1] == "No migration-number collisions detected. OK."

    with FakeForge() as fake:
        repo = _queue(tmp_path / "second", monkeypatch, fake, 3322)
        code, out, err = run(repo, capsys, "check", "--format", "github")
        assert code == 1, out + err
        assert "  PR #3277 opened first and keeps it: this PR must move" in out.splitlines()
