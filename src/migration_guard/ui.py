"""How much the text output says, and whether it is coloured: one object, passed to commands.

``--quiet`` keeps what needs attention (findings, warnings, errors, the FAIL or COULD NOT
DECIDE verdict) and the answer a command exists to print (``next``'s numbers, ``chains``'
table, a dry run's diff); lines that only confirm that something is fine are left out. The
exit code does not change. ``--verbose`` adds what was read (chains, files, open changes,
timings) on stderr, so stdout stays what it is without it. Machine formats (json, markdown,
github, gitlab, junit) are never filtered and never coloured.

Colour (text output only, decided per stream): ``NO_COLOR`` set and non-empty: never (it wins
over everything, as in CPython); else ``FORCE_COLOR`` set, non-empty and not ``0``: always;
else only when the stream is a terminal and ``TERM`` is not ``dumb``.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping
from typing import TextIO

QUIET, NORMAL, VERBOSE = -1, 0, 1

GREEN, RED, YELLOW, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"

# The verdict words, as the renderers write them (upper case, whole words), and the prefixes
# of errors and warnings. A file name only gets a colour if it is one of these words exactly.
_WORDS = re.compile(
    r"\b(?P<bad>FAIL|COLLISION|FORK|EDITED|CANNOT REPAIR)\b"
    r"|\b(?P<unsure>COULD NOT DECIDE|UNDECIDED)\b"
    r"|(?<![\w-])(?P<ok>OK)\b"
    r"|(?P<error>\berror:)"
    r"|(?P<warning>\bwarning:)"
)
_COLOURS = {"bad": RED, "error": RED, "unsure": YELLOW, "warning": YELLOW, "ok": GREEN}


def wants_colour(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Whether text written to ``stream`` gets ANSI colours (no-color.org, force-color.org)."""
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR") and env["FORCE_COLOR"] != "0":
        return True
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: no colour
        return False


def paint(text: str) -> str:
    """``text`` with its verdict words coloured: OK green, FAIL/COLLISION/error red,
    warnings and COULD NOT DECIDE yellow."""

    def colour(match: re.Match[str]) -> str:
        assert match.lastgroup is not None
        return f"{_COLOURS[match.lastgroup]}{match.group()}{RESET}"

    return _WORDS.sub(colour, text)


class Ui:
    """Verbosity and colour of one run. The default (normal, no colour) is what every
    command did before these options existed."""

    def __init__(
        self, verbosity: int = NORMAL, *, colour: bool = False, err: TextIO | None = None
    ) -> None:
        self.verbosity = verbosity
        self.colour = colour
        self._err = err
        self._started = time.monotonic()

    @property
    def quiet(self) -> bool:
        return self.verbosity <= QUIET

    @property
    def verbose(self) -> bool:
        return self.verbosity >= VERBOSE

    def show(self, text: str, out: TextIO, *, flush: bool = False) -> None:
        """Print text output (nothing at all for an empty text under --quiet)."""
        if self.quiet and not text:
            return
        print(paint(text) if self.colour else text, file=out, flush=flush)

    def note(self, message: str) -> None:
        """With --verbose: one line on stderr about what was read or done."""
        if self.verbose:
            err = self._err if self._err is not None else sys.stderr
            print(f"migration-guard: {message}", file=err)

    def elapsed(self) -> str:
        return f"{time.monotonic() - self._started:.2f} s"


DEFAULT = Ui()
