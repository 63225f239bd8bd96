"""``--open-prs FILE``: open pull requests from the JSON that ``gh pr list`` prints.

    gh pr list --state open --limit 1000 \
        --json number,files,baseRefName,headRefName,isDraft > prs.json

Accepted: a JSON array of objects with ``number`` (int) and ``files`` (objects with ``path``,
or plain path strings); optional ``baseRefName``, ``headRefName``, ``headRefOid``, ``isDraft``,
``title``, ``url``. ``FILE`` may be ``-`` for standard input.

* PRs whose ``baseRefName`` differs from the base are left out; PRs without ``baseRefName``
  are kept (a claim too many is safer than one too few).
* ``gh`` does not say how a file changed, so every file has status ``unknown``.
* ``gh`` silently stops at 100 files per PR and, by default, at 30 PRs: a PR listing exactly
  100 files, or a file with exactly 30 PRs, makes the result incomplete (it may be cut short).
* An unreadable file or an unexpected shape is an ``InputError`` (exit 2). Reading other
  PRs' files and posting comments are not possible from a file (``UsageError``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from migration_guard.errors import InputError, UsageError
from migration_guard.forges.base import ChangedFile, CommentResult, OpenChange, OpenChanges

GH_FILES_LIMIT = 100
GH_DEFAULT_PR_LIMIT = 30
_HINT = (
    "Produce it with: gh pr list --state open --limit 1000 "
    "--json number,files,baseRefName,headRefName,isDraft"
)


class GhJsonForge:
    name = "gh-json"
    supports_read_files = False
    supports_comments = False

    def __init__(self, prs: Sequence[dict[str, Any]], *, source: str = "<json>") -> None:
        self.source = source
        self._prs = [_validate(pr, i, source) for i, pr in enumerate(prs)]

    @classmethod
    def from_file(cls, path: Path) -> GhJsonForge:
        source = "standard input" if str(path) == "-" else str(path)
        try:
            raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read --open-prs file {source}: {exc.strerror}") from None
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InputError(f"{source} is not UTF-8 text", hint=_HINT) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                hint=_HINT,
            ) from None
        except RecursionError:
            raise InputError(
                f"{source} nests its JSON too deeply to be a list of pull requests", hint=_HINT
            ) from None
        if not isinstance(data, list):
            raise InputError(
                f"{source}: expected a JSON array of pull requests, found {_kind(data)}",
                hint=_HINT,
            )
        return cls(data, source=source)

    def __repr__(self) -> str:
        return f"GhJsonForge(source={self.source!r}, prs={len(self._prs)})"

    def open_changes(self, base_ref: str) -> OpenChanges:
        changes = []
        problems = []
        if len(self._prs) == GH_DEFAULT_PR_LIMIT:
            problems.append(
                f"{self.source} lists exactly {GH_DEFAULT_PR_LIMIT} pull requests, the default "
                "--limit of gh pr list: there may be more (re-run gh with --limit 1000)"
            )
        for pr in self._prs:
            base = pr.get("baseRefName")
            if base is not None and base != base_ref:
                continue
            files = tuple(ChangedFile(p, "unknown") for p in pr["files"])
            if len(files) == GH_FILES_LIMIT:
                problems.append(
                    f"PR #{pr['number']} lists exactly {GH_FILES_LIMIT} files: gh cuts file "
                    "lists at 100, so it may touch more"
                )
            changes.append(
                OpenChange(
                    number=pr["number"],
                    ref=str(pr.get("headRefName") or ""),
                    base_ref=base_ref,
                    head_sha=pr.get("headRefOid"),
                    draft=bool(pr.get("isDraft")),
                    files=files,
                    title=str(pr.get("title") or ""),
                    url=str(pr.get("url") or ""),
                )
            )
        changes.sort(key=lambda c: c.number or 0)
        return OpenChanges(self.name, tuple(changes), not problems, tuple(problems), 0)

    def read_files(self, change: OpenChange, paths: Sequence[str]) -> dict[str, bytes | None]:
        raise UsageError(
            f"cannot read files of PR #{change.number} from {self.source}",
            hint="Use --provider github (with GITHUB_TOKEN) to read other pull requests' files.",
        )

    def read_files_batch(
        self, requests: Sequence[tuple[OpenChange, Sequence[str]]]
    ) -> list[dict[str, bytes | None]]:
        if not requests:
            return []
        return [self.read_files(requests[0][0], requests[0][1])]  # raises: no contents here

    def upsert_comment(
        self, number: int, marker: str, body: str, *, create: bool = True
    ) -> CommentResult:
        raise UsageError(
            "cannot post a comment with --open-prs: a file has no forge to post to",
            hint="Use --provider github or --provider gitlab with a token to post comments.",
        )


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "a value"


def _validate(pr: Any, index: int, source: str) -> dict[str, Any]:
    where = f"{source}: pull request {index + 1}"
    if not isinstance(pr, dict):
        raise InputError(f"{where} is {_kind(pr)}, not an object", hint=_HINT)
    number = pr.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise InputError(f"{where} has no integer 'number'", hint=_HINT)
    where = f"{source}: PR #{number}"
    if "files" not in pr:
        raise InputError(f"{where} has no 'files' (add files to gh's --json list)", hint=_HINT)
    files = pr["files"]
    if not isinstance(files, list):
        raise InputError(f"{where}: 'files' is {_kind(files)}, not an array", hint=_HINT)
    paths = []
    for item in files:
        path = item.get("path") if isinstance(item, dict) else item
        if not isinstance(path, str) or not path:
            raise InputError(f"{where}: a file is neither a path nor an object with 'path'")
        paths.append(path)
    clean: dict[str, Any] = {"number": number, "files": paths}
    for key in ("baseRefName", "headRefName", "headRefOid", "title", "url"):
        value = pr.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: '{key}' is {_kind(value)}, not a string")
        if value is not None:
            clean[key] = value
    draft = pr.get("isDraft")
    if draft is not None and not isinstance(draft, bool):
        raise InputError(f"{where}: 'isDraft' is not true/false")
    clean["isDraft"] = bool(draft)
    return clean
