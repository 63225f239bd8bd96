"""Renumbering: every file of a migration (``.up.`` and ``.down.`` together, flyway's undo
file) gets the new version; the slug and the rest of each name stay. These frameworks key a
migration by its file name, so nothing else is rewritten."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from migration_guard.chains.kind import Move
from migration_guard.chains.numbered.presets import Preset, chain_patterns
from migration_guard.chains.numbered.reader import folder_names
from migration_guard.chains.numbered.scan import NamedFile, migration_name, read_name, scan
from migration_guard.edits import EditPlan, Rename
from migration_guard.errors import InputError, UsageError
from migration_guard.model import ChainSpec, ChainState, Migration, NumberingMode
from migration_guard.tree import Tree


def renamed(file: NamedFile, number: str) -> str:
    """``file``'s name with its version replaced by ``number``."""
    start = file.match.start
    return file.name[:start] + number + file.name[start + len(file.number) :]


def keep_width(old: str, number: str) -> str:
    """``number`` zero-padded to the width of ``old`` (the chain's width: ``0007`` -> ``0012``)."""
    if number.isdigit() and old.isdigit():
        return number.zfill(len(old))
    return number


def moved(spec: ChainSpec, migration: Migration, number: str, preset: Preset) -> Move:
    patterns = chain_patterns(preset, spec)
    name = posixpath.basename(migration.path)
    match = read_name(name, patterns, preset)
    if match is None:
        raise InputError(
            f"{migration.path} is not a migration file of chain {spec.name}",
            hint=f"its file names follow {patterns[0].text}",
        )
    new_number = keep_width(match.number, number)
    new_file = renamed(NamedFile(name, match), new_number)
    new_match = read_name(new_file, patterns, preset)
    if new_match is None:
        raise InputError(
            f"version {number!r} does not fit the file names of chain {spec.name} "
            f"({patterns[0].text})"
        )
    return Move(
        spec,
        migration,
        new_number,
        migration_name(new_file, new_match, patterns[0]),
        posixpath.join(posixpath.dirname(migration.path), new_file),
    )


def plan_renumber(tree: Tree, spec: ChainSpec, moves: Sequence[Move], preset: Preset) -> EditPlan:
    patterns = chain_patterns(preset, spec)
    found = scan(folder_names(tree, spec.path), patterns, preset)
    by_path = {
        posixpath.join(spec.path, g.primary.name): g
        for g in found.migrations
        if g.primary is not None
    }
    renames: list[Rename] = []
    notes: list[str] = []
    for move in moves:
        group = by_path.get(move.migration.path)
        if group is None:
            raise InputError(
                f"{move.migration.path} is not a migration of chain {spec.name} in the "
                f"{tree.label}",
                hint="read the chain again; the file may have been renamed",
            )
        for file in group.files:
            old = posixpath.join(spec.path, file.name)
            new = posixpath.join(spec.path, renamed(file, move.new_number))
            if old != new:
                renames.append(Rename(old, new))
        notes.append(
            f"{move.migration.name} -> {move.new_name} ({len(group.files)} file"
            f"{'s' if len(group.files) != 1 else ''})"
        )
    _check_targets(tree, renames)
    return EditPlan(renames=tuple(renames), notes=tuple(notes))


def _check_targets(tree: Tree, renames: Sequence[Rename]) -> None:
    """No rename may overwrite a file that stays (or another rename's target)."""
    leaving = {r.old_path for r in renames}
    targets: set[str] = set()
    for rename in renames:
        if rename.new_path in targets or (
            tree.exists(rename.new_path) and rename.new_path not in leaving
        ):
            raise InputError(
                f"cannot rename {rename.old_path}: {rename.new_path} already exists",
                hint="choose another number",
            )
        targets.add(rename.new_path)


_LEADING_DIGITS = re.compile(r"[0-9]+")


def new_versions(state: ChainState, count: int, requested: str) -> tuple[str, ...]:
    """Versions for a chain that is not ``sequential``. A ``date`` chain (timestamps) moves
    to the versions right after its highest, at the same width (the tools order versions as
    integers, so a timestamp one second past the last is as good as a fresh one and says
    where it goes); in a ``none`` chain (Flyway's dotted versions) only the user can choose.
    An explicit version is taken as given, for one migration."""
    if requested != "next":
        if count != 1:
            raise UsageError(
                f"--to {requested} names one version; {count} migrations of chain "
                f"{state.spec.name!r} would share it",
                hint="renumber them one at a time",
            )
        return (requested,)
    if state.numbering is not NumberingMode.DATE:
        raise UsageError(
            f"chain {state.spec.name!r} has no sequential or timestamp versions "
            f"(numbering: {state.numbering.value}), so there is no next one to pick",
            hint="name the new version, e.g. --to 1.13",
        )
    versions = [
        match.group()
        for m in state.migrations
        if (match := _LEADING_DIGITS.search(posixpath.basename(m.path))) is not None
    ]
    if not versions:
        raise UsageError(f"chain {state.spec.name!r} has no versions to follow")
    width = max(len(v) for v in versions)
    highest = max(int(v) for v in versions)
    return tuple(str(highest + 1 + i).zfill(width) for i in range(count))
