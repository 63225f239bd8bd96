"""SIGINT, SIGTERM and SIGHUP during a write: roll back, then exit 128 + the signal number.

A cancelled CI job, ``timeout`` and ``kill`` send SIGTERM; a closed terminal sends SIGHUP.
While a writing command runs (:func:`interruptible`), each of them raises :class:`Interrupted`
(a ``KeyboardInterrupt``, so code that already undoes its work on Ctrl-C does so for all
three). While the work is being undone (:func:`deferred`), a further signal is only
remembered: a second Ctrl-C must not stop a rollback half-way.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_deferring = 0
_pending: list[int] = []


class Interrupted(KeyboardInterrupt):
    """A handled signal arrived; ``exit_code`` is 128 + its number (130, 143, 129)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _handler(signum: int, frame: FrameType | None) -> None:
    if _deferring:
        _pending.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handler) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred() -> Iterator[list[int]]:
    """Hold handled signals back (undoing must finish); yields the ones that arrived."""
    global _deferring
    _deferring += 1
    start = len(_pending)
    try:
        yield _pending
    finally:
        _deferring -= 1
        if not _deferring:
            del _pending[start:]
