"""``--format gitlab`` (Code Quality JSON) and ``--format junit`` on the demo monorepo: a
collision between two open branches, two heads merged on ``incident``, a sqitch plan that
sqitch refuses on ``bad-plan``."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from testing.cli import run

from migration_guard import ci_report, sample
from migration_guard.ci_report import Case, Issue

V = sample.CONSOLE_VERSIONS
PLAN = sample.QUEUE_PLAN
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def _git(repo: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _gitlab(out: str) -> list[dict[str, Any]]:
    """The report, with every field GitLab requires checked."""
    issues = json.loads(out)
    assert isinstance(issues, list)
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert isinstance(issue["description"], str) and issue["description"]
        assert issue["check_name"].startswith("migration-guard/")
        assert len(issue["fingerprint"]) == 32
        int(issue["fingerprint"], 16)
        assert issue["severity"] in SEVERITIES
        assert isinstance(issue["location"]["path"], str) and issue["location"]["path"]
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # GitLab keeps one per print
    return issues


def _junit(out: str) -> ET.Element:
    root = ET.fromstring(out.split("\n", 1)[1] if out.startswith("<?xml") else out)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    errors = [c for c in cases if c.find("error") is not None and c.find("failure") is None]
    for node in (root, suite):
        assert node.get("tests") == str(len(cases))
        assert node.get("failures") == str(len(failures))
        assert node.get("errors") == str(len(errors))
    return suite


def test_heads_with_two_heads(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(sample_repo, "checkout", "-q", "incident")
    code, out, _ = run(sample_repo, capsys, "heads", "--format", "gitlab")
    assert code == 1
    issues = _gitlab(out)
    heads = [i for i in issues if i["check_name"] == "migration-guard/MG102"]
    assert sorted(i["location"]["path"] for i in heads) == [
        f"{V}/0193_add_refund_audit.py",
        f"{V}/0193_promote_my_feature.py",
    ]
    assert {i["severity"] for i in issues} == {"major"}

    code, out, _ = run(sample_repo, capsys, "heads", "--format", "junit")
    assert code == 1
    suite = _junit(out)
    assert suite.get("name") == "migration-guard heads"
    verdicts = {c.get("name"): c.find("failure") for c in suite.findall("testcase")}
    assert set(verdicts) == {"console", "raptor"}
    assert verdicts["raptor"] is None
    failure = verdicts["console"]
    assert failure is not None and failure.get("type") == "MG102"
    assert f"{V}/0193_promote_my_feature.py" in (failure.text or "")


def test_lint_with_a_plan_sqitch_refuses(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(sample_repo, capsys, "lint", "--rev", "bad-plan", "--format", "gitlab")
    assert code == 1
    (issue,) = _gitlab(out)
    assert issue["check_name"] == "migration-guard/MG201"
    assert issue["location"] == {"path": PLAN, "lines": {"begin": 12}}
    assert issue["description"].startswith("Invalid name")

    code, out, _ = run(sample_repo, capsys, "lint", "--rev", "bad-plan", "--format", "junit")
    assert code == 1
    suite = _junit(out)
    assert [c.get("name") for c in suite.findall("testcase")] == ["console", "raptor", "queue"]
    assert [c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None] == [
        "queue"
    ]


def test_check_with_a_collision(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(sample_repo, "checkout", "-q", "pr-3322")
    code, out, _ = run(sample_repo, capsys, "check", "--provider", "git", "--format", "gitlab")
    assert code == 1
    (issue,) = _gitlab(out)
    assert issue["check_name"] == "migration-guard/collision/number"
    assert issue["severity"] == "critical"
    assert issue["location"]["path"] == f"{V}/0193_add_refund_audit.py"
    assert "--to 0194" in issue["description"]

    code, out, _ = run(sample_repo, capsys, "check", "--provider", "git", "--format", "junit")
    assert code == 1
    suite = _junit(out)
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        f"[console] 0193 {V}/0193_add_refund_audit.py",
        "open changes via git",
    ]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "collision/number"
    assert cases[1].find("failure") is None and cases[1].find("error") is None


def test_nothing_found_is_an_empty_valid_report(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("heads", "lint", "chains"):
        code, out, _ = run(sample_repo, capsys, command, "--format", "gitlab")
        assert (code, json.loads(out)) == (0, [])
        code, out, _ = run(sample_repo, capsys, command, "--format", "junit")
        assert code == 0
        suite = _junit(out)
        assert suite.get("failures") == "0" and int(suite.get("tests") or 0) >= 2
    code, out, _ = run(sample_repo, capsys, "check", "--provider", "none", "--format", "gitlab")
    assert (code, json.loads(out)) == (0, [])


def test_could_not_decide_is_a_blocker_never_a_clean_report(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 3 with a result: a blocker issue (GitLab) and an <error> (JUnit)."""
    _git(sample_repo, "checkout", "-q", "-b", "pr-9", "main")
    (sample_repo / V / "0193_mine.py").write_text(
        sample.alembic_script("0193", "0192", "mine", table="t_mine")
    )
    _git(sample_repo, "add", "-A")
    _git(sample_repo, "commit", "-q", "-m", "mine")
    _git(sample_repo, "branch", "-D", "pr-3277", "pr-3322")
    _git(sample_repo, "update-ref", "-d", "refs/remotes/origin/pr-3277")
    _git(sample_repo, "update-ref", "-d", "refs/remotes/origin/pr-3322")
    # The reservations cannot be read: the verdict is incomplete.
    shutil.rmtree(sample_repo.parent / "origin.git")
    code, out, _ = run(sample_repo, capsys, "check", "--provider", "git", "--format", "gitlab")
    assert code == 3
    (issue,) = _gitlab(out)
    assert issue["severity"] == "blocker"
    assert issue["check_name"] == "migration-guard/undecided"
    assert "reservations" in issue["description"]

    code, out, _ = run(sample_repo, capsys, "check", "--provider", "git", "--format", "junit")
    assert code == 3
    suite = _junit(out)
    assert suite.get("errors") == "1" and suite.get("failures") == "0"


