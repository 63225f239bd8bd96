"""The chains as configuration text: ``migration-guard.toml``, or ``[tool.migration-guard]``
appended to (or replaced in) ``pyproject.toml`` with every other byte kept.

Every field of a chain that differs from ``ChainSpec``'s default is written, so that
``config.load_config`` reads the text back to the same chains (``tests/test_init.py``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from migration_guard.errors import UsageError
from migration_guard.model import ChainSpec
from migration_guard.project import REPOSITORY_URL, release_tag

HEADER = (
    "# migration-guard configuration, written by `migration-guard init` from the chains it\n"
    f"# discovered. Every key: {REPOSITORY_URL}/blob/{release_tag()}/docs/config.md\n"
)
_SKIPPED = {"discovered", "extra_paths"}
_FIRST = ("name", "title", "kind", "path")


def chain_table(spec: ChainSpec, width: int | None) -> dict[str, Any]:
    """The chain's keys in configuration order (name, title, kind, path, then the rest):
    those that differ from the defaults, and ``width`` when one was detected."""
    if width is not None and spec.width is None:
        spec = spec._replace(width=width)
    values = spec._asdict()
    values["path"] = list(spec.folders) if spec.extra_paths else spec.path
    defaults = ChainSpec._field_defaults
    table = {key: values[key] for key in _FIRST}
    for key, value in values.items():
        if key in _SKIPPED or key in table or value == defaults.get(key):
            continue
        table[key] = value
    return table


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(str(value), ensure_ascii=False)  # TOML basic strings escape alike
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def render_chains(tables: Sequence[Mapping[str, Any]], *, header: str) -> str:
    """``[[header]]`` tables, one per chain, separated by a blank line."""
    blocks = [
        "\n".join([f"[[{header}]]", *(f"{k} = {_value(v)}" for k, v in table.items())])
        for table in tables
    ]
    return "\n\n".join(blocks) + "\n"


def config_text(tables: Sequence[Mapping[str, Any]]) -> str:
    """The whole ``migration-guard.toml``."""
    return HEADER + "\n" + render_chains(tables, header="chains")


_OUR_HEADER = re.compile(
    r"""^\s*\[\[?\s*tool\s*\.\s*(?:migration-guard|"migration-guard"|'migration-guard')"""
    r"""\s*(?:\.[^\]]*)?\]\]?\s*(?:#.*)?$"""
)
_ANY_HEADER = re.compile(r"^\s*\[")


def has_tool_table(text: str) -> bool:
    """Whether ``pyproject.toml`` text has a ``[tool.migration-guard]`` table."""
    tool = tomllib.loads(text).get("tool")
    return isinstance(tool, dict) and "migration-guard" in tool


def pyproject_text(original: str, tables: Sequence[Mapping[str, Any]]) -> str:
    """``original`` with its ``[tool.migration-guard]`` tables (if any) taken out and the new
    ones appended; every other byte as it was. Checked by parsing both: a table this cannot
    take out cleanly (written inline, or as dotted keys under ``[tool]``) is a UsageError."""
    lines = original.splitlines(keepends=True)
    kept: list[str] = []
    ours = False
    for line in lines:
        if _ANY_HEADER.match(line):
            ours = bool(_OUR_HEADER.match(line))
        if not ours:
            kept.append(line)
    text = "".join(kept)
    if text and not text.endswith("\n"):
        text += "\n"
    if text.strip():
        text = text.rstrip("\n") + "\n\n"
    block = "# migration-guard: written by `migration-guard init` from the chains it discovered.\n"
    new = text + block + render_chains(tables, header="tool.migration-guard.chains")
    _same_elsewhere(original, new, tables)
    return new


def _same_elsewhere(original: str, new: str, tables: Sequence[Mapping[str, Any]]) -> None:
    before, after = tomllib.loads(original), tomllib.loads(new)
    for data in (before, after):
        tool = data.get("tool")
        if isinstance(tool, dict):
            tool.pop("migration-guard", None)
            if not tool:
                data.pop("tool")
    wanted = json.loads(json.dumps([dict(t) for t in tables]))
    written = tomllib.loads(new).get("tool", {}).get("migration-guard", {})
    if before != after or written != {"chains": wanted}:
        raise UsageError(
            "cannot rewrite [tool.migration-guard] in pyproject.toml without touching the rest",
            hint="remove the table from pyproject.toml by hand and run init again, or write "
            "migration-guard.toml instead (without --pyproject)",
        )
