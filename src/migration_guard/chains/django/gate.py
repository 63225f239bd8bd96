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
from typing import NamedTuple

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
