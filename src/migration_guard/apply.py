"""Apply an ``EditPlan`` to the working tree all-or-nothing.

Renames use ``git mv`` (the rename is staged, content edits are left unstaged, as a person
following the runbook would leave them). Before anything is written, every touched file must
be free of uncommitted changes (unless forced) and every rename target must be free. On any
failure every step done so far is undone in reverse order, and the tree and the index are
compared with a snapshot taken before: the repository is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from migration_guard import git
from migration_guard.edits import EditPlan
from migration_guard.errors import GuardError, InputError


class UncommittedChangesError(InputError):
    """A file the plan must edit has changes git does not have yet."""


class ApplyError(GuardError):
    """Applying failed; everything was rolled back."""

    exit_code = 3


@dataclass(frozen=True)
class _Snapshot:
    files: dict[str, bytes | None]
    index: str


def _index_entries(root: Path, paths: list[str]) -> str:
    if not paths:
        return ""
    return git.git_text("ls-files", "-s", "-z", "--", *paths, cwd=root)


def _snapshot(root: Path, paths: list[str], in_git: bool) -> _Snapshot:
    files: dict[str, bytes | None] = {}
    for path in paths:
        target = root / path
        files[path] = target.read_bytes() if target.is_file() else None
    return _Snapshot(files, _index_entries(root, paths) if in_git else "")


def check_preconditions(root: Path, plan: EditPlan, *, in_git: bool, force: bool) -> None:
    for rename in plan.renames:
        if (root / rename.new_path).exists() and rename.new_path not in {
            r.old_path for r in plan.renames
        }:
            raise InputError(f"{rename.new_path} already exists; not overwriting it")
    for path in [e.path for e in plan.edits] + [r.old_path for r in plan.renames]:
        if not (root / path).is_file():
            raise InputError(f"{path} does not exist in the working tree")
    for edit in plan.edits:
        current = (root / edit.path).read_text(encoding="utf-8", errors="surrogateescape")
        if current != edit.old_text:
            raise InputError(
                f"{edit.path} changed while the plan was made", hint="run the command again"
            )
    if in_git and not force:
        dirty = git.dirty_paths(
            root, [e.path for e in plan.edits] + [r.old_path for r in plan.renames]
        )
        if dirty:
            raise UncommittedChangesError(
                f"{dirty[0]} has uncommitted changes; not touching it"
                + (f" (and {len(dirty) - 1} more)" if len(dirty) > 1 else ""),
                hint="commit or stash them first, or pass --force to edit on top of them",
            )


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.migration-guard.tmp")
    tmp.write_bytes(text.encode("utf-8", "surrogateescape"))
    os.replace(tmp, path)


def _move(root: Path, old: str, new: str, in_git: bool) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    if in_git and _index_entries(root, [old]):
        git.run_git("mv", "-k", "--", old, new, cwd=root)
        if not (root / new).exists():
            raise ApplyError(f"git mv {old} {new} did not move the file")
    else:
        os.replace(root / old, root / new)


def apply_plan(
    root: Path,
    plan: EditPlan,
    *,
    in_git: bool,
    force: bool = False,
    after_apply: Callable[[], None] | None = None,
) -> None:
    """Write every edit and rename, or none. ``after_apply`` runs last; if it raises, the
    whole plan is undone too (used to validate the result before keeping it)."""
    check_preconditions(root, plan, in_git=in_git, force=force)
    touched = list(plan.touched_paths)
    before = _snapshot(root, touched, in_git)
    undo: list[Callable[[], None]] = []
    try:
        for edit in plan.edits:
            _write(root / edit.path, edit.new_text)
            undo.append(functools.partial(_restore, root, edit.path, before.files[edit.path]))
        for rename in plan.renames:
            _move(root, rename.old_path, rename.new_path, in_git)
            undo.append(functools.partial(_move, root, rename.new_path, rename.old_path, in_git))
        if after_apply is not None:
            after_apply()
    except BaseException as exc:
        problems = _rollback(root, undo, before, touched, in_git)
        if problems:
            raise ApplyError(
                f"applying failed ({exc}) and the rollback could not restore: "
                + "; ".join(problems),
                hint="compare with `git status` and restore these files by hand",
            ) from exc
        if isinstance(exc, GuardError):
            raise
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ApplyError(f"applying failed and was rolled back: {exc}") from exc


def _restore(root: Path, path: str, content: bytes | None) -> None:
    target = root / path
    if content is None:
        if target.exists():
            target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _rollback(
    root: Path,
    undo: list[Callable[[], None]],
    before: _Snapshot,
    touched: list[str],
    in_git: bool,
) -> list[str]:
    for step in reversed(undo):
        # Keep undoing after a failed step; the comparison below reports what is left.
        with contextlib.suppress(Exception):
            step()
    problems = []
    for path, content in before.files.items():
        target = root / path
        now = target.read_bytes() if target.is_file() else None
        if now != content:
            try:
                _restore(root, path, content)
            except OSError as exc:
                problems.append(f"{path}: {exc}")
    if in_git and _index_entries(root, touched) != before.index:
        with contextlib.suppress(GuardError):
            _restore_index(root, touched, before.index)
        if _index_entries(root, touched) != before.index:
            problems.append("the git index entries of " + ", ".join(touched))
    return problems


def _restore_index(root: Path, paths: list[str], entries: str) -> None:
    """Put the index entries of ``paths`` back exactly as ``git ls-files -s -z`` showed them."""
    git.run_git("update-index", "--force-remove", "--", *paths, cwd=root)
    if entries:
        git.run_git(
            "update-index",
            "-z",
            "--index-info",
            cwd=root,
            input_bytes=entries.encode("utf-8", "surrogateescape"),
        )
