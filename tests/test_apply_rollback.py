"""Each layer of the rollback (``apply.undo``) alone: a failure that only that layer can repair.

The layers hide each other: the snapshot rewrites bytes a missing rename-back would leave
behind, the rename-back puts files where the snapshot expects them. So each test injects a
failure the other layers cannot repair, and its docstring names the hand mutation of
``apply.py`` it was seen to catch ("kills: ..."). The obstacles that make a restore fail are
real (a directory where a file goes, git's ``index.lock``): tests run as root, where a
read-only folder stops nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from testing.cli import run as _run
from testing.cli import snapshot as _state
from testing.gitrepo import GitRepo

from migration_guard import apply, journal, sample
from migration_guard.apply import apply_plan
from migration_guard.edits import EditPlan, FileEdit, Rename
from migration_guard.errors import InputError

SCRIPT = "#!/bin/sh\necho 0147\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write("v/0145_a.py", "revision = '0145'\n")
    repo.write("v/0146_b.py", "down_revision = '0145'\n")
    repo.write("v/0147_c.sh", SCRIPT).chmod(0o755)
    repo.commit_all("start")
    return repo


def _fail() -> None:
    raise InputError("injected: the chain has two heads after the edit")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _journal_of(repo: GitRepo) -> Path:
    return journal.location(repo.path, True) / "journal.json"


def test_the_rename_back_keeps_a_renamed_scripts_mode_and_identity(repo: GitRepo) -> None:
    """Only the rename-back keeps them: the snapshot would write the bytes as a new 0644 file.
    kills: rename-back loop disabled (no other test does)."""
    script = repo.path / "v/0147_c.sh"
    inode = script.stat().st_ino
    before = _state(repo)
    plan = EditPlan(renames=(Rename("v/0147_c.sh", "v/0194_c.sh"),))
    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=_fail)
    assert _mode(script) == 0o755
    assert script.stat().st_ino == inode  # the same file moved back, not a copy
    assert _state(repo) == before
    assert not _journal_of(repo).exists()


def test_the_snapshot_restores_edited_bytes_and_removes_created_files(repo: GitRepo) -> None:
    """kills: `_restore_snapshot` returning [] without restoring; its byte restore skipped."""
    before = _state(repo)
    plan = EditPlan(
        edits=(
            FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),
            FileEdit("v/0145_a.py", "revision = '0145'\n", "revision = '0193'\n"),
            FileEdit.new_file("v/0148_new.py", "revision = '0148'\n"),
        ),
        renames=(Rename("v/0145_a.py", "v/0193_a.py"),),
    )
    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=_fail)
    # The rename-back put 0145 back with its edited bytes; only the snapshot has the old ones.
    assert (repo.path / "v/0145_a.py").read_text() == "revision = '0145'\n"
    assert (repo.path / "v/0146_b.py").read_text() == "down_revision = '0145'\n"
    assert not (repo.path / "v/0148_new.py").exists()
    assert _state(repo) == before


def test_an_edited_script_keeps_its_mode_applied_and_rolled_back(repo: GitRepo) -> None:
    """A file edited in place keeps its executable bit (it was written as a new 0644 file,
    and the rollback, comparing bytes only, left git seeing a mode change).
    kills: the mode copy in `_write_bytes` dropped."""
    script = repo.path / "v/0147_c.sh"
    before = _state(repo)
    plan = EditPlan(edits=(FileEdit("v/0147_c.sh", SCRIPT, SCRIPT.replace("0147", "0194")),))
    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=_fail)
    assert _mode(script) == 0o755
    assert _state(repo) == before
    apply_plan(repo.path, plan, in_git=True)
    assert _mode(script) == 0o755
    assert repo.git("status", "--porcelain") == " M v/0147_c.sh\n"
    assert "mode" not in repo.git("diff")


def test_the_index_entries_come_back_exactly_when_the_files_are_already_back(
    repo: GitRepo,
) -> None:
    """A staged version differing from both HEAD and the file: `git add` would not restore
    it, only the exact index entry does. After the rename-back the bytes are all equal: the
    index is the one difference left.
    kills: `_restore_index` skipped, reported as a problem or not."""
    repo.write("v/0146_b.py", "down_revision = '0145'\n# staged\n")
    repo.git("add", "v/0146_b.py")
    repo.write("v/0146_b.py", "down_revision = '0145'\n# staged\n# and not staged\n")
    before = _state(repo)
    cached = repo.git("diff", "--cached")
    plan = EditPlan(renames=(Rename("v/0146_b.py", "v/0194_b.py"),))
    seen = {}

    def fail_after_looking() -> None:
        seen["index"] = repo.git("ls-files", "-s", "v")
        _fail()

    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, force=True, after_apply=fail_after_looking)
    assert "v/0194_b.py" in seen["index"]  # git mv staged the rename: there was a change
    assert repo.git("diff", "--cached") == cached
    assert _state(repo) == before


def test_a_leftover_temp_file_is_removed(repo: GitRepo) -> None:
    """A write killed between its temp file and the rename leaves ``.NAME.migration-guard.tmp``
    beside the file; no journal entry names it.
    kills: the temp-file removal skipped."""
    before = _state(repo)

    def fail_as_a_killed_write_would() -> None:
        (repo.path / "v/.0146_b.py.migration-guard.tmp").write_text("half written")
        _fail()

    plan = EditPlan(
        edits=(FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),)
    )
    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=fail_as_a_killed_write_would)
    assert not (repo.path / "v/.0146_b.py.migration-guard.tmp").exists()
    assert _state(repo) == before


# --- what the rollback cannot restore: named, the journal kept, `--abort` once fixed ----------

V = sample.CONSOLE_VERSIONS
FIRST = f"{V}/0145_promote_my_feature.py"
SECOND = f"{V}/0146_second.py"


@pytest.fixture
def feature(tmp_path: Path) -> GitRepo:
    """The sample repository on a branch adding console 0145 and 0146 on main's 0144 while
    main went on to 0192: `renumber --branch` edits both and renames both."""
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    for path in sorted((repo.path / V).iterdir())[144:]:
        path.unlink()
    repo.commit_all("main at 0144")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(FIRST, sample.alembic_script("0145", "0144", "promote_my_feature", table="t_p"))
    repo.write(SECOND, sample.alembic_script("0146", "0145", "second", table="t_s"))
    repo.commit_all("feature")
    repo.git("checkout", "-q", "main")
    sample.write_sample_repo(repo.path)
    repo.commit_all("main at 0192")
    repo.push("main")
    repo.git("checkout", "-q", "feature")
    return repo


RENUMBER = ("renumber", "--branch", "--to", "next", "--provider", "none")


def _fail_second_move(
    monkeypatch: pytest.MonkeyPatch, obstacle: Callable[[], None]
) -> list[tuple[str, str]]:
    """The one seam: the second rename raises, after ``obstacle()`` blocked a restore."""
    real_move = apply._move
    moves: list[tuple[str, str]] = []

    def failing_move(root: Path, old: str, new: str, in_git: bool) -> None:
        moves.append((old, new))
        if len(moves) == 2:
            obstacle()
            raise OSError("disk full (injected)")
        real_move(root, old, new, in_git)

    monkeypatch.setattr(apply, "_move", failing_move)
    return moves


def test_a_file_the_rollback_cannot_write_is_named_and_abort_restores_it_later(
    feature: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder now stands where an edited file must be written back.
    kills: `problems.append` dropped for a file; the "could not restore" error not raised."""
    before = _state(feature)
    blocked: list[Path] = []

    def folder_instead_of_the_file() -> None:
        (target,) = [feature.path / p for p in (FIRST, SECOND) if (feature.path / p).exists()]
        target.unlink()
        (target / "someone-elses").mkdir(parents=True)
        blocked.append(target)

    moves = _fail_second_move(monkeypatch, folder_instead_of_the_file)
    code, out, err = _run(feature, capsys, *RENUMBER)
    assert len(moves) == 2 and (code, out) == (3, ""), err
    (target,) = blocked
    path = str(target.relative_to(feature.path))
    folder = journal.location(feature.path, True)
    assert err == (
        "migration-guard renumber: error: applying failed (disk full (injected)) and the "
        f"rollback could not restore: {path}: [Errno 21] Is a directory: '{target}'\n"
        f"  hint: the journal in {folder} is kept: fix what is named, then `migration-guard "
        "renumber --abort` (or restore by hand, compare with `git status`)\n"
    )
    assert _journal_of(feature).is_file()
    # What --continue checks again and --abort reports: kept in the journal.
    kept = json.loads(_journal_of(feature).read_text())
    assert [b["chain"] for b in kept["bounds"]] == ["console"]
    code, out, err = _run(feature, capsys, *RENUMBER)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"migration-guard renumber: error: an interrupted run left a journal in {folder}: "
    ), err
    code, _, err = _run(feature, capsys, "renumber", "--abort")  # the folder is still there
    assert code == 3 and f"could not undo everything of `migration-guard -C {feature.path}" in err
    assert _journal_of(feature).is_file()
    shutil.rmtree(target)
    code, out, err = _run(feature, capsys, "renumber", "--abort")
    assert code == 0, err
    assert out.endswith("Every applied step was undone: files and git index.\n")
    assert not _journal_of(feature).exists()
    assert _state(feature) == before


