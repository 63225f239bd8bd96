from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.config import Config, discover, discover_chains, load_config
from migration_guard.errors import ConfigError, UsageError
from migration_guard.model import ChainKind, Finding
from migration_guard.tree import WorkTree


def _write(root: Path, rel: str, text: str = "") -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


def _load(root: Path) -> object:
    return load_config(root, WorkTree(root))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _write(tmp_path, "db/versions/0001_init.py")
    _write(tmp_path, "db/plugins/0002_plugin.py")
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
            '[[chains]]\nname = "a"\nkind = "liquibase"\npath = "db/versions"\n',
            "migration-guard.toml: chain 'a': unknown kind 'liquibase'",
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
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = []\n',
            "migration-guard.toml: chain 'a': 'path' must be a folder or a non-empty list of "
            "folders",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = ["db/versions", "db/gone"]\n',
            "migration-guard.toml: chain 'a': versions folder 'db/gone' does not exist in the "
            "working tree",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "sqitch"\npath = ["queue/sqitch.plan"]\n',
            "migration-guard.toml: chain 'a': 'path' must be a non-empty string",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = ["db/versions"]\n'
            '[[chains]]\nname = "b"\nkind = "alembic"\npath = ["db/plugins", "db/versions"]\n',
            "migration-guard.toml: path 'db/versions' is configured for more than one chain",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "sqitch"\npath = "queue/sqitch.plan"\n'
            'alembic_section = "x"\n',
            "migration-guard.toml: chain 'a': 'alembic_section' is for alembic chains",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\nalembic_section = 3\n',
            "migration-guard.toml: chain 'a': 'alembic_section' must be an ini section name",
        ),
        (
            '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\n'
            'alembic_config = "db/alembic.ini"\nalembic_section = "other"\n',
            "migration-guard.toml: chain 'a': alembic_section 'other' is not a section of "
            "db/alembic.ini",
        ),
    ],
)
def test_config_errors_are_clear(repo: Path, toml: str, message: str) -> None:
    _write(repo, "db/alembic.ini", "[alembic]\nscript_location = %(here)s\n")
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


def test_downgrade_floor_is_an_alembic_revision_for_the_gate(repo: Path) -> None:
    chain = '[[chains]]\nname = "a"\nkind = "alembic"\npath = "db/versions"\n'
    _write(repo, "migration-guard.toml", chain)
    assert load_config(repo, WorkTree(repo)).chains[0].downgrade_floor is None
    _write(repo, "migration-guard.toml", chain + 'downgrade_floor = "ae1027a6acf"\n')
    assert load_config(repo, WorkTree(repo)).chains[0].downgrade_floor == "ae1027a6acf"
    sqitch = '[[chains]]\nname = "q"\nkind = "sqitch"\npath = "queue/sqitch.plan"\n'
    for toml, message, hint in (
        (
            chain + "downgrade_floor = 12\n",
            "migration-guard.toml: chain 'a': 'downgrade_floor' must be a revision id (a string)",
            None,
        ),
        (
            chain + 'downgrade_floor = " "\n',
            "migration-guard.toml: chain 'a': 'downgrade_floor' must be a revision id (a string)",
            None,
        ),
        (
            sqitch + 'downgrade_floor = "01-a"\n',
            "migration-guard.toml: chain 'q': 'downgrade_floor' applies to Alembic chains only",
            "gate reverts a sqitch chain to its start; remove the key from this chain",
        ),
    ):
        _write(repo, "migration-guard.toml", toml)
        with pytest.raises(ConfigError) as info:
            load_config(repo, WorkTree(repo))
        assert (info.value.message, info.value.hint, info.value.exit_code) == (message, hint, 2)


def test_path_may_list_the_folders_of_one_alembic_graph(repo: Path) -> None:
    _write(repo, "db/alembic.ini", "[alembic]\nscript_location = %(here)s\n")
    _write(
        repo,
        "migration-guard.toml",
        '[[chains]]\nname = "db"\nkind = "alembic"\n'
        'path = ["db/versions", "db/plugins", "./db/versions"]\n'
        'alembic_config = "db/alembic.ini"\nalembic_section = "alembic"\n',
    )
    (chain,) = load_config(repo, WorkTree(repo)).chains
    assert (chain.path, chain.extra_paths, chain.folders) == (
        "db/versions",
        ("db/plugins",),
        ("db/versions", "db/plugins"),
    )
    assert chain.alembic_section == "alembic"


