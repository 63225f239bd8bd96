"""Migration numbers: reading them from names, a chain's numbering mode, the next free ones."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from migration_guard.model import NumberingMode

_LEADING = re.compile(r"^(\d+)")
_ID_NUMBER = re.compile(r"[0-9]+(?![0-9A-Za-z])")  # "0193" of "0193" or "0193_add_x"
# A name that starts with a calendar date: 2024_01_15_..., 2024-01-15..., 20240115103000_...
_DATE = re.compile(r"(?:19|20)[0-9]{2}([-_.]?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12][0-9]|3[01])")
# Longer all-digit prefixes are ids or timestamps, not sequence numbers (an all-digit hex
# revision id such as 686269002441 has 12).
MAX_SEQUENTIAL_WIDTH = 8


class Numbering(NamedTuple):
    """A chain's numbering as detected from its names (or configured)."""

    mode: NumberingMode
    width: int  # digits of a sequence number (sequential); the configured default otherwise

    def number_of(self, prefix: str | None) -> int | None:
        """The sequence number a name's prefix stands for, or None (not sequential, no prefix,
        or a prefix too long to be one: an all-digit hex id such as 686269002441). A shorter
        prefix is the number written with too few digits (``03`` in a chain of ``0003``)."""
        if self.mode is not NumberingMode.SEQUENTIAL or prefix is None:
            return None
        if len(prefix) <= self.width or (len(prefix) == self.width + 1 and prefix[0] != "0"):
            return int(prefix)  # width + 1: the chain outgrew its width (9999 -> 10000)
        if self.width == 1 and len(prefix) <= MAX_SEQUENTIAL_WIDTH and prefix[0] != "0":
            return int(prefix)  # unpadded numbers (1, 2, ..., 10)
        return None

    def id_number(self, identifier: str) -> tuple[int, str] | None:
        """(number, its text) a numbered id stands for (``revision = "0193"``), or None. A
        migration whose file name carries no number still claims the number its id does:
        another ``0193`` collides with it once both merge."""
        match = _ID_NUMBER.match(identifier)
        if match is None:
            return None
        number = self.number_of(match.group())
        return None if number is None else (number, match.group())


def detect_numbering(
    names: Sequence[str],
    prefixes: Sequence[str | None],
    *,
    configured_mode: NumberingMode | None = None,
    configured_width: int | None = None,
    default_width: int = 4,
) -> Numbering:
    """The numbering mode and width of a chain from its migrations' names.

    ``prefixes`` holds each name's number prefix as the chain kind reads it (None for none).
    A chain is ``date`` when at least half its names start with a calendar date; else
    ``sequential`` when at least half carry a number prefix of one width (at most
    ``MAX_SEQUENTIAL_WIDTH`` digits) and those numbers are mostly distinct (at most two, or
    a fifth, repeat); else ``none``.
    So a few all-digit hex ids never make a hex chain numbered, and a merged collision (one
    duplicated number) never makes a numbered chain unnumbered. An empty chain is
    ``sequential``: nothing contradicts it, and its first number can be handed out.
    The configuration overrides the mode and the width.
    """
    mode = configured_mode or _detect_mode(names, prefixes)
    width = configured_width or (
        _detect_width(prefixes) if mode is NumberingMode.SEQUENTIAL else None
    )
    return Numbering(mode, width or default_width)


def _detect_mode(names: Sequence[str], prefixes: Sequence[str | None]) -> NumberingMode:
    if not names:
        return NumberingMode.SEQUENTIAL
    half = len(names) / 2
    if sum(1 for n in names if _DATE.match(n)) >= half:
        return NumberingMode.DATE
    width = _detect_width(prefixes)
    if width is None:
        return NumberingMode.NONE
    numbering = Numbering(NumberingMode.SEQUENTIAL, width)
    numbers = [n for p in prefixes if (n := numbering.number_of(p)) is not None]
    duplicates = len(numbers) - len(set(numbers))
    if len(numbers) < half or duplicates > max(2, len(numbers) // 5):
        return NumberingMode.NONE  # e.g. year-only prefixes: 2024_a, 2024_b, 2024_c, ...
    return NumberingMode.SEQUENTIAL


def _detect_width(prefixes: Sequence[str | None]) -> int | None:
    """The width most number prefixes have (1 for unpadded numbers), or None."""
    present = [p for p in prefixes if p is not None and len(p) <= MAX_SEQUENTIAL_WIDTH]
    if not present:
        return None
    if not any(len(p) > 1 and p[0] == "0" for p in present) and len({len(p) for p in present}) > 1:
        return 1  # no zero padding and several widths: plain 1, 2, ..., 10, 11
    counts = Counter(len(p) for p in present)
    best = max(counts.values())
    return min(w for w, n in counts.items() if n == best)


def leading_number(name: str) -> tuple[int, str] | None:
    """``("0193", 193)`` style: the leading digits of a file or change name, if any."""
    match = _LEADING.match(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(1)


def format_number(number: int, width: int) -> str:
    return str(number).zfill(width)


class NextNumbers(NamedTuple):
    numbers: tuple[str, ...]
    width: int  # the chain's width the numbers were formatted to

    @property
    def widened(self) -> bool:
        """Any number, not only the first: a block of moves can cross 99 -> 100 midway."""
        return any(len(text) > self.width for text in self.numbers)

    @property
    def warning(self) -> str | None:
        wider = next((text for text in self.numbers if len(text) > self.width), None)
        if wider is None:
            return None
        return (
            f"the next number {wider} is wider than the chain's width; "
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
    return NextNumbers(numbers=tuple(format_number(n, width) for n in found), width=width)


# Numbers of any width count (a chain whose numbering is not known yet).
ANY_NUMBER = Numbering(NumberingMode.SEQUENTIAL, MAX_SEQUENTIAL_WIDTH)
