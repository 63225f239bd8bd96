"""What the kinds' ``plan_new`` share: the planner, the separator, the description."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard.chains import newfile
from migration_guard.chains.kind import Author
from migration_guard.errors import UsageError
from migration_guard.model import ChainKind, ChainSpec, ChainState, Migration

SPEC = ChainSpec("q", "Q", ChainKind.SQITCH, "q/sqitch.plan")


def test_the_planner_comes_from_sqitchs_variables_then_git(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path)
    repo.git("config", "user.name", "Repo Person")
    repo.git("config", "user.email", "repo@example.invalid")
    env = {"SQITCH_FULLNAME": "Env Person", "SQITCH_EMAIL": "env@example.invalid"}
    assert newfile.planner(repo.path, env) == Author("Env Person", "env@example.invalid")
    assert newfile.planner(repo.path, {}) == Author("Repo Person", "repo@example.invalid")
    assert newfile.planner(repo.path, {"SQITCH_EMAIL": "e@x"}) == Author("Repo Person", "e@x")


def test_without_git_the_login_is_the_planner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(newfile, "_git_config", lambda key, cwd: "")
    name, email = newfile.planner(tmp_path, {})
    assert name and "@" in email


def test_the_separator_is_the_chains_own() -> None:
    state = ChainState(SPEC, (Migration("q", 7, "07", "07-job-priority", "p"),))
    assert newfile.separator(state, "_") == "-"
    assert newfile.separator(ChainState(SPEC), "_") == "_"


def test_the_description_is_the_message_else_the_slugs_words() -> None:
    assert newfile.description("  Add users ", "x") == "Add users"
    assert newfile.description("", "add_users-email") == "add users email"


@pytest.mark.parametrize("slug", ["", ".x", "-x", "a/b", "a\\b", "a b", "a\tb"])
def test_bad_slugs(slug: str) -> None:
    with pytest.raises(UsageError):
        newfile.check_slug(slug)