def test_a_failure_before_any_result_prints_nothing_on_stdout(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("gitlab", "junit"):
        code, out, err = run(sample_repo, capsys, "heads", "--chain", "nope", "--format", fmt)
        assert (code, out) == (2, "")
        assert "error:" in err
        code, out, err = run(
            sample_repo, capsys, "check", "--base-sha", "no-such-ref", "--format", fmt
        )
        assert code == 3 and out == ""
        assert "error:" in err


def test_fingerprints_are_stable_across_runs_and_unrelated_changes(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _git(sample_repo, "checkout", "-q", "incident")
    _, first, _ = run(sample_repo, capsys, "heads", "--format", "gitlab")
    _, again, _ = run(sample_repo, capsys, "heads", "--format", "gitlab")
    assert again == first
    # Unrelated edits: lines added above the findings, another chain changed.
    path = sample_repo / V / "0193_promote_my_feature.py"
    path.write_text("# a comment\n# and another\n" + path.read_text())
    (sample_repo / "README.md").write_text("changed\n")
    _, later, _ = run(sample_repo, capsys, "heads", "--format", "gitlab")

    def prints(out: str) -> dict[str, tuple[str, str]]:
        return {i["fingerprint"]: (i["check_name"], i["location"]["path"]) for i in _gitlab(out)}

    lines = {i["location"]["lines"]["begin"] for i in _gitlab(later)}
    assert lines != {i["location"]["lines"]["begin"] for i in _gitlab(first)}
    assert prints(later) == prints(first)


def test_the_fingerprint_ignores_the_wording() -> None:
    def fingerprint(description: str, line: int) -> str:
        issue = Issue("MG102", description, "major", "v/1.py", line, key=("console",))
        return str(
            json.loads(ci_report.gitlab([Case("heads", "console", (issue,))]))[0]["fingerprint"]
        )

    assert fingerprint("head is one of 2 heads", 3) == fingerprint("reworded", 40)
    other = Issue("MG102", "x", "major", "v/2.py", 3, key=("console",))
    assert json.loads(ci_report.gitlab([Case("heads", "console", (other,))]))[0][
        "fingerprint"
    ] != fingerprint("x", 3)


def test_file_names_from_a_pr_are_escaped_and_never_run(
    sample_repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A PR's file name with markup, quotes, a command substitution and a control character:
    the XML still parses, holds the name, and nothing was executed."""
    name = '0193_a<b>&"c"$(touch pwned)`touch pwned`\x1b[31m.py'
    _git(sample_repo, "checkout", "-q", "-b", "evil", "main")
    (sample_repo / V / name).write_text(sample.alembic_script("0193", "0192", "evil", table="t"))
    _git(sample_repo, "add", "-A")
    _git(sample_repo, "commit", "-q", "-m", "evil")
    code, out, _ = run(sample_repo, capsys, "check", "--provider", "git", "--format", "junit")
    assert code == 1
    suite = _junit(out)
    names = [c.get("name") or "" for c in suite.findall("testcase")]
    expected = f'[console] 0193 {V}/0193_a<b>&"c"$(touch pwned)`touch pwned`\\u001b[31m.py'
    assert names[0] == expected
    assert "\x1b" not in out
    code, out, _ = run(sample_repo, capsys, "check", "--provider", "git", "--format", "gitlab")
    assert code == 1
    assert any(i["location"]["path"] == f"{V}/{name}" for i in _gitlab(out))
    assert not any((where / "pwned").exists() for where in (sample_repo, Path.cwd(), tmp_path))


def test_heads_that_cannot_be_decided_is_a_blocker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """neutron's computed branch labels: heads exits 3, and the report says so."""
    repo = tmp_path / "neutron"
    shutil.copytree(Path(__file__).parent / "data" / "real_shapes" / "neutron", repo)
    code, out, _ = run(repo, capsys, "heads", "--format", "gitlab")
    assert code == 3
    issues = _gitlab(out)
    blockers = [i for i in issues if i["severity"] == "blocker"]
    assert [i["check_name"] for i in blockers] == ["migration-guard/undecided"]
    assert "cannot tell which branch heads" in blockers[0]["description"]
    assert {i["severity"] for i in issues} == {"blocker", "minor"}  # + the MG120 warnings
    code, out, _ = run(repo, capsys, "heads", "--format", "junit")
    assert code == 3
    suite = _junit(out)
    assert (suite.get("failures"), suite.get("errors")) == ("0", "1")
    (case,) = suite.findall("testcase")
    assert case.find("error") is not None
    assert "MG120 warning" in (case.findtext("system-out") or "")
