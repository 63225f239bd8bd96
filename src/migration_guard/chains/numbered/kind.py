"""The numbered kinds: one ``Kind`` object per preset (``numbered``, ``flyway``,
``golang-migrate``, ``goose``, ``dbmate``), registered as ``kind:FLYWAY`` and so on.

Linear chains: each migration builds on the one before, so there are no heads to gate
(no HEADS); they renumber and recover by renaming files; no round trip, no deployed state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from migration_guard.chains.kind import (
    Capability,
    Discovered,
    Kind,
    KindDefaults,
    Move,
    NewMigration,
    NewRequest,
    PathRule,
    RenumberContext,
    path_name_parts,
)
from migration_guard.chains.numbered import discover, reader, rename
from migration_guard.chains.numbered.presets import PRESETS, Preset, file_patterns
from migration_guard.chains.numbered.scan import migration_name, read_name
from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind, ChainSpec, ChainState, Finding, Migration
from migration_guard.numbering import ANY_NUMBER, Numbering

if TYPE_CHECKING:
    from migration_guard.edits import EditPlan
    from migration_guard.recovery import Repair
    from migration_guard.tree import Tree


class NumberedKind(KindDefaults):
    """One preset (or the generic kind) as a ``Kind``."""

    noun = "migration"
    capabilities = frozenset({Capability.RENUMBER, Capability.RECOVER})
    shown_by_path = True
    several_folders = False
    config_keys = frozenset({"pattern"})

    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.key: ChainKind = preset.key

    def discover(
        self, tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
    ) -> list[Discovered]:
        """Folders whose files have this preset's shape (the generic kind is only ever
        configured: its pattern is the user's)."""
        if self.key is ChainKind.NUMBERED:
            return []
        return [
            Discovered(
                tuple(path_name_parts(folder, ("migrations", "migration")) or [self.key.value]),
                ChainSpec(name="", title="", kind=self.key, path=folder, discovered=True),
            )
            for folder, files in walked
            if discover.shape_of(tree, folder, files) == self.key
        ]

    def check_spec(self, tree: Tree, spec: ChainSpec, where: str) -> None:
        try:
            file_patterns(self.preset, spec.pattern)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from None
        if not tree.is_dir(spec.path):
            what = "does not exist" if not tree.exists(spec.path) else "is not a folder"
            raise ConfigError(
                f"{where}: migrations folder {spec.path} {what}",
                hint=f"path is the folder that holds the {self.preset.label} migration files",
            )
        if spec.extra_paths or spec.recursive:
            raise ConfigError(
                f"{where}: a {self.key.value} chain is one folder (no extra paths, not recursive)",
                hint=f"{self.preset.label} reads the files directly in one folder",
            )

    def read_chain(self, tree: Tree, spec: ChainSpec) -> ChainState:
        return reader.read_chain(tree, spec, self.preset)

    def path_rules(
        self, tree: Tree, specs: Sequence[ChainSpec], numbering: Mapping[str, Numbering]
    ) -> list[PathRule]:
        rules = []
        for spec in specs:
            suffixes = {p.suffix for p in file_patterns(self.preset, spec.pattern)}
            suffix = suffixes.pop() if len(suffixes) == 1 else ""
            rules.append(
                PathRule(
                    spec.name,
                    self.key,
                    (spec.path,),
                    False,
                    suffix,
                    numbering.get(spec.name, ANY_NUMBER),
                    spec.pattern,
                )
            )
        return rules

    def classify(self, rule: PathRule, path: str, rest: str) -> Migration | None:
        if "/" in rest or not rest.endswith(rule.suffix):
            return None
        patterns = file_patterns(self.preset, rule.pattern)
        match = read_name(rest, patterns, self.preset)
        if match is None:
            return None
        text = match.number
        number = rule.numbering.number_of(text) if text.isdigit() else None
        return Migration(
            chain=rule.chain,
            number=number,
            number_text=text if number is not None else "",
            name=migration_name(rest, match, patterns[0]),
            path=path,
            id=self.preset.identity(text),  # (the version as the tool keys it: V1 = V1.0)
        )

    def new_versions(self, state: ChainState, count: int, requested: str) -> tuple[str, ...] | None:
        return rename.new_versions(state, count, requested)

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        return rename.moved(spec, migration, number, self.preset)

    def plan_renumber(
        self, tree: Tree, spec: ChainSpec, moves: Sequence[Move], context: RenumberContext
    ) -> EditPlan:
        return rename.plan_renumber(tree, spec, moves, self.preset)

    def plan_repair(
        self, tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str
    ) -> Repair:
        from migration_guard.chains.numbered.repair import plan_repair

        return plan_repair(tree, spec, state, root, rev, self.preset)

    def plan_new(
        self, tree: Tree, spec: ChainSpec, state: ChainState, request: NewRequest
    ) -> NewMigration:
        from migration_guard.chains.numbered.new import plan_new

        r = request
        return plan_new(tree, spec, state, r.number, r.slug, r.message, self.preset)


# (annotated: mypy checks each against the protocol)
NUMBERED: Kind = NumberedKind(PRESETS[ChainKind.NUMBERED])
FLYWAY: Kind = NumberedKind(PRESETS[ChainKind.FLYWAY])
GOLANG_MIGRATE: Kind = NumberedKind(PRESETS[ChainKind.GOLANG_MIGRATE])
GOOSE: Kind = NumberedKind(PRESETS[ChainKind.GOOSE])
DBMATE: Kind = NumberedKind(PRESETS[ChainKind.DBMATE])
