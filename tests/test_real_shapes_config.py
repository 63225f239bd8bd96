"""Reconstructed real layouts (tests/data/real_shapes/*/NOTE.md) through the CLI, as a user runs
it: discovery, ``chains``, ``heads``, ``check``, ``renumber`` and ``gate``, in real git
repositories. Each false OK / false FAIL the old per-folder reading gave is a test here."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from testing.cli import run
from testing.gitrepo import GitRepo

from migration_guard.config import discover
from migration_guard.tree import WorkTree

SHAPES = Path(__file__).parent / "data" / "real_shapes"
PREFECT_DB = "src/prefect/server/database"
PREFECT_VERSIONS = f"{PREFECT_DB}/_migrations/versions"


def _repo(tmp_path: Path, shape: str) -> GitRepo:
    """The shape committed on main and pushed to origin."""
    repo = GitRepo.create(tmp_path)
    shutil.copytree(SHAPES / shape, repo.path, dirs_exist_ok=True)
    (repo.path / "NOTE.md").unlink()
    repo.commit_all(f"{shape} as it is")
    repo.push("main")
    return repo


def _revision(rev: str, down: str | None) -> str:
    return f"revision = {rev!r}\ndown_revision = {down!r}\n"


def _alembic_heads(folder: Path, *, ini: str | None, toml: str | None, section: str) -> list[str]:
    """What the real Alembic says, run in ``folder`` as ``alembic [-n SECTION] heads``."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    before = os.getcwd()
    os.chdir(folder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = Config(ini, toml_file=toml, ini_section=section)
            return sorted(ScriptDirectory.from_config(config).get_heads())
    finally:
        os.chdir(before)


# --- two version_locations: one graph -------------------------------------------------------


def test_two_version_locations_are_one_chain_with_a_parent_across_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "two_locations")
    code, out, err = run(repo, capsys, "chains")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "1 chain (discovered):",
        "  NAME  KIND     PATH                                 NUMBERING  MIGRATIONS  HIGHEST  "
        "HEAD(S)",
        "  db    alembic  db/versions, plugins/audit/versions  none       4           -        "
        "d6e7f8a9b0c1",
    ]
    # `version_path_separator = os` splits on ':' (it was split on spaces: no chain from the
    # ini); the plugin's parent lives in db/versions (it was a false MG103 "not found").
    code, out, err = run(repo, capsys, "heads")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Db: OK (exactly 1 head)",
        "  head d6e7f8a9b0c1  plugins/audit/versions/d6e7f8a9b0c1_index_audit_log.py",
    ]
    assert _alembic_heads(repo.path, ini="alembic.ini", toml=None, section="alembic") == [
        "d6e7f8a9b0c1"
    ]
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 0
    assert out.splitlines()[-1] == "no migrations touched: OK"
    code, out, _ = run(repo, capsys, "check", "--provider", "none", "--format", "json")
    assert code == 0 and '"ok": true' in out


def test_path_separator_space_is_still_one_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "two_locations")
    ini = repo.path / "alembic.ini"
    ini.write_text(
        ini.read_text()
        .replace("versions:%(here)s", "versions %(here)s")
        .replace("version_path_separator = os", "path_separator = space")
    )
    repo.commit_all("space separated")
    # Per folder, plugins/audit/versions alone had a parent "not found" (a false FAIL).
    code, out, _ = run(repo, capsys, "heads")
    assert code == 0, out
    assert out.splitlines()[0] == "Db: OK (exactly 1 head)"


def test_two_roots_in_two_folders_are_two_heads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "two_locations")
    repo.write("plugins/audit/versions/e0e0e0e0e0e0_detached.py", _revision("e0e0e0e0e0e0", None))
    repo.commit_all("a second root")
    assert _alembic_heads(repo.path, ini="alembic.ini", toml=None, section="alembic") == [
        "d6e7f8a9b0c1",
        "e0e0e0e0e0e0",
    ]
    code, out, _ = run(repo, capsys, "heads")
    assert code == 1
    assert out.splitlines()[:3] == [
        "Db: FAIL (2 heads)",
        "  head d6e7f8a9b0c1  plugins/audit/versions/d6e7f8a9b0c1_index_audit_log.py",
        "  head e0e0e0e0e0e0  plugins/audit/versions/e0e0e0e0e0e0_detached.py",
    ]


