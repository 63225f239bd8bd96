from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

import pytest

from migration_guard.databases.alembic_version import applied, deployed_versions
from migration_guard.databases.temp_postgres import TempPostgres
from migration_guard.errors import DatabaseError, UsageError


def sqlite_db(path: Path, statements: Iterable[str]) -> str:
    with closing(sqlite3.connect(path)) as connection:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    return f"sqlite:///{path}"


# --- deployed_versions -----------------------------------------------------------------------


def test_sqlite_with_the_table(tmp_path: Path) -> None:
    url = sqlite_db(
        tmp_path / "app.db",
        [
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
            "INSERT INTO alembic_version VALUES ('0193abc')",
            "INSERT INTO alembic_version VALUES ('0200def')",
        ],
    )
    assert deployed_versions(url) == frozenset({"0193abc", "0200def"})


def test_sqlite_without_the_table_is_empty(tmp_path: Path) -> None:
    url = sqlite_db(tmp_path / "fresh.db", ["CREATE TABLE users (id INTEGER)"])
    assert deployed_versions(url) == frozenset()


def test_sqlite_empty_table(tmp_path: Path) -> None:
    url = sqlite_db(tmp_path / "app.db", ["CREATE TABLE alembic_version (version_num VARCHAR(32))"])
    assert deployed_versions(url) == frozenset()


def test_a_custom_version_table(tmp_path: Path) -> None:
    url = sqlite_db(
        tmp_path / "app.db",
        [
            "CREATE TABLE alembic_version (version_num VARCHAR(32))",
            "INSERT INTO alembic_version VALUES ('other')",
            "CREATE TABLE console_version (version_num VARCHAR(32))",
            "INSERT INTO console_version VALUES ('0005')",
        ],
    )
    assert deployed_versions(url, table="console_version") == frozenset({"0005"})
    assert deployed_versions(url, table="missing_version") == frozenset()


def test_a_relative_sqlite_path_is_read_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_db(
        tmp_path / "rel.db",
        [
            "CREATE TABLE alembic_version (version_num VARCHAR(32))",
            "INSERT INTO alembic_version VALUES ('r1')",
        ],
    )
    monkeypatch.chdir(tmp_path)
    assert deployed_versions("sqlite:///rel.db") == frozenset({"r1"})


def test_an_unopenable_sqlite_file_is_a_database_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/app.db"
    with pytest.raises(DatabaseError) as info:
        deployed_versions(url)
    assert info.value.message.startswith(f"cannot read alembic_version of {url}: ")
    assert info.value.exit_code == 3


def test_not_a_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="is not a database URL") as info:
        deployed_versions("not a url")
    assert info.value.exit_code == 2
    with pytest.raises(UsageError, match="in-memory SQLite"):
        deployed_versions("sqlite://")


# --- PostgreSQL ------------------------------------------------------------------------------


def test_postgres_with_and_without_the_table(postgres: TempPostgres) -> None:
    import sqlalchemy

    from migration_guard.databases.targets import with_driver

    url = postgres.create_database("alembic_version_read")
    assert deployed_versions(url) == frozenset()
    engine = sqlalchemy.create_engine(with_driver(url))
    try:
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text(
                    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
                )
            )
            assert deployed_versions(url) == frozenset()
        with engine.begin() as connection:
            connection.execute(
                sqlalchemy.text("INSERT INTO alembic_version VALUES ('0193abc'), ('0194merge')")
            )
    finally:
        engine.dispose()
    assert deployed_versions(url) == frozenset({"0193abc", "0194merge"})
    assert deployed_versions(url.replace("postgresql://", "postgres://", 1)) == frozenset(
        {"0193abc", "0194merge"}
    )


def test_postgres_unreachable_is_exit_3_with_the_password_masked() -> None:
    url = "postgresql://deploy:s3cret@127.0.0.1:1/app"
    with pytest.raises(DatabaseError) as info:
        deployed_versions(url)
    assert info.value.message.startswith(
        "cannot read alembic_version of postgresql://deploy:***@127.0.0.1:1/app: "
    )
    assert "s3cret" not in info.value.message
    assert info.value.exit_code == 3


def test_postgres_missing_database_is_exit_3(postgres: TempPostgres) -> None:
    url = postgres.url_for("no_such_database")
    with pytest.raises(DatabaseError, match="no_such_database") as info:
        deployed_versions(url)
    assert info.value.exit_code == 3


# --- applied ---------------------------------------------------------------------------------

PARENTS: dict[str, tuple[str, ...]] = {
    "r1": (),
    "r2": ("r1",),
    "a3": ("r2",),
    "b3": ("r2",),
    "m4": ("a3", "b3"),  # a merge revision
    "r5": ("m4",),
    "x": ("r1",),  # a branch nobody merged
}


def test_applied_follows_every_parent_of_a_merge() -> None:
    assert applied(["r5"], PARENTS) == {"r1", "r2", "a3", "b3", "m4", "r5"}


def test_applied_with_several_heads_in_the_table() -> None:
    assert applied(["a3", "x"], PARENTS) == {"r1", "r2", "a3", "x"}


def test_applied_edge_cases() -> None:
    assert applied([], PARENTS) == set()
    assert applied(["r1"], PARENTS) == {"r1"}
    # A version the scripts do not know (deployed from another branch) is kept, with no parents.
    assert applied(["zzz"], PARENTS) == {"zzz"}
    assert applied(iter(["b3", "b3"]), PARENTS) == {"r1", "r2", "b3"}


def test_applied_survives_a_cycle() -> None:
    assert applied(["a"], {"a": ("b",), "b": ("a",)}) == {"a", "b"}
