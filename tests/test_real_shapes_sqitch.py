"""Layouts of real sqitch projects (tests/data/sqitch_shapes: reconstructions, see each README).

``chains``, ``lint`` and ``check --provider none`` run as a user would on a copy of each, with
exact output; then the real sqitch 1.3.1 reads every one of them in one batch and must agree:
it accepts each plan, the scripts it bundles are exactly the scripts we attribute to a plan
(the others are our MG206), and each target's plan file and folders are ours.

sqitch must be installed: without it these tests fail, they do not skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from testing.cli import run
from testing.gitrepo import GitRepo
from testing.sqitch_projects import sqitch_env

from migration_guard.chains import read_chain
from migration_guard.chains.sqitch.conf import ScriptLayout, TargetLayout, read_sqitch_conf
from migration_guard.config import discover_chains
from migration_guard.tree import WorkTree

SHAPES = Path(__file__).parent / "data" / "sqitch_shapes"
NAMES = sorted(p.name for p in SHAPES.iterdir() if p.is_dir())
WHO = "Pat Planner <pat@example.org>"

# name: (chains output, lint output); lint's exit code is 0 for all of them.
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "date_prefixed": (
        [
            "1 chain (discovered):",
            "  NAME  KIND    PATH                       NUMBERING  MIGRATIONS  HIGHEST  HEAD(S)",
            "  db    sqitch  db/migrations/sqitch.plan  date       5           -        "
            "20200715144826-multi-links",
        ],
        ["Db (sqitch, db/migrations/sqitch.plan): OK (5 changes)"],
    ),
    "engine_top_dirs": (
        [
            "2 chains (discovered):",
            "  NAME           KIND    PATH                       NUMBERING  MIGRATIONS  HIGHEST  "
            "HEAD(S)",
            "  sqitch-pg      sqitch  sqitch/pg/sqitch.plan      none       4           -        "
            "session-created-at",
            "  sqitch-sqlite  sqitch  sqitch/sqlite/sqitch.plan  none       1           -        "
            "sessions",
        ],
        [
            "Sqitch Pg (sqitch, sqitch/pg/sqitch.plan): OK (4 changes)",
            "Sqitch Sqlite (sqitch, sqitch/sqlite/sqitch.plan): OK (1 change)",
        ],
    ),
    "nested_names_reworked": (
        [
            "2 chains (discovered):",
            "  NAME          KIND    PATH                      NUMBERING  MIGRATIONS  HIGHEST  "
            "HEAD(S)",
            "  mocks_schema  sqitch  mocks_schema/sqitch.plan  none       2           -        "
            "functions/now",
            "  schema        sqitch  schema/sqitch.plan        none       5           -        "
            "mutations/create_project",
        ],
        [
            "Mocks Schema (sqitch, mocks_schema/sqitch.plan): OK (2 changes)",
            "Schema (sqitch, schema/sqitch.plan): OK (5 changes)",
        ],
    ),
    "nested_projects": (
        [
            "2 chains (discovered):",
            "  NAME             KIND    PATH                         NUMBERING  MIGRATIONS  "
            "HIGHEST  HEAD(S)",
            "  schema           sqitch  schema/sqitch.plan           none       3           "
            "-        node_policy",
            "  schema-baseline  sqitch  schema/baseline/sqitch.plan  none       4           "
            "-        cookbooks",
        ],
        [
            "Schema (sqitch, schema/sqitch.plan): OK (3 changes)",
            "Schema Baseline (sqitch, schema/baseline/sqitch.plan): OK (4 changes)",
        ],
    ),
    # Was: FAIL, MG205 for each change's verify script; the project has no verify folder.
    "no_verify_folder": (
        [
            "1 chain (discovered):",
            "  NAME  KIND    PATH                              NUMBERING  MIGRATIONS  HIGHEST  "
            "HEAD(S)",
            "  src   sqitch  src/bookshelf/schema/sqitch.plan  none       2           -        "
            "safe_delete",
        ],
        ["Src (sqitch, src/bookshelf/schema/sqitch.plan): OK (2 changes)"],
    ),
    # Was: one chain, FAIL with MG206 for the second target's scripts.
    "second_target_plan": (
        [
            "2 chains (discovered):",
            "  NAME                KIND    PATH                     NUMBERING  MIGRATIONS  "
            "HIGHEST  HEAD(S)",
            "  sqitch              sqitch  sqitch/sqitch.plan       none       5           "
            "-        token_transfer_keys",
            "  sqitch-sqitch-data  sqitch  sqitch/sqitch-data.plan  none       1           "
            "-        snapshot",
        ],
        [
            "Sqitch (sqitch, sqitch/sqitch.plan): OK (5 changes)",
            "Sqitch Sqitch Data (sqitch, sqitch/sqitch-data.plan): OK (1 change)",
        ],
    ),
    # Was: FAIL, MG205 for the one missing verify script.
    "verify_sometimes_missing": (
        [
            "1 chain (discovered):",
            "  NAME    KIND    PATH                NUMBERING  MIGRATIONS  HIGHEST  HEAD(S)",
            "  schema  sqitch  schema/sqitch.plan  none       5           -        "
            "function-get_player_symbol",
        ],
        [
            "Schema (sqitch, schema/sqitch.plan): OK (5 changes, 1 warning)",
            '  schema/sqitch.plan:9: MG205 warning: change "function-get_player_symbol" has no '
            "verify script schema/verify/function-get_player_symbol.sql",
            "      hint: sqitch deploys it without verifying (it only warns); sqitch add creates "
            "the deploy, revert and verify scripts",
        ],
    ),
}


def copy_shape(name: str, dest: Path) -> Path:
    """A copy of the fixture without its README (the project as its owners have it)."""
    shutil.copytree(SHAPES / name, dest, ignore=shutil.ignore_patterns("README.md"))
    return dest


def test_every_shape_has_expectations_and_a_note() -> None:
    assert sorted(EXPECTED) == NAMES
    for name in NAMES:
        note = (SHAPES / name / "README.md").read_text()
        assert "Reconstruction of the layout; no code copied." in note
        assert re.search(r"Reproduces the layout of the sqitch project in `[\w.-]+/[\w.-]+", note)


@pytest.mark.parametrize("name", NAMES)
def test_chains_and_lint(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_shape(name, tmp_path / name)
    chains, lint = EXPECTED[name]
    code, out, err = run(project, capsys, "chains")
    assert (code, out.splitlines(), err) == (0, chains, "")
    code, out, err = run(project, capsys, "lint")
    chain_count = len(chains) - 2
    verdict = f"lint: {chain_count} chain{'s' if chain_count > 1 else ''} checked. OK."
    assert (code, out.splitlines(), err) == (0, [*lint, verdict], "")


@pytest.mark.parametrize("name", NAMES)
def test_syntax_only_lint_accepts_every_plan(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_shape(name, tmp_path / name)
    code, out, _ = run(project, capsys, "lint", "--syntax-only")
    assert code == 0, out


def _commit_shape(name: str, tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    shutil.copytree(
        SHAPES / name, repo.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md")
    )
    repo.commit_all("main")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def _add_change(repo: GitRepo, plan: str, folder: str, line: str, name: str) -> None:
    with (repo.path / plan).open("a") as handle:
        handle.write(line + "\n")
    for kind in ("deploy", "revert", "verify"):
        repo.write(f"{folder}/{kind}/{name}.sql", f"-- {kind} {name}\n")
    repo.commit_all(f"add {name}")


def test_check_sees_a_change_added_to_the_second_targets_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: 0 new migrations (the plan was no chain), its scripts MG206 in the first plan."""
    repo = _commit_shape("second_target_plan", tmp_path)
    line = f"refresh_snapshot [snapshot] 2023-05-01T10:00:00Z {WHO} # Refresh the snapshot"
    _add_change(repo, "sqitch/sqitch-data.plan", "sqitch", line, "refresh_snapshot")
    code, out, err = run(repo, capsys, "check", "--provider", "none", "--base-sha", "main")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "migration-guard check: base='main' pr=0",
        "Open changes from: none (--provider none: base branch only)",
        "Found 1 new migration(s) in this PR:",
        "  [sqitch-sqitch-data] refresh_snapshot — sqitch/sqitch-data.plan: refresh_snapshot",
        "Found 0 migration file(s) across 0 other open PR(s).",
        "No migration-number collisions detected. OK.",
    ]
    code, out, _ = run(repo, capsys, "lint")
    assert code == 0, out


