"""A new Alembic revision, as ``alembic revision -m MESSAGE [--rev-id N]`` writes it.

The file is ``<number>_<slug>.py`` (``<rev>_<slug>.py`` in a chain without numbers) in the
chain's first versions folder, rendered from the chain's ``script.py.mako`` (in its
``script_location``) with the names Alembic 1.20 gives the template (``up_revision``,
``down_revision``, ``branch_labels``, ``depends_on``, ``create_date``, ``comma``,
``message``). Without a template, or without Mako, the text is that of Alembic's ``generic``
template. The revision id is the number when the chain's ids are its numbers (the runbook's
chains), else a fresh 12-hex id as Alembic's ``rev_id()`` makes.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from migration_guard.chains import newfile
from migration_guard.chains.kind import NewMigration
from migration_guard.edits import EditPlan, FileEdit
from migration_guard.errors import ConfigError, InputError, UsageError
from migration_guard.model import ChainSpec, ChainState, NumberingMode
from migration_guard.tree import Tree

TEMPLATE_NAME = "script.py.mako"

# Alembic 1.20's templates/generic/script.py.mako, rendered without autogenerate's names.
GENERIC = '''\
"""{message}

Revision ID: {up_revision}
Revises: {down_revision_comma}
Create Date: {create_date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {up_revision_repr}
down_revision: Union[str, Sequence[str], None] = {down_revision_repr}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
'''


def rev_id() -> str:
    """A fresh revision id, as Alembic's ``rev_id()``."""
    return uuid.uuid4().hex[-12:]


def plan_new(
    tree: Tree,
    spec: ChainSpec,
    state: ChainState,
    number: str,
    slug: str,
    message: str,
    now: datetime,
) -> NewMigration:
    newfile.check_slug(slug, "" if slug.isidentifier() else "not a Python name")
    numbered = state.numbering is NumberingMode.SEQUENTIAL and any(
        m.number is not None for m in state.migrations
    )
    newfile.check_number(spec, number, needed=numbered)
    head = newfile.single_head(spec, state, "revision")
    revision = number if number and _ids_are_numbers(state) else rev_id()
    if revision in {m.id for m in state.migrations}:
        raise UsageError(f"revision {revision!r} exists already in chain {spec.name!r}")
    prefix = f"{number}{newfile.separator(state, '_')}" if number else f"{revision}_"
    path = posixpath.join(spec.path, f"{prefix}{slug}.py")
    if tree.exists(path):
        raise UsageError(f"{path} exists already")
    values: dict[str, Any] = {
        "up_revision": revision,
        "down_revision": head,
        "branch_labels": None,
        "depends_on": None,
        "create_date": now,
        "comma": format_as_comma,
        "message": newfile.description(message, slug),
    }
    template = find_template(tree, spec)
    text = render(template, values) if template is not None else None
    if text is None:
        text = render_generic(values)
    reason = f"new revision {revision} on top of {head or 'the base'}"
    return NewMigration(EditPlan((FileEdit.new_file(path, text, reason),)), (path,))


def _ids_are_numbers(state: ChainState) -> bool:
    """The chain keys its revisions by their numbers (``0193_x.py`` is revision ``0193``);
    true of an empty chain."""
    numbered = [m for m in state.migrations if m.number_text and m.id]
    return all(m.id == m.number_text for m in numbered)


def format_as_comma(value: str | Iterable[str] | None) -> str:
    """Alembic's ``util.format_as_comma`` (the template's ``comma`` filter)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(value)


def find_template(tree: Tree, spec: ChainSpec) -> tuple[str, str] | None:
    """The chain's ``script.py.mako`` (path, text): in the script location of its Alembic
    configuration, else beside its versions folder; None when it has none."""
    from migration_guard.chains.alembic import config as alembic_config
    from migration_guard.databases.alembic_gate import find_alembic_config

    folder: str | None
    try:
        layout = alembic_config.read_layout(tree, find_alembic_config(tree, spec))
        folder = layout.script_location
    except ConfigError:
        folder = posixpath.dirname(spec.path.rstrip("/"))
    if folder is None:
        return None
    path = posixpath.join(folder, TEMPLATE_NAME) if folder else TEMPLATE_NAME
    if not tree.exists(path) or tree.is_dir(path):
        return None
    return path, tree.read_bytes(path).decode("utf-8", "surrogateescape")


def render(template: tuple[str, str], values: dict[str, Any]) -> str | None:
    """``template`` rendered by Mako as Alembic renders it; None without Mako."""
    try:
        from mako.template import Template
    except ImportError:
        return None
    path, text = template
    try:
        rendered: str = Template(text=text, uri=path).render_unicode(**values)
    except Exception as exc:  # whatever the template's own Python raises
        raise InputError(
            f"{path} cannot be rendered: {type(exc).__name__}: {exc}",
            hint="`alembic revision` fails the same way: fix the template",
        ) from None
    return rendered


def render_generic(values: dict[str, Any]) -> str:
    """Alembic's generic template, without Mako."""
    down = values["down_revision"]
    return GENERIC.format(
        message=values["message"],
        up_revision=values["up_revision"],
        down_revision_comma=format_as_comma(down),
        create_date=values["create_date"],
        up_revision_repr=repr(values["up_revision"]),
        down_revision_repr=repr(down),
    )
