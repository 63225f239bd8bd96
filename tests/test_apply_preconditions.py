"""What a write refuses up front (``apply.check_preconditions``, ``refuse_links``,
``_check_new_branch``), word for word as the CLI prints it, with nothing written; and what
it must not refuse. Each case names the mutation of ``apply.py`` it was seen to catch."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from testing import incident
from testing.cli import run as _run
from testing.cli import snapshot as _state
from testing.gitrepo import GitRepo
from testing.sqitch_projects import queue_collision_repo

from migration_guard import journal
from migration_guard.apply import ApplyError, Hotfix, UncommittedChangesError, apply_plan, execute
from migration_guard.edits import EditPlan, FileEdit, Rename
from migration_guard.errors import InputError

A, B, C = "v/0145_a.py", "v/0146_b.py", "v/0147_c.py"
LINK_HINT = "replace the link by the file itself (commit that), then run again"
NEVER = "; migration-guard never writes through a symbolic link"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write(A, "revision = '0145'\n")
    repo.write(B, "down_revision = '0145'\n")
    repo.write(C, "c\n")
    repo.write("real/0148.sql", "SELECT 1;\n")
    repo.commit_all("start")
    return repo


def _link(repo: GitRepo, rel: str, target: str) -> None:
    path = repo.path / rel
    if path.is_file():
        path.unlink()
    path.symlink_to(target)


def _nothing(repo: GitRepo) -> None:
    pass


# (setup, plan, message, hint): every refusal is an InputError (exit 2).
REFUSED: dict[str, tuple[Callable[[GitRepo], object], EditPlan, str, str | None]] = {
    # kills: the rename-target check's message dropped
    "rename target exists": (
        lambda r: r.write("v/0194_c.py", "someone else's\n"),
        EditPlan(renames=(Rename(C, "v/0194_c.py"),)),
        "v/0194_c.py already exists; not overwriting it",
        None,
    ),
    # kills: `exists() and is_symlink()`; the message dropped
    "created file exists": (
        lambda r: r.write("v/0148_new.py", "someone else's\n"),
        EditPlan(edits=(FileEdit.new_file("v/0148_new.py", "x\n"),)),
        "v/0148_new.py already exists; not overwriting it",
        None,
    ),
    # kills: `created.count(None)`, `> 2`, the message dropped
    "created twice": (
        _nothing,
        EditPlan(
            edits=(
                FileEdit.new_file("v/0148_new.py", "x\n"),
                FileEdit.new_file("v/0148_new.py", "y\n"),
            )
        ),
        "v/0148_new.py is created twice by the plan",
        None,
    ),
    # kills: `... and created.count(path) > 1`
    "created and a rename target": (
        _nothing,
        EditPlan(
            edits=(FileEdit.new_file("v/0194_c.py", "x\n"),), renames=(Rename(C, "v/0194_c.py"),)
        ),
        "v/0194_c.py is created twice by the plan",
        None,
    ),
    # kills: the missing-file message dropped
    "edited file missing": (
        _nothing,
        EditPlan(edits=(FileEdit("v/0150_gone.py", "x\n", "y\n"),)),
        "v/0150_gone.py does not exist in the working tree",
        None,
    ),
    "renamed file missing": (
        _nothing,
        EditPlan(renames=(Rename("v/0150_gone.py", "v/0151_gone.py"),)),
        "v/0150_gone.py does not exist in the working tree",
        None,
    ),
    # kills: the message or the hint dropped or changed
    "changed since planned": (
        _nothing,
        EditPlan(edits=(FileEdit(B, "down_revision = '0144'\n", "down_revision = '0193'\n"),)),
        f"{B} changed while the plan was made",
        "run the command again",
    ),
    # kills: `range(1, len(parts) - 1)` (the file itself never looked at); text and hint
    "file is a link": (
        lambda r: _link(r, C, "0145_a.py"),
        EditPlan(renames=(Rename(C, "v/0194_c.py"),)),
        f"{C} is a symbolic link ({C} -> 0145_a.py){NEVER}",
        LINK_HINT,
    ),
    # kills: `range(2, ...)` (a top-level folder never looked at)
    "top folder is a link": (
        lambda r: _link(r, "w", "v"),
        EditPlan(renames=(Rename("w/0147_c.py", "w/0194_c.py"),)),
        f"w/0147_c.py is inside a symbolic link (w -> v){NEVER}",
        LINK_HINT,
    ),
    # kills: `"XX/XX".join` of the shown link, "inside" and "a symbolic link" swapped
    "nested folder is a link": (
        lambda r: _link(r, "v/deploy", "../real"),
        EditPlan(edits=(FileEdit("v/deploy/0148.sql", "SELECT 1;\n", "SELECT 2;\n"),)),
        f"v/deploy/0148.sql is inside a symbolic link (v/deploy -> ../real){NEVER}",
        LINK_HINT,
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_each_refusal_is_worded_for_the_user_and_writes_nothing(repo: GitRepo, case: str) -> None:
    setup, plan, message, hint = REFUSED[case]
    setup(repo)
    before = _state(repo)
    with pytest.raises(InputError) as raised:
        apply_plan(repo.path, plan, in_git=True, force=True)
    assert (raised.value.message, raised.value.hint, raised.value.exit_code) == (message, hint, 2)
    assert _state(repo) == before
    assert not journal.location(repo.path, True).exists()


def test_uncommitted_changes_name_the_first_file_and_count_the_others(repo: GitRepo) -> None:
    """kills: the "(and N more)" count or its condition changed; the hint dropped."""
    for path in (A, B, C):
        (repo.path / path).write_text((repo.path / path).read_text() + "# mine\n")
    plan = EditPlan(
        edits=(
            FileEdit(B, "down_revision = '0145'\n# mine\n", "down_revision = '0193'\n# mine\n"),
        ),
        renames=(Rename(A, "v/0193_a.py"), Rename(C, "v/0194_c.py")),
    )
    before = _state(repo)
    with pytest.raises(UncommittedChangesError) as raised:
        apply_plan(repo.path, plan, in_git=True)
    assert raised.value.message == (f"{A} has uncommitted changes; not touching it (and 2 more)")
    assert raised.value.hint == "commit or stash them first, or pass --force to edit on top of them"
    assert _state(repo) == before
    for path, suffix in ((A, " (and 1 more)"), (C, "")):
        repo.git("checkout", "--", path)
        with pytest.raises(UncommittedChangesError) as raised:
            apply_plan(repo.path, plan, in_git=True)
        assert raised.value.message == f"{B} has uncommitted changes; not touching it{suffix}"


def test_a_rename_onto_a_file_the_plan_moves_away_is_not_refused(repo: GitRepo) -> None:
    """A block moved up by one: each target is the next one's source, free once it moved.
    kills: `rename.new_path in {sources}` (refused as "already exists")."""
    plan = EditPlan(renames=(Rename(C, "v/0148_c.py"), Rename(B, C)))
    apply_plan(repo.path, plan, in_git=True)
    assert (repo.path / "v/0148_c.py").read_text() == "c\n"
    assert (repo.path / C).read_text() == "down_revision = '0145'\n"
    assert not (repo.path / B).exists()


def test_a_file_that_is_not_utf8_is_edited_byte_for_byte(repo: GitRepo) -> None:
    """A Latin-1 comment in a migration: read and written back with surrogate escapes.
    kills: `errors=None` or a misspelt error handler (a decode error, or a LookupError)."""
    raw = b"# caf\xe9\nrevision = '0145'\n"
    (repo.path / A).write_bytes(raw)
    repo.commit_all("latin-1 comment")
    old = raw.decode("utf-8", "surrogateescape")
    apply_plan(
        repo.path, EditPlan(edits=(FileEdit(A, old, old.replace("0145", "0193")),)), in_git=True
    )
    assert (repo.path / A).read_bytes() == b"# caf\xe9\nrevision = '0193'\n"


def test_files_are_read_as_utf8_whatever_the_locale(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Latin-1 locale (Windows' cp1252 alike) must not make a UTF-8 file look changed.
    kills: `read_text(encoding=None)` or without encoding (the locale's)."""
    (repo.path / A).write_text("# café\nrevision = '0145'\n", encoding="utf-8")
    repo.commit_all("utf-8 comment")
    real = io.text_encoding
    monkeypatch.setattr(io, "text_encoding", lambda e, s=2: real(e, s) if e else "latin-1")
    old = "# café\nrevision = '0145'\n"
    apply_plan(
        repo.path, EditPlan(edits=(FileEdit(A, old, old.replace("0145", "0193")),)), in_git=True
    )
    assert (repo.path / A).read_text(encoding="utf-8") == "# café\nrevision = '0193'\n"


