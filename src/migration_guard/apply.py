"""Apply an ``EditPlan`` to the working tree all-or-nothing.

Renames use ``git mv`` (the rename is staged, content edits are left unstaged, as a person
following the runbook would leave them). Before anything is written, every touched file must
be free of uncommitted changes (unless forced) and every rename target must be free. A journal
(``journal.py``) records the plan, every file as it was and will be, and each step as it is
applied; on any failure or SIGINT/SIGTERM/SIGHUP everything is undone (files, index entries,
sqitch registry steps, a hotfix branch) from that record and the journal is removed, so the
repository is left exactly as it was. A run killed outright leaves the journal for
``renumber --abort`` / ``--continue``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from migration_guard import git, journal, signals
from migration_guard.chain_bounds import ChainBound
from migration_guard.edits import EditPlan
from migration_guard.errors import GuardError, InputError, UsageError


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
    return git.index_entries(paths, cwd=root)


def refuse_links(root: Path, paths: list[str]) -> None:
    """Raise InputError if a file of ``paths`` (repository-relative) is a symbolic link or is
    reached through one: a write would replace the link, or change what it points at,
    maybe outside the repository."""
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            here = root.joinpath(*parts[:depth])
            if here.is_symlink():
                shown = "/".join(parts[:depth])
                what = "a symbolic link" if depth == len(parts) else "inside a symbolic link"
                raise InputError(
                    f"{path} is {what} ({shown} -> {os.readlink(here)}); "
                    "migration-guard never writes through "
                    "a symbolic link",
                    hint="replace the link by the file itself (commit that), then run again",
                )


def check_preconditions(root: Path, plan: EditPlan, *, in_git: bool, force: bool) -> None:
    refuse_links(
        root,
        [e.path for e in plan.edits] + [p for r in plan.renames for p in (r.old_path, r.new_path)],
    )
    for rename in plan.renames:
        if (root / rename.new_path).exists() and rename.new_path not in {
            r.old_path for r in plan.renames
        }:
            raise InputError(f"{rename.new_path} already exists; not overwriting it")
    created = [e.path for e in plan.edits if e.create]
    for path in created:
        target = root / path
        if target.exists() or target.is_symlink():
            raise InputError(f"{path} already exists; not overwriting it")
        if path in {r.new_path for r in plan.renames} or created.count(path) > 1:
            raise InputError(f"{path} is created twice by the plan")
    kept = [e for e in plan.edits if not e.create]
    for path in [e.path for e in kept] + [r.old_path for r in plan.renames]:
        if not (root / path).is_file():
            raise InputError(f"{path} does not exist in the working tree")
    for edit in kept:
        current = (root / edit.path).read_text(encoding="utf-8", errors="surrogateescape")
        if current != edit.old_text:
            raise InputError(
                f"{edit.path} changed while the plan was made", hint="run the command again"
            )
    if in_git and not force:
        dirty = git.dirty_paths(root, [e.path for e in kept] + [r.old_path for r in plan.renames])
        if dirty:
            raise UncommittedChangesError(
                f"{dirty[0]} has uncommitted changes; not touching it"
                + (f" (and {len(dirty) - 1} more)" if len(dirty) > 1 else ""),
                hint="commit or stash them first, or pass --force to edit on top of them",
            )


def _move(root: Path, old: str, new: str, in_git: bool) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    if in_git and _index_entries(root, [old]):
        git.move(old, new, cwd=root)
        if not (root / new).exists():
            raise ApplyError(f"git mv {old} {new} did not move the file")
    else:
        os.replace(root / old, root / new)


class Registry(Protocol):
    """Registry steps around the file edits (sqitch ``--allow-deployed``). Every method is
    safe to repeat: it looks at the registry first and does only what is missing."""

    @property
    def target_count(self) -> int: ...
    def record(self, root: Path) -> dict[str, Any]: ...
    def revert_target(self, index: int) -> None: ...
    def deploy_target(self, index: int) -> None: ...
    def restore_all(self) -> None: ...


@dataclass(frozen=True)
class Hotfix:
    """``recover --apply --branch``: create ``branch`` first, commit the result last."""

    branch: str
    message: str


def plan_steps(
    plan: EditPlan, *, registry: Registry | None, hotfix: Hotfix | None, validate: bool
) -> list[dict[str, Any]]:
    """The journal's steps, in the order they run."""
    targets = range(registry.target_count if registry is not None else 0)
    steps: list[dict[str, Any]] = []
    if hotfix is not None:
        steps.append({"op": "branch"})
    steps += [{"op": "registry-revert", "target": i} for i in targets]
    steps += [{"op": "edit", "path": e.path, "new": ""} for e in plan.edits]
    steps += [{"op": "rename", "from": r.old_path, "to": r.new_path} for r in plan.renames]
    if validate:
        steps.append({"op": "validate"})
    steps += [{"op": "registry-deploy", "target": i} for i in targets]
    if hotfix is not None:
        steps.append({"op": "commit"})
    return steps


