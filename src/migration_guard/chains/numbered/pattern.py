"""A chain's file name pattern (``{number}_{slug}.up.sql``) compiled into a regex, once.

``{number}`` is the version and ``{slug}`` the description; everything else is literal. A
pattern with ``.up.`` also matches the ``.down.`` file of the same migration (its companion).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from migration_guard.errors import ConfigError

NUMBER = "{number}"
SLUG = "{slug}"
_UP = ".up."


class NameMatch(NamedTuple):
    """One file name read by a pattern."""

    number: str  # the version exactly as written (``0007``, ``1.10.0``, ``1_1``)
    slug: str
    primary: bool  # the file that stands for the migration (not a ``.down.``/undo companion)
    start: int  # where the version text starts in the name (a rename replaces that span)
    end: int  # where the slug ends: ``name[:end]`` is the migration's name (no direction)


class FilePattern(NamedTuple):
    text: str
    regex: re.Pattern[str]
    primary: bool  # False: every file it matches is a companion (flyway's ``U`` undo files)
    prefix: str  # the literal text before ``{number}`` (``V`` for flyway)
    suffix: str  # the last extension (``.sql``)

    def match(self, name: str) -> NameMatch | None:
        found = self.regex.fullmatch(name)
        if found is None:
            return None
        direction = found.groupdict().get("direction")
        return NameMatch(
            found.group("number"),
            found.group("slug"),
            self.primary and direction != "down",
            found.start("number"),
            found.end("slug"),
        )

    def primary_name(self, number: str, slug: str) -> str:
        """The primary file name of a migration (what ``new`` would write)."""
        return self.text.replace(NUMBER, number).replace(SLUG, slug)


def check_pattern(text: str) -> str | None:
    """Why ``text`` cannot be a file name pattern, or None."""
    if text.count(NUMBER) != 1 or text.count(SLUG) != 1:
        return f"pattern {text!r} must contain {NUMBER} and {SLUG} exactly once each"
    if "/" in text:
        return f"pattern {text!r} names a file, not a path: leave out the '/'"
    if text.index(NUMBER) > text.index(SLUG):
        return f"pattern {text!r} must put {NUMBER} before {SLUG}"
    rest = text.replace(NUMBER, "").replace(SLUG, "")
    if "{" in rest or "}" in rest:
        return f"pattern {text!r} has a placeholder other than {NUMBER} and {SLUG}"
    if not text.split(SLUG, 1)[1]:
        return f"pattern {text!r} must end with the file's extension (e.g. {SLUG}.sql)"
    return None


def compile_pattern(
    text: str, *, number_re: str = "[0-9]+", slug_re: str = ".+", primary: bool = True
) -> FilePattern:
    """``text`` as a regex; a bad pattern is a ConfigError with a sentence."""
    problem = check_pattern(text)
    if problem is not None:
        raise ConfigError(problem, hint='e.g. pattern = "{number}_{slug}.sql"')
    head, tail = text.split(NUMBER, 1)
    middle, end = tail.split(SLUG, 1)
    if _UP in end:
        before, after = end.split(_UP, 1)
        end_re = re.escape(before) + r"\.(?P<direction>up|down)\." + re.escape(after)
    else:
        end_re = re.escape(end)
    regex = re.compile(
        f"{re.escape(head)}(?P<number>{number_re}){re.escape(middle)}(?P<slug>{slug_re}){end_re}"
    )
    suffix = "." + end.rsplit(".", 1)[1] if "." in end else end
    return FilePattern(text, regex, primary, head, suffix)
