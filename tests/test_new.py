"""``migration-guard new CHAIN SLUG`` through the CLI, against a real bare remote: a number
reserved first, then the migration from the chain's template; agents at the same moment get
distinct numbers; a failed write gives the number back; unnumbered chains reserve nothing.
Real Alembic and sqitch confirm what was written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing.cli import run, snapshot
from testing.gitrepo import GitRepo, git
from testing.incident import CONSOLE, main_at_0144
from testing.sqitch_projects import sqitch

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = main_at_0144(tmp_path)
    repo.push("main")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def _refs(repo: GitRepo) -> list[str]:
    out = git(repo.path, "ls-remote", str(repo.origin), "refs/migration-guard/*")
    return [line.split("\t")[1] for line in out.splitlines()]


def _alembic_heads(repo: GitRepo) -> list[str]:
    config = Config(str(repo.path / "console/migrations/alembic.ini"))
    return list(ScriptDirectory.from_config(config).get_heads())


def test_new_reserves_then_writes_the_next_revision_on_the_head(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(repo, capsys, "new", "console", "add_refund_audit", "-m", "Refund audit")
    assert code == 0, err
    assert out == f"{CONSOLE}/0145_add_refund_audit.py\n"
    assert _refs(repo) == ["refs/migration-guard/console/0145"]
    assert "reserved Console 0145 on origin" in err
    text = (repo.path / CONSOLE / "0145_add_refund_audit.py").read_text()
    assert '"""Refund audit' in text and "Revises: 0144" in text
    assert _alembic_heads(repo) == ["0145"]  # real Alembic: one head, the new revision
    repo.commit_all("add 0145")
    code, out, _ = run(repo, capsys, "check", "--provider", "none", "--base-sha", "origin/main")
    assert code == 0, out  # our own reservation is not a collision


def test_agents_at_the_same_moment_get_distinct_numbers(repo: GitRepo, tmp_path: Path) -> None:
    clones = []
    for name in ("ann", "bob", "cyd", "dee"):
        path = tmp_path / name
        git(tmp_path, "clone", "-q", str(repo.origin), str(path))
        git(path, "config", "user.name", name)
        git(path, "config", "user.email", f"{name}@example.invalid")
        clones.append(path)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "migration_guard", "-C", str(p), "new", "console", p.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for p in clones
    ]
    outs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, outs
    numbers = sorted(Path(out.strip()).name[:4] for out, _ in outs)
    assert numbers == ["0145", "0146", "0147", "0148"]


def test_a_failed_write_gives_the_number_back_and_changes_nothing(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Someone's uncommitted work where the new file would go (not a revision script yet:
    # nothing claims 0145, so 0145 is reserved, and writing must then stop).
    repo.write(f"{CONSOLE}/0145_add_thing.py", "# someone's uncommitted work\n")
    before = snapshot(repo)
    code, out, err = run(repo, capsys, "new", "console", "add_thing")
    assert code != 0 and out == "", err
    assert snapshot(repo) == before  # the user's file is untouched
    assert _refs(repo) == []  # the reservation was given back


def test_a_chain_with_hex_ids_reserves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migration_guard import sample

    repo = GitRepo.create(tmp_path)
    for i, rev in enumerate(("1a2b3c4d5e6f", "2b3c4d5e6f7a", "3c4d5e6f7a8b")):
        down = None if i == 0 else ("1a2b3c4d5e6f", "2b3c4d5e6f7a")[i - 1]
        text = sample.alembic_script(rev, down, f"step_{i}", table=f"t{i}")
        repo.write(f"db/versions/{rev}_step_{i}.py", text)
    repo.write("db/env.py", sample.ENV_PY)
    repo.write("db/script.py.mako", sample.SCRIPT_MAKO)
    repo.write("alembic.ini", sample.ALEMBIC_INI.format(script="db", db="x.db"))
    repo.commit_all("main")
    repo.push("main")
    code, out, err = run(repo, capsys, "new", "db", "add_index")
    assert code == 0, err
    (created,) = out.split()
    assert created.startswith("db/versions/") and created.endswith("_add_index.py")
    assert "not numbered" in err and "caught by `migration-guard check`" in err
    assert _refs(repo) == []
    config = Config(str(repo.path / "alembic.ini"))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    assert created == f"db/versions/{head}_add_index.py"


@pytest.mark.sqitch
def test_new_sqitch_change_is_one_sqitch_accepts(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(repo, capsys, "new", "queue", "add_owner", "-m", "Add the owner")
    assert code == 0, err
    assert out.split() == [
        f"queue/migrations/sqitch/{kind}/08-add_owner.sql"
        for kind in ("deploy", "revert", "verify")
    ]
    assert "08-add_owner" in (repo.path / "queue/migrations/sqitch/sqitch.plan").read_text()
    shown = sqitch(repo.path / "queue/migrations/sqitch", "plan", "--format", "oneline")
    assert "08-add_owner" in shown.stdout, shown.stderr


def test_check_and_renumber_skip_numbers_someone_else_reserved(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migration_guard import sample

    other = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(repo.origin), str(other))
    git(other, "config", "user.name", "bob")
    code, out, err = run(other, capsys, "reserve", "console", "--count", "2", "--slug", "bobs")
    assert (code, out) == (0, "0145\n0146\n"), err
    repo.write(f"{CONSOLE}/0145_mine.py", sample.alembic_script("0145", "0144", "mine", table="m"))
    repo.commit_all("add 0145")
    common = ("--provider", "git", "--base-sha", "origin/main")  # (none: base only)
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 1, out
    assert "reserved by bob (branch main)" in out
    assert f"fix: migration-guard renumber {CONSOLE}/0145_mine.py --to 0147" in out
    code, out, err = run(
        repo, capsys, "renumber", f"{CONSOLE}/0145_mine.py", "--to", "next", *common
    )
    assert code == 0, out + err
    assert out.startswith(f"[console] 0145 -> 0147: {CONSOLE}/0145_mine.py")
    repo.commit_all("renumber")
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 0, out


def test_a_reservation_made_in_a_detached_ci_checkout_is_the_prs_own(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from migration_guard import sample

    repo.git("checkout", "-q", "--detach")  # as actions/checkout leaves a PR's head
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature")
    code, out, err = run(repo, capsys, "reserve", "console", "--provider", "git")
    assert (code, out) == (0, "0145\n"), err  # no slug: only the branch tells it is ours
    repo.write(f"{CONSOLE}/0145_other.py", sample.alembic_script("0145", "0144", "o", table="o"))
    repo.commit_all("add 0145")
    monkeypatch.delenv("GITHUB_HEAD_REF")
    repo.git("checkout", "-q", "-B", "feature")
    code, out, _ = run(repo, capsys, "check", "--provider", "git", "--base-sha", "origin/main")
    assert code == 0, out  # reserved from this PR's head branch: its own
