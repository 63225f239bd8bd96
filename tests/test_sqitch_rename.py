"""Renaming deployed sqitch changes with the real sqitch, on SQLite and PostgreSQL.

After the procedure, the real ``sqitch status`` is clean and the renamed plan really reverts
and deploys (scripts run); after an injected failure, files and registries are as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from testing.sqitch_projects import apply_edit_plan, read_files, sqitch, write_files

from migration_guard.chains.sqitch.conf import find_sqitch_conf
from migration_guard.chains.sqitch.rewrite import SqitchRename, plan_sqitch_rename_in_tree
from migration_guard.databases.sqitch_registry import (
    SqitchTarget,
    read_registry,
    resolve_target,
)
from migration_guard.databases.sqitch_rename import (
    DeployedRename,
    DeployedRenameError,
    RegistryMismatchError,
    prepare,
)
from migration_guard.databases.temp_postgres import TempPostgres
from migration_guard.sample import QUEUE_CHANGES, QUEUE_PLAN, write_queue_chain
from migration_guard.tree import WorkTree

pytestmark = pytest.mark.sqitch

NAMES = [c.name for c in QUEUE_CHANGES]
BILLING = "07-billing-invoice-refund-column"
BILLING_SQL = {
    f"deploy/{BILLING}.sql": f"-- Deploy queue:{BILLING} to pg\n-- requires: 02-jobs-table\n\n"
    "BEGIN;\n\nCREATE TABLE queue_refunds (id INTEGER PRIMARY KEY);\n\nCOMMIT;\n",
    f"revert/{BILLING}.sql": f"-- Revert queue:{BILLING} from pg\n\nBEGIN;\n\n"
    "DROP TABLE queue_refunds;\n\nCOMMIT;\n",
    f"verify/{BILLING}.sql": f"-- Verify queue:{BILLING} on pg\n\n"
    "SELECT id FROM queue_refunds WHERE 1 = 0;\n",
}


def runbook_project(root: Path) -> Path:
    """The sample queue chain plus the runbook's 07-billing change (it requires 02)."""
    write_queue_chain(root)
    folder = (root / QUEUE_PLAN).parent
    plan = (folder / "sqitch.plan").read_text()
    plan += f"{BILLING} [02-jobs-table] 2026-06-17T00:00:00Z raxx-dev-bot <ops@raxx.app>\n"
    write_files(folder, {"sqitch.plan": plan, **BILLING_SQL})
    return folder


def plan_rename(root: Path, renames: dict[str, str]) -> SqitchRename:
    tree = WorkTree(root)
    conf = find_sqitch_conf(tree, QUEUE_PLAN)
    assert conf is not None
    return plan_sqitch_rename_in_tree(tree, QUEUE_PLAN, conf.layout(), renames)


def restore(folder: Path, snapshot: dict[str, bytes]) -> None:
    """Put the project's files back as they were (what the caller does on failure)."""
    for rel in read_files(folder):
        if rel not in snapshot:
            (folder / rel).unlink()
    write_files(folder, dict(snapshot))


def pg_uri(postgres: TempPostgres, name: str) -> str:
    return "db:" + postgres.create_database(name).replace("postgresql://", "pg://", 1)


def ids(folder: Path, target: SqitchTarget) -> list[str]:
    return [c.change_id for c in read_registry(target, "queue", conf_dir=folder).changes]


def status(folder: Path, target: SqitchTarget) -> str:
    return sqitch(folder, "status", "--target", target.name).stdout


# --------------------------------------------------------------------------------------------


