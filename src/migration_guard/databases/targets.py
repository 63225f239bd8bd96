"""Where ``gate`` runs migrations: temporary SQLite files, a throwaway PostgreSQL, or a URL.

Every chain gets its own fresh database when that is possible (a SQLite file per chain, a
database per chain on the throwaway cluster, ``CREATE DATABASE`` on a given PostgreSQL server
when the role may); otherwise chains share the given database one after another, and each is
taken back to its base afterwards so the next one starts clean.

URLs are SQLAlchemy URLs (``postgresql://user:pw@host:5432/db``, ``sqlite:////abs/path.db``);
sqitch gets the matching ``db:pg://...`` / ``db:sqlite:...`` target. Passwords never appear in
output: :func:`mask_url` hides them, and sqitch gets them through ``SQITCH_PASSWORD``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from migration_guard.databases.temp_postgres import TempPostgres
from migration_guard.errors import DatabaseError, GuardError, UsageError
from migration_guard.project import pip_requirement
from migration_guard.redact import mask_passwords

GATE_EXTRA_HINT = f"pip install '{pip_requirement(extras='gate')}'"
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class ChainDatabase:
    """The database one chain runs against."""

    url: str  # SQLAlchemy URL, absolute paths for SQLite
    dialect: str  # "sqlite", "postgresql", "mysql", ...
    sqitch_uri: str | None = None  # db:... target, None when sqitch cannot use this database
    password: str | None = field(default=None, repr=False)
    shared: bool = False  # the given database as is: clean up after the chain
    name: str | None = None  # a database created for this chain (dropped afterwards)


class Database(Protocol):
    kind: str  # "temporary-sqlite" | "temporary-postgresql" | "url"
    dialect: str
    description: str
    per_chain: bool

    def chain_database(self, chain: str) -> ChainDatabase: ...

    def release(self, db: ChainDatabase) -> None: ...

    def to_json(self) -> dict[str, Any]: ...


# --- URLs ------------------------------------------------------------------------------------


def dialect_of(url: str) -> str:
    """``postgresql+psycopg2://...`` → ``postgresql`` (``postgres`` counts as postgresql)."""
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    return "postgresql" if scheme in ("postgres", "postgresql") else scheme


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (also when it cannot be parsed)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:  # "Invalid IPv6 URL": masked as text
        return mask_passwords(url)
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


def _sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///`` URL, made absolute; None for an in-memory database."""
    rest = url.split("://", 1)[1]
    path, _, _query = rest.partition("?")
    if not path.startswith("/"):
        return None  # sqlite://host... is not a file URL
    path = path[1:]
    if path in ("", ":memory:"):
        return None
    return os.path.abspath(unquote(path))


def normalize_url(url: str, option: str = "--database-url") -> str:
    """Check a user's URL; SQLite file paths become absolute (migrations run elsewhere)."""
    hint = (
        "use a SQLAlchemy URL, e.g. postgresql://user:password@localhost:5432/db, "
        "postgresql://user@[::1]:5432/db or sqlite:////tmp/gate.db"
    )
    if not _URL_RE.match(url):
        raise UsageError(f"{option} {mask_url(url)!r} is not a database URL", hint=hint)
    if dialect_of(url) != "sqlite":
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (parsing it is the check: an out-of-range or bad port)
            host = parts.netloc.rpartition("@")[2]
            if host.startswith("[") != ("]" in host) or host.count("[") > 1:
                raise ValueError("Invalid IPv6 URL")
        except ValueError as exc:
            raise UsageError(
                f"{option} {mask_url(url)!r} is not a valid URL: {exc}", hint=hint
            ) from None
        return url
    path = _sqlite_path(url)
    if path is None:
        raise UsageError(
            "an in-memory SQLite database does not survive from one migration step to the next",
            hint="name a file: sqlite:////tmp/gate.db (or leave --database-url out: the gate "
            "then uses temporary SQLite files)",
        )
    scheme, rest = url.split("://", 1)
    query = rest.partition("?")[2]
    return f"{scheme}:///{path}" + (f"?{query}" if query else "")


