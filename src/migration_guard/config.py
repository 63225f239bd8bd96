"""Load the chain configuration, or discover the chains when there is none.

Configuration lives in ``migration-guard.toml`` or ``[tool.migration-guard]`` of
``pyproject.toml`` at the repository root (design.md). Every mistake in it is a
``ConfigError`` (exit 2) that names the key and the file.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from migration_guard.chains import registry
from migration_guard.errors import ConfigError, UsageError
from migration_guard.model import ChainKind, ChainSpec, Finding, NumberingMode
from migration_guard.tree import FILE_LIMIT, LEAVES_REPOSITORY, Refusal, Tree, refusal_error

CONFIG_FILE = "migration-guard.toml"
_TOP_KEYS = {"chains", "base", "provider", "reservation_max_age_days"}
_CHAIN_KEYS = {
    "name",
    "title",
    "kind",
    "path",
    "width",
    "exempt",
    "alembic_config",
    "recursive",
    "database_url_env",
    "numbering",
    "allow_edits",
    "downgrade_floor",
    "alembic_section",
    "pattern",
    "settings",
}
# Keys that only some kinds take (``Kind.config_keys``): the error when another kind has one.
_KIND_KEYS: dict[str, tuple[str, str | None]] = {
    "alembic_section": ("'alembic_section' is for alembic chains", None),
    "downgrade_floor": (
        "'downgrade_floor' applies to Alembic chains only",
        "gate reverts a {kind} chain to its start; remove the key from this chain",
    ),
    "pattern": (
        "'pattern' is for numbered chains (the file names of a folder of numbered files)",
        "a {kind} chain's file names follow its framework; remove the key from this chain",
    ),
    "settings": (
        "'settings' is for django chains (the settings module gate runs migrate with)",
        None,
    ),
}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SKIP_DIRS = {
    ".git",
    ".hg",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".nox",
    "site-packages",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "build",
    "dist",
}


class Config(NamedTuple):
    chains: tuple[ChainSpec, ...]
    source: str  # "migration-guard.toml", "pyproject.toml" or "discovered"
    base: str | None = None
    provider: str | None = None
    notes: tuple[Finding, ...] = ()  # what discovery could not turn into a chain, and why
    reservation_max_age_days: float | None = None  # `reservations --gc` collects older ones

    def nothing_to(self, what: str, hint: str) -> UsageError:
        """The error of a command left with no chain: with discovery's notes, it says what
        to configure (exit 2, never an OK on nothing)."""
        if self.notes:
            first = self.notes[0]
            more = f" (and {len(self.notes) - 1} more: see `migration-guard chains`)"
            return UsageError(
                f"{what}: {first.message}" + (more if len(self.notes) > 1 else ""),
                hint=first.hint or hint,
            )
        return UsageError(what, hint=hint)

    def select(self, names: list[str]) -> tuple[ChainSpec, ...]:
        """The chains named (all when none), in configured order; unknown names are errors."""
        if not names:
            return self.chains
        known = {c.name: c for c in self.chains}
        unknown = [n for n in names if n not in known]
        if unknown and not known:
            raise self.nothing_to(
                f"unknown chain {unknown[0]!r}: no migration chains found ({self.source})",
                hint="configure one in migration-guard.toml, or see `migration-guard chains`",
            )
        if unknown:
            raise ConfigError(
                f"unknown chain {unknown[0]!r}",
                hint=f"known chains: {', '.join(known) or '(none)'} (see `migration-guard chains`)",
            )
        return tuple(c for c in self.chains if c.name in names)


def valid_chain_name(name: str) -> bool:
    """Whether ``name`` may name a chain (it becomes a flag: ``--NAME-only``)."""
    return bool(_NAME_RE.match(name))


def title_of(name: str) -> str:
    """The title a chain gets when none is configured: ``backend_v2`` -> ``Backend V2``."""
    return name.replace("_", " ").replace("-", " ").title()


def load_config(root: Path, tree: Tree, *, config_file: Path | None = None) -> Config:
    """Read the configuration at ``root``; discover chains in ``tree`` when there is none."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file {config_file} does not exist")
        data = _read_toml(config_file)
        if config_file.name == "pyproject.toml":
            table = _tool_table(data, config_file)
            if table is None:
                raise ConfigError(f"{config_file} has no [tool.migration-guard] table")
            data = table
        return _validate(data, str(config_file), tree)
    own = root / CONFIG_FILE
    if own.is_file():
        return _validate(_read_toml(own, root), CONFIG_FILE, tree)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _tool_table(_read_toml(pyproject, root), pyproject)
        if table is not None:
            return _validate(table, "pyproject.toml [tool.migration-guard]", tree)
    chains, notes = discover(tree)
    return Config(chains=chains, source="discovered", notes=notes)


