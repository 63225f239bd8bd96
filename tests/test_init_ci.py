"""The CI files ``init --ci`` writes, parsed as YAML (as GitHub and GitLab read them), and
docs/ci.md showing exactly those files; ``gate --if-changed``, the gate job's fast exit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from testing.cli import run
from testing.gitrepo import GitRepo
from testing.runbook import RUNBOOK_INIT, runbook_layout

from migration_guard import project, sample
from migration_guard.commands.init import ci_plan
from migration_guard.config import load_config
from migration_guard.scaffold import ci
from migration_guard.tree import WorkTree

DOCS = Path(__file__).resolve().parents[1] / "docs"
JOBS = {"migration-collision-check", "alembic-heads-gate", "migration-gate"}


def runbook_plan(tmp_path: Path) -> ci.CiPlan:
    """What the runbook's chains (two Alembic, one sqitch) ask of CI."""
    root = tmp_path / "runbook"
    sample.write_sample_repo(root)
    return ci_plan(load_config(root, WorkTree(root)).chains)


def _steps(job: dict[str, Any]) -> list[str]:
    return [" ".join(str(step.get("run", "")).split()) for step in job["steps"]]


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    triggers: dict[str, Any] = workflow["on"] if "on" in workflow else workflow[True]
    return triggers  # (YAML 1.1 reads the key `on` as True)


def test_the_github_workflow(tmp_path: Path) -> None:
    plan = runbook_plan(tmp_path)
    text = ci.github_workflow(plan)
    workflow = yaml.safe_load(text)

    triggers = _triggers(workflow)
    assert set(triggers) == {"pull_request", "merge_group"}
    assert all(not value or "paths" not in value for value in triggers.values())
    assert not re.search(r"^\s*paths:", text, re.M)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in workflow["concurrency"]["group"]

    jobs = workflow["jobs"]
    assert set(jobs) == JOBS
    check = jobs["migration-collision-check"]
    assert check["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert [j for j, job in jobs.items() if "pull-requests" in job.get("permissions", {})] == [
        "migration-collision-check"
    ]
    assert check["steps"][0]["uses"].startswith("actions/checkout@")
    assert check["steps"][0]["with"]["fetch-depth"] == 0
    assert jobs["migration-gate"]["steps"][0]["with"]["fetch-depth"] == 0

    install = f'pip install "{project.pip_requirement()}"'
    assert install in _steps(check)
    assert install in _steps(jobs["alembic-heads-gate"])
    assert f'pip install "{project.pip_requirement(extras="gate")}"' in _steps(
        jobs["migration-gate"]
    )
    assert not re.search(r"pip install ['\"]?migration-guard(\[gate\])?['\"]?\s*$", text, re.M)

    (command,) = [s for s in _steps(check) if s.startswith("migration-guard check")]
    assert command == (
        "migration-guard check --format github "
        "${{ github.event_name == 'pull_request' && '--post-comment' || '' }}"
    )
    assert check["steps"][-1]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert _steps(jobs["alembic-heads-gate"])[-2:] == [
        "migration-guard heads",
        "migration-guard lint",
    ]
    gate = _steps(jobs["migration-gate"])
    assert gate[-1] == "migration-guard gate --if-changed --temp-postgres"
    assert any("sqitch libdbd-pg-perl" in step for step in gate)


def test_the_workflow_follows_the_chains() -> None:
    """No graph chain: no heads step. A chain gate cannot run: the others are named. None
    it can run: no gate job."""
    only_plans = ci.CiPlan(heads=False, gated=("queue",), all_gated=True, system_packages=())
    jobs = yaml.safe_load(ci.github_workflow(only_plans))["jobs"]
    assert "migration-guard heads" not in _steps(jobs["alembic-heads-gate"])
    assert "migration-guard lint" in _steps(jobs["alembic-heads-gate"])
    assert not any("apt-get" in step for step in _steps(jobs["migration-gate"]))

    some = ci.CiPlan(heads=True, gated=("console",), all_gated=False, system_packages=())
    jobs = yaml.safe_load(ci.github_workflow(some))["jobs"]
    assert _steps(jobs["migration-gate"])[-1].endswith("--temp-postgres --chain console")

    none = ci.CiPlan(heads=False, gated=(), all_gated=False, system_packages=())
    assert set(yaml.safe_load(ci.github_workflow(none))["jobs"]) == JOBS - {"migration-gate"}
    assert set(yaml.safe_load(ci.gitlab_include(none))) == {
        ".migration-guard",
        "migration-collision-check",
        "alembic-heads-gate",
    }


