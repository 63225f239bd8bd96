"""Where a command runs: the repository root, the tree it reads, and the chain config."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from migration_guard import git
from migration_guard.config import Config, load_config
from migration_guard.errors import InputError
from migration_guard.tree import GitTree, Tree, WorkTree


class Workspace(NamedTuple):
    root: Path
    tree: Tree
    config: Config
    in_git: bool

    def relpath(self, user_path: str, cwd: Path | None = None) -> str:
        """A path typed by the user (relative to cwd) as a repository-relative POSIX path."""
        candidate = Path(user_path)
        if not candidate.is_absolute():
            candidate = (cwd or Path.cwd()) / candidate
        # Symlinks resolved on both sides (macOS: /tmp is /private/tmp); a path that does
        # not exist yet still resolves through its existing parents.
        resolved = Path(os.path.realpath(candidate))
        try:
            rel = resolved.relative_to(Path(os.path.realpath(self.root)))
        except ValueError:
            raise InputError(f"{user_path} is outside the repository {self.root}") from None
        return str(PurePosixPath(rel.as_posix())) if str(rel) != "." else ""


def open_workspace(
    repo: Path | None, *, rev: str | None = None, config_file: Path | None = None
) -> Workspace:
    start = (repo or Path.cwd()).resolve()
    if not start.is_dir():
        raise InputError(f"{start} is not a directory")
    top = git.repo_root(start)
    root = top if top is not None else start
    if rev is not None:
        if top is None:
            raise InputError(f"--rev needs a git repository; {start} is not inside one")
        tree: Tree = GitTree(root, rev)
    else:
        tree = WorkTree(root)
    config = load_config(root, tree, config_file=config_file)
    return Workspace(root=root, tree=tree, config=config, in_git=top is not None)