def test_recover_refuses_a_hotfix_branch_that_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kills: `branch_exists(None)` (then `git checkout -b` fails halfway, exit 3); the
    message or the hint dropped."""
    repo = incident.merge_prs_adding_0145(
        incident.main_at_0144(tmp_path), {3277: "promote_my_feature", 3322: "add_refund_audit"}
    )
    repo.git("branch", "hotfix/console-0145")
    before = _state(repo)
    code, out, err = _run(repo, capsys, "recover", "--apply", "--branch", "hotfix/console-0145")
    assert (code, out) == (2, ""), err
    assert err == (
        "migration-guard recover: error: branch 'hotfix/console-0145' already exists\n"
        "  hint: name a new branch\n"
    )
    assert _state(repo) == before
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


# --- the steps, in their order, as the journal records them ------------------------------------


class _Registry:
    """Two registry targets that record what is asked of them: the real sqitch registry
    (tests/test_renumber_sqitch.py) has one target; the order across two is checked here."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @property
    def target_count(self) -> int:
        return 2

    def record(self, root: Path) -> dict[str, Any]:
        return {"targets": 2}

    def revert_target(self, index: int) -> None:
        self.calls.append(f"revert {index}")

    def deploy_target(self, index: int) -> None:
        self.calls.append(f"deploy {index}")

    def restore_all(self) -> None:
        self.calls.append("restore")


