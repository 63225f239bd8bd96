"""``reserve``, ``release`` and ``reservations`` end to end, and ``check``/``next`` counting
reservations: real git repositories with a bare origin (and a ``git daemon``)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testing.cli import run
from testing.gitrepo import GitRepo, git
from testing.incident import main_at_0144

from migration_guard import sample
from migration_guard.services import reservations as remote

V = sample.CONSOLE_VERSIONS
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = main_at_0144(tmp_path)
    repo.push("main")
    repo.git("config", "user.name", "Alice")
    repo.git("config", "user.email", "alice@example.invalid")
    return repo


def _refs(repo: GitRepo) -> list[str]:
    out = git(repo.path, "ls-remote", str(repo.origin), "refs/migration-guard/*")
    return [line.split("\t")[1] for line in out.splitlines()]


def test_reserve_takes_the_next_free_numbers_and_skips_reserved_ones(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(repo, capsys, "reserve", "console", "--provider", "none")[:2] == (0, "0145\n")
    code, out, _ = run(
        repo, capsys, "reserve", "console", "--count", "2", "--slug", "add_x", "--format", "json"
    )
    payload = json.loads(out)
    assert code == 0
    assert [(p["number"], p["ref"], p["who"], p["branch"], p["slug"]) for p in payload] == [
        ("0146", "refs/migration-guard/console/0146", "Alice", "main", "add_x"),
        ("0147", "refs/migration-guard/console/0147", "Alice", "main", "add_x"),
    ]
    assert _refs(repo) == [f"refs/migration-guard/console/014{n}" for n in (5, 6, 7)]
    # Each points at a parentless commit of the empty tree.
    commit = git(repo.origin, "cat-file", "-p", "refs/migration-guard/console/0145")
    assert commit.startswith("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Alice")
    assert "parent" not in commit
    assert "Reserved-Branch: main" in commit


def test_an_open_prs_number_is_not_reserved(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prs = tmp_path / "prs.json"
    prs.write_text(
        json.dumps(
            [{"number": 7, "headRefName": "x", "baseRefName": "main", "files": [f"{V}/0145_a.py"]}]
        )
    )
    assert run(repo, capsys, "reserve", "console", "--open-prs", str(prs))[:2] == (0, "0146\n")


def test_a_chain_that_is_not_numbered_is_refused(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write(
        "migration-guard.toml",
        '[[chains]]\nname = "console"\nkind = "alembic"\npath = "' + V + '"\nnumbering = "none"\n',
    )
    code, _, err = run(repo, capsys, "reserve", "console")
    assert code == 2
    assert "chain 'console' is not numbered (numbering: none), so there is no number" in err
    assert _refs(repo) == []


def _clone(tmp_path: Path, repo: GitRepo, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", str(repo.origin), str(path))
    git(path, "config", "user.name", name)
    git(path, "config", "user.email", f"{name}@example.invalid")
    return path


def _cli(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-m", "migration_guard", "-C", str(cwd), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_racing_claims_from_several_clones_get_distinct_numbers(
    repo: GitRepo, tmp_path: Path
) -> None:
    clones = [_clone(tmp_path, repo, f"agent{i}") for i in range(5)]
    procs = [_cli(c, "reserve", "console", "--provider", "none", "--count", "2") for c in clones]
    outputs = [p.communicate(timeout=120) for p in procs]
    results = [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]
    assert [code for code, _, _ in results] == [0] * 5, results
    numbers = [n for _, out, _ in results for n in out.split()]
    assert sorted(numbers) == [f"{n:04d}" for n in range(145, 155)]
    assert len(_refs(repo)) == 10


def test_a_lost_race_takes_the_next_number(repo: GitRepo, tmp_path: Path) -> None:
    """Someone reserves 0145 between our read and our push: we get 0146."""
    other = _clone(tmp_path, repo, "bob")
    who = remote.claimant(repo.path, slug=None)
    calls = []

    def candidates(current: object, wanted: int) -> list[str]:
        calls.append(wanted)
        if len(calls) == 1:
            assert remote.create(other, "origin", "console", "0145", who) is not None
            return ["0145"]
        return ["0146"]

    won = remote.claim(remote.GitStore(repo.path, "origin"), "console", 1, who, candidates)
    assert [r.number_text for r in won] == ["0146"]
    assert len(calls) == 2  # candidates ran out: the remote was read again


def test_a_lost_race_moves_on_to_the_next_candidate_without_reading_again(
    repo: GitRepo, tmp_path: Path
) -> None:
    """Fifty agents at once: a loser takes the next free number at once, no re-read."""
    other = _clone(tmp_path, repo, "bob")
    who = remote.claimant(repo.path, slug=None)
    calls = []

    def candidates(current: object, wanted: int) -> list[str]:
        calls.append(wanted)
        assert remote.create(other, "origin", "console", "0145", who) is not None
        return ["0145", "0146", "0147"][:wanted]

    won = remote.claim(remote.GitStore(repo.path, "origin"), "console", 1, who, candidates)
    assert [r.number_text for r in won] == ["0146"]
    assert len(calls) == 1


def test_release_and_a_missing_reservation(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    run(repo, capsys, "reserve", "console", "--count", "2")
    code, out, _ = run(repo, capsys, "release", "console", "0145")
    assert code == 0
    assert out.startswith("released console 0145 (reserved by Alice (branch main) at ")
    assert _refs(repo) == ["refs/migration-guard/console/0146"]
    code, _, err = run(repo, capsys, "release", "console", "145")
    assert code == 2
    assert "console 145 is not reserved on origin" in err


def test_listing_and_gc_of_landed_and_old_reservations(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    who = remote.claimant(repo.path, slug="old_one")
    long_ago = datetime.now(UTC) - timedelta(days=20)
    assert remote.create(repo.path, "origin", "console", "0150", who, now=long_ago)
    run(repo, capsys, "reserve", "console", "--count", "2", "--slug", "add_x")  # 0145, 0146
    code, out, _ = run(repo, capsys, "reservations", "console")
    assert code == 0
    lines = out.splitlines()
    assert [line.split("  ")[0] for line in lines] == [
        "console 0145",
        "console 0146",
        "console 0150",
    ]
    assert lines[2] == "console 0150  Alice <alice@example.invalid>  20d  branch main  slug old_one"
    # 0145 lands on main; 0150 is 20 days old.
    repo.write(f"{V}/0145_add_x.py", sample.alembic_script("0145", "0144", "add_x", table="t"))
    repo.commit_all("add 0145")
    repo.push("main")
    code, out, _ = run(repo, capsys, "reservations", "--gc", "--max-age", "30", "--format", "json")
    assert code == 0
    assert [(p["number"], p["released"]) for p in json.loads(out)] == [
        ("0145", "console 0145 is on the base branch"),
        ("0146", None),
        ("0150", None),
    ]
    code, out, _ = run(repo, capsys, "reservations", "--gc")
    assert code == 0
    assert "console 0150" in out and "(released: older than 14 days (20d))" in out
    assert _refs(repo) == ["refs/migration-guard/console/0146"]


def test_max_age_from_the_configuration(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    who = remote.claimant(repo.path, slug=None)
    assert remote.create(
        repo.path, "origin", "console", "0150", who, now=datetime.now(UTC) - timedelta(days=3)
    )
    repo.write("migration-guard.toml", "reservation_max_age_days = 2\n")
    assert run(repo, capsys, "reservations", "--gc")[0] == 0
    assert _refs(repo) == []


def test_a_remote_that_refuses_the_namespace(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do case $ref in refs/migration-guard/*) "
        "echo 'reservations are not allowed here' >&2; exit 1;; esac; done\nexit 0\n"
    )
    hook.chmod(0o755)
    code, out, err = run(repo, capsys, "reserve", "console")
    assert (code, out) == (3, "")
    assert err.splitlines()[0] == (
        "migration-guard reserve: error: the remote origin refused to create "
        "refs/migration-guard/console/0145 (pre-receive hook declined; the remote said: "
        "reservations are not allowed here): it does not accept reservations "
        "(refs/migration-guard/*)"
    )
    assert _refs(repo) == []


def test_an_unreachable_remote(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.git("remote", "set-url", "origin", str(repo.path.parent / "gone.git"))
    code, _, err = run(repo, capsys, "reserve", "console", "--provider", "none")
    assert code == 3
    assert "could not read refs/migration-guard/* from origin" in err
    code, out, _ = run(repo, capsys, "next", "console", "--provider", "git")
    assert code == 3
    # (A change that touches no chain ends before reservations matter: add a migration.)
    repo.write(f"{V}/0145_mine.py", sample.alembic_script("0145", "0144", "mine", table="t_mine"))
    code, out, err = run(repo, capsys, "check", "--base-sha", "origin/main", "--provider", "git")
    assert code == 3
    assert "warning: could not read the reservations on origin" in out
    assert "OK" not in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _daemon(base: Path) -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.skip("git daemon did not start")
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_reserve_over_the_git_protocol(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    with _daemon(repo.origin.parent) as port:
        url = f"git://127.0.0.1:{port}/{repo.origin.name}"
        args = ("--provider", "none", "--remote", url)
        assert run(repo, capsys, "reserve", "console", *args)[:2] == (0, "0145\n")
        assert run(repo, capsys, "reserve", "console", *args)[:2] == (0, "0146\n")
        code, out, _ = run(repo, capsys, "reservations", "--remote", url)
        assert (code, [line[:12] for line in out.splitlines()]) == (
            0,
            ["console 0145", "console 0146"],
        )
        assert run(repo, capsys, "release", "console", "0145", "--remote", url)[0] == 0
    assert _refs(repo) == ["refs/migration-guard/console/0146"]


# --- check and next count reservations ---------------------------------------------------------


def _branch_adding_0145(repo: GitRepo, branch: str) -> None:
    repo.git("checkout", "-q", "-b", branch, "main")
    repo.write(f"{V}/0145_add_x.py", sample.alembic_script("0145", "0144", "add_x", table="t"))
    repo.commit_all("add 0145")


def test_next_skips_reserved_numbers(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    run(repo, capsys, "reserve", "console")
    code, out, err = run(repo, capsys, "next", "console", "--provider", "git")
    assert (code, out) == (0, "0146\n")
    assert "and 1 reservation(s) on origin" in err
    code, out, _ = run(repo, capsys, "next", "console", "--provider", "git", "--format", "json")
    assert json.loads(out)["reserved"] == [145]


def test_check_fails_on_someone_elses_reservation(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    run(repo, capsys, "reserve", "console")  # from main, by Alice
    _branch_adding_0145(repo, "feature")
    code, out, _ = run(repo, capsys, "check", "--base-sha", "origin/main", "--provider", "git")
    assert code == 1
    lines = out.splitlines()
    assert "Found 1 reservation(s) on origin." in lines
    start = lines.index(f"COLLISION [console] 0145 — {V}/0145_add_x.py")
    assert lines[start + 1].startswith(
        "  also claimed by reservation 0145 (reserved by Alice (branch main) at "
    )
    assert lines[start + 2].startswith("  reserved by Alice (branch main) at ")
    assert lines[start + 2].endswith(": this PR must move")
    assert lines[start + 3 :][:2] == [
        "  next available number: 0146",
        f"  fix: migration-guard renumber {V}/0145_add_x.py --to 0146",
    ]


@pytest.mark.parametrize("how", ["branch", "slug"])
def test_the_changes_own_reservation_is_no_collision(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    if how == "branch":
        repo.git("checkout", "-q", "-b", "feature", "main")
        run(repo, capsys, "reserve", "console")
        repo.git("checkout", "-q", "main")
        repo.git("branch", "-D", "feature")
    else:
        run(repo, capsys, "reserve", "console", "--slug", "add_x")
    _branch_adding_0145(repo, "feature")
    code, out, _ = run(repo, capsys, "check", "--base-sha", "origin/main", "--provider", "git")
    assert code == 0, out
    assert out.splitlines()[-1] == "No migration-number collisions detected. OK."


@pytest.mark.parametrize("value", ["0", "-1", '"14"', "true"])
def test_a_bad_max_age_in_the_configuration(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    repo.write("migration-guard.toml", f"reservation_max_age_days = {value}\n")
    code, _, err = run(repo, capsys, "reservations")
    assert code == 2
    assert "'reservation_max_age_days' must be a positive number" in err