def test_a_fork_across_the_folders_of_one_chain_is_found_and_renumbered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "two_locations")
    for branch, path, rev in (
        ("pr-1", "db/versions", "e1e1e1e1e1e1"),
        ("pr-2", "plugins/audit/versions", "f1f1f1f1f1f1"),
    ):
        repo.git("checkout", "-q", "-b", branch, "main")
        repo.write(f"{path}/{rev}_add.py", _revision(rev, "d6e7f8a9b0c1"))
        repo.commit_all(f"{branch}: add {rev}", date=f"2026-06-05T10:0{branch[-1]}:00Z")
        repo.push(branch)
    # pr-2's migration goes in the plugin folder, pr-1's in db/versions: one graph, one fork.
    code, out, _ = run(repo, capsys, "check", "--provider", "git")
    assert code == 1
    assert out.splitlines()[2:9] == [
        "Found 1 new migration(s) in this PR:",
        "  [db] f1f1f1f1f1f1 — plugins/audit/versions/f1f1f1f1f1f1_add.py",
        "Found 1 migration file(s) across 1 other open PR(s).",
        "FORK [db] f1f1f1f1f1f1 — plugins/audit/versions/f1f1f1f1f1f1_add.py",
        "  also built on d6e7f8a9b0c1: branch origin/pr-1 (db/versions/e1e1e1e1e1e1_add.py)",
        "  branch origin/pr-1 added it first and keeps it: this PR must move",
        "  fix: once branch origin/pr-1 has merged: migration-guard renumber "
        "plugins/audit/versions/f1f1f1f1f1f1_add.py --to next (re-parents it on the new head)",
    ]
    # pr-1 merges; the fix re-parents pr-2's revision onto the head that only main has yet,
    # in the other folder (the merged view reads both folders).
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "pr-1")
    repo.push("main")
    repo.git("checkout", "-q", "pr-2")
    code, out, _ = run(
        repo,
        capsys,
        "renumber",
        "plugins/audit/versions/f1f1f1f1f1f1_add.py",
        "--to",
        "next",
        "--provider",
        "none",
    )
    assert code == 0, out
    assert "Db: OK (1 head: f1f1f1f1f1f1)" in out.splitlines()
    assert (repo.path / "plugins/audit/versions/f1f1f1f1f1f1_add.py").read_text() == (
        _revision("f1f1f1f1f1f1", "e1e1e1e1e1e1")
    )


# --- prefect: package-resource script_location, revisions per dialect ------------------------


def test_prefect_layout_says_what_to_configure_and_never_ok_on_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "prefect_like")
    note = (
        f"{PREFECT_VERSIONS} holds no revision scripts, but its subfolders do: postgresql "
        "(3 files), sqlite (2 files); Alembic reads subfolders only with "
        "recursive_version_locations = true, or when env.py sets version_locations itself "
        f"({PREFECT_DB}/alembic.ini); no chain read from it"
    )
    hint = (
        "add migration-guard.toml with one [[chains]] table per subfolder that is its own "
        f'graph (kind = "alembic", path = "{PREFECT_VERSIONS}/postgresql"), or '
        "recursive = true on a chain whose subfolders form one graph"
    )
    code, out, err = run(repo, capsys, "chains")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "No migration chains found (discovered).",
        "Not read as chains:",
        f"  {PREFECT_VERSIONS}: MG142 warning: {note}",
        f"      hint: {hint}",
        "Add migration-guard.toml with a [[chains]] table per chain (see docs/config.md), "
        "or an alembic.ini / sqitch.plan.",
    ]
    # It was "FAIL (0 heads)" with no word on why, and lint said "OK (0 migrations)".
    code, out, err = run(repo, capsys, "heads")
    assert (code, out) == (2, "")
    assert err == (
        "migration-guard heads: error: no Alembic or Django chains to check: "
        f"{note}\n  hint: {hint}\n"
    )
    code, out, err = run(repo, capsys, "lint")
    assert (code, out) == (2, "")
    assert err.startswith(f"migration-guard lint: error: no chains to lint: {note}\n")
    code, out, err = run(repo, capsys, "check", "--provider", "none")
    assert (code, out) == (2, "")
    assert err.startswith(
        f"migration-guard check: error: no migration chains to check (discovered): {note}\n"
    )


