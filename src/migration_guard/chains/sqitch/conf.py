"""sqitch.conf as sqitch reads it (git-config syntax, ``[core]``, ``[engine "pg"]``,
``[target "x"]``), and where it puts a project's scripts: the layout a plan's chain uses.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from migration_guard.errors import InputError
from migration_guard.tree import Tree

_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_SECTION_RE = re.compile(r"[ \t]*([A-Za-z0-9._-]+)[ \t]*")
_Fetch = Callable[[str], "str | None"]
SCRIPT_KINDS = ("deploy", "revert", "verify")


# URI::db's engine aliases (canonical_engine), as shipped with sqitch 1.3.1.
_ENGINE_ALIASES = {
    "cockroachdb": "cockroach",
    "couch": "couchdb",
    "maria": "mysql",
    "mariadb": "mysql",
    "max": "maxdb",
    "monet": "monetdb",
    "mongo": "mongodb",
    "pgsql": "pg",
    "pgxc": "pg",
    "postgres": "pg",
    "postgresql": "pg",
    "postgresxc": "pg",
    "redshift": "pg",
    "yugabyte": "pg",
    "yugabytedb": "pg",
    "sqlite3": "sqlite",
    "sqlserver": "mssql",
}


# --------------------------------------------------------------------------------------------
# sqitch.conf


def _fail(path: str, line: int, message: str) -> InputError:
    return InputError(
        f"{path}:{line}: {message}",
        hint='sqitch.conf uses git-config syntax: [section] or [section "sub"], key = value',
    )


def parse_sqitch_conf(text: str, path: str = "sqitch.conf") -> dict[str, str]:
    """Parse git-config-style text into ``{"section.sub.key": value}`` (last value wins).

    Section and key names are case-insensitive (lowercased), subsections are kept as written.
    A key without ``=`` gets the value ``""``. Raises :class:`InputError` on a syntax error.
    """
    values: dict[str, str] = {}
    section: str | None = None
    pos, line, size = 0, 1, len(text)
    while pos < size:
        char = text[pos]
        if char == "\n":
            line += 1
            pos += 1
        elif char in " \t\r\f\v":
            pos += 1
        elif char in "#;":
            end = text.find("\n", pos)
            pos = size if end < 0 else end
        elif char == "[":
            section, pos = _section_header(text, pos + 1, path, line)
        elif char.isascii() and char.isalpha():
            match = _KEY_RE.match(text, pos)
            assert match is not None
            key = match.group().lower()
            pos = match.end()
            while pos < size and text[pos] in " \t":
                pos += 1
            if section is None:
                raise _fail(path, line, f"key {key!r} outside of a section")
            if pos < size and text[pos] == "=":
                value, pos, lines = _value(text, pos + 1, path, line)
                line += lines
            elif pos >= size or text[pos] in "\r\n#;":
                value = ""
            else:
                raise _fail(path, line, f"expected '=' after key {key!r}")
            values[f"{section}.{key}"] = value
        else:
            raise _fail(path, line, f"unexpected character {char!r}")
    return values


def _section_header(text: str, pos: int, path: str, line: int) -> tuple[str, int]:
    match = _SECTION_RE.match(text, pos)
    if match is None:
        raise _fail(path, line, "invalid section header")
    name = match.group(1).lower()
    pos = match.end()
    if pos < len(text) and text[pos] == '"':
        sub: list[str] = []
        pos += 1
        while True:
            if pos >= len(text) or text[pos] == "\n":
                raise _fail(path, line, "unterminated subsection name")
            char = text[pos]
            if char == '"':
                pos += 1
                break
            if char == "\\" and pos + 1 < len(text):
                pos += 1
                char = text[pos]
            sub.append(char)
            pos += 1
        name = f"{name}.{''.join(sub)}"
        while pos < len(text) and text[pos] in " \t":
            pos += 1
    if pos >= len(text) or text[pos] != "]":
        raise _fail(path, line, "invalid section header")
    return name, pos + 1


_VALUE_ESCAPES = {"n": "\n", "t": "\t", "b": "\b", "\\": "\\", '"': '"'}


def _value(text: str, pos: int, path: str, line: int) -> tuple[str, int, int]:
    """A value after '=': (value, position after it, newlines consumed by continuations)."""
    out: list[str] = []
    pending_space = ""  # unquoted blanks are kept only if something follows them
    quoted = False
    lines = 0
    size = len(text)
    while pos < size and text[pos] in " \t":
        pos += 1
    while pos < size:
        char = text[pos]
        if char == "\n" or (char == "\r" and text[pos + 1 : pos + 2] == "\n"):
            if quoted:
                raise _fail(path, line, "unterminated quoted value")
            break
        if not quoted and char in "#;":
            end = text.find("\n", pos)
            pos = size if end < 0 else end
            break
        if not quoted and char in " \t":
            pending_space += char
            pos += 1
            continue
        out.append(pending_space)
        pending_space = ""
        if char == '"':
            quoted = not quoted
        elif char == "\\":
            nxt = text[pos + 1 : pos + 2]
            if nxt == "\n" or text[pos + 1 : pos + 3] == "\r\n":
                pos += 2 if nxt == "\n" else 3
                lines += 1
                continue
            if nxt not in _VALUE_ESCAPES:
                raise _fail(path, line, f"invalid escape \\{nxt} in value")
            out.append(_VALUE_ESCAPES[nxt])
            pos += 1
        else:
            out.append(char)
        pos += 1
    if quoted:
        raise _fail(path, line, "unterminated quoted value")
    return "".join(out), pos, lines


@dataclass(frozen=True)
class ScriptLayout:
    """Where sqitch looks for a project's files; repo-relative POSIX paths ("" = top)."""

    top_dir: str
    plan_file: str
    deploy_dir: str
    revert_dir: str
    verify_dir: str
    reworked_deploy_dir: str
    reworked_revert_dir: str
    reworked_verify_dir: str
    extension: str = "sql"

    def dir_for(self, kind: str, *, reworked: bool) -> str:
        if reworked:
            return {
                "deploy": self.reworked_deploy_dir,
                "revert": self.reworked_revert_dir,
                "verify": self.reworked_verify_dir,
            }[kind]
        return {"deploy": self.deploy_dir, "revert": self.revert_dir, "verify": self.verify_dir}[
            kind
        ]