def sqitch_target(url: str) -> tuple[str | None, str | None]:
    """(``db:`` URI, password) for sqitch, or (None, None) when sqitch has no such engine."""
    dialect = dialect_of(url)
    if dialect == "sqlite":
        path = _sqlite_path(url)
        return (f"db:sqlite:{path}", None) if path else (None, None)
    if dialect != "postgresql":
        return None, None
    parts = urlsplit(url)
    password = unquote(parts.password) if parts.password is not None else None
    hostinfo = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].split(":", 1)[0] if "@" in parts.netloc else ""
    netloc = f"{user}@{hostinfo}" if user else hostinfo
    query = f"?{parts.query}" if parts.query else ""
    return f"db:pg://{netloc}{parts.path}{query}", password


def postgres_driver() -> str | None:
    """The PostgreSQL driver SQLAlchemy can use here: psycopg (3), else psycopg2."""
    for module in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return module
    return None


def with_driver(url: str) -> str:
    """A ``postgresql://`` URL with the installed driver named (SQLAlchemy 2.0 defaults to
    psycopg2, 2.1 to psycopg: naming it works with both). Other URLs are returned as is."""
    scheme, sep, rest = url.partition("://")
    driver = postgres_driver()
    if scheme.lower() in ("postgresql", "postgres") and driver is not None:
        return f"postgresql+{driver}{sep}{rest}"
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def safe_name(chain: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", chain.lower())


# --- temporary SQLite ------------------------------------------------------------------------


class TempSqlite:
    kind = "temporary-sqlite"
    dialect = "sqlite"
    per_chain = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.description = (
            "temporary SQLite (a new file per chain, deleted afterwards; use --temp-postgres or "
            "--database-url to run on PostgreSQL)"
        )

    def chain_database(self, chain: str) -> ChainDatabase:
        folder = self.folder / safe_name(chain)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{safe_name(chain)}.db"  # sqitch puts its registry beside it
        return ChainDatabase(
            url=f"sqlite:///{path}", dialect="sqlite", sqitch_uri=f"db:sqlite:{path}"
        )

    def release(self, db: ChainDatabase) -> None:
        return None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "dialect": self.dialect, "url": None, "per_chain": True}


# --- temporary PostgreSQL --------------------------------------------------------------------


def _server_version(pg: TempPostgres) -> str | None:
    if pg.bin_dir is None:
        return None
    try:
        proc = subprocess.run(
            [str(pg.bin_dir / "pg_ctl"), "--version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+(?:\.\d+)*)", proc.stdout)
    return match.group(1) if match else None


class TempPostgresDatabase:
    kind = "temporary-postgresql"
    dialect = "postgresql"
    per_chain = True

    def __init__(self, pg: TempPostgres) -> None:
        self.pg = pg
        self.version = _server_version(pg)
        version = f" {self.version}" if self.version else ""
        self.description = (
            f"temporary PostgreSQL{version} at 127.0.0.1:{pg.port} (a fresh database per "
            "chain; the cluster is deleted afterwards)"
        )

    def chain_database(self, chain: str) -> ChainDatabase:
        name = f"gate_{safe_name(chain)}"
        url = with_driver(self.pg.create_database(name))
        uri, password = sqitch_target(url)
        return ChainDatabase(
            url=url, dialect="postgresql", sqitch_uri=uri, password=password, name=name
        )

    def release(self, db: ChainDatabase) -> None:
        return None  # the whole cluster goes away at the end

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dialect": self.dialect,
            "url": with_driver(self.pg.url),
            "version": self.version,
            "per_chain": True,
        }


# --- a given URL -----------------------------------------------------------------------------


def _driver_error(exc: BaseException, url: str) -> UsageError:
    return UsageError(
        f"no database driver for {mask_url(url)}: {exc}",
        hint=f"{GATE_EXTRA_HINT} (PostgreSQL: psycopg2), or install the driver the URL names "
        "(postgresql+DRIVER://...)",
    )


