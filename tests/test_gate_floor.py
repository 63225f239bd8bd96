"""``gate`` on Alembic chains with irreversible history: the downgrade floor.

Real Alembic, real SQLite and PostgreSQL. Every revision writes what it does into a log table
that the first revision creates, so a test reads from the database which upgrades and
downgrades really ran (and were committed). The databases given with --database-url are used
as is, so the log is still there after the gate.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from migration_guard import sample
from migration_guard.cli import main
from migration_guard.databases.temp_postgres import TempPostgres

IRREVERSIBLE = '    raise NotImplementedError("{message}")'
NOT_STATIC = '    if op.get_bind() is not None:\n        raise NotImplementedError("{message}")'
BROKEN = '    op.drop_table("no_such")'


def _run(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(repo), "gate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _revision(n: int, downgrade: str | None) -> str:
    """Revision n of a linear chain: creates table t000n (and, first, the log table)."""
    rev = f"{n:04d}"
    down = f'"{n - 1:04d}"' if n > 1 else "None"
    log = f"    op.execute(\"INSERT INTO gate_log (entry) VALUES ('{{0}} {rev}')\")\n"
    up = (
        '    op.create_table("gate_log", sa.Column("id", sa.Integer(), primary_key=True), '
        'sa.Column("entry", sa.String(20)))\n'
        if n == 1
        else ""
    )
    up += f'    op.create_table("t{rev}", sa.Column("id", sa.Integer(), primary_key=True))\n'
    up += log.format("up")
    if downgrade is None:
        down_body = log.format("down") + f'    op.drop_table("t{rev}")\n'
        if n == 1:
            down_body += '    op.drop_table("gate_log")\n'
    else:
        down_body = log.format("down") + downgrade.format(message=f"{rev} is one-way") + "\n"
        if downgrade.startswith("    raise"):  # statically irreversible: nothing before it
            down_body = downgrade.format(message=f"{rev} is one-way") + "\n"
    return (
        f'"""revision {rev}\n\nRevision ID: {rev}\nRevises: {down.strip(chr(34)) if n > 1 else ""}'
        '\n"""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "{rev}"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade():\n{up}\n\ndef downgrade():\n{down_body}"
    )


def _chain(
    root: Path, count: int, downgrades: dict[int, str] | None = None, *, floor: str | None = None
) -> list[str]:
    """An Alembic project in db/ (alembic.ini, env.py, versions/) configured as chain "shop"."""
    _write(root / "db/alembic.ini", sample.ALEMBIC_INI.format(script=".", db="x.db"))
    _write(root / "db/env.py", sample.ENV_PY)
    names = []
    for n in range(1, count + 1):
        names.append(f"db/versions/{n:04d}_step_{n}.py")
        _write(root / names[-1], _revision(n, (downgrades or {}).get(n)))
    config = '[[chains]]\nname = "shop"\nkind = "alembic"\npath = "db/versions"\n'
    if floor is not None:
        config += f'downgrade_floor = "{floor}"\n'
    _write(root / "migration-guard.toml", config)
    return names


def _sqlite_log(db: Path) -> tuple[list[str], set[str]]:
    """The log's entries in order, and the tables left in the database."""
    with sqlite3.connect(db) as conn:
        entries = [row[0] for row in conn.execute("SELECT entry FROM gate_log ORDER BY id")]
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    return entries, tables


