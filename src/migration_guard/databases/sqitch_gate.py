"""The gate's sqitch side: ``deploy --verify``, ``revert -y``, ``deploy --verify`` with sqitch.

The real ``sqitch`` runs in the project's folder (where its ``sqitch.conf`` is) with the
target passed explicitly, and with the user's and system's sqitch configuration replaced by
nothing, so only the project's own settings apply. sqitch prints one ``+ change .. ok`` line
per change; the first ``not ok`` names the change that failed, and the database's message comes
from its error output.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migration_guard.chains.kind import GateJob, GateSetup
from migration_guard.chains.sqitch.conf import SqitchConf, find_sqitch_conf
from migration_guard.chains.sqitch.plan import parse_plan
from migration_guard.databases import watch
from migration_guard.databases.roundtrip import ChainResult, StepResult, first_line
from migration_guard.databases.targets import ChainDatabase
from migration_guard.errors import GuardError, UsageError
from migration_guard.model import ChainSpec
from migration_guard.tree import Tree

SQITCH_PACKAGES = "apt-get install sqitch libdbd-pg-perl libdbd-sqlite3-perl"
_CLIENTS = {
    "postgresql": ("psql", "postgresql-client"),
    "sqlite": ("sqlite3", "sqlite3"),
}
_DRIVERS = {"DBD::Pg": "libdbd-pg-perl", "DBD::SQLite": "libdbd-sqlite3-perl"}
_RESULT_LINE = re.compile(r"^\s*[+-]\s+(\S+)\s+\.*\s*(not ok|ok)\s*$")
_PSQL_PREFIX = re.compile(r"^psql:(.+?):(\d+):\s*(.*)$")
_VERIFY_FAILED = re.compile(r'^Verify script "(.+)" failed\.?$')
_NOISE = re.compile(
    r'unexpectedly returned exit value|^Reverting |^Deploy failed|^Verify script ".*" failed'
    r"|^The schema will need|^LINE \d+:|^\s*\^|^Nothing to "
)
_NOTHING_TO_DO = re.compile(r"^Nothing to (deploy|revert)", re.MULTILINE)


def require_sqitch(dialects: set[str]) -> str:
    """The ``sqitch`` executable; a clear error naming the packages when something is missing."""
    sqitch = shutil.which("sqitch")
    if sqitch is None:
        raise GuardError(
            "sqitch is not installed: the gate runs sqitch chains with the real sqitch",
            hint=f"Debian/Ubuntu: {SQITCH_PACKAGES} (or see https://sqitch.org/download/)",
        )
    for dialect in sorted(dialects):
        client = _CLIENTS.get(dialect)
        if client is not None and shutil.which(client[0]) is None:
            raise GuardError(
                f"sqitch needs the {client[0]} client to run changes on {dialect}, and it is "
                "not installed",
                hint=f"Debian/Ubuntu: apt-get install {client[1]}",
            )
    return sqitch


@dataclass(frozen=True)
class SqitchProject:
    folder: str  # repository-relative folder sqitch runs in ("" = top)
    conf: SqitchConf
    plan_args: tuple[str, ...]


def sqitch_project(tree: Tree, spec: ChainSpec) -> SqitchProject:
    conf = find_sqitch_conf(tree, spec.path)
    if conf is None:
        folder = posixpath.dirname(spec.path)
        conf = SqitchConf(path=posixpath.join(folder, "sqitch.conf") if folder else "sqitch.conf")
    folder = conf.folder
    plan_args: tuple[str, ...] = ()
    if conf.layout().plan_file != spec.path:
        plan_args = ("--plan-file", posixpath.relpath(spec.path, folder or "."))
    return SqitchProject(folder=folder, conf=conf, plan_args=plan_args)


def _env(db: ChainDatabase) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQITCH_")}
    env.update(
        SQITCH_USER_CONFIG=os.devnull,
        SQITCH_SYSTEM_CONFIG=os.devnull,
        SQITCH_FULLNAME="migration-guard gate",
        SQITCH_EMAIL="gate@migration-guard.invalid",
    )
    if db.password is not None:
        env["SQITCH_PASSWORD"] = db.password
    return env


def _repo_path(root: Path, project: SqitchProject, path: str) -> str | None:
    """A script path as sqitch printed it (relative to its folder) as a repository path;
    None for a file outside the repository (sqitch's own registry scripts)."""
    if os.path.isabs(path):
        try:
            return Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return None
    joined = posixpath.normpath(posixpath.join(project.folder, path)) if project.folder else path
    return None if joined.startswith("../") else joined


def failure(
    step: str, kind: str, stdout: str, stderr: str, root: Path, project: SqitchProject
) -> StepResult:
    """Read sqitch's output: the change that failed, its script and the database's message."""
    change = None
    for line in stdout.splitlines():
        match = _RESULT_LINE.match(line)
        if match and match.group(2) == "not ok":
            change = match.group(1)
            break
    error = ""
    path = None
    verify = False
    for raw in stderr.splitlines():
        line = raw.strip()
        verify_match = _VERIFY_FAILED.match(line)
        if verify_match:
            verify = True
            path = path or _repo_path(root, project, verify_match.group(1))
            continue
        if not line or _NOISE.search(line):
            continue
        psql = _PSQL_PREFIX.match(line)
        if psql:
            path = path or _repo_path(root, project, psql.group(1))
            line = psql.group(3)
        if not error:
            error = first_line(line)
    if not error:
        error = first_line(stderr) or first_line(stdout) or "sqitch failed"
    for module, package in _DRIVERS.items():
        if module in error:
            error += f" (Debian/Ubuntu: apt-get install {package})"
    if verify:
        error = f"verify failed: {error}"
        kind = "verify"
    if path is None and change is not None:
        layout = project.conf.layout()
        path = posixpath.join(layout.dir_for(kind, reworked=False), f"{change}.{layout.extension}")
    detail = "\n".join(part for part in (stdout.strip(), stderr.strip()) if part)
    return StepResult(
        step=step, ok=False, revision=change, path=path, error=error, detail=detail[-4000:]
    )


_STARTED_LINE = re.compile(r"^\s*[+-]\s+(\S+)\s+\.*\s*(?:ok|not ok)?\s*$")


def hung(step: str, kind: str, stdout: str, timeout: float, project: SqitchProject) -> StepResult:
    """A sqitch command killed at the deadline: the change it had started last (sqitch
    prints ``+ change ..`` before it runs the script)."""
    change = None
    for line in stdout.splitlines():
        match = _STARTED_LINE.match(line)
        if match:
            change = match.group(1)
    path = None
    if change is not None:
        layout = project.conf.layout()
        path = posixpath.join(layout.dir_for(kind, reworked=False), f"{change}.{layout.extension}")
    return StepResult(
        step=step,
        ok=False,
        revision=change,
        path=path,
        error=f"timed out after {timeout:g} s (--timeout)",
        detail=stdout.strip()[-4000:] or None,
    )


def run_chain(
    *,
    root: Path,
    tree: Tree,
    spec: ChainSpec,
    db: ChainDatabase,
    sqitch: str,
    timeout: float | None = watch.DEFAULT_TIMEOUT,
) -> ChainResult:
    """Deploy with verify, revert everything, deploy with verify again; stop at a failure.
    A sqitch command that outlives ``timeout`` seconds is killed (with its psql or sqlite3)
    and fails naming the change it was running."""
    assert db.sqitch_uri is not None
    project = sqitch_project(tree, spec)
    plan = parse_plan(tree.read_bytes(spec.path), spec.path)
    moves = [
        ("deploy --verify", "deploy", ("deploy", "--verify")),
        ("revert", "revert", ("revert", "-y")),
        ("deploy --verify", "deploy", ("deploy", "--verify")),
    ]
    if db.shared:
        moves.append(("revert (clean-up)", "revert", ("revert", "-y")))
    start = time.monotonic()
    steps: list[StepResult] = []
    env = _env(db)
    cwd = root / project.folder if project.folder else root
    for step, kind, args in moves:
        proc = watch.run(
            [sqitch, *args, "--target", db.sqitch_uri, *project.plan_args],
            cwd=cwd,
            env=env,
            timeout=timeout,
        )
        if proc.timed_out:
            steps.append(hung(step, kind, proc.stdout, timeout or 0, project))
            break
        if proc.returncode == 0 or (
            not plan.changes and _NOTHING_TO_DO.search(proc.stdout + proc.stderr)
        ):
            steps.append(StepResult(step=step, ok=True))
            continue
        steps.append(failure(step, kind, proc.stdout, proc.stderr, root, project))
        break
    return ChainResult(
        name=spec.name,
        title=spec.title,
        kind=spec.kind.value,
        dialect=db.dialect,
        steps=tuple(steps),
        migrations=len(plan.changes),
        seconds=time.monotonic() - start,
    )


class _SqitchGate:
    """The sqitch chains of one ``gate`` run, with the sqitch executable found."""

    def __init__(self, sqitch: str) -> None:
        self.sqitch = sqitch

    def run(self, job: GateJob) -> ChainResult:
        spec, db, root, tree, _, timeout = job  # (no stairway for sqitch)
        return run_chain(
            root=root, tree=tree, spec=spec, db=db, sqitch=self.sqitch, timeout=timeout
        )


def prepare(tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> _SqitchGate:
    """Check that sqitch can run on the gate's database, before it starts."""
    if setup.dialect not in ("postgresql", "sqlite"):
        raise UsageError(
            f"sqitch chains cannot run on a {setup.dialect} URL here",
            hint="the gate gives sqitch PostgreSQL (postgresql://...) and SQLite "
            "(sqlite:///...) targets; pass --chain to gate the other chains",
        )
    return _SqitchGate(require_sqitch({setup.dialect}))
