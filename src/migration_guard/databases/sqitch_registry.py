"""Which sqitch changes are deployed where: read a target's registry, as sqitch 1.3.1 finds it.

Targets are resolved like ``App::Sqitch::Target``: a name from ``sqitch.conf``
(``target.NAME.uri``), the default target (``core.target``, else ``engine.ENGINE.target``, else
``db:ENGINE:``), or a URI (``db:sqlite:queue.db``, ``db:pg://user@host:5432/queue``). The
registry name comes from ``target.NAME.registry``, else ``engine.ENGINE.registry``, else
``core.registry``, else ``sqitch``. Only the project's ``sqitch.conf`` is read (no user or
system configuration); relative SQLite paths are relative to the project folder (``conf_dir``),
the folder sqitch is run from.

- **SQLite**: the registry is a separate database file beside the target database (sqitch's
  ``registry_uri``): ``queue.db`` → ``sqitch.db``, ``a.b.db`` → ``sqitch.b.db``, an absolute
  registry path as is. It is read with Python's ``sqlite3`` (read-only).
- **PostgreSQL**: the registry is the schema ``sqitch`` (or the configured name) in the target
  database. It is read with ``psql`` (the target's ``client`` setting, else ``psql`` on PATH):
  sqitch needs ``psql`` for PostgreSQL anyway, and this keeps the tool free of a Python driver
  dependency (``psycopg2`` is not needed). Connection settings follow sqitch: user, password,
  host, port, database and query parameters from the URI, ``SQITCH_USERNAME`` /
  ``SQITCH_PASSWORD``, and libpq's ``PG*`` variables for the rest.

Never fail open: "no registry there" (no registry file, no ``changes`` table, an in-memory
SQLite target) means nothing was ever deployed; anything that prevents looking (connection
refused, unknown database, bad file, missing ``psql``, an engine we cannot read) raises
:class:`~migration_guard.errors.DatabaseError` (exit 3), never "not deployed".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from migration_guard import redact
from migration_guard.chains.sqitch.conf import SqitchConf, engine_name
from migration_guard.chains.sqitch.plan import Plan
from migration_guard.chains.sqitch.rewrite import affected_changes
from migration_guard.errors import DatabaseError, InputError

__all__ = [
    "DbUri",
    "DeployedChange",
    "DeployedHit",
    "RegistryState",
    "SqitchTarget",
    "check_rename_safety",
    "configured_targets",
    "deployed_changes",
    "parse_db_uri",
    "read_registry",
    "resolve_target",
    "sqlite_registry_path",
]

SUPPORTED_ENGINES = ("pg", "sqlite")
_PSQL_TIMEOUT = 120


# --------------------------------------------------------------------------------------------
# URIs and targets


@dataclass(frozen=True)
class DbUri:
    """The parts of a ``db:ENGINE:...`` URI, decoded as URI::db does."""

    uri: str
    engine: str  # canonical: pg, sqlite, mysql...
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: str | None = None
    dbname: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return f"DbUri({self.safe!r})"

    @property
    def safe(self) -> str:
        """The URI without its password (as sqitch names a URI target), for messages."""
        if self.password is None:
            return self.uri
        at = self.uri.find("@")
        colon = self.uri.rfind(":", 0, at)
        return self.uri[:colon] + self.uri[at:]


def parse_db_uri(uri: str) -> DbUri:
    """Parse ``db:ENGINE:[//[user[:password]@]host[:port]/]dbname[?key=value...]``.

    Raises :class:`InputError` if ``uri`` is not a ``db:`` URI.
    """
    if not uri[:3].lower() == "db:" or ":" not in uri[3:]:
        raise InputError(
            f"{uri!r} is not a sqitch database URI",
            hint="write db:sqlite:FILE or db:pg://USER@HOST:PORT/DATABASE",
        )
    scheme, rest = uri[3:].split(":", 1)
    engine = engine_name(scheme)
    rest = rest.split("#", 1)[0]
    rest, _, query_text = rest.partition("?")
    query = tuple(parse_qsl(query_text, keep_blank_values=True))
    user = password = host = port = None
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        path = slash + path
        if "@" in authority:
            userinfo, authority = authority.rsplit("@", 1)
            raw_user, has_password, raw_password = userinfo.partition(":")
            user = unquote(raw_user) or None
            password = unquote(raw_password) if has_password else None
            redact.register(raw_password)  # a sqitch.conf target's password: never shown
            redact.register(password)
        if authority.startswith("["):
            end = authority.find("]")
            if end < 0 or authority[end + 1 : end + 2] not in ("", ":"):
                raise InputError(
                    f"{redact.mask_passwords(uri)!r} is not a sqitch database URI: its IPv6 "
                    "host has no closing ']'",
                    hint="write db:pg://USER@[::1]:5432/DATABASE",
                )
            host, port_text = authority[1:end], authority[end + 2 :]
        else:
            host, _, port_text = authority.partition(":")
        host = unquote(host) or None
        port = port_text or None
        dbname = unquote(path[1:]) if path else ""
    else:
        dbname = unquote(rest)
    return DbUri(uri, engine, user, password, host, port, dbname or None, query)


@dataclass(frozen=True)
class SqitchTarget:
    """A resolved target. ``name`` is what sqitch is given: a configured name, or the URI."""

    name: str
    uri: DbUri
    registry: str
    client: str | None = None  # the configured client (psql), None for the default

    def __repr__(self) -> str:
        return f"SqitchTarget({self.label!r}, registry={self.registry!r})"

    @property
    def engine(self) -> str:
        return self.uri.engine

    @property
    def label(self) -> str:
        """For messages: ``prod (db:pg://ops@db/queue)`` or the URI, without password."""
        if ":" in self.name:
            return self.uri.safe
        return f"{self.name} ({self.uri.safe})"


def _truthy(value: str | None) -> bool:
    return value is not None and value not in ("", "0")


def _fetch(conf: SqitchConf | None, key: str, name: str, engine: str) -> str | None:
    """App::Sqitch::Target::_fetch: target.NAME.KEY || engine.ENGINE.KEY || core.KEY."""
    if conf is None:
        return None
    for candidate in (f"target.{name}.{key}", f"engine.{engine}.{key}", f"core.{key}"):
        value = conf.get(candidate)
        if _truthy(value):
            return value
    return None


def resolve_target(conf: SqitchConf | None, target: str | None = None) -> SqitchTarget:
    """The target sqitch would use for ``target`` (a name or a URI; None: the default).

    Raises :class:`InputError` for an unknown target name or a default that cannot be found.
    """
    if target is None:
        if conf is None:
            raise InputError(
                "no sqitch.conf, so no default target",
                hint="name the target: db:sqlite:FILE or db:pg://USER@HOST/DATABASE",
            )
        name, uri, _engine = conf.resolve_target(None)
        if name is None:
            raise InputError(
                f"{conf.path}: no core.engine or core.target, so no default target",
                hint="set core.engine in sqitch.conf, or name the target",
            )
    elif ":" in target:
        name, uri = target, target
    else:
        if conf is None:
            raise InputError(f'unknown sqitch target "{target}" (there is no sqitch.conf)')
        name, uri, _engine = conf.resolve_target(target)
    if uri is None:
        where = conf.path if conf is not None else "sqitch.conf"
        raise InputError(
            f'{where}: cannot find target "{name}"',
            hint=f'add [target "{name}"] with uri = db:ENGINE:... to sqitch.conf',
        )
    assert name is not None
    parsed = parse_db_uri(uri)
    key = name if ":" not in name else parsed.safe
    registry = _fetch(conf, "registry", key, parsed.engine) or "sqitch"
    client = _fetch(conf, "client", key, parsed.engine)
    return SqitchTarget(name=name, uri=parsed, registry=registry, client=client)


def configured_targets(
    conf: SqitchConf | None, extra: Sequence[str] = ()
) -> tuple[SqitchTarget, ...]:
    """Every target a project knows: the default one, the named ones, then ``extra`` (names
    or URIs); one per database (same engine and URI)."""
    found: list[SqitchTarget] = []
    if conf is not None:
        with contextlib.suppress(InputError):  # no default (no core.engine): named ones only
            found.append(resolve_target(conf, None))
        found.extend(resolve_target(conf, name) for name in sorted(conf.targets))
    found.extend(resolve_target(conf, name) for name in extra)
    unique: dict[tuple[str, str], SqitchTarget] = {}
    for target in found:
        unique.setdefault((target.engine, target.uri.uri), target)
    return tuple(unique.values())


# --------------------------------------------------------------------------------------------
# Registries


@dataclass(frozen=True)
class DeployedChange:
    change_id: str
    name: str
    committed_at: str


@dataclass(frozen=True)
class RegistryState:
    """What a target's registry says about one project. ``exists`` is False when there is no
    registry there (so nothing was ever deployed); ``changes`` are in deployment order."""

    target: SqitchTarget
    project: str
    location: str  # the registry file, or "schema S in database D"
    exists: bool
    changes: tuple[DeployedChange, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.changes)


def sqlite_registry_path(dbname: str | None, registry: str) -> str | None:
    """sqitch's SQLite ``registry_uri`` dbname: the registry file for database ``dbname``."""
    if registry.startswith("/"):
        return registry
    if not dbname:
        return None
    head, slash, base = dbname.rpartition("/")
    if "." not in registry and "." in base:
        registry += "." + base.split(".", 1)[1]  # queue.db -> sqitch.db
    return head + slash + registry


def _read_sqlite(target: SqitchTarget, project: str, conf_dir: Path) -> RegistryState:
    path = sqlite_registry_path(target.uri.dbname, target.registry)
    if path is None:
        # No database name: sqitch works on an in-memory database; nothing persists.
        return RegistryState(target, project, ":memory:", exists=False)
    full = Path(os.path.normpath(Path(conf_dir, path)))
    location = str(full)
    if not full.exists():
        return RegistryState(target, project, location, exists=False)
    if full.is_dir():
        raise DatabaseError(f"sqitch registry {location} of {target.label} is a folder")
    try:
        uri = f"file:{quote(str(full.resolve()))}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as connection:
            present = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'"
            ).fetchone()
            if present is None:
                return RegistryState(target, project, location, exists=False)
            rows = connection.execute(
                "SELECT change_id, change, committed_at FROM changes WHERE project = ? "
                "ORDER BY committed_at, rowid",
                (project,),
            ).fetchall()
    except sqlite3.Error as exc:
        raise DatabaseError(
            f"could not read the sqitch registry {location} of {target.label}: {exc}",
            hint="check that the file is a sqitch registry and readable",
        ) from exc
    changes = tuple(DeployedChange(str(a), str(b), str(c)) for a, b, c in rows)
    return RegistryState(target, project, location, exists=True, changes=changes)


_PSQL_SCRIPT = """\
SELECT EXISTS (
  SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = :'registry' AND tablename = 'changes'
) AS mg_present \\gset
\\if :mg_present
SELECT 'C', change_id, change, committed_at FROM :"registry".changes
 WHERE project = :'project' ORDER BY committed_at, change_id;
\\else
SELECT 'N';
\\endif
"""


def _conninfo_value(value: str) -> str:
    if value and not any(c in value for c in " '\\\""):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def psql_command(target: SqitchTarget) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) to run ``psql`` on the target, as sqitch builds it."""
    uri = target.uri
    user = os.environ.get("SQITCH_USERNAME") or uri.user
    parts = [
        ("user", user),
        ("dbname", uri.dbname),
        ("host", uri.host),
        ("port", uri.port),
        *sorted(uri.query),
    ]
    conninfo = " ".join(f"{k}={_conninfo_value(v)}" for k, v in parts if v)
    argv = [target.client or "psql", "--no-psqlrc", "--quiet", "--no-align", "--tuples-only"]
    argv += ["--field-separator-zero", "--set", "ON_ERROR_STOP=1"]
    if conninfo:
        argv += ["--dbname", conninfo]
    env: dict[str, str] = {}
    password = os.environ.get("SQITCH_PASSWORD") or uri.password
    if password:
        env["PGPASSWORD"] = password
    return argv, env


def _read_pg(target: SqitchTarget, project: str) -> RegistryState:
    argv, extra = psql_command(target)
    argv += ["--set", f"registry={target.registry}", "--set", f"project={project}"]
    binary = shutil.which(argv[0])
    if binary is None:
        raise DatabaseError(
            f"cannot read the sqitch registry of {target.label}: {argv[0]} was not found",
            hint="install the PostgreSQL client (Debian: apt-get install postgresql-client)",
        )
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    env.update(extra, LC_ALL="C", PGAPPNAME="migration-guard", PGCLIENTENCODING="UTF8")
    try:
        proc = subprocess.run(
            [binary, *argv[1:]],
            input=_PSQL_SCRIPT.encode(),
            capture_output=True,
            env=env,
            check=False,
            timeout=_PSQL_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatabaseError(f"could not read the sqitch registry of {target.label}: {exc}") from exc
    location = f"schema {target.registry} in {target.uri.safe}"
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DatabaseError(
            f"could not read the sqitch registry of {target.label}: "
            + (" ".join(line.strip() for line in detail[:2]) or f"psql exited {proc.returncode}"),
            hint="check that the target is reachable; a deployed change is never assumed "
            "undeployed, so a target that cannot be checked stops the rename",
        )
    lines = [line for line in proc.stdout.decode("utf-8").split("\n") if line]
    if lines == ["N"]:
        return RegistryState(target, project, location, exists=False)
    changes: list[DeployedChange] = []
    for line in lines:
        fields = line.split("\0")
        if len(fields) != 4 or fields[0] != "C":
            raise DatabaseError(f"unexpected psql output reading {location}: {line!r}")
        changes.append(DeployedChange(fields[1], fields[2], fields[3]))
    return RegistryState(target, project, location, exists=True, changes=tuple(changes))


def read_registry(target: SqitchTarget, project: str, *, conf_dir: Path) -> RegistryState:
    """The changes of ``project`` deployed to ``target``, from its registry.

    Raises :class:`DatabaseError` if the registry could not be read, or the engine is one
    migration-guard cannot read (only ``pg`` and ``sqlite``).
    """
    if target.engine == "sqlite":
        return _read_sqlite(target, project, conf_dir)
    if target.engine == "pg":
        return _read_pg(target, project)
    raise DatabaseError(
        f"cannot read the sqitch registry of {target.label}: engine {target.engine} is not "
        "supported",
        hint=f"migration-guard reads {' and '.join(SUPPORTED_ENGINES)} registries; check "
        "the other targets by hand (sqitch status)",
    )


def deployed_changes(
    target: str | SqitchTarget,
    project: str,
    *,
    conf_dir: Path,
    conf: SqitchConf | None = None,
) -> frozenset[str]:
    """Names of the changes of ``project`` deployed to ``target`` (a name, URI or resolved
    target); empty if nothing was ever deployed there. Raises :class:`DatabaseError` if it
    could not be checked, :class:`InputError` for an unknown target."""
    if isinstance(target, str):
        target = resolve_target(conf, target)
    return read_registry(target, project, conf_dir=conf_dir).names


# --------------------------------------------------------------------------------------------
# Rename safety


@dataclass(frozen=True)
class DeployedHit:
    """Renaming ``change`` would change the ID of ``deployed`` (it, or changes after it),
    which are deployed to ``target`` (a label without password)."""

    target: str
    change: str
    deployed: tuple[str, ...]


def check_rename_safety(
    plan: Plan,
    names: Iterable[str],
    targets: Sequence[SqitchTarget],
    *,
    conf_dir: Path,
    registries: Mapping[str, RegistryState] | None = None,
) -> list[DeployedHit]:
    """One hit per (target, renamed change) where that change, or a change after it in the
    plan (whose ID the rename also changes), is deployed. ``[]`` means renaming is harmless on
    every target given (see :func:`configured_targets`). Raises :class:`DatabaseError` as soon
    as a target cannot be checked: never fail open. ``registries`` (by target name) skips
    reading targets already read.
    """
    project = plan.project
    if project is None:
        raise InputError(f"{plan.path} has no %project pragma")
    hits: list[DeployedHit] = []
    wanted = list(dict.fromkeys(names))
    for target in targets:
        state = (registries or {}).get(target.name) or read_registry(
            target, project, conf_dir=conf_dir
        )
        deployed = state.names
        if not deployed:
            continue
        for name in wanted:
            _first, affected = affected_changes(plan, [name])
            found = tuple(n for n in affected if n in deployed)
            if found:
                hits.append(DeployedHit(target.label, name, found))
    return hits