def test_check_on_the_change_that_adds_the_second_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: exit 2, "sqitch plan sqitch/sqitch-data.plan does not exist in the revision main":
    the base has no second plan yet, which is an empty chain, not an input error."""
    repo = GitRepo.create(tmp_path)
    shape = SHAPES / "second_target_plan"
    shutil.copytree(
        shape,
        repo.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("README.md", "sqitch-data.plan", "snapshot.sql"),
    )
    conf = repo.path / "sqitch/sqitch.conf"
    conf.write_text(conf.read_text().split('[target "sqitch-data"]')[0])
    repo.commit_all("main")
    repo.git("checkout", "-q", "-b", "feature")
    shutil.copytree(shape / "sqitch", repo.path / "sqitch", dirs_exist_ok=True)
    repo.commit_all("add the sqitch-data target")
    code, out, err = run(repo, capsys, "check", "--provider", "none", "--base-sha", "main")
    assert (code, err) == (0, "")
    assert out.splitlines()[2:4] == [
        "Found 1 new migration(s) in this PR:",
        "  [sqitch-sqitch-data] snapshot — sqitch/sqitch-data.plan: snapshot",
    ]
    assert out.splitlines()[-1] == "No migration-number collisions detected. OK."


def test_check_on_a_date_prefixed_plan_claims_no_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _commit_shape("date_prefixed", tmp_path)
    name = "20210301120000-search-index"
    line = f"{name} 2021-03-01T12:00:00Z {WHO} # search index"
    _add_change(repo, "db/migrations/sqitch.plan", "db/migrations", line, name)
    code, out, err = run(repo, capsys, "check", "--provider", "none", "--base-sha", "main")
    assert (code, err) == (0, "")
    assert out.splitlines()[2:4] == [
        "Found 1 new migration(s) in this PR:",
        f"  [db] {name} — db/migrations/sqitch.plan: {name}",
    ]
    assert out.splitlines()[-1] == "No migration-number collisions detected. OK."


# ------------------------------------------------------------------------------ real sqitch


@dataclass(frozen=True)
class SqitchView:
    """What the real sqitch says about one project (a folder with a sqitch.conf)."""

    bundle_rc: int
    bundle_err: str
    used: frozenset[str]  # scripts `sqitch bundle --all` copies, relative to the project
    shown: dict[str, dict[str, str]]  # 'target "x"' / 'engine "e"' -> fields of `show`


def _projects() -> list[tuple[str, str]]:
    """(shape, project folder relative to the shape) for every sqitch.conf in the fixtures."""
    return sorted(
        (name, conf.parent.relative_to(SHAPES / name).as_posix())
        for name in NAMES
        for conf in (SHAPES / name).rglob("sqitch.conf")
    )


def _sqitch(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    sqitch = shutil.which("sqitch")
    assert sqitch is not None, "sqitch is not installed (apt-get install sqitch)"
    return subprocess.run(
        [sqitch, *args],
        cwd=cwd,
        env=sqitch_env(home, cwd / "sqitch.conf"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_SHOW_FIELDS = {
    "Top Directory": "top_dir",
    "Plan File": "plan_file",
    "Extension": "extension",
}
_DIR_FIELDS = ("Deploy", "Revert", "Verify")


def _parse_show(text: str, label: str) -> dict[str, dict[str, str]]:
    """`sqitch target show` / `engine show` blocks as {label "name": {field: value}}."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    reworked = False
    for line in text.splitlines():
        if line.startswith("* "):
            current = out.setdefault(f'{label} "{line[2:].strip()}"', {})
            reworked = False
            continue
        key, _, value = line.strip().partition(":")
        if key == "Reworked Script Directories":
            reworked = True
        elif key in _SHOW_FIELDS:
            current[_SHOW_FIELDS[key]] = value.strip()
        elif key in _DIR_FIELDS:
            prefix = "reworked_" if reworked else ""
            current[f"{prefix}{key.lower()}_dir"] = value.strip()
    return out


