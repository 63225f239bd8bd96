"""docs/install.md: every install command names this release's tag in the repository, in
the spelling of migration_guard.project; the pip command, run verbatim, installs it."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from testing.gitrepo import git
from testing.project_copy import ROOT, fresh_venv, project_repository

from migration_guard import __version__
from migration_guard.project import REPOSITORY_URL, pip_requirement, release_tag

DOC = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
COMMANDS = [
    line.split("  #")[0].strip()
    for block in re.findall(r"```sh\n(.*?)```", DOC, re.S)
    for line in block.splitlines()
    if line.strip()
]


def _installs() -> list[list[str]]:
    return [
        shlex.split(c)
        for c in COMMANDS
        if c.startswith(("python3 -m pip install", "pipx install", "uvx ")) and "git+" in c
    ]


def test_every_install_command_names_this_release() -> None:
    installs = _installs()
    assert len(installs) == 6
    git_url = f"git+{REPOSITORY_URL}@{release_tag()}"
    allowed = {git_url, pip_requirement(), pip_requirement(extras="gate")}
    for words in installs:
        specs = [w for w in words if "git+" in w]
        assert len(specs) == 1 and specs[0] in allowed, words
    assert f'python3 -m pip install "{pip_requirement()}"' in COMMANDS
    assert f"migration-guard {__version__}" in DOC


def test_the_clone_commands_check_out_the_release() -> None:
    assert f"git clone {REPOSITORY_URL}" in COMMANDS
    assert f"git checkout {release_tag()}" in COMMANDS
    assert "python3 -m pip install '.[gate]'" in COMMANDS


@pytest.mark.slow
def test_the_documented_pip_command_installs_the_release(tmp_path: Path) -> None:
    """Run verbatim in a fresh venv; git's insteadOf points the address at a local copy
    of this project tagged with the release (no network but the package index)."""
    upstream, _ = project_repository(tmp_path / "upstream")
    git(upstream, "tag", release_tag())
    git(tmp_path, "config", "--global", f"url.{upstream}.insteadOf", REPOSITORY_URL)
    bin_dir = fresh_venv(tmp_path / "venv")

    command = next(c for c in COMMANDS if c.startswith("python3 -m pip install"))
    words = shlex.split(command)
    words[0] = str(bin_dir / "python")
    proc = subprocess.run(words, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = subprocess.run(
        [str(bin_dir / "migration-guard"), "--version"], capture_output=True, text=True
    )
    assert shown.stdout == f"migration-guard {__version__}\n"
