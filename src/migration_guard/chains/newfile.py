"""What every kind's ``plan_new`` shares: the checks of the slug, the number and the head,
the description, and the planner a command passes in (``planner``)."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from migration_guard import git
from migration_guard.chains.kind import Author
from migration_guard.errors import GuardError, UsageError
from migration_guard.model import ChainSpec, ChainState


def check_slug(slug: str, rule: str = "") -> None:
    """UsageError unless ``slug`` can be part of a file name: one word of printable
    characters, no folder, not hidden. ``rule``: the kind's own reason it is refused."""
    bad = (
        not slug
        or slug.startswith((".", "-"))
        or any(c in slug for c in "/\\")
        or any(c.isspace() or not c.isprintable() for c in slug)
    )
    if bad or rule:
        raise UsageError(
            f"{slug!r} cannot name a migration" + (f": {rule}" if rule else ""),
            hint="use letters, digits and '_' (e.g. add_users_email)",
        )


def check_number(spec: ChainSpec, number: str, *, needed: bool) -> None:
    """UsageError when the number does not fit: a numbered chain needs one, of digits."""
    if not number:
        if needed:
            raise UsageError(f"chain {spec.name!r} numbers its migrations: a number is needed")
        return
    if not number.isdigit():
        raise UsageError(f"{number!r} is not a migration number (digits only)")


def single_head(spec: ChainSpec, state: ChainState, noun: str) -> str | None:
    """The id a new migration builds on: the chain's one head (None: an empty chain).
    Several heads are a UsageError naming them."""
    if len(state.heads) > 1:
        names = ", ".join(h.revision for h in state.heads)
        raise UsageError(
            f"chain {spec.name!r} has {len(state.heads)} heads ({names}); a new {noun} "
            "needs one to build on",
            hint="resolve the fork first (`migration-guard renumber`, or merge the heads)",
        )
    return state.heads[0].revision if state.heads else None


def description(message: str, slug: str) -> str:
    """The migration's description: ``message``, else the slug's words."""
    return message.strip() or " ".join(slug.replace("-", "_").split("_")).strip() or slug


def separator(state: ChainState, default: str) -> str:
    """What follows the number in the chain's names (``0193_x``: "_", ``07-x``: "-"): the
    newest numbered migration's, else ``default``."""
    for migration in reversed(state.migrations):
        text = migration.number_text
        rest = migration.name[len(text) :] if text and migration.name.startswith(text) else ""
        if rest and not rest[0].isalnum():
            return rest[0]
    return default


def utc(now: datetime) -> datetime:
    """``now`` in UTC (a naive time is local time)."""
    return now.astimezone(UTC)


def planner(cwd: Path, env: Mapping[str, str] | None = None) -> Author:
    """Who plans the migration: ``SQITCH_FULLNAME``/``SQITCH_EMAIL``, else git's
    ``user.name``/``user.email`` (``cwd``'s repository), else the login name and
    ``login@host`` (sqitch's own fallbacks)."""
    env = os.environ if env is None else env
    name = env.get("SQITCH_FULLNAME", "").strip() or _git_config("user.name", cwd)
    email = env.get("SQITCH_EMAIL", "").strip() or _git_config("user.email", cwd)
    if not name or not email:
        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = "unknown"
        name = name or login
        email = email or f"{login}@{socket.gethostname()}"
    return Author(name, email)


def _git_config(key: str, cwd: Path) -> str:
    try:
        proc = git.run_git("config", "--get", key, cwd=cwd, check=False)
    except GuardError:
        return ""
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
