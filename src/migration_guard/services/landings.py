"""When each migration landed on a branch: what ``recover`` orders a merged collision by
(the side that landed first keeps its number)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from migration_guard import git
from migration_guard.recovery import Landing, pr_from_message


def file_landings(root: Path, rev: str, paths: Sequence[str]) -> dict[str, Landing]:
    """For each file under ``paths``: the first-parent commit of ``rev`` that added it."""
    landed = git.first_parent_additions(rev, paths, cwd=root)
    result: dict[str, Landing] = {}
    total = len(landed)
    for index, entry in enumerate(landed):
        subject = entry.message.strip().split("\n")[0]
        landing = Landing(
            entry.commit,
            entry.timestamp,
            subject,
            total - 1 - index,
            pr_from_message(entry.message),
        )
        for path in entry.files:
            result.setdefault(path, landing)  # newest first: keep the latest addition
    return result
