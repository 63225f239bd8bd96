"""History is immutable: ``check`` fails a change that edits a migration the base already has,
unless it is accepted (config, PR label, a ``recover`` commit). Real git, real sqitch rework."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from testing.cli import run
from testing.gitrepo import GitRepo

from migration_guard import sample
from migration_guard.services.history import ACCEPT_LABEL, RECOVER_TRAILER

V = sample.CONSOLE_VERSIONS
PLAN = sample.QUEUE_PLAN
SQITCH_DIR = PLAN.rsplit("/", 1)[0]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def test_editing_a_merged_alembic_migration_fails(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(p for p in sorted((repo.path / V).iterdir()) if p.name.startswith("0150_"))
    rel = f"{V}/{path.name}"
    path.write_text(path.read_text() + "\n# tweak\n")
    repo.commit_all("tweak a merged migration")
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 1
    assert out.splitlines()[-4:] == [
        f"EDITED [console] {rel}: modified, but the base branch has it already",
        "  a migration that merged may have run somewhere: add a new migration instead",
        f"  to accept it on purpose: label the pull request '{ACCEPT_LABEL}', or list it in "
        "allow_edits of chain 'console'",
        "Found 1 edited migration(s) of the base branch. FAIL.",
    ]
    payload = json.loads(run(repo, capsys, "check", "--provider", "none", "--format", "json")[1])
    assert payload["ok"] is False
    assert payload["history"] == [
        {
            "chain": "console",
            "name": path.stem,
            "path": rel,
            "what": "modified",
            "accepted": None,
        }
    ]


def test_deleting_or_renaming_a_merged_migration_fails(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = sorted((repo.path / V).iterdir())[:2]
    repo.git("rm", "-q", f"{V}/{first.name}")
    repo.git("mv", f"{V}/{second.name}", f"{V}/x{second.name}")
    repo.commit_all("rewrite history")
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 1
    assert f"EDITED [console] {V}/{first.name}: deleted, but the base branch has it already" in out
    assert (
        f"EDITED [console] {V}/{second.name}: renamed to {V}/x{second.name}, but the base "
        "branch has it already"
    ) in out


def test_an_uncommitted_edit_is_caught_by_a_local_run(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sorted((repo.path / V).iterdir())[3]
    path.write_text(path.read_text().replace("op.drop_table", "op.drop_table  # x"))
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 1 and "EDITED [console]" in out


def test_the_config_list_accepts_an_edit(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    path = sorted((repo.path / V).iterdir())[3]
    path.write_text(path.read_text() + "# fixed a comment\n")
    config = repo.path / "migration-guard.toml"
    config.write_text(
        config.read_text().replace(
            'path = "console/migrations/versions"',
            f'path = "console/migrations/versions"\nallow_edits = ["{path.stem[:4]}_*"]',
        )
    )
    repo.commit_all("edit, allowed")
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 0, out
    assert (
        f"NOTE [console] {V}/{path.name}: modified on the base branch; accepted: listed in "
        "allow_edits of chain 'console'"
    ) in out.splitlines()


def test_the_pr_label_accepts_an_edit(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = sorted((repo.path / V).iterdir())[3]
    path.write_text(path.read_text() + "# fixed a comment\n")
    repo.commit_all("edit")
    event = tmp_path / "event.json"
    pull = {"number": 9, "base": {"ref": "main"}, "head": {"ref": "feature"}, "labels": []}
    for labels, expected in (([], 1), ([{"name": ACCEPT_LABEL}], 0)):
        pull["labels"] = labels
        event.write_text(json.dumps({"pull_request": pull}))
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        code, out, _ = run(repo, capsys, "check", "--provider", "none")
        assert code == expected, out


def test_a_recover_hotfix_may_rename_a_merged_file(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sorted((repo.path / V).iterdir())[-1]
    repo.git("mv", f"{V}/{path.name}", f"{V}/x{path.name}")
    repo.git("commit", "-q", "-m", f"hotfix: renumber\n\n{RECOVER_TRAILER}\n")
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 0, out
    assert "accepted: made by `migration-guard recover` (its commit trailer)" in out


def test_the_recover_commit_carries_the_trailer(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["git", "checkout", "-q", "incident"], cwd=sample_repo, check=True)
    code, _, err = run(sample_repo, capsys, "recover", "console", "--apply", "--branch", "hotfix/x")
    assert code == 0, err
    message = subprocess.run(
        ["git", "log", "-1", "--format=%B"],
        cwd=sample_repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert message.rstrip().endswith(RECOVER_TRAILER)


# --- sqitch ------------------------------------------------------------------------------------


def _sqitch(repo: GitRepo, *args: str) -> None:
    env = {
        **os.environ,
        "SQITCH_FULLNAME": "Dev",
        "SQITCH_EMAIL": "dev@example.invalid",
        "SQITCH_USER_CONFIG": os.devnull,
    }
    subprocess.run(
        ["sqitch", *args], cwd=repo.path / SQITCH_DIR, env=env, check=True, capture_output=True
    )


def test_a_changed_sqitch_plan_line_or_script_fails(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = repo.path / PLAN
    text = plan.read_text()
    plan.write_text(text.replace("# ", "# edited: ", 1))
    deploy = repo.path / SQITCH_DIR / "deploy" / "07-job-priority.sql"
    deploy.write_text(deploy.read_text() + "-- tweak\n")
    repo.commit_all("edit")
    code, out, _ = run(repo, capsys, "check", "--provider", "none", "--format", "json")
    assert code == 1
    got = {(e["name"], e["what"]) for e in json.loads(out)["history"]}
    assert ("07-job-priority", "script modified") in got
    assert any(what == "plan line changed" for _, what in got)


@pytest.mark.sqitch
def test_a_real_sqitch_rework_is_accepted(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _sqitch(repo, "tag", "v1.0", "-n", "release")
    _sqitch(repo, "rework", "07-job-priority", "-n", "rework the priority column")
    deploy = repo.path / SQITCH_DIR / "deploy" / "07-job-priority.sql"
    deploy.write_text(deploy.read_text() + "-- reworked\n")
    repo.commit_all("rework")
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 0, out
    assert "EDITED" not in out
