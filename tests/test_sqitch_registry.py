"""Reading sqitch registries: targets resolved like sqitch, deployed state equal to what the
real ``sqitch status`` says after real deploys to SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.sqitch_projects import sqitch, write_files

from migration_guard.chains.sqitch.conf import SqitchConf, parse_sqitch_conf
from migration_guard.chains.sqitch.plan import parse_plan
from migration_guard.databases.sqitch_registry import (
    DbUri,
    DeployedHit,
    check_rename_safety,
    configured_targets,
    deployed_changes,
    parse_db_uri,
    psql_command,
    read_registry,
    resolve_target,
    sqlite_registry_path,
)
from migration_guard.databases.temp_postgres import TempPostgres
from migration_guard.errors import DatabaseError, InputError
from migration_guard.sample import QUEUE_CHANGES, QUEUE_PLAN, write_queue_chain

pytestmark = pytest.mark.sqitch

NAMES = [c.name for c in QUEUE_CHANGES]


def conf_of(text: str, path: str = "sqitch.conf") -> SqitchConf:
    return SqitchConf(path=path, values=parse_sqitch_conf(text, path))


def queue_project(root: Path, conf: str | None = None) -> Path:
    write_queue_chain(root)
    folder = (root / QUEUE_PLAN).parent
    if conf is not None:
        write_files(folder, {"sqitch.conf": conf})
    return folder


def status_view(folder: Path, target: str) -> tuple[frozenset[str], str | None]:
    """(deployed names, current change id) as the real ``sqitch status`` reports them."""
    proc = sqitch(folder, "status", "--target", target, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    if "No changes deployed" in proc.stdout:
        return frozenset(), None
    current = next(line.split()[-1] for line in proc.stdout.splitlines() if "# Change:" in line)
    name = next(line.split()[-1] for line in proc.stdout.splitlines() if "# Name:" in line)
    return frozenset(NAMES[: NAMES.index(name) + 1]), current


# --------------------------------------------------------------------------------------------
# URIs and targets (checked against URI::db by hand: perl -MURI::db)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("db:sqlite:queue.db", DbUri("db:sqlite:queue.db", "sqlite", dbname="queue.db")),
        ("db:sqlite:/abs/q.db", DbUri("db:sqlite:/abs/q.db", "sqlite", dbname="/abs/q.db")),
        ("db:sqlite:///abs/q.db", DbUri("db:sqlite:///abs/q.db", "sqlite", dbname="abs/q.db")),
        ("db:sqlite:", DbUri("db:sqlite:", "sqlite")),
        ("db:sqlite:q%20x.db", DbUri("db:sqlite:q%20x.db", "sqlite", dbname="q x.db")),
        (
            "db:pg://postgres@127.0.0.1:5432/db",
            DbUri(
                "db:pg://postgres@127.0.0.1:5432/db",
                "pg",
                user="postgres",
                host="127.0.0.1",
                port="5432",
                dbname="db",
            ),
        ),
        ("db:pg:db", DbUri("db:pg:db", "pg", dbname="db")),
        (
            "db:postgres://u:p%40ss@h/d?sslmode=disable",
            DbUri(
                "db:postgres://u:p%40ss@h/d?sslmode=disable",
                "pg",
                user="u",
                password="p@ss",
                host="h",
                dbname="d",
                query=(("sslmode", "disable"),),
            ),
        ),
    ],
)
def test_parse_db_uri(uri: str, expected: DbUri) -> None:
    parsed = parse_db_uri(uri)
    assert parsed == expected
    assert parsed.password == expected.password


def test_password_never_shown() -> None:
    uri = parse_db_uri("db:pg://ops:s3cret@db.example.com/queue")
    assert uri.safe == "db:pg://ops@db.example.com/queue"
    assert "s3cret" not in repr(uri)
    target = resolve_target(None, "db:pg://ops:s3cret@db.example.com/queue")
    assert target.name == "db:pg://ops:s3cret@db.example.com/queue"  # sqitch needs it
    assert target.label == "db:pg://ops@db.example.com/queue"
    argv, env = psql_command(target)
    assert env == {"PGPASSWORD": "s3cret"} and "s3cret" not in " ".join(argv)
    assert argv[-2:] == ["--dbname", "user=ops dbname=queue host=db.example.com"]


def test_not_a_uri() -> None:
    with pytest.raises(InputError, match="is not a sqitch database URI"):
        parse_db_uri("postgresql://h/d")


@pytest.mark.parametrize(
    ("dbname", "registry", "expected"),
    [
        ("queue.db", "sqitch", "sqitch.db"),
        ("data/queue.v1.db", "sqitch", "data/sqitch.v1.db"),
        ("/abs/queue", "sqitch", "/abs/sqitch"),
        ("queue.db", "meta.sqlite", "meta.sqlite"),
        ("queue.db", "/var/reg.db", "/var/reg.db"),
        (None, "sqitch", None),
    ],
)
def test_sqlite_registry_path(dbname: str | None, registry: str, expected: str | None) -> None:
    assert sqlite_registry_path(dbname, registry) == expected


CONF = """\
[core]
\tengine = pg
\tregistry = core_reg
[engine "pg"]
\ttarget = prod
\tclient = /opt/pg/bin/psql
[engine "sqlite"]
\tregistry = meta
[target "prod"]
\turi = db:pg://ops@db.example.com/queue
\tregistry = prod_reg
[target "dev"]
\turi = db:sqlite:dev.db
[target "broken"]
\tclient = x
"""


def test_resolve_target_like_sqitch() -> None:
    conf = conf_of(CONF)
    prod = resolve_target(conf, None)
    assert (prod.name, prod.uri.uri, prod.registry, prod.client) == (
        "prod",
        "db:pg://ops@db.example.com/queue",
        "prod_reg",
        "/opt/pg/bin/psql",
    )
    assert prod.label == "prod (db:pg://ops@db.example.com/queue)"
    dev = resolve_target(conf, "dev")
    assert (dev.engine, dev.registry, dev.client) == ("sqlite", "meta", None)
    other = resolve_target(conf, "db:pg://h/other")
    assert (other.name, other.registry) == ("db:pg://h/other", "core_reg")
    with pytest.raises(InputError, match='cannot find target "nope"'):
        resolve_target(conf, "nope")
    with pytest.raises(InputError, match='cannot find target "broken"'):
        resolve_target(conf, "broken")
    assert [t.name for t in configured_targets(conf_of(CONF.split('[target "broken"]')[0]))] == [
        "prod",
        "dev",
    ]
    default = resolve_target(conf_of("[core]\n\tengine = sqlite\n"), None)
    assert (default.name, default.uri.dbname, default.registry) == ("db:sqlite:", None, "sqitch")
    with pytest.raises(InputError, match="no default target"):
        resolve_target(conf_of("[core]\n"), None)


# --------------------------------------------------------------------------------------------
# SQLite


def test_sqlite_deployed_state_matches_sqitch_status(tmp_path: Path) -> None:
    conf = '[core]\n\tengine = sqlite\n[target "dev"]\n\turi = db:sqlite:data/queue.v1.db\n'
    folder = queue_project(tmp_path, conf)
    (folder / "data").mkdir()
    sqitch(folder, "deploy", "--target", "dev", "--to", "05-job-attempts")
    assert (folder / "data/sqitch.v1.db").is_file()  # the registry sqitch chose
    names, current = status_view(folder, "dev")
    assert names == frozenset(NAMES[:5])
    target = resolve_target(conf_of(conf), "dev")
    state = read_registry(target, "queue", conf_dir=folder)
    assert state.exists and state.location == str(folder / "data/sqitch.v1.db")
    assert [c.name for c in state.changes] == NAMES[:5]
    assert state.changes[-1].change_id == current
    assert deployed_changes("dev", "queue", conf_dir=folder, conf=conf_of(conf)) == names
    assert deployed_changes(target, "other-project", conf_dir=folder) == frozenset()

    # Never deployed there: no registry file; an empty one (sqitch status creates it); memory.
    never = resolve_target(None, "db:sqlite:never.db")
    assert read_registry(never, "queue", conf_dir=folder).exists is False
    assert status_view(folder, "db:sqlite:never.db") == (frozenset(), None)
    assert (folder / "sqitch.db").stat().st_size == 0
    assert read_registry(never, "queue", conf_dir=folder).exists is False
    memory = resolve_target(conf_of("[core]\n\tengine = sqlite\n"), None)
    assert read_registry(memory, "queue", conf_dir=folder).location == ":memory:"
    assert deployed_changes(memory, "queue", conf_dir=folder) == frozenset()
    assert deployed_changes("db:sqlite:nodir/x.db", "queue", conf_dir=folder) == frozenset()

    # Could not check: never "not deployed".
    (folder / "bad").mkdir()
    (folder / "bad/sqitch.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match="could not read the sqitch registry") as info:
        deployed_changes("db:sqlite:bad/x.db", "queue", conf_dir=folder)
    assert info.value.exit_code == 3
    (folder / "dir/sqitch").mkdir(parents=True)
    with pytest.raises(DatabaseError, match="is a folder"):
        deployed_changes("db:sqlite:dir/q", "queue", conf_dir=folder)


def test_sqlite_registry_setting(tmp_path: Path) -> None:
    conf = '[core]\n\tengine = sqlite\n[engine "sqlite"]\n\tregistry = meta\n'
    folder = queue_project(tmp_path, conf)
    sqitch(folder, "deploy", "--target", "db:sqlite:q.db", "--to", "02-jobs-table")
    assert (folder / "meta.db").is_file() and not (folder / "sqitch.db").exists()
    assert deployed_changes("db:sqlite:q.db", "queue", conf_dir=folder, conf=conf_of(conf)) == {
        "01-queue-schema",
        "02-jobs-table",
    }
    # Without the setting the registry would be sqitch.db, which does not exist.
    assert deployed_changes("db:sqlite:q.db", "queue", conf_dir=folder) == frozenset()


# --------------------------------------------------------------------------------------------
# PostgreSQL


def test_pg_deployed_state_matches_sqitch_status(tmp_path: Path, postgres: TempPostgres) -> None:
    folder = queue_project(tmp_path)
    url = postgres.create_database("registry_deployed")
    uri = "db:" + url.replace("postgresql://", "pg://", 1)
    sqitch(folder, "deploy", "--target", uri, "--to", "04-workers-table")
    names, current = status_view(folder, uri)
    assert names == frozenset(NAMES[:4])
    state = read_registry(resolve_target(None, uri), "queue", conf_dir=folder)
    assert [c.name for c in state.changes] == NAMES[:4]
    assert state.changes[-1].change_id == current
    assert state.location == f"schema sqitch in {uri}"

    # A configured registry schema.
    other = "db:" + postgres.create_database("registry_meta").replace("postgresql://", "pg://")
    conf = f'[core]\n\tengine = pg\n\tregistry = meta_reg\n[target "q"]\n\turi = {other}\n'
    write_files(folder, {"sqitch.conf": conf})
    assert deployed_changes("q", "queue", conf_dir=folder, conf=conf_of(conf)) == frozenset()
    sqitch(folder, "deploy", "--target", "q", "--to", "01-queue-schema")
    assert deployed_changes(other, "queue", conf_dir=folder) == frozenset()  # not in "sqitch"
    assert deployed_changes("q", "queue", conf_dir=folder, conf=conf_of(conf)) == {
        "01-queue-schema"
    }

    # Reachable, never deployed: no registry schema.
    empty = "db:" + postgres.create_database("registry_empty").replace("postgresql://", "pg://")
    assert read_registry(resolve_target(None, empty), "queue", conf_dir=folder).exists is False


def test_pg_unreachable_is_a_database_error(tmp_path: Path, postgres: TempPostgres) -> None:
    with pytest.raises(DatabaseError, match="could not read the sqitch registry") as info:
        deployed_changes("db:pg://postgres@127.0.0.1:1/queue", "queue", conf_dir=tmp_path)
    assert "Connection refused" in info.value.message
    assert info.value.exit_code == 3
    missing = f"db:pg://postgres@127.0.0.1:{postgres.port}/no_such_database"
    with pytest.raises(DatabaseError, match='database "no_such_database" does not exist'):
        deployed_changes(missing, "queue", conf_dir=tmp_path)
    conf = conf_of('[engine "pg"]\n\tclient = /nonexistent/psql\n')
    with pytest.raises(DatabaseError, match="/nonexistent/psql was not found"):
        deployed_changes(missing, "queue", conf_dir=tmp_path, conf=conf)
    with pytest.raises(DatabaseError, match="engine mysql is not supported"):
        deployed_changes("db:mysql://h/q", "queue", conf_dir=tmp_path)


# --------------------------------------------------------------------------------------------
# Rename safety


def test_check_rename_safety(tmp_path: Path, postgres: TempPostgres) -> None:
    folder = queue_project(tmp_path)
    sqitch(folder, "deploy", "--target", "db:sqlite:dev.db", "--to", "03-job-status-index")
    plan = parse_plan((folder / "sqitch.plan").read_bytes(), "sqitch.plan")
    targets = configured_targets(
        conf_of("[core]\n\tengine = sqlite\n"), ["db:sqlite:dev.db", "db:sqlite:new/never.db"]
    )
    assert [t.name for t in targets] == ["db:sqlite:", "db:sqlite:dev.db", "db:sqlite:new/never.db"]
    assert check_rename_safety(plan, ["07-job-priority"], targets, conf_dir=folder) == []
    assert check_rename_safety(plan, ["04-workers-table"], targets, conf_dir=folder) == []
    # 02 is deployed; renaming it changes the IDs of 03 too.
    assert check_rename_safety(
        plan, ["03-job-status-index", "02-jobs-table", "06-dead-letter"], targets, conf_dir=folder
    ) == [
        DeployedHit("db:sqlite:dev.db", "03-job-status-index", ("03-job-status-index",)),
        DeployedHit("db:sqlite:dev.db", "02-jobs-table", ("02-jobs-table", "03-job-status-index")),
    ]
    # Like sqitch, two SQLite databases in one folder share one registry (sqitch.db).
    assert deployed_changes("db:sqlite:never.db", "queue", conf_dir=folder) == set(NAMES[:3])
    # One target that cannot be checked stops the whole check.
    down = resolve_target(None, "db:pg://postgres@127.0.0.1:1/queue")
    with pytest.raises(DatabaseError):
        check_rename_safety(plan, ["07-job-priority"], [*targets, down], conf_dir=folder)


def test_registry_reader_does_not_import_psycopg2() -> None:
    import migration_guard.databases.sqitch_registry as module

    assert "import psycopg2" not in Path(module.__file__).read_text()
