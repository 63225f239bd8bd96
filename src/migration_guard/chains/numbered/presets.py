"""The frameworks a numbered chain can be: their file rules, one ``Preset`` each.

Sources: Flyway's naming docs (``V<version>__<desc>.sql``, versions of dot- or
underscore-separated numbers compared numerically, ``R__`` repeatables, ``U`` undo files),
golang-migrate's MIGRATIONS.md and ``source/parse.go`` (``^([0-9]+)_(.*)\\.(down|up)\\.(.*)$``,
a down file is optional), goose's README (``<version>_<name>.sql|.go``, ``-- +goose Up``),
dbmate's README and the dbmate 2.37 binary itself (any ``<digits>...sql`` name: ``_`` or
``-`` or nothing after the version; applied in file name order; ``-- migrate:up`` and
``-- migrate:down`` both required, the down section may be empty).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from migration_guard.chains.numbered import bodies, versions
from migration_guard.chains.numbered.pattern import FilePattern, compile_pattern
from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind, ChainSpec


class Preset(NamedTuple):
    key: ChainKind
    label: str  # the framework's name in messages
    patterns: tuple[str, ...]  # the first is the primary one (a configured pattern replaces it)
    companions: tuple[str, ...] = ()  # files of a migration that are not it (flyway's undo)
    number_re: str = "[0-9]+"
    slug_re: str = ".+"
    parts: Callable[[str], tuple[int, ...]] = versions.integer_parts  # compared as this
    identity: Callable[[str], str] = versions.integer_id  # keyed as this (duplicates)
    by_name: bool = False  # applied in file name order (dbmate), not in version order
    body_check: Callable[[str], str | None] | None = None  # required markers in ``.sql`` files
    strict_lookalikes: bool = False  # a .sql file the patterns do not read stops the framework
    ignored: re.Pattern[str] | None = None  # names that are never migrations


GENERIC = Preset(ChainKind.NUMBERED, "numbered", patterns=())
FLYWAY = Preset(
    ChainKind.FLYWAY,
    "Flyway",
    patterns=("V{number}__{slug}.sql",),
    companions=("U{number}__{slug}.sql",),
    number_re="[0-9]+(?:[._][0-9]+)*",
    parts=versions.flyway_parts,
    identity=versions.flyway_id,
)
GOLANG_MIGRATE = Preset(
    ChainKind.GOLANG_MIGRATE, "golang-migrate", patterns=("{number}_{slug}.up.sql",), slug_re=".*"
)
GOOSE = Preset(
    ChainKind.GOOSE,
    "goose",
    patterns=("{number}_{slug}.sql", "{number}_{slug}.go"),
    slug_re=".*",
    body_check=bodies.goose_problem,
    strict_lookalikes=True,
    ignored=re.compile(r".*_test\.go"),
)
DBMATE = Preset(
    ChainKind.DBMATE,
    "dbmate",
    patterns=("{number}{slug}.sql",),
    slug_re=".*",
    identity=versions.text_id,
    by_name=True,
    body_check=bodies.dbmate_problem,
)

PRESETS: dict[ChainKind, Preset] = {
    p.key: p for p in (GENERIC, FLYWAY, GOLANG_MIGRATE, GOOSE, DBMATE)
}


def pattern_texts(preset: Preset, configured: str | None) -> tuple[str, ...]:
    """The chain's patterns: the configured one in place of the preset's primary pattern."""
    if configured is None:
        return preset.patterns
    return (configured, *preset.patterns[1:])


def file_patterns(preset: Preset, configured: str | None) -> tuple[FilePattern, ...]:
    """Every pattern of the chain, compiled (primary ones first, then companions). A generic
    chain without a pattern, or a bad pattern, is a ConfigError."""
    texts = pattern_texts(preset, configured)
    if not texts:
        raise ConfigError(
            "a numbered chain needs a pattern naming its files",
            hint='e.g. pattern = "{number}_{slug}.sql" (or a preset kind: flyway, '
            "golang-migrate, goose, dbmate)",
        )
    compiled = [
        compile_pattern(t, number_re=preset.number_re, slug_re=preset.slug_re) for t in texts
    ]
    compiled += [
        compile_pattern(t, number_re=preset.number_re, slug_re=preset.slug_re, primary=False)
        for t in preset.companions
    ]
    return tuple(compiled)


def chain_patterns(preset: Preset, spec: ChainSpec) -> tuple[FilePattern, ...]:
    return file_patterns(preset, spec.pattern)