def _read_toml(path: Path, root: Path | None = None) -> dict[str, Any]:
    """The TOML file ``path``; with ``root``, a file of that repository, which is not read
    through a symbolic link leaving it. Never more than tree.FILE_LIMIT bytes."""
    import tomllib  # imported where used (as configparser below): a few ms per run otherwise

    if root is not None and path.is_symlink():
        real, top = os.path.realpath(path), os.path.realpath(root)
        if not real.startswith(top.rstrip(os.sep) + os.sep):
            reason = f"symbolic link leaves the repository ({path.name} -> {os.readlink(path)})"
            error = refusal_error(path.name, Refusal(LEAVES_REPOSITORY, reason))
            raise ConfigError(error.message, hint=error.hint)
    try:
        size = path.stat().st_size
        if size > FILE_LIMIT:
            raise ConfigError(
                f"{path} is too large to read ({size / (1 << 20):.1f} MiB, more than "
                f"{FILE_LIMIT >> 20}.0 MiB)"
            )
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from exc


def _tool_table(data: Mapping[str, Any], path: Path) -> dict[str, Any] | None:
    tool = data.get("tool", {})
    table = tool.get("migration-guard") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path.name}: [tool.migration-guard] must be a table")
    return table


def _validate(data: Mapping[str, Any], source: str, tree: Tree) -> Config:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {unknown[0]!r}",
            hint=f"allowed top-level keys: {', '.join(sorted(_TOP_KEYS))}",
        )
    raw_chains = data.get("chains")
    if raw_chains is None:
        chains, notes = discover(tree)
        return Config(
            chains=chains,
            source=f"{source} (chains discovered)",
            base=_opt_str(data, "base", source),
            provider=_opt_str(data, "provider", source),
            notes=notes,
            reservation_max_age_days=_max_age(data, source),
        )
    if not isinstance(raw_chains, list) or not all(isinstance(c, dict) for c in raw_chains):
        raise ConfigError(f"{source}: 'chains' must be an array of tables ([[chains]])")
    chains = tuple(_chain(raw, i, source, tree) for i, raw in enumerate(raw_chains, 1))
    dupes = [n for n, count in Counter(c.name for c in chains).items() if count > 1]
    if dupes:
        raise ConfigError(f"{source}: chain name {dupes[0]!r} is used more than once")
    paths = [p for p, count in Counter(p for c in chains for p in c.folders).items() if count > 1]
    if paths:
        raise ConfigError(f"{source}: path {paths[0]!r} is configured for more than one chain")
    return Config(
        chains=chains,
        source=source,
        base=_opt_str(data, "base", source),
        provider=_opt_str(data, "provider", source),
        reservation_max_age_days=_max_age(data, source),
    )


def _max_age(data: Mapping[str, Any], source: str) -> float | None:
    value = data.get("reservation_max_age_days")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{source}: 'reservation_max_age_days' must be a positive number")
    return float(value)


_PROVIDERS = ("auto", "github", "gitlab", "git", "none")