def _truthy(value: str | None) -> bool:
    return value is not None and value not in ("", "0")


def _join(folder: str, path: str) -> str | None:
    """``path`` as sqitch resolves it from ``folder``; None if outside the repository."""
    if path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(folder, path))
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def engine_name(scheme: str) -> str:
    """sqitch's canonical engine for a URI scheme (URI::db's aliases: postgres -> pg, ...)."""
    return _ENGINE_ALIASES.get(scheme.lower(), scheme.lower())


def _canonical_engine(uri: str) -> str | None:
    match = re.match(r"db:([^:]+):", uri)
    if match is None:
        return None
    return engine_name(match.group(1))


@dataclass(frozen=True)
class SqitchConf:
    """A project's ``sqitch.conf`` (only this file: user and system configs are not read)."""

    path: str  # repo-relative path of the file
    values: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def folder(self) -> str:
        """The project folder: sqitch resolves relative paths from here."""
        return posixpath.dirname(self.path)

    def get(self, key: str) -> str | None:
        section, _, rest = key.partition(".")
        if "." in rest:
            sub, _, name = rest.rpartition(".")
            return self.values.get(f"{section.lower()}.{sub}.{name.lower()}")
        return self.values.get(key.lower())

    @property
    def engine(self) -> str | None:
        """``core.engine``, canonical (``postgres`` → ``pg``)."""
        engine = self.get("core.engine")
        if not _truthy(engine):
            return None
        assert engine is not None
        engine = engine.rstrip()
        return _ENGINE_ALIASES.get(engine, engine)

    @property
    def targets(self) -> dict[str, str]:
        """Named targets: ``target.<name>.uri`` → ``{name: uri}``."""
        out: dict[str, str] = {}
        for key, value in self.values.items():
            if key.startswith("target.") and key.endswith(".uri"):
                out[key[len("target.") : -len(".uri")]] = value
        return out

    @property
    def engine_targets(self) -> dict[str, str]:
        """``engine.<engine>.target`` → ``{engine: target name or URI}``."""
        out: dict[str, str] = {}
        for key, value in self.values.items():
            if key.startswith("engine.") and key.endswith(".target"):
                out[key[len("engine.") : -len(".target")]] = value
        return out

    def resolve_target(
        self, target: str | None = None
    ) -> tuple[str | None, str | None, str | None]:
        """(target name, URI, engine) as sqitch picks them; the default target if None.

        Like App::Sqitch::Target: ``core.target``, else ``engine.<core.engine>.target``, else
        ``db:<core.engine>:``. A name containing ":" is a URI. Unknown parts are None.
        """
        engine = None
        name = target
        if not name:
            core_target = self.get("core.target")
            if _truthy(core_target):
                name = core_target
            else:
                engine = self.engine
                if engine is None:
                    return None, None, None
                engine_target = self.get(f"engine.{engine}.target")
                name = engine_target if _truthy(engine_target) else f"db:{engine}:"
        assert name is not None
        if ":" in name:
            uri: str | None = name
        else:
            uri = self.get(f"target.{name}.uri")
        if engine is None and uri is not None:
            engine = _canonical_engine(uri)
        return name, uri, engine

    def _fetch(self, key: str, target: str | None, engine: str | None) -> str | None:
        """App::Sqitch::Target::_fetch: target.<t>.key || engine.<e>.key || core.key."""
        candidates = []
        if target:
            candidates.append(f"target.{target}.{key}")
        if engine:
            candidates.append(f"engine.{engine}.{key}")
        candidates.append(f"core.{key}")
        for candidate in candidates:
            value = self.get(candidate)
            if _truthy(value):
                return value
        return None

    def layout(self, target: str | None = None) -> ScriptLayout:
        """Script folders, plan file and extension for ``target`` (default: sqitch's).

        Raises :class:`InputError` if a configured path is absolute or leaves the repository.
        """
        name, _uri, engine = self.resolve_target(target)
        return _layout(self.folder, lambda key: self._fetch(key, name, engine), self.path)

    def subsections(self, section: str) -> list[str]:
        """The subsection names of ``[section "name"]`` blocks, in file order."""
        names: dict[str, None] = {}
        prefix = section + "."
        for key in self.values:
            if key.startswith(prefix) and "." in key[len(prefix) :]:
                names.setdefault(key[len(prefix) :].rpartition(".")[0], None)
        return list(names)

    def target_layouts(self) -> list[TargetLayout | InputError]:
        """Every layout sqitch can run this project with: the default target, each engine's
        default target (``sqitch --engine E``) and each named target (``sqitch plan NAME``).

        Several plans can share one project (a second target with its own ``plan_file``, or
        engines with their own ``top_dir``). A layout whose paths leave the repository is its
        :class:`InputError` instead.
        """
        out: list[TargetLayout | InputError] = []

        def add(label: str, target: str | None, engine: str | None) -> None:
            try:
                layout = _layout(
                    self.folder, lambda key: self._fetch(key, target, engine), self.path
                )
            except InputError as exc:
                out.append(exc)
            else:
                out.append(TargetLayout(label, layout))

        name, _uri, engine = self.resolve_target(None)
        add("the default target", name, engine)
        for engine_name_ in self.subsections("engine"):
            engine_target = self.get(f"engine.{engine_name_}.target")
            add(
                f'engine "{engine_name_}"',
                engine_target if _truthy(engine_target) else f"db:{engine_name_}:",
                engine_name_,
            )
        for target in self.subsections("target"):
            uri = self.get(f"target.{target}.uri")
            add(f'target "{target}"', target, _canonical_engine(uri) if uri else None)
        return out

    def plan_layout(self, plan_path: str) -> ScriptLayout | None:
        """The layout of the first target (default, engines, named targets) whose plan file is
        ``plan_path``; None if no target of this project uses that plan."""
        for entry in self.target_layouts():
            if isinstance(entry, TargetLayout) and entry.layout.plan_file == plan_path:
                return entry.layout
        return None