class GivenDatabase:
    """``--database-url``: the server is asked for a database per chain when the role may."""

    kind = "url"

    def __init__(self, url: str) -> None:
        self.given = url  # as the user wrote it: shown (masked) in messages
        self.url = with_driver(url)
        self.dialect = dialect_of(url)
        self.version: str | None = None
        self.per_chain = False
        self.note = ""
        self._engine: Any = None
        self._probe()
        masked = mask_url(url)
        if self.per_chain:
            self.description = (
                f"{masked} (a new database per chain on that server, dropped afterwards)"
            )
        else:
            self.description = (
                f"{masked} (used as is: chains run one after another and each is taken back "
                f"to its base afterwards{'; ' + self.note if self.note else ''})"
            )

    def _probe(self) -> None:
        try:
            import sqlalchemy
            from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError
        except ImportError as exc:
            raise UsageError(
                f"--database-url needs SQLAlchemy: {exc}", hint=GATE_EXTRA_HINT
            ) from exc
        from sqlalchemy.pool import NullPool

        try:
            engine = sqlalchemy.create_engine(
                self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
            )
        except (NoSuchModuleError, ImportError) as exc:
            raise _driver_error(exc, self.given) from exc
        except (SQLAlchemyError, ValueError, TypeError) as exc:
            raise UsageError(f"--database-url {mask_url(self.given)}: {exc}") from exc
        try:
            with engine.connect() as conn:
                if self.dialect == "postgresql":
                    self.version = str(conn.exec_driver_sql("SHOW server_version").scalar())
                    may = conn.exec_driver_sql(
                        "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
                    ).scalar()
                    self.per_chain = bool(may)
                    if not may:
                        self.note = "the role may not create databases"
                else:
                    conn.exec_driver_sql("SELECT 1")
        except ImportError as exc:
            raise _driver_error(exc, self.given) from exc
        except SQLAlchemyError as exc:
            orig = getattr(exc, "orig", None) or exc
            detail = " ".join(str(orig).split())
            raise DatabaseError(
                f"cannot connect to {mask_url(self.given)}: {detail[:300]}",
                hint="check that the server is running and the URL (host, port, user, "
                "password, database) is right",
            ) from exc
        self._engine = engine

    def chain_database(self, chain: str) -> ChainDatabase:
        if not self.per_chain:
            uri, password = sqitch_target(self.url)
            return ChainDatabase(
                url=self.url,
                dialect=self.dialect,
                sqitch_uri=uri,
                password=password,
                shared=True,
            )
        name = f"mg_gate_{safe_name(chain)}_{secrets.token_hex(4)}"
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except Exception as exc:
            orig = getattr(exc, "orig", None) or exc
            raise DatabaseError(
                f"CREATE DATABASE {name} failed: {' '.join(str(orig).split())[:300]}"
            ) from exc
        url = with_database(self.url, name)
        uri, password = sqitch_target(url)
        return ChainDatabase(
            url=url, dialect=self.dialect, sqitch_uri=uri, password=password, name=name
        )

    def release(self, db: ChainDatabase) -> None:
        if db.name is None or self._engine is None:
            return
        match = re.match(r"\d+", self.version or "")
        force = " WITH (FORCE)" if match and int(match.group()) >= 13 else ""
        with contextlib.suppress(Exception), self._engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db.name}"{force}')

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dialect": self.dialect,
            "url": mask_url(self.given),
            "version": self.version,
            "per_chain": self.per_chain,
            "note": self.note or None,
        }


@contextlib.contextmanager
def open_database(*, url: str | None, temp_postgres: bool) -> Iterator[Database]:
    """The database for a gate run; everything temporary is removed on exit, also on error."""
    if url is not None:
        given = GivenDatabase(normalize_url(url))
        try:
            yield given
        finally:
            given.close()
        return
    if temp_postgres:
        with TempPostgres() as pg:
            yield TempPostgresDatabase(pg)
        return
    folder = Path(tempfile.mkdtemp(prefix="migration-guard-gate-"))
    try:
        yield TempSqlite(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def require_modules(*modules: str, why: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise GuardError(
            f"{why}, and {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
            f"installed in this Python ({sys.executable})",
            hint=f"{GATE_EXTRA_HINT} into the environment the project's migrations run in",
        )


def sqlite_file(url: str) -> str:
    """The file of a SQLite database URL (the gate's temporary database is always one)."""
    path = _sqlite_path(url)
    if path is None:
        raise UsageError(f"{url} is not a SQLite database file")
    return path
