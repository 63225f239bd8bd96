"""The Django round trip: ``migrate <app>``, ``migrate <app> zero``, ``migrate <app>`` again.

Runs real Django in a child process (migration-guard itself never imports a migration): the
project's settings module, with its default database replaced by a SQLite file the caller
chooses (a two-line settings module in a temporary folder: ``from <settings> import *``,
then ``DATABASES``), ``PYTHONPATH`` the repository root, and one deadline for the three steps.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from migration_guard.chains.kind import GateJob, GateSetup
from migration_guard.errors import ConfigError, UsageError
from migration_guard.model import ChainSpec

if TYPE_CHECKING:
    from migration_guard.databases.roundtrip import ChainResult
    from migration_guard.tree import Tree

__all__ = ["GateResult", "GateStep", "run_round_trip"]

_WRAPPER = "migration_guard_gate_settings"


class GateStep(NamedTuple):
    """One ``migrate`` run: its arguments, exit status (None: timed out) and output."""

    name: str  # "forward", "zero", "forward again"
    args: tuple[str, ...]
    returncode: int | None
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class GateResult(NamedTuple):
    steps: tuple[GateStep, ...]

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps) and len(self.steps) == 3

    @property
    def failed(self) -> GateStep | None:
        """The step that failed (the round trip stops there), or None."""
        return next((s for s in self.steps if not s.ok), None)


def run_round_trip(
    root: Path,
    app: str,
    settings: str,
    database: Path,
    *,
    timeout: float = 300.0,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
) -> GateResult:
    """Migrate ``app`` forward, to zero and forward again on the SQLite file ``database``.

    ``settings`` is the project's settings module (``ChainSpec.settings``, e.g.
    ``mysite.settings``), importable from ``root``. ``timeout`` (seconds) is for the three
    steps together; a step past it is killed and reported with ``returncode`` None. The
    result says which step failed, with its output (stdout and stderr together).
    """
    deadline = time.monotonic() + timeout
    steps: list[GateStep] = []
    with tempfile.TemporaryDirectory(prefix="mg-django-gate-") as folder:
        Path(folder, _WRAPPER + ".py").write_text(
            f"from {settings} import *  # noqa: F403\n"
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
            f"'NAME': {str(database)!r}}}}}\n"
        )
        child_env = dict(os.environ if env is None else env)
        paths = [folder, str(root)]
        if child_env.get("PYTHONPATH"):
            paths.append(child_env["PYTHONPATH"])
        child_env["PYTHONPATH"] = os.pathsep.join(paths)
        child_env["DJANGO_SETTINGS_MODULE"] = _WRAPPER
        plan: Sequence[tuple[str, tuple[str, ...]]] = (
            ("forward", ("migrate", app)),
            ("zero", ("migrate", app, "zero")),
            ("forward again", ("migrate", app)),
        )
        for name, args in plan:
            step = _run(
                name,
                (python, "-m", "django", *args, "--noinput"),
                root,
                child_env,
                deadline - time.monotonic(),
            )
            steps.append(step)
            if not step.ok:
                break
    return GateResult(tuple(steps))


def _run(
    name: str, argv: tuple[str, ...], root: Path, env: Mapping[str, str], remaining: float
) -> GateStep:
    args = argv[3:]
    if remaining <= 0:
        return GateStep(name, args, None, "not run: the gate's time limit was reached")
    try:
        done = subprocess.run(
            argv,
            cwd=root,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=remaining,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.output or b""
        text = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
        return GateStep(name, args, None, text + "\n(killed after the gate's time limit)")
    except OSError as exc:
        return GateStep(name, args, 127, f"cannot run {argv[0]}: {exc}")
    return GateStep(name, args, done.returncode, done.stdout.decode("utf-8", "replace"))


def _error_line(output: str) -> str:
    """The line that says what went wrong: Django ends a failure with the exception."""
    from migration_guard.databases.roundtrip import first_line

    lines = [line for line in output.splitlines() if line.strip()]
    return first_line(lines[-1]) if lines else "no output"


class _DjangoGate:
    """The Django apps of one ``gate`` run; each runs in its own ``python -m django``."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def run(self, job: GateJob) -> ChainResult:
        spec, db, root, tree, _, timeout = job  # (no stairway: Django migrates by app)
        from migration_guard.chains.django.reader import app_label, read_chain
        from migration_guard.databases.roundtrip import ChainResult, StepResult
        from migration_guard.databases.targets import sqlite_file

        assert spec.settings is not None  # (checked by prepare)
        start = time.monotonic()
        database = sqlite_file(db.url)
        result = run_round_trip(
            root,
            app_label(spec),
            spec.settings,
            Path(database),
            timeout=timeout if timeout else 10**9,
        )
        steps = tuple(
            StepResult(step.name, True)
            if step.ok
            else StepResult(
                step.name,
                False,
                error="timed out" if step.returncode is None else _error_line(step.output),
                detail=step.output,
            )
            for step in result.steps
        )
        return ChainResult(
            spec.name,
            spec.title,
            spec.kind.value,
            self.dialect,
            steps,
            migrations=len(read_chain(tree, spec).migrations),
            seconds=time.monotonic() - start,
        )


def prepare(tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> _DjangoGate:
    """Each app needs its settings module (``settings`` in the configuration), SQLite, and
    Django installed where the gate runs: all checked before a database starts."""
    from migration_guard.databases.targets import require_modules

    missing = [s.name for s in specs if not s.settings]
    if missing:
        raise ConfigError(
            f"gate runs Django's migrate, which needs the project's settings module; chain "
            f"{missing[0]!r} names none",
            hint='add settings = "mysite.settings" to the chain in migration-guard.toml',
        )
    if setup.dialect != "sqlite":
        raise UsageError(
            f"gate runs django chains on SQLite only yet, not on {setup.dialect}",
            hint="leave out --database-url (a temporary SQLite file is used), or pass "
            "--chain to gate the other chains",
        )
    require_modules("django", why="the gate runs Django chains with Django's own migrate")
    return _DjangoGate(setup.dialect)
