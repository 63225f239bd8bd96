"""Versions as each framework compares them (numerically, never as strings)."""

from __future__ import annotations

import re

_PARTS = re.compile(r"[._]")


def flyway_parts(version: str) -> tuple[int, ...]:
    """Flyway's version: dot- or underscore-separated numbers compared part by part, trailing
    zeros ignored (``1``, ``1.0`` and ``1_0_0`` are one version; 1.2.0 < 1.10.0 < 1.11)."""
    parts = [int(p) for p in _PARTS.split(version)]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def flyway_id(version: str) -> str:
    """The canonical text of a Flyway version: what Flyway keys the migration by."""
    return ".".join(str(p) for p in flyway_parts(version))


def integer_parts(version: str) -> tuple[int, ...]:
    """golang-migrate, goose: the version is one integer (``001`` is ``1``)."""
    return (int(version),)


def integer_id(version: str) -> str:
    return str(int(version))


def text_id(version: str) -> str:
    """dbmate: the version is the digits as written (``040`` and ``0040`` differ)."""
    return version
