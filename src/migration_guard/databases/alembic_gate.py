"""The gate's Alembic side: find a chain's Alembic configuration and run its round trip in a
child.

The configuration is an ``alembic.ini`` (and the section a named chain uses), a pyproject.toml
with ``[tool.alembic]`` (Alembic 1.16+), or both, as ``alembic`` run in their folder reads
them. The migrations run in a separate Python process (:mod:`.alembic_runner`), started in
that folder with the database URL both as the ``sqlalchemy.url`` main option and in the chain's
``database_url_env`` variable (``DATABASE_URL`` by default), the two ways Alembic projects'
``env.py`` files read it.

Downgrades stop at the chain's downgrade floor (see :func:`floor_candidates`): the configured
``downgrade_floor`` and the revisions that cannot be downgraded, read statically here and
caught at run time in the child.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import migration_guard
from migration_guard.chains.alembic import config as alembic_config
from migration_guard.chains.alembic import downgrade as alembic_downgrade
from migration_guard.chains.alembic import reader as alembic
from migration_guard.chains.alembic.config import AlembicConfig
from migration_guard.chains.kind import GateJob, GateSetup
from migration_guard.databases import watch
from migration_guard.databases.roundtrip import ChainResult, Floor, StepResult, first_line
from migration_guard.databases.targets import ChainDatabase, postgres_driver, require_modules
from migration_guard.errors import ConfigError
from migration_guard.model import ChainSpec
from migration_guard.tree import Tree

RUNNER = "migration_guard.databases.alembic_runner"


def find_alembic_config(tree: Tree, spec: ChainSpec) -> AlembicConfig:
    """The chain's Alembic configuration, checked before any database starts.

    ``alembic_config`` (an ini or a pyproject.toml) when configured; else the nearest folder at
    or above the versions folder whose alembic.ini or pyproject.toml ``[tool.alembic]`` points
    at it. A configuration Alembic would refuse is a ConfigError (exit 2).
    """
    section = spec.alembic_section
    if spec.alembic_config:
        config = alembic_config.config_for_file(spec.alembic_config, tree, section)
        try:
            alembic_config.read_layout(tree, config)
        except ConfigError as exc:
            raise ConfigError(f"chain {spec.name!r}: {exc.message}", hint=exc.hint) from None
        return config
    folder = spec.path
    looked: list[str] = []
    while True:
        try:
            configs = alembic_config.configs_in(tree, folder)
        except ConfigError:
            looked.append(f"{posixpath.join(folder, alembic_config.INI_NAME)} (unreadable)")
            configs = []
        for config in configs:
            if section is not None and config.section != section:
                continue
            looked.append(config.label)
            try:
                layout = alembic_config.read_layout(tree, config)
            except ConfigError:
                continue
            if spec.path in layout.folders:
                return config
        if not folder:
            break
        folder = posixpath.dirname(folder)
    found = f" ({', '.join(looked)} use other folders)" if looked else ""
    named = f" with a [{section}] section" if section else ""
    raise ConfigError(
        f"chain {spec.name!r}: no alembic.ini{named} or pyproject.toml [tool.alembic] found for "
        f"{spec.path}{found}",
        hint='set alembic_config = "path/to/alembic.ini" (or a pyproject.toml) for the chain '
        "in migration-guard.toml",
    )


class FloorCandidate(NamedTuple):
    """A revision downgrades must not go below, and why (``source``: config or static)."""

    revision: str
    reason: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {"revision": self.revision, "reason": self.reason, "source": self.source}


def floor_candidates(tree: Tree, spec: ChainSpec, config_source: str) -> tuple[FloorCandidate, ...]:
    """The configured ``downgrade_floor`` (checked against the chain's revisions before any
    database starts) and every revision read as irreversible; the child settles the floor."""
    state = alembic.read_chain(tree, spec)
    found: list[FloorCandidate] = []
    if spec.downgrade_floor is not None:
        wanted = spec.downgrade_floor
        known = {m.id for m in state.migrations}
        if wanted in known or "" in known:  # "": an id not known statically; the child checks
            found.append(FloorCandidate(wanted, f"downgrade_floor in {config_source}", "config"))
        else:
            prefixed = sorted(rev for rev in known if rev.startswith(wanted))
            hint = (
                f"did you mean {prefixed[0]!r}? downgrade_floor takes the full revision id"
                if len(prefixed) == 1
                else 'name one of the chain\'s revisions: the revision = "..." value of its file'
            )
            raise ConfigError(
                f"{config_source}: chain {spec.name!r}: downgrade_floor {wanted!r} is not a "
                f"revision of the chain ({spec.path})",
                hint=hint,
            )
    for item in alembic_downgrade.irreversible(tree, state.migrations):
        found.append(FloorCandidate(item.revision, item.reason, "static"))
    return tuple(found)


def _relative(root: Path, path: str | None) -> str | None:
    if not path:
        return None
    absolute = os.path.realpath(path)
    try:
        return Path(absolute).relative_to(os.path.realpath(root)).as_posix()
    except ValueError:
        return absolute


def _child_env(spec: ChainSpec, db: ChainDatabase) -> dict[str, str]:
    env = dict(os.environ)
    env[spec.database_url_env] = db.url
    # The runner must be importable in the child even when migration-guard is not installed
    # (a source checkout); an installed package is already on the child's path.
    package_root = Path(migration_guard.__file__).resolve().parent.parent
    if package_root.name not in ("site-packages", "dist-packages"):
        current = env.get("PYTHONPATH")
        env["PYTHONPATH"] = f"{current}{os.pathsep}{package_root}" if current else str(package_root)
    return env


def _steps_from(data: dict[str, Any], root: Path) -> tuple[StepResult, ...]:
    steps = []
    for raw in data.get("steps", []):
        steps.append(
            StepResult(
                step=str(raw["step"]),
                ok=bool(raw["ok"]),
                revision=raw.get("revision"),
                path=_relative(root, raw.get("path")),
                error=raw.get("error"),
                detail=raw.get("detail"),
                action=raw.get("action"),
            )
        )
    return tuple(steps)


def _floor_from(raw: dict[str, Any] | None, root: Path) -> Floor | None:
    if not raw:
        return None
    return Floor(
        revision=str(raw["revision"]),
        path=_relative(root, raw.get("path")),
        reason=str(raw["reason"]),
        source=str(raw["source"]),
        head=bool(raw.get("head")),
    )


_SETUP = ("connect", "read revisions")
_DUMP_FRAME = re.compile(r'^\s*File "(.+)", line (\d+) in (\S+)')


def timed_out_steps(proc: watch.Watched, root: Path, timeout: float) -> tuple[StepResult, ...]:
    """The steps of a child killed at the deadline: those that ended before, then the one
    that hung, with the revision (and line) its stack dump shows it in."""
    scripts: dict[str, str] = {}
    started: list[dict[str, Any]] = []
    for event in proc.events:
        if isinstance(event.get("scripts"), dict):
            scripts = {str(k): str(v) for k, v in event["scripts"].items()}
        elif "step" in event:
            started.append(event)
    done: list[str] = []
    for event in started[:-1]:
        name = str(event["step"])
        if name in _SETUP:
            continue  # listed only when they fail, as in a run that ends
        if not done or done[-1] != name:  # a stairway is one step of many moves
            done.append(name)
    last = started[-1] if started else {"step": "run Alembic"}
    if done and done[-1] == last["step"]:
        done.pop()
    revision = last.get("revision")
    where = ""
    for line in proc.dump.splitlines():  # most recent call first
        match = _DUMP_FRAME.match(line)
        if match and os.path.realpath(match.group(1)) in scripts:
            revision = scripts[os.path.realpath(match.group(1))]
            where = f": still in {match.group(3)}() at line {match.group(2)}"
            break
    path = next((p for p, rev in scripts.items() if rev == revision), None)
    hung = StepResult(
        step=str(last["step"]),
        ok=False,
        revision=str(revision) if revision else None,
        path=_relative(root, path),
        error=f"timed out after {timeout:g} s (--timeout){where}",
        detail=proc.dump.strip()[-4000:] or None,
        action=last.get("action"),
    )
    return (*(StepResult(step=name, ok=True) for name in done), hung)


def run_chain(
    *,
    root: Path,
    spec: ChainSpec,
    config: AlembicConfig,
    db: ChainDatabase,
    stairway: bool,
    floors: tuple[FloorCandidate, ...] = (),
    timeout: float | None = watch.DEFAULT_TIMEOUT,
) -> ChainResult:
    """Upgrade to head, downgrade to base (or the floor), upgrade to head (or the stairway)
    in a child. ConfigError when Alembic refuses the configuration itself, or the configured
    floor (exit 2, not a failed chain). A step that outlives ``timeout`` seconds (each
    stairway move is a step) is killed, and fails naming the revision it was running."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="migration-guard-alembic-") as tmp:
        request = Path(tmp) / "request.json"
        result = Path(tmp) / "result.json"
        progress = Path(tmp) / "progress.jsonl"
        dump = Path(tmp) / "stack.txt"
        request.write_text(
            json.dumps(
                {
                    "ini": str(root / config.ini) if config.ini else None,
                    "toml": str(root / config.toml) if config.toml else None,
                    "section": config.section,
                    "url": db.url,
                    "mode": "stairway" if stairway else "roundtrip",
                    "cleanup": db.shared,
                    "floors": [f.to_json() for f in floors],
                    "progress": str(progress),
                    "dump": str(dump),
                }
            ),
            encoding="utf-8",
        )
        proc = watch.run(
            [sys.executable, "-m", RUNNER, str(request), str(result)],
            cwd=root / config.folder if config.folder else root,
            env=_child_env(spec, db),
            timeout=timeout,
            progress=progress,
            dump=dump,
            dump_signal=signal.SIGUSR1,
        )
        data: dict[str, Any] | None = None
        if result.is_file() and not proc.timed_out:
            data = json.loads(result.read_text(encoding="utf-8"))
    seconds = time.monotonic() - start
    steps: tuple[StepResult, ...]
    if proc.timed_out:
        steps = timed_out_steps(proc, root, timeout or 0)
        migrations = None
        floor = None
    elif data is None:
        output = (proc.stderr or proc.stdout).strip()
        last = first_line(output.splitlines()[-1]) if output else f"exit code {proc.returncode}"
        steps = (
            StepResult(
                step="run Alembic",
                ok=False,
                error=f"the Alembic process ended without a result: {last}",
                detail=output[-4000:] or None,
            ),
        )
        migrations = None
        floor = None
    elif data.get("config_error"):
        error = str(data["config_error"])
        hint = (
            "fix the configuration (`alembic` fails the same way in "
            f"{config.folder or 'the repository root'})"
        )
        if error.startswith("ModuleNotFoundError"):
            hint = (
                "a package-resource location (package:path) imports its package: install the "
                "project into this Python, or give the location as a folder"
            )
        raise ConfigError(
            f"chain {spec.name!r}: Alembic cannot use {config.label}: {error}", hint=hint
        )
    else:
        if data.get("floor_error"):
            raise ConfigError(
                f"chain {spec.name!r}: {data['floor_error']} ({spec.path})",
                hint="downgrade_floor takes the full id of one of the chain's revisions",
            )
        steps = _steps_from(data, root)
        migrations = data.get("revisions")
        floor = _floor_from(data.get("floor"), root)
    return ChainResult(
        name=spec.name,
        title=spec.title,
        kind=spec.kind.value,
        dialect=db.dialect,
        steps=steps,
        migrations=migrations,
        seconds=seconds,
        floor=floor,
    )