def _view(shape: str, folder: str, tmp: Path) -> SqitchView:
    project = SHAPES / shape / folder
    conf = read_sqitch_conf(WorkTree(project), "")
    assert conf is not None
    home = tmp / "home"
    home.mkdir(parents=True)
    bundle = _sqitch(["bundle", "--all", "--dest-dir", str(tmp / "bundle")], project, home)
    used = frozenset(
        p.relative_to(tmp / "bundle").as_posix()
        for p in (tmp / "bundle").rglob("*")
        if p.is_file() and p.name != "sqitch.conf" and p.suffix == ".sql"
    )
    shown: dict[str, dict[str, str]] = {}
    targets = conf.subsections("target")
    if targets:
        proc = _sqitch(["target", "show", *targets], project, home)
        assert proc.returncode == 0, proc.stderr
        shown.update(_parse_show(proc.stdout, "target"))
    engines = conf.subsections("engine")
    if engines:
        proc = _sqitch(["engine", "show", *engines], project, home)
        assert proc.returncode == 0, proc.stderr
        shown.update(_parse_show(proc.stdout, "engine"))
    return SqitchView(bundle.returncode, bundle.stderr, used, shown)


@pytest.fixture(scope="module")
def sqitch_views(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SqitchView]]:
    projects = _projects()
    tmps = [tmp_path_factory.mktemp("sqitch-view") for _ in projects]
    with ThreadPoolExecutor(max_workers=4) as pool:
        views = pool.map(
            lambda job: _view(job[0][0], job[0][1], job[1]), zip(projects, tmps, strict=True)
        )
        yield {f"{s}/{f}": v for (s, f), v in zip(projects, views, strict=True)}


