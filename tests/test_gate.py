"""``migration-guard gate``: real Alembic, real sqitch, real SQLite and PostgreSQL; no mocks."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.gitrepo import git

from migration_guard import sample
from migration_guard.cli import main
from migration_guard.databases.temp_postgres import TempPostgres

pytestmark = pytest.mark.slow

V = sample.CONSOLE_VERSIONS


def _run(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(repo), "gate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _alembic_chain(
    root: Path,
    folder: str,
    prefix: str,
    count: int,
    *,
    broken_downgrade: int | None = None,
    env_py: str = sample.ENV_PY,
) -> list[str]:
    """An Alembic project in ``folder`` (alembic.ini, env.py, versions/); file names returned."""
    _write(root / folder / "alembic.ini", sample.ALEMBIC_INI.format(script=".", db="x.db"))
    _write(root / folder / "env.py", env_py)
    names = []
    for n in range(1, count + 1):
        rev = f"{n:04d}"
        slug = f"create_{prefix}_t{rev}"
        text = sample.alembic_script(
            rev, f"{n - 1:04d}" if n > 1 else None, slug, table=f"{prefix}_t{rev}"
        )
        if n == broken_downgrade:
            text = text.replace(f'op.drop_table("{prefix}_t{rev}")', 'op.drop_table("no_such")')
        names.append(f"{rev}_{slug}.py")
        _write(root / folder / "versions" / names[-1], text)
    return names


def _config(root: Path, *chains: tuple[str, str, str]) -> None:
    text = ""
    for name, kind, path in chains:
        text += f'[[chains]]\nname = "{name}"\nkind = "{kind}"\npath = "{path}"\n\n'
    _write(root / "migration-guard.toml", text)


def _sqitch_project(root: Path, folder: str, *, broken_verify: str | None = None) -> None:
    changes = [
        sample.SqitchChange("01-orders", "orders", "Orders"),
        sample.SqitchChange("02-order-lines", "order_lines", "Lines", ("01-orders",)),
        sample.SqitchChange("03-refunds", "refunds", "Refunds"),
        sample.SqitchChange("04-audit", "audit", "Audit"),
    ]
    sqitch_dir = root / folder
    _write(sqitch_dir / "sqitch.conf", "[core]\n\tengine = sqlite\n")
    plan = "%syntax-version=1.0.0\n%project=shop\n\n" + "".join(
        sample.plan_line(c) for c in changes
    )
    _write(sqitch_dir / "sqitch.plan", plan)
    for change in changes:
        sample.write_sqitch_change(sqitch_dir, change, project="shop")
        if change.name == broken_verify:
            verify = sqitch_dir / "verify" / f"{change.name}.sql"
            verify.write_text(
                verify.read_text() + f"SELECT amount FROM {change.table};\n", encoding="utf-8"
            )


@pytest.fixture
def own_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp folder of this test's own (readable by the server's user when run as root), so
    that what the gate leaves behind can be seen without racing other test runs."""
    folder = Path(tempfile.mkdtemp(prefix="mg-gate-test-"))
    folder.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- the demo repository ---------------------------------------------------------------------


def test_demo_repository_round_trips_on_a_temporary_postgres(
    sample_repo: Path, capsys: pytest.CaptureFixture[str], own_tmpdir: Path
) -> None:
    code, out, err = _run(sample_repo, capsys, "--temp-postgres")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert re.fullmatch(
        r"Database: temporary PostgreSQL [0-9.]+ at 127\.0\.0\.1:\d+ \(a fresh database per "
        r"chain; the cluster is deleted afterwards\)",
        lines[0],
    )
    assert lines[1:] == [
        "Console (alembic, postgresql): upgrade head OK · downgrade base OK · upgrade head OK "
        "(192 revisions)",
        "Raptor (alembic, postgresql): upgrade head OK · downgrade base OK · upgrade head OK "
        "(57 revisions)",
        "Queue (sqitch, postgresql): deploy --verify OK · revert OK · deploy --verify OK "
        "(7 changes)",
        "gate: 3 chains round-tripped. OK.",
    ]
    assert list(own_tmpdir.iterdir()) == []  # the throwaway cluster is gone