def test_rename_deployed_on_sqlite_and_postgres(tmp_path: Path, postgres: TempPostgres) -> None:
    """02 is renamed (03, 05 and 07-billing depend on it): every ID from 02 on changes."""
    folder = runbook_project(tmp_path)
    lite = resolve_target(None, "db:sqlite:dev.db")
    pg = resolve_target(None, pg_uri(postgres, "rename_ok"))
    never = resolve_target(None, "db:sqlite:elsewhere/never.db")
    sqitch(folder, "deploy", "--target", lite.name)
    sqitch(folder, "deploy", "--target", pg.name, "--to", "05-job-attempts")
    old_lite, old_pg = ids(folder, lite), ids(folder, pg)

    rename = plan_rename(tmp_path, {"02-jobs-table": "02-jobs"})
    procedure = prepare(rename, [lite, pg, never], conf_dir=folder)
    assert [s.target for s in procedure.steps] == [lite, pg]  # never.db: nothing deployed
    assert procedure.commands == (
        f"sqitch revert --log-only -y --target db:sqlite:dev.db --to {old_lite[0]}",
        f"sqitch revert --log-only -y --target {pg.name} --to {old_pg[0]}",
        "sqitch deploy --log-only --target db:sqlite:dev.db --to @ROOT~7",
        "sqitch status --target db:sqlite:dev.db",
        f"sqitch deploy --log-only --target {pg.name} --to @ROOT~4",
        f"sqitch status --target {pg.name}",
    )
    assert procedure.steps[1].undeployed == ("06-dead-letter", "07-job-priority", BILLING)
    procedure.before_edit()
    assert ids(folder, lite) == old_lite[:1] and ids(folder, pg) == old_pg[:1]
    apply_edit_plan(tmp_path, rename.edit_plan)
    procedure.after_edit()
    assert procedure.state == "done"

    new_lite, new_pg = ids(folder, lite), ids(folder, pg)
    assert new_lite[0] == old_lite[0] and new_pg[0] == old_pg[0]
    assert not set(new_lite[1:]) & set(old_lite) and len(new_lite) == 8
    assert not set(new_pg[1:]) & set(old_pg) and len(new_pg) == 5
    assert "Nothing to deploy (up-to-date)" in status(folder, lite)
    assert "Undeployed changes:\n  * 06-dead-letter\n" in status(folder, pg)
    # The renamed plan really reverts and deploys: the scripts run on both databases.
    for target in (lite, pg):
        sqitch(folder, "revert", "-y", "--target", target.name, "--to", "01-queue-schema")
        sqitch(folder, "deploy", "--target", target.name)
    with sqlite3.connect(folder / "dev.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"queue_jobs", "queue_refunds"} <= tables
    assert ids(folder, pg)[4] == new_pg[4] and len(ids(folder, pg)) == 8


def test_rename_the_first_change_reverts_everything(tmp_path: Path) -> None:
    folder = runbook_project(tmp_path)
    lite = resolve_target(None, "db:sqlite:dev.db")
    sqitch(folder, "deploy", "--target", lite.name, "--to", "03-job-status-index")
    rename = plan_rename(tmp_path, {"01-queue-schema": "01-queue-meta"})
    shares_registry = resolve_target(None, "db:sqlite:other.db")  # same folder: sqitch.db
    procedure = prepare(
        rename, [lite, shares_registry], conf_dir=folder, committer=("Ops", "ops@example.com")
    )
    (step,) = procedure.steps
    assert step.revert == ("revert", "--log-only", "-y", "--target", "db:sqlite:dev.db")
    assert step.deploy[-2:] == ("--to", "@ROOT~2")
    procedure.before_edit()
    assert ids(folder, lite) == []
    apply_edit_plan(tmp_path, rename.edit_plan)
    procedure.after_edit()
    out = status(folder, lite)
    assert "# Name:     03-job-status-index" in out and "# By:       Ops <ops@example.com>" in out
    sqitch(folder, "revert", "-y", "--target", lite.name)
    sqitch(folder, "deploy", "--target", lite.name)


def test_failure_after_the_revert_restores_files_and_registries(
    tmp_path: Path, postgres: TempPostgres
) -> None:
    folder = runbook_project(tmp_path)
    lite = resolve_target(None, "db:sqlite:dev.db")
    pg = resolve_target(None, pg_uri(postgres, "rename_fail"))
    for target in (lite, pg):  # only the registries matter here
        sqitch(folder, "deploy", "--log-only", "--target", target.name)
    before_files = read_files(folder)
    before_ids = {t.name: ids(folder, t) for t in (lite, pg)}

    rename = plan_rename(tmp_path, {BILLING: "08-billing-invoice-refund-column"})
    procedure = prepare(rename, [lite, pg], conf_dir=folder)
    procedure.before_edit()
    try:
        apply_edit_plan(tmp_path, rename.edit_plan)
        raise OSError("disk full")  # injected: the edit fails half-way
    except OSError:
        restore(folder, before_files)
        procedure.rollback()
    assert procedure.state == "rolled back"
    assert read_files(folder) == before_files
    for target in (lite, pg):
        assert ids(folder, target) == before_ids[target.name]
        assert "Nothing to deploy (up-to-date)" in status(folder, target)


def test_failed_log_only_deploy_is_rolled_back(tmp_path: Path) -> None:
    """The new plan's deploy --log-only fails (a trigger in the registry refuses one change);
    sqitch undoes its own run; then a run killed half-way leaves new IDs recorded. rollback()
    reverts those and re-records the old IDs."""
    folder = runbook_project(tmp_path)
    lite = resolve_target(None, "db:sqlite:dev.db")
    sqitch(folder, "deploy", "--log-only", "--target", lite.name)
    before_files = read_files(folder)
    before_ids = ids(folder, lite)
    with sqlite3.connect(folder / "sqitch.db") as db:
        db.execute(
            "CREATE TRIGGER injected BEFORE INSERT ON changes WHEN NEW.change = '06-dead-letter' "
            "AND NEW.change_id NOT IN (" + ",".join(f"'{i}'" for i in before_ids) + ") "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )
    rename = plan_rename(tmp_path, {"04-workers-table": "04-workers"})
    procedure = prepare(rename, [lite], conf_dir=folder)
    procedure.before_edit()
    apply_edit_plan(tmp_path, rename.edit_plan)
    with pytest.raises(DeployedRenameError, match="sqitch deploy --log-only") as info:
        procedure.after_edit()
    assert info.value.exit_code == 3
    assert "injected failure" in info.value.message
    assert ids(folder, lite) == before_ids[:3]  # sqitch reverted (log-only) what it recorded
    # As if a run had been killed after recording two changes under their new IDs.
    sqitch(folder, "deploy", "--log-only", "--target", lite.name, "--to", "05-job-attempts")
    assert ids(folder, lite)[:3] == before_ids[:3] and ids(folder, lite)[3] not in before_ids
    with pytest.raises(DeployedRenameError, match="is not the old plan"):
        procedure.rollback()  # the files must be restored first
    restore(folder, before_files)
    procedure.rollback()
    assert ids(folder, lite) == before_ids
    assert "Nothing to deploy (up-to-date)" in status(folder, lite)
    assert read_files(folder) == before_files


def test_failed_revert_on_a_later_target_restores_the_earlier_ones(tmp_path: Path) -> None:
    folder = runbook_project(tmp_path)
    first = resolve_target(None, "db:sqlite:a/first.db")
    second = resolve_target(None, "db:sqlite:b/second.db")
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    for target in (first, second):
        sqitch(folder, "deploy", "--log-only", "--target", target.name)
    before = {t.name: ids(folder, t) for t in (first, second)}
    with sqlite3.connect(folder / "b/sqitch.db") as db:
        db.execute(
            "CREATE TRIGGER injected BEFORE DELETE ON changes "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )
    rename = plan_rename(tmp_path, {"06-dead-letter": "06-dead-letters"})
    procedure = prepare(rename, [first, second], conf_dir=folder)
    with pytest.raises(DeployedRenameError, match="revert --log-only failed on db:sqlite:b/"):
        procedure.before_edit()
    assert procedure.state == "rolled back"
    for target in (first, second):
        assert ids(folder, target) == before[target.name]


def test_prepare_refuses_a_registry_that_does_not_match_the_plan(tmp_path: Path) -> None:
    folder = runbook_project(tmp_path)
    lite = resolve_target(None, "db:sqlite:dev.db")
    sqitch(folder, "deploy", "--log-only", "--target", lite.name, "--to", "03-job-status-index")
    plan = folder / "sqitch.plan"
    plan.write_text(plan.read_text().replace("02-jobs-table 2026", "02-jobs-table 2025"))
    rename = plan_rename(tmp_path, {"03-job-status-index": "03-status"})
    with pytest.raises(RegistryMismatchError, match="sqitch status is not clean on db:sqlite:"):
        prepare(rename, [lite], conf_dir=folder)
    with sqlite3.connect(folder / "sqitch.db") as db:
        db.execute("UPDATE changes SET change = 'x' WHERE change = '02-jobs-table'")
    with pytest.raises(RegistryMismatchError, match="which is not the start of the plan"):
        prepare(rename, [lite], conf_dir=folder)


def test_steps_run_in_order_only(tmp_path: Path) -> None:
    folder = runbook_project(tmp_path)
    rename = plan_rename(tmp_path, {"03-job-status-index": "03-status"})
    procedure = prepare(rename, [], conf_dir=folder)
    assert isinstance(procedure, DeployedRename) and procedure.commands == ()
    with pytest.raises(RuntimeError):
        procedure.after_edit()
    procedure.before_edit()  # nothing deployed anywhere: nothing to run
    apply_edit_plan(tmp_path, rename.edit_plan)
    procedure.after_edit()
    assert procedure.log == []
    with pytest.raises(RuntimeError):
        procedure.rollback()
