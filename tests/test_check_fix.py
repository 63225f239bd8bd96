"""``check --fix`` end to end: a real work repository with a bare origin; the fix is pushed to
the PR's branch once, never to a fork, never twice, never over an uncommitted change, and a
rejected push leaves everything as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing import ci_env
from testing.cli import run as _run
from testing.cli import snapshot
from testing.fake_forge import FakeForge
from testing.gitrepo import GitRepo, git
from testing.incident import main_at_0144

from migration_guard import sample

V = sample.CONSOLE_VERSIONS
OURS = f"{V}/0145_add_refund_audit.py"
MOVED = f"{V}/0146_add_refund_audit.py"


def _add_console(repo: GitRepo, branch: str, slug: str, date: str) -> None:
    repo.git("checkout", "-q", "-b", branch, "main")
    repo.write(f"{V}/0145_{slug}.py", sample.alembic_script("0145", "0144", slug, table=slug))
    repo.commit_all(f"add 0145 {slug}", date=date)
    repo.push(branch)


@pytest.fixture
def incident(tmp_path: Path) -> GitRepo:
    """Main at console 0144; pr-3277 (first) and pr-3322 both add 0145; pr-3322 checked out
    and tracking origin/pr-3322."""
    repo = main_at_0144(tmp_path)
    repo.push("main")
    _add_console(repo, "pr-3277", "promote_my_feature", "2026-06-05T10:00:00Z")
    _add_console(repo, "pr-3322", "add_refund_audit", "2026-06-05T10:01:00Z")
    repo.git("branch", "-q", "--set-upstream-to", "origin/pr-3322")
    return repo


def _remote_tip(repo: GitRepo, branch: str) -> str:
    return git(repo.origin, "rev-parse", f"refs/heads/{branch}").strip()


def _remote_files(repo: GitRepo, branch: str) -> list[str]:
    return git(repo.origin, "ls-tree", "-r", "--name-only", f"refs/heads/{branch}", "--", V).split()


def _local_fix(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return _run(repo, capsys, "check", "--fix", "--provider", "git", "--base-sha", "origin/main")


def _github(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fake: FakeForge,
    repo: GitRepo,
    *,
    head_repo: str = "acme/app",
    head_sha: str | None = None,
) -> None:
    env = ci_env.github_actions(
        tmp_path,
        pr=3322,
        forge=fake,
        head_ref="pr-3322",
        head_sha=head_sha or repo.git("rev-parse", "HEAD").strip(),
        head_repo=head_repo,
        base_repo="acme/app",
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def _forge(fake: FakeForge) -> None:
    fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
    fake.add_pr(3322, [OURS], head="pr-3322")


def test_github_actions_pushes_the_fix_once_and_the_rerun_passes(
    incident: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = incident.git("rev-parse", "HEAD").strip()
    with FakeForge() as fake:
        _forge(fake)
        _github(monkeypatch, tmp_path, fake, incident)
        code, out, err = _run(incident, capsys, "check", "--fix", "--base-sha", "origin/main")
        assert code == 1, err
        assert "COLLISION [console] 0145" in out
        tip = _remote_tip(incident, "pr-3322")
        assert tip != before
        assert incident.git("rev-parse", "HEAD").strip() == tip
        assert git(incident.origin, "rev-parse", f"{tip}^").strip() == before
        assert out.splitlines()[-1] == (
            f"Fixed: renumbered console 0145 to 0146; pushed {tip[:12]} to pr-3322. "
            "The re-run on that commit decides."
        )
        files = _remote_files(incident, "pr-3322")
        assert MOVED in files and OURS not in files
        message = git(incident.origin, "log", "-1", "--format=%B", tip)
        assert message.splitlines()[0] == (
            "Renumber console 0145 to 0146: 0145 is claimed by PR #3277"
        )
        assert message.strip().splitlines()[-1] == "Migration-Guard: fix"
        assert incident.git("status", "--porcelain") == ""

        # The re-run on the pushed commit: the collision is gone, nothing is pushed.
        _github(monkeypatch, tmp_path, fake, incident)
        code, out, err = _run(incident, capsys, "check", "--fix", "--base-sha", "origin/main")
        assert code == 0, out + err
        assert "Fixed" not in out
        assert _remote_tip(incident, "pr-3322") == tip


def test_never_pushes_to_a_fork(
    incident: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = snapshot(incident)
    head = incident.git("rev-parse", "HEAD").strip()
    with FakeForge() as fake:
        _forge(fake)
        _github(monkeypatch, tmp_path, fake, incident, head_repo="someone/app")
        code, out, err = _run(incident, capsys, "check", "--fix", "--base-sha", "origin/main")
    assert code == 1, err
    assert "Not fixed: the pull request comes from a fork (someone/app)" in out
    assert _remote_tip(incident, "pr-3322") == head
    assert incident.git("rev-parse", "HEAD").strip() == head
    assert snapshot(incident) == before


def test_refuses_a_checkout_that_is_not_the_pr_head(
    incident: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """actions/checkout's default is the merge commit: committing there would push a merge."""
    before = snapshot(incident)
    head = incident.git("rev-parse", "HEAD").strip()
    with FakeForge() as fake:
        _forge(fake)
        _github(monkeypatch, tmp_path, fake, incident, head_sha="7" * 40)
        code, out, err = _run(incident, capsys, "check", "--fix", "--base-sha", "origin/main")
    assert code == 2, out + err
    assert "it is not the pull request's head commit 777777777777" in err
    assert _remote_tip(incident, "pr-3322") == head
    assert snapshot(incident) == before


