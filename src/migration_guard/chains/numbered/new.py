"""A new migration of a numbered chain: the file(s) its pattern names, in the framework's
own "new migration" shape.

- golang-migrate (``migrate create -ext sql``): ``N_slug.up.sql`` and ``N_slug.down.sql``, empty.
- goose (``goose create NAME sql``): ``-- +goose Up`` and ``-- +goose Down`` sections.
- dbmate (``dbmate new NAME``): ``-- migrate:up`` and ``-- migrate:down`` sections.
- Flyway (no command of its own): ``V<number>__<slug>.sql`` with the description as comment.
- a generic chain: its pattern's file (and the ``.down.`` file of a ``.up.`` pattern: both empty), a
  ``.sql`` one with the description as comment.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from migration_guard.chains import newfile
from migration_guard.chains.kind import NewMigration
from migration_guard.chains.numbered.presets import Preset, chain_patterns
from migration_guard.chains.numbered.scan import read_name
from migration_guard.edits import EditPlan, FileEdit
from migration_guard.errors import UsageError
from migration_guard.model import ChainKind, ChainSpec, ChainState

if TYPE_CHECKING:
    from migration_guard.tree import Tree

GOOSE_SQL = "-- +goose Up\n\n-- +goose Down\n"
DBMATE_SQL = "-- migrate:up\n\n\n-- migrate:down\n\n"  # dbmate 2's migrationTemplate


def plan_new(
    tree: Tree,
    spec: ChainSpec,
    state: ChainState,
    number: str,
    slug: str,
    message: str,
    preset: Preset,
) -> NewMigration:
    newfile.check_slug(slug)
    newfile.check_number(spec, number, needed=True)
    newfile.single_head(spec, state, "migration")
    patterns = chain_patterns(preset, spec)
    primary = patterns[0]
    if "{number}{slug}" in primary.text:  # dbmate's: the separator is the name's own
        slug = newfile.separator(state, "_") + slug
    name = primary.primary_name(number, slug)
    match = read_name(name, patterns, preset)
    if match is None or match.number != number or match.slug != slug or not match.primary:
        raise UsageError(
            f"{name!r} is not read back as migration {number} {slug!r} of chain "
            f"{spec.name!r} ({primary.text})",
            hint="pick a slug of letters, digits and '_'",
        )
    taken = {preset.identity(m.number_text) for m in state.migrations if m.number_text}
    if preset.identity(number) in taken:
        raise UsageError(f"version {number} is taken in chain {spec.name!r}")
    names = [name]
    tail = primary.text.partition("{slug}")[2]  # (no placeholder after the slug)
    if ".up." in tail:  # golang-migrate's shape: the down file is the migration's too
        names.append(name[: len(name) - len(tail)] + tail.replace(".up.", ".down.", 1))
    paths = tuple(posixpath.join(spec.path, n) for n in names)
    for path in paths:
        if tree.exists(path):
            raise UsageError(f"{path} exists already")
    text = _text(preset, name, newfile.description(message, slug))
    edits = tuple(FileEdit.new_file(path, text, f"new migration {number}") for path in paths)
    return NewMigration(EditPlan(edits), paths)


def _text(preset: Preset, name: str, described: str) -> str:
    """The new file's text (golang-migrate's are empty, as ``migrate create`` makes them; a
    generic ``.up.``/``.down.`` pair too)."""
    if preset.key is ChainKind.GOLANG_MIGRATE or ".up." in name:
        return ""
    if name.endswith(".sql"):
        if preset.key is ChainKind.GOOSE:
            return GOOSE_SQL
        if preset.key is ChainKind.DBMATE:
            return DBMATE_SQL
        return f"-- {described}\n"
    return ""