def test_prefect_layout_configured_per_dialect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "prefect_like")
    chains = "".join(
        f'[[chains]]\nname = "{d}"\nkind = "alembic"\npath = "{PREFECT_VERSIONS}/{d}"\n'
        f'alembic_config = "{PREFECT_DB}/alembic.ini"\n\n'
        for d in ("postgresql", "sqlite")
    )
    repo.write("migration-guard.toml", chains)
    code, out, err = run(repo, capsys, "heads")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Postgresql: OK (exactly 1 head)",
        f"  head 0e9f8d7c6b5a  {PREFECT_VERSIONS}/postgresql/"
        "2022_02_21_111050_0e9f8d7c6b5a_index_flow_runs.py",
        "Sqlite: OK (exactly 1 head)",
        f"  head 5e4d3c2b1a09  {PREFECT_VERSIONS}/sqlite/"
        "2021_05_18_093013_5e4d3c2b1a09_add_work_queues.py",
    ]
    code, out, _ = run(repo, capsys, "chains")
    assert [line.split()[3] for line in out.splitlines()[2:]] == ["date", "date"]

    # The two graphs read as one (recursive) really have two heads, as Alembic says.
    repo.write(
        "migration-guard.toml",
        f'[[chains]]\nname = "server"\nkind = "alembic"\npath = "{PREFECT_VERSIONS}"\n'
        "recursive = true\n",
    )
    code, out, _ = run(repo, capsys, "heads")
    assert code == 1
    assert out.splitlines()[0] == "Server: FAIL (2 heads)"

    # Configured flat on the empty folder: an error that says what to do, not an empty OK.
    repo.write(
        "migration-guard.toml",
        f'[[chains]]\nname = "server"\nkind = "alembic"\npath = "{PREFECT_VERSIONS}"\n',
    )
    code, out, _ = run(repo, capsys, "heads")
    assert code == 1
    assert out.splitlines()[:2] == [
        "Server: FAIL (0 heads)",
        f"  {PREFECT_VERSIONS}: MG142 {PREFECT_VERSIONS} holds no revision scripts, but its "
        "subfolders do: postgresql (3 files), sqlite (2 files); Alembic reads subfolders only "
        "with recursive_version_locations = true, or when env.py sets version_locations itself",
    ]


def test_package_resource_script_location_resolves_to_the_src_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "prefect_like")
    # Revisions directly in versions/: the ini's chain (it was skipped: "pkg:path").
    repo.write(f"{PREFECT_VERSIONS}/aaaa00000001_first.py", _revision("aaaa00000001", None))
    repo.commit_all("a flat revision")
    specs, notes = discover(WorkTree(repo.path))
    assert notes == ()
    assert [(s.name, s.path, s.alembic_config) for s in specs] == [
        ("src", PREFECT_VERSIONS, f"{PREFECT_DB}/alembic.ini")
    ]
    # A package that is not a folder of the repository is said, never skipped in silence.
    ini = repo.path / PREFECT_DB / "alembic.ini"
    ini.write_text(ini.read_text().replace("prefect:server", "prefect_core:server"))
    code, out, err = run(repo, capsys, "heads")
    assert code == 0, out
    assert err == (
        f"migration-guard heads: {PREFECT_DB}/alembic.ini: MG143 warning: "
        f"{PREFECT_DB}/alembic.ini: script_location 'prefect_core:server:database:_migrations': "
        "package 'prefect_core' is not a folder of the repository (looked for "
        f"{PREFECT_DB}/prefect_core, prefect_core, src/prefect_core); no chain read from it\n"
    )


# --- named sections of one ini ----------------------------------------------------------------


def test_named_sections_are_chains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path, "multi_section")
    specs, notes = discover(WorkTree(repo.path))
    assert notes == ()
    assert [(s.name, s.folders, s.alembic_config, s.alembic_section) for s in specs] == [
        ("control", ("control/revisions",), "alembic.ini", "control"),
        ("registry", ("registry/versions",), "alembic.ini", "registry"),
    ]
    # [control] keeps its revisions outside versions/: it was not found at all.
    code, out, err = run(repo, capsys, "heads")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Control: OK (exactly 1 head)",
        "  head ctl002  control/revisions/ctl002_create_leases.py",
        "Registry: OK (exactly 1 head)",
        "  head 0003  registry/versions/0003_create_manifests.py",
    ]
    for section, heads in (("control", ["ctl002"]), ("registry", ["0003"])):
        assert _alembic_heads(repo.path, ini="alembic.ini", toml=None, section=section) == heads
    repo.write("registry/versions/0004_add_x.py", _revision("0004", "0002"))
    code, out, _ = run(repo, capsys, "heads", "--registry-only")
    assert code == 1
    assert out.splitlines()[0] == "Registry: FAIL (2 heads)"


# --- pyproject.toml [tool.alembic], no alembic.ini ------------------------------------------


