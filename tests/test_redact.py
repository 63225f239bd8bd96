"""No secret in anything the tool prints or posts: tokens, URL passwords, in any case or
encoding (issue 10, item 10)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from testing.cli import run
from testing.fake_forge import FakeForge, Fault
from testing.gitrepo import GitRepo

from migration_guard import redact, sample
from migration_guard.forges.http import HTTPStatusError, JsonClient, Secret

TOKEN = "ghp_Tok3nWithMixedCASE0123456789"
PASSWORD = "Hunter2pw"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    redact.reset()
    yield
    redact.reset()


# --- the module --------------------------------------------------------------------------------


def test_a_token_is_masked_in_any_case_and_encoding() -> None:
    redact.register("ghp_A/b+C d@Ef0123456789")
    for text in (
        "ghp_A/b+C d@Ef0123456789",
        "GHP_A/B+C D@EF0123456789",
        "ghp_a/b+c d@ef0123456789",
        "ghp_A%2Fb%2BC%20d%40Ef0123456789",
        "ghp_a%2fb%2bc%20d%40ef0123456789",  # lower-case percent escapes
        "ghp_A%2Fb%2BC+d%40Ef0123456789",  # quote_plus
    ):
        assert redact.redact(f"error: {text}!") == "error: ***!", text
    # Glued to other text: a long secret still goes.
    assert redact.redact("xxghp_a/b+c d@ef0123456789yy") == "xx***yy"


def test_a_short_password_is_masked_as_a_word_only() -> None:
    redact.register_url("postgresql://postgres:postgres@localhost:5432/postgres")
    assert redact.redact("Database: PostgreSQL at localhost:5432/postgres") == (
        "Database: PostgreSQL at localhost:5432/***"
    )
    assert redact.redact('auth failed: "POSTGRES" (pw=postgres)') == ('auth failed: "***" (pw=***)')


def test_a_url_password_is_registered_decoded_and_as_given() -> None:
    redact.register_url("db:pg://ops:p%40ss%25w0rd@db.example.com/queue")
    assert redact.redact("password p@ss%w0rd rejected") == "password *** rejected"
    assert redact.redact("url p%40SS%25w0rd") == "url ***"
    assert redact.redact("ini p%%40ss%%25w0rd") == "ini ***"  # configparser's doubled %


def test_any_url_password_is_masked_even_unknown() -> None:
    assert redact.redact("could not reach GitHub at https://bot:x0x0@ghe.example/api: no") == (
        "could not reach GitHub at https://bot:***@ghe.example/api: no"
    )
    assert redact.redact("target db:pg://u:pw9@h/d, and http://host/a:b@c") == (
        "target db:pg://u:***@h/d, and http://host/a:b@c"
    )
    # Our own examples (--help, hints) keep their placeholders, unless someone uses one.
    example = "postgresql://user:password@localhost:5432/db, postgresql://u:pw@h/db"
    assert redact.redact(example) == example
    redact.register_url("postgresql://u:pw@h/db")
    assert redact.redact(example) == (
        "postgresql://user:password@localhost:5432/db, postgresql://u:***@h/db"
    )


def test_json_and_repr_escaped_forms_are_masked() -> None:
    redact.register('q"uo\\te')
    assert redact.redact(json.dumps({"error": 'pw q"uo\\te'})) == '{"error": "pw ***"}'
    assert redact.redact(repr('pw q"uo\\te')) == "'pw ***'"


def test_a_malformed_url_registers_nothing_and_raises_nothing() -> None:
    redact.register_url("postgresql://u:pw1234@[::1/db")
    assert redact.redact("pw1234") == "***"
    redact.register_url("no url here")
    redact.register_url("")


def test_the_stream_masks_a_secret_written_in_pieces() -> None:
    redact.register(TOKEN)
    target = io.StringIO()
    stream = redact.RedactingStream(target)
    stream.write("token ghp_Tok3n")
    stream.write("WithMixedCASE0123456789 end\nrest ")
    assert target.getvalue() == "token *** end\n"
    stream.write(TOKEN.lower())
    stream.flush()
    assert target.getvalue() == "token *** end\nrest ***"


# --- the forge client --------------------------------------------------------------------------


def test_a_forge_echo_of_the_token_in_lower_case_is_masked() -> None:
    with FakeForge(token=TOKEN) as fake:
        fake.add_fault(Fault("GET /repos", 401, {"message": f"Bad credentials {TOKEN.lower()}"}))
        client = JsonClient(fake.github_api_url, token=Secret(TOKEN), name="GitHub")
        with pytest.raises(HTTPStatusError) as caught:
            client.request("GET", "repos/acme/app/pulls")
    assert "Bad credentials ***" in caught.value.message
    assert TOKEN.lower() not in caught.value.message.lower()


# --- end to end --------------------------------------------------------------------------------


def _branch_with_a_migration(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "feature")
    versions = repo.path / sample.CONSOLE_VERSIONS
    last = sorted(p.name for p in versions.iterdir() if p.name[:4].isdigit())[-1]
    number = int(last[:4]) + 1
    rev = f"{number:04d}"
    repo.write(
        f"{sample.CONSOLE_VERSIONS}/{rev}_x.py",
        sample.alembic_script(rev, last[:4], "x", table="t_x"),
    )
    repo.commit_all("add a migration")
    return repo


def test_credentials_in_the_api_url_never_reach_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _branch_with_a_migration(tmp_path)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/app")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", f"http://bot:{PASSWORD}@127.0.0.1:1/api")
    monkeypatch.setenv("GITHUB_GRAPHQL_URL", f"http://bot:{PASSWORD}@127.0.0.1:1/graphql")
    for output_format in ("text", "json"):
        code, out, err = run(
            repo, capsys, "check", "--provider", "github", "--base-sha", "origin/main",
            "--format", output_format,
        )  # fmt: skip
        assert code == 3, err
        assert "could not reach GitHub at http://bot:***@127.0.0.1:1/" in err
        for text in (out, err):
            assert PASSWORD.lower() not in text.lower()
            assert TOKEN.lower() not in text.lower()


def _alembic_project(root: Path, raising: str) -> None:
    """One revision whose upgrade() raises with ``raising`` (a Python expression)."""
    (root / "db/versions").mkdir(parents=True)
    (root / "db/alembic.ini").write_text(sample.ALEMBIC_INI.format(script=".", db="x.db"))
    (root / "db/env.py").write_text(sample.ENV_PY)
    script = sample.alembic_script("0001", None, "leak", table="t_leak")
    script = script.replace(
        "def upgrade() -> None:\n",
        f"def upgrade() -> None:\n    import os\n\n    raise RuntimeError({raising})\n",
    )
    assert "raise RuntimeError" in script
    (root / "db/versions/0001_leak.py").write_text(script)
    (root / "migration-guard.toml").write_text(
        '[[chains]]\nname = "shop"\nkind = "alembic"\npath = "db/versions"\n'
    )


@pytest.mark.slow
def test_gate_masks_a_token_a_migration_echoes_in_lower_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    _alembic_project(tmp_path, '"token is " + os.environ["GITHUB_TOKEN"].lower()')
    code, out, err = run(tmp_path, capsys, "gate")
    assert code == 1, err
    assert "upgrade head FAIL at 0001 (db/versions/0001_leak.py): RuntimeError: token is ***" in out
    code, out, err = run(tmp_path, capsys, "gate", "--format", "json")
    assert code == 1, err
    step = json.loads(out)["chains"][0]["steps"][0]
    assert (step["error"], step["detail"]) == (
        "RuntimeError: token is ***",
        "RuntimeError: token is ***",
    )
    assert TOKEN.lower() not in (out + err).lower()


@pytest.mark.postgres
def test_gate_masks_the_database_password_a_migration_relays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: object
) -> None:
    from migration_guard.databases.temp_postgres import TempPostgres

    assert isinstance(postgres, TempPostgres)
    role = f"leak_{os.getpid()}"
    subprocess.run(
        ["psql", postgres.url, "-qc", f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{PASSWORD}'"],
        check=True,
        capture_output=True,
    )
    url = postgres.url.replace("postgres@", f"{role}:{PASSWORD}@")
    assert PASSWORD in url
    _alembic_project(tmp_path, '"cannot use " + os.environ["DATABASE_URL"]')
    code, out, err = run(tmp_path, capsys, "gate", "--database-url", url)
    assert code == 1, err
    masked = re.compile(rf"RuntimeError: cannot use postgresql(\+\w+)?://{role}:\*\*\*@")
    assert masked.search(out), out
    code, out, err = run(tmp_path, capsys, "gate", "--database-url", url, "--format", "json")
    assert code == 1, err
    step = json.loads(out)["chains"][0]["steps"][0]
    assert masked.match(step["error"]), step
    assert step["detail"] == step["error"]
    assert PASSWORD.lower() not in (out + err).lower()


def test_a_sqitch_target_password_is_learned_when_read() -> None:
    from migration_guard.databases.sqitch_registry import parse_db_uri

    assert redact.redact("role ops, password s3cr%t") == "role ops, password s3cr%t"
    parse_db_uri("db:pg://ops:s3cr%25t@db.example.com/queue")
    assert redact.redact("role ops, password S3CR%T") == "role ops, password ***"
