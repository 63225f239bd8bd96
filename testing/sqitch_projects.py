"""sqitch projects on disk for tests: write one, apply an edit plan to it, run the real sqitch."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from migration_guard.edits import EditPlan
from testing.gitrepo import GitRepo

TS = "2026-06-01T00:00:00Z"
WHO = "raxx-dev-bot <ops@raxx.app>"
HEADER = "%syntax-version=1.0.0\n%project=queue\n%uri=https://example.invalid/queue\n\n"


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)


def read_files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (POSIX relative paths), except databases."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".db")
    }


def apply_edit_plan(root: Path, plan: EditPlan) -> None:
    """Write the edits (at their old paths), then do the renames in order, never clobbering."""
    for edit in plan.edits:
        path = root / edit.path
        assert path.read_bytes() == edit.old_text.encode("utf-8", "surrogateescape"), edit.path
        path.write_bytes(edit.new_text.encode("utf-8", "surrogateescape"))
    for rename in plan.renames:
        source, target = root / rename.old_path, root / rename.new_path
        assert source.is_file(), rename.old_path
        assert not target.exists(), f"{rename.new_path} would be clobbered"
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)


def sqitch_env(home: Path, conf: Path) -> dict[str, str]:
    """Only the project's sqitch.conf, English messages, a fixed committer."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "SQITCH_CONFIG": str(conf),
        "SQITCH_USER_CONFIG": os.devnull,
        "SQITCH_SYSTEM_CONFIG": os.devnull,
        "SQITCH_FULLNAME": "Test",
        "SQITCH_EMAIL": "test@example.invalid",
        "LC_ALL": "C",
    }
    return env


def sqitch(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The real ``sqitch ARGS`` in ``project`` (the folder of its sqitch.conf)."""
    binary = shutil.which("sqitch")
    assert binary is not None, "sqitch is not installed (apt-get install sqitch)"
    proc = subprocess.run(
        [binary, *args],
        cwd=project,
        env=sqitch_env(project, project / "sqitch.conf"),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"sqitch {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )
    return proc


QUEUE_PROJECT = "queue/migrations/sqitch"
QUEUE_NEW = "07-billing-invoice-refund-column"


def queue_collision_repo(base: Path, *, follower: bool = False) -> GitRepo:
    """The runbook's sqitch collision, committed: main at queue 07-job-priority (a SQLite
    target, pushed), branch ``feature`` (checked out, from main at 06) adds
    ``07-billing-invoice-refund-column`` on 05, and with ``follower`` also
    ``08-refund-report`` on it."""
    from migration_guard import sample

    repo = GitRepo.create(base)
    sample.write_sample_repo(repo.path)
    project = repo.path / QUEUE_PROJECT
    plan_path = repo.path / sample.QUEUE_PLAN
    (project / "sqitch.conf").write_text(
        '[core]\n\tengine = sqlite\n[engine "sqlite"]\n\ttarget = db:sqlite:queue.db\n'
    )
    plan = plan_path.read_text()
    plan_path.write_text(plan.replace(sample.plan_line(sample.QUEUE_CHANGES[-1]), ""))
    for kind in ("deploy", "revert", "verify"):
        (project / kind / "07-job-priority.sql").unlink()
    repo.commit_all("main at 06")
    repo.git("branch", "feature")
    plan_path.write_text(plan)
    sample.write_sqitch_change(project, sample.QUEUE_CHANGES[-1])
    repo.commit_all("main at 07")
    repo.push("main")
    repo.git("checkout", "-q", "feature")
    new = sample.SqitchChange(QUEUE_NEW, "invoice_refund", "Refund column", ("05-job-attempts",))
    added = [(new, "2026-06-17T00:00:00Z")]
    if follower:
        after = sample.SqitchChange("08-refund-report", "refund_report", "Report", (QUEUE_NEW,))
        added.append((after, "2026-06-18T00:00:00Z"))
    for change, planned in added:
        with plan_path.open("a") as handle:
            handle.write(sample.plan_line(change, planned))
        sample.write_sqitch_change(project, change)
    repo.commit_all("feature: queue 07 and 08" if follower else "feature: queue 07")
    return repo
