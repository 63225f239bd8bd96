"""The README's first command: ``migration-guard demo`` must work and explain every step."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from migration_guard.cli import main

pytestmark = pytest.mark.slow


def _section(out: str, title: str) -> str:
    """The text of the step whose title contains ``title``, up to the next step."""
    match = re.search(rf"^Step \d+/\d+: [^\n]*{re.escape(title)}.*?(?=^Step |\Z)", out, re.M | re.S)
    assert match, f"no step titled {title!r} in the demo's output"
    return match.group(0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One demo run (about 15 s) for the tests below: the kept folder and what it printed."""
    keep = tmp_path_factory.mktemp("demo") / "kept"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["demo", "--keep", str(keep)])
    assert code == 0, buffer.getvalue()
    return keep, buffer.getvalue()


def test_demo_runs_every_step_as_expected(demo: tuple[Path, str]) -> None:
    keep, out = demo
    assert out.rstrip().endswith("demo: every step behaved as expected. OK.")
    for command in ("chains", "heads", "lint", "check", "next", "renumber", "recover", "gate"):
        assert f"$ migration-guard {command}" in out
    assert "EXPECTED" not in out
    assert (keep / "monorepo" / "migration-guard.toml").is_file()
    # A few lines the README quotes: the collision, the next number, the incident, the repair.
    guard = _section(out, "The CI guard on PR #3322")
    assert "COLLISION [console] 0193" in guard
    assert "fix: migration-guard renumber" in guard and "--to 0194" in guard
    assert re.search(r"^    0195$", _section(out, "Pick the next free number"), re.M)
    assert "Console: FAIL (2 heads)" in _section(out, "The incident")
    assert "0193_add_refund_audit.py landed second (PR #3322" in _section(out, "landed second")


C = "console/migrations/versions"
R = "backend_v2/alembic/versions"
PLAN = "queue/migrations/sqitch/sqitch.plan"

