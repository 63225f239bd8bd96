"""Migration numbers: reading them from names, formatting them, finding the next free ones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LEADING = re.compile(r"^(\d+)")


def leading_number(name: str) -> tuple[int, str] | None:
    """``("0193", 193)`` style: the leading digits of a file or change name, if any."""
    match = _LEADING.match(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(1)


def format_number(number: int, width: int) -> str:
    return str(number).zfill(width)


@dataclass(frozen=True)
class NextNumbers:
    numbers: tuple[str, ...]
    widened: bool  # a number needed more digits than the chain's width

    @property
    def warning(self) -> str | None:
        if not self.widened:
            return None
        return (
            f"the next number {self.numbers[-1]} is wider than the chain's width; "
            "raise `width` in the configuration and check that file names still sort"
        )


def next_free(highest: int, taken: Iterable[int], *, width: int, count: int = 1) -> NextNumbers:
    """The ``count`` smallest numbers above ``highest`` that nobody has taken."""
    blocked = set(taken)
    found: list[int] = []
    candidate = highest + 1
    while len(found) < count:
        if candidate not in blocked:
            found.append(candidate)
        candidate += 1
    texts = tuple(format_number(n, width) for n in found)
    return NextNumbers(numbers=texts, widened=any(len(t) > width for t in texts))