def test_the_gitlab_jobs(tmp_path: Path) -> None:
    plan = runbook_plan(tmp_path)
    jobs = yaml.safe_load(ci.gitlab_include(plan))
    assert set(jobs) == {".migration-guard", *JOBS}
    base = jobs[".migration-guard"]
    assert base["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert base["variables"]["GIT_DEPTH"] == 0
    assert base["before_script"] == [f'pip install "{project.pip_requirement()}"']
    for name in JOBS:
        assert jobs[name]["extends"] == ".migration-guard"
    assert jobs["migration-collision-check"]["script"] == [
        "migration-guard check ${GITLAB_TOKEN:+--post-comment}"
    ]
    heads = jobs["alembic-heads-gate"]
    assert heads["script"][0] == (
        "migration-guard lint --format gitlab > gl-code-quality-report.json || true"
    )
    assert heads["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert heads["artifacts"]["when"] == "always"
    gate = jobs["migration-gate"]
    assert gate["services"] == [{"name": "postgres:16", "alias": "postgres"}]
    assert gate["script"] == [
        "migration-guard gate --if-changed --database-url "
        "postgresql://postgres:postgres@postgres:5432/postgres"
    ]
    assert f'pip install "{project.pip_requirement(extras="gate")}"' in gate["before_script"]
    assert yaml.safe_load(ci.gitlab_ci()) == {"include": [{"local": ci.GITLAB_INCLUDE}]}


def test_docs_ci_shows_the_files_init_writes(tmp_path: Path) -> None:
    """docs/ci.md's workflows are exactly what `init` writes for the runbook's chains."""
    blocks = re.findall(r"^```yaml\n(.*?)^```$", (DOCS / "ci.md").read_text(), re.M | re.S)
    plan = runbook_plan(tmp_path)
    assert ci.github_workflow(plan) in blocks
    assert ci.gitlab_include(plan) in blocks
    assert ci.gitlab_ci() in blocks
    for block in blocks:
        assert not re.search(r"^\s*paths:", block, re.M)
        assert not re.search(r"pip install ['\"]?migration-guard(\[gate\])?['\"]?\s*$", block, re.M)


def test_init_writes_the_workflow_of_the_repositorys_chains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path / "repo")
    code, _, _ = run(repo, capsys, *RUNBOOK_INIT)
    assert code == 0
    written = (repo.path / ci.GITHUB_WORKFLOW).read_text()
    assert written == ci.github_workflow(runbook_plan(tmp_path))


# --- gate --if-changed ------------------------------------------------------------------------


def _branch(repo: GitRepo, name: str, path: str, text: str) -> None:
    repo.git("checkout", "-q", "-b", name, "main")
    repo.write(path, text)
    repo.commit_all(f"{name}: {path}")


def test_gate_if_changed_ends_at_once_when_no_chain_is_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    _branch(repo, "docs", "README.md", "# docs only\n")
    code, out, err = run(repo, capsys, "gate", "--if-changed")
    assert (code, out, err) == (0, "no migrations touched: OK\n", "")
    code, out, _ = run(
        repo, capsys, "gate", "--if-changed", "--base-sha", "main", "--format", "json"
    )
    assert code == 0 and '"touched": false' in out
    code, _, err = run(repo, capsys, "gate", "--base-sha", "main")
    assert code == 2 and "--base-sha is for --if-changed" in err
    # An uncommitted migration counts (a local run sees the working tree).
    repo.write(f"{sample.RAPTOR_VERSIONS}/0058_x.py", "revision = '0058'\n")
    code, out, err = run(repo, capsys, "gate", "--if-changed", "--database-url", "nonsense")
    assert code == 2 and "no migrations touched" not in out
    assert "is not a database URL" in err  # it went on to the gate itself


@pytest.mark.slow
def test_gate_if_changed_runs_the_gate_when_a_chain_is_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    _branch(
        repo,
        "feature",
        f"{sample.RAPTOR_VERSIONS}/0058_add_raptor_flags.py",
        sample.alembic_script("0058", "0057", "add_raptor_flags", table="raptor_flags"),
    )
    code, out, err = run(repo, capsys, "gate", "--if-changed", "--chain", "backend_v2")
    assert code == 0, err
    assert "no migrations touched" not in out
    assert out.splitlines()[0].startswith("Database: ")
    assert out.splitlines()[-1] == "gate: 1 chain round-tripped. OK."