def test_index_entries_the_rollback_cannot_restore_are_named_and_abort_restores_them_later(
    feature: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's ``index.lock`` left by another process once the first `git mv` staged its rename.
    kills: `problems.append` dropped for the index; the "could not restore" error not raised."""
    before = _state(feature)
    lock = feature.path / ".git/index.lock"
    moves = _fail_second_move(monkeypatch, lock.touch)
    code, out, err = _run(feature, capsys, *RENUMBER)
    assert len(moves) == 2 and (code, out) == (3, ""), err
    first_old, first_new = moves[0]
    assert err.startswith(
        "migration-guard renumber: error: applying failed (disk full (injected)) and the "
        "rollback could not restore: the git index entries of "
    ), err
    named = err.splitlines()[0].rsplit("the git index entries of ", 1)[1].split(", ")
    assert {first_old, first_new} <= set(named)
    assert "Traceback" not in err and "`migration-guard renumber --abort`" in err
    # Every file is back already: the index alone is left to restore.
    assert _state(feature)[2] == before[2]
    assert _journal_of(feature).is_file()
    code, out, err = _run(feature, capsys, "renumber", "--abort")  # the lock is still there
    assert (code, out) == (3, ""), err
    assert "could not undo everything of " in err and "the git index entries of " in err
    assert err.endswith(
        f"  hint: the journal in {journal.location(feature.path, True)} is kept: fix what is "
        "named, then run `migration-guard renumber --abort` again\n"
    )
    assert _journal_of(feature).is_file()
    lock.unlink()
    code, _, err = _run(feature, capsys, "renumber", "--abort")
    assert code == 0, err
    assert not _journal_of(feature).exists()
    assert _state(feature) == before


@pytest.mark.parametrize("in_git", [True, False])
def test_a_journal_that_cannot_be_written_leaves_nothing_behind(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch, in_git: bool
) -> None:
    """The disk fills while the journal keeps the files' copies: nothing was changed yet, and
    no half-written journal folder is left (outside git it would sit in the working tree).
    kills: `_start` not removing its journal on a failure."""
    before = _state(repo)
    real_store = journal.Journal.store

    def store(self: journal.Journal, name: str, content: bytes) -> str:
        if name.endswith(".new"):
            raise OSError(28, "No space left on device")
        return real_store(self, name, content)

    monkeypatch.setattr(journal.Journal, "store", store)
    plan = EditPlan(
        edits=(FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),)
    )
    with pytest.raises(apply.ApplyError) as failed:
        apply_plan(repo.path, plan, in_git=in_git)
    assert failed.value.message == (
        "applying failed and was rolled back: [Errno 28] No space left on device"
    )
    assert not journal.location(repo.path, in_git).exists()
    assert _state(repo) == before


# --- the folders, the odd bytes, git doing less than asked --------------------------------------


@pytest.mark.parametrize("in_git", [True, False])
def test_a_rename_into_new_nested_folders_is_made_and_rolled_back(
    repo: GitRepo, in_git: bool
) -> None:
    """kills: `_move` creating only the last missing folder; the rollback leaving the
    folders a rename made (they were not recorded as made)."""
    before = _state(repo)
    plan = EditPlan(renames=(Rename("v/0147_c.sh", "w/x/0147_c.sh"),))
    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=in_git, after_apply=_fail)
    assert not (repo.path / "w").exists()
    assert _state(repo) == before
    apply_plan(repo.path, plan, in_git=in_git)
    assert (repo.path / "w/x/0147_c.sh").read_text() == SCRIPT


_DEEP = "v/deep/er/0148_d.py"


@pytest.mark.parametrize(
    "plan",
    [
        EditPlan(edits=(FileEdit(_DEEP, "down_revision = '0147'\n", "x = 1\n"),)),
        EditPlan(renames=(Rename(_DEEP, "v/0148_d.py"),)),
    ],
    ids=["edited", "renamed-out"],
)
def test_a_file_whose_folders_were_removed_meanwhile_is_written_back(
    repo: GitRepo, plan: EditPlan
) -> None:
    """Before the rollback, something removed the file's folders. An edited file is written
    back into folders made again; a renamed one's rename-back fails (its folder is gone) and
    the snapshot writes it back. kills: `_restore` creating only the last missing folder;
    the rename-back's error not suppressed."""
    repo.write(_DEEP, "down_revision = '0147'\n")
    repo.commit_all("deep")
    before = _state(repo)

    def remove_the_folders_then_fail() -> None:
        shutil.rmtree(repo.path / "v/deep")
        _fail()

    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=remove_the_folders_then_fail)
    assert _state(repo) == before