class TargetLayout(NamedTuple):
    """One way to run a sqitch project: which target and where its plan and scripts are."""

    target: str  # for messages: "the default target", 'engine "pg"', 'target "data"'
    layout: ScriptLayout


def _layout(folder: str, fetch: _Fetch, source: str) -> ScriptLayout:
    def resolve(key: str, default: str) -> str:
        value = fetch(key)
        if value is None:
            return default
        resolved = _join(folder, value)
        if resolved is None:
            raise InputError(
                f"{source}: {key} = {value} is outside the repository",
                hint="use a path relative to the folder of sqitch.conf",
            )
        return resolved

    def sub(base: str, name: str) -> str:
        return posixpath.join(base, name) if base else name

    top = resolve("top_dir", folder)
    reworked = resolve("reworked_dir", top)
    extension = fetch("extension") or "sql"
    return ScriptLayout(
        top_dir=top,
        plan_file=resolve("plan_file", sub(top, "sqitch.plan")),
        deploy_dir=resolve("deploy_dir", sub(top, "deploy")),
        revert_dir=resolve("revert_dir", sub(top, "revert")),
        verify_dir=resolve("verify_dir", sub(top, "verify")),
        reworked_deploy_dir=resolve("reworked_deploy_dir", sub(reworked, "deploy")),
        reworked_revert_dir=resolve("reworked_revert_dir", sub(reworked, "revert")),
        reworked_verify_dir=resolve("reworked_verify_dir", sub(reworked, "verify")),
        extension=extension,
    )


