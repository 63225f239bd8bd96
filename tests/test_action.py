"""The composite GitHub Action (action.yml): its steps executed locally with bash, inputs
substituted by a test-only evaluator, against the runbook's sample monorepo."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from testing.composite_action import load, run_action
from testing.gitrepo import git
from testing.project_copy import ROOT, copy_project, project_repository

from migration_guard import __version__
from migration_guard.project import REPOSITORY_URL, pip_requirement, release_tag

ACTION = load(ROOT / "action.yml")
STEPS = ACTION["runs"]["steps"]
TOKEN = "ghp_action0test0token0never0printed0123"


def _pwned(base: Path) -> list[Path]:
    return sorted(base.rglob("pwned*"))


def test_inputs_and_their_defaults() -> None:
    inputs = ACTION["inputs"]
    assert set(inputs) == {
        "command",
        "args",
        "version",
        "extras",
        "token",
        "python-version",
        "working-directory",
    }
    assert inputs["command"]["default"] == "check"
    assert inputs["args"]["default"] == ""
    assert inputs["version"]["default"] == ""
    assert inputs["token"]["default"] == "${{ github.token }}"
    assert not any(spec.get("required") for spec in inputs.values())


def test_no_input_is_ever_part_of_a_script() -> None:
    """Script injection: expressions only in env/with/if, never inside run."""
    runs = [step for step in STEPS if "run" in step]
    assert len(runs) == 3
    for step in runs:
        assert "${{" not in step["run"], step["name"]
        assert step["shell"] == "bash"
    # The token reaches only the step that runs the tool, as GITHUB_TOKEN.
    holders = [s["name"] for s in STEPS if "inputs.token" in json.dumps(s.get("env", {}))]
    assert holders == [STEPS[-1]["name"]]
    assert STEPS[-1]["env"]["GITHUB_TOKEN"] == "${{ inputs.token }}"


def test_python_is_set_up_only_when_needed_or_asked() -> None:
    (setup,) = [s for s in STEPS if "uses" in s]
    assert setup["uses"] == "actions/setup-python@v5"
    assert setup["if"] == "steps.python.outputs.setup == 'true'"
    assert setup["with"]["python-version"] == "${{ inputs.python-version || '3.12' }}"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the runner's python3 decides")
def test_bad_version_or_extras_stop_before_anything_is_installed(
    tmp_path: Path, sample_repo: Path
) -> None:
    action = copy_project(tmp_path / "action")
    for inputs, message in (
        ({"version": "0.1.0; touch pwned"}, "input 'version' must be a release"),
        ({"version": "$(touch pwned)"}, "input 'version' must be a release"),
        ({"extras": "gate]; touch pwned"}, "input 'extras' may hold"),
    ):
        run = run_action(action, inputs=inputs, workspace=sample_repo, runner_temp=tmp_path / "rt")
        assert run.returncode == 2, run.steps
        assert run.last.name == "Install migration-guard"
        assert message in run.last.stdout
    assert _pwned(tmp_path) == []
    assert not (tmp_path / "rt" / "migration-guard-venv").exists()


@pytest.mark.slow
def test_action_installs_its_checkout_and_runs_the_command(
    tmp_path: Path, sample_repo: Path
) -> None:
    action = copy_project(tmp_path / "action")
    runner = tmp_path / "runner"

    def act(**inputs: str) -> tuple[int, str, str, list[str]]:
        run = run_action(
            action, inputs=inputs, workspace=sample_repo, runner_temp=runner, token=TOKEN
        )
        for step in run.steps:
            assert TOKEN not in step.stdout + step.stderr
        return run.returncode, run.last.stdout, run.last.stderr, [s.stdout for s in run.steps]

    # The defaults: the action's own checkout installed, then `heads` on main.
    code, out, _, logs = act(command="heads")
    assert code == 0, logs
    assert out.splitlines()[0] == "Console: OK (exactly 1 head)"
    install = logs[1]
    assert f"migration-guard: installing {action}\n" in install
    assert install.endswith(f"migration-guard {__version__}\n")

    # Args split as words, quotes honoured; the venv is reused.
    code, out, _, logs = act(command="heads", args="--rev 'incident' --console-only")
    assert code == 1
    assert out.splitlines()[0] == "Console: FAIL (2 heads)"
    assert "already installed" in logs[1]

    # working-directory is the repository the tool runs in.
    elsewhere = run_action(
        action,
        inputs={"command": "heads", "working-directory": sample_repo.name},
        workspace=sample_repo.parent,
        runner_temp=runner,
    )
    assert elsewhere.returncode == 0, elsewhere.steps
    assert elsewhere.last.stdout.splitlines()[0] == "Console: OK (exactly 1 head)"

    # Nothing in args or command is ever evaluated by a shell.
    hostile = "$(touch pwned1) `touch pwned2`; touch pwned3 && touch pwned4 | touch pwned5"
    code, out, err, _ = act(command="heads", args=hostile)
    assert code == 2
    assert "unrecognized arguments: $(touch pwned1) `touch pwned2`; touch pwned3" in err
    code, out, _, _ = act(command="heads; touch pwned6")
    assert code == 2
    assert "input 'command' must be one command name" in out
    code, out, _, _ = act(command="heads", args="--rev 'incident")
    assert code == 2
    assert "input 'args' could not be split" in out
    assert _pwned(tmp_path) == []

    # check with the token: it runs, and the token shows nowhere (asserted in act).
    code, out, _, _ = act(command="check", args="--provider git --base-sha origin/main")
    assert code == 0, out


@pytest.mark.slow
def test_action_installs_a_release_tag_from_the_repository(
    tmp_path: Path, sample_repo: Path
) -> None:
    """`version` installs project.pip_requirement's git URL at the release tag; the
    repository address is pointed at a local copy with git's insteadOf (no network)."""
    upstream, _ = project_repository(tmp_path / "upstream")
    git(upstream, "tag", release_tag())
    git(tmp_path, "config", "--global", f"url.{upstream}.insteadOf", REPOSITORY_URL)
    action = copy_project(tmp_path / "action")

    run = run_action(
        action,
        inputs={"command": "heads", "version": release_tag()},
        workspace=sample_repo,
        runner_temp=tmp_path / "runner",
    )
    assert run.returncode == 0, run.steps
    assert f"migration-guard: installing {pip_requirement()}\n" in run.steps[1].stdout
    assert run.last.stdout.splitlines()[0] == "Console: OK (exactly 1 head)"
    (direct_url,) = (tmp_path / "runner" / "migration-guard-venv").glob(
        "lib/python3*/site-packages/migration_guard-*.dist-info/direct_url.json"
    )
    origin = json.loads(direct_url.read_text())
    assert origin["url"] == REPOSITORY_URL
    assert origin["vcs_info"]["vcs"] == "git"
    assert origin["vcs_info"]["requested_revision"] == release_tag()


def test_the_documented_workflow_uses_only_declared_inputs() -> None:
    text = (ROOT / "docs" / "github-action.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on".
    assert set(workflow[True]) == {"pull_request", "merge_group"}
    uses = [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("migration-guard/migration-guard@")
    ]
    assert len(uses) >= 4
    for step in uses:
        assert step["uses"] == f"migration-guard/migration-guard@{release_tag()}"
        assert set(step["with"]) <= set(ACTION["inputs"])
    assert REPOSITORY_URL.endswith("/migration-guard/migration-guard")
