"""The runbook's incident as git history: the sample repository with its console chain cut
back to 0144, and PRs that each add console 0145 on it."""

from __future__ import annotations

from pathlib import Path

from migration_guard import sample
from testing.gitrepo import GitRepo

CONSOLE = sample.CONSOLE_VERSIONS


def main_at_0144(base: Path, message: str = "main at 0144") -> GitRepo:
    """A repository (with a bare origin beside it) whose main ends at console 0144."""
    repo = GitRepo.create(base)
    sample.write_sample_repo(repo.path)
    for extra in sorted((repo.path / CONSOLE).iterdir())[144:]:
        extra.unlink()
    repo.commit_all(message)
    return repo


def merge_prs_adding_0145(repo: GitRepo, prs: dict[int, str]) -> GitRepo:
    """Each PR (number: slug) adds console 0145 on main's 0144 and is merged with --no-ff,
    as the forge's merge button does: the collision that slipped into main."""
    for pr, slug in prs.items():
        repo.git("checkout", "-q", "-b", f"pr-{pr}", "main")
        repo.write(
            f"{CONSOLE}/0145_{slug}.py",
            sample.alembic_script("0145", "0144", slug, table=f"t_{slug}"),
        )
        repo.commit_all(f"pr-{pr}: add 0145")
        repo.git("checkout", "-q", "main")
        repo.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr}", f"pr-{pr}")
    return repo
