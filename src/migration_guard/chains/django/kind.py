"""The Django kind: ``KIND``, what the commands see of Django apps' migrations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.chains.django import reader
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
from migration_guard.model import ChainKind, ChainSpec, ChainState, Finding, Migration
from migration_guard.numbering import Numbering

if TYPE_CHECKING:
    from migration_guard.edits import EditPlan
    from migration_guard.recovery import Repair
    from migration_guard.tree import Tree

__all__ = ["KIND", "DjangoKind"]

_OTHER_KINDS_KEYS = (("alembic_config", "alembic chains"),)


class DjangoKind(KindDefaults):
    """One chain per Django app: ``<app>/migrations``, migrations ``NNNN_slug.py``."""

    key = ChainKind.DJANGO
    noun = "migration"
    capabilities = frozenset(
        {Capability.HEADS, Capability.RENUMBER, Capability.RECOVER, Capability.GATE}
    )
    shown_by_path = True
    several_folders = False
    config_keys = frozenset({"settings"})

    def discover(
        self, tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
    ) -> list[Discovered]:
        return [
            Discovered((spec.name,), spec._replace(name="", title=""))
            for folder, files in walked
            for spec in reader.discover(tree, folder, frozenset(files))
        ]

    def check_spec(self, tree: Tree, spec: ChainSpec, where: str) -> None:
        for field, owner in _OTHER_KINDS_KEYS:
            if getattr(spec, field) is not None:
                raise ConfigError(f"{where}: {field!r} is for {owner}")
        if spec.recursive or spec.extra_paths:
            raise ConfigError(
                f"{where}: a django chain is one app's migrations folder (no 'recursive', "
                "no extra paths)"
            )
        if not tree.is_dir(spec.path):
            raise ConfigError(
                f"{where}: {spec.path} is not a folder in the {tree.label}",
                hint="a django chain's path is an app's migrations folder, e.g. shop/migrations",
            )

    def read_chain(self, tree: Tree, spec: ChainSpec) -> ChainState:
        return reader.read_chain(tree, spec)

    def path_rules(
        self, tree: Tree, specs: Sequence[ChainSpec], numbering: Mapping[str, Numbering]
    ) -> list[PathRule]:
        rules = []
        for spec in specs:
            known = numbering.get(spec.name)
            if known is None:
                known = reader.chain_numbering(spec, list(reader.migration_files(tree, spec.path)))
            rules.append(PathRule(spec.name, self.key, (spec.path,), False, ".py", known))
        return rules

    def classify(self, rule: PathRule, path: str, rest: str) -> Migration | None:
        if "/" in rest:
            return None
        name = reader.module_name(rest)
        if name is None:
            return None
        prefix = reader.number_prefix(name)
        number = rule.numbering.number_of(prefix)
        return Migration(
            chain=rule.chain,
            number=number,
            number_text=prefix if number is not None and prefix else "",
            name=name,
            path=path,
        )

    def refine_claim(self, migration: Migration, data: bytes) -> Migration | str:
        from migration_guard.chains.django.source import parse_source

        info = parse_source(migration.path, data)
        if info.error:
            return info.error
        if any(name == "dependencies" for name, _ in info.unknown):
            return "its dependencies are not literals"
        app = migration.path.rsplit("/", 2)[-3] if migration.path.count("/") >= 2 else ""
        parents = tuple(sorted({r.name for r in info.dependencies if r.app == app}))
        return migration._replace(id=migration.name, parents=parents)

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        from migration_guard.chains.django.repair import moved

        return moved(spec, migration, number)

    def plan_renumber(
        self, tree: Tree, spec: ChainSpec, moves: Sequence[Move], context: RenumberContext
    ) -> EditPlan:
        from migration_guard.chains.django.rewrite import plan_renumber

        return plan_renumber(tree, spec, moves)

    def plan_repair(
        self, tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str
    ) -> Repair:
        from migration_guard.chains.django.repair import plan_repair

        return plan_repair(tree, spec, state, root, rev)

    def plan_new(
        self, tree: Tree, spec: ChainSpec, state: ChainState, request: NewRequest
    ) -> NewMigration:
        from migration_guard.chains.django.new import plan_new

        r = request
        return plan_new(tree, spec, state, r.number, r.slug, r.message, r.now)

    def prepare_gate(self, tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> ChainGate:
        from migration_guard.chains.django.gate import prepare

        return prepare(tree, specs, setup)


KIND: Kind = DjangoKind()  # (annotated: mypy checks it against the protocol)
