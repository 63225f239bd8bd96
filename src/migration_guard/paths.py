"""Which repository paths are migrations of which chain (for other changes' file lists).

Another open PR is known only by the paths it touches; each kind's rules map a path to a
chain, a name and (in a ``sequential`` chain) a number without reading the file (an Alembic
revision script in a versions folder, a sqitch deploy/revert/verify script named after its
change...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from migration_guard.chains import registry
from migration_guard.chains.kind import PathRule
from migration_guard.model import ChainSpec, Migration
from migration_guard.numbering import ANY_NUMBER, Numbering
from migration_guard.tree import Tree

__all__ = ["ANY_NUMBER", "PathRule", "classify", "rules_for"]


def rules_for(
    tree: Tree, specs: Iterable[ChainSpec], numbering: Mapping[str, Numbering] | None = None
) -> list[PathRule]:
    """Path rules of ``specs``, in their order; ``numbering`` (by chain, as read from the
    base) says which names carry a number (for a chain it leaves out: any number prefix)."""
    ordered = list(specs)
    by_name: dict[str, PathRule] = {}
    for key in dict.fromkeys(s.kind for s in ordered):
        of_kind = [s for s in ordered if s.kind is key]
        for rule in registry.kind_of(key).path_rules(tree, of_kind, numbering or {}):
            by_name[rule.chain] = rule
    return [by_name[s.name] for s in ordered]


def classify(path: str, rules: Sequence[PathRule]) -> Migration | None:
    """The migration ``path`` is (chain, name, number if any), or None when it is not one."""
    for rule in rules:
        for folder in rule.folders:
            prefix = f"{folder}/" if folder else ""
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            if "/" in rest and not rule.recursive:
                continue
            migration = registry.kind_of(rule.kind).classify(rule, path, rest)
            if migration is not None:
                return migration
    return None