def test_json_report_stays_json(incident: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        incident,
        capsys,
        *("check", "--fix", "--provider", "git", "--base-sha", "origin/main", "--format", "json"),
    )
    assert code == 1, err
    assert json.loads(out)["ok"] is False
    assert "Fixed: renumbered console 0145 to 0146" in err


def test_never_stacks_a_fix_on_a_fix(incident: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    incident.git("commit", "-q", "--allow-empty", "-m", "Renumber by hand\n\nMigration-Guard: fix")
    incident.push("pr-3322")
    head = incident.git("rev-parse", "HEAD").strip()
    code, out, err = _local_fix(incident, capsys)
    assert code == 1, err
    assert "COLLISION [console] 0145" in out
    assert f"Not fixed: the last commit ({head[:12]}) already is a migration-guard fix" in out
    assert _remote_tip(incident, "pr-3322") == head
    assert incident.git("rev-parse", "HEAD").strip() == head


def test_local_fix_pushes_to_the_upstream_once(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _local_fix(incident, capsys)
    assert code == 1, err
    tip = _remote_tip(incident, "pr-3322")
    assert f"pushed {tip[:12]} to pr-3322" in out
    assert MOVED in _remote_files(incident, "pr-3322")
    assert "0145 is claimed by branch" in incident.git("log", "-1", "--format=%s")
    # Again on the new commit: no collision left, nothing pushed.
    code, out, err = _local_fix(incident, capsys)
    assert code == 0, out + err
    assert _remote_tip(incident, "pr-3322") == tip


def test_nothing_to_fix_behaves_like_check(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """pr-3277 keeps 0145: --fix pushes nothing and exits 0 as check does."""
    incident.git("checkout", "-q", "pr-3277")
    incident.git("branch", "-q", "--set-upstream-to", "origin/pr-3277")
    head = incident.git("rev-parse", "HEAD").strip()
    code, out, err = _local_fix(incident, capsys)
    assert code == 0, out + err
    assert "Fixed" not in out
    assert _remote_tip(incident, "pr-3277") == head


def test_refuses_over_an_uncommitted_migration_change(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = incident.path / OURS
    path.write_text(path.read_text() + "# work in progress\n")
    before = snapshot(incident)
    head = incident.git("rev-parse", "HEAD").strip()
    code, out, err = _local_fix(incident, capsys)
    assert code == 2, out + err
    assert f"not fixing: {OURS} has uncommitted changes" in err
    assert snapshot(incident) == before
    assert incident.git("rev-parse", "HEAD").strip() == head
    assert _remote_tip(incident, "pr-3322") == head


def test_a_rejected_push_takes_the_commit_back(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = incident.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes to this branch are not allowed' >&2\nexit 1\n")
    hook.chmod(0o755)
    # An unrelated uncommitted change survives the undo.
    incident.write("notes.txt", "mine\n")
    before = snapshot(incident)
    head = incident.git("rev-parse", "HEAD").strip()
    code, out, err = _local_fix(incident, capsys)
    assert code == 3, out + err
    assert "could not push the fix to origin pr-3322" in err
    assert "pushes to this branch are not allowed" in err
    assert "the local commit was undone" in err
    assert incident.git("rev-parse", "HEAD").strip() == head
    assert snapshot(incident) == before
    assert _remote_tip(incident, "pr-3322") == head


def test_a_failed_commit_restores_the_files(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = incident.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(incident)
    head = incident.git("rev-parse", "HEAD").strip()
    code, out, err = _local_fix(incident, capsys)
    assert code == 3, out + err
    assert "could not commit the fix (git commit failed: no commits today)" in err
    assert incident.git("rev-parse", "HEAD").strip() == head
    assert snapshot(incident) == before
    assert _remote_tip(incident, "pr-3322") == head
