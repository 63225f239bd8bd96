from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from migration_guard.databases.temp_postgres import TempPostgres


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the PostgreSQL cluster are ``postgres`` tests (skip: -m 'not postgres')."""
    for item in items:
        if "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No test reads or writes the real HOME or git config, or talks to a real forge."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test\n\temail = test@example.invalid\n[init]\n\tdefaultBranch = main\n"
        '[protocol "file"]\n\tallow = always\n'
    )
    for var in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_PATH",
        "GITHUB_REPOSITORY",
        "GITLAB_CI",
        "GITLAB_TOKEN",
        "CI_API_V4_URL",
        "CI_MERGE_REQUEST_IID",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "GITHUB_HEAD_REF",
        "GITHUB_STEP_SUMMARY",
        "SQITCH_CONFIG",
        "NO_COLOR",  # (the tests that colour set these themselves)
        "FORCE_COLOR",
    ):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """The demo's monorepo (main, pr-3277, pr-3322, incident, bad-plan) in a temp folder."""
    from migration_guard.commands.demo import build_demo_repository

    build_demo_repository(tmp_path)
    return tmp_path / "monorepo"


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres]:
    """One real throwaway PostgreSQL cluster for the whole run (create databases per test)."""
    with TempPostgres() as cluster:
        yield cluster
