"""The Django round trip (forward, zero, forward) on SQLite, with real Django."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.django_apps import copy_fixture, migration, write_app

from migration_guard.chains.django.gate import run_round_trip

pytestmark = pytest.mark.slow


def test_round_trip_passes_then_names_the_failing_step(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    good = run_round_trip(root, "tenancy", "settings", tmp_path / "good.sqlite3", timeout=120)
    assert good.ok and good.failed is None
    assert [s.name for s in good.steps] == ["forward", "zero", "forward again"]
    assert (tmp_path / "good.sqlite3").exists()

    irreversible = "migrations.RunPython(lambda apps, schema_editor: None)"
    parent = ("tenancy", "0014_contactassignment_ordering")
    write_app(root, "tenancy", {"0015_data.py": migration(parent, operations=irreversible)})
    bad = run_round_trip(root, "tenancy", "settings", tmp_path / "bad.sqlite3", timeout=120)
    assert not bad.ok and bad.failed is not None
    assert bad.failed.name == "zero" and bad.failed.returncode not in (0, None)
    assert "IrreversibleError" in bad.failed.output
    assert len(bad.steps) == 2


def test_time_limit(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    result = run_round_trip(root, "tenancy", "settings", tmp_path / "db.sqlite3", timeout=0.01)
    assert not result.ok and result.failed is not None and result.failed.returncode is None