def test_the_journal_records_every_step_in_the_order_it_runs(repo: GitRepo) -> None:
    """Branch first, registry reverts, edits, renames, the validation, registry deploys, the
    commit last; each step recorded as applied before the next one runs.
    kills: a step's name or key changed, a step list dropped (`steps = [...]`), revert and
    deploy swapped, the target index lost, the applied count off by one."""
    registry = _Registry()
    plan = EditPlan(
        edits=(FileEdit(B, "down_revision = '0145'\n", "down_revision = '0193'\n"),),
        renames=(Rename(C, "v/0194_c.py"),),
    )
    seen: dict[str, Any] = {}

    def validate() -> None:
        seen.update(json.loads((journal.location(repo.path, True) / "journal.json").read_text()))
        seen["calls"] = list(registry.calls)
        seen["branch"] = repo.git("rev-parse", "--abbrev-ref", "HEAD").strip()

    apply_plan(
        repo.path,
        plan,
        in_git=True,
        after_apply=validate,
        registry=registry,
        hotfix=Hotfix("hotfix/x", "hotfix: renumber"),
    )
    assert seen["steps"] == [
        {"op": "branch"},
        {"op": "registry-revert", "target": 0},
        {"op": "registry-revert", "target": 1},
        {"op": "edit", "path": B, "new": "files/3.new"},
        {"op": "rename", "from": C, "to": "v/0194_c.py"},
        {"op": "validate"},
        {"op": "registry-deploy", "target": 0},
        {"op": "registry-deploy", "target": 1},
        {"op": "commit"},
    ]
    assert seen["applied"] == 5  # the validation runs as step 5: 0-4 are recorded
    assert (seen["calls"], seen["branch"]) == (["revert 0", "revert 1"], "hotfix/x")
    assert registry.calls == ["revert 0", "revert 1", "deploy 0", "deploy 1"]
    assert repo.git("log", "-1", "--format=%s").strip() == "hotfix: renumber"
    assert repo.git("status", "--porcelain") == ""
    assert not journal.location(repo.path, True).exists()