def test_pyproject_only_project_is_discovered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "pyproject_only")
    code, out, err = run(repo, capsys, "chains")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "1 chain (discovered):",
        "  NAME    KIND     PATH                 NUMBERING   MIGRATIONS  HIGHEST  HEAD(S)",
        "  ledger  alembic  ledger/db/revisions  sequential  3           0003     0003",
    ]
    assert _alembic_heads(repo.path, ini=None, toml="pyproject.toml", section="alembic") == ["0003"]
    # check found no chain here (it said OK on nothing before that); now it reads the chain
    # and finds the collision with the base.
    repo.git("checkout", "-q", "-b", "pr-1")
    repo.write("ledger/db/revisions/0003_add_audit.py", _revision("0003", "0002"))
    repo.commit_all("pr-1: a second 0003")
    code, out, _ = run(repo, capsys, "check", "--provider", "none")
    assert code == 1
    assert out.splitlines()[2:] == [
        "Found 1 new migration(s) in this PR:",
        "  [ledger] 0003 — ledger/db/revisions/0003_add_audit.py",
        "Found 0 migration file(s) across 0 other open PR(s).",
        "COLLISION [ledger] 0003 — ledger/db/revisions/0003_add_audit.py",
        "  also claimed by base branch (ledger/db/revisions/0003_create_balances.py)",
        "  the base branch has it already: this PR must move",
        "  next available number: 0004",
        "  fix: migration-guard renumber ledger/db/revisions/0003_add_audit.py --to 0004",
        "Found 1 migration-number collision(s). FAIL.",
    ]


def test_invalid_tool_alembic_is_exit_2_with_what_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "pyproject_only")
    toml = repo.path / "pyproject.toml"
    toml.write_text(toml.read_text() + 'recursive_version_locations = "yes"\n')
    code, out, err = run(repo, capsys, "heads")
    assert (code, out) == (2, "")
    assert err == (
        "migration-guard heads: error: no Alembic or Django chains to check: pyproject.toml: "
        "[tool.alembic] recursive_version_locations must be true or false; no chain read "
        "from it\n"
        '  hint: Alembic stops with "boolean value expected for TOML parameter"\n'
    )


# --- gate: the configuration Alembic itself uses ----------------------------------------------

SQLITE_LINE = (
    "Database: temporary SQLite (a new file per chain, deleted afterwards; use --temp-postgres "
    "or --database-url to run on PostgreSQL)"
)


def test_gate_runs_a_pyproject_only_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "pyproject_only")
    code, out, err = run(repo, capsys, "gate")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        SQLITE_LINE,
        "Ledger (alembic, sqlite): upgrade head OK · downgrade base OK · upgrade head OK "
        "(3 revisions)",
        "gate: 1 chain round-tripped. OK.",
    ]


def test_gate_runs_each_named_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path, "multi_section")
    code, out, err = run(repo, capsys, "gate", "--control-only")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        SQLITE_LINE,
        "Control (alembic, sqlite): upgrade head OK · downgrade base OK · upgrade head OK "
        "(2 revisions)",
        "gate: 1 chain round-tripped. OK.",
    ]
    # The section decides what runs: a broken downgrade in [registry] fails registry only.
    first = repo.path / "registry/versions/0001_create_images.py"
    first.write_text(first.read_text().replace('op.drop_table("images")', 'op.drop_table("x")'))
    code, out, _ = run(repo, capsys, "gate")
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("Control (alembic, sqlite): upgrade head OK · downgrade base OK")
    assert lines[2].startswith(
        "Registry (alembic, sqlite): upgrade head OK · downgrade base FAIL at 0001 "
        "(registry/versions/0001_create_images.py): "
    )
    assert lines[3] == "gate: 1 of 2 chains failed (registry). FAIL."


