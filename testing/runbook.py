"""The runbook's monorepo as a new user finds it before adopting migration-guard: its three
chains, no configuration, committed on main and pushed to a bare origin."""

from __future__ import annotations

from pathlib import Path

from migration_guard import sample
from migration_guard.config import CONFIG_FILE
from testing.gitrepo import GitRepo

# What makes the runbook's commands work: discovery names backend_v2/ "backend_v2", the
# runbook calls it Raptor.
RUNBOOK_INIT = ("init", "--ci", "github", "--scripts", "--name", "backend_v2=raptor")


def runbook_layout(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    (repo.path / CONFIG_FILE).unlink()
    repo.commit_all("the runbook's three chains")
    repo.push("main")
    return repo