def _layouts(shape: str, folder: str) -> list[TargetLayout]:
    conf = read_sqitch_conf(WorkTree(SHAPES / shape / folder), "")
    assert conf is not None
    entries = conf.target_layouts()
    assert all(isinstance(e, TargetLayout) for e in entries)
    return [e for e in entries if isinstance(e, TargetLayout)]


def test_the_fixtures_have_varied_projects() -> None:
    projects = _projects()
    assert len(projects) >= 9
    labels = {t.target.split(" ")[0] for s, f in projects for t in _layouts(s, f)}
    assert labels == {"the", "target", "engine"}  # default, named targets, engine sections


@pytest.mark.parametrize(("shape", "folder"), _projects())
def test_sqitch_uses_exactly_the_scripts_we_attribute(
    shape: str, folder: str, sqitch_views: dict[str, SqitchView]
) -> None:
    """sqitch bundles every plan of the project (so it accepts them all) and every script a
    plan names; no other script in the script folders is used: those, and only those, are
    our MG206, and no change of ours misses a script sqitch found."""
    view = sqitch_views[f"{shape}/{folder}"]
    assert view.bundle_rc == 0, view.bundle_err
    assert view.used
    project = SHAPES / shape / folder
    tree = WorkTree(project)
    layouts = [t.layout for t in _layouts(shape, folder)]
    folders = {
        layout.dir_for(kind, reworked=reworked)
        for layout in layouts
        for kind in ("deploy", "revert", "verify")
        for reworked in (False, True)
    }
    present = {
        p.relative_to(project).as_posix()
        for f in folders
        if (project / f).is_dir() and (project / f) != project
        for p in (project / f).rglob("*.sql")
    }
    orphans: set[str] = set()
    missing: set[str] = set()
    for spec in discover_chains(tree):
        state = read_chain(tree, spec)
        orphans |= {f.path or "" for f in state.findings if f.code == "MG206"}
        missing |= {f.message.rsplit(" ", 1)[1] for f in state.findings if f.code == "MG205"}
    assert orphans == present - view.used
    assert not missing & view.used


@pytest.mark.parametrize(("shape", "folder"), _projects())
def test_target_layouts_match_sqitch_show(
    shape: str, folder: str, sqitch_views: dict[str, SqitchView]
) -> None:
    """Each named target (`sqitch target show`) and engine (`sqitch engine show`) has the plan
    file, top folder, script folders and extension sqitch reports."""
    view = sqitch_views[f"{shape}/{folder}"]
    ours = {t.target: t.layout for t in _layouts(shape, folder)}
    for label, fields in view.shown.items():
        assert label in ours, (label, sorted(ours))
        layout: ScriptLayout = ours[label]
        mine = {key: getattr(layout, key) or "." for key in fields}
        assert mine == fields, label
