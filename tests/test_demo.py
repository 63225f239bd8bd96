"""The README's first command: ``migration-guard demo`` must work and explain every step."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.cli import main

pytestmark = pytest.mark.slow


def test_demo_runs_every_step_as_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep = tmp_path / "demo"
    assert main(["demo", "--keep", str(keep)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("demo: every step behaved as expected. OK.")
    for command in ("chains", "heads", "lint", "check", "next", "renumber", "recover", "gate"):
        assert f"$ migration-guard {command}" in out
    assert "EXPECTED" not in out
    assert (keep / "monorepo" / "migration-guard.toml").is_file()


def test_demo_refuses_an_existing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--keep", str(tmp_path)]) == 2
    assert "the folder already exists" in capsys.readouterr().err