def apply_plan(
    root: Path,
    plan: EditPlan,
    *,
    in_git: bool,
    force: bool = False,
    after_apply: Callable[[], None] | None = None,
    registry: Registry | None = None,
    hotfix: Hotfix | None = None,
    bounds: Sequence[ChainBound] = (),
) -> None:
    """Write every edit and rename, or none. ``after_apply`` runs after the files are written;
    if it raises, the whole plan is undone too (used to validate the result before keeping
    it). ``registry`` steps run before (revert) and after (deploy) the files; ``hotfix``
    creates a branch first and commits last. ``bounds`` is what ``after_apply`` checks, kept
    in the journal for ``renumber --continue`` to check again.

    A journal (``journal.py``) is written before the first change and kept up to date, so a
    killed run can be undone or finished; SIGINT, SIGTERM and SIGHUP roll back like an error
    and are raised again as :class:`signals.Interrupted`."""
    journal.refuse_if_pending(root, in_git)
    check_preconditions(root, plan, in_git=in_git, force=force)
    if hotfix is not None:
        _check_new_branch(root, hotfix.branch)
    journal.reset_checkpoints()
    steps = plan_steps(plan, registry=registry, hotfix=hotfix, validate=after_apply is not None)
    record: journal.Journal | None = None
    with signals.interruptible():
        try:
            record = _start(
                root, plan, steps, in_git=in_git, registry=registry, hotfix=hotfix, bounds=bounds
            )
            execute(record, root, registry=registry, validate=after_apply)
        except BaseException as exc:
            with signals.deferred():
                problems = undo(record, root, registry) if record is not None else []
                if record is not None and not problems:
                    record.remove()
            if problems:
                assert record is not None
                raise ApplyError(
                    f"applying failed ({_why(exc)}) and the rollback could not restore: "
                    + "; ".join(problems),
                    hint=f"the journal in {record.folder} is kept: fix what is named, then "
                    "`migration-guard renumber --abort` (or restore by hand, compare with "
                    "`git status`)",
                ) from exc
            if isinstance(exc, KeyboardInterrupt):
                exc.add_note("every change was rolled back")
            if isinstance(exc, GuardError | KeyboardInterrupt):
                raise
            raise ApplyError(f"applying failed and was rolled back: {exc}") from exc
        record.remove()


def _why(exc: BaseException) -> str:
    if isinstance(exc, signals.Interrupted):
        return f"interrupted by {exc.name}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return exc.message if isinstance(exc, GuardError) else str(exc)


def _check_new_branch(root: Path, branch: str) -> None:
    if git.branch_exists(branch, cwd=root):
        raise UsageError(f"branch {branch!r} already exists", hint="name a new branch")


def _start(
    root: Path,
    plan: EditPlan,
    steps: list[dict[str, Any]],
    *,
    in_git: bool,
    registry: Registry | None,
    hotfix: Hotfix | None,
    bounds: Sequence[ChainBound],
) -> journal.Journal:
    """Write the journal: the steps, every touched file as it is and as it will be, the
    index entries, the registry's undo commands. Nothing is changed yet."""
    touched = list(plan.touched_paths)
    hotfix_record = None
    if hotfix is not None:
        head = git.head_commit(cwd=root)
        original = git.current_branch(cwd=root) or head
        hotfix_record = {
            "branch": hotfix.branch,
            "original": original,
            "head": head,
            "message": hotfix.message,
        }
    record = journal.create(
        journal.location(root, in_git),
        command=journal.invocation(),
        steps=steps,
        in_git=in_git,
        index=_index_entries(root, touched) if in_git else "",
        registry=registry.record(root) if registry is not None else None,
        hotfix=hotfix_record,
    )
    try:
        originals: dict[str, str | None] = {}
        for number, path in enumerate(touched):
            target = root / path
            content = target.read_bytes() if target.is_file() else None
            originals[path] = None if content is None else record.store(str(number), content)
        record.data["originals"] = originals
        made = [e.path for e in plan.edits] + [r.new_path for r in plan.renames]
        record.data["made_folders"] = _missing_folders(root, made)
        record.data["bounds"] = [bound.to_json() for bound in bounds]
        edits = iter(plan.edits)
        for number, step in enumerate(steps):
            if step["op"] == "edit":
                edit = next(edits)
                data = edit.new_text.encode("utf-8", "surrogateescape")
                step["new"] = record.store(f"{number}.new", data)
        record.save()
    except BaseException:
        record.remove()
        raise
    return record


def _missing_folders(root: Path, paths: Sequence[str]) -> list[str]:
    """The folders of ``paths`` that do not exist yet (a created file's), deepest first:
    what a rollback removes again when they are empty."""
    missing: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if not (root / folder).exists():
                missing.add(folder)
    return sorted(missing, key=lambda f: (-f.count("/"), f))


