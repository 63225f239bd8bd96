"""One Django migration file, read statically with ``ast`` (never imported).

Django imports ``<app>/migrations/<name>.py`` and reads three class attributes of its
``Migration`` class (``django.db.migrations.migration.Migration``): ``dependencies`` and
``run_before`` (lists of ``(app_label, migration_name)``) and ``replaces`` (the same, for a
squashed migration). This module reads them when they are literals: lists or tuples of
2-tuples (or 2-lists) of string literals, and ``migrations.swappable_dependency(settings.X)``
(Django turns it into ``(<the setting's app>, "__first__")``: another app's first migration,
or nothing in the app that defines the model). Anything else (a name, a concatenation, a
comprehension, a binding inside ``if``/``try``, an augmented assignment) is *unknown*, and
the reader says so instead of guessing. Each string literal keeps its position, so a
rename can replace exactly that literal and nothing else.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

__all__ = ["ATTRIBUTES", "Literal", "Reference", "SourceInfo", "parse_source"]

ATTRIBUTES = ("dependencies", "run_before", "replaces")


class Literal(NamedTuple):
    """Where a string literal sits: 1-based line, 0-based UTF-8 byte columns (one line)."""

    line: int
    start: int
    end: int


class Reference(NamedTuple):
    """One ``(app, name)`` entry. ``swappable`` names the setting of a
    ``swappable_dependency`` (its app is unknown statically: ``app`` and ``name`` are "")."""

    app: str
    name: str
    line: int
    name_literal: Literal | None = None  # None: the name spans lines or is not one literal
    swappable: str = ""


class SourceInfo(NamedTuple):
    """What one file says. ``error`` set: the file cannot be read (syntax error, no
    ``Migration`` class); ``unknown`` maps an attribute to why its value is not a literal."""

    path: str
    line: int = 1  # of the Migration class
    dependencies: tuple[Reference, ...] = ()
    run_before: tuple[Reference, ...] = ()
    replaces: tuple[Reference, ...] = ()
    unknown: tuple[tuple[str, str], ...] = ()
    error: str = ""
    error_code: str = ""  # "syntax" or "no-class"
    error_line: int | None = None

    def references(self) -> tuple[Reference, ...]:
        return self.dependencies + self.run_before + self.replaces


def parse_source(path: str, data: bytes) -> SourceInfo:
    """Read one migration file's ``Migration`` class attributes."""
    try:
        module = ast.parse(data, filename=path)
        compile(module, path, "exec", dont_inherit=True)  # what the import would reject too
    except SyntaxError as exc:
        return SourceInfo(
            path,
            error=f"syntax error: {exc.msg}",
            error_code="syntax",
            error_line=exc.lineno,
        )
    except ValueError as exc:  # null bytes
        return SourceInfo(path, error=f"syntax error: {exc}", error_code="syntax")
    cls, why = _migration_class(module)
    if cls is None:
        return SourceInfo(path, error=why, error_code="no-class")
    values: dict[str, tuple[Reference, ...]] = {}
    unknown: list[tuple[str, str]] = []
    for attribute in ATTRIBUTES:
        value = _attribute(cls, attribute)
        if isinstance(value, str):
            unknown.append((attribute, value))
            continue
        if value is None:
            continue
        refs = _references(value)
        if isinstance(refs, str):
            unknown.append((attribute, refs))
        else:
            values[attribute] = refs
    return SourceInfo(
        path,
        line=cls.lineno,
        dependencies=values.get("dependencies", ()),
        run_before=values.get("run_before", ()),
        replaces=values.get("replaces", ()),
        unknown=tuple(unknown),
    )


def _migration_class(module: ast.Module) -> tuple[ast.ClassDef | None, str]:
    """The module-level ``class Migration`` that the import leaves bound, or why none."""
    found: ast.ClassDef | None = None
    bound_by_code = False
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            found, bound_by_code = node, False
        elif _binds(node, "Migration"):  # after the class, it replaces it
            found, bound_by_code = None, True
    nested = any(isinstance(n, ast.ClassDef) and n.name == "Migration" for n in ast.walk(module))
    if found is None:
        if bound_by_code or nested:
            return None, "Migration is bound by code migration-guard does not run"
        return None, "no Migration class"
    return found, ""


def _binds(node: ast.stmt, name: str) -> bool:
    """Whether a top-level statement (other than a class definition) may bind ``name``."""
    if isinstance(node, ast.ImportFrom | ast.Import):
        return any((a.asname or a.name.split(".")[0]) in (name, "*") for a in node.names)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == name
    if isinstance(node, ast.ClassDef):
        return False
    if isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
        return any(
            isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
            for n in ast.walk(node)
        ) or any(isinstance(n, ast.ClassDef) and n.name == name for n in ast.walk(node))
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for n in ast.walk(node)
    )


def _attribute(cls: ast.ClassDef, name: str) -> ast.expr | str | None:
    """The value bound to ``name`` in the class body (the last binding), None when it is not
    bound (Django's default: empty), or why it cannot be read."""
    value: ast.expr | str | None = None
    for node in cls.body:
        if isinstance(node, ast.Assign) and _stores(node, name):
            simple = len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            value = (
                node.value if simple else f"{name} is bound by a chained or unpacking assignment"
            )
        elif isinstance(node, ast.AnnAssign) and _stores(node, name):
            value = node.value if node.value is not None else value
        elif isinstance(node, ast.AugAssign) and _stores(node, name):
            value = f"{name} is extended with {type(node.op).__name__} at line {node.lineno}"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                value = f"{name} is bound by a definition at line {node.lineno}"
        elif _stores(node, name):
            value = f"{name} is bound inside a statement at line {node.lineno}"
    return value


def _stores(node: ast.stmt, name: str) -> bool:
    """Whether ``node`` (a statement of the class body, not a definition) binds ``name``."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return False
    return any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
        for n in ast.walk(node)
    )


def _references(value: ast.expr) -> tuple[Reference, ...] | str:
    if not isinstance(value, ast.List | ast.Tuple):
        return f"not a literal list or tuple (line {value.lineno}: {_short(value)})"
    out: list[Reference] = []
    for element in value.elts:
        ref = _reference(element)
        if isinstance(ref, str):
            return ref
        out.append(ref)
    return tuple(out)


def _reference(node: ast.expr) -> Reference | str:
    if isinstance(node, ast.Call) and _is_swappable(node.func):
        arg = node.args[0] if len(node.args) == 1 and not node.keywords else None
        if isinstance(arg, ast.Attribute):
            return Reference("", "", node.lineno, swappable=arg.attr)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return Reference("", "", node.lineno, swappable=arg.value)
        return f"swappable_dependency of a value not read statically (line {node.lineno})"
    if isinstance(node, ast.Tuple | ast.List) and len(node.elts) == 2:
        app, name = node.elts
        if (
            isinstance(app, ast.Constant)
            and isinstance(app.value, str)
            and isinstance(name, ast.Constant)
            and isinstance(name.value, str)
        ):
            literal = None
            if name.end_lineno == name.lineno and name.end_col_offset is not None:
                literal = Literal(name.lineno, name.col_offset, name.end_col_offset)
            return Reference(app.value, name.value, node.lineno, literal)
    return f"entry is not a pair of string literals (line {node.lineno}: {_short(node)})"


def _is_swappable(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "swappable_dependency") or (
        isinstance(func, ast.Name) and func.id == "swappable_dependency"
    )


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
