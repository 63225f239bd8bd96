"""The package's structure, checked: commands never branch on the chain kind (the kinds in
``chains/`` answer instead), no command imports another command, and no import cycles."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from migration_guard.model import ChainKind

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "migration_guard"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


MODULES = _modules()


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, without the bodies of ``if TYPE_CHECKING:`` (imports for annotations)."""
    nodes: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def _imports(name: str) -> set[str]:
    """Every migration_guard module ``name`` imports at run time (at any depth)."""
    out: set[str] = set()
    for node in _runtime_nodes(MODULES[name]):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("migration_guard"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if not node.module.startswith("migration_guard"):
                continue
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                out.add(child if child in MODULES else node.module)
    return out


def _names_a_kind(node: ast.expr) -> bool:
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "kind":
        return True
    return node.attr == "value" and getattr(node.value, "attr", "") == "kind"


def _kind_branches(tree: ast.AST) -> list[str]:
    """Each place that names one particular kind: ``ChainKind.X``, or a ``.kind`` (or
    ``.kind.value``) compared with a kind's name. (Grouping by ``s.kind is key`` is fine.)"""
    names = {k.value for k in ChainKind}
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "ChainKind"
        ):
            found.append(f"line {node.lineno}: ChainKind.{node.attr}")
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            literal = any(isinstance(s, ast.Constant) and s.value in names for s in sides)
            if literal and any(_names_a_kind(s) for s in sides):
                found.append(f"line {node.lineno}: compares a kind with its name")
    return found


@pytest.mark.parametrize(
    "module", [m for m in MODULES if not m.startswith("migration_guard.chains")]
)
def test_no_module_outside_chains_compares_chain_kinds(module: str) -> None:
    offending = _kind_branches(MODULES[module])
    assert offending == [], f"{module} branches on the chain kind: {offending}"


@pytest.mark.parametrize(
    "code",
    [
        "if spec.kind is ChainKind.SQITCH:\n    pass\n",
        "ok = state.spec.kind.value == 'alembic'\n",
        "ok = 'sqitch' != spec.kind\n",
    ],
)
def test_the_check_sees_a_branch_on_the_kind(code: str) -> None:
    """(The check above would pass on anything if it could not see one.)"""
    assert _kind_branches(ast.parse(code)) != []


@pytest.mark.parametrize(
    "module", [m for m in MODULES if m.startswith("migration_guard.commands.")]
)
def test_no_command_imports_another_command(module: str) -> None:
    imported = _imports(module)
    others = {i for i in imported if i.startswith("migration_guard.commands.") and i != module}
    assert others == set()
    assert "migration_guard.cli" not in imported


def test_no_import_cycles() -> None:
    """Run-time imports only (functions included); a package and its own submodules are
    one unit."""
    graph = {m: {i for i in _imports(m) if i in MODULES and i != m} for m in MODULES}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def nested(a: str, b: str) -> bool:
        return a.startswith(b + ".") or b.startswith(a + ".")

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                if not all(nested(a, b) for a, b in itertools.pairwise(cycle)):
                    cycles.append(cycle)
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
