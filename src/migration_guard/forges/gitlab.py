"""GitLab: open merge requests into a target branch, their files, blobs and the sticky note.

* ``GET /projects/:id/merge_requests?state=opened&target_branch=<base>&per_page=100``
  (``Link``/``x-next-page`` pagination); drafts count.
* ``GET /projects/:id/merge_requests/:iid/diffs?per_page=100`` per MR, paginated (``new_path``,
  ``old_path``, ``new_file``, ``renamed_file``, ``deleted_file``); on a GitLab older than 15.7
  (404) ``GET .../changes``, whose ``overflow: true`` makes the result incomplete. MRs are read
  ``workers`` at a time.
* The sticky note: ``GET .../notes`` (all pages), ``PUT .../notes/:id`` the first one carrying
  ``<!-- marker -->`` written by the token's own user (``GET /user``), else ``POST .../notes``.
* Files: ``GET /projects/:id/repository/files/:path?ref=<sha>`` (404: absent).

Settings from the environment: ``CI_API_V4_URL`` (default ``https://gitlab.com/api/v4``),
``CI_MERGE_REQUEST_PROJECT_ID`` or ``CI_PROJECT_ID`` (or ``MIGRATION_GUARD_GITLAB_PROJECT``, an id
or ``group/project``), a token from ``MIGRATION_GUARD_GITLAB_TOKEN`` or ``GITLAB_TOKEN``
(sent as ``PRIVATE-TOKEN``); failing those, ``CI_JOB_TOKEN`` (``JOB-TOKEN``) is tried for
reading, but a job token cannot post notes: ``upsert_comment`` refuses it with ``UsageError``.

Every list is checked against GitLab's ``x-total`` header: a list shorter or longer than the
total it states (an empty page claiming five merge requests) is a contradiction, never taken
at its word.

Failures as in ``forges.base``: the MR list failing (or contradicting its total) raises
``ForgeError``; one MR's diff list failing or contradicting its total (or a rate limit while
reading them) makes the result incomplete.
"""

from __future__ import annotations

import base64
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from migration_guard.errors import ForgeError, UsageError
from migration_guard.forges.answers import Answers
from migration_guard.forges.base import (
    ChangedFile,
    ChangeStatus,
    CommentResult,
    OpenChange,
    OpenChanges,
    hidden_marker,
    with_marker,
)
from migration_guard.forges.http import (
    ForgeLimits,
    HTTPStatusError,
    JsonClient,
    LimitError,
    RateLimitError,
    RetryPolicy,
    Secret,
)

DEFAULT_API_URL = "https://gitlab.com/api/v4"
WORKERS = 4
UNKNOWN_IDENTITY = (
    "could not tell which account the token belongs to (GET /user refused), so no earlier "
    "note was reused"
)


@dataclass(frozen=True)
class GitLabSettings:
    project: str
    token: Secret | None = None
    token_kind: Literal["private", "job"] | None = None
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLabSettings:
        project = (
            env.get("MIGRATION_GUARD_GITLAB_PROJECT")
            or env.get("CI_MERGE_REQUEST_PROJECT_ID")
            or env.get("CI_PROJECT_ID")
            or ""
        )
        if not project:
            raise UsageError(
                "GitLab needs the project: CI_PROJECT_ID (or CI_MERGE_REQUEST_PROJECT_ID) "
                "is not set",
                hint="GitLab CI sets it; elsewhere export CI_PROJECT_ID=<id or group/project>.",
            )
        token = env.get("MIGRATION_GUARD_GITLAB_TOKEN") or env.get("GITLAB_TOKEN") or ""
        kind: Literal["private", "job"] | None = "private" if token else None
        if not token and env.get("CI_JOB_TOKEN"):
            token, kind = env["CI_JOB_TOKEN"], "job"
        return cls(
            project=project,
            token=Secret(token) if token else None,
            token_kind=kind,
            api_url=env.get("CI_API_V4_URL") or DEFAULT_API_URL,
        )


