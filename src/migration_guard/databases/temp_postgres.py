"""A throwaway PostgreSQL cluster from the system's ``initdb``/``pg_ctl``, in a temp folder.

Used by ``gate --temp-postgres`` and by the tests. The cluster listens on 127.0.0.1 only, on a
free port, with trust authentication, and is stopped and deleted on exit (also on failure and
Ctrl-C). PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user (or ``nobody``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from migration_guard.errors import DatabaseError

_INSTALL_HINT = "install PostgreSQL's server binaries (Debian: apt-get install postgresql)"


def find_bin_dir() -> Path:
    """The folder with ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise DatabaseError("PostgreSQL's initdb/pg_ctl were not found", hint=_INSTALL_HINT)
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TempPostgres:
    """``with TempPostgres() as pg: pg.url`` — a running cluster for the block's duration."""

    def __init__(self, *, bin_dir: Path | None = None, database: str = "migration_guard") -> None:
        self.bin_dir = bin_dir
        self.database = database
        self.port = 0
        self.folder: Path | None = None
        self._user: pwd.struct_passwd | None = None
        self._started = False

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.bin_dir is not None and self.folder is not None
        kwargs: dict[str, object] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "HOME": str(self.folder),
            "PGTZ": "UTC",
        }
        try:
            return subprocess.run(  # type: ignore[call-overload, no-any-return]
                [str(self.bin_dir / args[0]), *args[1:]],
                capture_output=True,
                text=True,
                env=env,
                cwd=self.folder,
                check=False,
                timeout=120,
                **kwargs,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DatabaseError(f"{args[0]} could not run: {exc}", hint=_INSTALL_HINT) from exc

    def _check(self, proc: subprocess.CompletedProcess[str], what: str) -> None:
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise DatabaseError(f"{what} failed: {' '.join(detail) or proc.returncode}")

    def start(self) -> TempPostgres:
        self.bin_dir = self.bin_dir or find_bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="migration-guard-pg-"))
        try:
            if os.geteuid() == 0:
                for name in ("postgres", "nobody"):
                    try:
                        self._user = pwd.getpwnam(name)
                        break
                    except KeyError:
                        continue
                if self._user is None:
                    raise DatabaseError("running as root and no 'postgres' or 'nobody' user")
                os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
            self._check(
                self._run(
                    "initdb",
                    "-D",
                    "data",
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ),
                "initdb",
            )
            (self.folder / "sock").mkdir()
            if self._user is not None:
                os.chown(self.folder / "sock", self._user.pw_uid, self._user.pw_gid)
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder / 'sock'} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            self._check(
                self._run(
                    "pg_ctl",
                    "-D",
                    "data",
                    "-o",
                    options,
                    "-l",
                    "server.log",
                    "-w",
                    "-t",
                    "60",
                    "start",
                ),
                "pg_ctl start",
            )
            self._started = True
            self._check(
                self._run(
                    "createdb",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    self.database,
                ),
                "createdb",
            )
        except BaseException:
            self.stop()
            raise
        return self

    def create_database(self, name: str) -> str:
        self._check(
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name),
            f"createdb {name}",
        )
        return self.url_for(name)

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            if self._started:
                self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")
                self._started = False
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
