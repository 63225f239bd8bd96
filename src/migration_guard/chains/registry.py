"""The chain kinds there are: one line each, the package that provides its ``KIND`` (or
``module:NAME`` for a module providing several kinds, as the numbered presets).

Packages are imported on first use, so a command that touches only sqitch chains never
loads the Alembic reader (start-up time is measured in ``benchmarks/``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind

if TYPE_CHECKING:
    from migration_guard.chains.kind import Kind

_PACKAGES: dict[ChainKind, str] = {
    ChainKind.ALEMBIC: "migration_guard.chains.alembic.kind",
    ChainKind.SQITCH: "migration_guard.chains.sqitch.kind",
    ChainKind.DJANGO: "migration_guard.chains.django.kind",
    ChainKind.NUMBERED: "migration_guard.chains.numbered.kind:NUMBERED",
    ChainKind.FLYWAY: "migration_guard.chains.numbered.kind:FLYWAY",
    ChainKind.GOLANG_MIGRATE: "migration_guard.chains.numbered.kind:GOLANG_MIGRATE",
    ChainKind.GOOSE: "migration_guard.chains.numbered.kind:GOOSE",
    ChainKind.DBMATE: "migration_guard.chains.numbered.kind:DBMATE",
}

# The kind that lints a file no configured chain names (``lint path/to/sqitch.plan``).
FILE_LINTER = ChainKind.SQITCH


def supported() -> tuple[ChainKind, ...]:
    """The kinds a configuration may name, in the order the README lists them."""
    return tuple(_PACKAGES)


def kind_of(key: ChainKind) -> Kind:
    """The kind registered for ``key``."""
    package = _PACKAGES.get(key)
    if package is None:
        raise ConfigError(
            f"chain kind {key.value!r} is not supported yet",
            hint=f"supported kinds: {', '.join(k.value for k in _PACKAGES)}",
        )
    module, _, name = package.partition(":")
    kind: Kind = getattr(importlib.import_module(module), name or "KIND")
    return kind
