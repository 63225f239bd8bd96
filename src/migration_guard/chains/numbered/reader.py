"""Reading a numbered chain: its folder's files in the framework's order, with findings.

Reads file names, and the text of the files whose framework requires a marker in them (goose,
dbmate); nothing is executed. A file that could not be read is a finding and is listed in
``ChainState.unread``: never a silent OK.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from migration_guard.chains.numbered.pattern import FilePattern
from migration_guard.chains.numbered.presets import Preset, chain_patterns
from migration_guard.chains.numbered.scan import Group, NamedFile, Scan, migration_name, scan
from migration_guard.errors import InputError
from migration_guard.model import (
    ChainSpec,
    ChainState,
    Finding,
    Head,
    Migration,
    NumberingMode,
    Severity,
)
from migration_guard.numbering import Numbering, detect_numbering
from migration_guard.tree import SCRIPT_LIMIT, Refusal, Tree

CODES: dict[str, str] = {
    "MG501": "duplicate migration version",
    "MG502": "migration without its down file, or a down file without its migration",
    "MG503": "the framework refuses the file's content (a required marker is missing)",
    "MG504": "file looks like a migration but its name does not follow the chain's pattern",
    "MG505": "migration file could not be read",
    "MG506": "migrations folder missing (warning)",
    "MG507": "file name order differs from version order (dbmate applies by name)",
}

_DEFAULT_WIDTH = 4


def folder_names(tree: Tree, folder: str) -> list[str]:
    """The file names directly in ``folder`` (these frameworks do not read sub-folders)."""
    return [name for name, is_folder in tree.list_entries(folder) if not is_folder]


def chain_numbering(groups: Sequence[Group], spec: ChainSpec) -> Numbering:
    """Sequential only when every version is a plain integer (not ``1.2``), as detected from
    the versions; the configuration overrides mode and width."""
    texts = [g.primary.number for g in groups if g.primary is not None]
    prefixes: list[str | None] = [t if t.isdigit() else None for t in texts]
    mode = spec.numbering
    if mode is None and any(p is None for p in prefixes):
        mode = NumberingMode.NONE
    return detect_numbering(
        texts,
        prefixes,
        configured_mode=mode,
        configured_width=spec.width,
        default_width=_DEFAULT_WIDTH,
    )


def to_migration(
    spec: ChainSpec,
    group: Group,
    primary: FilePattern,
    preset: Preset,
    numbering: Numbering,
    parents: tuple[str, ...],
) -> Migration:
    assert group.primary is not None
    text = group.primary.number
    number = numbering.number_of(text) if text.isdigit() else None
    return Migration(
        chain=spec.name,
        number=number,
        number_text=text if number is not None else "",
        name=migration_name(group.primary.name, group.primary.match, primary),
        path=posixpath.join(spec.path, group.primary.name),
        id=preset.identity(text),
        parents=parents,
    )


def _path(spec: ChainSpec, name: str) -> str:
    return posixpath.join(spec.path, name)


def _duplicates(spec: ChainSpec, found: Scan, preset: Preset) -> list[Finding]:
    findings: list[Finding] = []
    first: dict[str, str] = {}
    for group in found.migrations:
        assert group.primary is not None
        name = group.primary.name
        identity = preset.identity(group.primary.number)
        earlier = first.setdefault(identity, name)
        if earlier != name:
            findings.append(
                Finding(
                    "MG501",
                    f"{name} has version {group.primary.number}, as {earlier} does: "
                    f"{_duplicate_effect(preset)}",
                    _path(spec, name),
                    hint="renumber one of them to the next free version (migration-guard renumber)",
                )
            )
    return findings


def _duplicate_effect(preset: Preset) -> str:
    if preset.by_name:  # dbmate 2.37, measured: its schema_migrations keys the version
        return (
            f"{preset.label} fails on the second (its version is already recorded), or, "
            "where the first was applied before, takes the second as applied and never runs it"
        )
    return f"{preset.label} refuses to run a chain with one version twice"


def _pairs(spec: ChainSpec, found: Scan, patterns: Sequence[FilePattern]) -> list[Finding]:
    """A ``.up.`` file without its ``.down.`` (a warning: golang-migrate does not require
    one, it only cannot roll that migration back), and a down file without its up."""
    findings: list[Finding] = []
    if not any(p.regex.groupindex.get("direction") for p in patterns):
        return findings
    for group in found.migrations:
        assert group.primary is not None
        if not group.companions and ".up." in group.primary.name:
            findings.append(
                Finding(
                    "MG502",
                    f"{group.primary.name} has no down file: the migration cannot be rolled back",
                    _path(spec, group.primary.name),
                    hint="add "
                    + group.primary.name.replace(".up.", ".down.")
                    + " (it may be empty)",
                    severity=Severity.WARNING,
                )
            )
    for orphan in found.orphans:
        for file in orphan.files:
            findings.append(
                Finding(
                    "MG502",
                    f"{file.name} has no migration of version {file.number}: it is never run up",
                    _path(spec, file.name),
                    hint="rename it after its migration, or delete it",
                    severity=Severity.WARNING,
                )
            )
    return findings


def _lookalikes(spec: ChainSpec, found: Scan, preset: Preset, shown: str) -> list[Finding]:
    findings = []
    for name in found.lookalikes:
        stops = preset.strict_lookalikes and name.endswith(".sql")
        effect = f"{preset.label} stops at it" if stops else f"{preset.label} does not run it"
        findings.append(
            Finding(
                "MG504",
                f"{name} looks like a migration but does not match {shown}: {effect}",
                _path(spec, name),
                hint=f"rename it to follow {shown}, or move it out of {spec.path}",
                severity=Severity.ERROR if stops else Severity.WARNING,
            )
        )
    return findings


def _name_order(spec: ChainSpec, found: Scan, preset: Preset) -> list[Finding]:
    """dbmate applies files in name order: a version written with fewer digits (``2_a`` after
    ``10_b``) runs out of version order."""
    if not preset.by_name:
        return []
    findings = []
    highest: NamedFile | None = None
    for group in found.migrations:
        assert group.primary is not None
        current = group.primary
        if highest is None or int(current.number) >= int(highest.number):
            highest = current
            continue
        findings.append(
            Finding(
                "MG507",
                f"{current.name} (version {current.number}) runs after {highest.name}: "
                f"{preset.label} applies files in name order",
                _path(spec, current.name),
                hint="write versions with one width (zero-padded) so that name order is "
                "version order",
                severity=Severity.WARNING,
            )
        )
    return findings


def _bodies(
    tree: Tree, spec: ChainSpec, found: Scan, preset: Preset
) -> tuple[list[Finding], list[str]]:
    """Markers the framework requires in ``.sql`` files; unreadable files (and why). Every
    migration file is read, also for presets that check no markers: a link leaving the
    repository or a file too large to be a migration is reported, never passed as OK."""
    check = preset.body_check
    paths = [_path(spec, g.primary.name) for g in found.migrations if g.primary is not None]
    refused: dict[str, Refusal] = {}
    findings: list[Finding] = []
    unread: list[str] = []
    try:
        texts = tree.read_many(paths, limit=SCRIPT_LIMIT, refused=refused)
    except (OSError, InputError) as exc:
        reason = f"{spec.path}: could not read the migration files ({exc})"
        return [Finding("MG505", reason, spec.path)], [reason]
    for path in paths:
        if path in refused:
            refusal = refused[path]
            findings.append(Finding(refusal.code, f"{path}: {refusal.reason}", path))
            unread.append(f"{path}: {refusal.reason}")
            continue
        data = texts.get(path)
        if data is None:
            findings.append(Finding("MG505", f"{path} could not be read", path))
            unread.append(f"{path}: could not be read")
            continue
        if check is None or not path.endswith(".sql"):
            continue
        problem = check(data.decode("utf-8", "replace"))
        if problem is not None:
            findings.append(
                Finding(
                    "MG503",
                    f"{posixpath.basename(path)} {problem}",
                    path,
                    hint=f"see {preset.label}'s documentation of the migration file format",
                )
            )
    return findings, unread


def read_chain(tree: Tree, spec: ChainSpec, preset: Preset) -> ChainState:
    """The chain in ``spec.path``: one migration per primary file in the framework's order
    (each builds on the one before), its last migration as head, and every finding."""
    patterns = chain_patterns(preset, spec)
    shown = " or ".join(p.text for p in patterns if p.primary)
    if not tree.is_dir(spec.path):
        numbering = chain_numbering((), spec)
        finding = Finding(
            "MG506",
            f"migrations folder {spec.path} does not exist in the {tree.label}; read as an "
            "empty chain",
            spec.path,
            hint="check the chain's path in migration-guard.toml",
            severity=Severity.WARNING,
        )
        return ChainState(
            spec=spec, findings=(finding,), numbering=numbering.mode, width=numbering.width
        )
    found = scan(folder_names(tree, spec.path), patterns, preset)
    numbering = chain_numbering(found.migrations, spec)
    migrations: list[Migration] = []
    parents: tuple[str, ...] = ()
    for group in found.migrations:
        migration = to_migration(spec, group, patterns[0], preset, numbering, parents)
        migrations.append(migration)
        parents = (migration.id,)
    body_findings, unread = _bodies(tree, spec, found, preset)
    findings = [
        *_duplicates(spec, found, preset),
        *_name_order(spec, found, preset),
        *body_findings,
        *_pairs(spec, found, patterns),
        *_lookalikes(spec, found, preset, shown),
    ]
    last = migrations[-1] if migrations else None
    return ChainState(
        spec=spec,
        migrations=tuple(migrations),
        heads=(Head(last.id, last.path),) if last is not None else (),
        findings=tuple(findings),
        numbering=numbering.mode,
        width=numbering.width,
        unread=tuple(unread),
    )