def test_gate_configuration_problems_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "multi_section")
    # A section the ini does not have: refused before any database starts.
    repo.write(
        "migration-guard.toml",
        '[[chains]]\nname = "control"\nkind = "alembic"\npath = "control/revisions"\n'
        'alembic_config = "alembic.ini"\nalembic_section = "controll"\n',
    )
    code, out, err = run(repo, capsys, "gate")
    assert (code, out) == (2, "")
    assert err == (
        "migration-guard gate: error: migration-guard.toml: chain 'control': alembic_section "
        "'controll' is not a section of alembic.ini\n"
        "  hint: its sections: registry, control, loggers, handlers, formatters, logger_root\n"
    )
    # A [tool.alembic] without script_location.
    repo = _repo(tmp_path / "second", "pyproject_only")
    repo.write(
        "migration-guard.toml",
        '[[chains]]\nname = "ledger"\nkind = "alembic"\npath = "ledger/db/revisions"\n'
        'alembic_config = "pyproject.toml"\n',
    )
    toml = repo.path / "pyproject.toml"
    toml.write_text(toml.read_text().replace('script_location = "%(here)s/ledger/db"\n', ""))
    code, out, err = run(repo, capsys, "gate")
    assert (code, out) == (2, "")
    assert err == (
        "migration-guard gate: error: chain 'ledger': pyproject.toml: no script_location\n"
        "  hint: Alembic stops with \"No 'script_location' key found in configuration.\"\n"
    )
    # What only Alembic can tell (a package-resource location whose package this Python
    # cannot import) is a configuration error too, not a failed chain.
    repo = _repo(tmp_path / "third", "prefect_like")
    repo.write(
        "migration-guard.toml",
        f'[[chains]]\nname = "sqlite"\nkind = "alembic"\npath = "{PREFECT_VERSIONS}/sqlite"\n'
        f'alembic_config = "{PREFECT_DB}/alembic.ini"\n',
    )
    code, out, err = run(repo, capsys, "gate")
    assert code == 2
    assert out.splitlines() == [SQLITE_LINE]
    assert err == (
        f"migration-guard gate: error: chain 'sqlite': Alembic cannot use {PREFECT_DB}/"
        "alembic.ini: ModuleNotFoundError: No module named 'prefect'\n"
        "  hint: a package-resource location (package:path) imports its package: install the "
        "project into this Python, or give the location as a folder\n"
    )


def test_gate_runs_the_revisions_env_py_chooses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """prefect's env.py sets version_locations per dialect: the gate runs (and counts) those,
    not the empty configured folder (it said OK with 0 revisions, having run none)."""
    repo = _repo(tmp_path, "prefect_like")
    repo.write(
        "migration-guard.toml",
        f'[[chains]]\nname = "sqlite"\nkind = "alembic"\npath = "{PREFECT_VERSIONS}/sqlite"\n'
        f'alembic_config = "{PREFECT_DB}/alembic.ini"\n',
    )
    # Importable (as an installed project would be): the package-resource location resolves.
    monkeypatch.setenv(
        "PYTHONPATH", f"{repo.path / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    code, out, err = run(repo, capsys, "gate")
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        "Sqlite (alembic, sqlite): upgrade head OK · downgrade base OK · upgrade head OK "
        "(2 revisions)"
    )
    code, out, err = run(repo, capsys, "gate", "--stairway")
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        "Sqlite (alembic, sqlite): stairway OK · upgrade head OK (2 revisions)"
    )
    # A failing revision among them is named, with its file.
    second = f"{PREFECT_VERSIONS}/sqlite/2021_05_18_093013_5e4d3c2b1a09_add_work_queues.py"
    path = repo.path / second
    path.write_text(path.read_text().replace('op.drop_table("sq_add_work_queues")', "1 / 0"))
    code, out, _ = run(repo, capsys, "gate")
    assert code == 1
    assert out.splitlines()[1] == (
        "Sqlite (alembic, sqlite): upgrade head OK · downgrade base FAIL at 5e4d3c2b1a09 "
        f"({second}): ZeroDivisionError: division by zero"
    )


def test_recover_repairs_a_merged_fork_across_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, "two_locations")
    for branch, path, rev in (
        ("pr-1", "db/versions", "e1e1e1e1e1e1"),
        ("pr-2", "plugins/audit/versions", "f1f1f1f1f1f1"),
    ):
        repo.git("checkout", "-q", "-b", branch, "main")
        repo.write(f"{path}/{rev}_add.py", _revision(rev, "d6e7f8a9b0c1"))
        repo.commit_all(f"{branch}: add {rev}")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pr-1", "pr-1")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pr-2", "pr-2")
    code, out, _ = run(repo, capsys, "recover")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "Db (alembic, db/versions, plugins/audit/versions): COLLISION (2 heads)"
    assert lines[4] == (
        "  repair: re-parent plugins/audit/versions/f1f1f1f1f1f1_add.py (name and id kept)"
    )
    code, out, _ = run(repo, capsys, "recover", "--apply")
    assert code == 0, out
    code, out, _ = run(repo, capsys, "heads")
    assert (code, out.splitlines()[0]) == (0, "Db: OK (exactly 1 head)")
