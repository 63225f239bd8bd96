"""The write journal: what a writing command is about to do, kept until it is done or undone.

Like git's own ``rebase-merge/``, it lives under the git directory
(``git rev-parse --git-path migration-guard``; outside git, ``.migration-guard-journal`` in
the folder): ``journal.json`` plus ``files/`` with a copy of every file as it was and as it
will be. It is written (temp file, fsync, rename) before the first change and again after
every step, and removed when the run completes or rolls back fully. A run killed in between
(SIGKILL, power loss) leaves it, and every writing command refuses to start until
``migration-guard renumber --abort`` or ``--continue`` resolves it.

``journal.json`` (version 1)::

    {"version": 1, "command": ["renumber", "07-job-priority", "--to", "08"],
     "started": "2026-12-05T17:03:11Z", "pid": 1234, "in_git": true,
     "steps": [{"op": "registry-revert", "target": 0}, {"op": "edit", "path": P,
               "new": "files/0.new"}, {"op": "rename", "from": A, "to": B},
               {"op": "validate"}, {"op": "registry-deploy", "target": 0}, ...],
     "applied": 3,                # steps 0..applied-1 are done; step `applied` may be half-done
     "originals": {P: "files/0" | null},   # every touched path's bytes before (null: absent)
     "index": "...",              # `git ls-files -s -z` of the touched paths before
     "bounds": [{"chain": C, "errors": N, "heads": M, "undecided_ok": false}],
                                  # what the validation step checks (chain_bounds.py)
     "registry": {...} | null,    # sqitch: targets, change IDs before, undo commands
     "hotfix": {...} | null}      # recover --branch: branch, where it started, commit message

A test hook (``MIGRATION_GUARD_TEST_INTERRUPT=N:SIGNAL``) sends the process SIGNAL at step
boundary N: 2i before step i, 2i+1 after step i's action and before the journal records it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migration_guard import git
from migration_guard.errors import InputError

VERSION = 1
TEST_HOOK = "MIGRATION_GUARD_TEST_INTERRUPT"
_NON_GIT_DIR = ".migration-guard-journal"


class PendingJournalError(InputError):
    """A journal of an interrupted run is left: nothing is written until it is resolved."""


def location(root: Path, in_git: bool) -> Path:
    """The journal folder of the repository at ``root`` (it need not exist)."""
    if not in_git:
        return root / _NON_GIT_DIR
    path = git.git_path("migration-guard", cwd=root)
    return path if path.is_absolute() else root / path


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new bytes."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)


@dataclass
class Journal:
    folder: Path
    data: dict[str, Any]

    @property
    def file(self) -> Path:
        return self.folder / "journal.json"

    @property
    def steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = self.data["steps"]
        return steps

    @property
    def applied(self) -> int:
        return int(self.data["applied"])

    def save(self) -> None:
        write_atomic(self.file, json.dumps(self.data, indent=1).encode())

    def mark(self, applied: int) -> None:
        self.data["applied"] = applied
        self.save()

    def store(self, name: str, content: bytes) -> str:
        """Keep ``content`` as ``files/NAME``; returns the name to record."""
        rel = f"files/{name}"
        write_atomic(self.folder / rel, content)
        return rel

    def load_file(self, rel: str) -> bytes:
        return (self.folder / rel).read_bytes()

    def remove(self) -> None:
        # The journal file first: a folder without it is no journal.
        with contextlib.suppress(FileNotFoundError):
            self.file.unlink()
        _fsync_dir(self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- for people

    def describe(self) -> str:
        """``renumber 07-job-priority --to 08`` (started ..., pid N): what it did so far."""
        command = " ".join(["migration-guard", *self.data.get("command", [])])
        started = self.data.get("started", "?")
        pid = self.data.get("pid")
        alive = " (still running?)" if isinstance(pid, int) and _alive(pid) else ""
        done = [step_text(s, self.data) for s in self.steps[: self.applied]]
        summary = f"{self.applied} of {len(self.steps)} steps applied"
        if done:
            summary += ": " + "; ".join(done)
        if self.applied < len(self.steps):
            summary += (
                f"; next (perhaps half-done): {step_text(self.steps[self.applied], self.data)}"
            )
        return f"`{command}` (started {started}, pid {pid}{alive}): {summary}"


def step_text(step: dict[str, Any], data: dict[str, Any]) -> str:
    op = step["op"]
    if op == "edit":
        return f"edit {step['path']}"
    if op == "rename":
        return f"rename {step['from']} -> {step['to']}"
    if op in ("registry-revert", "registry-deploy"):
        target = data["registry"]["targets"][step["target"]]["label"]
        action = "revert" if op == "registry-revert" else "deploy"
        return f"sqitch {action} --log-only on {target}"
    if op == "branch":
        return f"create branch {data['hotfix']['branch']}"
    if op == "commit":
        return "commit the hotfix"
    return "validate the chain"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def create(
    folder: Path,
    *,
    command: Sequence[str],
    steps: list[dict[str, Any]],
    in_git: bool,
    index: str,
    registry: dict[str, Any] | None,
    hotfix: dict[str, Any] | None,
) -> Journal:
    """Start a journal (the folder must not hold one). Files are added with ``store``; the
    caller saves it before the first change."""
    if (folder / "journal.json").exists():
        raise PendingJournalError(f"{folder} already holds a journal")
    shutil.rmtree(folder, ignore_errors=True)  # leftovers of a journal removed half-way
    (folder / "files").mkdir(parents=True)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    data: dict[str, Any] = {
        "version": VERSION,
        "command": list(command),
        "started": started,
        "pid": os.getpid(),
        "in_git": in_git,
        "steps": steps,
        "applied": 0,
        "originals": {},
        "index": index,
        "registry": registry,
        "hotfix": hotfix,
    }
    return Journal(folder, data)


def load(root: Path, in_git: bool) -> Journal | None:
    folder = location(root, in_git)
    try:
        raw = (folder / "journal.json").read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read the journal {folder / 'journal.json'}: {exc}") from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _unusable(folder, f"is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise InputError(
            f"the journal {folder / 'journal.json'} was written by another version of "
            "migration-guard",
            hint="resolve it with that version, or restore the files with git and remove "
            f"{folder} by hand",
        )
    problem = _damage(data)
    if problem is not None:
        raise _unusable(folder, f"is damaged: {problem}")
    return Journal(folder, data)


def _unusable(folder: Path, why: str) -> InputError:
    """A journal no version can resolve: only the user, with git, can."""
    return InputError(
        f"the journal {folder / 'journal.json'} {why}",
        hint=f"restore the files with git (git status, git restore) and remove {folder} by hand",
    )


_STEP_FIELDS = {
    "edit": ("path", "new"),
    "rename": ("from", "to"),
    "registry-revert": ("target",),
    "registry-deploy": ("target",),
    "branch": (),
    "commit": (),
    "validate": (),
}
_TOP_TYPES = {  # the journal's fields, in JSON's words
    "steps": (list, "a list"),
    "applied": (int, "a number"),
    "in_git": (bool, "true or false"),
    "originals": (dict, "an object"),
    "index": (str, "a string"),
}


def _damage(data: dict[str, Any]) -> str | None:
    """What a hand-edited or truncated journal lacks, before anything reads it (then
    ``describe`` and ``undo`` may index it freely)."""
    for key, (kind, words) in _TOP_TYPES.items():
        value = data.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{key!r} is missing or not {words}"
    hotfix = data.get("hotfix")
    if hotfix is not None and not (
        isinstance(hotfix, dict)
        and all(
            isinstance(hotfix.get(key), str) for key in ("branch", "original", "head", "message")
        )
    ):
        return "'hotfix' does not name its branch, the branch it left and the start commit"
    registry = data.get("registry")
    targets = registry.get("targets") if isinstance(registry, dict) else None
    targets = targets if isinstance(targets, list) else []
    for number, step in enumerate(data["steps"], 1):
        fields = _STEP_FIELDS.get(str(step.get("op"))) if isinstance(step, dict) else None
        if fields is None or any(field not in step for field in fields):
            return f"step {number} is not one this version writes"
        if "target" in fields and not (
            isinstance(step["target"], int) and 0 <= step["target"] < len(targets)
        ):
            return f"step {number} names a registry target the journal does not record"
        if step["op"] in ("branch", "commit") and hotfix is None:
            return f"step {number} needs the hotfix branch the journal does not record"
    return None


def refuse_if_pending(root: Path, in_git: bool) -> None:
    """Every writing command calls this first."""
    journal = load(root, in_git)
    if journal is None:
        return
    raise PendingJournalError(
        f"an interrupted run left a journal in {journal.folder}: {journal.describe()}",
        hint="undo what it applied (files, git index and sqitch registry) with "
        "`migration-guard renumber --abort`, or finish it with `migration-guard renumber "
        "--continue`",
    )


_boundary = 0


def checkpoint() -> None:
    """The test hook: at boundary N of ``MIGRATION_GUARD_TEST_INTERRUPT=N:SIGNAL``, send
    the process SIGNAL (KILL, TERM, HUP, INT). Does nothing without the variable."""
    global _boundary
    here = _boundary
    _boundary += 1
    wanted = os.environ.get(TEST_HOOK)
    if not wanted:
        return
    number, _, name = wanted.partition(":")
    if int(number) == here:
        os.kill(os.getpid(), signal.Signals[f"SIG{name or 'KILL'}"])


def reset_checkpoints() -> None:
    global _boundary
    _boundary = 0


_invocation: list[str] = []


def set_invocation(argv: Sequence[str]) -> None:
    """The command line, as the journal names the run (set by the CLI)."""
    _invocation[:] = list(argv)


def invocation() -> list[str]:
    return list(_invocation)
