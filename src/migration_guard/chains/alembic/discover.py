"""Finding Alembic chains as Alembic's own configuration defines them: ``alembic.ini`` and
its named sections, ``[tool.alembic]`` of pyproject.toml; else env.py beside a versions/
folder. What cannot become a chain is a note (MG142, MG143), never dropped in silence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from migration_guard.chains.alembic import config as alembic_config
from migration_guard.chains.alembic import reader as alembic
from migration_guard.chains.kind import Discovered, path_name_parts
from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind, ChainSpec, Finding, Severity
from migration_guard.tree import Tree


class _Found(NamedTuple):
    folders: tuple[str, ...]
    config: str | None
    section: str | None
    recursive: bool


def discover(
    tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
) -> list[Discovered]:
    found: list[_Found] = []
    env_folders: list[str] = []
    script_folders: set[str] = set()
    for folder, files in walked:
        names = set(files)
        prefix = f"{folder}/" if folder else ""
        try:
            configs = alembic_config.configs_in(tree, folder, names)
        except ConfigError as exc:
            notes.append(config_note(exc, prefix + alembic_config.INI_NAME))
            configs = []
        for config in configs:
            try:
                layout = alembic_config.read_layout(tree, config)
            except ConfigError as exc:
                notes.append(config_note(exc, config.file))
                continue
            if layout.script_location is not None:
                script_folders.add(layout.script_location)
            present = tuple(dict.fromkeys(f for f in layout.folders if tree.is_dir(f)))
            if not present:
                missing = ", ".join(layout.folders)
                notes.append(
                    Finding(
                        "MG143",
                        f"{config.label}: no versions folder: {missing} "
                        f"{'does' if len(layout.folders) == 1 else 'do'} not exist; no chain "
                        "read from it",
                        config.file,
                        None,
                        "create it with the first migration, or configure the chain in "
                        "migration-guard.toml",
                        Severity.WARNING,
                    )
                )
                continue
            section = config.section if config.section != alembic_config.MAIN_SECTION else None
            found.append(_Found(present, config.file, section, layout.recursive))
        if "env.py" in names and tree.is_dir(prefix + "versions"):
            env_folders.append(folder)
    covered = {f for chain in found for f in chain.folders}
    for folder in env_folders:
        versions = f"{folder}/versions" if folder else "versions"
        if folder not in script_folders and versions not in covered:
            found.append(_Found((versions,), None, None, False))
    chains: dict[tuple[str, ...], _Found] = {}
    for chain in found:
        if chain.folders in chains:
            continue  # another section or file names the same folders: the same graph
        if not chain.recursive and _only_in_subfolders(tree, chain, notes):
            continue
        chains[chain.folders] = chain
    return [
        Discovered(
            (*([c.section] if c.section else []), *path_name_parts(c.folders[0])),
            ChainSpec(
                name="",
                title="",
                kind=ChainKind.ALEMBIC,
                path=c.folders[0],
                extra_paths=c.folders[1:],
                alembic_config=c.config,
                alembic_section=c.section,
                recursive=c.recursive,
                discovered=True,
            ),
        )
        for c in sorted(chains.values(), key=lambda c: (c.folders, c.section or ""))
    ]


def config_note(exc: ConfigError, path: str) -> Finding:
    return Finding(
        "MG143",
        f"{exc.message}; no chain read from it",
        path,
        None,
        exc.hint or "fix it, or configure the chain in migration-guard.toml",
        Severity.WARNING,
    )


def _only_in_subfolders(tree: Tree, chain: _Found, notes: list[Finding]) -> bool:
    """True (and a note) when the folders hold no revision scripts but their subfolders do:
    Alembic reads none of them unless env.py sets version_locations itself (prefect)."""
    if any(alembic.script_paths(tree, f) for f in chain.folders):
        return False
    subfolders = alembic.subfolder_scripts(tree, chain.folders)
    if not subfolders:
        return False
    message, hint = alembic.scripts_only_in_subfolders(
        chain.folders, subfolders, where="add migration-guard.toml with"
    )
    origin = f" ({chain.config})" if chain.config else ""
    notes.append(
        Finding(
            "MG142",
            f"{message}{origin}; no chain read from it",
            chain.folders[0],
            None,
            hint,
            Severity.WARNING,
        )
    )
    return True
