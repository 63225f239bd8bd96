"""Run a composite GitHub Action's steps locally, the way the runner does, for tests.

A tiny evaluator for the expressions the action uses (``inputs.x``, ``github.x``,
``steps.id.outputs.key``, ``a || 'b'``, ``a == 'b'``) and nothing else: an expression it does
not know fails the test, so the action cannot grow one the tests would silently skip.
``run:`` steps are executed as ``shell: bash`` is (``bash --noprofile --norc -eo pipefail``
on a script file); ``uses:`` steps cannot run here, and running into one that is not skipped
fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class ActionRun:
    steps: list[StepRun] = field(default_factory=list)
    path_additions: list[str] = field(default_factory=list)

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode if self.steps else 0

    @property
    def last(self) -> StepRun:
        return self.steps[-1]


def load(action_yml: Path) -> dict[str, Any]:
    data = yaml.safe_load(action_yml.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


class Context:
    """What expressions may read: inputs (with the action's defaults), github, steps."""

    def __init__(self, action: dict[str, Any], inputs: dict[str, str], github: dict[str, str]):
        self.github = github
        self.steps: dict[str, dict[str, str]] = {}
        declared = action["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs the action does not declare: {sorted(unknown)}"
        self.inputs = {
            name: inputs.get(name, self.expand(str(spec.get("default", ""))))
            for name, spec in declared.items()
        }

    def value(self, expr: str) -> str:
        expr = expr.strip()
        if " || " in expr:
            left, right = expr.split(" || ", 1)
            return self.value(left) or self.value(right)
        if " == " in expr:
            left, right = expr.split(" == ", 1)
            return "true" if self.value(left) == self.value(right) else ""
        if m := re.fullmatch(r"'([^']*)'", expr):
            return m.group(1)
        if m := re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr):
            return self.inputs[m.group(1)]
        if m := re.fullmatch(r"github\.([a-z_]+)", expr):
            return self.github[m.group(1)]
        if m := re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expr):
            return self.steps.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"expression the test evaluator does not know: {expr!r}")

    def expand(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, text: str) -> bool:
        inner = _EXPR.fullmatch(text.strip())
        return bool(self.value(inner.group(1) if inner else text))


def _read_outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_action(
    action_dir: Path,
    *,
    inputs: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    env: dict[str, str] | None = None,
    token: str = "",
) -> ActionRun:
    """Execute the action in ``action_dir`` with ``inputs`` in ``workspace``; stops at the
    first failing step, as the runner does."""
    action = load(action_dir / "action.yml")
    assert action["runs"]["using"] == "composite"
    github = {"action_path": str(action_dir), "token": token, "workspace": str(workspace)}
    ctx = Context(action, inputs, github)
    result = ActionRun()
    runner_temp.mkdir(parents=True, exist_ok=True)
    for index, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not ctx.condition(str(step["if"])):
            continue
        assert "run" in step, f"step {step.get('name')!r} uses {step.get('uses')}: cannot run here"
        assert step.get("shell") == "bash"
        script = runner_temp / f"step{index}.sh"
        script.write_text(str(step["run"]), encoding="utf-8")
        outputs = runner_temp / f"step{index}.out"
        outputs.write_text("")
        path_file = runner_temp / f"step{index}.path"
        path_file.write_text("")
        step_env = {
            **os.environ,
            **(env or {}),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_PATH": str(path_file),
            **{k: ctx.expand(str(v)) for k, v in (step.get("env") or {}).items()},
        }
        if result.path_additions:
            step_env["PATH"] = os.pathsep.join([*result.path_additions, step_env["PATH"]])
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            check=False,
        )
        result.steps.append(
            StepRun(
                ctx.expand(str(step.get("name", ""))), proc.returncode, proc.stdout, proc.stderr
            )
        )
        if proc.returncode != 0:
            break
        if "id" in step:
            ctx.steps[step["id"]] = _read_outputs(outputs)
        result.path_additions[:0] = path_file.read_text(encoding="utf-8").split()
    return result