def test_a_created_top_level_folder_is_removed_by_the_rollback(repo: GitRepo) -> None:
    """kills: `range(2, ...)` in `_missing_folders` (the top-level folder never recorded)."""
    before = _state(repo)
    plan = EditPlan(edits=(FileEdit.new_file("db/deploy/0001.sql", "SELECT 1;\n"),))

    def fail() -> None:
        raise InputError("injected: the chain has two heads after the edit")

    with pytest.raises(InputError, match="injected"):
        apply_plan(repo.path, plan, in_git=True, after_apply=fail)
    assert not (repo.path / "db").exists()
    assert _state(repo) == before


# --- a journal that cannot be run: named, and kept --------------------------------------------


def _journal(repo: GitRepo, steps: list[dict[str, Any]]) -> journal.Journal:
    """A journal of `renumber console:0144 --to 0145` with these steps, not yet saved."""
    return journal.create(
        journal.location(repo.path, True),
        command=["renumber", "console:0144", "--to", "0145"],
        steps=steps,
        in_git=True,
        index="",
        registry=None,
        hotfix=None,
    )


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"op": "bogus"}], "the journal names an unknown step 'bogus'"),
        (
            [{"op": "validate"}, {"op": "registry-deploy", "target": 0}],
            "the journal has registry steps but no registry to run them",
        ),
    ],
)
def test_execute_refuses_a_step_it_cannot_run(
    tmp_path: Path, steps: list[dict[str, Any]], message: str
) -> None:
    """The library's own guard, for a journal made in memory (``load`` refuses such a file
    before). kills: either message dropped."""
    repo = incident.main_at_0144(tmp_path)
    record = _journal(repo, steps)
    with pytest.raises(ApplyError) as raised:
        execute(record, repo.path, registry=None, validate=None)
    assert raised.value.message == message


_STEPS = [{"op": "edit", "path": "a.py", "new": "files/0.new"}, {"op": "validate"}]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        ({"steps": [{"op": "bogus"}]}, "step 1 is not one this version writes"),
        ({"steps": [{"op": "rename", "from": "a.py"}]}, "step 1 is not one this version writes"),
        ({"steps": ["edit"]}, "step 1 is not one this version writes"),
        (
            {"steps": [*_STEPS, {"op": "registry-deploy", "target": 0}]},
            "step 3 names a registry target the journal does not record",
        ),
        (
            {"steps": [{"op": "registry-revert", "target": 1}], "registry": {"targets": [{}]}},
            "step 1 names a registry target the journal does not record",
        ),
        (
            {"steps": [{"op": "registry-revert", "target": "0"}], "registry": {"targets": [{}]}},
            "step 1 names a registry target the journal does not record",
        ),
        (
            {"steps": [{"op": "branch"}]},
            "step 1 needs the hotfix branch the journal does not record",
        ),
        (
            {"steps": [*_STEPS, {"op": "commit"}]},
            "step 3 needs the hotfix branch the journal does not record",
        ),
        (
            {"hotfix": {"branch": "hotfix/x", "original": "main"}},
            "'hotfix' does not name its branch, the branch it left and the start commit",
        ),
        (
            {"hotfix": "x"},
            "'hotfix' does not name its branch, the branch it left and the start commit",
        ),
        ({"steps": None}, "'steps' is missing or not a list"),
        ({"applied": "1"}, "'applied' is missing or not a number"),
        ({"applied": True}, "'applied' is missing or not a number"),
        ({"in_git": None}, "'in_git' is missing or not true or false"),
        ({"originals": []}, "'originals' is missing or not an object"),
        ({"index": None}, "'index' is missing or not a string"),
    ],
)
def test_a_damaged_journal_is_named_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: dict[str, Any], problem: str
) -> None:
    """A journal edited by hand or cut short is refused as it is read: nothing touched, no
    traceback; exit 2 as for a journal of another version (the input is wrong, not the
    repository's state unknown). kills: any field check of ``journal._damage`` dropped."""
    _refused_with_damage(tmp_path, capsys, damage, problem, ("renumber", "--continue"))