# What each step must print (whole lines, stripped; ``re:`` a regex for one line) and its exit.
STEPS: list[tuple[str, list[str], int]] = [
    (
        "List the chains",
        [
            "$ migration-guard chains",
            "3 chains (migration-guard.toml):",
            f"re:console +alembic +{C} +sequential +192 +0192 +0192$",
            f"re:raptor +alembic +{R} +sequential +57 +0057 +0057$",
            f"re:queue +sqitch +{PLAN} +sequential +7 +07 +07-job-priority$",
        ],
        0,
    ),
    (
        "Single-head gate on main",
        [
            "Console: OK (exactly 1 head)",
            f"head 0192  {C}/0192_create_console_audit_log.py",
            "Raptor: OK (exactly 1 head)",
            f"head 0057  {R}/0057_add_index_to_raptor_permissions.py",
        ],
        0,
    ),
    (
        "Lint every chain on main",
        [
            f"Console (alembic, {C}): OK (192 migrations)",
            f"Raptor (alembic, {R}): OK (57 migrations)",
            f"Queue (sqitch, {PLAN}): OK (7 changes)",
            "lint: 3 chains checked. OK.",
        ],
        0,
    ),
    (
        "The CI guard on PR #3322",
        [
            "$ migration-guard check --head pr-3322 --base-sha origin/main --provider git",
            f"[console] 0193 — {C}/0193_add_refund_audit.py",
            f"COLLISION [console] 0193 — {C}/0193_add_refund_audit.py",
            f"also claimed by branch origin/pr-3277 ({C}/0193_promote_my_feature.py)",
            "branch origin/pr-3277 added it first and keeps it: this PR must move",
            "next available number: 0194",
            f"fix: migration-guard renumber {C}/0193_add_refund_audit.py --to 0194",
            "Found 1 migration-number collision(s). FAIL.",
        ],
        1,
    ),
    (
        "Pick the next free number",
        [
            "$ migration-guard next console --provider git",
            "0195",
            "next Console number after origin/main (highest 0192), skipping numbers claimed by "
            "2 open change(s) via git",
        ],
        0,
    ),
    (
        "Fix PR #3322 in one command",
        [
            f"[console] 0193 -> 0194: {C}/0193_add_refund_audit.py -> {C}/0194_add_refund_audit.py",
            "Changed 1 file(s), renamed 1.",
            "Console: OK (1 head: 0194)",
            "Collision check against origin/main and open PRs: OK.",
        ],
        0,
    ),
    (
        "The guard passes once the fix is committed",
        [
            f"[console] 0194 — {C}/0194_add_refund_audit.py",
            rf"re:^NOTE \[console\] 0194 — {C}/0194_add_refund_audit.py builds on 0192, as does "
            rf"branch origin/pr-3277 \({C}/0193_promote_my_feature.py\)",
            "No migration-number collisions detected. OK.",
        ],
        0,
    ),
    (
        "The incident: two PRs",
        [
            "$ migration-guard heads --console-only --rev incident",
            "Console: FAIL (2 heads)",
            f"head 0193  {C}/0193_add_refund_audit.py",
            f"head 0193  {C}/0193_promote_my_feature.py",
            f"re:^{C}/0193_promote_my_feature.py:13: MG101 duplicate revision id '0193'",
            f"re:^{C}/0193_promote_my_feature.py:13: MG111 number 0193 is also used by",
        ],
        1,
    ),
    (
        "Which PR landed second?",
        [
            f"Console (alembic, {C}): COLLISION (2 heads)",
            rf"re:^{C}/0193_promote_my_feature.py landed first \(PR #3277, ",
            rf"re:^{C}/0193_add_refund_audit.py landed second \(PR #3322, ",
            f"repair: {C}/0193_add_refund_audit.py -> {C}/0194_add_refund_audit.py",
            "-Revises: 0192",
            "+Revises: 0193",
            '+revision: str = "0194"',
            "recover: collision found. Run again with --apply (and --branch hotfix/NAME to commit "
            "it on a new branch). FAIL.",
        ],
        1,
    ),
    (
        "Repair it on a hotfix branch",
        [
            "$ migration-guard recover console --apply --branch hotfix/console-0193",
            "recover: repaired. Check `git show`, then open a hotfix PR; do not deploy until CI "
            "is green.",
            "Console: OK (1 head: 0194)",
            "Committed on branch hotfix/console-0193: push it and open the hotfix PR "
            "(git push -u origin hotfix/console-0193).",
        ],
        0,
    ),
    (
        "Every gate green again",
        [
            "Console: OK (exactly 1 head)",
            f"head 0194  {C}/0194_add_refund_audit.py",
            "Raptor: OK (exactly 1 head)",
        ],
        0,
    ),
    (
        "A hand-edited sqitch plan",
        [
            "$ migration-guard lint queue --rev bad-plan",
            f"Queue (sqitch, {PLAN}): FAIL (1 problem)",
            f"re:^{PLAN}:12: MG201 Invalid name; names must not begin with punctuation",
            "re:^hint: the timestamp must not be in brackets",
            "lint: 1 chain checked. 1 chain with problems. FAIL.",
        ],
        1,
    ),
    ("Prevention", ["check on the 10 branches: 0 collisions"], 0),  # more in the wave test
    (
        "Round-trip every chain on a real database",
        [
            "re:^Database: temporary SQLite",
            "Console (alembic, sqlite): upgrade head OK · downgrade base OK · upgrade head OK "
            "(192 revisions)",
            "Raptor (alembic, sqlite): upgrade head OK · downgrade base OK · upgrade head OK "
            "(57 revisions)",
        ],
        0,
    ),
]