def test_a_chain_renumbered_after_a_collision_round_trips(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The incident branch merged two PRs that both took console 0193: Alembic cannot upgrade.
    git(sample_repo, "checkout", "-q", "incident")
    code, out, _ = _run(sample_repo, capsys, "--console-only")
    assert code == 1
    assert out.splitlines()[0] == (
        "Database: temporary SQLite (a new file per chain, deleted afterwards; use "
        "--temp-postgres or --database-url to run on PostgreSQL)"
    )
    assert out.splitlines()[1].startswith(
        "Console (alembic, sqlite): upgrade head FAIL: Multiple head revisions are present"
    )
    assert out.splitlines()[-1] == "gate: 1 of 1 chain failed (console). FAIL."

    # Renumber the PR that merged second onto the other one, as the runbook says.
    from migration_guard.cli import main

    assert (
        main(
            [
                "-C",
                str(sample_repo),
                "renumber",
                f"{V}/0193_add_refund_audit.py",
                "--to",
                "0194",
                "--down-revision",
                "0193",
                "--provider",
                "none",
            ]
        )
        == 0
    )
    assert (sample_repo / V / "0194_add_refund_audit.py").is_file()
    capsys.readouterr()

    code, out, _ = _run(sample_repo, capsys, "--console-only")
    assert code == 0
    assert out.splitlines()[1:] == [
        "Console (alembic, sqlite): upgrade head OK · downgrade base OK · upgrade head OK "
        "(194 revisions)",
        "gate: 1 chain round-tripped. OK.",
    ]


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_gate_still_deletes_its_postgres(
    tmp_path: Path, own_tmpdir: Path, signum: int, exit_code: int
) -> None:
    names = _alembic_chain(tmp_path, "db", "shop", 2)
    slow = tmp_path / "db/versions" / names[1]
    slow.write_text(
        slow.read_text().replace(
            "def upgrade() -> None:\n",
            "def upgrade() -> None:\n    import time\n\n    time.sleep(60)\n",
        )
    )
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "migration_guard", "-C", str(tmp_path), "gate", "--temp-postgres"],
        env={**os.environ, "TMPDIR": str(own_tmpdir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A Ctrl-C reaches the whole foreground process group, the migration's child included.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("Database: temporary PostgreSQL")
    assert any(own_tmpdir.glob("migration-guard-pg-*"))
    time.sleep(1)  # the child is inside the slow revision now
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)  # a CI runner cancelling the job
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == exit_code, err
    assert list(own_tmpdir.iterdir()) == []  # the cluster and every temp file are gone


# --- a broken downgrade ----------------------------------------------------------------------


def test_broken_downgrade_is_named_in_the_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _alembic_chain(tmp_path, "db", "shop", 5, broken_downgrade=3)
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert out.splitlines()[1:] == [
        "Shop (alembic, sqlite): upgrade head OK · downgrade base FAIL at 0003 "
        f"(db/versions/{names[2]}): no such table: no_such",
        "gate: 1 of 1 chain failed (shop). FAIL.",
    ]
    code, out, _ = _run(tmp_path, capsys, "--format", "json")
    payload = json.loads(out)
    assert (code, payload["ok"], payload["database"]["kind"]) == (1, False, "temporary-sqlite")
    (chain,) = payload["chains"]
    assert (chain["name"], chain["kind"], chain["dialect"], chain["ok"]) == (
        "shop",
        "alembic",
        "sqlite",
        False,
    )
    assert [(s["step"], s["ok"]) for s in chain["steps"]] == [
        ("upgrade head", True),
        ("downgrade base", False),
    ]
    failed = chain["steps"][1]
    assert (failed["revision"], failed["path"], failed["error"]) == (
        "0003",
        f"db/versions/{names[2]}",
        "no such table: no_such",
    )
    assert "[SQL: \nDROP TABLE no_such]" in failed["detail"]


def test_stairway_names_the_broken_revision_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _alembic_chain(tmp_path, "db", "shop", 5, broken_downgrade=3)
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    code, out, _ = _run(tmp_path, capsys, "--stairway")
    assert code == 1
    assert out.splitlines()[1] == (
        f"Shop (alembic, sqlite): stairway FAIL at 0003 (db/versions/{names[2]}): downgrade: "
        "no such table: no_such"
    )


def test_stairway_on_a_temporary_postgres_and_cleanup_after_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], own_tmpdir: Path
) -> None:
    names = _alembic_chain(tmp_path, "db", "shop", 4, broken_downgrade=2)
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    code, out, _ = _run(tmp_path, capsys, "--stairway", "--temp-postgres")
    assert code == 1
    assert out.splitlines()[1:] == [
        f"Shop (alembic, postgresql): stairway FAIL at 0002 (db/versions/{names[1]}): "
        'downgrade: table "no_such" does not exist',
        "gate: 1 of 1 chain failed (shop). FAIL.",
    ]
    assert list(own_tmpdir.iterdir()) == []

    (tmp_path / "db/versions" / names[1]).write_text(
        (tmp_path / "db/versions" / names[1])
        .read_text()
        .replace('op.drop_table("no_such")', 'op.drop_table("shop_t0002")')
    )
    code, out, _ = _run(tmp_path, capsys, "--stairway", "--temp-postgres")
    assert code == 0
    assert out.splitlines()[1] == (
        "Shop (alembic, postgresql): stairway OK · upgrade head OK (4 revisions)"
    )


