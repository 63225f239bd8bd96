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
