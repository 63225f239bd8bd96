"""The contract between ``check``/``next`` and the places that know about other open changes.

A *provider* (``github``, ``gitlab``, ``gh-json``, ``git``) satisfies the ``Forge`` protocol:

``open_changes(base_ref) -> OpenChanges``
    Every open change (pull request, merge request, unmerged branch) whose target is
    ``base_ref`` (a branch name such as ``main``), drafts included, with the files it touches.
    The change under check is *not* removed: callers drop it with ``others()``.

    Failure contract ("never fail open"):

    * raises ``ForgeError`` (exit 3) when the list of changes itself could not be read
      (network, authentication, rate limit, malformed answers);
    * returns ``complete=False`` with one line per reason in ``problems`` when the list of
      changes is known but some change's file list may be partial (a file list cut short, a
      rate limit hit while paging one change's files, a ``gh`` file that may be truncated).
      An incomplete result may still prove a collision; it can never prove there is none.

``read_files(change, paths) -> {path: bytes | None}``
    The change's version of ``paths`` (``None``: the file does not exist in that change).
    Used for another change's ``sqitch.plan``. Providers that cannot do it have
    ``supports_read_files = False`` and raise ``UsageError``; a failure to ask raises
    ``ForgeError``.

``read_files_batch([(change, paths), ...]) -> [{path: bytes | None}, ...]``
    The same for many changes in as few requests as the provider allows (other changes' new
    Alembic revisions: what they build on).

``upsert_comment(number, marker, body) -> CommentResult``
    The sticky comment: the first comment on change ``number`` that carries
    ``<!-- marker -->`` *and was written by the token's own account* is edited in place, or one
    is created when there is none. Anyone can paste the marker, so a marked comment by someone
    else is never edited nor read as ours; when the forge will not say who the token is, no
    comment is reused (a new one is posted, and ``note`` says why).
    Providers without comments have ``supports_comments = False`` and raise ``UsageError``.

Every provider counts the HTTP requests (or git processes) it made in ``OpenChanges.requests``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

ChangeStatus = Literal["added", "modified", "renamed", "deleted", "copied", "unknown"]
"""What a change did to a file. ``unknown``: the source does not say (``gh pr list`` JSON);
treat such a path as touched (added or modified)."""

STATUSES: tuple[ChangeStatus, ...] = (
    "added",
    "modified",
    "renamed",
    "deleted",
    "copied",
    "unknown",
)


@dataclass(frozen=True)
class ChangedFile:
    """One file a change touches. For ``renamed``/``copied``, ``previous_path`` is the source
    when the provider knows it (GitHub GraphQL does not report it)."""

    path: str
    status: ChangeStatus
    previous_path: str | None = None


@dataclass(frozen=True)
class OpenChange:
    """An open pull request, merge request or unmerged branch.

    ``number``: PR number / MR iid (``None`` for a plain branch). ``ref``: head branch name (or
    the git ref for the ``git`` provider). ``head_sha``: head commit when known.
    """

    number: int | None
    ref: str
    base_ref: str
    head_sha: str | None
    draft: bool
    files: tuple[ChangedFile, ...]
    title: str = ""
    url: str = ""

    @property
    def label(self) -> str:
        """How to name the change to a human: ``#12`` / ``!12`` style is left to the caller."""
        return f"#{self.number}" if self.number is not None else self.ref


@dataclass(frozen=True)
class OpenChanges:
    provider: str
    changes: tuple[OpenChange, ...]
    complete: bool
    problems: tuple[str, ...] = ()
    requests: int = 0


@dataclass(frozen=True)
class CommentResult:
    """What ``upsert_comment`` did: ``created``, ``updated``, ``unchanged`` (same body), or
    ``skipped`` (no comment yet and ``create=False``: nothing to correct, so no noise)."""

    action: Literal["created", "updated", "unchanged", "skipped"]
    comment_id: int
    url: str = ""
    requests: int = 0
    note: str = ""
    """Something the user should know (e.g. earlier comments could not be proven ours)."""


class Forge(Protocol):
    name: str
    supports_read_files: bool
    supports_comments: bool

    def open_changes(self, base_ref: str) -> OpenChanges: ...

    def read_files(self, change: OpenChange, paths: Sequence[str]) -> dict[str, bytes | None]: ...

    def read_files_batch(
        self, requests: Sequence[tuple[OpenChange, Sequence[str]]]
    ) -> list[dict[str, bytes | None]]:
        """``read_files`` for many changes at once (one result per request, in order), in as
        few round trips as the provider allows."""
        ...

    def upsert_comment(
        self, number: int, marker: str, body: str, *, create: bool = True
    ) -> CommentResult: ...


def hidden_marker(marker: str) -> str:
    """The HTML comment that identifies the sticky comment: ``<!-- marker -->``."""
    if not marker or "--" in marker or ">" in marker or "\n" in marker:
        raise ValueError(f"invalid comment marker {marker!r}")
    return f"<!-- {marker} -->"


def with_marker(body: str, marker: str) -> str:
    """``body`` carrying the hidden marker (prepended once when missing)."""
    tag = hidden_marker(marker)
    return body if tag in body else f"{tag}\n{body}"


def others(
    changes: Iterable[OpenChange],
    *,
    number: int | None = None,
    head_sha: str | None = None,
    refs: Iterable[str] = (),
) -> tuple[OpenChange, ...]:
    """``changes`` without the change under check (same number, same head commit or same ref)."""
    skip_refs = set(refs)
    return tuple(
        c
        for c in changes
        if not (number is not None and c.number == number)
        and not (head_sha is not None and c.head_sha == head_sha)
        and c.ref not in skip_refs
    )
