"""Renumbering Django migrations: the rename, every reference to it, and re-parenting.

A moved migration ``shop/migrations/0007_add_x.py`` becomes ``0008_add_x.py``; every
``("shop", "0007_add_x")`` entry of ``dependencies``, ``run_before`` and ``replaces`` follows,
in the app and in every other app's migrations of the repository; so does the app's
``max_migration.txt`` (django-linear-migrations), which names the app's latest migration.
Edits replace the string literals only (the text around them is kept byte for byte).

Re-parenting, as ``renumber`` does for Alembic: the moved migrations form a block, ordered
by number; the block's first root (a moved migration with no same-app dependency inside
the block) goes onto the leaf the app keeps without the block (after a merged collision:
the migration that landed first), and every later root onto the block member before it, so
the app ends with one leaf again. A root already after its target keeps its dependencies,
and so does a migration a squashed one replaces (it is not in Django's graph).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence

from migration_guard.chains.django.graph import AppGraph, build_graph
from migration_guard.chains.django.reader import (
    FOLDER,
    app_label,
    migration_files,
    module_name,
    read_sources,
)
from migration_guard.chains.django.source import Literal, Reference, SourceInfo, parse_source
from migration_guard.chains.kind import Move
from migration_guard.edits import EditPlan, FileEdit, Rename
from migration_guard.errors import InputError
from migration_guard.model import ChainSpec
from migration_guard.tree import Tree

__all__ = ["MAX_MIGRATION", "migration_folders", "plan_renumber"]

MAX_MIGRATION = "max_migration.txt"
_SKIP = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".tox"})


def migration_folders(tree: Tree, top: str = "") -> list[str]:
    """Every ``<app>/migrations`` folder below ``top`` (hidden and virtualenv folders and
    ``node_modules`` are skipped; a ``migrations`` folder is not searched further)."""
    out: list[str] = []
    stack = [top]
    while stack:
        folder = stack.pop()
        for name, is_folder in tree.list_entries(folder):
            if not is_folder or name in _SKIP or name.startswith("."):
                continue
            path = posixpath.join(folder, name) if folder else name
            if name == FOLDER and folder:
                out.append(path)
            else:
                stack.append(path)
    return sorted(out)


def plan_renumber(tree: Tree, spec: ChainSpec, moves: Sequence[Move]) -> EditPlan:
    """Every edit and rename that moves ``moves`` (migrations of the app at ``spec.path``)."""
    app = app_label(spec)
    files = migration_files(tree, spec.path)
    sources = _readable(read_sources(tree, spec.path), files)
    renames: dict[str, str] = {}
    for move in moves:
        old = module_name(posixpath.basename(move.migration.path))
        new = module_name(posixpath.basename(move.new_path))
        if old is None or new is None or old not in files:
            raise InputError(f"{move.migration.path} is not a migration of {spec.path}")
        if posixpath.dirname(move.new_path) != spec.path:
            raise InputError(f"{move.new_path}: a migration stays in {spec.path}")
        renames[old] = new
    for old, new in renames.items():
        if new != old and new in files and new not in renames:
            raise InputError(f"{spec.path}/{new}.py already exists")
    changes: dict[str, dict[Literal, str]] = {}
    notes: list[str] = []
    _reparent(app, sources, files, moves, renames, changes, notes)
    texts = _collect_references(tree, spec, app, renames, changes)
    edits = [_edit(path, texts[path], literals) for path, literals in sorted(changes.items())]
    edits = [e for e in edits if e.old_text != e.new_text]
    plan_renames = tuple(
        Rename(files[old], posixpath.join(spec.path, new + ".py"))
        for old, new in renames.items()
        if old != new
    )
    for old, new in renames.items():
        if old != new:
            notes.append(f"{app}.{old} -> {app}.{new}")
    max_edit = _max_migration(tree, spec, app, files, sources, edits, renames, notes)
    if max_edit is not None:
        edits.append(max_edit)
    return EditPlan(edits=tuple(edits), renames=plan_renames, notes=tuple(notes))


def _readable(
    sources: Mapping[str, SourceInfo | None], files: Mapping[str, str]
) -> dict[str, SourceInfo]:
    out = {}
    for name, info in sources.items():
        if info is None or info.error or info.unknown:
            why = "not read" if info is None else info.error or info.unknown[0][1]
            raise InputError(
                f"{files[name]} cannot be read statically: {why}",
                hint="fix the file (see `migration-guard lint`) and retry",
            )
        out[name] = info
    return out


def _reparent(
    app: str,
    sources: Mapping[str, SourceInfo],
    files: Mapping[str, str],
    moves: Sequence[Move],
    renames: Mapping[str, str],
    changes: dict[str, dict[Literal, str]],
    notes: list[str],
) -> None:
    moved = set(renames)
    rest: dict[str, SourceInfo | None] = {n: s for n, s in sources.items() if n not in moved}
    survivors = build_graph(app, rest).leaves
    whole = build_graph(app, dict(sources))
    ordered = sorted(renames, key=lambda n: (next(m.new_number for m in moves if _stem(m) == n), n))
    previous: str | None = None
    for name in ordered:
        own = [r for r in sources[name].dependencies if r.app == app and r.name != "__first__"]
        if name in whole.replaced:
            continue  # a squashed migration stands in for it: not in the graph
        if any(r.name in moved for r in own):
            previous = name
            continue
        if previous is not None:
            target: str | None = previous
        elif len(survivors) == 1:
            target = survivors[0]
        else:
            target = None
            if survivors:
                notes.append(
                    f"{app}.{name}: the app keeps {len(survivors)} leaves without the moved "
                    f"migrations ({', '.join(survivors)}); its dependencies are left as they are"
                )
        previous = name
        if target is None or _after(whole, [r.name for r in own], target):
            continue
        ancestors = _ancestors(whole, target) | {target}
        chosen = next((r for r in own if r.name in ancestors), None)
        if chosen is None:
            raise InputError(
                f"{files[name]}: cannot put {app}.{name} after {app}.{target}: it depends on "
                f"no migration before it ({', '.join(r.name for r in own) or 'none'})",
                hint=f"add ('{app}', '{target}') to its dependencies by hand",
            )
        new_target = renames.get(target, target)
        _change(changes, files[name], chosen, new_target)
        notes.append(f"{app}.{name}: depends on {new_target} instead of {chosen.name}")


def _stem(move: Move) -> str:
    return module_name(posixpath.basename(move.migration.path)) or move.migration.name


def _ancestors(graph: AppGraph, node: str) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.parents.get(node, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(graph.parents.get(current, ()))
    return seen


def _after(graph: AppGraph, parents: Sequence[str], target: str) -> bool:
    """Whether a migration with these parents already comes after ``target``."""
    return any(p == target or target in _ancestors(graph, p) for p in parents)


def _change(changes: dict[str, dict[Literal, str]], path: str, ref: Reference, new: str) -> None:
    if ref.name_literal is None:
        raise InputError(
            f"{path}:{ref.line}: the name {ref.name!r} is not one plain string literal",
            hint="write it as one string on one line, then retry",
        )
    changes.setdefault(path, {}).setdefault(ref.name_literal, new)


def _collect_references(
    tree: Tree,
    spec: ChainSpec,
    app: str,
    renames: Mapping[str, str],
    changes: dict[str, dict[Literal, str]],
) -> dict[str, str]:
    """Record every literal naming a renamed migration; the texts of the files read."""
    texts: dict[str, str] = {}
    folders = migration_folders(tree)
    if spec.path not in folders:
        folders.append(spec.path)
    for folder in folders:
        label = posixpath.basename(posixpath.dirname(folder))
        if label == app and folder != spec.path:
            continue  # another project's app with the same label: not this one
        paths = migration_files(tree, folder)
        data = tree.read_many(paths.values())
        for path, raw in data.items():
            text = raw.decode("utf-8", "surrogateescape")
            texts[path] = text
            if not any(old in text for old in renames):
                continue
            info = parse_source(path, raw)
            if info.error or info.unknown:
                raise InputError(
                    f"{path} names a migration being moved but cannot be read statically: "
                    f"{info.error or info.unknown[0][1]}",
                    hint="fix the file (see `migration-guard lint`) and retry",
                )
            for ref in info.references():
                if ref.app == app and ref.name in renames:
                    _change(changes, path, ref, renames[ref.name])
    return texts


def _edit(path: str, text: str, literals: Mapping[Literal, str]) -> FileEdit:
    lines = text.encode("utf-8", "surrogateescape").splitlines(keepends=True)
    for literal, new in sorted(literals.items(), reverse=True):
        line = lines[literal.line - 1]
        old = line[literal.start : literal.end]
        lines[literal.line - 1] = (
            line[: literal.start] + _new_literal(old, new) + line[literal.end :]
        )
    new_text = b"".join(lines).decode("utf-8", "surrogateescape")
    return FileEdit(path, text, new_text, reason="migration renamed")


def _new_literal(old: bytes, new: str) -> bytes:
    """The literal ``old`` naming ``new``: its quotes and prefix kept."""
    quote_at = min(i for i in (old.find(b"'"), old.find(b'"')) if i >= 0)
    prefix = old[:quote_at]
    quote = (
        old[quote_at : quote_at + 3]
        if old[quote_at : quote_at + 3] in (b"'''", b'"""')
        else (old[quote_at : quote_at + 1])
    )
    return prefix + quote + new.encode() + quote


def _max_migration(
    tree: Tree,
    spec: ChainSpec,
    app: str,
    files: Mapping[str, str],
    sources: Mapping[str, SourceInfo],
    edits: Sequence[FileEdit],
    renames: Mapping[str, str],
    notes: list[str],
) -> FileEdit | None:
    """django-linear-migrations' ``max_migration.txt``: the app's one leaf after the plan."""
    path = posixpath.join(spec.path, MAX_MIGRATION)
    if not tree.exists(path):
        return None
    old_text = tree.read_bytes(path).decode("utf-8", "surrogateescape")
    edited = {e.path: e.new_text for e in edits}
    after: dict[str, SourceInfo | None] = {}
    for name, info in sources.items():
        file = files[name]
        if file in edited:
            info = parse_source(file, edited[file].encode("utf-8", "surrogateescape"))
        after[renames.get(name, name)] = info
    leaves = build_graph(app, after).leaves
    if len(leaves) != 1:
        notes.append(f"{path} left as it is: the app has {len(leaves)} leaves after the move")
        return None
    if old_text.strip() == leaves[0]:
        return None
    notes.append(f"{path}: {leaves[0]}")
    return FileEdit(path, old_text, leaves[0] + "\n", reason="latest migration")
