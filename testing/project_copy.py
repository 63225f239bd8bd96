"""A copy of this project's own files, for tests that build, install or clone it.

The copy holds what a commit would hold (tracked files plus new files git does not ignore),
so the tests exercise the checkout as it is, never a build directory or a cache, and never
touch the shared editable install.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.gitrepo import git

ROOT = Path(__file__).resolve().parents[1]


def project_files() -> list[str]:
    """The project's files, relative to its root; skips the test outside a git checkout
    (an unpacked sdist), where what a commit would hold is unknown."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout of migration-guard")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted(p for p in listed.split("\0") if p and (ROOT / p).is_file())


def copy_project(dest: Path) -> Path:
    """Copy the project's files into ``dest`` (created) and return it."""
    for rel in project_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


def project_repository(dest: Path) -> tuple[Path, str]:
    """A git repository of the project's files with one commit: (path, commit id)."""
    copy_project(dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "migration-guard as checked out")
    return dest, git(dest, "rev-parse", "HEAD").strip()


def fresh_venv(dest: Path) -> Path:
    """A new virtual environment (with pip) and the path of its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", str(dest)], check=True, capture_output=True)
    return dest / "bin"
