"""The demo's prevention step: a wave of agents, each in its own clone of one bare origin, all
running ``migration-guard new`` at the same moment as separate processes (what
``benchmarks/bench_wave.py`` measures with 50), then ``check`` on every agent's branch."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import migration_guard
from migration_guard import git


@dataclass(frozen=True)
class Agent:
    index: int
    clone: Path
    last_file: str  # what `ls versions/ | sort | tail -1` shows in this clone
    exit_code: int = -1
    created: tuple[str, ...] = ()
    error: str = ""
    check_code: int = -1
    check_summary: str = ""

    @property
    def number(self) -> str:
        return Path(self.created[0]).name.split("_", 1)[0] if self.created else "?"


def _clone(origin: Path, target: Path, index: int, versions: str) -> Agent:
    git.run_git("clone", "-q", str(origin), str(target), cwd=target.parent)
    for key, value in (("user.name", f"agent {index}"), ("user.email", f"a{index}@x.invalid")):
        git.run_git("config", key, value, cwd=target)
    git.run_git("checkout", "-q", "-b", f"agent-{index}", cwd=target)
    names = sorted(p.name for p in (target / versions).iterdir() if p.name[:1].isdigit())
    return Agent(index, target, names[-1] if names else "")


def _env() -> dict[str, str]:
    """The agents run this very package, installed or not (``PYTHONPATH`` put first)."""
    here = str(Path(migration_guard.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": here + (os.pathsep + path if path else "")}


def launch(origin: Path, folder: Path, *, chain: str, versions: str, agents: int) -> list[Agent]:
    """Clone ``origin`` once per agent, then start every ``new`` before waiting for any."""
    folder.mkdir(parents=True)
    crew = [_clone(origin, folder / f"agent-{i}", i, versions) for i in range(1, agents + 1)]
    env = _env()
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "migration_guard", "new", chain, f"agent_{a.index}_change"],
            cwd=a.clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in crew
    ]
    done = []
    for agent, proc in zip(crew, started, strict=True):
        out, err = proc.communicate()
        done.append(
            replace(agent, exit_code=proc.returncode, created=tuple(out.split()), error=err.strip())
        )
    return done


def check_all(crew: list[Agent], cli: Callable[[list[str]], int]) -> list[Agent]:
    """Commit and push every agent's branch, then run ``check`` in each clone against all the
    others (open changes read from the origin's branches: ``--provider git``)."""
    for agent in crew:
        git.run_git("add", "-A", cwd=agent.clone)
        git.run_git("commit", "-q", "-m", f"agent {agent.index}: add a migration", cwd=agent.clone)
        git.run_git("push", "-q", "origin", f"agent-{agent.index}", cwd=agent.clone)
    checked = []
    for agent in crew:
        git.run_git("fetch", "-q", "origin", cwd=agent.clone)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = cli(
                ["-C", str(agent.clone), "check", "--base-sha", "origin/main", "--provider", "git"]
            )
        lines = buffer.getvalue().strip().splitlines()
        checked.append(replace(agent, check_code=code, check_summary=lines[-1] if lines else ""))
    return checked
