from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.cli import run as _run

from migration_guard import sample

V = sample.CONSOLE_VERSIONS


def test_heads_ok_on_main(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(sample_repo, capsys, "heads")
    assert code == 0
    assert out.splitlines() == [
        "Console: OK (exactly 1 head)",
        f"  head 0192  {V}/0192_create_console_audit_log.py",
        "Raptor: OK (exactly 1 head)",
        f"  head 0057  {sample.RAPTOR_VERSIONS}/0057_add_index_to_raptor_permissions.py",
    ]


def test_runbook_only_flag_and_rev(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(sample_repo, capsys, "heads", "--console-only", "--rev", "incident")
    assert code == 1
    lines = out.splitlines()
    assert lines[:3] == [
        "Console: FAIL (2 heads)",
        f"  head 0193  {V}/0193_add_refund_audit.py",
        f"  head 0193  {V}/0193_promote_my_feature.py",
    ]
    assert any("MG101 duplicate revision id '0193'" in line for line in lines)
    assert not any(line.startswith("Raptor") for line in lines)
    # The working tree (main) is untouched by --rev and still passes.
    assert _run(sample_repo, capsys, "heads", "--chain", "console")[0] == 0


def test_heads_json(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(sample_repo, capsys, "heads", "--rev", "incident", "--format", "json")
    payload = json.loads(out)
    assert code == 1 and payload["ok"] is False
    console = payload["chains"][0]
    assert console["name"] == "console" and console["ok"] is False
    assert [h["path"] for h in console["heads"]] == [
        f"{V}/0193_add_refund_audit.py",
        f"{V}/0193_promote_my_feature.py",
    ]
    assert {f["code"] for f in console["findings"]} >= {"MG101", "MG102", "MG111"}
    assert payload["chains"][1]["ok"] is True


def test_heads_refuses_sqitch_chain_and_unknown_names(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(sample_repo, capsys, "heads", "--queue-only")
    assert code == 2
    assert "chain 'queue' is a sqitch chain; heads checks chains whose" in err
    code, _, err = _run(sample_repo, capsys, "heads", "--chain", "nope")
    assert code == 2 and "unknown chain 'nope'" in err


def test_unknown_revision_is_could_not_decide(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(sample_repo, capsys, "heads", "--rev", "no-such-ref")
    assert (code, out) == (3, "")
    assert "unknown git revision 'no-such-ref'" in err


def test_chains_lists_every_chain(sample_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(sample_repo, capsys, "chains")
    assert code == 0
    assert out.splitlines() == [
        "3 chains (migration-guard.toml):",
        "  NAME     KIND     PATH                                 NUMBERING   MIGRATIONS  HIGHEST  "
        "HEAD(S)",
        "  console  alembic  console/migrations/versions          sequential  192         0192     "
        "0192",
        "  raptor   alembic  backend_v2/alembic/versions          sequential  57          0057     "
        "0057",
        "  queue    sqitch   queue/migrations/sqitch/sqitch.plan  sequential  7           07       "
        "07-job-priority",
    ]
    code, out, _ = _run(sample_repo, capsys, "chains", "--rev", "incident", "--format", "json")
    payload = json.loads(out)
    assert code == 0
    assert [(c["name"], c["migrations"], c["highest"], c["ok"]) for c in payload["chains"]] == [
        ("console", 194, "0193", False),
        ("raptor", 57, "0057", True),
        ("queue", 7, "07", True),
    ]
