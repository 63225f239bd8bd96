"""Every command of the runbook, run verbatim (in a shell, from the repository root) through
the scripts ``init --scripts`` writes, with the exact lines checked; and the wrappers with
migration-guard importable, only on PATH, or missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from testing.cli import run
from testing.gitrepo import GitRepo
from testing.runbook import RUNBOOK_INIT, runbook_layout

from migration_guard import project, sample
from migration_guard.cli import main
from migration_guard.scaffold.scripts import install_hint

SRC = str(Path(__file__).resolve().parents[1] / "src")
V = sample.CONSOLE_VERSIONS
CHECK = "python3 scripts/ci/check_migration_collision.py --base-sha origin/main --pr-number 0"
HEADS = "bash scripts/ci/check_alembic_single_head.sh"
LINT = "bash scripts/ci/validate-sqitch-plan.sh queue/migrations/sqitch/sqitch.plan"
GIT_NOTE = (
    "Open changes from: git (no forge settings in the environment: open changes are the "
    "branches fetched into this clone)"
)


def _bin(tmp_path: Path, python: str) -> Path:
    """A folder for PATH whose ``python3`` (and ``python``) is ``python``."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in ("python3", "python"):
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(python)
    return folder


def _shell(
    repo: GitRepo, command: str, path: list[Path], *, importable: bool = True
) -> subprocess.CompletedProcess[str]:
    """``command`` in bash from the repository root, with PATH = ``path`` + /usr/bin:/bin,
    and this checkout's migration-guard importable (or not)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PATH")}
    env["PATH"] = os.pathsep.join([*map(str, path), "/usr/bin", "/bin"])
    env.pop("MIGRATION_GUARD_PROG", None)
    if importable:
        env["PYTHONPATH"] = SRC
    return subprocess.run(
        ["bash", "-c", command], cwd=repo.path, env=env, capture_output=True, text=True
    )


@pytest.fixture
def runbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> GitRepo:
    """``init --ci github --scripts`` committed on main; branch feature adds console 0193."""
    repo = runbook_layout(tmp_path)
    code, _, err = run(repo, capsys, *RUNBOOK_INIT)
    assert code == 0, err
    repo.commit_all("migration-guard init --ci github --scripts")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(
        f"{V}/0193_promote_my_feature.py",
        sample.alembic_script("0193", "0192", "promote_my_feature", table="t_feature"),
    )
    repo.commit_all("add 0193", date="2026-06-05T11:00:00Z")
    return repo


def test_the_runbooks_commands_work_verbatim(runbook: GitRepo, tmp_path: Path) -> None:
    path = [_bin(tmp_path, sys.executable)]
    done = _shell(runbook, CHECK, path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "check_migration_collision: base='origin/main' pr=0",
        GIT_NOTE,
        "Found 1 new migration(s) in this PR:",
        f"  [console] 0193 — {V}/0193_promote_my_feature.py",
        "Found 0 migration file(s) across 0 other open PR(s).",
        "No migration-number collisions detected. OK.",
    ]

    done = _shell(runbook, f"{HEADS} --console-only", path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "Console: OK (exactly 1 head)",
        f"  head 0193  {V}/0193_promote_my_feature.py",
    ]
    done = _shell(runbook, HEADS, path)
    assert done.returncode == 0
    assert sorted(line for line in done.stdout.splitlines() if not line.startswith("  ")) == [
        "Console: OK (exactly 1 head)",
        "Raptor: OK (exactly 1 head)",
    ]

    done = _shell(runbook, LINT, path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"Queue (sqitch, {sample.QUEUE_PLAN}): OK (7 changes)",
        "lint: 1 chain checked. OK.",
    ]


def test_a_collision_through_the_runbooks_commands_exits_1(
    runbook: GitRepo, tmp_path: Path
) -> None:
    """Another branch, pushed and earlier, added console 0193 too: the guard fails and names
    it; with both files in one tree, the single-head gate fails."""
    runbook.git("checkout", "-q", "-b", "other", "main")
    rival = f"{V}/0193_add_refund_audit.py"
    runbook.write(rival, sample.alembic_script("0193", "0192", "add_refund_audit", table="t_r"))
    runbook.commit_all("add 0193 too", date="2026-06-05T10:00:00Z")
    runbook.push("other")
    runbook.git("checkout", "-q", "feature")
    path = [_bin(tmp_path, sys.executable)]

    done = _shell(runbook, CHECK, path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "check_migration_collision: base='origin/main' pr=0"
    assert f"COLLISION [console] 0193 — {V}/0193_promote_my_feature.py" in lines
    assert f"  also claimed by branch origin/other ({rival})" in lines
    assert "  next available number: 0194" in lines
    assert lines[-1] == "Found 1 migration-number collision(s). FAIL."

    runbook.git("checkout", "-q", "other", "--", rival)
    done = _shell(runbook, f"{HEADS} --console-only", path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("Console: FAIL")


def test_check_says_no_migrations_touched_when_the_branch_touches_no_chain(
    runbook: GitRepo, tmp_path: Path
) -> None:
    runbook.git("checkout", "-q", "-b", "docs", "main")
    runbook.write("README.md", "# Sample monorepo\n\nNow with docs.\n")
    runbook.commit_all("docs only")
    path = [_bin(tmp_path, sys.executable)]
    for command in (CHECK, f"{CHECK} --format github"):
        done = _shell(runbook, command, path)
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout.splitlines() == [
            "check_migration_collision: base='origin/main' pr=0",
            "no migrations touched: OK",
        ]
    # The script directory above versions/ (env.py) is the chain's too.
    runbook.write("console/migrations/env.py", sample.ENV_PY + "\n# tuned\n")
    runbook.commit_all("tune env.py")
    done = _shell(runbook, CHECK, path)
    assert done.returncode == 0
    assert "Found 0 new migration(s) in this PR:" in done.stdout.splitlines()


def test_the_wrappers_run_the_executable_on_path_when_python_cannot_import_it(
    runbook: GitRepo, tmp_path: Path
) -> None:
    """pipx: only the ``migration-guard`` executable is there."""
    venv = _venv(tmp_path)
    tool = tmp_path / "pipx-bin"
    tool.mkdir()
    exe = tool / "migration-guard"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH={SRC} exec {sys.executable} -m migration_guard "$@"\n')
    exe.chmod(0o755)
    path = [venv / "bin", tool]
    done = _shell(runbook, CHECK, path, importable=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "check_migration_collision: base='origin/main' pr=0"
    assert done.stdout.splitlines()[-1] == "No migration-number collisions detected. OK."
    done = _shell(runbook, f"{HEADS} --console-only", path, importable=False)
    assert done.returncode == 0 and done.stdout.startswith("Console: OK (exactly 1 head)\n")


@pytest.mark.slow
def test_without_migration_guard_the_wrappers_say_how_to_install_it_and_exit_3(
    runbook: GitRepo, tmp_path: Path
) -> None:
    path = [_venv(tmp_path) / "bin"]
    for command, prog, sub in (
        (CHECK, "check_migration_collision", "check"),
        (f"{HEADS} --console-only", "check_alembic_single_head", "heads"),
        (LINT, "validate-sqitch-plan", "lint"),
    ):
        done = _shell(runbook, command, path, importable=False)
        assert done.returncode == 3
        assert done.stdout == ""
        assert done.stderr == install_hint(prog, sub)
        assert f'pip install "{project.pip_requirement()}"' in done.stderr


def _venv(tmp_path: Path) -> Path:
    """A Python without migration-guard (no site packages, no editable install)."""
    venv = tmp_path / "venv"
    if not venv.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    probe = subprocess.run(
        [str(venv / "bin" / "python3"), "-c", "import migration_guard"],
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert probe.returncode != 0, "the venv must not see migration-guard"
    return venv


def test_a_wrapper_names_itself_in_errors_too(
    runbook: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = main(["-C", str(runbook.path), "check", "--base-sha", "nowhere"], prog="wrapper")
    assert code in (2, 3)
    assert capsys.readouterr().err.startswith("wrapper: error: ")
    monkeypatch.setenv("MIGRATION_GUARD_PROG", "from_env")
    code = main(["-C", str(runbook.path), "check", "--base-sha", "main", "--pr-number", "0"])
    assert capsys.readouterr().out.startswith("from_env: base='main' pr=0\n")