def test_discovery_of_sections_toml_and_env_py(tmp_path: Path) -> None:
    # An ini whose [alembic] has only the URL: pyproject's [tool.alembic] gives the layout
    # (Alembic 1.16+ reads both, the ini first); a named section beside it; a versions/
    # folder that the configuration does not use (version_locations point elsewhere).
    _write(
        tmp_path,
        "svc/alembic.ini",
        "[alembic]\nsqlalchemy.url = sqlite://\n\n"
        "[audit]\nscript_location = %(here)s/audit\n"
        "version_locations = %(here)s/audit/versions\n\n"
        "[same]\nscript_location = %(here)s/audit\nversion_locations = audit/versions\n\n"
        # Without version_locations of its own, a section takes [tool.alembic]'s (as Alembic
        # does): the main chain's folders again, so no chain of its own.
        "[inherits]\nscript_location = %(here)s/audit\n",
    )
    _write(
        tmp_path,
        "svc/pyproject.toml",
        '[tool.alembic]\nscript_location = "%(here)s/db"\n'
        'version_locations = ["%(here)s/db/revisions"]\n',
    )
    _write(tmp_path, "svc/db/env.py")
    _write(tmp_path, "svc/db/versions/0001_unused.py")
    _write(tmp_path, "svc/db/revisions/0001_a.py")
    _write(tmp_path, "svc/audit/env.py")
    _write(tmp_path, "svc/audit/versions/0001_a.py")
    chains, notes = discover(WorkTree(tmp_path))
    assert notes == ()
    assert [(c.name, c.folders, c.alembic_config, c.alembic_section) for c in chains] == [
        ("audit", ("svc/audit/versions",), "svc/alembic.ini", "audit"),
        ("svc", ("svc/db/revisions",), "svc/alembic.ini", None),
    ]


def test_discovery_notes_what_it_cannot_read(tmp_path: Path) -> None:
    _write(tmp_path, "a/alembic.ini", "[alembic]\nscript_location = pkg_x:migrations\n")
    _write(
        tmp_path,
        "b/alembic.ini",
        "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s/v\n"
        "version_path_separator = os  # use os.pathsep\n",
    )
    _write(tmp_path, "b/v/0001_a.py")
    _write(tmp_path, "c/alembic.ini", "[alembic\n")
    _write(tmp_path, "d/alembic.ini", "[alembic]\nscript_location = %(here)s/m\n")
    _write(tmp_path, "d/m/env.py")
    chains, notes = discover(WorkTree(tmp_path))
    assert chains == ()
    assert [(n.code, n.path, n.message) for n in notes] == [
        (
            "MG143",
            "a/alembic.ini",
            "a/alembic.ini: script_location 'pkg_x:migrations': package 'pkg_x' is not a folder "
            "of the repository (looked for a/pkg_x, pkg_x, src/pkg_x); no chain read from it",
        ),
        (
            "MG143",
            "b/alembic.ini",
            "b/alembic.ini: 'os  # use os.pathsep' is not a valid value for "
            "version_path_separator; no chain read from it",
        ),
        (
            "MG143",
            "c/alembic.ini",
            "c/alembic.ini cannot be parsed: File contains no section headers. file: "
            "'c/alembic.ini', line: 1 '[alembic\\n'; no chain read from it",
        ),
        (
            "MG143",
            "d/alembic.ini",
            "d/alembic.ini: no versions folder: d/m/versions does not exist; no chain read from it",
        ),
    ]


def test_no_chain_errors_carry_discoverys_first_note() -> None:
    notes = (
        Finding("MG143", "x.ini: no script_location; no chain read from it", hint="add it"),
        Finding("MG142", "y/versions holds no revision scripts"),
    )
    error = Config((), "discovered", notes=notes).nothing_to("no chains to lint", hint="h")
    assert error.message == (
        "no chains to lint: x.ini: no script_location; no chain read from it (and 1 more: see "
        "`migration-guard chains`)"
    )
    assert error.hint == "add it"
    plain = Config((), "discovered").nothing_to("no chains to lint", hint="h")
    assert (plain.message, plain.hint) == ("no chains to lint", "h")
    with pytest.raises(UsageError) as info:
        Config((), "discovered", notes=notes[1:]).select(["db"])
    assert info.value.message == (
        "unknown chain 'db': no migration chains found (discovered): y/versions holds no "
        "revision scripts"
    )