def test_unreadable_revision_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _alembic_chain(tmp_path, "db", "shop", 3)
    broken = tmp_path / "db/versions" / names[1]
    broken.write_text(broken.read_text() + "\ndef (:\n")
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert out.splitlines()[1].startswith(
        f"Shop (alembic, sqlite): read revisions FAIL in db/versions/{names[1]}: SyntaxError: "
    )


# --- where the URL goes ----------------------------------------------------------------------


def test_database_url_env_names_the_variable_env_py_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_py = sample.ENV_PY.replace('os.environ.get("DATABASE_URL")', 'os.environ["APP_DB_URL"]')
    assert env_py != sample.ENV_PY
    _alembic_chain(tmp_path, "db", "shop", 2, env_py=env_py)
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert "upgrade head FAIL: KeyError: 'APP_DB_URL'" in out

    toml = tmp_path / "migration-guard.toml"
    toml.write_text(toml.read_text() + 'database_url_env = "APP_DB_URL"\n')
    code, out, _ = _run(tmp_path, capsys)
    assert code == 0, out


def test_alembic_ini_is_found_above_the_versions_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Raptor's layout: backend/alembic.ini with script_location = %(here)s/alembic.
    _write(
        tmp_path / "backend/alembic.ini",
        sample.ALEMBIC_INI.format(script="alembic", db="x.db"),
    )
    _write(tmp_path / "backend/alembic/env.py", sample.ENV_PY)
    _write(
        tmp_path / "backend/alembic/versions/0001_a.py",
        sample.alembic_script("0001", None, "a", table="a"),
    )
    _config(tmp_path, ("backend", "alembic", "backend/alembic/versions"))
    code, out, _ = _run(tmp_path, capsys)
    assert code == 0, out
    # Without an alembic.ini that points at the folder, the gate says what to configure.
    (tmp_path / "backend/alembic.ini").unlink()
    code, _, err = _run(tmp_path, capsys)
    assert code == 2
    assert err == (
        "migration-guard gate: error: chain 'backend': no alembic.ini or pyproject.toml "
        "[tool.alembic] found for backend/alembic/versions\n"
        '  hint: set alembic_config = "path/to/alembic.ini" (or a pyproject.toml) for the '
        "chain in migration-guard.toml\n"
    )


