"""One app's migration graph, built as Django's ``MigrationLoader(None)`` builds it.

Follows ``MigrationLoader.build_graph`` and ``MigrationGraph`` (Django 5.2) for the nodes of
one app: every migration file is a node; a same-app ``dependencies`` entry (except
``__first__``, which Django ignores within an app) is an edge, and so is a same-app
``run_before`` entry (the other way round). A node named but not present is a *dummy*
(``add_dummy_node``), an error unless a replacement removes it. With no database nothing is
applied, so every squashed migration (``replaces``) stands in for the migrations it
replaces (``remove_replaced_nodes``): those leave the graph (present or not) and their edges
move to the squashed one. Then what is left of the dummies is Django's NodeNotFoundError,
a loop its CircularDependencyError, and the leaves are the nodes with no child in the app
(``leaf_nodes``). Other apps' edges never make a node a leaf or not (Django counts only
children in the same app), so they are not modelled here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from migration_guard.chains.django.source import SourceInfo

__all__ = ["AppGraph", "build_graph"]


class AppGraph(NamedTuple):
    """The app's graph once built: ``parents`` of every remaining node (same app),
    ``leaves`` sorted, ``missing`` the Django errors of dummy nodes left (node name, the
    migration that named it, Django's message), ``cycle`` a loop of node names (or empty),
    ``replaced`` the nodes a squashed migration stands in for."""

    parents: Mapping[str, tuple[str, ...]]
    leaves: tuple[str, ...]
    missing: tuple[tuple[str, str, str], ...]
    cycle: tuple[str, ...]
    replaced: frozenset[str]


def build_graph(app: str, sources: Mapping[str, SourceInfo | None]) -> AppGraph:
    """``sources``: every migration of ``app`` by name (None: read nothing from it)."""
    nodes = set(sources)
    parents: dict[str, set[str]] = {n: set() for n in nodes}
    children: dict[str, set[str]] = {n: set() for n in nodes}
    dummies: dict[str, tuple[str, str]] = {}  # name -> (named by, message): first one wins

    def add_edge(migration: str, child: str, parent: str) -> None:
        for key, role in ((child, "child"), (parent, "parent")):
            if key not in nodes and key not in dummies:
                message = (
                    f"Migration {app}.{migration} dependencies reference nonexistent "
                    f"{role} node ('{app}', '{key}')"
                )
                dummies[key] = (migration, message)
                parents.setdefault(key, set())
                children.setdefault(key, set())
        parents[child].add(parent)
        children[parent].add(child)

    for name in sorted(sources):
        info = sources[name]
        if info is None:
            continue
        for ref in info.dependencies:
            if ref.app == app and ref.name != "__first__":
                add_edge(name, name, ref.name)
        for ref in info.run_before:
            if ref.app == app and ref.name not in ("__first__", "__latest__"):
                add_edge(name, ref.name, name)
    replaced: set[str] = set()
    for name in sorted(sources):
        info = sources[name]
        if info is None or not info.replaces or name not in parents:
            continue
        targets = {r.name for r in info.replaces if r.app == app}
        _remove_replaced(name, targets, nodes, parents, children, dummies)
        replaced |= targets
    missing = tuple(
        (key, by, message) for key, (by, message) in sorted(dummies.items()) if key in parents
    )
    live = {n: tuple(sorted(parents[n])) for n in sorted(nodes)}
    leaves = tuple(n for n in sorted(nodes) if not children[n] & nodes)
    return AppGraph(
        live, leaves, missing, _cycle(nodes, children), frozenset(replaced & set(sources))
    )


def _remove_replaced(
    replacement: str,
    replaced: set[str],
    nodes: set[str],
    parents: dict[str, set[str]],
    children: dict[str, set[str]],
    dummies: dict[str, tuple[str, str]],
) -> None:
    """``MigrationGraph.remove_replaced_nodes``: the replaced nodes (real or dummy) leave,
    their children and parents outside the replaced set attach to the replacement."""
    for key in sorted(replaced):
        nodes.discard(key)
        if key not in parents:
            continue
        for child in children.pop(key):
            parents[child].discard(key)
            if child not in replaced:
                children[replacement].add(child)
                parents[child].add(replacement)
        for parent in parents.pop(key):
            children[parent].discard(key)
            if parent not in replaced:
                parents[replacement].add(parent)
                children[parent].add(replacement)
        dummies.pop(key, None)


def _cycle(nodes: Iterable[str], children: Mapping[str, set[str]]) -> tuple[str, ...]:
    """A loop among ``nodes`` (``ensure_not_cyclic``), as the list of its nodes."""
    live = set(nodes)
    state: dict[str, int] = {}
    for start in sorted(live):
        if start in state:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(children[start] & live))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            child = todo.pop(0)
            if state.get(child) == 1:
                return tuple(path[path.index(child) :])
            if child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, sorted(children[child] & live)))
    return ()
