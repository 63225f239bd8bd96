"""Plain immutable data shared by every part of the tool. No I/O here.

NamedTuples rather than frozen dataclasses: a command creates thousands of these per chain
(``Migration``) and must start fast; creating one costs less than half, and not importing
``dataclasses`` saves about 5 ms of every run (it imports ``inspect``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class ChainKind(StrEnum):
    ALEMBIC = "alembic"
    SQITCH = "sqitch"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ChainSpec(NamedTuple):
    """One configured (or discovered) migration chain.

    ``path`` is repository-relative, POSIX style: a versions folder for Alembic,
    the ``sqitch.plan`` file for sqitch.
    """

    name: str
    title: str
    kind: ChainKind
    path: str
    width: int
    exempt: tuple[str, ...] = ()
    alembic_config: str | None = None
    recursive: bool = False
    discovered: bool = False
    database_url_env: str = "DATABASE_URL"  # gate: the variable env.py reads the URL from


class Finding(NamedTuple):
    """One problem in a chain, with a stable code (see ``findings.CATALOG``)."""

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


class Migration(NamedTuple):
    """One migration as the numbering logic sees it: a chain, a number and where it lives."""

    chain: str
    number: int
    number_text: str
    name: str
    path: str


class Head(NamedTuple):
    revision: str
    path: str


class ChainState(NamedTuple):
    """What reading one chain from a tree found: its migrations, heads and findings."""

    spec: ChainSpec
    migrations: tuple[Migration, ...] = ()
    heads: tuple[Head, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def highest(self) -> Migration | None:
        return max(self.migrations, key=lambda m: m.number, default=None)
