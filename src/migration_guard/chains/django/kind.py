"""The Django kind: ``KIND``, what the commands see of Django apps' migrations."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from migration_guard.chains.django import reader
from migration_guard.chains.kind import Capability, Move, PathRule
from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind, ChainSpec, ChainState, Migration
from migration_guard.numbering import Numbering

if TYPE_CHECKING:
    from migration_guard.edits import EditPlan
    from migration_guard.tree import Tree

__all__ = ["KIND", "DjangoKind"]

_OTHER_KINDS_KEYS = (
    ("alembic_config", "alembic chains"),
    ("alembic_section", "alembic chains"),
    ("downgrade_floor", "alembic chains"),
    ("pattern", "numbered chains"),
)


class DjangoKind:
    """One chain per Django app: ``<app>/migrations``, migrations ``NNNN_slug.py``."""

    key = ChainKind.DJANGO
    noun = "migration"
    capabilities = frozenset(
        {Capability.HEADS, Capability.RENUMBER, Capability.RECOVER, Capability.GATE}
    )
    shown_by_path = True

    def discover(self, tree: Tree, folder: str, files: frozenset[str]) -> list[ChainSpec]:
        return reader.discover(tree, folder, files)

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

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        stem = posixpath.basename(migration.path)[: -len(".py")]
        prefix = reader.number_prefix(stem)
        slug = stem[len(prefix) :] if prefix is not None else "_" + stem
        new_name = number + slug
        folder = posixpath.dirname(migration.path)
        return Move(spec, migration, number, new_name, posixpath.join(folder, new_name + ".py"))

    def plan_renumber(self, tree: Tree, spec: ChainSpec, moves: Sequence[Move]) -> EditPlan:
        from migration_guard.chains.django.rewrite import plan_renumber

        return plan_renumber(tree, spec, moves)


KIND = DjangoKind()
