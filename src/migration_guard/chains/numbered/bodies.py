"""What goose and dbmate require inside a SQL migration before they run it (checked on the
text, never executed). Each check returns why the framework would refuse the file, or None."""

from __future__ import annotations

import re

_GOOSE_UP = re.compile(r"^--\s*\+goose\s+up\b", re.IGNORECASE | re.MULTILINE)
# dbmate 2.x: the marker starts its line, is lower case, and may carry options after a space
# ("-- migrate:up transaction:false"); "  -- migrate:up" and "-- migrate:upx" are no markers.
_DBMATE_UP = re.compile(r"^--\s*migrate:up(?:[ \t]+\S.*)?[ \t]*\r?$", re.MULTILINE)
_DBMATE_DOWN = re.compile(r"^--\s*migrate:down(?:[ \t]+\S.*)?[ \t]*\r?$", re.MULTILINE)


def goose_problem(text: str) -> str | None:
    if _GOOSE_UP.search(text) is None:
        return "has no '-- +goose Up' annotation (goose cannot parse it and stops)"
    return None


def dbmate_problem(text: str) -> str | None:
    up = _DBMATE_UP.search(text)
    if up is None:
        return "has no '-- migrate:up' line (dbmate refuses to apply it)"
    down = _DBMATE_DOWN.search(text)
    if down is None:
        return (
            "has no '-- migrate:down' line (dbmate refuses to apply it; the section may be empty)"
        )
    if down.start() < up.start():
        return "has '-- migrate:down' before '-- migrate:up' (dbmate refuses to apply it)"
    for line in text[: up.start()].splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return (
                "has a statement before '-- migrate:up' (dbmate does not support statements "
                "preceding the up block)"
            )
    return None


def has_goose_marker(text: str) -> bool:
    return _GOOSE_UP.search(text) is not None


def has_dbmate_marker(text: str) -> bool:
    return _DBMATE_UP.search(text) is not None