def test_given_postgres_gets_a_database_per_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: TempPostgres
) -> None:
    _alembic_chain(tmp_path, "db", "shop", 3)
    _sqitch_project(tmp_path, "queue")
    _config(tmp_path, ("shop", "alembic", "db/versions"), ("queue", "sqitch", "queue/sqitch.plan"))
    code, out, _ = _run(tmp_path, capsys, "--database-url", postgres.url)
    assert code == 0, out
    assert out.splitlines() == [
        f"Database: {postgres.url} (a new database per chain on that server, dropped afterwards)",
        "Shop (alembic, postgresql): upgrade head OK · downgrade base OK · upgrade head OK "
        "(3 revisions)",
        "Queue (sqitch, postgresql): deploy --verify OK · revert OK · deploy --verify OK "
        "(4 changes)",
        "gate: 2 chains round-tripped. OK.",
    ]
    left = subprocess.run(
        [
            "psql",
            postgres.url,
            "-Atc",
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'mg_gate_%'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert left == "0"


def test_given_database_without_createdb_is_shared_and_cleaned_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: TempPostgres
) -> None:
    url = postgres.create_database("gate_shared")
    subprocess.run(
        [
            "psql",
            url,
            "-qc",
            "CREATE ROLE gate_user LOGIN PASSWORD 's3cret%'; "
            "GRANT ALL ON SCHEMA public TO gate_user; "
            "GRANT CREATE ON DATABASE gate_shared TO gate_user;",  # sqitch's registry schema
        ],
        check=True,
        capture_output=True,
    )
    user_url = url.replace("postgres@", "gate_user:s3cret%25@")
    # An env.py that passes DATABASE_URL to set_main_option must double a '%' (configparser);
    # the sample's does.
    assert 'set_main_option("sqlalchemy.url", url.replace("%", "%%"))' in sample.ENV_PY
    _alembic_chain(tmp_path, "one", "one", 2)
    _alembic_chain(tmp_path, "two", "two", 2)
    _sqitch_project(tmp_path, "queue")
    _config(
        tmp_path,
        ("one", "alembic", "one/versions"),
        ("two", "alembic", "two/versions"),
        ("queue", "sqitch", "queue/sqitch.plan"),
    )
    code, out, _ = _run(tmp_path, capsys, "--database-url", user_url)
    assert code == 0, out
    masked = url.replace("postgres@", "gate_user:***@")
    assert out.splitlines() == [
        f"Database: {masked} (used as is: chains run one after another and each is taken back "
        "to its base afterwards; the role may not create databases)",
        "One (alembic, postgresql): upgrade head OK · downgrade base OK · upgrade head OK · "
        "downgrade base (clean-up) OK (2 revisions)",
        "Two (alembic, postgresql): upgrade head OK · downgrade base OK · upgrade head OK · "
        "downgrade base (clean-up) OK (2 revisions)",
        "Queue (sqitch, postgresql): deploy --verify OK · revert OK · deploy --verify OK · "
        "revert (clean-up) OK (4 changes)",
        "gate: 3 chains round-tripped. OK.",
    ]
    assert "s3cret" not in out


# --- sqitch ----------------------------------------------------------------------------------


@pytest.mark.sqitch
def test_sqitch_verify_failure_names_the_change_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sqitch_project(tmp_path, "queue", broken_verify="03-refunds")
    _config(tmp_path, ("queue", "sqitch", "queue/sqitch.plan"))
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert out.splitlines()[1:] == [
        "Queue (sqitch, sqlite): deploy --verify FAIL at 03-refunds "
        "(queue/verify/03-refunds.sql): verify failed: Parse error near line 4: no such "
        "column: amount",
        "gate: 1 of 1 chain failed (queue). FAIL.",
    ]


@pytest.mark.sqitch
def test_sqitch_verify_failure_names_the_change_on_postgres(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: TempPostgres
) -> None:
    _sqitch_project(tmp_path, "db/sqitch", broken_verify="03-refunds")
    _config(tmp_path, ("queue", "sqitch", "db/sqitch/sqitch.plan"))
    code, out, _ = _run(tmp_path, capsys, "--database-url", postgres.url, "--format", "json")
    assert code == 1
    (chain,) = json.loads(out)["chains"]
    assert chain["dialect"] == "postgresql"
    (step,) = chain["steps"]
    assert (step["step"], step["revision"], step["path"], step["error"]) == (
        "deploy --verify",
        "03-refunds",
        "db/sqitch/verify/03-refunds.sql",
        'verify failed: ERROR: column "amount" does not exist',
    )


@pytest.mark.sqitch
def test_sqitch_revert_failure_names_the_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sqitch_project(tmp_path, "queue")
    (tmp_path / "queue/revert/02-order-lines.sql").write_text("DROP TABLE no_such;\n")
    _config(tmp_path, ("queue", "sqitch", "queue/sqitch.plan"))
    code, out, _ = _run(tmp_path, capsys)
    assert code == 1
    assert out.splitlines()[1] == (
        "Queue (sqitch, sqlite): deploy --verify OK · revert FAIL at 02-order-lines "
        "(queue/revert/02-order-lines.sql): Parse error near line 1: no such table: no_such"
    )


# --- usage and environment errors ------------------------------------------------------------


def test_missing_sqitch_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _sqitch_project(tmp_path, "queue")
    _config(tmp_path, ("queue", "sqitch", "queue/sqitch.plan"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real_git = subprocess.run(
        ["sh", "-c", "command -v git"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (bin_dir / "git").symlink_to(real_git)
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out, err = _run(tmp_path, capsys)
    assert (code, out) == (2, "")
    assert err == (
        "migration-guard gate: error: sqitch is not installed: the gate runs sqitch chains "
        "with the real sqitch\n"
        "  hint: Debian/Ubuntu: apt-get install sqitch libdbd-pg-perl libdbd-sqlite3-perl "
        "(or see https://sqitch.org/download/)\n"
    )


def test_unreachable_database_is_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _alembic_chain(tmp_path, "db", "shop", 1)
    _config(tmp_path, ("shop", "alembic", "db/versions"))
    code, out, err = _run(
        tmp_path, capsys, "--database-url", "postgresql://me:hunter2@127.0.0.1:1/db"
    )
    assert (code, out) == (3, "")
    assert err.startswith(
        "migration-guard gate: error: cannot connect to postgresql://me:***@127.0.0.1:1/db: "
    )
    assert "hunter2" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--temp-postgres", "--database-url", "sqlite:////tmp/x.db"),
            "--database-url and --temp-postgres cannot be used together",
        ),
        (
            ("--database-url", "sqlite://"),
            "an in-memory SQLite database does not survive from one migration step to the next",
        ),
        (("--database-url", "not a url"), "--database-url 'not a url' is not a database URL"),
        (
            ("--database-url", "mysql://u@localhost/db", "--chain", "queue"),
            "sqitch chains cannot run on a mysql URL here",
        ),
        (("--chain", "nope"), "unknown chain 'nope'"),
    ],
)
def test_usage_errors_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    _sqitch_project(tmp_path, "queue")
    _config(tmp_path, ("queue", "sqitch", "queue/sqitch.plan"))
    code, out, err = _run(tmp_path, capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"migration-guard gate: error: {message}\n")


def test_help_explains_what_gate_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["gate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in (
        "upgrade to head, downgrade to base, upgrade to head again",
        "sqitch deploy --verify, revert -y, deploy --verify",
        "gate EXECUTES the migration code",
        "the `gate` extra (SQLAlchemy, psycopg2; docs/install.md)",
        "--temp-postgres starts a throwaway PostgreSQL server",
        "3 the database could not be started or reached",
    ):
        assert text in out