class _AlembicGate:
    """The Alembic chains of one ``gate`` run, with their configurations read."""

    def __init__(
        self,
        configs: dict[str, AlembicConfig],
        floors: dict[str, tuple[FloorCandidate, ...]],
    ) -> None:
        self.configs = configs
        self.floors = floors

    def run(self, job: GateJob) -> ChainResult:
        spec, db, root, _, stairway, timeout = job
        return run_chain(
            root=root,
            spec=spec,
            config=self.configs[spec.name],
            db=db,
            stairway=stairway,
            floors=self.floors[spec.name],
            timeout=timeout,
        )


def prepare(tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> _AlembicGate:
    """Read each chain's Alembic configuration and downgrade floor, and check that Alembic
    (and a PostgreSQL driver for --temp-postgres) is installed: all before a database starts."""
    configs = {s.name: find_alembic_config(tree, s) for s in specs}
    floors = {s.name: floor_candidates(tree, s, setup.config_source) for s in specs}
    require_modules(
        "alembic", "sqlalchemy", why="the gate runs Alembic chains with Alembic's own API"
    )
    if setup.temp_postgres and postgres_driver() is None:
        require_modules("psycopg2", why="Alembic chains reach PostgreSQL through psycopg2")
    return _AlembicGate(configs, floors)