@pytest.mark.parametrize(
    "command", [("renumber", "--abort"), ("renumber", "console:0144", "--to", "0145")]
)
def test_a_damaged_journal_stops_the_abort_and_every_writing_command_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    """Undo, and the check every writing command makes first, read the journal the same
    way: no traceback from describing a step the journal cannot name."""
    damage = {"steps": [*_STEPS, {"op": "registry-deploy", "target": 0}]}
    problem = "step 3 names a registry target the journal does not record"
    _refused_with_damage(tmp_path, capsys, damage, problem, command)


def test_a_journal_cut_short_is_named_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A journal whose writing was cut off is not JSON: the same refusal, with the parser's
    place."""
    repo = incident.main_at_0144(tmp_path)
    record = _journal(repo, _STEPS)
    record.save()
    record.file.write_bytes(record.file.read_bytes()[:40])
    code, out, err = _run(repo, capsys, "renumber", "--abort")
    assert (code, out) == (2, ""), err
    first, hint = err.splitlines()[:2]
    assert first.startswith(
        f"migration-guard renumber: error: the journal {record.file} is not valid JSON: "
    ), err
    assert hint == (
        "  hint: restore the files with git (git status, git restore) and remove "
        f"{record.folder} by hand"
    )
    assert record.file.is_file()


def _refused_with_damage(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: dict[str, Any],
    problem: str,
    command: tuple[str, ...],
) -> None:
    repo = incident.main_at_0144(tmp_path)
    record = _journal(repo, _STEPS)
    record.data.update(damage)
    record.save()
    before = _state(repo)
    code, out, err = _run(repo, capsys, *command)
    assert (code, out) == (2, ""), err
    assert err.splitlines()[0] == (
        f"migration-guard renumber: error: the journal {record.file} is damaged: {problem}"
    )
    assert "  hint: restore the files with git" in err
    assert record.file.is_file()
    assert _state(repo) == before


# --- killed, then continued: exactly the steps not recorded are run ---------------------------

SRC = str(Path(__file__).resolve().parents[1] / "src")
QUEUE = "queue/migrations/sqitch"
RENUMBER = ("renumber", "07-billing-invoice-refund-column", "--to", "08", "--provider", "none")


def _killed_at(repo: GitRepo, boundary: int, *args: str) -> None:
    """``migration-guard -C REPO ARGS`` in a child process SIGKILLed at journal boundary N."""
    child = subprocess.run(
        [sys.executable, "-m", "migration_guard", "-C", str(repo.path), *args],
        env={**os.environ, "PYTHONPATH": SRC, journal.TEST_HOOK: f"{boundary}:KILL"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == -9, child.stderr


def _applied(repo: GitRepo) -> tuple[int, int]:
    record = journal.load(repo.path, True)
    assert record is not None
    return record.applied, len(record.steps)


def test_continue_runs_only_the_steps_the_journal_has_not_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """3 header edits and the plan (steps 0-3), 3 renames (4-6), the validation (7). Killed
    after the last rename but before the journal recorded it (boundary 13): 6 applied. A
    `--continue` killed after it redid step 6 and recorded it (its boundary 2): 7 applied,
    as `--abort` would tell. The last `--continue` finishes the one step left.
    kills: `range(len(steps))` (every step again: the journal goes back to 1 applied),
    `mark(index - 1)`, `mark(index + 2)` (the last rename skipped), `mark(None)`."""
    template = queue_collision_repo(tmp_path / "template")
    clean = GitRepo(tmp_path / "clean", template.origin)
    shutil.copytree(template.path, clean.path, symlinks=True)
    code, _, err = _run(clean, capsys, *RENUMBER)
    assert code == 0, err
    killed = template
    _killed_at(killed, 13, *RENUMBER)
    assert _applied(killed) == (6, 8)
    _killed_at(killed, 2, "renumber", "--continue")
    assert _applied(killed) == (7, 8)
    code, out, err = _run(killed, capsys, "renumber", "--continue")
    assert code == 0, err
    assert "Finished the 1 remaining step(s).\n" in out
    assert _state(killed) == _state(clean)
    assert not list((killed.path / QUEUE).rglob("*07-billing-invoice-refund-column*"))
