from __future__ import annotations

from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard.edits import EditPlan, FileEdit, Rename, unified_diff

V = "console/migrations/versions"

EDIT = FileEdit(f"{V}/0193_a.py", 'revision = "0193"\nx = 1\n', 'revision = "0194"\nx = 1\n', "id")
RENAME = Rename(f"{V}/0193_a.py", f"{V}/0194_a.py")
OTHER = FileEdit("q/sqitch.plan", "07-a\n", "08-a\n")


def test_merged_concatenates_in_order() -> None:
    one = EditPlan((EDIT,), (RENAME,), ("renumber 0193 -> 0194",))
    two = EditPlan((OTHER,), (Rename("q/deploy/07-a.sql", "q/deploy/08-a.sql"),), ("plan",))
    assert one.merged(two) == EditPlan(
        (EDIT, OTHER),
        (RENAME, Rename("q/deploy/07-a.sql", "q/deploy/08-a.sql")),
        ("renumber 0193 -> 0194", "plan"),
    )
    assert EditPlan().merged(one) == one
    assert one.merged(EditPlan()) == one


def test_touched_paths_lists_each_path_once_edits_first() -> None:
    plan = EditPlan(
        (EDIT, OTHER),
        (RENAME, Rename("q/deploy/07-a.sql", "q/deploy/08-a.sql")),
    )
    assert plan.touched_paths == (
        f"{V}/0193_a.py",
        "q/sqitch.plan",
        f"{V}/0194_a.py",
        "q/deploy/07-a.sql",
        "q/deploy/08-a.sql",
    )
    assert EditPlan().touched_paths == ()


def test_final_path_follows_a_rename_or_stays() -> None:
    plan = EditPlan((EDIT,), (RENAME,))
    assert plan.final_path(f"{V}/0193_a.py") == f"{V}/0194_a.py"
    assert plan.final_path(f"{V}/0194_a.py") == f"{V}/0194_a.py"
    assert plan.final_path("q/sqitch.plan") == "q/sqitch.plan"


def test_plans_are_immutable_values() -> None:
    plan = EditPlan((EDIT,))
    with pytest.raises(AttributeError):
        plan.edits = ()  # type: ignore[misc]
    assert EditPlan((EDIT,)) == plan and hash(EditPlan((EDIT,))) == hash(plan)


def test_diff_of_a_rename_only() -> None:
    assert unified_diff(EditPlan(renames=(RENAME,))) == (
        f"diff --git a/{V}/0193_a.py b/{V}/0194_a.py\n"
        f"rename from {V}/0193_a.py\n"
        f"rename to {V}/0194_a.py\n"
    )


def test_diff_of_a_rename_with_an_edit_then_plain_edits() -> None:
    plan = EditPlan((OTHER, EDIT), (RENAME,))
    assert unified_diff(plan) == (
        f"diff --git a/{V}/0193_a.py b/{V}/0194_a.py\n"
        f"rename from {V}/0193_a.py\n"
        f"rename to {V}/0194_a.py\n"
        f"--- a/{V}/0193_a.py\n"
        f"+++ b/{V}/0194_a.py\n"
        "@@ -1,2 +1,2 @@\n"
        '-revision = "0193"\n'
        '+revision = "0194"\n'
        " x = 1\n"
        "diff --git a/q/sqitch.plan b/q/sqitch.plan\n"
        "--- a/q/sqitch.plan\n"
        "+++ b/q/sqitch.plan\n"
        "@@ -1 +1 @@\n"
        "-07-a\n"
        "+08-a\n"
    )


def test_diff_marks_a_missing_final_newline_on_either_side() -> None:
    gained = FileEdit("a.txt", "one\ntwo", "one\ntwo\n")
    assert unified_diff(EditPlan((gained,))) == (
        "diff --git a/a.txt b/a.txt\n"
        "--- a/a.txt\n"
        "+++ b/a.txt\n"
        "@@ -1,2 +1,2 @@\n"
        " one\n"
        "-two\n"
        "\\ No newline at end of file\n"
        "+two\n"
    )
    both = FileEdit("b.txt", "old\nlast", "new\nlast")
    assert unified_diff(EditPlan((both,))) == (
        "diff --git a/b.txt b/b.txt\n"
        "--- a/b.txt\n"
        "+++ b/b.txt\n"
        "@@ -1,2 +1,2 @@\n"
        "-old\n"
        "+new\n"
        " last\n"
        "\\ No newline at end of file\n"
    )


def test_diff_of_an_unchanged_edit_is_just_its_header() -> None:
    same = FileEdit("a.txt", "same\n", "same\n")
    assert unified_diff(EditPlan((same,))) == "diff --git a/a.txt b/a.txt\n"
    assert unified_diff(EditPlan()) == ""


def test_git_apply_accepts_the_diff(tmp_path: Path) -> None:
    """The diff is a real patch: ``git apply`` turns the old files into the planned new ones."""
    repo = GitRepo.create(tmp_path)
    repo.write(f"{V}/0193_a.py", EDIT.old_text)
    repo.write(f"{V}/0100_b.py", "unchanged\n")
    repo.write("q/sqitch.plan", OTHER.old_text)
    repo.write("n.txt", "one\ntwo")
    repo.commit_all("before")
    plan = EditPlan(
        (EDIT, OTHER, FileEdit("n.txt", "one\ntwo", "one\n2\n")),
        (RENAME, Rename(f"{V}/0100_b.py", f"{V}/0101_b.py")),
    )
    (tmp_path / "plan.diff").write_text(unified_diff(plan), encoding="utf-8")
    repo.git("apply", "--index", str(tmp_path / "plan.diff"))
    assert (repo.path / f"{V}/0194_a.py").read_text() == EDIT.new_text
    assert (repo.path / f"{V}/0101_b.py").read_text() == "unchanged\n"
    assert not (repo.path / f"{V}/0193_a.py").exists()
    assert not (repo.path / f"{V}/0100_b.py").exists()
    assert (repo.path / "q/sqitch.plan").read_text() == "08-a\n"
    assert (repo.path / "n.txt").read_text() == "one\n2\n"


def test_git_apply_accepts_the_diff_of_a_new_file(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path)
    repo.write("README", "x\n")
    repo.commit_all("before")
    plan = EditPlan((FileEdit.new_file(f"{V}/0194_new.py", "revision = '0194'\n"),))
    diff = unified_diff(plan)
    assert diff.startswith(
        f"diff --git a/{V}/0194_new.py b/{V}/0194_new.py\nnew file mode 100644\n"
        f"--- /dev/null\n+++ b/{V}/0194_new.py\n"
    )
    (tmp_path / "plan.diff").write_text(diff, encoding="utf-8")
    repo.git("apply", "--index", str(tmp_path / "plan.diff"))
    assert (repo.path / f"{V}/0194_new.py").read_text() == "revision = '0194'\n"