def _postgres_log(url: str) -> tuple[list[str], set[str]]:
    def query(sql: str) -> list[str]:
        out = subprocess.run(
            ["psql", url, "-Atc", sql], capture_output=True, text=True, check=True
        ).stdout
        return out.split()

    entries = [
        e.replace("_", " ")
        for e in query("SELECT replace(entry, ' ', '_') FROM gate_log ORDER BY id")
    ]
    tables = set(query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    return entries, tables


def _shared_postgres(postgres: TempPostgres, name: str) -> str:
    """A database used as is (a role that may not create databases): what it holds afterwards
    is what the gate left."""
    url = postgres.create_database(name)
    role = f"{name}_user"
    subprocess.run(
        [
            "psql",
            url,
            "-qc",
            f"CREATE ROLE {role} LOGIN PASSWORD 'pw'; GRANT ALL ON SCHEMA public TO {role};",
        ],
        check=True,
        capture_output=True,
    )
    return url.replace("postgres@", f"{role}:pw@")


# --- the floor read statically ---------------------------------------------------------------


def test_irreversible_first_revision_round_trips_above_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _chain(tmp_path, 3, {1: IRREVERSIBLE})
    db = tmp_path / "gate.db"
    code, out, err = _run(tmp_path, capsys, "--database-url", f"sqlite:///{db}")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        "Shop (alembic, sqlite): upgrade head OK · downgrade to floor OK · upgrade head OK · "
        "downgrade to floor (clean-up) OK (3 revisions)",
        f"  downgrade floor 0001 ({names[0]}): downgrade() raises NotImplementedError; it and "
        "the revisions below it are not downgraded (the clean-up leaves the database at the "
        "floor)",
        "gate: 1 chain round-tripped (shop above its downgrade floor). OK.",
    ]
    entries, tables = _sqlite_log(db)
    assert entries == [
        *("up 0001", "up 0002", "up 0003"),  # upgrade head
        *("down 0003", "down 0002"),  # downgrade to the floor, not below
        *("up 0002", "up 0003"),  # upgrade head again: the tables really were dropped
        *("down 0003", "down 0002"),  # clean-up
    ]
    assert tables == {"alembic_version", "gate_log", "t0001"}


def test_floor_in_the_middle_of_the_chain_on_a_temporary_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two irreversible revisions: the one nearer the head is the floor.
    names = _chain(tmp_path, 5, {2: IRREVERSIBLE, 3: IRREVERSIBLE})
    code, out, _ = _run(tmp_path, capsys)
    assert code == 0
    assert out.splitlines()[1:] == [
        "Shop (alembic, sqlite): upgrade head OK · downgrade to floor OK · upgrade head OK "
        "(5 revisions)",
        f"  downgrade floor 0003 ({names[2]}): downgrade() raises NotImplementedError; it and "
        "the revisions below it are not downgraded",
        "gate: 1 chain round-tripped (shop above its downgrade floor). OK.",
    ]


def test_broken_downgrade_above_the_floor_still_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _chain(tmp_path, 4, {2: IRREVERSIBLE, 3: BROKEN})
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"Shop (alembic, sqlite): upgrade head OK · downgrade to floor FAIL at 0003 ({names[2]}): "
        "no such table: no_such",
        f"  downgrade floor 0002 ({names[1]}): downgrade() raises NotImplementedError; it and "
        "the revisions below it are not downgraded",
        "gate: 1 of 1 chain failed (shop). FAIL.",
    ]


def test_revisions_without_downgrade_make_the_head_the_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # OpenStack's layout (neutron, keystone): revision files define upgrade() only.
    names = _chain(tmp_path, 2)
    for name in names:
        path = tmp_path / name
        text = path.read_text()
        path.write_text(text[: text.index("\n\ndef downgrade")] + "\n")
    code, out, _ = _run(tmp_path, capsys)
    assert code == 0
    assert out.splitlines()[1:] == [
        "Shop (alembic, sqlite): upgrade head OK · downgrade to floor OK · upgrade head OK "
        "(2 revisions)",
        f"  downgrade floor 0002 ({names[1]}): defines no downgrade(); it is the head, so no "
        "revision is downgraded",
        "gate: 1 chain round-tripped (shop upgraded only: its downgrade floor is its head). OK.",
    ]