def test_a_git_mv_that_moves_nothing_is_named_and_rolled_back(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`git mv -k` exits 0 when it skips a file. kills: the check's message lost."""
    real = shutil.which("git")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text(f'#!/bin/sh\n[ "$1" = mv ] && exit 0\nexec {real} "$@"\n')
    (fake / "git").chmod(0o755)
    before = _state(repo)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    plan = EditPlan(renames=(Rename("v/0147_c.sh", "v/0194_c.sh"),))
    with pytest.raises(apply.ApplyError) as failed:
        apply_plan(repo.path, plan, in_git=True)
    assert failed.value.message == "git mv v/0147_c.sh v/0194_c.sh did not move the file"
    assert _state(repo) == before


def test_a_rename_whose_file_vanished_meanwhile_is_refused_and_rolled_back(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process removed the file to rename after the edits were written.
    kills: `_move_once` going on (or failing otherwise) when neither file exists."""
    real_write = apply._write_bytes

    def write_then_lose_the_script(path: Path, data: bytes) -> None:
        real_write(path, data)
        (repo.path / "v/0147_c.sh").unlink()

    monkeypatch.setattr(apply, "_write_bytes", write_then_lose_the_script)
    plan = EditPlan(
        edits=(FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),),
        renames=(Rename("v/0147_c.sh", "v/0194_c.sh"),),
    )
    with pytest.raises(apply.ApplyError) as failed:
        apply_plan(repo.path, plan, in_git=True)
    assert failed.value.message == "cannot rename v/0147_c.sh to v/0194_c.sh: neither exists"
    assert (repo.path / "v/0147_c.sh").read_text() == SCRIPT
    assert (repo.path / "v/0146_b.py").read_text() == "down_revision = '0145'\n"


def test_outside_git_a_failure_rolls_back_without_asking_git(tmp_path: Path) -> None:
    """kills: the index compared outside git too (git fails there: the rollback stops)."""
    (tmp_path / "v").mkdir()
    (tmp_path / "v/0145_a.py").write_text("revision = '0145'\n")
    plan = EditPlan(
        edits=(FileEdit("v/0145_a.py", "revision = '0145'\n", "revision = '0193'\n"),),
        renames=(Rename("v/0145_a.py", "v/0193_a.py"),),
    )
    with pytest.raises(InputError, match="injected"):
        apply_plan(tmp_path, plan, in_git=False, after_apply=_fail)
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["0145_a.py"]
    assert (tmp_path / "v/0145_a.py").read_text() == "revision = '0145'\n"


def test_bytes_that_are_not_utf8_survive_an_edit(repo: GitRepo) -> None:
    """A latin-1 comment is read with surrogate escapes; the edit writes the same byte back.
    kills: the new text encoded strictly (the run fails) or with another error handler."""
    raw = b"# caf\xe9\nrevision = '0145'\n"
    (repo.path / "v/0145_a.py").write_bytes(raw)
    repo.commit_all("latin-1")
    old = raw.decode("utf-8", "surrogateescape")
    plan = EditPlan(edits=(FileEdit("v/0145_a.py", old, old.replace("0145", "0193")),))
    apply_plan(repo.path, plan, in_git=True)
    assert (repo.path / "v/0145_a.py").read_bytes() == b"# caf\xe9\nrevision = '0193'\n"


def test_a_folder_someone_else_filled_meanwhile_is_kept(repo: GitRepo) -> None:
    """The rollback removes the folders it made only when empty; another file there stays,
    and the rollback goes on. kills: the folder removal's error not suppressed."""
    plan = EditPlan(edits=(FileEdit.new_file("n/0148_new.py", "revision = '0148'\n"),))

    def someone_adds_a_file_then_fail() -> None:
        (repo.path / "n/theirs.txt").write_text("mine\n")
        _fail()

    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=someone_adds_a_file_then_fail)
    assert [p.name for p in (repo.path / "n").iterdir()] == ["theirs.txt"]
    assert not _journal_of(repo).exists()


def test_a_folder_where_the_temp_file_goes_does_not_stop_the_rollback(repo: GitRepo) -> None:
    """kills: the temp-file removal's error (here: a folder by that name) not suppressed."""
    before = _state(repo)

    def folder_then_fail() -> None:
        (repo.path / "v/.0146_b.py.migration-guard.tmp/x").mkdir(parents=True)
        _fail()

    plan = EditPlan(
        edits=(FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),)
    )
    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=folder_then_fail)
    assert (repo.path / "v/0146_b.py").read_text() == "down_revision = '0145'\n"
    assert _state(repo) == before
    assert not _journal_of(repo).exists()