def test_every_step_prints_what_it_shows(demo: tuple[Path, str]) -> None:
    """Each step's own output, not only its exit code: the lines that make its point."""
    _, out = demo
    titles = re.findall(r"^Step (\d+)/(\d+): (.*)$", out, re.M)
    assert [int(n) for n, _, _ in titles] == list(range(1, len(STEPS) + 1))
    assert {total for _, total, _ in titles} == {str(len(STEPS))}
    for (_, _, title), (expected_title, lines, code) in zip(titles, STEPS, strict=True):
        assert title.startswith(expected_title), (title, expected_title)
        section = _section(out, expected_title)
        printed = [line.strip() for line in section.splitlines()]
        for line in lines:
            if line.startswith("re:"):
                assert any(re.search(line[3:], p) for p in printed), (title, line)
            else:
                assert line in printed, (title, line)
        exits = [line for line in printed if line.startswith("exit ")]
        wave = "agents" in title  # the wave's exit line speaks for every agent
        assert exits == [
            f"exit {code} for every agent (as expected)" if wave else f"exit {code} (as expected)"
        ], (title, exits)
    gate = _section(out, "Round-trip every chain")
    queue = (
        "Queue (sqitch, sqlite): deploy --verify OK · revert OK · deploy --verify OK (7 changes)"
    )
    if shutil.which("sqitch") is not None:
        assert queue in gate and "gate: 3 chains round-tripped. OK." in gate
    else:  # the demo gates the Alembic chains only
        assert "Queue" not in gate and "gate: 2 chains round-tripped. OK." in gate


def test_demo_wave_gives_ten_agents_distinct_consecutive_numbers(demo: tuple[Path, str]) -> None:
    keep, out = demo
    wave = _section(out, "Prevention")
    created = re.findall(
        r"^    agent (\d+): exit 0  console/migrations/versions/(\d{4})_agent_\1_change\.py$",
        wave,
        re.M,
    )
    assert sorted(int(agent) for agent, _ in created) == list(range(1, 11))
    numbers = sorted(int(number) for _, number in created)
    assert numbers == list(range(numbers[0], numbers[0] + 10)), numbers
    assert numbers[0] > 193  # above main's 0192 and the two open PRs' 0193 / 0194
    shown = " ".join(f"{n:04d}" for n in numbers)
    assert f"10 agents, 10 distinct numbers, consecutive: {shown}" in wave
    assert wave.count("No migration-number collisions detected. OK.") == 10
    assert "check on the 10 branches: 0 collisions" in wave
    assert "0192_create_console_audit_log.py   (the same in all 10 clones)" in wave
    assert (
        "With `ls | sort | tail -1` every clone saw 0192_create_console_audit_log.py: "
        "all 10 agents would have taken 0193." in " ".join(wave.split())
    )
    # The reservations really are on the origin: one create-only ref per number.
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/migration-guard/console/"],
        cwd=keep / "origin.git",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(refs) == [f"refs/migration-guard/console/{n:04d}" for n in numbers]
    for index, number in created:
        clone = keep / "wave" / f"agent-{index}"
        assert (clone / f"console/migrations/versions/{number}_agent_{index}_change.py").is_file()


def test_demo_refuses_an_existing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--keep", str(tmp_path)]) == 2
    assert "the folder already exists" in capsys.readouterr().err


def _readme_tour_lines() -> list[str]:
    """The output lines the README's tour quotes: every console line but the commands, the
    lines it shortens with "...", and which agent got which number (that depends on races)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A 60-second tour", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```console\n(.*?)```", tour, flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("$") or "..." in line:
                continue
            if re.match(r"agent \d+: exit", line):
                continue
            if shutil.which("sqitch") is None and ("sqitch" in line or line.startswith("gate:")):
                continue  # the demo gates the Alembic chains only
            lines.append(line)
    return lines


def test_the_readme_tour_quotes_real_demo_output(demo: tuple[Path, str]) -> None:
    _, out = demo
    printed = {line.strip() for line in out.splitlines()}
    quoted = _readme_tour_lines()
    assert len(quoted) > 20  # the tour has its excerpts
    assert [line for line in quoted if line not in printed] == []
