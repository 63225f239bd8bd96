"""This repository's own CI and release workflows: parsed, and their shell steps that need no
GitHub (tag vs version, release notes) executed with bash."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from testing.project_copy import ROOT

from migration_guard import __version__
from migration_guard.project import release_tag

WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    assert isinstance(step, dict)
    return step


def _bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert "${{" not in script  # expressions reach scripts through env only
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_ci_runs_the_readme_test_command_on_every_supported_python() -> None:
    ci = _workflow("ci.yml")
    assert set(ci[True]) == {"push", "pull_request", "merge_group"}  # YAML 1.1 reads `on` as True
    assert ci["permissions"] == {"contents": "read"}
    test = ci["jobs"]["test"]
    assert test["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13", "3.14"]
    assert [s["run"] for s in test["steps"] if "run" in s] == ["bash scripts/test"]


def test_release_builds_checks_and_smoke_tests_the_wheel() -> None:
    release = _workflow("release.yml")
    assert release[True] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "read"}
    build = release["jobs"]["build"]
    scripts = "\n".join(s.get("run", "") for s in build["steps"])
    for needed in (
        "python -m build",
        "python -m twine check --strict dist/*",
        "dist-info/licenses/LICENSE",
        '"$RUNNER_TEMP/smoke/bin/migration-guard" --version',
        '"$RUNNER_TEMP/smoke/bin/migration-guard" demo',
    ):
        assert needed in scripts
    assert [s["uses"] for s in build["steps"] if "uses" in s][-1] == "actions/upload-artifact@v4"
    # Only the job that publishes may write.
    assert release["jobs"]["github-release"]["permissions"] == {"contents": "write"}


def test_release_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    step = _step(_workflow("release.yml")["jobs"]["build"], "The tag names the package's version")
    assert step["env"] == {"TAG": "${{ github.ref_name }}"}
    ok = _bash(step["run"].replace("python ", "python3 "), ROOT, TAG=release_tag())
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = _bash(step["run"].replace("python ", "python3 "), ROOT, TAG="v9.9.9")
    assert bad.returncode == 1
    assert f"tag v9.9.9 does not match the version in pyproject.toml ({__version__})" in bad.stdout


def test_release_notes_are_this_versions_changelog_section(tmp_path: Path) -> None:
    step = _step(
        _workflow("release.yml")["jobs"]["github-release"], "Release notes from CHANGELOG.md"
    )
    ran = _bash(step["run"], ROOT, TAG=release_tag(), RUNNER_TEMP=str(tmp_path))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    notes = (tmp_path / "notes.md").read_text(encoding="utf-8")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert notes.strip() and notes.strip() in changelog
    assert "### Added" in notes
    assert "## [" not in notes and "[Unreleased]" not in notes
    missing = _bash(step["run"], ROOT, TAG="v9.9.9", RUNNER_TEMP=str(tmp_path))
    assert missing.returncode == 1
    assert "CHANGELOG.md has no section for 9.9.9" in missing.stdout
