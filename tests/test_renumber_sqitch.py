"""``renumber`` of sqitch changes: real git, real sqitch, SQLite and a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.cli import run as _run
from testing.cli import snapshot as _snapshot
from testing.gitrepo import GitRepo
from testing.sqitch_projects import queue_collision_repo, sqitch

from migration_guard import apply, sample
from migration_guard.databases.temp_postgres import TempPostgres

pytestmark = pytest.mark.sqitch

PLAN = sample.QUEUE_PLAN
NEW = "07-billing-invoice-refund-column"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return queue_collision_repo(tmp_path, follower=True)


def _project(repo: GitRepo) -> Path:
    return repo.path / "queue/migrations/sqitch"


def test_runbook_rename_of_an_undeployed_change(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Forcing 08 while this branch's own 08-refund-report holds it would duplicate a number:
    # validation refuses and nothing changes.
    before = _snapshot(repo)
    code, _, err = _run(
        repo, capsys, "renumber", NEW, "--to", "08", "--provider", "none", "--force"
    )
    assert code == 1 and "would have new problems" in err
    assert _snapshot(repo) == before

    # The runbook's case: the branch adds only 07-billing-invoice-refund-column.
    project = _project(repo)
    plan = (repo.path / PLAN).read_text()
    (repo.path / PLAN).write_text(plan[: plan.index("08-refund-report")])
    for kind in ("deploy", "revert", "verify"):
        (project / kind / "08-refund-report.sql").unlink()
    repo.commit_all("only 07")
    code, out, err = _run(repo, capsys, "renumber", NEW, "--to", "08", "--provider", "none")
    assert code == 0, err
    assert out.splitlines()[0] == f"[queue] 07 -> 08: {NEW} -> 08-billing-invoice-refund-column"
    assert (
        (repo.path / PLAN)
        .read_text()
        .endswith(
            "08-billing-invoice-refund-column [05-job-attempts] 2026-06-17T00:00:00Z "
            "raxx-dev-bot <ops@raxx.app> # Refund column\n"
        )
    )
    assert sorted(repo.git("status", "--porcelain").splitlines()) == [
        " M queue/migrations/sqitch/sqitch.plan",
        f"RM queue/migrations/sqitch/deploy/{NEW}.sql -> "
        "queue/migrations/sqitch/deploy/08-billing-invoice-refund-column.sql",
        f"RM queue/migrations/sqitch/revert/{NEW}.sql -> "
        "queue/migrations/sqitch/revert/08-billing-invoice-refund-column.sql",
        f"RM queue/migrations/sqitch/verify/{NEW}.sql -> "
        "queue/migrations/sqitch/verify/08-billing-invoice-refund-column.sql",
    ]
    assert sqitch(project, "plan", "--no-pager").returncode == 0


def test_block_rename_with_dependents_to_next(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        repo, capsys, "renumber", "--branch", "--to", "next", "--provider", "none"
    )
    assert code == 0, err
    assert out.splitlines()[:2] == [
        f"[queue] 07 -> 08: {NEW} -> 08-billing-invoice-refund-column",
        "[queue] 08 -> 09: 08-refund-report -> 09-refund-report",
    ]
    plan = (repo.path / PLAN).read_text()
    assert (
        "08-billing-invoice-refund-column [05-job-attempts] 2026-06-17T00:00:00Z "
        "raxx-dev-bot <ops@raxx.app> # Refund column\n"
    ) in plan
    assert "09-refund-report [08-billing-invoice-refund-column] 2026-06-18T00:00:00Z" in plan
    project = _project(repo)
    for kind in ("deploy", "revert", "verify"):
        assert not (project / kind / f"{NEW}.sql").exists()
        assert (project / kind / "08-billing-invoice-refund-column.sql").is_file()
    deploy = (project / "deploy/08-billing-invoice-refund-column.sql").read_text()
    assert deploy.startswith("-- Deploy queue:08-billing-invoice-refund-column to pg\n")
    assert sqitch(project, "plan", "--no-pager").returncode == 0
    assert "Queue: lint OK" in out


def test_deployed_change_is_refused_then_renamed_with_allow_deployed_on_sqlite(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(repo)
    sqitch(project, "deploy")
    before = _snapshot(repo)
    code, out, err = _run(
        repo, capsys, "renumber", "--branch", "--to", "next", "--provider", "none"
    )
    assert (code, out) == (1, "")
    assert f"{NEW} is deployed" in err and "db:sqlite:queue.db" in err
    assert "--allow-deployed" in err
    assert _snapshot(repo) == before

    code, out, err = _run(
        repo,
        capsys,
        "renumber",
        "--branch",
        "--to",
        "next",
        "--provider",
        "none",
        "--allow-deployed",
    )
    assert code == 0, err
    status = sqitch(project, "status")
    assert "Nothing to deploy (up-to-date)" in status.stdout
    sqitch(project, "revert", "-y")
    sqitch(project, "deploy", "--verify")


def test_postgres_target_and_failure_rollback(
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    postgres: TempPostgres,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = _project(repo)
    url = postgres.create_database("renumber_queue")
    target = "db:pg://postgres@127.0.0.1:{}/renumber_queue".format(
        url.rsplit(":", 1)[1].split("/")[0]
    )
    sqitch(project, "deploy", "--target", target)
    before = _snapshot(repo)
    code, _, err = _run(
        repo,
        capsys,
        "renumber",
        "--branch",
        "--to",
        "next",
        "--provider",
        "none",
        "--target",
        target,
    )
    assert code == 1 and "is deployed" in err and "renumber_queue" in err

    real_move = apply._move
    calls: list[str] = []

    def failing_move(root: Path, old: str, new: str, in_git: bool) -> None:
        calls.append(old)
        if len(calls) == 3:
            raise OSError("injected failure")
        real_move(root, old, new, in_git)

    monkeypatch.setattr(apply, "_move", failing_move)
    code, _, err = _run(
        repo,
        capsys,
        "renumber",
        "--branch",
        "--to",
        "next",
        "--provider",
        "none",
        "--target",
        target,
        "--allow-deployed",
    )
    assert code == 3 and "rolled back: injected failure" in err
    assert _snapshot(repo) == before
    assert "Nothing to deploy" in sqitch(project, "status", "--target", target).stdout

    monkeypatch.setattr(apply, "_move", real_move)
    code, _, err = _run(
        repo,
        capsys,
        "renumber",
        "--branch",
        "--to",
        "next",
        "--provider",
        "none",
        "--target",
        target,
        "--allow-deployed",
    )
    assert code == 0, err
    assert "Nothing to deploy" in sqitch(project, "status", "--target", target).stdout
    sqitch(project, "revert", "-y", "--target", target)
    sqitch(project, "deploy", "--verify", "--target", target)
