from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.config import discover_chains, load_config
from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind
from migration_guard.tree import WorkTree


def _write(root: Path, rel: str, text: str = "") -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


def _load(root: Path) -> object:
    return load_config(root, WorkTree(root))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _write(tmp_path, "db/versions/0001_init.py")
    _write(tmp_path, "queue/sqitch.plan", "%project=q\n\n01-a 2026-01-01T00:00:00Z a <a@b>\n")
    return tmp_path


def test_reads_migration_guard_toml(repo: Path) -> None:
    _write(
        repo,
        "migration-guard.toml",
        """
[[chains]]
name = "console"
title = "Console"
kind = "alembic"
path = "db/versions"
width = 4

[[chains]]
name = "queue"
kind = "sqitch"
path = "queue/sqitch.plan"
exempt = ["appschema"]
""",
    )
    config = load_config(repo, WorkTree(repo))
    assert config.source == "migration-guard.toml"
    console, queue = config.chains
    assert (console.name, console.title, console.kind, console.path, console.width) == (
        "console",
        "Console",
        ChainKind.ALEMBIC,
        "db/versions",
        4,
    )
    # Not configured: detected from the plan when the chain is read.
    assert (queue.title, queue.width, queue.exempt) == ("Queue", None, ("appschema",))
    assert console.database_url_env == "DATABASE_URL"  # the gate's default


def test_database_url_env_names_the_variable_for_the_gate(repo: Path) -> None:
    chain = '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\n'
    _write(repo, "migration-guard.toml", chain + 'database_url_env = "APP_DB_URL"\n')
    assert load_config(repo, WorkTree(repo)).chains[0].database_url_env == "APP_DB_URL"
    _write(repo, "migration-guard.toml", chain + 'database_url_env = "APP DB"\n')
    with pytest.raises(ConfigError) as info:
        load_config(repo, WorkTree(repo))
    assert info.value.message == (
        "migration-guard.toml: chain 'a': 'database_url_env' must be an environment variable name"
    )


def test_reads_pyproject_tool_table(repo: Path) -> None:
    _write(
        repo,
        "pyproject.toml",
        """
[project]
name = "x"

[[tool.migration-guard.chains]]
name = "db"
kind = "alembic"
path = "db/versions"
""",
    )
    config = load_config(repo, WorkTree(repo))
    assert config.source == "pyproject.toml [tool.migration-guard]"
    assert [c.name for c in config.chains] == ["db"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('colour = "red"\n', "migration-guard.toml: unknown key 'colour'"),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\nlabel = "x"\n',
            "migration-guard.toml: chains[1]: unknown key 'label'",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "nope/versions"\n',
            "migration-guard.toml: chain 'a': versions folder 'nope/versions' does not exist in "
            "the working tree",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "sqitch"\npath = "queue/missing.plan"\n',
            "migration-guard.toml: chain 'a': sqitch plan 'queue/missing.plan' does not exist in "
            "the working tree",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\n'
            '[[chains]]\nname = "a"\nkind = "sqitch"\npath = "queue/sqitch.plan"\n',
            "migration-guard.toml: chain name 'a' is used more than once",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "flyway"\npath = "db/versions"\n',
            "migration-guard.toml: chain 'a': unknown kind 'flyway'",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\n',
            "migration-guard.toml: chains[1]: missing required key 'path'",
        ),
        (
            '[[chains]]\nname = "A B"\nkind = "alembic"\npath = "db/versions"\n',
            "migration-guard.toml: chains[1]: name 'A B' is not valid",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\nwidth = 0\n',
            "migration-guard.toml: chain 'a': 'width' must be a whole number from 1 to 12",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "../db/versions"\n',
            "migration-guard.toml: chain 'a': path '../db/versions' must be relative to the "
            "repository root",
        ),
        ("[[chains]\n", "migration-guard.toml is not valid TOML"),
    ],
)
def test_config_errors_are_clear(repo: Path, toml: str, message: str) -> None:
    _write(repo, "migration-guard.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_config(repo, WorkTree(repo))
    assert info.value.message.startswith(message)
    assert info.value.exit_code == 2


def test_select_unknown_chain_names_known_ones(repo: Path) -> None:
    config = load_config(repo, WorkTree(repo))
    with pytest.raises(ConfigError) as info:
        config.select(["nope"])
    assert info.value.message == "unknown chain 'nope'"
    assert info.value.hint == "known chains: queue (see `migration-guard chains`)"


def test_discovery_finds_alembic_ini_env_py_and_plans(tmp_path: Path) -> None:
    _write(tmp_path, "console/migrations/alembic.ini", "[alembic]\nscript_location = %(here)s/.\n")
    _write(tmp_path, "console/migrations/env.py")
    _write(tmp_path, "console/migrations/versions/0001_a.py")
    _write(tmp_path, "backend_v2/alembic.ini", "[alembic]\nscript_location = alembic\n")
    _write(tmp_path, "backend_v2/alembic/env.py")
    _write(tmp_path, "backend_v2/alembic/versions/0001_a.py")
    _write(tmp_path, "svc/alembic/env.py")
    _write(tmp_path, "svc/alembic/versions/00001_a.py")
    _write(
        tmp_path,
        "queue/migrations/sqitch/sqitch.plan",
        "%project=q\n\n01-a 2026-01-01T00:00:00Z a <a@b>\n",
    )
    _write(tmp_path, "node_modules/x/sqitch.plan", "%project=x\n")
    chains = discover_chains(WorkTree(tmp_path))
    got = [(c.name, c.kind.value, c.path, c.alembic_config) for c in chains]
    assert got == [
        ("backend_v2", "alembic", "backend_v2/alembic/versions", "backend_v2/alembic.ini"),
        ("console", "alembic", "console/migrations/versions", "console/migrations/alembic.ini"),
        ("svc", "alembic", "svc/alembic/versions", None),
        ("queue", "sqitch", "queue/migrations/sqitch/sqitch.plan", None),
    ]
    assert all(c.width is None and c.numbering is None for c in chains)  # read from files
    assert all(c.discovered for c in chains)


def test_discovery_version_locations_and_recursive_flag(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "app/alembic.ini",
        "[alembic]\nscript_location = migrations\n"
        "version_locations = %(here)s/one %(here)s/two\n"
        "recursive_version_locations = True\n",
    )
    _write(tmp_path, "app/migrations/env.py")
    _write(tmp_path, "app/one/0001_a.py")
    _write(tmp_path, "app/two/0002_b.py")
    chains = discover_chains(WorkTree(tmp_path))
    # One graph over both folders; 'True' is not Alembic's 'true': recursion stays off.
    assert [(c.name, c.folders, c.recursive) for c in chains] == [
        ("app", ("app/one", "app/two"), False)
    ]


def test_discovered_names_grow_until_unique(tmp_path: Path) -> None:
    _write(tmp_path, "svc/a/migrations/env.py")
    _write(tmp_path, "svc/a/migrations/versions/0001_x.py")
    _write(tmp_path, "svc/b/migrations/env.py")
    _write(tmp_path, "svc/b/migrations/versions/0001_x.py")
    names = [c.name for c in discover_chains(WorkTree(tmp_path))]
    assert names == ["svc-a", "svc-b"]
