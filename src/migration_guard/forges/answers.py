"""Type checks on a forge's JSON answers: a wrong shape is a ForgeError naming the forge."""

from __future__ import annotations

from typing import Any

from migration_guard.errors import ForgeError


class Answers:
    """``Answers("GitHub").dict(value, "pull request")`` — the value, or a clear ForgeError."""

    def __init__(self, forge: str) -> None:
        self.forge = forge

    def _fail(self, what: str) -> ForgeError:
        return ForgeError(f"{self.forge} answered without a valid {what}")

    def dict(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self._fail(what)
        return value

    def list(self, value: Any, what: str) -> list[Any]:
        if not isinstance(value, list):
            raise self._fail(what)
        return value

    def int(self, value: Any, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(what)
        return value

    def str(self, value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise self._fail(what)
        return value
