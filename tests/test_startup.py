"""What `migration-guard heads` costs before it reads anything: the modules it imports, and
the git call every command makes (``repo_root``)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard import git
from migration_guard.errors import GitError
from migration_guard.sample import alembic_script

SRC = Path(__file__).resolve().parents[1] / "src"

# Each costs milliseconds on every run, and `heads` on a working tree needs none of them.
# (``subprocess``, with ``signal``, is imported: every command runs ``git rev-parse`` first,
# and spawning it without ``subprocess`` saved ~3 ms, 2% of `heads` on 5,000 files; issue 11.)
NOT_NEEDED = (
    "dataclasses",
    "inspect",
    "json",
    "configparser",
    "traceback",
    "unicodedata",
)

PROBE = """
import sys
from migration_guard.cli import main
code = main(["heads"])
print(repr({"code": code, "modules": sorted(sys.modules)}))
"""


def _chain(root: Path) -> None:
    folder = root / "db/versions"
    folder.mkdir(parents=True)
    for n in range(1, 4):
        down = f"{n - 1:04d}" if n > 1 else None
        (folder / f"{n:04d}_step.py").write_text(
            alembic_script(f"{n:04d}", down, "step", table="t")
        )
    (root / "migration-guard.toml").write_text(
        '[[chains]]\nname = "db"\nkind = "alembic"\npath = "db/versions"\n'
    )


@pytest.mark.parametrize("in_git", [False, True])
def test_heads_imports_nothing_it_does_not_need(tmp_path: Path, in_git: bool) -> None:
    if in_git:
        repo = GitRepo.create(tmp_path)
        _chain(repo.path)
        repo.commit_all("chain")
        root = repo.path
    else:
        _chain(tmp_path)
        root = tmp_path
    # -S: no site hooks importing modules on their own; the package comes from src/.
    proc = subprocess.run(
        [sys.executable, "-S", "-c", PROBE],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    result = ast.literal_eval(proc.stdout.splitlines()[-1])
    assert result["code"] == 0
    assert [m for m in NOT_NEEDED if m in result["modules"]] == []


def test_repo_root_is_the_top_of_the_work_tree(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path, "repo")
    sub = repo.path / "a" / "b"
    sub.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    assert git.repo_root(repo.path) == repo.path.resolve()
    assert git.repo_root(sub) == repo.path.resolve()
    assert git.repo_root(outside) is None


def test_repo_root_without_git_is_a_git_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git here
    with pytest.raises(GitError, match="git is not installed or not on PATH"):
        git.repo_root(tmp_path)
    with pytest.raises(GitError, match="no such folder"):
        git.repo_root(tmp_path / "gone")
