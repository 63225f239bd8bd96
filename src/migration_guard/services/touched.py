"""Whether a change touches any chain at all: the fast exit of ``check`` and ``gate
--if-changed``.

A CI check that is required must report on every pull request (a ``paths:`` filter leaves a
required check "Pending" forever), so the workflows run on every pull request and these
commands end at once, saying ``no migrations touched: OK``, when the change touches none of
the files that could change their verdict (``Kind.watched_paths``, and the configuration).
"""

from __future__ import annotations

from migration_guard import git
from migration_guard.chains import registry
from migration_guard.config import CONFIG_FILE
from migration_guard.workspace import Workspace

NO_MIGRATIONS_TOUCHED = "no migrations touched: OK"


def watched_paths(workspace: Workspace) -> list[str]:
    """Every chain's watched paths, and the configuration file the chains come from."""
    paths = {
        path
        for spec in workspace.config.chains
        for path in registry.kind_of(spec.kind).watched_paths(spec)
    }
    source = workspace.config.source
    if source.startswith(CONFIG_FILE):
        paths.add(CONFIG_FILE)
    elif source.startswith("pyproject.toml"):
        paths.add("pyproject.toml")
    return sorted(paths)


def touches_chains(workspace: Workspace, *, merge_base: str, head: str, working_tree: bool) -> bool:
    """Whether ``merge_base..head`` (and, with ``working_tree``, uncommitted or untracked
    files) changes a watched path."""
    paths = watched_paths(workspace)
    if not paths:
        return False
    if git.diff_name_status(merge_base, head, cwd=workspace.root, paths=paths):
        return True
    return working_tree and bool(git.dirty_paths(workspace.root, paths))
