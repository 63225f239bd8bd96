"""One sqitch project, several plans: every target of sqitch.conf, and scripts shared by plans.

A sqitch.conf can give a named target its own ``plan_file`` (its scripts often in the same
folders as the main plan's), or each engine its own ``top_dir``. Each plan is a chain; a script
belongs to the plan(s) that name it; discovery finds plans that only sqitch.conf names; and
``check`` does not guess a chain from a script folder that several plans share.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.cli import run
from testing.gitrepo import GitRepo

from migration_guard.chains.sqitch.conf import (
    ScriptLayout,
    SqitchConf,
    TargetLayout,
    find_sqitch_conf,
    parse_sqitch_conf,
)
from migration_guard.chains.sqitch.reader import chain_layout, read_chain
from migration_guard.config import discover_chains
from migration_guard.errors import InputError
from migration_guard.model import ChainKind, ChainSpec, Severity
from migration_guard.paths import rules_for
from migration_guard.tree import WorkTree

WHO = "2024-01-01T00:00:00Z Pat <pat@example.org>"
CONF = """\
[core]
\tengine = pg
[engine "sqlite"]
\ttop_dir = lite
[target "data"]
\turi = db:pg:data
\tplan_file = data.plan
[target "broken"]
\turi = db:pg:broken
\tdeploy_dir = /srv/deploy
"""


def write(root: Path, rel: str, text: str = "") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def plan(*names: str) -> str:
    return "%project=app\n\n" + "".join(f"{name} {WHO}\n" for name in names)


def scripts(
    root: Path, folder: str, *names: str, kinds: tuple[str, ...] = ("deploy", "revert", "verify")
) -> None:
    for name in names:
        for kind in kinds:
            write(root, f"{folder}/{kind}/{name}.sql", f"-- {kind} {name}\n")


def spec(path: str, name: str = "app") -> ChainSpec:
    return ChainSpec(name, name.title(), ChainKind.SQITCH, path)


def shared_project(root: Path) -> None:
    """db/sqitch.plan and the data target's db/data.plan, one set of script folders."""
    write(root, "db/sqitch.conf", CONF)
    write(root, "db/sqitch.plan", plan("schema", "users"))
    write(root, "db/data.plan", plan("seed"))
    scripts(root, "db", "schema", "users", "seed")


# ------------------------------------------------------------------------------ layouts


def test_target_layouts_default_engines_and_named_targets() -> None:
    conf = SqitchConf("db/sqitch.conf", parse_sqitch_conf(CONF))
    entries = conf.target_layouts()
    labels = [e.target if isinstance(e, TargetLayout) else "error" for e in entries]
    assert labels == ["the default target", 'engine "sqlite"', 'target "data"', "error"]
    layouts = [e.layout for e in entries if isinstance(e, TargetLayout)]
    assert [(lay.plan_file, lay.deploy_dir) for lay in layouts] == [
        ("db/sqitch.plan", "db/deploy"),
        ("db/lite/sqitch.plan", "db/lite/deploy"),
        ("db/data.plan", "db/deploy"),
    ]
    error = entries[-1]
    assert isinstance(error, InputError)
    assert error.message == "db/sqitch.conf: deploy_dir = /srv/deploy is outside the repository"
    assert conf.subsections("target") == ["data", "broken"]
    assert conf.plan_layout("db/data.plan") == layouts[2]
    assert conf.plan_layout("db/other.plan") is None


def test_find_sqitch_conf_by_a_target_plan(tmp_path: Path) -> None:
    """The sqlite engine's plan is db/lite/sqitch.plan: its sqitch.conf is in the parent."""
    write(tmp_path, "db/sqitch.conf", CONF)
    write(tmp_path, "db/lite/sqitch.plan", plan("schema"))
    tree = WorkTree(tmp_path)
    conf = find_sqitch_conf(tree, "db/lite/sqitch.plan")
    assert conf is not None and conf.path == "db/sqitch.conf"
    _, layout = chain_layout(tree, spec("db/lite/sqitch.plan"))
    assert layout == ScriptLayout(
        top_dir="db/lite",
        plan_file="db/lite/sqitch.plan",
        deploy_dir="db/lite/deploy",
        revert_dir="db/lite/revert",
        verify_dir="db/lite/verify",
        reworked_deploy_dir="db/lite/deploy",
        reworked_revert_dir="db/lite/revert",
        reworked_verify_dir="db/lite/verify",
    )


# ------------------------------------------------------------------------------ scripts


def test_a_script_another_plan_names_is_not_an_orphan(tmp_path: Path) -> None:
    """Was: MG206 for every script of the data target's plan, in db/sqitch.plan."""
    shared_project(tmp_path)
    tree = WorkTree(tmp_path)
    assert read_chain(tree, spec("db/sqitch.plan")).findings == ()
    assert read_chain(tree, spec("db/data.plan", "data")).findings == ()
    # A script that no plan of the project names is still an orphan: a finding of the plan of
    # the first target (the default) that uses the folder, not once per plan.
    scripts(tmp_path, "db", "gone", kinds=("deploy",))
    (orphan,) = read_chain(tree, spec("db/sqitch.plan")).findings
    assert (orphan.code, orphan.path, orphan.message, orphan.hint) == (
        "MG206",
        "db/deploy/gone.sql",
        'script for "gone" has no plan entry',
        "add the change to sqitch.plan, or delete the script",
    )
    assert read_chain(tree, spec("db/data.plan", "data")).findings == ()
    # Without the default target's plan, the data plan is the one to report it.
    (tmp_path / "db/sqitch.plan").unlink()
    findings = read_chain(tree, spec("db/data.plan", "data")).findings
    assert {(f.code, f.path) for f in findings} == {
        ("MG206", f"db/{kind}/{name}.sql")
        for kind in ("deploy", "revert", "verify")
        for name in ("schema", "users")
    } | {("MG206", "db/deploy/gone.sql")}
    assert findings[0].hint == "add the change to data.plan, or delete the script"