def execute(
    record: journal.Journal,
    root: Path,
    *,
    registry: Registry | None,
    validate: Callable[[], None] | None,
) -> None:
    """Run the steps the journal has not recorded as applied (the first of them may be
    half-done: every step checks what is already there), recording each."""
    in_git = bool(record.data["in_git"])
    hotfix = record.data.get("hotfix")
    for index in range(record.applied, len(record.steps)):
        step = record.steps[index]
        journal.checkpoint()
        op = step["op"]
        if op == "edit":
            _write_bytes(root / step["path"], record.load_file(step["new"]))
        elif op == "rename":
            _move_once(root, step["from"], step["to"], in_git)
        elif op == "validate":
            if validate is not None:
                validate()
        elif op in ("registry-revert", "registry-deploy"):
            if registry is None:
                raise ApplyError("the journal has registry steps but no registry to run them")
            if op == "registry-revert":
                registry.revert_target(step["target"])
            else:
                registry.deploy_target(step["target"])
        elif op == "branch":
            assert hotfix is not None
            if git.current_branch(cwd=root) != hotfix["branch"]:
                git.create_branch(hotfix["branch"], cwd=root)
        elif op == "commit":
            assert hotfix is not None
            _commit_once(root, record, hotfix)
        else:
            raise ApplyError(f"the journal names an unknown step {op!r}")
        journal.checkpoint()
        record.mark(index + 1)
    journal.checkpoint()


def _commit_once(root: Path, record: journal.Journal, hotfix: dict[str, Any]) -> None:
    if git.head_commit(cwd=root) != hotfix["head"]:
        return  # committed already (the run was killed before the journal said so)
    touched = list(record.data["originals"])
    paths = [p for p in touched if (root / p).exists()]
    git.commit_paths(hotfix["message"], paths, touched, cwd=root)


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)  # (a created file's new folder)
    tmp = path.with_name(f".{path.name}.migration-guard.tmp")
    try:
        tmp.write_bytes(data)
        with contextlib.suppress(FileNotFoundError):  # an edited script stays executable
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _move_once(root: Path, old: str, new: str, in_git: bool) -> None:
    source = root / old
    if source.exists() or source.is_symlink():
        _move(root, old, new, in_git)
    elif not (root / new).exists():
        raise ApplyError(f"cannot rename {old} to {new}: neither exists")


def undo(record: journal.Journal, root: Path, registry: Registry | None) -> list[str]:
    """Put back everything the journal's run may have changed, newest first: the hotfix
    commit, the files and their index entries, every registry step, the hotfix branch.
    Works from what is there, not from what the journal says was applied, so a step that
    was half-done is undone too. Returns what could not be restored."""
    data = record.data
    in_git = bool(data["in_git"])
    originals: dict[str, str | None] = data["originals"]
    hotfix = data.get("hotfix")
    problems: list[str] = []
    for path in originals:
        target = root / path
        with contextlib.suppress(OSError):
            target.with_name(f".{target.name}.migration-guard.tmp").unlink(missing_ok=True)
    if hotfix is not None and in_git:
        on_branch = git.current_branch(cwd=root) == hotfix["branch"]
        head = git.head_commit(cwd=root)
        if on_branch and head != hotfix["head"]:
            git.reset_soft(hotfix["head"], cwd=root)
    for step in reversed(data["steps"]):  # renames back first: a file keeps its mode
        if step["op"] == "rename" and not (root / step["from"]).exists():
            with contextlib.suppress(OSError):
                if (root / step["to"]).exists():
                    os.replace(root / step["to"], root / step["from"])
    files = {
        path: (record.load_file(rel) if rel is not None else None)
        for path, rel in originals.items()
    }
    problems += _restore_snapshot(root, _Snapshot(files, data["index"]), list(files), in_git)
    for folder in data.get("made_folders", []):  # (journals of earlier runs have none)
        with contextlib.suppress(OSError):
            (root / folder).rmdir()  # only when empty
    if registry is not None:
        try:
            registry.restore_all()
        except GuardError as exc:
            problems.append(exc.message + (f" ({exc.hint})" if exc.hint else ""))
    if hotfix is not None and in_git:
        if git.current_branch(cwd=root) == hotfix["branch"]:
            git.checkout_quietly(hotfix["original"], cwd=root)
        if git.current_branch(cwd=root) != hotfix["branch"]:
            git.delete_branch(hotfix["branch"], cwd=root)
        else:
            problems.append(f"still on branch {hotfix['branch']}")
    return problems


def _restore(root: Path, path: str, content: bytes | None) -> None:
    target = root / path
    if content is None:
        if target.exists():
            target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _restore_snapshot(root: Path, before: _Snapshot, touched: list[str], in_git: bool) -> list[str]:
    """Every touched file's bytes and index entry as in ``before``; returns what is not."""
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
    git.restore_index_entries(paths, entries, cwd=root)
