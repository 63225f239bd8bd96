"""Django chains: one app's ``migrations`` folder, listed and read as Django loads it.

Listing follows ``MigrationLoader.load_disk`` (``pkgutil.iter_modules`` of the package):
every ``*.py`` module directly in the folder whose name has no dot and does not start with
``_`` or ``~`` is a migration (subpackages are not). The app label is the folder's parent's
name (Django's default ``AppConfig.label``). Numbers come from the leading digits of the
name (``0002_add_x`` -> 0002), when the chain is ``sequential``. Files are parsed by
:mod:`.source`, the graph is built by :mod:`.graph`; the findings are:

- MG301 several leaf nodes (Django's "Conflicting migrations detected" wording), when Django
  would get that far (no MG303/MG307, every file read),
- MG302 two files with one number (a squashed migration and the files it replaces are
  exempt: that is how ``squashmigrations`` leaves them),
- MG303 a same-app dependency on a migration that does not exist (NodeNotFoundError),
- MG304 ``dependencies``/``run_before``/``replaces`` not literal: the graph is then unknown,
  and the chain's heads undecided (never a false OK),
- MG305 syntax error, MG306 no ``Migration`` class (Django's BadMigrationError),
- MG307 a dependency cycle, MG308 the folder is missing (warning), MG309 a file not read
  (too large, or a symlink that leaves the repository).

Dependencies on other apps are not checked: which folder holds another app label is a
matter of ``INSTALLED_APPS``, which is not read statically.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from migration_guard.chains.django.graph import AppGraph, build_graph
from migration_guard.chains.django.source import SourceInfo, parse_source
from migration_guard.model import (
    ChainKind,
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

__all__ = [
    "CODES",
    "app_label",
    "discover",
    "migration_files",
    "number_prefix",
    "read_chain",
    "read_sources",
]

CODES: dict[str, str] = {
    "MG301": "several leaf nodes (conflicting migrations)",
    "MG302": "number used by two migrations",
    "MG303": "dependency on a migration that does not exist",
    "MG304": "cannot read statically",
    "MG305": "syntax error",
    "MG306": "no Migration class",
    "MG307": "dependency cycle",
    "MG308": "migrations folder missing",
    "MG309": "migration file not read",
}

DEFAULT_WIDTH = 4
FOLDER = "migrations"
_PREFIX = re.compile(r"([0-9]+)(?:_|$)")
_FIRST = re.compile(r"0*1_.*\.py$")


def number_prefix(name: str) -> str | None:
    """The leading number of a migration name (``0002`` of ``0002_add_x``), or None."""
    match = _PREFIX.match(name)
    return match.group(1) if match else None


def app_label(spec: ChainSpec) -> str:
    """The app label of a chain: the name of the folder holding ``migrations``."""
    parent = posixpath.dirname(spec.path.rstrip("/"))
    return posixpath.basename(parent) or spec.name


def module_name(file_name: str) -> str | None:
    """The migration a file in the folder is (its module name), or None when Django's
    ``pkgutil.iter_modules`` listing leaves it out."""
    if not file_name.endswith(".py"):
        return None
    stem = file_name[: -len(".py")]
    if not stem or "." in stem or stem[0] in "_~":
        return None
    return stem


def discover(tree: Tree, folder: str, files: frozenset[str]) -> list[ChainSpec]:
    """A ``migrations`` package with a first migration (``0001_*.py``) is an app's chain."""
    if posixpath.basename(folder) != FOLDER or "__init__.py" not in files:
        return []
    if not any(_FIRST.match(f) for f in files):
        return []
    label = posixpath.basename(posixpath.dirname(folder))
    if not label:
        return []
    return [
        ChainSpec(
            name=label,
            title=label,
            kind=ChainKind.DJANGO,
            path=folder,
            discovered=True,
            numbering=NumberingMode.SEQUENTIAL,
        )
    ]


def migration_files(tree: Tree, folder: str) -> dict[str, str]:
    """Migration name -> path, for the files directly in ``folder`` (sorted by name)."""
    out: dict[str, str] = {}
    for name, is_folder in tree.list_entries(folder):
        stem = None if is_folder else module_name(name)
        if stem is not None:
            out[stem] = posixpath.join(folder, name)
    return out


def read_sources(
    tree: Tree, folder: str, refused: dict[str, Refusal] | None = None
) -> dict[str, SourceInfo | None]:
    """Every migration of ``folder`` by name, parsed (None: refused, see ``refused``)."""
    files = migration_files(tree, folder)
    store: dict[str, Refusal] = {} if refused is None else refused
    data = tree.read_many(files.values(), limit=SCRIPT_LIMIT, refused=store)
    return {
        name: parse_source(path, data[path]) if path in data else None
        for name, path in files.items()
    }


def chain_numbering(spec: ChainSpec, names: list[str]) -> Numbering:
    return detect_numbering(
        names,
        [number_prefix(n) for n in names],
        configured_mode=spec.numbering,
        configured_width=spec.width,
        default_width=DEFAULT_WIDTH,
    )