def default_layout(plan_path: str) -> ScriptLayout:
    """No sqitch.conf: sqitch run from the plan's folder with default settings."""
    return _layout(posixpath.dirname(plan_path), lambda key: None, plan_path)


def read_sqitch_conf(tree: Tree, folder: str) -> SqitchConf | None:
    """The ``sqitch.conf`` in ``folder`` (repo-relative, "" = top), or None if there is none.

    Raises :class:`InputError` if it cannot be read or parsed.
    """
    path = posixpath.join(folder, "sqitch.conf") if folder else "sqitch.conf"
    if not tree.exists(path) or tree.is_dir(path):
        return None
    data = tree.read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte {exc.start})") from exc
    return SqitchConf(path=path, values=parse_sqitch_conf(text, path))


def find_sqitch_conf(tree: Tree, plan_path: str) -> SqitchConf | None:
    """The sqitch.conf of the project that owns ``plan_path``.

    Looks in the plan's folder and its parents for a sqitch.conf with a target (the default,
    an engine's or a named one) whose plan file is ``plan_path``; failing that, a sqitch.conf
    beside the plan. Raises :class:`InputError` if a candidate cannot be parsed, or if the
    default target of the one beside the plan cannot be used.
    """
    folder = posixpath.dirname(plan_path)
    beside: SqitchConf | None = None
    while True:
        conf = read_sqitch_conf(tree, folder)
        if conf is not None:
            if folder == posixpath.dirname(plan_path):
                beside = conf
            if conf.plan_layout(plan_path) is not None:
                return conf
        if not folder:
            if beside is not None:
                beside.layout()  # raises if its default target cannot be used
            return beside
        folder = posixpath.dirname(folder)


def plan_layout(conf: SqitchConf | None, plan_path: str) -> ScriptLayout:
    """Where the scripts of ``plan_path`` live: the layout of the target of ``conf`` that uses
    this plan, else ``conf``'s default target (a conf beside the plan), else sqitch's defaults
    beside the plan. Raises :class:`InputError` if that layout cannot be used."""
    if conf is None:
        return default_layout(plan_path)
    return conf.plan_layout(plan_path) or conf.layout()
