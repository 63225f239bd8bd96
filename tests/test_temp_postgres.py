from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from migration_guard.databases.temp_postgres import TempPostgres
from migration_guard.errors import DatabaseError

pytestmark = pytest.mark.postgres


def _psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", url, "-Atc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_starts_a_real_cluster_and_removes_it() -> None:
    with TempPostgres() as pg:
        folder = pg.folder
        assert folder is not None and folder.is_dir()
        assert _psql(pg.url, "select 40 + 2") == "42"
        other = pg.create_database("second")
        assert _psql(other, "select current_database()") == "second"
        assert pg.url.startswith("postgresql://postgres@127.0.0.1:")
    assert not folder.exists()


def test_cleans_up_when_the_block_fails() -> None:
    pg = TempPostgres()
    with pytest.raises(RuntimeError), pg:
        raise RuntimeError("boom")
    assert pg.folder is None


def test_missing_binaries_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="initdb could not run"):
        TempPostgres(bin_dir=tmp_path).start()