def test_a_plain_keyboard_interrupt_is_named_when_the_rollback_is_incomplete(
    repo: GitRepo,
) -> None:
    """A KeyboardInterrupt raised by the caller's check (no signal): "interrupted".
    kills: `_why`'s text for it."""
    target = repo.path / "v/0146_b.py"

    def folder_then_interrupt() -> None:
        target.unlink()
        (target / "x").mkdir(parents=True)
        raise KeyboardInterrupt

    plan = EditPlan(
        edits=(FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),)
    )
    with pytest.raises(apply.ApplyError) as failed:
        apply_plan(repo.path, plan, in_git=True, after_apply=folder_then_interrupt)
    assert failed.value.message == (
        "applying failed (interrupted) and the rollback could not restore: "
        f"v/0146_b.py: [Errno 21] Is a directory: '{target}'"
    )


# --- a registry the rollback cannot restore ------------------------------------------------------


class _Registry:
    """A registry whose restore fails: what is named, and what the journal keeps for --abort."""

    def __init__(self, hint: str | None) -> None:
        self.hint = hint
        self.restored = 0

    @property
    def target_count(self) -> int:
        return 0

    def record(self, root: Path) -> dict[str, object]:
        return {"root": str(root), "targets": []}

    def revert_target(self, index: int) -> None:
        raise AssertionError("no targets")

    def deploy_target(self, index: int) -> None:
        raise AssertionError("no targets")

    def restore_all(self) -> None:
        self.restored += 1
        raise InputError("sqitch revert --log-only failed on db:sqlite:q.db", hint=self.hint)