def test_not_implemented_in_alembic_itself_is_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Alembic raises NotImplementedError for what SQLite cannot ALTER: the migration does not
    # run on this database, which is not an irreversible revision.
    names = _chain(tmp_path, 3, {3: '    op.drop_constraint("uq_x", "t0003")'})
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert out.splitlines()[1] == (
        f"Shop (alembic, sqlite): upgrade head OK · downgrade base FAIL at 0003 ({names[2]}): "
        "NotImplementedError: No support for ALTER of constraints in SQLite dialect. Please "
        "refer to the batch mode feature which allows for SQLite migrations using a "
        "copy-and-move strategy."
    )


def test_irreversible_revisions_on_merged_branches_put_the_floor_at_the_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _chain(tmp_path, 1)
    versions = tmp_path / "db/versions"
    for rev, down, body in (
        ("b1", "0001", IRREVERSIBLE),
        ("b2", "0001", None),
        ("c2", "b2", IRREVERSIBLE),
        ("m", ("b1", "c2"), None),
        ("n", "m", None),
    ):
        text = _revision(2, body).replace('"0002"', f'"{rev}"').replace("t0002", f"t_{rev}")
        text = text.replace("'up 0002'", f"'up {rev}'").replace("'down 0002'", f"'down {rev}'")
        text = text.replace('down_revision = "0001"', f"down_revision = {down!r}")
        (versions / f"{rev}_x.py").write_text(text)
    db = tmp_path / "gate.db"
    code, out, _ = _run(tmp_path, capsys, "--database-url", f"sqlite:///{db}")
    assert code == 0, out
    assert out.splitlines()[2] == (
        "  downgrade floor m (db/versions/m_x.py): the first revision above c2 (downgrade() "
        "raises NotImplementedError) and b1 (downgrade() raises NotImplementedError); it and "
        "the revisions below it are not downgraded (the clean-up leaves the database at the "
        "floor)"
    )
    entries, _ = _sqlite_log(db)
    assert [e for e in entries if e.startswith("down")] == ["down n", "down n"]


# --- the floor found at run time -------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_floor_found_at_run_time(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    postgres: TempPostgres,
    dialect: str,
) -> None:
    # 0003 raises only when it runs: nothing to read statically. PostgreSQL rolls the whole
    # failed downgrade back to head, SQLite only the failed step: both end at the floor.
    names = _chain(tmp_path, 4, {3: NOT_STATIC})
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'gate.db'}"
    else:
        url = _shared_postgres(postgres, "floor_runtime")
    code, out, _ = _run(tmp_path, capsys, "--database-url", url)
    assert code == 0, out
    assert out.splitlines()[1:] == [
        f"Shop (alembic, {dialect}): upgrade head OK · downgrade to floor OK · upgrade head OK · "
        "downgrade to floor (clean-up) OK (4 revisions)",
        f"  downgrade floor 0003 ({names[2]}): downgrade() raised NotImplementedError at run "
        "time: 0003 is one-way; it and the revisions below it are not downgraded (the clean-up "
        "leaves the database at the floor)",
        "gate: 1 chain round-tripped (shop above its downgrade floor). OK.",
    ]
    if dialect == "sqlite":
        entries, tables = _sqlite_log(tmp_path / "gate.db")
    else:
        entries, tables = _postgres_log(url)
    # "down 0003" was logged just before the raise: rolled back with the failed step.
    assert entries == [
        *("up 0001", "up 0002", "up 0003", "up 0004"),
        "down 0004",  # downgraded to the floor (again, on PostgreSQL, after the roll-back)
        *("up 0004", "down 0004"),  # upgrade head, clean-up
    ]
    assert tables == {"alembic_version", "gate_log", "t0001", "t0002", "t0003"}


