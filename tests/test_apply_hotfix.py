"""``recover --apply --branch`` rolled back: the hotfix commit and branch are undone too.

The run creates the branch first and commits last; a failure or a stop at any point must
leave the branch that was checked out (or the detached HEAD) as it was, with no hotfix branch
and no hotfix commit. Each test's docstring names the mutation of ``apply.py`` it kills.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from testing import incident
from testing.cli import run as _run
from testing.cli import snapshot as _snapshot
from testing.gitrepo import GitRepo

from migration_guard import apply, journal

BRANCH = "hotfix/console-0145"
RECOVER = ("recover", "--apply", "--branch", BRANCH)
# The journal's steps: 0 branch, 1 edit, 2 rename, 3 validate, 4 commit. Boundary 2i is
# before step i, 2i+1 after it (before the journal records it).
AFTER_BRANCH, AFTER_COMMIT = 1, 9


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """Two PRs each added console 0145 on 0144 and both merged (the runbook's incident)."""
    return incident.merge_prs_adding_0145(
        incident.main_at_0144(tmp_path_factory.mktemp("merged")),
        {3277: "promote_my_feature", 3322: "add_refund_audit"},
    )


@pytest.fixture
def repo(template: GitRepo, tmp_path: Path) -> GitRepo:
    dest = tmp_path / "repo"
    shutil.copytree(template.path, dest, symlinks=True)
    return GitRepo(dest, template.origin)


def _git_state(repo: GitRepo) -> tuple[object, ...]:
    """Files and index, what is checked out, every branch and where it points, the reflog
    aside; and that no journal is left."""
    refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads")
    journal_file = journal.location(repo.path, True) / "journal.json"
    return (
        _snapshot(repo),
        repo.git("rev-parse", "--abbrev-ref", "HEAD"),
        repo.git("rev-parse", "HEAD"),
        refs,
        journal_file.exists(),
    )


def _stop_at(monkeypatch: pytest.MonkeyPatch, boundary: int) -> None:
    monkeypatch.setenv(journal.TEST_HOOK, f"{boundary}:TERM")
    journal.reset_checkpoints()


@pytest.mark.parametrize("boundary", [AFTER_BRANCH, AFTER_COMMIT])
def test_stopped_after_the_branch_or_the_commit_leaves_main_checked_out_and_no_branch(
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    boundary: int,
) -> None:
    """kills: the original branch not checked out again; the hotfix branch not deleted."""
    before = _git_state(repo)
    _stop_at(monkeypatch, boundary)
    code, out, err = _run(repo, capsys, *RECOVER)
    assert (code, out) == (143, "")
    assert err == "migration-guard recover: interrupted by SIGTERM; every change was rolled back\n"
    assert _git_state(repo) == before


def test_stopped_after_the_commit_from_a_detached_head_goes_back_to_that_commit(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a detached HEAD the journal records the commit as the thing to go back to.
    kills: `original` recorded as None (or the branch name) instead of the HEAD commit."""
    repo.git("checkout", "-q", "--detach", "main")
    before = _git_state(repo)
    assert before[1] == "HEAD\n"
    _stop_at(monkeypatch, AFTER_COMMIT)
    code, _, err = _run(repo, capsys, *RECOVER)
    assert code == 143, err
    assert _git_state(repo) == before


def test_a_commit_a_hook_rejects_is_rolled_back_with_its_staged_files(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last step fails after `git add` staged the result: the index entries, the files,
    the branch all come back, and git's own message is what the user reads.
    kills: the failure's rollback skipped for a commit that never happened."""
    hook = repo.path / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'no hotfix on a Friday' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = _git_state(repo)
    code, out, err = _run(repo, capsys, *RECOVER)
    assert (code, out) == (3, ""), err
    assert err.startswith("migration-guard recover: error: git commit "), err
    assert err.endswith(" failed: no hotfix on a Friday\n"), err
    assert _git_state(repo) == before


def test_a_branch_that_exists_already_is_refused_before_anything_is_written(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.git("branch", BRANCH, "main~1")
    before = _git_state(repo)
    code, out, err = _run(repo, capsys, *RECOVER)
    assert (code, out) == (2, "")
    assert err == (
        f"migration-guard recover: error: branch {BRANCH!r} already exists\n"
        "  hint: name a new branch\n"
    )
    assert _git_state(repo) == before


def _lock_after_the_commit(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Once the hotfix is committed, another git process takes ``index.lock`` and the run
    fails; returns the lock, for the test to remove."""
    lock = repo.path / ".git/index.lock"
    real_commit = apply._commit_once

    def commit_then_lock(root: Path, record: journal.Journal, hotfix: dict[str, Any]) -> None:
        real_commit(root, record, hotfix)
        lock.touch()
        raise OSError("disk full (injected)")

    monkeypatch.setattr(apply, "_commit_once", commit_then_lock)
    return lock


def test_a_lock_after_the_commit_names_the_index_and_the_branch_and_abort_finishes(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another git process holds ``index.lock`` once the hotfix is committed: the rollback
    cannot put the index back nor check the original branch out again. Both are named, the
    journal is kept, and `renumber --abort` finishes once the lock is gone.
    kills: "still on branch" dropped or changed; the problems joined otherwise."""
    before = _git_state(repo)
    lock = _lock_after_the_commit(repo, monkeypatch)
    code, out, err = _run(repo, capsys, *RECOVER)
    assert (code, out) == (3, ""), err
    first = err.splitlines()[0]
    assert first.startswith(
        "migration-guard recover: error: applying failed (disk full (injected)) and the "
        "rollback could not restore: the git index entries of "
    ), err
    assert first.endswith(f"; still on branch {BRANCH}"), err
    assert "`migration-guard renumber --abort`" in err
    lock.unlink()
    code, out, err = _run(repo, capsys, "renumber", "--abort")
    assert code == 0, err
    assert out.endswith(f"\nEvery applied step was undone: files, git index and branch {BRANCH}.\n")
    assert _git_state(repo) == before


def test_abort_never_moves_a_branch_the_user_checked_out_meanwhile(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run left its journal; before `--abort` the user deleted the hotfix branch by hand
    and checked out another one. The hotfix commit is reset only on the hotfix branch.
    kills: the reset done whenever HEAD is not the recorded commit."""
    lock = _lock_after_the_commit(repo, monkeypatch)
    assert _run(repo, capsys, *RECOVER)[0] == 3
    lock.unlink()
    repo.git("checkout", "-q", "-f", "pr-3277")
    repo.git("branch", "-q", "-D", BRANCH)
    other = repo.git("rev-parse", "pr-3277")
    _run(repo, capsys, "renumber", "--abort")
    assert repo.git("rev-parse", "pr-3277") == other
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "pr-3277\n"


def test_abort_with_the_original_branch_gone_leaves_the_hotfix_branch_clean_at_the_start(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run was stopped after its commit and, before `--abort`, the branch it started
    from was deleted: there is nothing to go back to, so the abort names the branch it stays
    on, and that branch holds the start commit with a clean tree, not the hotfix commit and
    its reverse in the working tree. This is the one case the soft reset alone decides
    (elsewhere checking the original branch out again hides it).
    kills: the hotfix commit not reset (`reset_soft` skipped, or its condition inverted)."""
    start = repo.git("rev-parse", "HEAD")
    _stop_at(monkeypatch, AFTER_COMMIT)
    monkeypatch.setattr(apply, "undo", lambda *args: ["(kept for the test)"])
    code, _, err = _run(repo, capsys, *RECOVER)
    assert code == 3 and "could not restore: (kept for the test)" in err, err
    monkeypatch.undo()
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == f"{BRANCH}\n"
    assert repo.git("rev-parse", "HEAD") != start
    repo.git("branch", "-q", "-D", "main")
    code, out, err = _run(repo, capsys, "renumber", "--abort")
    assert (code, out) == (3, ""), err
    first = err.splitlines()[0]
    assert first.startswith("migration-guard renumber: error: could not undo everything of "), err
    assert first.endswith(f": still on branch {BRANCH}"), err
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == f"{BRANCH}\n"
    assert repo.git("rev-parse", "HEAD") == start
    assert repo.git("status", "--porcelain", "--untracked-files=no") == ""
