"""Plain immutable data shared by every part of the tool. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChainKind(StrEnum):
    ALEMBIC = "alembic"
    SQITCH = "sqitch"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ChainSpec:
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


@dataclass(frozen=True)
class Finding:
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


@dataclass(frozen=True)
class Migration:
    """One migration as the numbering logic sees it: a chain, a number and where it lives."""

    chain: str
    number: int
    number_text: str
    name: str
    path: str


@dataclass(frozen=True)
class Head:
    revision: str
    path: str


@dataclass(frozen=True)
class ChainState:
    """What reading one chain from a tree found: its migrations, heads and findings."""

    spec: ChainSpec
    migrations: tuple[Migration, ...] = ()
    heads: tuple[Head, ...] = ()
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def highest(self) -> Migration | None:
        return max(self.migrations, key=lambda m: m.number, default=None)