def test_stairway_stops_at_the_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 0002 is irreversible on its face, 0004 only when it runs.
    names = _chain(tmp_path, 5, {2: IRREVERSIBLE, 4: NOT_STATIC})
    db = tmp_path / "gate.db"
    code, out, _ = _run(tmp_path, capsys, "--stairway", "--database-url", f"sqlite:///{db}")
    assert code == 0, out
    assert out.splitlines()[1:] == [
        "Shop (alembic, sqlite): stairway OK · upgrade head OK · downgrade to floor (clean-up) "
        "OK (5 revisions)",
        f"  downgrade floor 0004 ({names[3]}): downgrade() raised NotImplementedError at run "
        "time: 0004 is one-way; it and the revisions below it are not downgraded (the clean-up "
        "leaves the database at the floor)",
        "gate: 1 chain round-tripped (shop above its downgrade floor). OK.",
    ]
    entries, _ = _sqlite_log(db)
    assert entries == [
        *("up 0001", "up 0002"),  # at or below the static floor: upgraded only
        *("up 0003", "down 0003", "up 0003"),
        "up 0004",  # its downgrade raised (its log line rolled back): the floor, still applied
        *("up 0005", "down 0005", "up 0005"),
        "down 0005",  # clean-up to the floor
    ]


def test_stairway_failure_above_the_floor_names_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _chain(tmp_path, 4, {1: IRREVERSIBLE, 3: BROKEN})
    code, out, _ = _run(tmp_path, capsys, "--stairway")
    assert code == 1
    assert out.splitlines()[1] == (
        f"Shop (alembic, sqlite): stairway FAIL at 0003 ({names[2]}): downgrade: no such table: "
        "no_such"
    )


# --- the configured floor --------------------------------------------------------------------


def test_configured_floor_on_postgres(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: TempPostgres
) -> None:
    # 0002's downgrade is broken, and the team decided not to support downgrading below it.
    names = _chain(tmp_path, 4, {2: BROKEN}, floor="0002")
    url = _shared_postgres(postgres, "floor_config")
    code, out, _ = _run(tmp_path, capsys, "--database-url", url)
    assert code == 0, out
    assert out.splitlines()[1:] == [
        "Shop (alembic, postgresql): upgrade head OK · downgrade to floor OK · upgrade head OK "
        "· downgrade to floor (clean-up) OK (4 revisions)",
        f"  downgrade floor 0002 ({names[1]}): downgrade_floor in migration-guard.toml; it and "
        "the revisions below it are not downgraded (the clean-up leaves the database at the "
        "floor)",
        "gate: 1 chain round-tripped (shop above its downgrade floor). OK.",
    ]
    entries, _ = _postgres_log(url)
    assert [e for e in entries if e.startswith("down")] == ["down 0004", "down 0003"] * 2

    # Without the key, the same chain fails at 0002: the floor was what made it pass.
    (tmp_path / "migration-guard.toml").write_text(
        '[[chains]]\nname = "shop"\nkind = "alembic"\npath = "db/versions"\n'
    )
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert f"downgrade base FAIL at 0002 ({names[1]}): no such table: no_such" in out


def test_configured_floor_in_pyproject_names_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _chain(tmp_path, 3, floor="0002")
    config = (tmp_path / "migration-guard.toml").read_text()
    (tmp_path / "migration-guard.toml").unlink()
    _write(
        tmp_path / "pyproject.toml", config.replace("[[chains]]", "[[tool.migration-guard.chains]]")
    )
    code, out, _ = _run(tmp_path, capsys, "--format", "json")
    assert code == 0
    (chain,) = json.loads(out)["chains"]
    assert chain["floor"] == {
        "revision": "0002",
        "path": names[1],
        "reason": "downgrade_floor in pyproject.toml [tool.migration-guard]",
        "source": "config",
        "head": False,
    }


def test_configured_floor_below_an_irreversible_revision_is_moot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _chain(tmp_path, 4, {3: IRREVERSIBLE}, floor="0001")
    code, out, _ = _run(tmp_path, capsys)
    assert code == 0
    assert out.splitlines()[2] == (
        f"  downgrade floor 0003 ({names[2]}): downgrade() raises NotImplementedError; it and "
        "the revisions below it are not downgraded"
    )


GENERIC = 'name one of the chain\'s revisions: the revision = "..." value of its file'


