"""Load the chain configuration, or discover the chains when there is none.

Configuration lives in ``migration-guard.toml`` or ``[tool.migration-guard]`` of
``pyproject.toml`` at the repository root (design.md). Every mistake in it is a
``ConfigError`` (exit 2) that names the key and the file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind, ChainSpec, NumberingMode
from migration_guard.tree import Tree

CONFIG_FILE = "migration-guard.toml"
_TOP_KEYS = {"chains", "base", "provider"}
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

    def select(self, names: list[str]) -> tuple[ChainSpec, ...]:
        """The chains named (all when none), in configured order; unknown names are errors."""
        if not names:
            return self.chains
        known = {c.name: c for c in self.chains}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"unknown chain {unknown[0]!r}",
                hint=f"known chains: {', '.join(known) or '(none)'} (see `migration-guard chains`)",
            )
        return tuple(c for c in self.chains if c.name in names)


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
        return _validate(_read_toml(own), CONFIG_FILE, tree)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _tool_table(_read_toml(pyproject), pyproject)
        if table is not None:
            return _validate(table, "pyproject.toml [tool.migration-guard]", tree)
    return Config(chains=discover_chains(tree), source="discovered")


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # imported where used (as configparser below): a few ms per run otherwise

    try:
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
        return Config(
            chains=discover_chains(tree),
            source=f"{source} (chains discovered)",
            base=_opt_str(data, "base", source),
            provider=_opt_str(data, "provider", source),
        )
    if not isinstance(raw_chains, list) or not all(isinstance(c, dict) for c in raw_chains):
        raise ConfigError(f"{source}: 'chains' must be an array of tables ([[chains]])")
    chains = tuple(_chain(raw, i, source, tree) for i, raw in enumerate(raw_chains, 1))
    dupes = [n for n, count in Counter(c.name for c in chains).items() if count > 1]
    if dupes:
        raise ConfigError(f"{source}: chain name {dupes[0]!r} is used more than once")
    paths = [p for p, count in Counter(c.path for c in chains).items() if count > 1]
    if paths:
        raise ConfigError(f"{source}: path {paths[0]!r} is configured for more than one chain")
    return Config(
        chains=chains,
        source=source,
        base=_opt_str(data, "base", source),
        provider=_opt_str(data, "provider", source),
    )


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
    try:
        kind = ChainKind(raw["kind"])
    except ValueError:
        raise ConfigError(
            f"{where}: unknown kind {raw['kind']!r}",
            hint=f"supported kinds: {', '.join(k.value for k in ChainKind)}",
        ) from None
    path = raw["path"]
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"{where}: 'path' must be a non-empty string")
    path = _clean_path(path, where)
    if kind is ChainKind.ALEMBIC and not tree.is_dir(path):
        raise ConfigError(f"{where}: versions folder {path!r} does not exist in the {tree.label}")
    if kind is ChainKind.SQITCH and (not tree.exists(path) or tree.is_dir(path)):
        raise ConfigError(
            f"{where}: sqitch plan {path!r} does not exist in the {tree.label}",
            hint="'path' of a sqitch chain names the plan file, e.g. db/sqitch.plan",
        )
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
    recursive = raw.get("recursive", False)
    if not isinstance(recursive, bool):
        raise ConfigError(f"{where}: 'recursive' must be true or false")
    database_url_env = raw.get("database_url_env", "DATABASE_URL")
    if not isinstance(database_url_env, str) or not _ENV_VAR_RE.match(database_url_env):
        raise ConfigError(
            f"{where}: 'database_url_env' must be an environment variable name",
            hint="the variable the chain's env.py reads the database URL from, e.g. DATABASE_URL",
        )
    return ChainSpec(
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
    )


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
    """Alembic version folders (via alembic.ini or env.py + versions/), sqitch.plan files and
    the plans that sqitch.conf targets name (``plan_file``: a second target's plan)."""
    alembic_dirs: dict[str, tuple[str | None, bool]] = {}
    plans: list[str] = []
    sqitch_confs: list[str] = []
    for folder, files in sorted(_walk(tree)):
        prefix = f"{folder}/" if folder else ""

        def join(name: str, prefix: str = prefix) -> str:
            return prefix + name

        if "alembic.ini" in files:
            for versions, recursive in _ini_version_dirs(tree, join("alembic.ini"), folder):
                alembic_dirs.setdefault(versions, (join("alembic.ini"), recursive))
        if "env.py" in files and tree.is_dir(join("versions")):
            alembic_dirs.setdefault(join("versions"), (None, False))
        if "sqitch.plan" in files:
            plans.append(join("sqitch.plan"))
        if "sqitch.conf" in files:
            sqitch_confs.append(folder)
    # A target's plan right after the sqitch.plan of its folder: folder, then sqitch.plan first.
    plans = sorted(
        plans + _sqitch_target_plans(tree, sqitch_confs, plans),
        key=lambda p: (
            PurePosixPath(p).parent.as_posix(),
            PurePosixPath(p).name != "sqitch.plan",
            p,
        ),
    )
    found: list[tuple[ChainKind, str, str | None, bool]] = [
        (ChainKind.ALEMBIC, path, ini, rec) for path, (ini, rec) in sorted(alembic_dirs.items())
    ]
    found += [(ChainKind.SQITCH, plan, None, False) for plan in plans]
    names = _unique_names([path for _, path, _, _ in found])
    specs = []
    for (kind, path, ini, recursive), name in zip(found, names, strict=True):
        specs.append(
            ChainSpec(
                name=name,
                title=name.replace("_", " ").replace("-", " ").title(),
                kind=kind,
                path=path,
                alembic_config=ini,
                recursive=recursive,
                discovered=True,
            )
        )
    return tuple(specs)


def _sqitch_target_plans(tree: Tree, conf_folders: list[str], known: list[str]) -> list[str]:
    """Plans that a sqitch.conf's targets use, other than ``known``: each is its own chain.

    Only plans in the conf's folder or below (where the chain finds its sqitch.conf again);
    a sqitch.conf that cannot be read is left to ``lint`` (MG211) of the plan beside it.
    """
    if not conf_folders:
        return []
    from migration_guard.chains.sqitch import TargetLayout, read_sqitch_conf
    from migration_guard.errors import InputError

    found: list[str] = []
    for folder in conf_folders:
        try:
            conf = read_sqitch_conf(tree, folder)
        except InputError:
            continue
        for entry in conf.target_layouts() if conf is not None else ():
            plan = entry.layout.plan_file if isinstance(entry, TargetLayout) else None
            if (
                plan is None
                or plan in known
                or plan in found
                or (folder and not plan.startswith(folder + "/"))
                or not tree.exists(plan)
                or tree.is_dir(plan)
            ):
                continue
            found.append(plan)
    return sorted(found)


def _ini_version_dirs(tree: Tree, ini_path: str, folder: str) -> list[tuple[str, bool]]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(tree.read_bytes(ini_path).decode("utf-8", "replace"))
    except configparser.Error:
        return []
    if not parser.has_section("alembic"):
        return []
    section = parser["alembic"]

    def resolve(raw: str) -> str | None:
        raw = raw.strip()
        if not raw or raw.startswith("/") or (":" in raw and "%(here)s" not in raw):
            return None  # absolute, or a "package:resource" location: not a folder of this repo
        # Relative locations are relative to where alembic runs: the ini's folder.
        anchored = (
            raw.replace("%(here)s", folder or ".")
            if "%(here)s" in raw
            else (f"{folder}/{raw}" if folder else raw)
        )
        return _normpath(anchored)

    recursive = section.get("recursive_version_locations", "false").strip() == "true"
    locations = section.get("version_locations")
    if locations:
        separators = {"space": " ", "newline": "\n", "os": " ", ":": ":", ";": ";"}
        sep = separators.get(section.get("version_path_separator", ""))
        parts = locations.split(sep) if sep else re.split(r"[,\s]+", locations)
        dirs = [resolve(p) for p in parts]
    else:
        script = section.get("script_location")
        dirs = [resolve(f"{script}/versions")] if script else []
    return [(d, recursive) for d in dirs if d is not None and tree.is_dir(d)]


def ini_version_dirs(tree: Tree, ini_path: str) -> list[str]:
    """The version folders (repository-relative) that the ``alembic.ini`` at ``ini_path`` uses."""
    folder = str(PurePosixPath(ini_path).parent)
    return [d for d, _ in _ini_version_dirs(tree, ini_path, "" if folder == "." else folder)]


def _normpath(path: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _unique_names(paths: list[str]) -> list[str]:
    """Short, unique chain names from paths: the top folder, longer only where needed."""

    def candidate(path: str, depth: int) -> str:
        parts = [p for p in PurePosixPath(path).parts if p not in ("versions", "sqitch.plan")]
        parts = [p.removesuffix(".plan") for p in parts]  # a target's plan: data.plan -> data
        parts = parts or ["root"]
        raw = "-".join(parts[:depth]).lower()
        return re.sub(r"[^a-z0-9_-]+", "-", raw).strip("-_") or "chain"

    depth = dict.fromkeys(paths, 1)
    while True:
        names = {p: candidate(p, depth[p]) for p in paths}
        clashes = [n for n, c in Counter(names.values()).items() if c > 1]
        if not clashes:
            return [names[p] for p in paths]
        progressed = False
        for p in paths:
            if names[p] in clashes and depth[p] < len(PurePosixPath(p).parts):
                depth[p] += 1
                progressed = True
        if not progressed:
            seen: Counter[str] = Counter()
            result = []
            for p in paths:
                seen[names[p]] += 1
                result.append(names[p] if seen[names[p]] == 1 else f"{names[p]}-{seen[names[p]]}")
            return result
