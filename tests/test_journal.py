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
from collections.abc import Sequence
from pathlib import Path

import pytest
from testing import incident
from testing.cli import run as _run
from testing.cli import snapshot as _snapshot
from testing.gitrepo import GitRepo
from testing.sqitch_projects import queue_collision_repo, sqitch

from migration_guard import journal, sample
from migration_guard.databases.temp_postgres import TempPostgres

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
    return queue_collision_repo(base)


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


def _kill_each(
    template: GitRepo,
    base: Path,
    boundaries: Sequence[int],
    *extra: str,
    command: Sequence[str] = RENUMBER,
) -> dict[int, GitRepo]:
    """A copy of ``template`` per boundary, each renumbered by a child process that kills
    itself (SIGKILL) there; the children run side by side."""
    copies = {b: _copy(template, base / f"k{b}") for b in boundaries}
    children = {
        b: subprocess.Popen(
            [sys.executable, "-m", "migration_guard", "-C", str(r.path), *command, *extra],
            env={**os.environ, "PYTHONPATH": SRC, journal.TEST_HOOK: f"{b}:KILL"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for b, r in copies.items()
    }
    for boundary, child in children.items():
        _, err = child.communicate()
        assert child.returncode == -9, (boundary, err)
        assert _journal_of(copies[boundary]).is_file()
    return copies


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
    for boundary, killed in _kill_each(undeployed, tmp_path, range(boundaries)).items():
        applied = boundary // 2
        if boundary == 5:  # any writing command refuses, naming the interruption
            code, out, err = _run(killed, capsys, *RENUMBER)
            assert (code, out) == (2, "")
            assert err.startswith(
                "migration-guard renumber: error: an interrupted run left a journal in "
                f"{killed.path}/.git/migration-guard: `migration-guard -C {killed.path} "
                f"{' '.join(RENUMBER)}` (started "
            )
            assert err.endswith(
                "): 2 of 8 steps applied: edit queue/migrations/sqitch/sqitch.plan; edit "
                f"{PROJECT}/deploy/{NEW}.sql; next (perhaps half-done): edit "
                f"{PROJECT}/revert/{NEW}.sql\n"
                "  hint: undo what it applied (files, git index and sqitch registry) with "
                "`migration-guard renumber --abort`, or finish it with `migration-guard "
                "renumber --continue`\n"
            )
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
        assert second == "Every applied step was undone: files and git index."
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
    copies = _kill_each(deployed, tmp_path, REGISTRY_BOUNDARIES, "--allow-deployed")
    for boundary, killed in copies.items():
        resumed = _copy(killed, tmp_path / f"c{boundary}")

        code, out, err = _run(killed, capsys, "renumber", "--abort")
        assert code == 0, err
        assert out.endswith(
            "\nEvery applied step was undone: files, git index and sqitch registry.\n"
        )
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


# --- recover --apply --branch: a branch and a commit are steps too ---------------------------

V = sample.CONSOLE_VERSIONS
RECOVER = ("recover", "--apply", "--branch", "hotfix/console-0145")


@pytest.fixture(scope="module")
def merged_collision(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """Two PRs each added console 0145 on 0144 and both merged (the runbook's incident)."""
    return incident.merge_prs_adding_0145(
        incident.main_at_0144(tmp_path_factory.mktemp("merged")),
        {3277: "promote_my_feature", 3322: "add_refund_audit"},
    )


def _git_state(repo: GitRepo) -> tuple[object, str, list[str], str]:
    """Files and index, the branch checked out, the branches, HEAD's tree, parent, message."""
    head = repo.git("log", "-1", "--format=%T %P%n%B")
    branches = repo.git("branch", "--format=%(refname:short)").split()
    return _snapshot(repo), repo.git("rev-parse", "--abbrev-ref", "HEAD"), branches, head


@pytest.mark.slow
def test_recover_with_a_branch_killed_or_stopped_at_every_step(
    merged_collision: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = _git_state(merged_collision)
    clean = _copy(merged_collision, tmp_path / "clean")
    journal.reset_checkpoints()
    code, _, err = _run(clean, capsys, *RECOVER)
    assert code == 0, err
    new = _git_state(clean)
    assert new[1] == "hotfix/console-0145\n" and old[1] == "main\n"
    # The branch, one edit (revision ids), one rename, the validation, the commit: 5 steps.
    assert journal._boundary == 2 * 5 + 1
    copies = _kill_each(merged_collision, tmp_path, range(11), command=RECOVER)
    for boundary, killed in copies.items():
        resumed = _copy(killed, tmp_path / f"c{boundary}")
        code, _, err = _run(killed, capsys, "renumber", "--abort")
        assert code == 0, err
        assert _git_state(killed) == old, boundary
        code, _, err = _run(resumed, capsys, "renumber", "--continue")
        assert code == 0, err
        assert _git_state(resumed) == new, boundary

    # SIGTERM after the branch was created, and after the commit (before the journal knew).
    for boundary in (2, 9):
        repo = _copy(merged_collision, tmp_path / f"t{boundary}")
        monkeypatch.setenv(journal.TEST_HOOK, f"{boundary}:TERM")
        journal.reset_checkpoints()
        code, out, err = _run(repo, capsys, *RECOVER)
        assert (code, out) == (143, "")
        assert err == (
            "migration-guard recover: interrupted by SIGTERM; every change was rolled back\n"
        )
        assert _git_state(repo) == old, boundary


# --- the same on a PostgreSQL registry -------------------------------------------------------

# After the registry revert (before and after the journal records it), before the deploy, and
# after the deploy (before the journal records it): where a PostgreSQL registry differs.
PG_BOUNDARIES = (1, 2, 18, 19)


def _pg_target(postgres: TempPostgres, name: str) -> str:
    return "db:" + postgres.create_database(name).replace("postgresql://", "pg://", 1)


def _pg_registry(repo: GitRepo, target: str) -> tuple[list[str], list[str]]:
    """The changes a PostgreSQL registry records (id, name) and `sqitch status` there."""
    url = target.removeprefix("db:").replace("pg://", "postgresql://", 1)
    query = "SELECT change_id || ' ' || change FROM sqitch.changes ORDER BY committed_at"
    rows = subprocess.run(
        ["psql", "-XAtq", url, "-c", query],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    status = sqitch(repo.path / PROJECT, "status", "--no-pager", "--target", target, check=False)
    lines = [
        line
        for line in (status.stdout + status.stderr).splitlines()
        if not line.startswith(("# Deployed:", "# By:", "# On database"))
    ]
    return rows, lines


@pytest.mark.slow
@pytest.mark.sqitch
def test_a_rename_deployed_on_postgres_killed_or_stopped_is_aborted_continued_or_rolled_back(
    undeployed: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    postgres: TempPostgres,
) -> None:
    def deployed_copy(name: str) -> tuple[GitRepo, str]:
        repo = _copy(undeployed, tmp_path / name)
        target = _pg_target(postgres, f"kill_{name}")
        assert sqitch(repo.path / PROJECT, "deploy", "--target", target).returncode == 0
        return repo, target

    def state(repo: GitRepo, target: str) -> object:
        return _snapshot(repo), _pg_registry(repo, target)

    clean, clean_target = deployed_copy("clean")
    old = state(clean, clean_target)
    args = (*RENUMBER, "--allow-deployed", "--target")
    code, _, err = _run(clean, capsys, *args, clean_target)
    assert code == 0, err
    new = state(clean, clean_target)
    assert old != new

    for boundary in PG_BOUNDARIES:
        for action, expected in (("abort", old), ("continue", new)):
            repo, target = deployed_copy(f"{action}{boundary}")
            child = subprocess.run(
                [sys.executable, "-m", "migration_guard", "-C", str(repo.path), *args, target],
                env={**os.environ, "PYTHONPATH": SRC, journal.TEST_HOOK: f"{boundary}:KILL"},
                capture_output=True,
                text=True,
                check=False,
            )
            assert child.returncode == -9, (boundary, child.stderr)
            code, _, err = _run(repo, capsys, "renumber", f"--{action}")
            assert code == 0, (boundary, action, err)
            assert not _journal_of(repo).exists()
            assert state(repo, target) == expected, (boundary, action)

    for boundary in (1, 19):
        repo, target = deployed_copy(f"term{boundary}")
        monkeypatch.setenv(journal.TEST_HOOK, f"{boundary}:TERM")
        journal.reset_checkpoints()
        code, out, err = _run(repo, capsys, *args, target)
        assert (code, out) == (143, ""), err
        assert not _journal_of(repo).exists()
        assert state(repo, target) == old, boundary


def test_a_git_killed_mid_renumber_is_named_its_lock_removed_and_the_run_rolled_back(
    undeployed: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = _copy(undeployed, tmp_path / "r")
    old = _snapshot(repo)
    real = shutil.which("git")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text(  # `git mv` takes the index lock, then a file-size limit hits
        "#!/bin/sh\n"
        'if [ "$1" = mv ]; then\n'
        f'  : > "$({real} rev-parse --git-path index.lock)"; kill -XFSZ $$\n'
        "fi\n"
        f'exec {real} "$@"\n'
    )
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    code, out, err = _run(repo, capsys, *RENUMBER)
    assert (code, out) == (3, ""), err
    lock = repo.path / ".git" / "index.lock"
    assert err.startswith(
        f"migration-guard renumber: error: git mv {PROJECT}/deploy/{NEW}.sql was killed by "
        f"SIGXFSZ; removed the {lock} it left"
    ), err
    assert not lock.exists() and not _journal_of(repo).exists()
    assert not list(repo.path.rglob("*.migration-guard.tmp"))
    assert _snapshot(repo) == old


def test_continue_checks_the_result_again_before_it_finishes(
    undeployed: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Killed before its validation step, the run is finished by another process: that one
    checks the chain against the bound the journal recorded, as the killed run would have."""
    # 3 header edits and the plan, 3 renames, then the validation (step 7, boundary 14).
    (killed,) = _kill_each(undeployed, tmp_path, (14,)).values()
    (killed.path / PROJECT / "deploy/06-dead-letter.sql").unlink()  # broken meanwhile
    code, out, err = _run(killed, capsys, "renumber", "--continue")
    assert (code, out) == (1, ""), (out, err)
    assert err.startswith(
        f"migration-guard renumber: error: cannot finish `migration-guard -C {killed.path} "
        f"{' '.join(RENUMBER)}` (started "
    )
    assert "chain 'queue' would be left with new problems:\n" in err
    assert "06-dead-letter" in err
    assert err.endswith(
        f"  hint: the journal in {killed.path}/.git/migration-guard is kept: undo the run with "
        "`migration-guard renumber --abort`\n"
    )
    assert _journal_of(killed).is_file()
    code, _, err = _run(killed, capsys, "renumber", "--abort")
    assert code == 0, err
    assert not _journal_of(killed).exists()