class GitLabForge:
    name = "gitlab"
    supports_read_files = True
    supports_comments = True

    def __init__(
        self,
        settings: GitLabSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        limits: ForgeLimits | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.settings = settings
        header = "JOB-TOKEN" if settings.token_kind == "job" else "PRIVATE-TOKEN"
        self.client = JsonClient(
            settings.api_url,
            token=settings.token,
            auth_header=header,
            auth_prefix="",
            name="GitLab",
            limits=limits,
            retry=retry,
            sleep=sleep,
            clock=clock,
        )
        self.workers = max(1, workers)
        self._project = f"/projects/{urllib.parse.quote(settings.project, safe='')}"
        self._username: str | None = None  # who the token is, once asked

    def __repr__(self) -> str:
        return f"GitLabForge({self.settings!r})"

    def _mr_path(self, iid: int) -> str:
        return f"{self._project}/merge_requests/{iid}"

    def _get_all(self, path: str, params: Mapping[str, str | int], what: str) -> list[Any]:
        """Every page of a list, checked against GitLab's ``x-total``: a list that is shorter
        (or longer) than the total GitLab states, or whose total changes between pages, is a
        contradiction (``ForgeError``), never an empty or partial list taken at its word.
        GitLab leaves ``x-total`` out above 10,000 items; then there is nothing to compare."""
        items: list[Any] = []
        totals: list[int] = []
        for page in self.client.pages(path, params):
            items.extend(page.data)
            total = (page.header("x-total") or "").strip()
            if total.isdigit() and (not totals or totals[-1] != int(total)):
                totals.append(int(total))
        if len(totals) > 1:
            seen = ", then ".join(str(t) for t in totals)
            raise ForgeError(f"GitLab: the number of {what} changed while it was listed ({seen})")
        if totals and totals[0] != len(items):
            raise ForgeError(f"GitLab reported {totals[0]} {what} but listed {len(items)}")
        return items

    # -- open changes ----------------------------------------------------------------------

    def open_changes(self, base_ref: str) -> OpenChanges:
        start = self.client.requests
        try:
            mrs = self._get_all(
                f"{self._project}/merge_requests",
                {"state": "opened", "target_branch": base_ref, "per_page": 100},
                "merge requests",
            )
        except HTTPStatusError as exc:
            if exc.status in (401, 403) and self.settings.token_kind != "private":
                raise HTTPStatusError(
                    exc.message,
                    status=exc.status,
                    hint="Set GITLAB_TOKEN to a project access token with read_api scope "
                    "(CI_JOB_TOKEN cannot read merge requests).",
                ) from None
            raise
        mrs = [_dict(mr, "merge request") for mr in mrs]
        mrs = [mr for mr in mrs if mr.get("target_branch") == base_ref]
        limited = threading.Event()

        def read(mr: dict[str, Any]) -> tuple[list[ChangedFile], str | None]:
            iid = _int(mr.get("iid"), "iid")
            if limited.is_set():
                return [], f"could not list the files of !{iid}: rate limited"
            try:
                return self._files(iid)
            except RateLimitError as exc:
                limited.set()
                return [], f"could not list the files of !{iid}: {exc.message}"
            except LimitError:
                raise  # the command's deadline or size limit: stop, do not work around it
            except ForgeError as exc:
                return [], f"could not list the files of !{iid}: {exc.message}"

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(read, mrs))
        changes: list[OpenChange] = []
        problems: list[str] = []
        for mr, (files, problem) in sorted(zip(mrs, results, strict=True), key=_by_iid):
            if problem:
                problems.append(problem)
            sha = mr.get("sha")
            changes.append(
                OpenChange(
                    number=_int(mr.get("iid"), "iid"),
                    ref=str(mr.get("source_branch") or ""),
                    base_ref=base_ref,
                    head_sha=sha if isinstance(sha, str) else None,
                    draft=bool(mr.get("draft") or mr.get("work_in_progress")),
                    files=tuple(files),
                    title=str(mr.get("title") or ""),
                    url=str(mr.get("web_url") or ""),
                )
            )
        return OpenChanges(
            self.name, tuple(changes), not problems, tuple(problems), self.client.requests - start
        )

    def _files(self, iid: int) -> tuple[list[ChangedFile], str | None]:
        path = self._mr_path(iid)
        try:
            diffs = self._get_all(f"{path}/diffs", {"per_page": 100}, f"changed files of !{iid}")
        except HTTPStatusError as exc:
            if exc.status != 404:
                raise
            # GitLab before 15.7 has no /diffs; /changes answers with everything at once.
            resp = self.client.request("GET", f"{path}/changes")
            data = _dict(resp.data, "merge request changes")
            files = [_file(_dict(d, "diff")) for d in _list(data.get("changes"), "changes")]
            if data.get("overflow"):
                return files, f"!{iid}: GitLab cut its list of changed files short (overflow)"
            return files, None
        return [_file(_dict(d, "diff")) for d in diffs], None

    # -- file contents ---------------------------------------------------------------------

    def read_files(self, change: OpenChange, paths: Sequence[str]) -> dict[str, bytes | None]:
        ref = change.head_sha or change.ref
        if not ref:
            raise ForgeError(f"cannot read files of !{change.number}: its head is unknown")
        result: dict[str, bytes | None] = {}
        for path in dict.fromkeys(paths):
            resp = self.client.request(
                "GET",
                f"{self._project}/repository/files/{urllib.parse.quote(path, safe='')}",
                params={"ref": ref},
                allow=(404,),
            )
            if resp.status == 404:
                result[path] = None
                continue
            data = _dict(resp.data, "file")
            content = data.get("content")
            if data.get("encoding") != "base64" or not isinstance(content, str):
                raise ForgeError(f"GitLab: unexpected answer for file {path}")
            result[path] = base64.b64decode(content)
        return result

    def read_files_batch(
        self, requests: Sequence[tuple[OpenChange, Sequence[str]]]
    ) -> list[dict[str, bytes | None]]:
        return [self.read_files(change, paths) for change, paths in requests]

    # -- sticky note -----------------------------------------------------------------------

    def upsert_comment(
        self, number: int, marker: str, body: str, *, create: bool = True
    ) -> CommentResult:
        if self.settings.token_kind != "private":
            raise UsageError(
                "GitLab notes need a personal, project or group access token: "
                + (
                    "CI_JOB_TOKEN cannot post merge request notes"
                    if self.settings.token_kind == "job"
                    else "no token is set"
                ),
                hint="Set GITLAB_TOKEN (api scope) as a masked CI/CD variable.",
            )
        start = self.client.requests
        tag = hidden_marker(marker)
        body = with_marker(body, marker)
        notes_path = f"{self._mr_path(number)}/notes"
        notes = self._get_all(
            notes_path,
            {"per_page": 100, "sort": "asc", "order_by": "created_at"},
            f"notes on !{number}",
        )
        marked = [
            n
            for n in notes
            if isinstance(n, dict)
            and not n.get("system")
            and isinstance(n.get("body"), str)
            and tag in n["body"]
        ]
        me = self.own_username() if marked else ""
        existing = next((n for n in marked if me and _username(n.get("author")) == me), None)
        note = UNKNOWN_IDENTITY if marked and not me else ""
        if existing is not None:
            note_id = _int(existing.get("id"), "note id")
            if existing.get("body") == body:
                return CommentResult("unchanged", note_id, "", self.client.requests - start)
            resp = self.client.request("PUT", f"{notes_path}/{note_id}", body={"body": body})
        elif not create:
            return CommentResult("skipped", 0, "", self.client.requests - start, note)
        else:
            resp = self.client.request("POST", notes_path, body={"body": body})
        data = _dict(resp.data, "note")
        return CommentResult(
            "updated" if existing is not None else "created",
            _int(data.get("id"), "note id"),
            "",
            self.client.requests - start,
            note,
        )

    def own_username(self) -> str:
        """The token's own username (``GET /user``; case-folded), ``""`` when GitLab will
        not say. Only notes by this user are reused: anyone can paste the marker. Asked once."""
        if self._username is None:
            resp = self.client.request("GET", "/user", allow=(401, 403, 404))
            self._username = _username(resp.data) if resp.status == 200 else ""
        return self._username


def _username(user: Any) -> str:
    name = user.get("username") if isinstance(user, dict) else None
    return name.casefold() if isinstance(name, str) else ""


def _by_iid(item: tuple[dict[str, Any], Any]) -> int:
    iid = item[0].get("iid")
    return iid if isinstance(iid, int) else 0


def _file(diff: dict[str, Any]) -> ChangedFile:
    new_path = _str(diff.get("new_path"), "new_path")
    old_path = diff.get("old_path") if isinstance(diff.get("old_path"), str) else None
    status: ChangeStatus = "modified"
    previous = None
    if diff.get("new_file"):
        status = "added"
    elif diff.get("deleted_file"):
        status = "deleted"
    elif diff.get("renamed_file"):
        status, previous = "renamed", old_path
    return ChangedFile(new_path, status, previous)


_answers = Answers("GitLab")
_dict, _list, _int, _str = _answers.dict, _answers.list, _answers.int, _answers.str