def read_chain(tree: Tree, spec: ChainSpec) -> ChainState:
    """The app's migrations, leaf nodes (the heads) and findings."""
    if not tree.exists(spec.path) or not tree.is_dir(spec.path):
        numbering = chain_numbering(spec, [])
        finding = Finding(
            "MG308",
            f"migrations folder {spec.path} does not exist in the {tree.label}; "
            "read as an empty chain",
            spec.path,
            None,
            "check the chain's path in migration-guard.toml",
            Severity.WARNING,
        )
        return ChainState(
            spec=spec, findings=(finding,), numbering=numbering.mode, width=numbering.width
        )
    app = app_label(spec)
    files = migration_files(tree, spec.path)
    refused: dict[str, Refusal] = {}
    sources = read_sources(tree, spec.path, refused)
    numbering = chain_numbering(spec, list(files))
    usable = {n: (s if s is not None and not s.error else None) for n, s in sources.items()}
    graph = build_graph(app, usable)
    findings = _file_findings(sources, files, refused)
    unknown = [f for f in findings if f.code in ("MG304", "MG305", "MG306", "MG309")]
    findings += _graph_findings(app, graph, files, sources, decided=not unknown)
    findings += _number_findings(files, numbering, graph)
    undecided = tuple(f"{f.location}: {f.message} (its dependencies are unknown)" for f in unknown)
    migrations = _migrations(spec, app, files, sources, graph, numbering)
    heads = tuple(Head(revision=leaf, path=files[leaf]) for leaf in graph.leaves)
    return ChainState(
        spec=spec,
        migrations=migrations,
        heads=heads,
        findings=tuple(sorted(findings, key=lambda f: (f.path or "", f.line or 0, f.code))),
        numbering=numbering.mode,
        width=numbering.width,
        undecided=undecided,
    )


def _migrations(
    spec: ChainSpec,
    app: str,
    files: Mapping[str, str],
    sources: Mapping[str, SourceInfo | None],
    graph: AppGraph,
    numbering: Numbering,
) -> tuple[Migration, ...]:
    out = []
    for name, path in files.items():
        prefix = number_prefix(name)
        number = numbering.number_of(prefix)
        if name in graph.parents:
            parents = graph.parents[name]
        else:  # replaced by a squashed migration: what it declares
            info = sources.get(name)
            deps = info.dependencies if info is not None else ()
            parents = tuple(sorted({r.name for r in deps if r.app == app}))
        out.append(
            Migration(
                chain=spec.name,
                number=number,
                number_text=prefix if number is not None and prefix else "",
                name=name,
                path=path,
                id=name,
                parents=parents,
            )
        )
    return tuple(out)


def _file_findings(
    sources: Mapping[str, SourceInfo | None],
    files: Mapping[str, str],
    refused: Mapping[str, Refusal],
) -> list[Finding]:
    findings: list[Finding] = []
    for name, info in sources.items():
        path = files[name]
        if info is None:
            refusal = refused.get(path)
            reason = refusal.reason if refusal is not None else "not read"
            findings.append(
                Finding(
                    "MG309",
                    f"{name} was not read: {reason}",
                    path,
                    None,
                    "a migration this large carries data; load it from a file instead",
                )
            )
        elif info.error_code == "syntax":
            findings.append(
                Finding(
                    "MG305",
                    info.error,
                    path,
                    info.error_line,
                    "Django cannot import this migration: fix the file",
                )
            )
        elif info.error_code:
            findings.append(
                Finding(
                    "MG306",
                    f"Migration {name} has no Migration class ({info.error})",
                    path,
                    None,
                    "Django raises BadMigrationError for this file; define "
                    "class Migration(migrations.Migration) at top level",
                )
            )
        for attribute, why in info.unknown if info is not None else ():
            findings.append(
                Finding(
                    "MG304",
                    f"{attribute} cannot be read statically: {why}",
                    path,
                    info.line if info is not None else None,
                    "write it as a literal list of ('app_label', 'migration_name') tuples; "
                    "migration-guard never imports migration files",
                )
            )
    return findings


def _graph_findings(
    app: str,
    graph: AppGraph,
    files: Mapping[str, str],
    sources: Mapping[str, SourceInfo | None],
    *,
    decided: bool,
) -> list[Finding]:
    findings = []
    for node, by, message in graph.missing:
        info = sources.get(by)
        line = (
            next((r.line for r in info.references() if r.app == app and r.name == node), None)
            if info is not None
            else None
        )
        findings.append(
            Finding(
                "MG303",
                message,
                files.get(by),
                line,
                "a typo, or a migration renamed or deleted by another change",
            )
        )
    if graph.cycle:
        loop = ", ".join(f"{app}.{n}" for n in graph.cycle)
        findings.append(
            Finding(
                "MG307",
                f"circular dependency: {loop}",
                files.get(graph.cycle[0]),
                None,
                "a migration cannot depend on one that depends on it",
            )
        )
    # Django stops at a missing node or a loop before it looks at the leaves.
    if decided and not graph.missing and not graph.cycle and len(graph.leaves) > 1:
        names = ", ".join(graph.leaves)
        folder = posixpath.dirname(files[graph.leaves[0]])
        findings.append(
            Finding(
                "MG301",
                "Conflicting migrations detected; multiple leaf nodes in the migration "
                f"graph: ({names} in {app})",
                folder,
                None,
                "renumber the later migration onto the other (migration-guard renumber), "
                "or merge them: python manage.py makemigrations --merge",
            )
        )
    return findings


def _number_findings(
    files: Mapping[str, str], numbering: Numbering, graph: AppGraph
) -> list[Finding]:
    """MG302: two migrations with one number, a replaced one and its squash aside."""
    if numbering.mode is not NumberingMode.SEQUENTIAL:
        return []
    findings = []
    first: dict[int, str] = {}
    for name, path in files.items():
        if name in graph.replaced:
            continue
        prefix = number_prefix(name)
        number = numbering.number_of(prefix)
        if number is None:
            continue
        earlier = first.setdefault(number, name)
        if earlier != name:
            findings.append(
                Finding(
                    "MG302",
                    f"number {prefix} is also used by {files[earlier]}",
                    path,
                    None,
                    "renumber the migration that landed second to the next free number",
                )
            )
    return findings
