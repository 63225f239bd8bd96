"""Run one of the gate's child processes under a deadline per step.

A migration can hang (a ``time.sleep``, a lock that is never released, a query that never
ends); the gate must not. The child runs in its own process group, so that whatever it starts
(``psql``, ``sqlite3``, a migration's own subprocess) goes with it. It may report progress by
appending JSON lines to a file: every line is a new step, and the deadline starts again. When
a step outlives the deadline, the child is first asked (``dump_signal``) to write where it is
(Alembic's runner dumps its Python stack with :mod:`faulthandler`), then the whole group is
killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 600.0
_POLL = 0.05
_DUMP_WAIT = 3.0  # how long a hung child may take to write where it is


@dataclass(frozen=True)
class Watched:
    """How a child ended. ``timed_out``: killed at the deadline (``returncode`` is then the
    kill's). ``events``: the progress lines it wrote; ``dump``: what it wrote when asked."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    events: tuple[dict[str, Any], ...] = field(default=())
    dump: str = ""


def _read_events(path: Path | None) -> tuple[dict[str, Any], ...]:
    if path is None:
        return ()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    events = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return tuple(events)


def _size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
    progress: Path | None = None,
    dump: Path | None = None,
    dump_signal: int | None = None,
) -> Watched:
    """Run ``argv`` to its end, or until one step outlives ``timeout`` seconds (None or 0:
    no deadline). ``progress``: the file the child appends a JSON line to at each step."""
    with tempfile.TemporaryDirectory(prefix="migration-guard-child-") as tmp:
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            timed_out = False
            try:
                timed_out = _wait(proc, timeout, progress)
                if timed_out:
                    if dump_signal is not None and dump is not None:
                        _ask_for_dump(proc, dump, dump_signal)
                    _kill_group(proc)
            finally:
                if proc.returncode is None:  # interrupted while waiting: take it down too
                    _kill_group(proc)
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
    text = ""
    if dump is not None:
        with contextlib.suppress(OSError):
            text = dump.read_text(encoding="utf-8", errors="replace")
    return Watched(
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        events=_read_events(progress),
        dump=text,
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float | None, progress: Path | None) -> bool:
    """Wait for ``proc``; True when a step outlived ``timeout``."""
    if not timeout:
        proc.wait()
        return False
    seen = _size(progress)
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(timeout=_POLL)
            return False
        except subprocess.TimeoutExpired:
            pass
        size = _size(progress)
        now = time.monotonic()
        if size != seen:  # a new step: its own deadline
            seen, deadline = size, now + timeout
        elif now >= deadline:
            return True


def _ask_for_dump(proc: subprocess.Popen[bytes], dump: Path, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signum)
    end = time.monotonic() + _DUMP_WAIT
    size = -1
    while time.monotonic() < end and proc.poll() is None:
        now = _size(dump)
        if now and now == size:
            return  # written, and no longer growing
        size = now
        time.sleep(0.1)
