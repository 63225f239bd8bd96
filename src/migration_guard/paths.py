"""Which repository paths are migrations of which chain (for other changes' file lists).

Another open PR is known only by the paths it touches; these rules map a path to a chain, a
name and (in a ``sequential`` chain) a number without reading the file: an Alembic revision
script in a versions folder, or a sqitch deploy/revert/verify script (named after its change).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from migration_guard.model import ChainKind, ChainSpec, Migration, NumberingMode
from migration_guard.numbering import MAX_SEQUENTIAL_WIDTH, Numbering
from migration_guard.tree import Tree

_ALEMBIC_NAME = re.compile(r"^(?!\.\#|__init__)(.*\.py)$")


# Numbers of any width count (a chain whose numbering is not known yet).
ANY_NUMBER = Numbering(NumberingMode.SEQUENTIAL, MAX_SEQUENTIAL_WIDTH)


@dataclass(frozen=True)
class PathRule:
    chain: str
    kind: ChainKind
    folders: tuple[str, ...]
    recursive: bool
    extension: str
    numbering: Numbering = ANY_NUMBER


def rules_for(
    tree: Tree, specs: Iterable[ChainSpec], numbering: Mapping[str, Numbering] | None = None
) -> list[PathRule]:
    """Path rules of ``specs``; ``numbering`` (by chain, as read from the base) says which
    names carry a number (for a chain it leaves out: any number prefix)."""
    rules = []
    sqitch_folders: dict[str, tuple[tuple[str, ...], str]] = {}
    for spec in specs:
        if spec.kind is ChainKind.SQITCH:
            from migration_guard.chains.sqitch import reader as sqitch

            sqitch_folders[spec.name] = sqitch.script_folders(tree, spec)
    # A script folder several plans share (a second sqitch target) says nothing about which
    # plan a new script belongs to: only the plan that names it does, so it is no chain's.
    users = Counter(f for folders, _ in sqitch_folders.values() for f in set(folders))
    for spec in specs:
        mode = (numbering or {}).get(spec.name, ANY_NUMBER)
        if spec.kind is ChainKind.ALEMBIC:
            rules.append(PathRule(spec.name, spec.kind, spec.folders, spec.recursive, ".py", mode))
        else:
            folders, extension = sqitch_folders[spec.name]
            own = tuple(f for f in folders if users[f] == 1)
            rules.append(PathRule(spec.name, spec.kind, own, True, extension, mode))
    return rules


def _number_prefix(kind: ChainKind, name: str) -> str | None:
    """The number exactly as the chain's own reader sees it (one rule per kind)."""
    if kind is ChainKind.ALEMBIC:
        from migration_guard.chains.alembic.graph import number_prefix

        return number_prefix(name)
    from migration_guard.chains.sqitch.reader import number_prefix as sqitch_number_prefix

    return sqitch_number_prefix(name)


def classify(path: str, rules: Sequence[PathRule]) -> Migration | None:
    """The migration ``path`` is (chain, name, number if any), or None when it is not one."""
    pure = PurePosixPath(path)
    for rule in rules:
        for folder in rule.folders:
            prefix = f"{folder}/" if folder else ""
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            if "/" in rest and not rule.recursive:
                continue
            if rule.kind is ChainKind.ALEMBIC:
                if "__pycache__" in rest.split("/") or not _ALEMBIC_NAME.match(pure.name):
                    continue
                name = pure.stem
            else:
                if not rest.endswith(rule.extension):
                    continue
                name = rest[: -len(rule.extension)]
                if "@" in name:  # name@tag.sql: an earlier copy of a reworked change
                    continue
            leading = _number_prefix(rule.kind, name)
            if rule.kind is ChainKind.ALEMBIC:
                number = rule.numbering.number_of(leading)
            else:  # lint reports a sqitch number of the wrong width; it is still the number
                sequential = rule.numbering.mode is NumberingMode.SEQUENTIAL
                number = int(leading) if sequential and leading is not None else None
            text = (leading or "") if number is not None else ""
            return Migration(rule.chain, number, text, name, path)
    return None
