"""What a database round trip of one chain found: plain data, shared by the gate's runners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class StepResult:
    """One step of a round trip (``upgrade head``, ``revert``, ``stairway`` ...).

    On failure, ``revision`` names the migration that failed (an Alembic revision id or a sqitch
    change name) when it is known, ``path`` its repository-relative file, ``error`` the
    database's message (one line) and ``detail`` the full text.
    """

    step: str
    ok: bool
    revision: str | None = None
    path: str | None = None
    error: str | None = None
    detail: str | None = None
    action: str | None = None  # stairway: which move failed ("upgrade", "downgrade", ...)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "ok": self.ok,
            "revision": self.revision,
            "path": self.path,
            "error": self.error,
            "action": self.action,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Floor:
    """The revision an Alembic round trip downgrades to instead of base: it and everything
    below it stay applied (pytest-alembic's ``minimum_downgrade_revision``).

    ``source`` says how it was found: ``config`` (``downgrade_floor``), ``static`` (read from the
    revision file), ``run time`` (its downgrade raised NotImplementedError). ``head`` is True
    when the floor is the chain's head: then nothing at all was downgraded.
    """

    revision: str
    path: str | None
    reason: str
    source: str
    head: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "path": self.path,
            "reason": self.reason,
            "source": self.source,
            "head": self.head,
        }


@dataclass(frozen=True)
class ChainResult:
    name: str
    title: str
    kind: str  # "alembic" | "sqitch"
    dialect: str  # "sqlite", "postgresql", ...
    steps: tuple[StepResult, ...] = ()
    migrations: int | None = None  # revisions / changes in the chain, when known
    seconds: float = 0.0
    floor: Floor | None = None  # Alembic: where downgrades stop, when not at base

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "dialect": self.dialect,
            "ok": self.ok,
            "migrations": self.migrations,
            "seconds": round(self.seconds, 2),
            "floor": self.floor.to_json() if self.floor else None,
            "steps": [step.to_json() for step in self.steps],
        }


def first_line(text: str, limit: int = 300) -> str:
    """The first non-blank line of ``text``, blanks collapsed, cut at ``limit`` characters."""
    for line in text.splitlines():
        line = _BLANKS.sub(" ", line).strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""