@pytest.mark.parametrize("hint", ["is the database up?", None])
def test_a_registry_the_rollback_cannot_restore_is_named_and_kept_for_abort(
    repo: GitRepo, hint: str | None
) -> None:
    """kills: the registry not passed to the rollback or not recorded in the journal; its
    error's text (with and without a hint) changed."""
    registry = _Registry(hint)
    plan = EditPlan(
        edits=(FileEdit("v/0146_b.py", "down_revision = '0145'\n", "down_revision = '0193'\n"),)
    )
    with pytest.raises(apply.ApplyError) as failed:
        apply_plan(repo.path, plan, in_git=True, after_apply=_fail, registry=registry)
    named = "sqitch revert --log-only failed on db:sqlite:q.db" + (
        " (is the database up?)" if hint else ""
    )
    assert failed.value.message == (
        "applying failed (injected: the chain has two heads after the edit) and the rollback "
        f"could not restore: {named}"
    )
    assert registry.restored == 1
    kept = json.loads(_journal_of(repo).read_text())
    assert kept["registry"] == {"root": str(repo.path), "targets": []}
    assert (repo.path / "v/0146_b.py").read_text() == "down_revision = '0145'\n"


def test_abort_outside_git_names_only_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run outside git that was killed before its first step: the abort says it restored
    the files, not a git index or a sqitch registry it never had."""
    (tmp_path / "v").mkdir()
    (tmp_path / "v/0145_a.py").write_text("revision = '0145'\n")
    plan = EditPlan(edits=(FileEdit("v/0145_a.py", "revision = '0145'\n", "x\n"),))
    steps = apply.plan_steps(plan, registry=None, hotfix=None, validate=False)
    apply._start(tmp_path, plan, steps, in_git=False, registry=None, hotfix=None, bounds=())
    code, out, err = _run(tmp_path, capsys, "renumber", "--abort")
    assert code == 0, err
    assert out.endswith("\nEvery applied step was undone: files.\n")
    assert not journal.location(tmp_path, False).exists()
