"""``check``, ``next``, ``renumber`` and ``recover`` on chains whose collisions are about the
graph: Alembic's default hex ids (forks), numbered chains forking with the base, uncommitted
files, and ``pull_request_target``. Real git repositories with a bare origin; real Alembic
decides how many heads a result has."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing import ci_env
from testing.cli import run
from testing.gitrepo import GitRepo

from migration_guard import sample

V = "app/migrations/versions"
CONFIG = """\
[[chains]]
name = "app"
kind = "alembic"
path = "app/migrations/versions"
"""


def script(rev: str, down: str | None, slug: str) -> str:
    return sample.alembic_script(rev, down, slug, table=f"t_{slug}")


def alembic_heads(root: Path) -> list[str]:
    """What real Alembic says the heads are (in-process, nothing is run)."""
    config = Config()
    config.set_main_option("script_location", str(root / "app/migrations"))
    return list(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture
def hex_repo(tmp_path: Path) -> GitRepo:
    """main: 1a2b3c4d5e6f <- 9f8e7d6c5b4a (hex ids, Alembic's default)."""
    repo = GitRepo.create(tmp_path)
    repo.write("migration-guard.toml", CONFIG)
    repo.write("app/migrations/env.py", "")
    repo.write(f"{V}/1a2b3c4d5e6f_init.py", script("1a2b3c4d5e6f", None, "init"))
    repo.write(f"{V}/9f8e7d6c5b4a_users.py", script("9f8e7d6c5b4a", "1a2b3c4d5e6f", "users"))
    repo.commit_all("main", date="2026-06-01T09:00:00Z")
    repo.push("main")
    return repo


def branch(repo: GitRepo, name: str, rev: str, down: str, slug: str, date: str) -> str:
    repo.git("checkout", "-q", "-b", name, "main")
    path = f"{V}/{rev}_{slug}.py"
    repo.write(path, script(rev, down, slug))
    repo.commit_all(f"add {slug}", date=date)
    repo.push(name)
    return path


def test_two_branches_on_one_head_fork_and_the_later_one_fails(
    hex_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    first = branch(
        hex_repo, "feat-a", "aaaa11112222", "9f8e7d6c5b4a", "orders", "2026-06-02T09:00:00Z"
    )
    second = branch(
        hex_repo, "feat-b", "bbbb33334444", "9f8e7d6c5b4a", "refunds", "2026-06-02T10:00:00Z"
    )
    code, out, err = run(hex_repo, capsys, "check", "--provider", "git")
    assert code == 1, err
    lines = out.splitlines()
    assert f"  [app] bbbb33334444 — {second}" in lines
    assert f"FORK [app] bbbb33334444 — {second}" in lines
    assert f"  also built on 9f8e7d6c5b4a: branch origin/feat-a ({first})" in lines
    assert "  branch origin/feat-a added it first and keeps it: this PR must move" in lines
    assert (
        f"  fix: once branch origin/feat-a has merged: migration-guard renumber {second} "
        "--to next (re-parents it on the new head)"
    ) in lines
    assert lines[-1] == "Found 1 migration collision(s) (1 fork). FAIL."

    hex_repo.git("checkout", "-q", "feat-a")
    code, out, _ = run(hex_repo, capsys, "check", "--provider", "git")
    assert code == 0
    assert out.splitlines()[-2].startswith(f"NOTE [app] aaaa11112222 — {first} builds on")
    assert out.splitlines()[-1] == "No migration-number collisions detected. OK."


def test_after_the_first_merges_the_fork_is_with_the_base_and_renumber_fixes_it(
    hex_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    branch(hex_repo, "feat-a", "aaaa11112222", "9f8e7d6c5b4a", "orders", "2026-06-02T09:00:00Z")
    second = branch(
        hex_repo, "feat-b", "bbbb33334444", "9f8e7d6c5b4a", "refunds", "2026-06-02T10:00:00Z"
    )
    hex_repo.git("checkout", "-q", "main")
    hex_repo.git("merge", "-q", "--no-ff", "-m", "Merge feat-a", "feat-a")
    hex_repo.push("main")
    hex_repo.git("checkout", "-q", "feat-b")
    code, out, _ = run(hex_repo, capsys, "check", "--provider", "git", "--format", "json")
    assert code == 1
    (fork,) = json.loads(out)["collisions"]
    assert (fork["kind"], fork["parent"], fork["owner"]["source"]) == (
        "fork",
        "9f8e7d6c5b4a",
        "base",
    )
    assert fork["fix"] == f"migration-guard renumber {second} --to next"

    code, out, err = run(hex_repo, capsys, "renumber", second, "--to", "next", "--provider", "git")
    assert code == 0, out + err
    text = (hex_repo.path / second).read_text()  # same file, same id, new parent
    assert 'down_revision: Union[str, Sequence[str], None] = "aaaa11112222"' in text
    assert 'revision: str = "bbbb33334444"' in text
    hex_repo.commit_all("re-parent onto aaaa11112222")
    code, out, _ = run(hex_repo, capsys, "check", "--provider", "git")
    assert code == 0, out
    hex_repo.git("merge", "-q", "main")
    assert alembic_heads(hex_repo.path) == ["bbbb33334444"]


def test_next_refuses_a_chain_without_numbers(
    hex_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(hex_repo, capsys, "next", "app", "--provider", "none")
    assert (code, out) == (2, "")
    assert "chain 'app' is not numbered (numbering: none)" in err
    code, out, _ = run(hex_repo, capsys, "chains", "--format", "json")
    (chain,) = json.loads(out)["chains"]
    assert (chain["numbering"], chain["migrations"], chain["highest"]) == ("none", 2, None)
    # Refused before the base is looked up: the answer is the same with no origin/main.
    hex_repo.git("update-ref", "-d", "refs/remotes/origin/main")
    code, out, err = run(hex_repo, capsys, "next", "app")
    assert (code, out) == (2, "")
    assert "chain 'app' is not numbered (numbering: none)" in err


def test_renumber_to_a_number_in_a_hex_chain_is_refused(
    hex_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"{V}/9f8e7d6c5b4a_users.py"
    code, _, err = run(hex_repo, capsys, "renumber", path, "--to", "0005", "--provider", "none")
    assert code == 2
    assert "chain 'app' has no numbers (numbering: none)" in err


def test_recover_reparents_the_later_side_of_a_merged_fork(
    hex_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    branch(hex_repo, "feat-a", "aaaa11112222", "9f8e7d6c5b4a", "orders", "2026-06-02T09:00:00Z")
    second = branch(
        hex_repo, "feat-b", "bbbb33334444", "9f8e7d6c5b4a", "refunds", "2026-06-02T10:00:00Z"
    )
    hex_repo.git("checkout", "-q", "main")
    hex_repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #11 from x/feat-a", "feat-a")
    hex_repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #12 from x/feat-b", "feat-b")
    assert sorted(alembic_heads(hex_repo.path)) == ["aaaa11112222", "bbbb33334444"]
    code, out, err = run(hex_repo, capsys, "recover")
    assert code == 1, err
    assert f"  repair: re-parent {second} (name and id kept)" in out.splitlines()
    code, out, err = run(hex_repo, capsys, "recover", "--apply", "--branch", "hotfix/fork")
    assert code == 0, out + err
    assert alembic_heads(hex_repo.path) == ["bbbb33334444"]
    assert (hex_repo.path / second).exists()  # never renamed to a number
    message = hex_repo.git("log", "-1", "--format=%s")
    assert message.startswith("hotfix: re-parent app bbbb33334444_refunds.py onto aaaa11112222")


# --- numbered chains: a fork with the base fails even when the numbers differ ---------------


@pytest.fixture
def numbered(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write("migration-guard.toml", CONFIG)
    repo.write("app/migrations/env.py", "")
    for n in range(1, 4):
        rev = f"{n:04d}"
        down = f"{n - 1:04d}" if n > 1 else None
        repo.write(f"{V}/{rev}_m{n}.py", script(rev, down, f"m{n}"))
    repo.commit_all("main")
    repo.push("main")
    return repo


def test_a_numbered_pr_built_on_an_old_head_forks_with_the_base(
    numbered: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """0004 merged on main while this branch added 0005 on 0003: numbers differ, yet both
    merged would give two heads. The old guard said OK."""
    mine = branch(numbered, "late", "0005", "0003", "late", "2026-06-02T09:00:00Z")
    numbered.git("checkout", "-q", "main")
    numbered.write(f"{V}/0004_m4.py", script("0004", "0003", "m4"))
    numbered.commit_all("0004")
    numbered.push("main")
    numbered.git("checkout", "-q", "late")
    code, out, _ = run(numbered, capsys, "check", "--provider", "none")
    assert code == 1
    assert f"FORK [app] 0005 — {mine}" in out.splitlines()
    assert f"  also built on 0003: base branch ({V}/0004_m4.py)" in out.splitlines()
    code, out, err = run(numbered, capsys, "renumber", mine, "--to", "next", "--provider", "none")
    assert code == 0, out + err
    assert f"[app] 0005 -> 0005: {mine} -> {mine}" in out.splitlines()  # number kept
    assert (
        'down_revision: Union[str, Sequence[str], None] = "0004"'
        in (numbered.path / mine).read_text()
    )


# --- local runs see what is about to be committed --------------------------------------------


def test_a_staged_uncommitted_migration_is_checked(
    numbered: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, slug, date in (
        ("pr-1", "a", "2026-06-02T09:00:00Z"),
        ("pr-2", "b", "2026-06-02T09:30:00Z"),
    ):
        branch(numbered, name, "0004", "0003", slug, date)
    numbered.git("checkout", "-q", "-b", "mine", "main")
    path = f"{V}/0004_mine.py"
    numbered.write(path, script("0004", "0003", "mine"))
    numbered.git("add", path)  # staged, as a pre-commit hook sees it
    code, out, _ = run(numbered, capsys, "check", "--provider", "git")
    assert code == 1
    lines = out.splitlines()
    assert f"  [app] 0004 — {path} (uncommitted)" in lines
    assert f"COLLISION [app] 0004 — {path}" in lines
    assert "  next available number: 0006" in lines  # pr-2 moves to 0005 first
    numbered.git("reset", "-q", "--hard")
    code, out, _ = run(numbered, capsys, "check", "--provider", "git")
    assert code == 0 and "no migrations touched: OK" in out


# --- CI events ---------------------------------------------------------------------------------


def _actions_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, event_name: str, pr: int, head_sha: str
) -> None:
    env = ci_env.github_actions(
        tmp_path, pr=pr, event_name=event_name, head_ref="feature", head_sha=head_sha
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_pull_request_target_checks_the_pr_head_not_the_checked_out_base(
    numbered: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    branch(numbered, "feature", "0003", "0002", "dup", "2026-06-02T09:00:00Z")
    head = numbered.git("rev-parse", "HEAD").strip()
    numbered.git("push", "-q", "origin", "HEAD:refs/pull/7/head")
    numbered.git("checkout", "-q", "main")  # what actions/checkout does under pull_request_target
    _actions_env(monkeypatch, tmp_path, "pull_request_target", 7, head)
    code, out, _ = run(numbered, capsys, "check", "--provider", "none")
    assert code == 1
    assert f"COLLISION [app] 0003 — {V}/0003_dup.py" in out.splitlines()

    # A clone that lacks the head fetches refs/pull/7/head from origin.
    clone = tmp_path / "clone"
    numbered.git("clone", "-q", str(numbered.origin), str(clone))
    code, out, _ = run(clone, capsys, "check", "--provider", "none")
    assert code == 1 and "COLLISION [app] 0003" in out


def test_pull_request_target_without_the_head_is_undecided(
    numbered: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _actions_env(monkeypatch, tmp_path, "pull_request_target", 8, "e" * 40)
    code, out, err = run(numbered, capsys, "check", "--provider", "none")
    assert (code, out) == (3, "")
    assert "under pull_request_target the checkout is the base branch" in err


def test_no_chain_at_all_is_never_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = GitRepo.create(tmp_path)
    repo.write("README.md", "no migrations here\n")
    repo.commit_all("main")
    repo.push("main")
    code, out, err = run(repo, capsys, "check", "--provider", "none")
    assert (code, out) == (2, "")
    assert "no migration chains to check" in err
    assert "init" not in err
