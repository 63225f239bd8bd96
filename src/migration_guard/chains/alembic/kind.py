"""The Alembic kind: what the commands get from ``chains/alembic/``.

Imports of the heavier modules happen in the methods that need them, so that reading a
chain (``heads``) loads no rewrite, repair or database code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
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
from migration_guard.model import ChainKind, ChainSpec, ChainState, Finding, Migration
from migration_guard.numbering import ANY_NUMBER, Numbering

if TYPE_CHECKING:
    from migration_guard.apply import Registry
    from migration_guard.edits import EditPlan
    from migration_guard.recovery import Repair
    from migration_guard.tree import Tree


class AlembicKind(KindDefaults):
    key = ChainKind.ALEMBIC
    noun = "revision"
    capabilities = frozenset(
        {
            Capability.HEADS,
            Capability.RENUMBER,
            Capability.RECOVER,
            Capability.GATE,
            Capability.DEPLOYED,
        }
    )
    shown_by_path = True
    several_folders = True  # version_locations: one graph in several folders
    config_keys = frozenset({"alembic_section", "downgrade_floor"})

    def discover(
        self, tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
    ) -> list[Discovered]:
        from migration_guard.chains.alembic.discover import discover

        return discover(tree, walked, notes)

    def check_spec(self, tree: Tree, spec: ChainSpec, where: str) -> None:
        for folder in spec.folders:
            if not tree.is_dir(folder):
                raise ConfigError(
                    f"{where}: versions folder {folder!r} does not exist in the {tree.label}"
                )
        if spec.alembic_section is not None and spec.alembic_config is not None:
            _check_section(tree, spec.alembic_config, spec.alembic_section, where)

    def read_chain(self, tree: Tree, spec: ChainSpec) -> ChainState:
        from migration_guard.chains.alembic.reader import read_chain

        return read_chain(tree, spec)

    def path_rules(
        self, tree: Tree, specs: Sequence[ChainSpec], numbering: Mapping[str, Numbering]
    ) -> list[PathRule]:
        return [
            PathRule(
                s.name, s.kind, s.folders, s.recursive, ".py", numbering.get(s.name, ANY_NUMBER)
            )
            for s in specs
        ]

    def classify(self, rule: PathRule, path: str, rest: str) -> Migration | None:
        from migration_guard.chains.alembic.graph import number_prefix
        from migration_guard.chains.alembic.reader import SCRIPT_NAME

        pure = PurePosixPath(path)
        if "__pycache__" in rest.split("/") or not SCRIPT_NAME.match(pure.name):
            return None
        name = pure.stem
        leading = number_prefix(name)
        number = rule.numbering.number_of(leading)
        text = (leading or "") if number is not None else ""
        return Migration(rule.chain, number, text, name, path)

    def refine_claim(self, migration: Migration, data: bytes) -> Migration | str:
        from migration_guard.chains.alembic.script import ScriptInfo, parse_script

        parsed = parse_script(migration.path, data)
        if isinstance(parsed, ScriptInfo):
            return migration._replace(id=parsed.revision, parents=parsed.down_revisions)
        return parsed.reason

    def moved(self, spec: ChainSpec, migration: Migration, number: str) -> Move:
        from migration_guard.chains.alembic.renumber import moved

        return moved(spec, migration, number)

    def plan_renumber(
        self, tree: Tree, spec: ChainSpec, moves: Sequence[Move], context: RenumberContext
    ) -> EditPlan:
        from migration_guard.chains.alembic.renumber import plan_renumber

        return plan_renumber(tree, spec, moves, context)

    def plan_repair(
        self, tree: Tree, spec: ChainSpec, state: ChainState, root: Path, rev: str
    ) -> Repair:
        from migration_guard.chains.alembic.repair import plan_repair

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
        from migration_guard.chains.alembic.renumber import refuse_applied

        refuse_applied(tree, spec, moves, targets)  # (--allow-deployed: sqitch only)
        return None

    def plan_new(
        self, tree: Tree, spec: ChainSpec, state: ChainState, request: NewRequest
    ) -> NewMigration:
        from migration_guard.chains.alembic.new import plan_new

        r = request
        return plan_new(tree, spec, state, r.number, r.slug, r.message, r.now)

    def owned_folders(self, spec: ChainSpec) -> tuple[str, ...]:
        return spec.folders

    def watched_paths(self, spec: ChainSpec) -> tuple[str, ...]:
        """The version folders, the script directory above a ``versions`` folder (env.py,
        script.py.mako) and the Alembic configuration file."""
        scripts = tuple(
            folder.rpartition("/")[0] for folder in spec.folders if folder.endswith("/versions")
        )
        config = (spec.alembic_config,) if spec.alembic_config else ()
        return tuple(dict.fromkeys((*spec.folders, *scripts, *config)))

    def prepare_gate(self, tree: Tree, specs: Sequence[ChainSpec], setup: GateSetup) -> ChainGate:
        from migration_guard.databases.alembic_gate import prepare

        return prepare(tree, specs, setup)


def _check_section(tree: Tree, config_file: str, section: str, where: str) -> None:
    """The ini the chain names has the section (``alembic -n`` fails otherwise)."""
    from migration_guard.chains.alembic import config as alembic_config

    ini = alembic_config.config_for_file(config_file, tree, section).ini
    if ini is None:
        raise ConfigError(
            f"{where}: alembic_section {section!r} needs an alembic.ini; {config_file} has none "
            "beside it"
        )
    sections = alembic_config.ini_sections(tree, ini)
    if section not in sections:
        raise ConfigError(
            f"{where}: alembic_section {section!r} is not a section of {ini}",
            hint=f"its sections: {', '.join(sections) or '(none)'}",
        )


KIND: Kind = AlembicKind()  # (the annotation makes mypy check the protocol)
