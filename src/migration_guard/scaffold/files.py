"""Write a set of files all or nothing: every target is checked before the first write, each
file goes to a temporary file beside it and is renamed into place, and a failure part way
removes (or restores) everything written so far."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from migration_guard import git
from migration_guard.errors import InputError, UsageError


class PlannedFile(NamedTuple):
    path: str  # repository-relative, POSIX
    text: str
    executable: bool = False
    replaces: bool = False  # an edit of an existing file (pyproject.toml), not a new one


def refuse_existing(root: Path, files: Sequence[PlannedFile], *, force: bool, in_git: bool) -> None:
    """UsageError (exit 2) naming the first target that exists, unless ``force``; even with
    ``force``, a file git could not give back (uncommitted changes, untracked, or no git
    repository at all) is never overwritten."""
    for planned in files:
        target = root / planned.path
        if not target.exists() and not target.is_symlink():
            continue
        if target.is_dir():
            raise UsageError(f"{planned.path} exists and is a folder")
        if not force and not planned.replaces:
            raise UsageError(
                f"{planned.path} exists; nothing was written",
                hint="--force overwrites files whose content is committed; --dry-run shows "
                "what would be written",
            )
        if force and not in_git:
            raise UsageError(
                f"{planned.path} exists and this is not a git repository, so nothing could "
                "give it back; nothing was written",
                hint="move it away first",
            )
        if force and git.dirty_paths(root, [planned.path]):
            raise UsageError(
                f"{planned.path} has uncommitted changes (or is untracked); --force only "
                "overwrites committed files; nothing was written",
                hint="commit it (or move it away) first",
            )


def write_all(root: Path, files: Sequence[PlannedFile]) -> None:
    """Write every file or none (InputError naming the failure, everything undone)."""
    created_dirs: list[Path] = []
    done: list[tuple[Path, bytes | None]] = []  # (target, its old bytes or None: new)
    temps: list[Path] = []
    try:
        staged: list[tuple[Path, Path]] = []
        for planned in files:
            target = root / planned.path
            for parent in reversed(target.parents):
                if parent != root and root in parent.parents and not parent.exists():
                    parent.mkdir()
                    created_dirs.append(parent)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            temp = Path(name)
            temps.append(temp)
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(planned.text)
            old_mode = target.stat().st_mode & 0o777 if target.exists() else None
            mode = 0o755 if planned.executable else 0o644
            os.chmod(temp, old_mode if old_mode is not None and not planned.executable else mode)
            staged.append((temp, target))
        for temp, target in staged:
            old = target.read_bytes() if target.exists() else None
            os.replace(temp, target)
            temps.remove(temp)
            done.append((target, old))
    except OSError as exc:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        for target, old in reversed(done):
            with contextlib.suppress(OSError):
                if old is None:
                    target.unlink()
                else:
                    target.write_bytes(old)
        for folder in reversed(created_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise InputError(
            f"could not write {exc.filename or 'a file'}: {exc.strerror}; nothing was written"
        ) from exc
