"""Run the CLI in-process the way a user would, and snapshot a repository to compare."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from migration_guard.cli import main
from testing.gitrepo import GitRepo


def run(
    repo: GitRepo | Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``migration-guard -C REPO ARGS``: (exit code, stdout, stderr)."""
    path = repo.path if isinstance(repo, GitRepo) else repo
    code = main(["-C", str(path), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def snapshot(repo: GitRepo) -> tuple[str, str, dict[str, bytes]]:
    """Everything a failed write must leave as it was: status, index, every file's bytes
    (databases aside: tests deploy to them on purpose)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo.path, capture_output=True, text=True, check=True
        ).stdout

    files = {
        str(p.relative_to(repo.path)): p.read_bytes()
        for p in sorted(repo.path.rglob("*"))
        if p.is_file() and ".git" not in p.parts and not p.name.endswith(".db")
    }
    return git("status", "--porcelain"), git("ls-files", "-s"), files
