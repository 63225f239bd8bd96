"""A write killed or stopped at any step: the journal, --abort, --continue, SIGTERM/SIGHUP.

The interruption is injected at each journal step boundary through the test hook
(``MIGRATION_GUARD_TEST_INTERRUPT=N:SIGNAL``), never by timing: SIGKILL in a child process
(nothing can be handled: the journal must resolve it), SIGTERM/SIGHUP/SIGINT in-process (the
run must roll back by itself). Registries are checked with the real sqitch on SQLite.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from testing.cli import run as _run
from testing.cli import snapshot as _snapshot
from testing.gitrepo import GitRepo
from testing.sqitch_projects import sqitch

from migration_guard import journal, sample

PLAN = sample.QUEUE_PLAN
PROJECT = "queue/migrations/sqitch"
NEW = "07-billing-invoice-refund-column"
RENUMBER = ("renumber", NEW, "--to", "08", "--provider", "none")
SRC = str(Path(__file__).resolve().parents[1] / "src")
# With --allow-deployed, 10 steps: 0 the registry revert, 1-4 the edits, 5-7 the renames, 8
# the validation, 9 the registry deploy. Boundary 2i is before step i, 2i+1 after it but
# before the journal records it, 20 after the last. The registry sees a difference at those
# around its own steps; the file steps in between are each covered by the plain renumber's
# test (every boundary), and here by one in the middle (9) and after the last (15).
REGISTRY_BOUNDARIES = (0, 1, 2, 9, 15, 17, 18, 19, 20)


def _build(base: Path) -> GitRepo:
    """Main at queue 07-job-priority; branch `feature` (from main at 06) adds 07-billing-...
    (the runbook's collision), committed."""
    repo = GitRepo.create(base)
    sample.write_sample_repo(repo.path)
    project = repo.path / PROJECT
    (project / "sqitch.conf").write_text(
        '[core]\n\tengine = sqlite\n[engine "sqlite"]\n\ttarget = db:sqlite:queue.db\n'
    )
    plan = (repo.path / PLAN).read_text()
    last = sample.plan_line(sample.QUEUE_CHANGES[-1])
    (repo.path / PLAN).write_text(plan.replace(last, ""))
    for kind in ("deploy", "revert", "verify"):
        (project / kind / "07-job-priority.sql").unlink()
    repo.commit_all("main at 06")
    repo.git("branch", "feature")
    (repo.path / PLAN).write_text(plan)
    sample.write_sqitch_change(project, sample.QUEUE_CHANGES[-1])
    repo.commit_all("main at 07")
    repo.push("main")
    repo.git("checkout", "-q", "feature")
    change = sample.SqitchChange(NEW, "invoice_refund", "Refund column", ("05-job-attempts",))
    with (repo.path / PLAN).open("a") as handle:
        handle.write(sample.plan_line(change, "2026-06-17T00:00:00Z"))
    sample.write_sqitch_change(project, change)
    repo.commit_all("feature: queue 07")
    return repo


def _copy(template: GitRepo, dest: Path) -> GitRepo:
    shutil.copytree(template.path, dest, symlinks=True)
    return GitRepo(dest, template.origin)


def _registry(repo: GitRepo) -> tuple[list[tuple[str, str]], list[str]]:
    """The changes the SQLite registry records (id, name), and what `sqitch status` says
    (current change and name, the undeployed list), without the date and committer of
    the last deploy (a log-only re-record is made now, by migration-guard)."""
    with sqlite3.connect(repo.path / PROJECT / "sqitch.db") as db:
        rows = db.execute("SELECT change_id, change FROM changes ORDER BY committed_at").fetchall()
    status = sqitch(repo.path / PROJECT, "status", "--no-pager", check=False)
    lines = [
        line
        for line in (status.stdout + status.stderr).splitlines()
        if not line.startswith(("# Deployed:", "# By:", "# On database"))
    ]
    return [(r[0], r[1]) for r in rows], lines


def _state(repo: GitRepo, *, registry: bool) -> object:
    return (_snapshot(repo), _registry(repo) if registry else None)


def _killed(repo: GitRepo, boundary: int, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, journal.TEST_HOOK: f"{boundary}:KILL"}
    return subprocess.run(
        [sys.executable, "-m", "migration_guard", "-C", str(repo.path), *RENUMBER, *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _journal_of(repo: GitRepo) -> Path:
    return repo.path / ".git/migration-guard/journal.json"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """The feature branch with every change deployed to the SQLite target."""
    repo = _build(tmp_path_factory.mktemp("deployed"))
    assert sqitch(repo.path / PROJECT, "deploy").returncode == 0
    return repo


@pytest.fixture(scope="module")
def undeployed(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return _build(tmp_path_factory.mktemp("undeployed"))


def _outcomes(
    template: GitRepo, base: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[object, object, int]:
    """The state before, the state a clean run leaves, and the number of boundaries."""
    registry = bool(extra)
    old = _state(template, registry=registry)
    clean = _copy(template, base / "clean")
    journal.reset_checkpoints()
    code, _, err = _run(clean, capsys, *RENUMBER, *extra)
    assert code == 0, err
    boundaries = journal._boundary
    assert not _journal_of(clean).exists()
    return old, _state(clean, registry=registry), boundaries


@pytest.mark.slow
def test_a_plain_renumber_killed_at_every_step_is_aborted_or_continued(
    undeployed: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, boundaries = _outcomes(undeployed, tmp_path, capsys)
    # 3 scripts' header edits and the plan, 3 renames, the validation: 8 steps.
    assert boundaries == 2 * 8 + 1
    for boundary in range(boundaries):
        killed = _copy(undeployed, tmp_path / f"k{boundary}")
        proc = _killed(killed, boundary)
        assert proc.returncode == -9, proc.stderr
        assert _journal_of(killed).is_file()
        # Any writing command refuses, naming the interruption.
        code, _, err = _run(killed, capsys, *RENUMBER)
        assert code == 2
        applied = boundary // 2
        assert f"{applied} of 8 steps applied" in err, err
        assert "migration-guard renumber --abort" in err and "--continue" in err
        code, _, err = _run(killed, capsys, "recover", "--apply")
        assert code == 2 and "an interrupted run left a journal" in err

        resumed = _copy(killed, tmp_path / f"c{boundary}")
        code, out, err = _run(killed, capsys, "renumber", "--abort")
        assert code == 0, err
        first, second = out.splitlines()
        assert first.startswith(
            f"Aborted `migration-guard -C {killed.path} {' '.join(RENUMBER)}` (started "
        )
        assert f"): {applied} of 8 steps applied" in first
        assert second == "Every applied step was undone: files, git index and sqitch registry."
        assert _state(killed, registry=False) == old, boundary

        code, out, err = _run(resumed, capsys, "renumber", "--continue")
        assert code == 0, err
        assert "Queue: lint OK" in out
        assert _state(resumed, registry=False) == new, boundary


@pytest.mark.slow
@pytest.mark.sqitch
def test_a_deployed_rename_killed_at_every_step_restores_or_finishes_the_registry(
    deployed: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, boundaries = _outcomes(deployed, tmp_path, capsys, "--allow-deployed")
    # revert on the target, 4 edits, 3 renames, validation, deploy on the target: 10 steps.
    assert boundaries == 2 * 10 + 1
    assert old != new
    for boundary in REGISTRY_BOUNDARIES:
        killed = _copy(deployed, tmp_path / f"k{boundary}")
        proc = _killed(killed, boundary, "--allow-deployed")
        assert proc.returncode == -9, proc.stderr
        assert _journal_of(killed).is_file()
        resumed = _copy(killed, tmp_path / f"c{boundary}")

        code, _, err = _run(killed, capsys, "renumber", "--abort")
        assert code == 0, err
        assert _state(killed, registry=True) == old, boundary

        code, _, err = _run(resumed, capsys, "renumber", "--continue")
        assert code == 0, err
        assert _state(resumed, registry=True) == new, boundary


@pytest.mark.sqitch
@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["TERM", "HUP", "INT"])
def test_a_signal_at_any_step_rolls_back_files_and_registry(
    deployed: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signal_name: str,
) -> None:
    old = _state(deployed, registry=True)
    code = {"TERM": 143, "HUP": 129, "INT": 130}[signal_name]
    # HUP and INT where the issue lost the registry: just after the registry revert, before
    # the journal records it, and after the deploy.
    boundaries = REGISTRY_BOUNDARIES if signal_name == "TERM" else (1, 19)
    for boundary in boundaries:
        repo = _copy(deployed, tmp_path / f"s{boundary}")
        monkeypatch.setenv(journal.TEST_HOOK, f"{boundary}:{signal_name}")
        journal.reset_checkpoints()
        got, out, err = _run(repo, capsys, *RENUMBER, "--allow-deployed")
        assert (got, out) == (code, ""), err
        assert err == (
            f"migration-guard renumber: interrupted by SIG{signal_name}; every change was "
            "rolled back\n"
        )
        assert not _journal_of(repo).exists()
        assert _state(repo, registry=True) == old, boundary


def test_abort_and_continue_without_a_journal(
    undeployed: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _copy(undeployed, tmp_path / "r")
    for action in ("abort", "continue"):
        code, out, err = _run(repo, capsys, "renumber", f"--{action}")
        assert (code, out) == (2, "")
        assert err == (
            f"migration-guard renumber: error: no interrupted run to {action}: there is no "
            f"journal in {repo.path}/.git/migration-guard\n"
            "  hint: --abort and --continue resolve a renumber or recover --apply that was "
            "killed\n"
        )
    code, _, err = _run(repo, capsys, "renumber", "--abort", "--to", "08")
    assert code == 2 and "--abort takes no target, --branch, --to or --dry-run" in err
    code, _, err = _run(repo, capsys, "renumber", NEW)
    assert code == 2 and "--to is required (N or next)" in err
