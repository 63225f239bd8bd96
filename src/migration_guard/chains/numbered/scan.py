"""One folder's file names read by a chain's patterns: migrations with all their files,
companions without a migration, and names that look like migrations but do not match."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from migration_guard.chains.numbered.pattern import FilePattern, NameMatch
from migration_guard.chains.numbered.presets import Preset


class NamedFile(NamedTuple):
    name: str  # the file name (no folder)
    match: NameMatch

    @property
    def number(self) -> str:
        return self.match.number


class Group(NamedTuple):
    """One migration: its primary file and the companions that go with it (``.down.``,
    flyway's undo file). ``primary`` is None for companions whose migration is missing."""

    primary: NamedFile | None
    companions: tuple[NamedFile, ...]

    @property
    def files(self) -> tuple[NamedFile, ...]:
        return ((self.primary,) if self.primary else ()) + self.companions


class Scan(NamedTuple):
    migrations: tuple[Group, ...]  # in the framework's order
    orphans: tuple[Group, ...]  # companions without a migration
    lookalikes: tuple[str, ...]  # look like migrations, but no pattern reads them


def read_name(name: str, patterns: Sequence[FilePattern], preset: Preset) -> NameMatch | None:
    """How the chain's patterns read the file name ``name`` (None: not one of its files)."""
    if preset.ignored is not None and preset.ignored.fullmatch(name):
        return None
    for pattern in patterns:
        match = pattern.match(name)
        if match is not None:
            return match
    return None


def migration_name(name: str, match: NameMatch, primary: FilePattern) -> str:
    """The name of the migration a file belongs to: the primary file's name up to its slug
    (``0007_add_x`` for both ``0007_add_x.up.sql`` and ``.down.sql``; ``V1__x`` for ``U1__x``)."""
    return primary.prefix + name[match.start : match.end]


def looks_like(name: str, patterns: Sequence[FilePattern]) -> bool:
    """A name that starts like one of the chain's files (prefix and a digit) and ends with its
    extension, but that no pattern reads (``7-x.sql`` for ``{number}_{slug}.sql``)."""
    for pattern in patterns:
        head = pattern.prefix
        if (
            name.startswith(head)
            and name[len(head) : len(head) + 1].isdigit()
            and name.endswith(pattern.suffix)
        ):
            return True
    return False


def scan(names: Iterable[str], patterns: Sequence[FilePattern], preset: Preset) -> Scan:
    primaries: list[NamedFile] = []
    companions: list[NamedFile] = []
    lookalikes: list[str] = []
    for name in sorted(names):
        match = read_name(name, patterns, preset)
        if match is None:
            ignored = preset.ignored is not None and preset.ignored.fullmatch(name)
            if not ignored and looks_like(name, patterns):
                lookalikes.append(name)
            continue
        (primaries if match.primary else companions).append(NamedFile(name, match))
    attached: dict[str, list[NamedFile]] = {f.name: [] for f in primaries}
    by_key = {(f.number, f.match.slug): f for f in primaries}
    identities = Counter(preset.identity(f.number) for f in primaries)
    by_identity = {preset.identity(f.number): f for f in primaries}
    orphans: list[Group] = []
    for companion in companions:
        owner = by_key.get((companion.number, companion.match.slug))
        identity = preset.identity(companion.number)
        if owner is None and identities[identity] == 1:
            owner = by_identity[identity]
        if owner is None:
            orphans.append(Group(None, (companion,)))
        else:
            attached[owner.name].append(companion)
    groups = [Group(f, tuple(attached[f.name])) for f in primaries]
    if not preset.by_name:  # stable: one version's files stay in name order
        groups.sort(key=lambda g: preset.parts(g.primary.number) if g.primary else ())
    return Scan(tuple(groups), tuple(orphans), tuple(lookalikes))