def test_another_plans_missing_script_is_its_own_finding(tmp_path: Path) -> None:
    shared_project(tmp_path)
    (tmp_path / "db/revert/seed.sql").unlink()
    tree = WorkTree(tmp_path)
    assert read_chain(tree, spec("db/sqitch.plan")).findings == ()
    (missing,) = read_chain(tree, spec("db/data.plan", "data")).findings
    assert (missing.code, missing.path, missing.line, missing.message) == (
        "MG205",
        "db/data.plan",
        3,
        'change "seed" has no revert script db/revert/seed.sql',
    )
    assert missing.severity is Severity.ERROR


def test_a_missing_verify_script_is_a_warning(tmp_path: Path) -> None:
    """sqitch deploys a change without a verify script and only warns (Engine::verify_change);
    a project without any verify folder has no verify scripts to miss."""
    write(tmp_path, "db/sqitch.plan", plan("schema", "users"))
    scripts(tmp_path, "db", "schema", "users", kinds=("deploy", "revert"))
    tree = WorkTree(tmp_path)
    state = read_chain(tree, spec("db/sqitch.plan"))
    assert state.findings == () and state.ok
    scripts(tmp_path, "db", "schema", kinds=("verify",))
    state = read_chain(tree, spec("db/sqitch.plan"))
    (warning,) = state.findings
    assert (warning.code, warning.severity, warning.line, warning.message) == (
        "MG205",
        Severity.WARNING,
        4,
        'change "users" has no verify script db/verify/users.sql',
    )
    assert warning.hint == (
        "sqitch deploys it without verifying (it only warns); "
        "sqitch add creates the deploy, revert and verify scripts"
    )
    assert state.ok
    (tmp_path / "db/revert/users.sql").unlink()
    errors = [
        f for f in read_chain(tree, spec("db/sqitch.plan")).findings if f.severity is Severity.ERROR
    ]
    assert [f.message for f in errors] == [
        'change "users" has no revert script db/revert/users.sql'
    ]


# ------------------------------------------------------------------------------ discovery


def test_discovery_finds_plans_that_sqitch_conf_names(tmp_path: Path) -> None:
    shared_project(tmp_path)
    write(tmp_path, "db/lite/sqitch.plan", plan("schema"))  # the sqlite engine's plan
    write(
        tmp_path, "other/sqitch.conf", '[target "x"]\n\turi = db:pg:\n\tplan_file = ../db/x.plan\n'
    )
    write(tmp_path, "db/x.plan", plan("x"))  # outside other/: not other/'s chain
    write(tmp_path, "gone/sqitch.conf", '[target "y"]\n\turi = db:pg:\n\tplan_file = y.plan\n')
    write(tmp_path, "bad/sqitch.conf", "[core\n")  # unreadable: left to lint
    chains = discover_chains(WorkTree(tmp_path))
    assert [(c.name, c.path) for c in chains] == [
        ("db", "db/sqitch.plan"),
        ("db-data", "db/data.plan"),
        ("db-lite", "db/lite/sqitch.plan"),
    ]
    assert all(c.kind is ChainKind.SQITCH and c.discovered for c in chains)


# ------------------------------------------------------------------------------ check


def test_shared_script_folders_belong_to_no_chain_by_path(tmp_path: Path) -> None:
    shared_project(tmp_path)
    write(tmp_path, "solo/sqitch.plan", plan("a"))
    tree = WorkTree(tmp_path)
    rules = rules_for(
        tree,
        [spec("db/sqitch.plan"), spec("db/data.plan", "data"), spec("solo/sqitch.plan", "solo")],
    )
    assert [(r.chain, r.folders) for r in rules] == [
        ("app", ()),
        ("data", ()),
        ("solo", ("solo/deploy", "solo/revert", "solo/verify")),
    ]


def test_a_change_in_the_second_plan_does_not_collide_with_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: another branch's data-plan change 04-bulk-seed, seen only by its script in the
    shared deploy/ folder, was taken for number 04 of the main plan: a false COLLISION."""
    repo = GitRepo.create(tmp_path)
    write(
        repo.path,
        "db/sqitch.conf",
        '[core]\n\tengine = pg\n[target "data"]\n\turi = db:pg:d\n\tplan_file = data.plan\n',
    )
    write(repo.path, "db/sqitch.plan", plan("01-schema", "02-users", "03-orders"))
    write(repo.path, "db/data.plan", plan("01-seed"))
    scripts(repo.path, "db", "01-schema", "02-users", "03-orders", "01-seed")
    repo.commit_all("main")
    repo.push("main")
    for branch, plan_file, name in (
        ("seed", "db/data.plan", "04-bulk-seed"),
        ("invoices", "db/sqitch.plan", "04-invoices"),
    ):
        repo.git("checkout", "-q", "-b", branch, "main")
        with (repo.path / plan_file).open("a") as handle:
            handle.write(f"{name} {WHO}\n")
        scripts(repo.path, "db", name)
        repo.commit_all(branch)
        repo.push(branch)
    code, out, err = run(repo, capsys, "check", "--provider", "git")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "  [db] 04 — db/sqitch.plan: 04-invoices" in lines
    assert not any("COLLISION" in line for line in lines)
    assert lines[-1] == "No migration-number collisions detected. OK."
