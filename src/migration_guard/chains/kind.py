"""What a migration framework provides to the commands: the ``Kind`` protocol.

Each framework is one package under ``chains/`` exposing one ``KIND`` object that satisfies
this protocol; ``chains.registry`` maps ``ChainKind`` keys to those packages. Commands ask
the kind, never compare kinds: what a kind cannot do is a missing ``Capability``, and a
command that needs it stops with ``unsupported`` (exit 2), never an ``else`` that guesses.
(The model is pre-commit's ``Language`` protocol and the ``Forge`` protocol of
``forges/base.py``.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, Protocol

from migration_guard.errors import UsageError
from migration_guard.model import ChainKind, ChainSpec, ChainState, Migration
from migration_guard.numbering import Numbering

if TYPE_CHECKING:  # (edits imports dataclasses: ~5 ms that heads does not need)
    from migration_guard.edits import EditPlan
    from migration_guard.tree import Tree


class Capability(StrEnum):
    """What a kind may lack. Reading, validating and claims every kind has."""

    HEADS = "heads"  # the migrations form a graph with heads (single-head gate, forks)
    RENUMBER = "renumber"  # a rewrite plan for "move to number N / re-parent onto X"
    RECOVER = "recover"  # a repair plan for a collision that reached the base
    GATE = "gate"  # a real upgrade/downgrade round trip
    DEPLOYED = "deployed"  # reads (and moves) the deployed state: renumber --target


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
    numbering: Numbering
    pattern: str | None = None


class Kind(Protocol):
    """One migration framework. Pure where it can be: reading goes through a ``Tree``,
    writing is an ``EditPlan`` that ``apply.py`` carries out all-or-nothing."""

    key: ChainKind
    noun: str  # what one migration is called in messages: "revision", "change", "migration"
    capabilities: frozenset[Capability]
    shown_by_path: bool  # messages name a migration by its file (else by its name)

    def discover(self, tree: Tree, folder: str, files: frozenset[str]) -> list[ChainSpec]:
        """Chains found in ``folder`` (whose file names are ``files``), for repositories
        without a configuration. Names are chosen by the caller (``name`` may be empty)."""
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

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        """``migration`` with the new ``number``: name keeps its slug, a file its folder."""
        ...

    def plan_renumber(self, tree: Tree, spec: ChainSpec, moves: Sequence[Move]) -> EditPlan:
        """Every edit and rename that moves ``moves`` (one chain's), references included."""
        ...


def unsupported(kind: Kind, what: str, chains: Sequence[str] = ()) -> UsageError:
    """The exit-2 error of a command that needs a capability ``kind`` lacks."""
    named = f" ({', '.join(chains)})" if chains else ""
    return UsageError(
        f"{what} does not run {kind.key.value} chains yet{named}",
        hint=f"leave {'them' if len(chains) > 1 else 'it'} out with --only, or see the "
        "README's list of what each framework supports",
    )