@pytest.mark.parametrize(
    ("count", "floor", "hint"),
    [
        (2, "0009", GENERIC),
        (2, "000", GENERIC),  # a prefix of both revisions
        # A unique prefix: Alembic would take it; the configuration says which revision.
        (1, "000", "did you mean '0001'? downgrade_floor takes the full revision id"),
    ],
)
def test_unknown_configured_floor_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: int, floor: str, hint: str
) -> None:
    _chain(tmp_path, count, floor=floor)
    code, out, err = _run(tmp_path, capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"migration-guard gate: error: migration-guard.toml: chain 'shop': downgrade_floor "
        f"'{floor}' is not a revision of the chain (db/versions)\n  hint: {hint}\n"
    )


# --- JSON ------------------------------------------------------------------------------------


def test_json_carries_the_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = _chain(tmp_path, 3, {2: IRREVERSIBLE, 3: BROKEN})
    code, out, _ = _run(tmp_path, capsys, "--format", "json")
    assert code == 1
    payload = json.loads(out)
    assert payload["ok"] is False
    (chain,) = payload["chains"]
    assert chain["floor"] == {
        "revision": "0002",
        "path": names[1],
        "reason": "downgrade() raises NotImplementedError",
        "source": "static",
        "head": False,
    }
    assert [(s["step"], s["ok"], s["revision"]) for s in chain["steps"]] == [
        ("upgrade head", True, None),
        ("downgrade to floor", False, "0003"),
    ]
    assert chain["steps"][1]["error"] == "no such table: no_such"

    (tmp_path / names[2]).write_text(_revision(3, None))
    code, out, _ = _run(tmp_path, capsys, "--format", "json")
    assert code == 0
    (chain,) = json.loads(out)["chains"]
    assert chain["ok"] is True
    assert chain["floor"]["revision"] == "0002"
    assert [s["step"] for s in chain["steps"]] == [
        "upgrade head",
        "downgrade to floor",
        "upgrade head",
    ]


def test_chain_without_floor_reports_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _chain(tmp_path, 2)
    code, out, _ = _run(tmp_path, capsys, "--format", "json")
    assert code == 0
    (chain,) = json.loads(out)["chains"]
    assert chain["floor"] is None
    assert [s["step"] for s in chain["steps"]] == ["upgrade head", "downgrade base", "upgrade head"]


def test_help_explains_the_floor(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["gate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in (
        "an Alembic revision whose downgrade() raises NotImplementedError (or that defines no "
        "downgrade()) is the chain's downgrade floor, as in pytest-alembic",
        "The round trip then downgrades to the floor, not to base, and --stairway only upgrades "
        "the revisions at and below it",
        'downgrade_floor = "<revision>" for the chain in migration-guard.toml',
        "A failure above the floor still fails the gate.",
        "0 every chain round-tripped (above its downgrade floor, if any)",
    ):
        assert text in out


def test_unknown_floor_is_checked_by_alembic_when_an_id_is_not_known_statically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _chain(tmp_path, 2, floor="0003")
    computed = tmp_path / names[1]
    computed.write_text(computed.read_text().replace('revision = "0002"', 'revision = "000" + "2"'))
    code, _, err = _run(tmp_path, capsys)
    assert code == 2
    assert err == (
        "migration-guard gate: error: chain 'shop': downgrade_floor '0003' is not a revision of "
        "the chain (db/versions)\n"
        "  hint: downgrade_floor takes the full id of one of the chain's revisions\n"
    )
    # The revision Alembic computes is a floor like any other.
    (tmp_path / "migration-guard.toml").write_text(
        (tmp_path / "migration-guard.toml").read_text().replace('"0003"', '"0002"')
    )
    code, out, _ = _run(tmp_path, capsys)
    assert code == 0, out
    assert out.splitlines()[2] == (
        f"  downgrade floor 0002 ({names[1]}): downgrade_floor in migration-guard.toml; it is "
        "the head, so no revision is downgraded"
    )
