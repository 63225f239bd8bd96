"""The sqitch chain adapter: sqitch.conf, script folders, numbering conventions, trees.

Script layout is checked against the real ``sqitch show`` (sqitch must be installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard.chains import read_chain as read_any_chain
from migration_guard.chains.sqitch.conf import (
    ScriptLayout,
    SqitchConf,
    find_sqitch_conf,
    parse_sqitch_conf,
    read_sqitch_conf,
)
from migration_guard.chains.sqitch.reader import CODES, lint_plan, number_prefix, read_chain
from migration_guard.errors import InputError
from migration_guard.model import (
    ChainKind,
    ChainSpec,
    Finding,
    Head,
    Migration,
    NumberingMode,
    Severity,
)
from migration_guard.tree import GitTree, Tree, WorkTree

TS = "2026-06-17T00:00:00Z"
WHO = "raxx-dev-bot <ops@raxx.app>"
PROJECT = "queue/migrations/sqitch"
PLAN = f"{PROJECT}/db/sqitch.plan"
CONF = """\
# Queue project
[core]
\tengine = pg
\ttop_dir = db   ; scripts and plan live in db/
[engine "pg"]
\ttarget = prod
[target "prod"]
\turi = db:pg://ops@db.example.com/queue
[target "dev"]
\turi = db:sqlite:dev.db
"""
PLAN_TEXT = f"""\
%syntax-version=1.0.0
%project=queue

