"""``plan_new`` of the sqitch kind against the real ``sqitch add``: the same plan line (but
the timestamp) and the same deploy, revert and verify scripts, for several engines; and
sqitch deploys and reverts the result (SQLite)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from testing.tools import needs_tool

from migration_guard.apply import apply_plan
from migration_guard.chains.kind import Author, NewMigration, NewRequest
from migration_guard.chains.registry import kind_of
from migration_guard.chains.sqitch.new import encode_note
from migration_guard.errors import UsageError
from migration_guard.model import ChainKind, ChainSpec, Head
from migration_guard.sample import QUEUE_PLAN, write_queue_chain
from migration_guard.tree import WorkTree

KIND = kind_of(ChainKind.SQITCH)
NOW = datetime(2026, 6, 2, 9, 30, 5, tzinfo=UTC)
AUTHOR = Author("Test Person", "t@example.invalid")
SPEC = ChainSpec("queue", "Queue", ChainKind.SQITCH, QUEUE_PLAN, width=2)
SQITCH = shutil.which("sqitch")
needs_sqitch = needs_tool("sqitch", "apt-get install sqitch")
STAMP = re.compile(r" \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")


def _plan(
    root: Path, number: str = "08", slug: str = "job-owner", message: str = "Owners"
) -> NewMigration:
    tree = WorkTree(root)
    return KIND.plan_new(
        tree, SPEC, KIND.read_chain(tree, SPEC), NewRequest(number, slug, message, NOW, AUTHOR)
    )


def test_the_plan_line_and_the_scripts(tmp_path: Path) -> None:
    write_queue_chain(tmp_path)
    planned = _plan(tmp_path)
    folder = "queue/migrations/sqitch"
    assert planned.paths == tuple(
        f"{folder}/{k}/08-job-owner.sql" for k in ("deploy", "revert", "verify")
    )
    plan_edit, deploy, revert, verify = planned.plan.edits
    assert plan_edit.new_text == plan_edit.old_text + (
        "08-job-owner 2026-06-02T09:30:05Z Test Person <t@example.invalid> # Owners\n"
    )
    assert deploy.create and deploy.new_text == (
        "-- Deploy queue:08-job-owner to sqlite\n\nBEGIN;\n\n-- XXX Add DDLs here.\n\nCOMMIT;\n"
    )
    assert revert.new_text.startswith("-- Revert queue:08-job-owner from sqlite\n\nBEGIN;\n")
    assert verify.new_text.endswith("-- XXX Add verifications here.\n\nROLLBACK;\n")
    apply_plan(tmp_path, planned.plan, in_git=False)
    state = KIND.read_chain(WorkTree(tmp_path), SPEC)
    assert state.ok, state.findings
    assert state.heads[0].revision == "08-job-owner"


@pytest.mark.sqitch
@needs_sqitch
def test_notes_are_escaped_as_sqitch_writes_them(tmp_path: Path) -> None:
    """The escaping of the plan line (sqitch's format_note: backslash, CR, LF). `sqitch add -n`
    first unescapes what it is given (a typed \\n becomes a line end) and trims it: a note
    without such sequences or outer blanks shows the escaping alone."""
    note = "a\\b\nc\rd C:\\temp"
    _sqitch(tmp_path, "init", "q", "--engine", "sqlite")
    _sqitch(tmp_path, "add", "01-x", "-n", note)
    line = (tmp_path / "sqitch.plan").read_bytes().decode().splitlines()[-1]
    written = line.split(" # ", 1)[1]
    assert encode_note(note) == written == "a\\\\b\\nc\\rd C:\\\\temp"


def test_a_name_in_the_plan_or_several_heads_are_refused(tmp_path: Path) -> None:
    write_queue_chain(tmp_path)
    with pytest.raises(UsageError, match="'07-job-priority' is in"):
        _plan(tmp_path, "07", "job-priority")
    tree = WorkTree(tmp_path)
    state = KIND.read_chain(tree, SPEC)._replace(heads=(Head("a", "p"), Head("b", "p")))
    with pytest.raises(UsageError, match=r"2 heads \(a, b\)"):
        KIND.plan_new(tree, SPEC, state, NewRequest("08", "x", "", NOW, AUTHOR))


def _sqitch(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert SQITCH is not None
    env = dict(os.environ, SQITCH_FULLNAME=AUTHOR.name, SQITCH_EMAIL=AUTHOR.email)
    return subprocess.run(
        [SQITCH, *args], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=True
    )


def _files(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(".db"):
            out[str(path.relative_to(root))] = STAMP.sub(" T ", path.read_text())
    return out


@pytest.mark.sqitch
@needs_sqitch
@pytest.mark.parametrize(
    "engine", ["pg", "sqlite", "mysql", "oracle", "snowflake", "exasol", "vertica"]
)
def test_the_result_is_what_sqitch_add_writes(tmp_path: Path, engine: str) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for root in (ours, theirs):
        root.mkdir()
        _sqitch(root, "init", "shop", "--engine", engine, "--top-dir", "db")
        _sqitch(root, "add", "01-users", "-n", "Users")
    _sqitch(theirs, "add", "02-add-orders", "-n", "Orders: one\nper line")
    spec = ChainSpec("shop", "Shop", ChainKind.SQITCH, "db/sqitch.plan", width=2)
    tree = WorkTree(ours)
    planned = KIND.plan_new(
        tree,
        spec,
        KIND.read_chain(tree, spec),
        NewRequest("02", "add-orders", "Orders: one\nper line", NOW, AUTHOR),
    )
    apply_plan(ours, planned.plan, in_git=False)
    assert _files(ours) == _files(theirs)


@pytest.mark.sqitch
@needs_sqitch
def test_sqitch_deploys_and_reverts_the_new_change(tmp_path: Path) -> None:
    write_queue_chain(tmp_path)
    apply_plan(tmp_path, _plan(tmp_path).plan, in_git=False)
    project = tmp_path / "queue/migrations/sqitch"
    target = f"db:sqlite:{tmp_path / 'q.db'}"
    _sqitch(project, "deploy", "--verify", target)
    status = _sqitch(project, "status", target).stdout
    assert "# Change:   " in status and "08-job-owner" in status
    _sqitch(project, "revert", "-y", "--to", "@HEAD^", target)
    assert "07-job-priority" in _sqitch(project, "status", target).stdout