def _opt_str(data: Mapping[str, Any], key: str, source: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{source}: {key!r} must be a string")
    if key == "provider" and value is not None and value not in _PROVIDERS:
        raise ConfigError(
            f"{source}: unknown provider {value!r}", hint=f"one of: {', '.join(_PROVIDERS)}"
        )
    return value


def _chain(raw: Mapping[str, Any], index: int, source: str, tree: Tree) -> ChainSpec:
    where = f"{source}: chains[{index}]"
    unknown = sorted(set(raw) - _CHAIN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}",
            hint=f"allowed chain keys: {', '.join(sorted(_CHAIN_KEYS))}",
        )
    for key in ("name", "kind", "path"):
        if key not in raw:
            raise ConfigError(f"{where}: missing required key {key!r}")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(
            f"{where}: name {name!r} is not valid",
            hint="use lowercase letters, digits, '-' and '_' (it becomes a flag: --NAME-only)",
        )
    where = f"{source}: chain {name!r}"
    supported = registry.supported()
    if raw["kind"] not in supported:
        raise ConfigError(
            f"{where}: unknown kind {raw['kind']!r}",
            hint=f"supported kinds: {', '.join(k.value for k in supported)}",
        )
    kind = ChainKind(raw["kind"])
    framework = registry.kind_of(kind)
    for key, (message, hint) in _KIND_KEYS.items():
        if raw.get(key) is not None and key not in framework.config_keys:
            raise ConfigError(f"{where}: {message}", hint=hint and hint.format(kind=kind.value))
    raw_path = raw["path"]
    if framework.several_folders and isinstance(raw_path, list):
        # Several version_locations of one graph, in Alembic's order.
        if not raw_path or not all(isinstance(p, str) and p.strip() for p in raw_path):
            raise ConfigError(
                f"{where}: 'path' must be a folder or a non-empty list of folders",
                hint="a list names the version_locations of one Alembic graph",
            )
        folders = tuple(dict.fromkeys(_clean_path(p, where) for p in raw_path))
    elif not isinstance(raw_path, str) or not raw_path.strip():
        raise ConfigError(f"{where}: 'path' must be a non-empty string")
    else:
        folders = (_clean_path(raw_path, where),)
    path = folders[0]
    width = raw.get("width")
    if width is not None and (
        not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 12
    ):
        raise ConfigError(f"{where}: 'width' must be a whole number from 1 to 12")
    numbering = raw.get("numbering")
    if numbering is not None:
        try:
            numbering = NumberingMode(numbering)
        except ValueError:
            raise ConfigError(
                f"{where}: unknown numbering {numbering!r}",
                hint="one of: sequential (0193_x.py, 07-x), date (timestamp prefixes), none "
                "(hex or free ids); leave it out to detect it from the files",
            ) from None
    title = raw.get("title", name.replace("_", " ").replace("-", " ").title())
    if not isinstance(title, str):
        raise ConfigError(f"{where}: 'title' must be a string")
    allow_edits = raw.get("allow_edits", [])
    if not isinstance(allow_edits, list) or not all(isinstance(e, str) for e in allow_edits):
        raise ConfigError(
            f"{where}: 'allow_edits' must be a list of file paths or migration names (globs)",
            hint="migrations already on the base branch that a change may still edit",
        )
    exempt = raw.get("exempt", [])
    if not isinstance(exempt, list) or not all(isinstance(e, str) for e in exempt):
        raise ConfigError(f"{where}: 'exempt' must be a list of change names")
    alembic_config = raw.get("alembic_config")
    if alembic_config is not None:
        if not isinstance(alembic_config, str):
            raise ConfigError(f"{where}: 'alembic_config' must be a string")
        alembic_config = _clean_path(alembic_config, where)
        if not tree.exists(alembic_config):
            raise ConfigError(f"{where}: alembic_config {alembic_config!r} does not exist")
    section = raw.get("alembic_section")
    if section is not None and (
        not isinstance(section, str) or not section.strip() or "]" in section
    ):
        raise ConfigError(f"{where}: 'alembic_section' must be an ini section name")
    recursive = raw.get("recursive", False)
    if not isinstance(recursive, bool):
        raise ConfigError(f"{where}: 'recursive' must be true or false")
    database_url_env = raw.get("database_url_env", "DATABASE_URL")
    if not isinstance(database_url_env, str) or not _ENV_VAR_RE.match(database_url_env):
        raise ConfigError(
            f"{where}: 'database_url_env' must be an environment variable name",
            hint="the variable the chain's env.py reads the database URL from, e.g. DATABASE_URL",
        )
    downgrade_floor = raw.get("downgrade_floor")
    if downgrade_floor is not None:
        if not isinstance(downgrade_floor, str) or not downgrade_floor.strip():
            raise ConfigError(f"{where}: 'downgrade_floor' must be a revision id (a string)")
        downgrade_floor = downgrade_floor.strip()
    for key in ("pattern", "settings"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ConfigError(f"{where}: {key!r} must be a string")
    spec = ChainSpec(
        name=name,
        title=title,
        kind=kind,
        path=path,
        width=width,
        exempt=tuple(exempt),
        alembic_config=alembic_config,
        recursive=recursive,
        database_url_env=database_url_env,
        numbering=numbering,
        allow_edits=tuple(allow_edits),
        downgrade_floor=downgrade_floor,
        extra_paths=folders[1:],
        alembic_section=section,
        pattern=raw.get("pattern"),
        settings=raw.get("settings"),
    )
    framework.check_spec(tree, spec, where)
    return spec


def _clean_path(path: str, where: str) -> str:
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(f"{where}: path {path!r} must be relative to the repository root")
    return str(pure)


# --- discovery -------------------------------------------------------------------------------


def _walk(tree: Tree, folder: str = "") -> Iterator[tuple[str, list[str]]]:
    """(folder, file names) for every folder below ``folder``, skipping tool caches and VCS."""
    names = tree.list_dir(folder)
    files = []
    for name in names:
        child = f"{folder}/{name}" if folder else name
        if tree.is_dir(child):
            if name not in _SKIP_DIRS:
                yield from _walk(tree, child)
        else:
            files.append(name)
    yield folder, files


def discover_chains(tree: Tree) -> tuple[ChainSpec, ...]:
    """The chains discovery finds (see ``discover``)."""
    return discover(tree)[0]


def discover(tree: Tree) -> tuple[tuple[ChainSpec, ...], tuple[Finding, ...]]:
    """Every kind's chains (``Kind.discover``), named uniquely across kinds, with notes on
    what could not become a chain."""
    from migration_guard.chains import registry

    walked = sorted(_walk(tree))
    notes: list[Finding] = []
    found = [
        chain
        for key in registry.supported()
        for chain in registry.kind_of(key).discover(tree, walked, notes)
    ]
    names = _unique_names([list(chain.name_parts) for chain in found])
    specs = tuple(
        chain.spec._replace(name=name, title=name.replace("_", " ").replace("-", " ").title())
        for chain, name in zip(found, names, strict=True)
    )
    return specs, tuple(notes)


def _unique_names(keys: list[list[str]]) -> list[str]:
    """Short, unique chain names from name parts (a path's folders, a section first): the
    first part, more only where needed."""

    def candidate(parts: list[str], depth: int) -> str:
        raw = "-".join((parts or ["root"])[:depth]).lower()
        return re.sub(r"[^a-z0-9_-]+", "-", raw).strip("-_") or "chain"

    depth = [1] * len(keys)
    while True:
        names = [candidate(k, d) for k, d in zip(keys, depth, strict=True)]
        clashes = {n for n, c in Counter(names).items() if c > 1}
        if not clashes:
            return names
        progressed = False
        for i, key in enumerate(keys):
            if names[i] in clashes and depth[i] < len(key):
                depth[i] += 1
                progressed = True
        if not progressed:
            seen: Counter[str] = Counter()
            result = []
            for name in names:
                seen[name] += 1
                result.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
            return result