appschema {TS} {WHO}
01-functions {TS} {WHO}
@v1.0 {TS} {WHO}
02-users [01-functions] {TS} {WHO}
03-orders {TS} {WHO}
@v1.1 {TS} {WHO}
01-functions [01-functions@v1.0] {TS} {WHO} # reworked
04-reports/daily [02-users] {TS} {WHO}
"""
SCRIPTS: tuple[str, ...] = ("appschema", "01-functions@v1.1", "01-functions", "02-users")
SCRIPTS += ("03-orders", "04-reports/daily")


def spec(
    path: str = PLAN, *, width: int = 2, exempt: tuple[str, ...] = ("appschema",)
) -> ChainSpec:
    return ChainSpec("queue", "Queue", ChainKind.SQITCH, path, width, exempt=exempt)


def write(root: Path, rel: str, text: str) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode())


def write_project(root: Path, *, plan: str = PLAN_TEXT, scripts: Iterable[str] = SCRIPTS) -> None:
    write(root, f"{PROJECT}/sqitch.conf", CONF)
    write(root, PLAN, plan)
    for name in scripts:
        for kind in ("deploy", "revert", "verify"):
            rel = f"{PROJECT}/db/{kind}/{name}.sql"
            write(root, rel, rel + "\n")


def codes(findings: Iterable[Finding]) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in findings]


# ------------------------------------------------------------------------------ sqitch.conf


def test_parse_sqitch_conf() -> None:
    values = parse_sqitch_conf(
        '[Core]\n  Engine = pg # comment\n  top_dir = "my dir" ; comment\n'
        '[engine "PG"]\n\tclient = /usr/bin/psql\n'
        '[target "a \\"b\\""]\n uri = db:pg:\\\n//host/db\n'
        '[deploy.variables]\nschema = "x # not a comment"\nflag\n'
        "[core] extension = ddl\n"
        "[core]\n\tengine = sqlite\n"
    )
    assert values == {
        "core.engine": "sqlite",
        "core.top_dir": "my dir",
        "engine.PG.client": "/usr/bin/psql",
        'target.a "b".uri': "db:pg://host/db",
        "deploy.variables.schema": "x # not a comment",
        "deploy.variables.flag": "",
        "core.extension": "ddl",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("engine = pg\n", "sqitch.conf:1: key 'engine' outside of a section"),
        ("[core\nengine = pg\n", "sqitch.conf:1: invalid section header"),
        ('[core]\n\n x = "open\n', "sqitch.conf:3: unterminated quoted value"),
        ("[core]\n x = a\\q\n", "sqitch.conf:2: invalid escape \\q in value"),
        ("[core]\n x y\n", "sqitch.conf:2: expected '=' after key 'x'"),
        ("[core]\n = y\n", "sqitch.conf:2: unexpected character '='"),
    ],
)
def test_parse_sqitch_conf_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_sqitch_conf(text)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[core]\nengine = pg\n", ("db:pg:", "db:pg:", "pg")),
        ("[core]\nengine = postgres\n", ("db:pg:", "db:pg:", "pg")),
        ('[core]\nengine = pg\n[engine "pg"]\ntarget = db:pg:q\n', ("db:pg:q", "db:pg:q", "pg")),
        (
            '[core]\ntarget = prod\n[target "prod"]\nuri = db:postgresql://h/q\n',
            ("prod", "db:postgresql://h/q", "pg"),
        ),
        ("[core]\ntarget = db:sqlite3:x.db\n", ("db:sqlite3:x.db", "db:sqlite3:x.db", "sqlite")),
        ("[core]\n", (None, None, None)),
    ],
)
def test_default_target(text: str, expected: tuple[str | None, ...]) -> None:
    conf = SqitchConf("sqitch.conf", parse_sqitch_conf(text))
    assert conf.resolve_target() == expected


def test_targets_and_layout(tmp_path: Path) -> None:
    write_project(tmp_path)
    conf = read_sqitch_conf(WorkTree(tmp_path), PROJECT)
    assert conf is not None
    assert conf.path == f"{PROJECT}/sqitch.conf" and conf.folder == PROJECT
    assert conf.engine == "pg"
    assert conf.targets == {"prod": "db:pg://ops@db.example.com/queue", "dev": "db:sqlite:dev.db"}
    assert conf.engine_targets == {"pg": "prod"}
    top = f"{PROJECT}/db"
    assert conf.layout() == ScriptLayout(
        top_dir=top,
        plan_file=PLAN,
        deploy_dir=f"{top}/deploy",
        revert_dir=f"{top}/revert",
        verify_dir=f"{top}/verify",
        reworked_deploy_dir=f"{top}/deploy",
        reworked_revert_dir=f"{top}/revert",
        reworked_verify_dir=f"{top}/verify",
    )
    assert read_sqitch_conf(WorkTree(tmp_path), "queue") is None


def test_layout_precedence_target_engine_core() -> None:
    conf = SqitchConf(
        "p/sqitch.conf",
        parse_sqitch_conf(
            "[core]\nengine = pg\ntop_dir = top\ndeploy_dir = core-deploy\nextension = ddl\n"
            "reworked_dir = old\n"
            '[engine "pg"]\ntarget = prod\ndeploy_dir = engine-deploy\nrevert_dir = ../rev\n'
            '[target "prod"]\nuri = db:pg:\ndeploy_dir = ./target-deploy/\n'
            '[target "dev"]\nuri = db:sqlite:\nplan_file = plans/dev.plan\n'
        ),
    )
    layout = conf.layout()
    assert (layout.deploy_dir, layout.revert_dir, layout.verify_dir) == (
        "p/target-deploy",
        "rev",
        "p/top/verify",
    )
    assert (layout.reworked_deploy_dir, layout.extension, layout.plan_file) == (
        "p/old/deploy",
        "ddl",
        "p/top/sqitch.plan",
    )
    dev = conf.layout("dev")
    assert (dev.deploy_dir, dev.plan_file) == ("p/core-deploy", "p/plans/dev.plan")


@pytest.mark.parametrize("value", ["/abs/deploy", "../../outside"])
def test_layout_outside_the_repository(value: str) -> None:
    conf = SqitchConf("p/sqitch.conf", parse_sqitch_conf(f"[core]\ndeploy_dir = {value}\n"))
    with pytest.raises(InputError, match="outside the repository"):
        conf.layout()


def test_find_sqitch_conf(tmp_path: Path) -> None:
    write_project(tmp_path)
    tree = WorkTree(tmp_path)
    conf = find_sqitch_conf(tree, PLAN)
    assert conf is not None and conf.path == f"{PROJECT}/sqitch.conf"
    write(tmp_path, "other/sqitch.plan", "%project=o\n\n")
    assert find_sqitch_conf(tree, "other/sqitch.plan") is None
    write(tmp_path, "other/sqitch.conf", "[core]\nengine = pg\nplan_file = elsewhere.plan\n")
    beside = find_sqitch_conf(tree, "other/sqitch.plan")
    assert beside is not None and beside.path == "other/sqitch.conf"


# ------------------------------------------------------------------------------ read_chain


def test_read_chain_clean_project(tmp_path: Path) -> None:
    write_project(tmp_path)
    state = read_chain(WorkTree(tmp_path), spec())
    assert state.findings == ()
    assert state.ok
    names = ["appschema", "01-functions", "02-users", "03-orders", "04-reports/daily"]
    assert state.migrations == tuple(
        Migration("queue", n, t, name, PLAN, name, (previous,) if previous else ())
        for (n, t), name, previous in zip(
            [(None, ""), (1, "01"), (2, "02"), (3, "03"), (4, "04")],
            names,
            [None, *names[:-1]],
            strict=True,
        )
    )
    assert (state.numbering, state.width) == (NumberingMode.SEQUENTIAL, 2)
    assert state.heads == (Head("04-reports/daily", PLAN),)
    assert state.highest is not None and state.highest.number == 4
    assert read_any_chain(WorkTree(tmp_path), spec()) == state


def test_conventions(tmp_path: Path) -> None:
    plan = PLAN_TEXT + "".join(
        f"{name} {TS} {WHO}\n"
        for name in ("legacy", "04-dup-number", "00-out-of-order", "5-short", "005-padded")
    )
    write_project(tmp_path, plan=plan)
    state = read_chain(WorkTree(tmp_path), spec())
    conventions = [f for f in state.findings if f.code != "MG205"]
    assert [(f.code, f.line, f.message) for f in conventions] == [
        ("MG202", 12, 'change "legacy" has no number prefix'),
        (
            "MG203",
            13,
            'change "04-dup-number" has number 04, already used by "04-reports/daily" (line 11)',
        ),
        (
            "MG204",
            14,
            'change "00-out-of-order" (number 00) comes after "04-reports/daily" (line 11) '
            "but has a lower number",
        ),
        ("MG208", 15, 'change "5-short" has a 1-digit number; the chain uses 2 digits'),
        ("MG208", 16, 'change "005-padded" has a 3-digit number; the chain uses 2 digits'),
        ("MG203", 16, 'change "005-padded" has number 005, already used by "5-short" (line 15)'),
    ]
    assert conventions[0].hint is not None and "exempt" in conventions[0].hint
    assert all(f.path == PLAN for f in state.findings)
    # Numbers past the width are fine when they are not zero-padded.
    assert number_prefix("100-big") == "100" and number_prefix("big") is None


def test_scripts_missing_and_orphaned(tmp_path: Path) -> None:
    scripts = [s for s in SCRIPTS if s != "02-users"] + ["01-functions@v1.0", "09-gone"]
    write_project(tmp_path, scripts=scripts)
    (tmp_path / PROJECT / "db/verify/03-orders.sql").unlink()
    write(tmp_path, f"{PROJECT}/db/deploy/README.md", "not a script")
    write(tmp_path, f"{PROJECT}/db/deploy/2-users.sql", "renamed?")
    state = read_chain(WorkTree(tmp_path), spec())
    db = f"{PROJECT}/db"
    assert [(f.code, f.path, f.line, f.message) for f in state.findings] == [
        ("MG205", PLAN, 7, f'change "02-users" has no deploy script {db}/deploy/02-users.sql'),
        ("MG205", PLAN, 7, f'change "02-users" has no revert script {db}/revert/02-users.sql'),
        ("MG205", PLAN, 7, f'change "02-users" has no verify script {db}/verify/02-users.sql'),
        ("MG205", PLAN, 8, f'change "03-orders" has no verify script {db}/verify/03-orders.sql'),
    ] + [
        ("MG206", f"{db}/{kind}/{stem}.sql", None, f'script for "{stem}" has no plan entry')
        for kind, stem in [
            ("deploy", "01-functions@v1.0"),
            ("deploy", "09-gone"),
            ("deploy", "2-users"),
            ("revert", "01-functions@v1.0"),
            ("revert", "09-gone"),
            ("verify", "01-functions@v1.0"),
            ("verify", "09-gone"),
        ]
    ]
    # sqitch fails on a missing deploy or revert script; a missing verify script it skips.
    assert [f.severity.value for f in state.findings[:4]] == [
        "error",
        "error",
        "warning",
        "warning",
    ]
    assert state.findings[4].hint is not None and "name@TAG" in state.findings[4].hint
    assert state.findings[6].hint == 'renamed? the plan has "02-users"'


def test_reworked_scripts_may_use_any_rework_tag(tmp_path: Path) -> None:
    scripts = [s for s in SCRIPTS if s != "01-functions@v1.1"] + ["01-functions@v1.0"]
    write_project(tmp_path, scripts=scripts)
    assert read_chain(WorkTree(tmp_path), spec()).findings == ()


def test_renamed_script_hint(tmp_path: Path) -> None:
    write_project(tmp_path)
    plan = PLAN_TEXT.replace("03-orders", "05-orders")
    write(tmp_path, PLAN, plan)
    findings = read_chain(WorkTree(tmp_path), spec()).findings
    orphan = next(f for f in findings if f.code == "MG206")
    assert orphan.hint == 'renamed? the plan has "05-orders"'


def test_syntax_errors_become_findings(tmp_path: Path) -> None:
    write_project(tmp_path, plan=PLAN_TEXT + f"05-refunds [{TS}] {WHO}\n")
    state = read_chain(WorkTree(tmp_path), spec())
    (error,) = [f for f in state.findings if f.code == "MG201"]
    assert error.location == f"{PLAN}:12"
    assert error.message.startswith("Invalid name; names must not begin with punctuation")
    assert error.hint is not None and "brackets" in error.hint
    assert not state.ok


def test_crash_dependency_and_encoding_codes(tmp_path: Path) -> None:
    write(
        tmp_path, "a.plan", f"%project=q\n\n01-a {TS} {WHO}\n02-b [!] 2026-13-01T00:00:00Z {WHO}\n"
    )
    write(tmp_path, "b.plan", f"%project=q\n\n01-a [02-b] {TS} {WHO}\n02-b {TS} {WHO}\n")
    (tmp_path / "c.plan").write_bytes(b"%project=q\n\n# \xff\n")
    tree = WorkTree(tmp_path)
    a = lint_plan(tree, "a.plan", None, syntax_only=True)
    assert codes(a) == [("MG207", "a.plan", 4), ("MG207", "a.plan", 4)]
    b = lint_plan(tree, "b.plan", None, syntax_only=True)
    assert codes(b) == [("MG209", "b.plan", 3)]
    assert b[0].hint == 'move "01-a" down 1 line in b.plan'
    c = lint_plan(tree, "c.plan", None, syntax_only=True)
    assert codes(c) == [("MG210", "c.plan", 3)]
    assert c[0].message == "Can't decode ill-formed UTF-8 octet sequence <FF>"


def test_lint_plan_without_a_chain_infers_the_width(tmp_path: Path) -> None:
    plan = "%project=q\n\n" + "".join(
        f"{name} {TS} {WHO}\n" for name in ("0001-a", "0002-b", "03-c", "legacy")
    )
    write(tmp_path, "db/sqitch.plan", plan)
    tree = WorkTree(tmp_path)
    full = lint_plan(tree, "db/sqitch.plan", None, syntax_only=False)
    assert [(f.code, f.line) for f in full if f.code != "MG205"] == [("MG208", 5), ("MG202", 6)]
    # No verify folder: the project has no verify scripts, so only deploy and revert are due.
    assert len([f for f in full if f.code == "MG205"]) == 8
    assert lint_plan(tree, "db/sqitch.plan", None, syntax_only=True) == []
    configured = lint_plan(
        tree, "db/sqitch.plan", spec("db/sqitch.plan", width=2), syntax_only=False
    )
    assert [(f.code, f.line) for f in configured if f.code != "MG205"] == [
        ("MG208", 3),
        ("MG208", 4),
        ("MG202", 6),
    ]


def test_default_layout_without_sqitch_conf(tmp_path: Path) -> None:
    write(tmp_path, "db/sqitch.plan", f"%project=q\n\n01-a {TS} {WHO}\n")
    for kind in ("deploy", "revert", "verify"):
        write(tmp_path, f"db/{kind}/01-a.sql", "")
    assert lint_plan(WorkTree(tmp_path), "db/sqitch.plan", None, syntax_only=False) == []


def test_broken_sqitch_conf_is_a_finding(tmp_path: Path) -> None:
    write_project(tmp_path)
    write(tmp_path, f"{PROJECT}/db/sqitch.conf", "[core\n")
    state = read_chain(WorkTree(tmp_path), spec())
    assert [(f.code, f.message) for f in state.findings] == [
        ("MG211", f"{PROJECT}/db/sqitch.conf:1: invalid section header")
    ]


def test_missing_plan(tmp_path: Path) -> None:
    """A revision without the plan (older than the chain) reads as an empty chain, with a
    warning; linting a plan file that is not there is an input error."""
    state = read_chain(WorkTree(tmp_path), spec())
    assert state.migrations == () and state.heads == () and state.ok
    (warning,) = state.findings
    assert (warning.code, warning.severity, warning.path, warning.message) == (
        "MG212",
        Severity.WARNING,
        PLAN,
        f"sqitch plan {PLAN} does not exist in the working tree; read as an empty chain",
    )
    with pytest.raises(InputError, match="does not exist"):
        lint_plan(WorkTree(tmp_path), PLAN, None, syntax_only=False)
    (tmp_path / PLAN).mkdir(parents=True)
    with pytest.raises(InputError, match="does not exist"):
        read_chain(WorkTree(tmp_path), spec())


def test_codes_catalogue() -> None:
    assert all(code.startswith("MG2") and 201 <= int(code[2:]) <= 249 for code in CODES)
    assert all(CODES.values())


# ------------------------------------------------------------------------------ git trees


def test_git_tree_reads_the_same_as_the_work_tree(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path)
    write_project(repo.path, plan=PLAN_TEXT.replace("\n", "\r\n") + f"legacy {TS} {WHO}\r\n")
    (repo.path / PROJECT / "db/deploy/02-users.sql").unlink()
    write(repo.path, f"{PROJECT}/db/revert/07-orphan.sql", "")
    write(repo.path, ".gitattributes", "* -text\n")
    repo.commit_all("queue chain")
    work = read_chain(WorkTree(repo.path), spec())
    head = read_chain(GitTree(repo.path, "HEAD"), spec())
    assert head == work
    assert codes(head.findings) == [
        ("MG202", PLAN, 12),
        ("MG205", PLAN, 7),
        ("MG205", PLAN, 12),
        ("MG205", PLAN, 12),
        ("MG205", PLAN, 12),
        ("MG206", f"{PROJECT}/db/revert/07-orphan.sql", None),
    ]
    write(repo.path, PLAN, PLAN_TEXT + f"05-new {TS} {WHO}\n")
    repo.commit_all("one more")
    newest = read_chain(GitTree(repo.path, "HEAD"), spec()).highest
    assert newest is not None and newest.name == "05-new"
    assert read_chain(GitTree(repo.path, "HEAD~1"), spec()) == work


# ------------------------------------------------------------------------------ real sqitch


def _sqitch_show(project: Path, kind: str, change: str) -> str:
    sqitch = shutil.which("sqitch")
    assert sqitch is not None, "sqitch must be installed"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(project),
        "SQITCH_USER_CONFIG": str(project / "no-user.conf"),
        "SQITCH_SYSTEM_CONFIG": str(project / "no-system.conf"),
        "SQITCH_FULLNAME": "Test",
        "SQITCH_EMAIL": "test@example.invalid",
        "LC_ALL": "C.UTF-8",
    }
    proc = subprocess.run(
        [sqitch, "show", kind, change],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.sqitch
def test_script_paths_match_sqitch_show(tmp_path: Path) -> None:
    """Every script we expect is the file sqitch itself opens for that change."""
    conf = CONF + "[core]\n\treworked_dir = old\n" + '[engine "pg"]\n\textension = ddl\n'
    write_project(tmp_path, scripts=())
    write(tmp_path, f"{PROJECT}/sqitch.conf", conf)
    (tmp_path / PROJECT / "db/verify").mkdir(parents=True)  # the project verifies its changes
    tree: Tree = WorkTree(tmp_path)
    layout = find_sqitch_conf(tree, PLAN)
    assert layout is not None
    findings = read_chain(tree, spec()).findings
    missing = [f.message.rsplit(" ", 1)[1] for f in findings if f.code == "MG205"]
    assert len(missing) == 18
    for path in missing:
        write(tmp_path, path, path)
    assert read_chain(WorkTree(tmp_path), spec()).findings == ()
    instances = ["appschema", "01-functions@v1.0", "01-functions@HEAD", "02-users", "03-orders"]
    instances += ["04-reports/daily"]
    jobs = [(kind, name) for name in instances for kind in ("deploy", "revert", "verify")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        shown = list(pool.map(lambda job: _sqitch_show(tmp_path / PROJECT, *job), jobs))
    assert sorted(shown) == sorted(missing)
    assert f"{PROJECT}/old/deploy/01-functions@v1.1.ddl" in shown


def test_missing_reworked_script_names_the_tags(tmp_path: Path) -> None:
    write_project(tmp_path, scripts=[s for s in SCRIPTS if s != "01-functions@v1.1"])
    findings = read_chain(WorkTree(tmp_path), spec()).findings
    assert [(f.code, f.line) for f in findings] == [("MG205", 5)] * 3
    assert findings[0].message.endswith("/db/deploy/01-functions@v1.1.sql")
    assert findings[0].hint is not None and "01-functions@TAG.sql" in findings[0].hint
    assert "v1.1, v1.0" in findings[0].hint
