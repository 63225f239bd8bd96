"""What a migration framework provides to the commands: the ``Kind`` protocol.

Each framework is one package under ``chains/`` exposing one ``KIND`` object that satisfies
this protocol; ``chains.registry`` maps ``ChainKind`` keys to those packages. Commands ask
the kind, never compare kinds: what a kind cannot do is a missing ``Capability``, and a
command that needs it stops with ``unsupported`` (exit 2), never an ``else`` that guesses.
(The model is pre-commit's ``Language`` protocol and the ``Forge`` protocol of
``forges/base.py``.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple, Protocol

from migration_guard.errors import UsageError
from migration_guard.model import (
    ChainKind,
    ChainSpec,
    ChainState,
    Finding,
    Migration,
    NumberingMode,
)
from migration_guard.numbering import ANY_NUMBER, Numbering, format_number

if TYPE_CHECKING:  # (edits imports dataclasses: ~5 ms that heads does not need)
    from datetime import datetime

    from migration_guard.apply import Registry
    from migration_guard.databases.roundtrip import ChainResult
    from migration_guard.databases.targets import ChainDatabase
    from migration_guard.edits import EditPlan
    from migration_guard.recovery import Repair
    from migration_guard.tree import Tree


class Capability(StrEnum):
    """What a kind may lack. Reading, validating and claims every kind has."""

    HEADS = "heads"  # the migrations form a graph with heads (single-head gate, forks)
    RENUMBER = "renumber"  # a rewrite plan for "move to number N / re-parent onto X"
    RECOVER = "recover"  # a repair plan for a collision that reached the base
    GATE = "gate"  # a real upgrade/downgrade round trip
    DEPLOYED = "deployed"  # reads (and moves) the deployed state: renumber --target
    FILE_LINT = "file-lint"  # lints one file on its own: lint --syntax-only, lint FILE


class Move(NamedTuple):
    """One migration moving to a new number (what the user sees). An empty ``new_number``
    keeps it where it is (a re-parent in an unnumbered chain)."""

    spec: ChainSpec
    migration: Migration
    new_number: str
    new_name: str
    new_path: str


class PathRule(NamedTuple):
    """Which paths are migrations of one chain, for another change known only by the paths
    it touches. ``folders`` are searched (below them too when ``recursive``); ``suffix`` is
    the file ending the kind's own rule looks for first (a quick filter); ``pattern`` is the
    chain's configured file name pattern (numbered kinds)."""

    chain: str
    kind: ChainKind
    folders: tuple[str, ...]
    recursive: bool
    suffix: str
    numbering: Numbering = ANY_NUMBER
    pattern: str | None = None  # numbered chains: the configured file-name pattern


class Discovered(NamedTuple):
    """A chain discovery found: its spec (``name`` empty) and the words its name is made of
    (the caller makes names unique across kinds: ``console``, ``db_console``...)."""

    name_parts: tuple[str, ...]
    spec: ChainSpec


class RenumberContext(NamedTuple):
    """What a rewrite plan may need beyond the moves: the base branch's tree (a parent only
    the base has yet), the migration to put the block on (``--down-revision``; recover: the
    surviving head), and whether this branch's own files that point at a moved id follow it."""

    base_tree: Tree | None = None
    onto: str | None = None
    follow_new_files: bool = True


class Author(NamedTuple):
    """Who plans a new migration: a sqitch plan line's planner (``name <email>``)."""

    name: str
    email: str


class NewRequest(NamedTuple):
    """What ``new`` asks a kind for: the reserved ``number`` at the chain's width ("" for a
    chain that is not numbered), the ``slug``, a ``message`` ("" for none), the time and who
    plans it."""

    number: str
    slug: str
    message: str
    now: datetime
    author: Author


class NewMigration(NamedTuple):
    """A new migration, planned: the edits that create its files (and add it to a plan file
    that lists migrations), and the paths it creates, in order (printed one a line)."""

    plan: EditPlan
    paths: tuple[str, ...]


class GateSetup(NamedTuple):
    """The database a ``gate`` run will use, known before it starts."""

    dialect: str  # "sqlite", "postgresql", ...
    url: str | None  # --database-url, normalised; None: a temporary database
    temp_postgres: bool
    config_source: str  # where the configuration came from (for messages)


class GateJob(NamedTuple):
    """One chain's round trip: on which database, from which checkout, how."""

    spec: ChainSpec
    db: ChainDatabase
    root: Path
    tree: Tree
    stairway: bool
    timeout: float | None


class ChainGate(Protocol):
    """One kind's round trip, prepared: runs one chain on one database."""

    def run(self, job: GateJob) -> ChainResult: ...


