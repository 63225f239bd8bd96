"""Plain immutable data shared by every part of the tool. No I/O here.

NamedTuples rather than frozen dataclasses: a command creates thousands of these per chain
(``Migration``) and must start fast; creating one costs less than half, and not importing
``dataclasses`` saves about 5 ms of every run (it imports ``inspect``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class ChainKind(StrEnum):
    """The registry's keys (``chains.registry``): one package under ``chains/`` each."""

    ALEMBIC = "alembic"
    SQITCH = "sqitch"
    DJANGO = "django"
    NUMBERED = "numbered"  # a folder of numbered files, named by ``ChainSpec.pattern``
    FLYWAY = "flyway"  # presets of ``numbered``
    GOLANG_MIGRATE = "golang-migrate"
    GOOSE = "goose"
    DBMATE = "dbmate"


class NumberingMode(StrEnum):
    """How a chain orders its migrations (design.md, "numbering mode").

    ``sequential``: a zero-padded number prefix of one width (``0193_x.py``, ``07-x``), the
    runbook's convention; numbers are claimed, and ``next`` hands out the next free one.
    ``date``: timestamp prefixes (``2024_01_15_1030-ae10_x.py``): ordered, never invented.
    ``none``: hex or free ids (Alembic's default ``27c6a30d7c24_x.py``, plain sqitch names).
    Numbering findings and ``next`` exist only for ``sequential`` chains.
    """

    SEQUENTIAL = "sequential"
    DATE = "date"
    NONE = "none"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class ChainSpec(NamedTuple):
    """One configured (or discovered) migration chain.

    ``path`` is repository-relative, POSIX style: a versions folder for Alembic,
    the ``sqitch.plan`` file for sqitch. An Alembic chain with several
    ``version_locations`` (one graph) has the others in ``extra_paths``, in the configured
    order; ``folders`` gives them all. ``width`` and ``numbering`` are what the
    configuration says; None means "detect from the files" (see ``ChainState``).
    ``alembic_section`` is the ini section of a named configuration (``alembic -n NAME``).
    """

    name: str
    title: str
    kind: ChainKind
    path: str
    width: int | None = None
    exempt: tuple[str, ...] = ()
    alembic_config: str | None = None
    recursive: bool = False
    discovered: bool = False
    database_url_env: str = "DATABASE_URL"  # gate: the variable env.py reads the URL from
    numbering: NumberingMode | None = None
    allow_edits: tuple[str, ...] = ()  # migrations of the base a change may edit (globs)
    downgrade_floor: str | None = None  # gate: an Alembic revision not to downgrade below
    extra_paths: tuple[str, ...] = ()
    alembic_section: str | None = None
    pattern: str | None = None  # numbered: file names, e.g. "{number}_{slug}.up.sql"
    settings: str | None = None  # django: the settings module gate runs ``migrate`` with

    @property
    def folders(self) -> tuple[str, ...]:
        """Every path of the chain: ``path`` first, then ``extra_paths``."""
        return (self.path, *self.extra_paths)


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
    """One migration as the collision logic sees it: where it lives, its sequence number (None
    when the chain is not ``sequential`` or the name carries none), its id and its parents.

    ``id`` is what the framework keys the migration by (an Alembic revision, a sqitch change
    name); ``parents`` are the ids it builds on (Alembic ``down_revision``; for sqitch the change
    planned before it). Another open change's file known only by its path has ``id`` "" and no
    parents.
    """

    chain: str
    number: int | None
    number_text: str
    name: str
    path: str
    id: str = ""
    parents: tuple[str, ...] = ()


class Head(NamedTuple):
    """A head of an Alembic chain. ``branch``: the branch labels of the branch it ends (its
    nearest labelled ancestors, itself included), sorted; ``()`` on no labelled branch; None
    when they cannot be read statically."""

    revision: str
    path: str
    branch: tuple[str, ...] | None = ()


class ChainState(NamedTuple):
    """What reading one chain from a tree found: its migrations, heads and findings."""

    spec: ChainSpec
    migrations: tuple[Migration, ...] = ()
    heads: tuple[Head, ...] = ()
    findings: tuple[Finding, ...] = ()
    numbering: NumberingMode = NumberingMode.SEQUENTIAL
    width: int = 4
    undecided: tuple[str, ...] = ()  # why the verdict on its heads cannot be told
    # Why some of its migrations were never read (a plan sqitch stops reading at a bad byte):
    # a command comparing migrations must not take what was read for the whole chain.
    unread: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def branched(self) -> bool:
        """Several heads, each ending a labelled branch of its own: Alembic's intentional
        branches (``alembic upgrade heads``), not a collision."""
        if len(self.heads) < 2 or self.undecided:
            return False
        labels = [label for head in self.heads for label in head.branch or ("",)]
        return "" not in labels and len(set(labels)) == len(labels)

    @property
    def heads_ok(self) -> bool:
        """No errors, and one head or intentional branches; the notion every command uses."""
        return self.ok and not self.undecided and (len(self.heads) == 1 or self.branched)

    @property
    def numbered(self) -> tuple[Migration, ...]:
        """The migrations that carry a sequence number (none unless ``sequential``)."""
        return tuple(m for m in self.migrations if m.number is not None)

    @property
    def highest(self) -> Migration | None:
        return max(self.numbered, key=lambda m: m.number or 0, default=None)
