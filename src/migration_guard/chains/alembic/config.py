"""Alembic's own configuration, read as Alembic 1.20.1 reads it, without running anything.

What ``alembic [-c FILE] [-n SECTION] ...`` started in a folder uses (``alembic/config.py``,
``alembic/script/base.py``, ``alembic/util/pyfiles.py``):

- ``alembic.ini`` and ``pyproject.toml`` of that folder; each option comes from the ini's
  section (``[alembic]``, or the one ``-n`` names) when it has it, else from
  ``[tool.alembic]`` of pyproject.toml (1.16+). A section inherits the ini's ``[DEFAULT]``.
- ``%(here)s`` is the folder of the file the value comes from; the ini also interpolates
  other ``%(key)s`` of the section (configparser's basic interpolation).
- ``script_location`` is required; ``pkg:path`` (not absolute, with a colon) is a package
  resource (``prefect:server:database:_migrations`` is ``prefect/server/database/_migrations``
  of the package). Version locations are resolved the same way.
- ``version_locations`` in the ini is split by ``path_separator``, else
  ``version_path_separator`` (``os``, ``space``, ``newline``, ``:``, ``;``; anything else stops
  Alembic), then each part is stripped and empty parts dropped; with neither key it is split
  on ``, *`` and runs of spaces (legacy; nothing stripped). In pyproject it is a TOML list.
  Without it, the one folder is ``<script_location>/versions``.
- ``recursive_version_locations`` is on only when the ini says exactly ``true``; in pyproject
  it must be a TOML boolean.
- Relative paths are relative to where ``alembic`` runs: here, the config file's folder.

Static stand-ins: a package is looked for as a folder of the repository (next to the config,
at the top, under ``src/``), never imported. Anything Alembic would refuse, and anything this
reader cannot place in the repository, is a ``ConfigError`` that says which file and key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from migration_guard.errors import ConfigError
from migration_guard.tree import Tree

if TYPE_CHECKING:
    from configparser import ConfigParser

MAIN_SECTION = "alembic"
INI_NAME = "alembic.ini"
TOML_NAME = "pyproject.toml"
# What %(here)s stands for at the repository root: absolute, as Alembic's is, and without a
# colon, so that a location built on it is a path, never a package resource.
_ROOT = "/@migration-guard-repository@"
_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}
_LEGACY_SPLIT = re.compile(r", *|(?: +)")
_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class AlembicConfig(NamedTuple):
    """One Alembic configuration: the files ``alembic`` reads when run in ``folder``, and the
    ini section it uses (``-n``). Paths are repository-relative; ``ini`` or ``toml`` may be
    None (not both)."""

    folder: str
    ini: str | None
    toml: str | None
    section: str = MAIN_SECTION

    @property
    def file(self) -> str:
        """The file to name for this configuration (the ini when there is one)."""
        return self.ini or self.toml or INI_NAME

    @property
    def label(self) -> str:
        section = f" [{self.section}]" if self.ini and self.section != MAIN_SECTION else ""
        return f"{self.file}{section}"


class AlembicLayout(NamedTuple):
    """Where a configuration's revision scripts are: repository-relative folders in Alembic's
    order (whether they exist or not; Alembic skips missing ones)."""

    config: AlembicConfig
    script_location: str | None  # None: a package resource not found in the repository
    folders: tuple[str, ...]
    recursive: bool


def config_for_file(path: str, tree: Tree, section: str | None = None) -> AlembicConfig:
    """The configuration ``alembic -c PATH [-n SECTION]`` run in PATH's folder reads: a
    pyproject.toml names the toml (with the folder's alembic.ini, if any), anything else the
    ini (with the folder's pyproject.toml, if any)."""
    folder = _parent(path)
    section = section or MAIN_SECTION
    if PurePosixPath(path).name == TOML_NAME:
        ini = _join(folder, INI_NAME)
        return AlembicConfig(folder, ini if _is_file(tree, ini) else None, path, section)
    toml = _join(folder, TOML_NAME)
    return AlembicConfig(folder, path, toml if _is_file(tree, toml) else None, section)


def configs_in(tree: Tree, folder: str, files: set[str] | None = None) -> list[AlembicConfig]:
    """Every configuration ``alembic`` run in ``folder`` can use: ``[alembic]`` (or
    ``[tool.alembic]``) when it has a ``script_location``, and each other ini section with a
    ``script_location`` of its own (``alembic -n NAME``). ConfigError when a file cannot be
    parsed."""
    if files is None:
        files = {n for n, is_dir in tree.list_entries(folder) if not is_dir}
    ini = _join(folder, INI_NAME) if INI_NAME in files else None
    toml_path = _join(folder, TOML_NAME) if TOML_NAME in files else None
    toml = None
    if toml_path is not None and b"alembic" in tree.read_bytes(toml_path):
        try:
            toml = read_toml_table(tree, toml_path)
        except ConfigError:
            if ini is not None:  # alembic run here reads it, and fails
                raise
    if ini is None and toml is None:
        return []
    toml_file = toml_path if toml is not None else None
    found: list[AlembicConfig] = []
    if ini is None:
        if toml is not None and "script_location" in toml:
            found.append(AlembicConfig(folder, None, toml_file))
        return found
    parser = _parse_ini(tree, ini, folder)
    main = parser.has_option(MAIN_SECTION, "script_location")
    if main or (toml is not None and "script_location" in toml):
        found.append(AlembicConfig(folder, ini, toml_file))
    for section in _own_script_sections(tree, ini):
        if section != MAIN_SECTION:
            found.append(AlembicConfig(folder, ini, toml_file, section))
    return found


def ini_sections(tree: Tree, ini: str) -> list[str]:
    """The sections of an ini (ConfigError when it cannot be parsed)."""
    return _parse_ini(tree, ini, _parent(ini)).sections()


def read_layout(tree: Tree, config: AlembicConfig) -> AlembicLayout:
    """Resolve ``config`` into folders, as ``ScriptDirectory.from_config`` would."""
    parser = _parse_ini(tree, config.ini, config.folder) if config.ini else None
    toml = read_toml_table(tree, config.toml) if config.toml else None
    where = config.label
    section = config.section
    if parser is not None and not parser.has_section(section) and toml is None:
        raise ConfigError(
            f"{config.ini} has no [{section}] section",
            hint=f"sections: {', '.join(parser.sections()) or '(none)'}",
        )
    toml_here = _here(_parent(config.toml)) if config.toml else ""

    def ini_value(name: str) -> str | None:
        if parser is None or not parser.has_option(section, name):
            return None
        try:
            return parser.get(section, name)
        except Exception as exc:  # configparser's InterpolationError and its kin
            raise ConfigError(f"{where}: {name} cannot be read: {_one_line(exc)}") from None

    def toml_value(name: str) -> object:
        raw = (toml or {}).get(name)
        if isinstance(raw, str):
            return _toml_text(raw, toml_here, name, config)
        if isinstance(raw, list):
            return [
                _toml_text(v, toml_here, name, config) if isinstance(v, str) else v for v in raw
            ]
        return raw

    script: object = ini_value("script_location")
    if script is None:
        script = toml_value("script_location")
    if script is None:
        raise ConfigError(
            f"{where}: no script_location",
            hint="Alembic stops with \"No 'script_location' key found in configuration.\"",
        )
    if not isinstance(script, str):
        raise ConfigError(f"{config.toml}: [tool.alembic] script_location must be a string")

    locations = _version_locations(parser, section, where, ini_value)
    if locations is None:
        listed = toml_value("version_locations")
        if listed is not None:
            if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
                raise ConfigError(
                    f"{config.toml}: [tool.alembic] version_locations must be a list of strings"
                )
            locations = [str(v) for v in listed]
    recursive = _boolean(ini_value("recursive_version_locations"), toml, config)

    try:
        script_folder: str | None = _location(tree, script, config.folder)
    except _PackageNotFound as exc:
        if not locations:
            raise ConfigError(
                f"{where}: script_location {script!r}: {exc}",
                hint="configure the chain in migration-guard.toml with the path of its "
                "versions folder",
            ) from None
        script_folder = None
    except _Outside as exc:
        raise ConfigError(f"{where}: script_location {script!r} {exc}") from None
    if script_folder is not None and not tree.is_dir(script_folder):
        raise ConfigError(
            f"{where}: script_location {script_folder} does not exist",
            hint='Alembic stops with "Path doesn\'t exist"',
        )
    if locations:
        folders = []
        for location in locations:
            try:
                folders.append(_location(tree, location, config.folder))
            except (_PackageNotFound, _Outside) as exc:
                raise ConfigError(f"{where}: version location {location!r}: {exc}") from None
    else:
        assert script_folder is not None
        folders = [_join(script_folder, "versions")]
    return AlembicLayout(config, script_folder, tuple(folders), recursive)


def read_toml_table(tree: Tree, path: str) -> dict[str, Any] | None:
    """``[tool.alembic]`` of a pyproject.toml, or None when it has none."""
    import tomllib

    try:
        data = tomllib.loads(tree.read_bytes(path).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    tool = data.get("tool")
    if not isinstance(tool, dict) or "alembic" not in tool:
        return None
    table = tool["alembic"]
    if not isinstance(table, dict):
        raise ConfigError(
            f"{path}: [tool.alembic] must be a table",
            hint='Alembic stops with "Incorrect TOML format"',
        )
    return table


# --- the pieces -------------------------------------------------------------------------------


class _PackageNotFound(Exception):
    pass


class _Outside(Exception):
    pass


def _parse_ini(tree: Tree, ini: str, folder: str) -> ConfigParser:
    import configparser  # imported where used: a few ms per run otherwise

    parser = configparser.ConfigParser({"here": _here(folder)})
    try:
        parser.read_string(tree.read_bytes(ini).decode("utf-8", "replace"), source=ini)
    except configparser.Error as exc:
        raise ConfigError(f"{ini} cannot be parsed: {_one_line(exc)}") from None
    return parser


def _own_script_sections(tree: Tree, ini: str) -> list[str]:
    """Sections that set ``script_location`` themselves (not through ``[DEFAULT]``)."""
    import configparser

    raw = configparser.RawConfigParser(default_section="\x00none", strict=False)
    try:
        raw.read_string(tree.read_bytes(ini).decode("utf-8", "replace"), source=ini)
    except configparser.Error:
        return []
    return [s for s in raw.sections() if raw.has_option(s, "script_location")]


def _version_locations(
    parser: ConfigParser | None,
    section: str,
    where: str,
    ini_value: Callable[[str], str | None],
) -> list[str] | None:
    """The ini's version locations split as Alembic splits them (None: not set there)."""
    if parser is None or not parser.has_section(section):
        return None
    text = ini_value("version_locations")
    if not text:
        return None
    for name in ("path_separator", "version_path_separator"):
        value = ini_value(name)
        if value is None:
            continue
        if value not in _SEPARATORS:
            raise ConfigError(
                f"{where}: {value!r} is not a valid value for {name}",
                hint="Alembic accepts 'space', 'newline', 'os', ':', ';' (and stops on "
                "anything else, a trailing comment included)",
            )
        return [part.strip() for part in str(text).split(_SEPARATORS[value]) if part]
    return _LEGACY_SPLIT.split(str(text))


def _boolean(ini_text: str | None, toml: Mapping[str, Any] | None, config: AlembicConfig) -> bool:
    if ini_text is not None:
        return ini_text == "true"
    value = (toml or {}).get("recursive_version_locations", False)
    if not isinstance(value, bool):
        raise ConfigError(
            f"{config.toml}: [tool.alembic] recursive_version_locations must be true or false",
            hint='Alembic stops with "boolean value expected for TOML parameter"',
        )
    return value


def _toml_text(value: str, here: str, name: str, config: AlembicConfig) -> str:
    try:
        return value % {"here": here}
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(
            f"{config.toml}: [tool.alembic] {name} cannot be read: {_one_line(exc)}",
            hint="write a literal % as %%; only %(here)s is substituted",
        ) from None


def _location(tree: Tree, raw: str, cwd: str) -> str:
    """A location as a repository-relative folder (Alembic's coerce_resource_to_filename)."""
    if not raw.startswith("/") and ":" in raw:
        tokens = raw.split(":")
        return _normalize(_join(_package_folder(tree, tokens[0], cwd), "/".join(tokens[1:])))
    if raw.startswith("/"):
        if raw != _ROOT and not raw.startswith(_ROOT + "/"):
            raise _Outside("is an absolute path outside the repository")
        return _normalize(raw[len(_ROOT) + 1 :])
    return _normalize(_join(cwd, raw))


def _package_folder(tree: Tree, package: str, cwd: str) -> str:
    if not _PACKAGE.match(package):
        raise _PackageNotFound(f"{package!r} is not a package name")
    rel = package.replace(".", "/")
    looked = []
    for base in dict.fromkeys((cwd, "", "src")):
        candidate = _join(base, rel)
        looked.append(candidate)
        if tree.is_dir(candidate):
            return candidate
    raise _PackageNotFound(
        f"package {package!r} is not a folder of the repository (looked for {', '.join(looked)})"
    )


def _normalize(path: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == "..":
            if not parts:
                raise _Outside("is outside the repository")
            parts.pop()
        elif part not in (".", "/"):
            parts.append(part)
    return "/".join(parts)


def _here(folder: str) -> str:
    return f"{_ROOT}/{folder}" if folder else _ROOT


def _join(folder: str, name: str) -> str:
    if not folder:
        return name
    return f"{folder}/{name}" if name else folder


def _parent(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


def _is_file(tree: Tree, path: str) -> bool:
    return tree.exists(path) and not tree.is_dir(path)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
