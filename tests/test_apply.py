from __future__ import annotations

import re
from pathlib import Path

import pytest
from testing.cli import snapshot as _state
from testing.gitrepo import GitRepo

from migration_guard import apply, journal
from migration_guard.apply import ApplyError, UncommittedChangesError, apply_plan
from migration_guard.edits import EditPlan, FileEdit, Rename
from migration_guard.errors import InputError


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write("v/0145_a.py", "revision = '0145'\n")
    repo.write("v/0146_b.py", "down_revision = '0145'\n")
    repo.write("v/0147_c.py", "c\n")
    repo.commit_all("start")
    return repo


def _plan() -> EditPlan:
    return EditPlan(
        edits=(
            FileEdit("v/0145_a.py", "revision = '0145'\n", "revision = '0193'\n"),
            FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),
        ),
        renames=(Rename("v/0145_a.py", "v/0193_a.py"), Rename("v/0147_c.py", "v/0194_c.py")),
    )


def test_applies_edits_and_stages_renames_like_git_mv(repo: GitRepo) -> None:
    apply_plan(repo.path, _plan(), in_git=True)
    assert (repo.path / "v/0193_a.py").read_text() == "revision = '0193'\n"
    assert (repo.path / "v/0146_b.py").read_text() == "down_revision = '0193'\n"
    assert not (repo.path / "v/0145_a.py").exists()
    assert sorted(repo.git("status", "--porcelain").splitlines()) == [
        " M v/0146_b.py",
        "R  v/0147_c.py -> v/0194_c.py",
        "RM v/0145_a.py -> v/0193_a.py",
    ]


def test_failure_halfway_leaves_the_repository_exactly_as_it_was(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(repo)
    real_move = apply._move
    calls = []

    def failing_move(root: Path, old: str, new: str, in_git: bool) -> None:
        calls.append(old)
        if len(calls) == 2:
            raise OSError("disk full (injected)")
        real_move(root, old, new, in_git)

    monkeypatch.setattr(apply, "_move", failing_move)
    with pytest.raises(ApplyError, match="rolled back: disk full"):
        apply_plan(repo.path, _plan(), in_git=True)
    assert _state(repo) == before


def test_a_failed_validation_rolls_everything_back(repo: GitRepo) -> None:
    before = _state(repo)

    def validate() -> None:
        raise InputError("the chain has two heads after the edit")

    with pytest.raises(InputError, match="two heads"):
        apply_plan(repo.path, _plan(), in_git=True, after_apply=validate)
    assert _state(repo) == before


def test_refuses_to_touch_uncommitted_changes_unless_forced(repo: GitRepo) -> None:
    repo.write("v/0146_b.py", "down_revision = '0145'\n# my local note\n")
    before = _state(repo)
    plan = EditPlan(renames=(Rename("v/0146_b.py", "v/0194_b.py"),))
    dirty = re.escape("v/0146_b.py has uncommitted changes")
    with pytest.raises(UncommittedChangesError, match=dirty):
        apply_plan(repo.path, plan, in_git=True)
    assert _state(repo) == before
    apply_plan(repo.path, plan, in_git=True, force=True)
    assert (repo.path / "v/0194_b.py").read_text().endswith("# my local note\n")


def test_refuses_to_overwrite_an_existing_file(repo: GitRepo) -> None:
    repo.write("v/0193_a.py", "someone else's\n")
    with pytest.raises(InputError, match=re.escape("v/0193_a.py already exists")):
        apply_plan(repo.path, _plan(), in_git=True, force=True)
    assert (repo.path / "v/0145_a.py").exists()


def test_works_outside_git(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    (tmp_path / "v/0145_a.py").write_text("revision = '0145'\n")
    plan = EditPlan(
        edits=(FileEdit("v/0145_a.py", "revision = '0145'\n", "revision = '0193'\n"),),
        renames=(Rename("v/0145_a.py", "v/0193_a.py"),),
    )
    apply_plan(tmp_path, plan, in_git=False)
    assert (tmp_path / "v/0193_a.py").read_text() == "revision = '0193'\n"


def _create_plan() -> EditPlan:
    return EditPlan(
        edits=(
            FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0148'\n"),
            FileEdit.new_file("v/0148_new.py", "revision = '0148'\n"),
            FileEdit.new_file("v/deploy/new/0148.sql", "SELECT 1;\n"),
        )
    )


def test_creates_new_files_and_their_folders(repo: GitRepo) -> None:
    apply_plan(repo.path, _create_plan(), in_git=True)
    assert (repo.path / "v/0148_new.py").read_text() == "revision = '0148'\n"
    assert (repo.path / "v/deploy/new/0148.sql").read_text() == "SELECT 1;\n"
    assert sorted(repo.git("status", "--porcelain", "--untracked-files=all").splitlines()) == [
        " M v/0146_b.py",
        "?? v/0148_new.py",
        "?? v/deploy/new/0148.sql",
    ]


def test_refuses_to_create_a_file_that_exists(repo: GitRepo) -> None:
    repo.write("v/0148_new.py", "someone else's\n")
    before = _state(repo)
    with pytest.raises(InputError, match=re.escape("v/0148_new.py already exists")):
        apply_plan(repo.path, _create_plan(), in_git=True, force=True)
    assert _state(repo) == before


def test_refuses_to_create_through_a_symbolic_link(repo: GitRepo) -> None:
    (repo.path / "v/deploy").symlink_to(repo.path)
    with pytest.raises(InputError, match="symbolic link"):
        apply_plan(repo.path, _create_plan(), in_git=True)
    assert not (repo.path / "v/0148_new.py").exists()


def test_a_failed_create_rolls_back_to_no_file_and_no_new_folder(repo: GitRepo) -> None:
    before = _state(repo)

    def validate() -> None:
        raise InputError("the chain has two heads after the edit")

    with pytest.raises(InputError, match="two heads"):
        apply_plan(repo.path, _create_plan(), in_git=True, after_apply=validate)
    assert _state(repo) == before
    assert not (repo.path / "v/deploy").exists()
    assert (repo.path / "v").is_dir()


def test_creates_outside_git(tmp_path: Path) -> None:
    apply_plan(tmp_path, EditPlan(edits=(FileEdit.new_file("a/b.sql", "x\n"),)), in_git=False)
    assert (tmp_path / "a/b.sql").read_text() == "x\n"


def test_apply_plan_itself_refuses_while_a_journal_is_pending(repo: GitRepo) -> None:
    """The library entry point checks the journal in the repository's own folder (``.git``)
    too, not only the commands that call it. kills: the pending check looking in the
    un-versioned location (``in_git`` dropped)."""
    journal.create(
        journal.location(repo.path, True),
        command=["renumber", "0145"],
        steps=[{"op": "edit", "path": "v/0145_a.py", "new": "files/0.new"}],
        in_git=True,
        index="",
        registry=None,
        hotfix=None,
    ).save()
    before = _state(repo)
    with pytest.raises(journal.PendingJournalError, match="an interrupted run left a journal"):
        apply_plan(repo.path, _plan(), in_git=True)
    assert _state(repo) == before
