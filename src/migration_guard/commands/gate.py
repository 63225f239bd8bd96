"""``migration-guard gate``: run every chain's migrations up, down and up again on a database.

The runbook's ``migration-gate`` job. Unlike every other command, the gate EXECUTES migration
code: Alembic chains through Alembic's own API in a child process per chain, sqitch chains with
the real ``sqitch``. Alembic and SQLAlchemy are imported only there (the ``gate`` extra).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TextIO

from migration_guard.chains import registry
from migration_guard.chains.kind import Capability, ChainGate, GateJob, GateSetup, unsupported
from migration_guard.databases.roundtrip import ChainResult, StepResult
from migration_guard.databases.targets import (
    dialect_of,
    normalize_url,
    open_database,
    require_modules,
)
from migration_guard.databases.watch import DEFAULT_TIMEOUT
from migration_guard.errors import DatabaseError, UsageError
from migration_guard.model import ChainKind
from migration_guard.report import plural, to_json
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace


@contextlib.contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    """A CI job cancelled with SIGTERM still stops and deletes its temporary database."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def step_text(step: StepResult) -> str:
    if step.ok:
        return f"{step.step} OK"
    where = ""
    if step.revision:
        where = f" at {step.revision}" + (f" ({step.path})" if step.path else "")
    elif step.path:
        where = f" in {step.path}"
    action = f"{step.action}: " if step.action else ""
    return f"{step.step} FAIL{where}: {action}{step.error}"


def chain_text(result: ChainResult) -> str:
    line = f"{result.title} ({result.kind}, {result.dialect}): "
    line += " · ".join(step_text(step) for step in result.steps)
    if result.ok and result.migrations is not None:
        word = registry.kind_of(ChainKind(result.kind)).noun
        line += f" ({plural(result.migrations, word)})"
    floor = result.floor
    if floor is not None:
        where = f"{floor.revision} ({floor.path})" if floor.path else floor.revision
        scope = (
            "it is the head, so no revision is downgraded"
            if floor.head
            else "it and the revisions below it are not downgraded"
        )
        if any(step.step.endswith("(clean-up)") and step.ok for step in result.steps):
            scope += " (the clean-up leaves the database at the floor)"
        line += f"\n  downgrade floor {where}: {floor.reason}; {scope}"
    return line


def _touched(workspace: Workspace, base_sha: str | None) -> bool:
    """Whether merge-base(base, HEAD)..HEAD, or (outside CI) an uncommitted file, touches a
    chain; the base is resolved as ``check`` resolves it."""
    import os

    from migration_guard import git
    from migration_guard.forges.context import detect_context
    from migration_guard.services.sources import resolve_base
    from migration_guard.services.touched import touches_chains

    if not workspace.in_git:
        raise UsageError("--if-changed needs a git repository", hint="run it inside your clone")
    env = dict(os.environ)
    base, _ = resolve_base(workspace, base_sha, env)
    head = git.resolve_commit("HEAD", cwd=workspace.root)
    merge_base = git.merge_base(
        git.resolve_commit(base, cwd=workspace.root), head, cwd=workspace.root
    )
    local = detect_context(env) is None
    return touches_chains(workspace, merge_base=merge_base, head=head, working_tree=local)


def run(
    *,
    workspace: Workspace,
    chains: list[str],
    database_url: str | None,
    temp_postgres: bool,
    stairway: bool,
    output_format: str,
    out: TextIO,
    timeout: float | None = DEFAULT_TIMEOUT,
    ui: Ui = DEFAULT,
    if_changed: bool = False,
    base_sha: str | None = None,
) -> int:
    if base_sha is not None and not if_changed:
        raise UsageError("--base-sha is for --if-changed (the base it compares with)")
    if timeout is not None and not (timeout >= 0 and math.isfinite(timeout)):
        raise UsageError(
            f"--timeout {timeout:g} is not a number of seconds",
            hint="give the longest one step may run, e.g. --timeout 600 (0: no limit)",
        )
    if database_url is not None and temp_postgres:
        raise UsageError(
            "--database-url and --temp-postgres cannot be used together",
            hint="--temp-postgres starts its own server; --database-url uses yours",
        )
    specs = workspace.config.select(chains)
    if not specs:
        raise workspace.config.nothing_to(
            "no chains to gate",
            hint="configure one in migration-guard.toml, or see `migration-guard chains`",
        )
    if if_changed and not _touched(workspace, base_sha):
        if output_format == "json":
            print(
                to_json({"command": "gate", "ok": True, "touched": False, "chains": []}), file=out
            )
        elif not ui.quiet:
            from migration_guard.services.touched import NO_MIGRATIONS_TOUCHED

            print(NO_MIGRATIONS_TOUCHED, file=out)
        return 0
    # Everything that can be checked before a database starts is checked first.
    url = normalize_url(database_url) if database_url is not None else None
    dialect = dialect_of(url) if url else ("postgresql" if temp_postgres else "sqlite")
    setup = GateSetup(dialect, url, temp_postgres, workspace.config.source)
    gates: dict[ChainKind, ChainGate] = {}
    for key in dict.fromkeys(s.kind for s in specs):
        kind = registry.kind_of(key)
        of_kind = [s for s in specs if s.kind is key]
        if Capability.GATE not in kind.capabilities:
            raise unsupported(kind, "gate", [s.name for s in of_kind])
        gates[key] = kind.prepare_gate(workspace.tree, of_kind, setup)
    if url is not None:
        require_modules("sqlalchemy", why="--database-url is checked with SQLAlchemy")

    results: list[ChainResult] = []
    with _cleanup_on_sigterm(), open_database(url=url, temp_postgres=temp_postgres) as database:
        if output_format == "text" and not ui.quiet:
            ui.show(f"Database: {database.description}", out, flush=True)
        for spec in specs:
            db = database.chain_database(spec.name)
            try:
                job = GateJob(spec, db, workspace.root, workspace.tree, stairway, timeout)
                result = gates[spec.kind].run(job)
            finally:
                database.release(db)
            if result.steps and result.steps[0].step == "connect" and not result.ok:
                raise DatabaseError(
                    f"chain {spec.name!r}: cannot connect to the database: {result.steps[0].error}"
                )
            results.append(result)
            ui.note(f"gated {spec.name} in {ui.elapsed()} since start")
            if output_format == "text" and not (ui.quiet and result.ok):
                ui.show(chain_text(result), out, flush=True)
        database_json = database.to_json()
    failed = [r for r in results if not r.ok]
    if output_format == "json":
        payload = {
            "command": "gate",
            "ok": not failed,
            "stairway": stairway,
            "database": database_json,
            "chains": [r.to_json() for r in results],
        }
        print(to_json(payload), file=out)
    elif failed:
        names = ", ".join(r.name for r in failed)
        ui.show(
            f"gate: {len(failed)} of {plural(len(results), 'chain')} failed ({names}). FAIL.", out
        )
    else:
        notes = [
            f"{r.name} upgraded only: its downgrade floor is its head"
            if r.floor.head
            else f"{r.name} above its downgrade floor"
            for r in results
            if r.floor is not None
        ]
        above = f" ({'; '.join(notes)})" if notes else ""
        if not ui.quiet:
            ui.show(f"gate: {plural(len(results), 'chain')} round-tripped{above}. OK.", out)
    return 1 if failed else 0