class Kind(Protocol):
    """One migration framework. Pure where it can be: reading goes through a ``Tree``,
    writing is an ``EditPlan`` that ``apply.py`` carries out all-or-nothing."""

    key: ChainKind
    noun: str  # what one migration is called in messages: "revision", "change", "migration"
    capabilities: frozenset[Capability]
    shown_by_path: bool  # messages name a migration by its file (else by its name)
    several_folders: bool  # a configured ``path`` may list several folders (one graph)
    config_keys: frozenset[str]  # the kind-specific configuration keys it takes
    # Debian packages ``gate`` needs besides Python (what ``init``'s CI templates install).
    gate_system_packages: tuple[str, ...]

    def discover(
        self, tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
    ) -> list[Discovered]:
        """Chains found in a repository without a configuration; ``walked`` is every folder
        with its file names, sorted. What looks like a chain but cannot be one is a note
        (a warning finding), never dropped in silence."""
        ...

    def check_spec(self, tree: Tree, spec: ChainSpec, where: str) -> None:
        """Raise ConfigError (naming ``where``) when a configured chain cannot be read as
        this kind: a missing folder or plan, a key that does not apply to the kind."""
        ...

    def read_chain(self, tree: Tree, spec: ChainSpec) -> ChainState:
        """The chain's migrations (number, id, parents, name, path), heads and findings."""
        ...

    def path_rules(
        self, tree: Tree, specs: Sequence[ChainSpec], numbering: Mapping[str, Numbering]
    ) -> list[PathRule]:
        """The path rules of this kind's ``specs`` (all at once: chains of one kind may
        share folders, which then say nothing about the chain)."""
        ...

    def classify(self, rule: PathRule, path: str, rest: str) -> Migration | None:
        """The migration at ``path`` (``rest``: the part below one of ``rule.folders``), or
        None when the file is not one of the chain's migrations."""
        ...

    def refine_claim(self, migration: Migration, data: bytes) -> Migration | str:
        """Another change's new migration with its id and parents read from ``data`` (its
        file), or why they cannot be read (Capability.HEADS: forks are collisions)."""
        ...

    def listed_migrations(
        self, spec: ChainSpec, data: bytes, numbering: Numbering
    ) -> tuple[tuple[Migration, ...], tuple[str, ...]]:
        """For a kind whose chain is one file that lists its migrations (``shown_by_path``
        False: a sqitch plan): the migrations another change's version of it lists, and why
        some could not be read."""
        ...

    def new_versions(self, state: ChainState, count: int, requested: str) -> tuple[str, ...] | None:
        """For a chain whose versions are not sequential numbers: the versions ``count``
        migrations move to (``requested``: "next", or the version given with ``--to``).
        None when the kind has no such versions (a graph re-parents instead; a sqitch plan
        keeps its names); UsageError when it cannot choose."""
        ...

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        """``migration`` with the new ``number``: name keeps its slug, a file its folder."""
        ...

    def plan_renumber(
        self, tree: Tree, spec: ChainSpec, moves: Sequence[Move], context: RenumberContext
    ) -> EditPlan:
        """Every edit and rename that moves ``moves`` (one chain's), references included
        (Capability.RENUMBER)."""
        ...

    def plan_repair(
        self, tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str
    ) -> Repair:
        """The diagnosis of a collision that reached ``rev`` and the plan that repairs it
        (Capability.RECOVER)."""
        ...

    def deployed_guard(
        self,
        root: Path,
        tree: Tree,
        spec: ChainSpec,
        moves: Sequence[Move],
        *,
        targets: Sequence[str],
        allow_deployed: bool,
    ) -> Registry | None:
        """Refuse to move what a ``--target`` database has deployed (DeployedChangeError),
        or return the registry steps that move its record along (Capability.DEPLOYED)."""
        ...

    def plan_new(
        self, tree: Tree, spec: ChainSpec, state: ChainState, request: NewRequest
    ) -> NewMigration:
        """The files of a new migration ``slug`` on top of the chain's single head (several
        heads: UsageError naming them), as the framework's own "new migration" command
        writes them. ``number`` is the reserved number at the chain's width, or "" for a
        chain that is not numbered; ``message`` ("" for none) is its description, ``now``
        when it is planned (aware: converted as the framework writes it; naive: local
        time), ``author`` its planner (sqitch)."""
        ...

    def owned_folders(self, spec: ChainSpec) -> tuple[str, ...]:
        """Folders whose files belong to the chain (what a journal's touched paths are
        matched against)."""
        ...

    def watched_paths(self, spec: ChainSpec) -> tuple[str, ...]:
        """Files and folders whose change can change what ``check``, ``heads``, ``lint`` or
        ``gate`` say of the chain: a change touching none of them skips the chain
        ("no migrations touched: OK")."""
        ...

    def lint_only(self, tree: Tree, spec: ChainSpec, *, syntax_only: bool) -> ChainState | None:
        """``lint --syntax-only``, or lint of a file no chain names (``spec.width == 0``):
        the kind's own file-level checks; None when the kind has none."""
        ...

    def prepare_gate(self, tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> ChainGate:
        """Check everything the round trip needs before a database starts (modules,
        configuration, the tool's binary) and return the runner (Capability.GATE)."""
        ...


class KindDefaults:
    """What a kind without a capability answers: inherit it and override what the kind has
    (a kind lacking GATE, DEPLOYED or FILE_LINT keeps these; ``tests/test_architecture.py``
    and mypy check every ``KIND`` against ``Kind``)."""

    key: ChainKind
    gate_system_packages: tuple[str, ...] = ()

    def refine_claim(self, migration: Migration, data: bytes) -> Migration | str:
        return migration  # (its file name says all a claim needs)

    def listed_migrations(
        self, spec: ChainSpec, data: bytes, numbering: Numbering
    ) -> tuple[tuple[Migration, ...], tuple[str, ...]]:
        return (), ()  # (each migration is its own file)

    def new_versions(self, state: ChainState, count: int, requested: str) -> tuple[str, ...] | None:
        return None

    def deployed_guard(
        self,
        root: Path,
        tree: Tree,
        spec: ChainSpec,
        moves: Sequence[Move],
        *,
        targets: Sequence[str],
        allow_deployed: bool,
    ) -> Registry | None:
        raise unsupported(self, "renumber --target", [spec.name])

    def owned_folders(self, spec: ChainSpec) -> tuple[str, ...]:
        return (spec.path,)

    def watched_paths(self, spec: ChainSpec) -> tuple[str, ...]:
        return self.owned_folders(spec)

    def lint_only(self, tree: Tree, spec: ChainSpec, *, syntax_only: bool) -> ChainState | None:
        return None

    def prepare_gate(self, tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> ChainGate:
        raise unsupported(self, "gate", [s.name for s in specs])


def path_name_parts(path: str, generic: tuple[str, ...] = ("versions", "sqitch.plan")) -> list[str]:
    """The words a discovered chain's name is made of: its path's folders, without the
    folder names ``generic`` (Alembic's ``versions``, the ``sqitch.plan`` file)."""
    parts = [p for p in PurePosixPath(path).parts if p not in generic]
    return [p.removesuffix(".plan") for p in parts]  # a target's plan: data.plan -> data


def shown(kind: Kind, migration: Migration) -> str:
    """How messages name a migration: its file, or its name (a plan entry)."""
    return migration.path if kind.shown_by_path else migration.name


def shown_new(kind: Kind, move: Move) -> str:
    return move.new_path if kind.shown_by_path else move.new_name


def moves_on_top(
    moved: Callable[[ChainSpec, Migration, str], Move],
    spec: ChainSpec,
    state: ChainState,
    movers: Sequence[Migration],
) -> tuple[Move, ...]:
    """The later side's new places (``moved``: the kind's rule): the next numbers after the
    highest (``sequential``), or the same names on top of the surviving head (chains
    without numbers)."""
    if state.numbering is not NumberingMode.SEQUENTIAL:
        return tuple(moved(spec, m, "") for m in movers)
    highest = max((m.number for m in state.migrations if m.number is not None), default=0)
    return tuple(
        moved(spec, m, format_number(highest + 1 + i, state.width)) for i, m in enumerate(movers)
    )


def renamed(name: str, old_text: str, new_text: str, separator: str) -> str:
    """``name`` with its number prefix ``old_text`` replaced; a name without one gets
    ``new_text`` and ``separator`` in front (add_users -> 0194_add_users)."""
    if not old_text:
        return f"{new_text}{separator}{name}"
    return new_text + name[len(old_text) :]


def unsupported(kind: Kind | KindDefaults, what: str, chains: Sequence[str] = ()) -> UsageError:
    """The exit-2 error of a command that needs a capability ``kind`` lacks."""
    named = f" ({', '.join(chains)})" if chains else ""
    return UsageError(
        f"{what} does not run {kind.key.value} chains yet{named}",
        hint="name the other chains with --chain NAME (see `migration-guard chains`); the "
        "README lists what each framework supports",
    )
