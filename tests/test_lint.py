"""``migration-guard lint`` from the command line, on the demo monorepo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from testing.cli import run

from migration_guard import sample

PLAN = sample.QUEUE_PLAN


def test_every_chain_is_clean_on_main(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(sample_repo, capsys, "lint")
    assert code == 0
    assert out.splitlines() == [
        "Console (alembic, console/migrations/versions): OK (192 migrations)",
        "Raptor (alembic, backend_v2/alembic/versions): OK (57 migrations)",
        f"Queue (sqitch, {PLAN}): OK (7 changes)",
        "lint: 3 chains checked. OK.",
    ]


def test_bracketed_timestamp_gets_sqitch_wording_and_a_plain_hint(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(sample_repo, capsys, "lint", "queue", "--rev", "bad-plan")
    assert code == 1
    assert out.splitlines() == [
        f"Queue (sqitch, {PLAN}): FAIL (1 problem)",
        f"  {PLAN}:12: MG201 Invalid name; names must not begin with punctuation, contain "
        '"@", ":", "#", "\\", or blanks, or end in punctuation or digits following punctuation',
        "      hint: the timestamp must not be in brackets: sqitch reads [...] as a dependency "
        "list; write `name YYYY-MM-DDTHH:MM:SSZ planner <email>`",
        "lint: 1 chain checked. 1 chain with problems. FAIL.",
    ]


def test_conventions_and_syntax_only(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = sample_repo / PLAN
    plan.write_text(plan.read_text() + "06-duplicate 2026-06-02T00:00:00Z a <a@b.c>\n")
    code, out, _ = run(sample_repo, capsys, "lint", PLAN, "--format", "json")
    payload = json.loads(out)
    assert code == 1
    codes = [f["code"] for f in payload["chains"][0]["findings"]]
    assert codes.count("MG203") == 1 and codes.count("MG205") == 3
    # sqitch itself accepts duplicate numbers and missing scripts: --syntax-only agrees.
    code, out, _ = run(sample_repo, capsys, "lint", "--syntax-only", PLAN)
    assert code == 0
    assert out.splitlines()[0] == f"Queue (sqitch, {PLAN}): OK (8 changes)"


def test_a_plan_that_is_not_a_configured_chain(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = sample_repo / "other"
    shutil.copytree(sample_repo / "queue/migrations/sqitch", other)
    code, out, _ = run(sample_repo, capsys, "lint", "other/sqitch.plan")
    assert code == 0, out
    assert out.splitlines()[0] == "other/sqitch.plan (sqitch, other/sqitch.plan): OK (7 changes)"


def test_usage_errors(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(sample_repo, capsys, "lint", "nope")
    assert code == 2 and "nope: no such chain or file" in err
    code, _, err = run(sample_repo, capsys, "lint", "--syntax-only", "console")
    assert code == 2 and "--syntax-only checks sqitch plans; 'console' is not one" in err
