"""The sqitch kind: what the commands get from ``chains/sqitch/``.

Heavier modules are imported in the methods that need them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.chains.kind import (
    Capability,
    ChainGate,
    Discovered,
    GateSetup,
    Kind,
    KindDefaults,
    Move,
    NewMigration,
    NewRequest,
    PathRule,
    RenumberContext,
)
from migration_guard.errors import ConfigError
from migration_guard.model import (
    ChainKind,
    ChainSpec,
    ChainState,
    Finding,
    Migration,
    NumberingMode,
)
from migration_guard.numbering import ANY_NUMBER, Numbering

if TYPE_CHECKING:
    from migration_guard.apply import Registry
    from migration_guard.edits import EditPlan
    from migration_guard.recovery import Repair
    from migration_guard.tree import Tree


class SqitchKind(KindDefaults):
    key = ChainKind.SQITCH
    noun = "change"
    capabilities = frozenset(
        {
            Capability.RENUMBER,
            Capability.RECOVER,
            Capability.GATE,
            Capability.DEPLOYED,
            Capability.FILE_LINT,
        }
    )
    shown_by_path = False  # a change is named by its plan entry
    several_folders = False
    config_keys: frozenset[str] = frozenset()
    # sqitch's PostgreSQL engine runs psql; Debian packages it with its DBD driver apart.
    gate_system_packages: tuple[str, ...] = ("sqitch", "libdbd-pg-perl", "postgresql-client")

    def discover(
        self, tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
    ) -> list[Discovered]:
        from migration_guard.chains.sqitch.discover import discover

        return discover(tree, walked, notes)

    def check_spec(self, tree: Tree, spec: ChainSpec, where: str) -> None:
        if not tree.exists(spec.path) or tree.is_dir(spec.path):
            raise ConfigError(
                f"{where}: sqitch plan {spec.path!r} does not exist in the {tree.label}",
                hint="'path' of a sqitch chain names the plan file, e.g. db/sqitch.plan",
            )

    def read_chain(self, tree: Tree, spec: ChainSpec) -> ChainState:
        from migration_guard.chains.sqitch.reader import read_chain

        return read_chain(tree, spec)

    def path_rules(
        self, tree: Tree, specs: Sequence[ChainSpec], numbering: Mapping[str, Numbering]
    ) -> list[PathRule]:
        from migration_guard.chains.sqitch.reader import script_folders

        folders = {s.name: script_folders(tree, s) for s in specs}
        # A script folder several plans share (a second sqitch target) says nothing about
        # which plan a new script belongs to: only the plan that names it does.
        users = Counter(f for found, _ in folders.values() for f in set(found))
        return [
            PathRule(
                s.name,
                s.kind,
                tuple(f for f in folders[s.name][0] if users[f] == 1),
                True,
                folders[s.name][1],
                numbering.get(s.name, ANY_NUMBER),
            )
            for s in specs
        ]

    def classify(self, rule: PathRule, path: str, rest: str) -> Migration | None:
        from migration_guard.chains.sqitch.reader import number_prefix

        if not rest.endswith(rule.suffix):
            return None
        name = rest[: -len(rule.suffix)]
        if "@" in name:  # name@tag.sql: an earlier copy of a reworked change
            return None
        leading = number_prefix(name)
        # (lint reports a number of the wrong width; it is still the number)
        sequential = rule.numbering.mode is NumberingMode.SEQUENTIAL
        number = int(leading) if sequential and leading is not None else None
        text = (leading or "") if number is not None else ""
        return Migration(rule.chain, number, text, name, path)

    def listed_migrations(
        self, spec: ChainSpec, data: bytes, numbering: Numbering
    ) -> tuple[tuple[Migration, ...], tuple[str, ...]]:
        from migration_guard.chains.sqitch import reader as sqitch

        migrations = tuple(sqitch.plan_migrations(data, spec, numbering))
        return migrations, sqitch.plan_unread(data, spec)

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        from migration_guard.chains.sqitch.renumber import moved

        return moved(spec, migration, number)

    def plan_renumber(
        self, tree: Tree, spec: ChainSpec, moves: Sequence[Move], context: RenumberContext
    ) -> EditPlan:
        from migration_guard.chains.sqitch.renumber import plan_renumber

        return plan_renumber(tree, spec, moves)

    def plan_repair(
        self, tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str
    ) -> Repair:
        from migration_guard.chains.sqitch.repair import plan_repair

        return plan_repair(tree, spec, state, root, rev)

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
        from migration_guard.chains.sqitch.renumber import deployed_procedure

        return deployed_procedure(
            root, tree, spec, moves, allow_deployed=allow_deployed, extra_targets=targets
        )

    def plan_new(
        self, tree: Tree, spec: ChainSpec, state: ChainState, request: NewRequest
    ) -> NewMigration:
        from migration_guard.chains.sqitch.new import plan_new

        r = request
        return plan_new(tree, spec, state, r.number, r.slug, r.message, r.now, r.author)

    def owned_folders(self, spec: ChainSpec) -> tuple[str, ...]:
        return (spec.path.rpartition("/")[0] or spec.path,)

    def lint_only(self, tree: Tree, spec: ChainSpec, *, syntax_only: bool) -> ChainState | None:
        """sqitch's own parse of the plan (``--syntax-only``), or a plan file no chain names
        (``spec.width == 0``) with conventions inferred from it."""
        adhoc = spec.width == 0
        if not (syntax_only or adhoc):
            return None
        from migration_guard.chains.sqitch import reader as sqitch

        findings = sqitch.lint_plan(
            tree, spec.path, None if adhoc else spec, syntax_only=syntax_only
        )
        data = tree.read_bytes(spec.path)
        return ChainState(
            spec=spec, migrations=sqitch.plan_migrations(data, spec), findings=tuple(findings)
        )

    def prepare_gate(self, tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> ChainGate:
        from migration_guard.databases.sqitch_gate import prepare

        return prepare(tree, specs, setup)


KIND: Kind = SqitchKind()  # (the annotation makes mypy check the protocol)
