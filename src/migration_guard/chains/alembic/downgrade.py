"""Which Alembic revisions cannot be downgraded, read statically: the gate's downgrade floor.

Two conventions count, both read with ``ast`` (the file is never imported here):

- ``downgrade()`` raises ``NotImplementedError`` before doing anything else (an optional
  docstring first): ``raise NotImplementedError`` or ``raise NotImplementedError(...)``. This is
  the convention pytest-alembic honours (its up/down test stops there, as if the revision were
  its ``minimum_downgrade_revision``).
- the file binds no ``downgrade`` at all (OpenStack projects dropped downgrades: Alembic then
  fails on ``module.downgrade`` with an AttributeError).

A ``downgrade()`` whose body is ``pass`` is NOT irreversible: it is a no-op, and Alembic's own
template writes it for revisions with nothing to undo (merges, empty revisions). Whatever this
reading cannot be sure of (``downgrade`` imported or assigned, bound under ``if``/``try``,
``from x import *``, a raise after other statements or under a condition) is left to the gate's
run-time check, which catches a ``NotImplementedError`` raised by the revision's own code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import NamedTuple

from migration_guard.model import Migration
from migration_guard.tree import Tree

RAISES = "downgrade() raises NotImplementedError"
MISSING = "defines no downgrade()"

_TOP_DEF = re.compile(rb"^(?:async[ \t]+)?def[ \t]+downgrade\b", re.MULTILINE)
_NAME = "downgrade"
_ERROR = "NotImplementedError"


class Irreversible(NamedTuple):
    revision: str
    path: str
    reason: str  # RAISES or MISSING


def irreversible_reason(source: bytes) -> str | None:
    """``RAISES``/``MISSING`` when the script's downgrade cannot run, None when it may."""
    if _ERROR.encode() not in source and _TOP_DEF.search(source):
        return None  # the common case, decided without parsing: a downgrade() that cannot say so
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the gate's child names an unreadable file itself
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for stmt in module.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == _NAME:
            found = stmt  # the last definition is the one Alembic calls
        elif _may_bind(stmt):
            return None
    if found is None:
        return MISSING
    body = found.body
    if body and _is_docstring(body[0]):
        body = body[1:]
    if body and isinstance(body[0], ast.Raise) and _is_not_implemented(body[0].exc):
        return RAISES
    return None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_not_implemented(exc: ast.expr | None) -> bool:
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == _ERROR


def _may_bind(stmt: ast.stmt) -> bool:
    """Whether a statement other than a plain ``def downgrade`` might bind ``downgrade``
    in the module (conservative: a local of another function counts too)."""
    return any(_binds(node) for node in ast.walk(stmt))


def _binds(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == _NAME and not isinstance(node.ctx, ast.Load)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == _NAME
    if isinstance(node, ast.alias):
        return node.name == "*" or (node.asname or node.name.split(".")[0]) == _NAME
    if isinstance(node, ast.Global | ast.Nonlocal):
        return _NAME in node.names
    return False


def irreversible(tree: Tree, migrations: Iterable[Migration]) -> tuple[Irreversible, ...]:
    """The chain's irreversible revisions, in the order given (scripts with a known id)."""
    known = [m for m in migrations if m.id]
    sources = tree.read_many(m.path for m in known)
    out = []
    for migration in known:
        source = sources.get(migration.path)
        reason = irreversible_reason(source) if source is not None else None
        if reason is not None:
            out.append(Irreversible(migration.id, migration.path, reason))
    return tuple(out)
