"""The pre-commit hooks (.pre-commit-hooks.yaml) run through the real `pre-commit` tool: it
clones a git repository of this project, builds a venv, pip-installs the project and runs the
hooks on the runbook's sample monorepo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from testing.gitrepo import git
from testing.project_copy import ROOT, project_repository
from testing.tools import require_module

from migration_guard import sample
from migration_guard.commands.demo import build_demo_repository

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
BY_ID = {hook["id"]: hook for hook in HOOKS}


def test_hooks_are_declared_as_documented() -> None:
    assert list(BY_ID) == ["migration-guard-heads", "migration-guard-lint", "migration-guard-check"]
    assert BY_ID["migration-guard-heads"]["entry"] == "migration-guard heads"
    assert BY_ID["migration-guard-lint"]["entry"] == "migration-guard lint"
    assert BY_ID["migration-guard-check"]["entry"] == "migration-guard check --provider git"
    for hook in HOOKS:
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert not hook.get("always_run", False)
        assert hook["files"] == HOOKS[0]["files"]


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        (f"{sample.CONSOLE_VERSIONS}/0193_x.py", True),
        (f"{sample.RAPTOR_VERSIONS}/0057_y.py", True),
        (sample.QUEUE_PLAN, True),
        ("queue/migrations/sqitch/deploy/07-x.sql", True),
        ("app/migrations/0002_auto.py", True),
        ("db/migrate/20260101_x.sql", True),
        ("migration-guard.toml", True),
        ("pyproject.toml", True),
        ("alembic.ini", True),
        ("README.md", False),
        ("src/app/models.py", False),
        ("docs/migrations.md", False),
    ],
)
def test_files_filter_matches_migration_paths(path: str, runs: bool) -> None:
    """pre-commit selects files with re.search on the repository-relative path."""
    assert bool(re.search(HOOKS[0]["files"], path)) is runs


@dataclass(frozen=True)
class Hooks:
    repo: Path
    rev: str
    home: Path


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooks]:
    """A git repository of this project and one PRE_COMMIT_HOME for the module: pre-commit
    installs the hooks' environment once."""
    require_module("pre_commit")
    base = tmp_path_factory.mktemp("hooks")
    repo, rev = project_repository(base / "migration-guard")
    yield Hooks(repo, rev, base / "pre-commit-home")


def _monorepo(base: Path, hooks: Hooks) -> Path:
    build_demo_repository(base)
    repo = base / "monorepo"
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hooks.repo}\n"
        f"    rev: {hooks.rev}\n"
        "    hooks:\n"
        "      - id: migration-guard-heads\n"
        "      - id: migration-guard-lint\n"
        "      - id: migration-guard-check\n",
        encoding="utf-8",
    )
    git(repo, "add", ".pre-commit-config.yaml")
    return repo


def _pre_commit(repo: Path, hooks: Hooks, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never", *args],
        cwd=repo,
        env={**os.environ, "PRE_COMMIT_HOME": str(hooks.home)},
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_heads_and_lint_hooks_pass_on_a_good_chain_and_fail_on_two_heads(
    tmp_path: Path, hooks: Hooks
) -> None:
    repo = _monorepo(tmp_path, hooks)
    for hook in ("migration-guard-heads", "migration-guard-lint"):
        code, out = _pre_commit(repo, hooks, hook, "--all-files")
        assert code == 0, out
        assert re.search(rf"^{hook.replace('-guard-', '-guard ')}\.+Passed$", out, re.M), out

    # The runbook's incident: both 0193s merged, two heads.
    git(repo, "checkout", "-q", "incident")
    code, out = _pre_commit(repo, hooks, "migration-guard-heads", "--all-files")
    assert code == 1
    assert re.search(r"^migration-guard heads\.+Failed$", out, re.M), out
    assert "Console: FAIL (2 heads)" in out
    assert "MG101 duplicate revision id '0193'" in out

    # A hand-edited sqitch plan: lint fails with sqitch's own message and the hint.
    git(repo, "checkout", "-q", "bad-plan")
    code, out = _pre_commit(repo, hooks, "migration-guard-lint", "--all-files")
    assert code == 1
    assert f"{sample.QUEUE_PLAN}:12: MG201 Invalid name" in out
    assert "the timestamp must not be in brackets" in out


@pytest.mark.slow
def test_check_hook_fails_on_a_staged_migration_that_collides(tmp_path: Path, hooks: Hooks) -> None:
    repo = _monorepo(tmp_path, hooks)
    git(repo, "checkout", "-q", "-b", "billing", "main")

    # Nothing staged but the hook config: the hook is skipped, the commit may go ahead.
    code, out = _pre_commit(repo, hooks, "migration-guard-check")
    assert code == 0, out
    assert re.search(r"^migration-guard check .*\(no files to check\)Skipped$", out, re.M), out

    # A staged 0193 while branches pr-3277 and pr-3322 already claim it.
    new = f"{sample.CONSOLE_VERSIONS}/0193_add_billing.py"
    (repo / new).write_text(
        sample.alembic_script("0193", "0192", "add_billing", table="console_billing"),
        encoding="utf-8",
    )
    git(repo, "add", new)
    code, out = _pre_commit(repo, hooks, "migration-guard-check")
    assert code == 1, out
    assert re.search(r"^migration-guard check .*\.Failed$", out, re.M), out
    assert f"COLLISION [console] 0193 — {new}" in out
    assert f"fix: migration-guard renumber {new} --to 0195" in out

    # The same run with nothing new is OK: no chain file differs from the base (the fast exit).
    git(repo, "rm", "-q", "--cached", new)
    (repo / new).unlink()
    code, out = _pre_commit(repo, hooks, "migration-guard-check", "--all-files", "--verbose")
    assert code == 0, out
    assert "no migrations touched: OK" in out
