"""GitHub: open pull requests into a base branch, their files, blobs and the sticky comment.

Listing uses GraphQL, which needs few requests:

1. ``pullRequests(states: OPEN, baseRefName: $base, first: 50)`` pages, each PR with its first
   100 files (``files { totalCount pageInfo nodes { path changeType } }``);
2. the further file pages of every PR with more than 100 files, several PRs per request
   (aliases ``p0: pullRequest(number: $n0) { files(after: $c0) ... }``), until none is left.

500 open PRs, ten of them with 250 files: 10 + 2 requests. Every PR's file count is checked
against ``totalCount`` (and ``changedFiles``); a shortfall makes the result incomplete.

When GraphQL is unavailable (404, an answer that is not GraphQL, a GraphQL error that is not a
rate limit) the REST API is used instead: ``GET /pulls?state=open&base=`` and one
``GET /pulls/{n}/files`` list per PR (``Link`` pagination, at most 3,000 files per PR), then
``GET /pulls/{n}``, whose ``changed_files`` and head the list is checked against (REST gives no
total for the PR list itself: its ``Link`` pagination, loops refused, is all there is).

The sticky comment is only ever one written by the token's own account (GraphQL ``viewer``,
else REST ``GET /user``): anyone can paste the marker into a comment of their own.

Failures: authentication (401/403), a rate limit or any failure while listing the PRs raises
``ForgeError``; a failure while paging one PR's files (after the PR list is known) gives an
incomplete result naming the PRs concerned.

Settings come from the environment: ``GITHUB_TOKEN`` or ``GH_TOKEN``, ``GITHUB_REPOSITORY``
(``owner/name``), ``GITHUB_API_URL`` (default ``https://api.github.com``) and
``GITHUB_GRAPHQL_URL`` (default ``<api>/graphql``; ``<host>/api/graphql`` for a GitHub Enterprise
``<host>/api/v3``).
"""

from __future__ import annotations

import base64
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    GraphQLError,
    HTTPStatusError,
    JsonClient,
    LimitError,
    RateLimitError,
    RetryPolicy,
    Secret,
    TransportError,
)

DEFAULT_API_URL = "https://api.github.com"
PR_PAGE_SIZE = 50
FILES_PAGE_SIZE = 100
FILES_BATCH = 20
BLOB_BATCH = 50
REST_FILES_CAP = 3000
MAX_FILE_RESTARTS = 2

_GRAPHQL_STATUS: dict[str, ChangeStatus] = {
    "ADDED": "added",
    "MODIFIED": "modified",
    "CHANGED": "modified",
    "RENAMED": "renamed",
    "COPIED": "copied",
    "DELETED": "deleted",
}
_REST_STATUS: dict[str, ChangeStatus] = {
    "added": "added",
    "modified": "modified",
    "changed": "modified",
    "unchanged": "modified",
    "renamed": "renamed",
    "copied": "copied",
    "removed": "deleted",
}

_FILES_FIELDS = "totalCount pageInfo { hasNextPage endCursor } nodes { path changeType }"

PR_QUERY = (
    "query OpenPullRequests($owner: String!, $name: String!, $base: String!, $cursor: String, "
    "$first: Int!, $files: Int!) {\n"
    "  repository(owner: $owner, name: $name) {\n"
    "    pullRequests(states: OPEN, baseRefName: $base, first: $first, after: $cursor, "
    "orderBy: {field: CREATED_AT, direction: ASC}) {\n"
    "      totalCount\n"
    "      pageInfo { hasNextPage endCursor }\n"
    "      nodes {\n"
    "        number title url isDraft headRefName headRefOid baseRefName changedFiles\n"
    f"        files(first: $files) {{ {_FILES_FIELDS} }}\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n"
)


def files_query(count: int) -> str:
    """The batched "more files" query for ``count`` PRs (aliases ``p0``..)."""
    params = "".join(f", $n{i}: Int!, $c{i}: String" for i in range(count))
    parts = "".join(
        f"    p{i}: pullRequest(number: $n{i}) {{ number headRefOid changedFiles "
        f"files(first: $files, after: $c{i}) {{ {_FILES_FIELDS} }} }}\n"
        for i in range(count)
    )
    return (
        f"query MoreFiles($owner: String!, $name: String!, $files: Int!{params}) {{\n"
        f"  repository(owner: $owner, name: $name) {{\n{parts}  }}\n}}\n"
    )


def blobs_query(count: int) -> str:
    """The batched blob query for ``count`` ``<sha>:<path>`` expressions (aliases ``f0``..)."""
    params = "".join(f", $e{i}: String!" for i in range(count))
    parts = "".join(
        f"    f{i}: object(expression: $e{i}) {{ __typename ... on Blob "
        "{ text isBinary isTruncated byteSize } }\n"
        for i in range(count)
    )
    return (
        f"query Blobs($owner: String!, $name: String!{params}) {{\n"
        f"  repository(owner: $owner, name: $name) {{\n{parts}  }}\n}}\n"
    )


VIEWER_QUERY = "query Viewer { viewer { login } }\n"
UNKNOWN_IDENTITY = (
    "could not tell which account the token belongs to (no GraphQL viewer, GET /user "
    "refused), so no earlier comment was reused"
)


@dataclass(frozen=True)
class GitHubSettings:
    repository: str
    token: Secret | None = field(default=None)
    api_url: str = DEFAULT_API_URL
    graphql_url: str | None = None

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repository.split("/", 1)[1]

    @property
    def resolved_graphql_url(self) -> str:
        if self.graphql_url:
            return self.graphql_url
        api = self.api_url.rstrip("/")
        if api.endswith("/api/v3"):  # GitHub Enterprise Server
            return api[: -len("/v3")] + "/graphql"
        return api + "/graphql"

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, repository: str | None = None) -> GitHubSettings:
        repo = repository or env.get("GITHUB_REPOSITORY", "")
        if not repo:
            raise UsageError(
                "GitHub needs the repository: GITHUB_REPOSITORY=owner/name is not set",
                hint="GitHub Actions sets it; elsewhere export GITHUB_REPOSITORY=owner/name.",
            )
        check_repository(repo)
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or ""
        return cls(
            repository=repo,
            token=Secret(token) if token else None,
            api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
            graphql_url=env.get("GITHUB_GRAPHQL_URL") or None,
        )


def check_repository(repo: str) -> None:
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name or any(c.isspace() for c in repo):
        raise UsageError(f"GitHub repository must look like owner/name, not {repo!r}")


@dataclass
class _PRState:
    """A PR being assembled across requests."""

    node: dict[str, Any]
    files: list[ChangedFile]
    total: int
    cursor: str | None
    more: bool
    restarts: int = 0
    problem: str | None = None


class GitHubForge:
    name = "github"
    supports_read_files = True
    supports_comments = True

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        limits: ForgeLimits | None = None,
        use_graphql: bool = True,
        pr_page_size: int = PR_PAGE_SIZE,
        files_batch: int = FILES_BATCH,
    ) -> None:
        if not settings.token:
            raise UsageError(
                "GitHub needs a token: GITHUB_TOKEN (or GH_TOKEN) is not set",
                hint="In a workflow: env: GITHUB_TOKEN: ${{ github.token }}. "
                "Without a token use --provider git or --open-prs FILE.",
            )
        self.settings = settings
        self.graphql_url = settings.resolved_graphql_url
        self.client = JsonClient(
            settings.api_url,
            also_allow=(self.graphql_url,),
            token=settings.token,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
            name="GitHub",
            limits=limits,
            retry=retry,
            sleep=sleep,
            clock=clock,
        )
        self.use_graphql = use_graphql
        self.fallback_reason: str | None = None
        self.pr_page_size = max(1, min(100, pr_page_size))
        self.files_batch = max(1, files_batch)
        self._repo_vars = {"owner": settings.owner, "name": settings.name}
        self._logins: frozenset[str] | None = None  # who the token is, once asked
        self._rest = f"/repos/{settings.owner}/{settings.name}"

    def __repr__(self) -> str:
        return f"GitHubForge({self.settings!r})"

    # -- open changes ----------------------------------------------------------------------

    def open_changes(self, base_ref: str) -> OpenChanges:
        start = self.client.requests
        if self.use_graphql:
            try:
                changes, problems = self._graphql_open_changes(base_ref)
            except (GraphQLError, TransportError) as exc:
                self._fall_back(exc)
            except HTTPStatusError as exc:
                if exc.status in (401, 403):
                    raise
                self._fall_back(exc)
            else:
                return OpenChanges(
                    self.name, changes, not problems, problems, self.client.requests - start
                )
        changes, problems = self._rest_open_changes(base_ref)
        return OpenChanges(self.name, changes, not problems, problems, self.client.requests - start)

    def _fall_back(self, exc: ForgeError) -> None:
        self.use_graphql = False
        self.fallback_reason = f"GraphQL unavailable ({exc.message}); used the REST API"

    def _graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        data = self.client.graphql(self.graphql_url, query, {**self._repo_vars, **variables})
        repo = data.get("repository")
        if not isinstance(repo, dict):
            raise GraphQLError(
                f"GitHub GraphQL: repository {self.settings.repository} not found", types=()
            )
        return repo

    def _graphql_open_changes(
        self, base_ref: str
    ) -> tuple[tuple[OpenChange, ...], tuple[str, ...]]:
        states: list[_PRState] = []
        cursor: str | None = None
        while True:  # runs at least once: ``total`` is always set
            repo = self._graphql(
                PR_QUERY,
                {
                    "base": base_ref,
                    "cursor": cursor,
                    "first": self.pr_page_size,
                    "files": FILES_PAGE_SIZE,
                },
            )
            conn = _dict(repo.get("pullRequests"), "pullRequests")
            total = _int(conn.get("totalCount"), "pullRequests.totalCount")
            for node in _list(conn.get("nodes"), "pullRequests.nodes"):
                node = _dict(node, "pull request")
                files = _dict(node.get("files"), "files")
                state = _PRState(node, [], 0, None, False)
                self._add_files(state, files)
                states.append(state)
            page = _dict(conn.get("pageInfo"), "pageInfo")
            if not page.get("hasNextPage"):
                break
            next_cursor = _str(page.get("endCursor"), "endCursor")
            if next_cursor == cursor:
                raise ForgeError("GitHub GraphQL: the pull request list does not advance")
            cursor = next_cursor
        problems: list[str] = []
        if len(states) < total:
            problems.append(
                f"GitHub reported {total} open pull requests into {base_ref} "
                f"but listed {len(states)}"
            )
        self._page_more_files(states)
        changes = []
        for state in states:
            problem = state.problem or _count_problem(state)
            if problem:
                problems.append(problem)
            changes.append(_graphql_change(state.node, state.files, base_ref))
        changes = [c for c in changes if c.base_ref == base_ref]
        return tuple(sorted(changes, key=lambda c: c.number or 0)), tuple(problems)

    def _add_files(self, state: _PRState, files: dict[str, Any]) -> None:
        for node in _list(files.get("nodes"), "files.nodes"):
            node = _dict(node, "file")
            kind = str(node.get("changeType", "")).upper()
            state.files.append(
                ChangedFile(_str(node.get("path"), "path"), _GRAPHQL_STATUS.get(kind, "unknown"))
            )
        state.total = _int(files.get("totalCount"), "files.totalCount")
        page = _dict(files.get("pageInfo"), "files.pageInfo")
        previous = state.cursor
        state.more = bool(page.get("hasNextPage"))
        state.cursor = page.get("endCursor")  # read only while ``more`` (a restart resets it)
        if state.more and (not isinstance(state.cursor, str) or state.cursor == previous):
            # The problem alone stops the paging: _page_more_files skips a PR that has one.
            state.problem = f"PR #{state.node.get('number')}: its file list does not advance"

    def _page_more_files(self, states: list[_PRState]) -> None:
        """Fetch further file pages, ``files_batch`` PRs per request; problems on failure."""
        while True:
            pending = [s for s in states if s.more and s.problem is None]
            if not pending:
                return
            batch = pending[: self.files_batch]
            variables: dict[str, Any] = {"files": FILES_PAGE_SIZE}
            for i, state in enumerate(batch):
                variables[f"n{i}"] = state.node["number"]
                variables[f"c{i}"] = state.cursor
            try:
                repo = self._graphql(files_query(len(batch)), variables)
            except LimitError:
                raise  # the command's deadline or size limit: stop, do not work around it
            except ForgeError as exc:
                for state in pending:
                    state.problem = (
                        f"could not list all files of PR #{state.node['number']}: {exc.message}"
                    )
                return
            for i, state in enumerate(batch):
                number = state.node["number"]
                pr = repo.get(f"p{i}")
                if not isinstance(pr, dict):
                    state.problem = f"PR #{number} disappeared while its files were listed"
                    continue
                if pr.get("headRefOid") != state.node.get("headRefOid"):
                    # Pushed to while we paged: list its files again (a bounded number of times).
                    state.restarts += 1
                    if state.restarts > MAX_FILE_RESTARTS:
                        state.problem = f"PR #{number} kept changing while its files were listed"
                        continue
                    state.node = {
                        **state.node,
                        "headRefOid": pr.get("headRefOid"),
                        "changedFiles": pr.get("changedFiles"),
                    }
                    state.files.clear()
                    state.cursor, state.more = None, True
                    continue
                self._add_files(state, _dict(pr.get("files"), "files"))

    # -- REST fallback ---------------------------------------------------------------------

    def _rest_open_changes(self, base_ref: str) -> tuple[tuple[OpenChange, ...], tuple[str, ...]]:
        pulls = self.client.get_all(
            f"{self._rest}/pulls", {"state": "open", "base": base_ref, "per_page": 100}
        )
        changes: list[OpenChange] = []
        problems: list[str] = []
        limited: RateLimitError | None = None
        for pr in pulls:
            pr = _dict(pr, "pull request")
            if _dict(pr.get("base"), "base").get("ref") != base_ref:
                continue
            number = _int(pr.get("number"), "number")
            head = _dict(pr.get("head"), "head")
            head_sha = head.get("sha") if isinstance(head.get("sha"), str) else None
            files: list[ChangedFile] = []
            if limited is None:
                try:
                    files, head_sha, problem = self._rest_checked_files(number, head_sha)
                except RateLimitError as exc:
                    limited = exc
                except LimitError:
                    raise
                except ForgeError as exc:
                    problems.append(f"could not list the files of PR #{number}: {exc.message}")
                else:
                    if problem:
                        problems.append(problem)
            if limited is not None and not files:
                problems.append(f"could not list the files of PR #{number}: {limited.message}")
            changes.append(
                OpenChange(
                    number=number,
                    ref=str(head.get("ref", "")),
                    base_ref=base_ref,
                    head_sha=head_sha,
                    draft=bool(pr.get("draft")),
                    files=tuple(files),
                    title=str(pr.get("title") or ""),
                    url=str(pr.get("html_url") or ""),
                )
            )
        return tuple(sorted(changes, key=lambda c: c.number or 0)), tuple(problems)

    def _rest_checked_files(
        self, number: int, head_sha: str | None
    ) -> tuple[list[ChangedFile], str | None, str | None]:
        """PR ``number``'s files, the head they belong to, and what is wrong with them.

        REST has no ``totalCount`` for a file list, so ``GET /pulls/{n}`` is asked after it:
        its ``changed_files`` must be covered, and its head must be the one the list was
        read for; a PR pushed to meanwhile is listed again (``MAX_FILE_RESTARTS`` times)."""
        for _ in range(MAX_FILE_RESTARTS + 1):
            files = self._rest_files(number)
            pr = _dict(self.client.request("GET", f"{self._rest}/pulls/{number}").data, "pull")
            head = _dict(pr.get("head"), "head").get("sha")
            if isinstance(head, str) and head != head_sha:
                head_sha = head  # pushed to while listed: list the new head's files
                continue
            if len(files) >= REST_FILES_CAP:
                problem = (
                    f"PR #{number} has {len(files)} files or more; GitHub lists only "
                    f"{REST_FILES_CAP}"
                )
                return files, head_sha, problem
            changed = pr.get("changed_files")
            if not isinstance(changed, int):
                return files, head_sha, f"PR #{number}: GitHub did not say how many files changed"
            if changed > len(files):
                return (
                    files,
                    head_sha,
                    f"PR #{number}: GitHub lists {len(files)} of its {changed} changed files",
                )
            return files, head_sha, None
        return files, head_sha, f"PR #{number} kept changing while its files were listed"

    def _rest_files(self, number: int) -> list[ChangedFile]:
        files = []
        for item in self.client.get_all(f"{self._rest}/pulls/{number}/files", {"per_page": 100}):
            item = _dict(item, "file")
            status = _REST_STATUS.get(str(item.get("status")), "unknown")
            previous = item.get("previous_filename")
            files.append(
                ChangedFile(
                    _str(item.get("filename"), "filename"),
                    status,
                    previous if isinstance(previous, str) else None,
                )
            )
        return files

    # -- file contents ---------------------------------------------------------------------

    def read_files(self, change: OpenChange, paths: Sequence[str]) -> dict[str, bytes | None]:
        return self.read_files_batch([(change, paths)])[0]

    def read_files_batch(
        self, requests: Sequence[tuple[OpenChange, Sequence[str]]]
    ) -> list[dict[str, bytes | None]]:
        """Blobs of many changes in batched GraphQL queries (``BLOB_BATCH`` a request, any
        mix of changes); REST for what GraphQL cannot give (binary, truncated, fallback)."""
        for change, _ in requests:
            if not change.head_sha:
                raise ForgeError(f"cannot read files of {change.label}: its head commit is unknown")
        wanted = list(dict.fromkeys((c.head_sha or "", p) for c, paths in requests for p in paths))
        found: dict[tuple[str, str], bytes | None] = {}
        rest: list[tuple[str, str]] = []
        if self.use_graphql:
            for start in range(0, len(wanted), BLOB_BATCH):
                chunk = wanted[start : start + BLOB_BATCH]
                variables = {f"e{i}": f"{sha}:{p}" for i, (sha, p) in enumerate(chunk)}
                try:
                    repo = self._graphql(blobs_query(len(chunk)), variables)
                except (GraphQLError, TransportError, HTTPStatusError) as exc:
                    if isinstance(exc, HTTPStatusError) and exc.status in (401, 403):
                        raise
                    self._fall_back(exc)
                    rest.extend(wanted[start:])
                    break
                for i, key in enumerate(chunk):
                    obj = repo.get(f"f{i}")
                    if not isinstance(obj, dict) or obj.get("__typename") != "Blob":
                        found[key] = None
                    elif obj.get("isBinary") or obj.get("isTruncated") or obj.get("text") is None:
                        rest.append(key)
                    else:
                        found[key] = str(obj["text"]).encode("utf-8")
        else:
            rest = wanted
        for sha, path in rest:
            found[(sha, path)] = self._rest_content(sha, path)
        return [{p: found[(c.head_sha or "", p)] for p in paths} for c, paths in requests]

    def _rest_content(self, sha: str, path: str) -> bytes | None:
        resp = self.client.request(
            "GET",
            f"{self._rest}/contents/{urllib.parse.quote(path, safe='/')}",
            params={"ref": sha},
            allow=(404,),
        )
        if resp.status == 404 or not isinstance(resp.data, dict) or resp.data.get("type") != "file":
            return None
        data = resp.data
        if data.get("encoding") == "base64" and isinstance(data.get("content"), str):
            return base64.b64decode(data["content"])
        blob = self.client.request("GET", f"{self._rest}/git/blobs/{_str(data.get('sha'), 'sha')}")
        if not isinstance(blob.data, dict) or not isinstance(blob.data.get("content"), str):
            raise ForgeError(f"GitHub: unexpected blob answer for {path}")
        return base64.b64decode(blob.data["content"])

    # -- sticky comment --------------------------------------------------------------------

    def upsert_comment(
        self, number: int, marker: str, body: str, *, create: bool = True
    ) -> CommentResult:
        start = self.client.requests
        tag = hidden_marker(marker)
        body = with_marker(body, marker)
        try:
            comments = self.client.get_all(
                f"{self._rest}/issues/{number}/comments", {"per_page": 100}
            )
            marked = [
                c
                for c in comments
                if isinstance(c, dict) and isinstance(c.get("body"), str) and tag in c["body"]
            ]
            logins = self.own_logins() if marked else frozenset()
            existing = next((c for c in marked if _login(c.get("user")) in logins), None)
            note = UNKNOWN_IDENTITY if marked and not logins else ""
            if existing is not None:
                comment_id = _int(existing.get("id"), "comment id")
                if existing.get("body") == body:
                    return CommentResult(
                        "unchanged",
                        comment_id,
                        str(existing.get("html_url") or ""),
                        self.client.requests - start,
                    )
                resp = self.client.request(
                    "PATCH", f"{self._rest}/issues/comments/{comment_id}", body={"body": body}
                )
            elif not create:
                return CommentResult("skipped", 0, "", self.client.requests - start, note)
            else:
                resp = self.client.request(
                    "POST", f"{self._rest}/issues/{number}/comments", body={"body": body}
                )
        except HTTPStatusError as exc:
            if exc.status in (403, 404):
                raise HTTPStatusError(
                    exc.message,
                    status=exc.status,
                    hint="Posting needs `permissions: pull-requests: write`; on pull requests "
                    "from forks the workflow token is read-only.",
                ) from None
            raise
        data = _dict(resp.data, "comment")
        return CommentResult(
            "updated" if existing is not None else "created",
            _int(data.get("id"), "comment id"),
            str(data.get("html_url") or ""),
            self.client.requests - start,
            note,
        )

    def own_logins(self) -> frozenset[str]:
        """The logins (case-folded) the token's comments carry; empty when GitHub will not
        say. GraphQL ``viewer`` works for every token; for an app installation token (the
        Actions token) it is the app's name, ``github-actions``, while its comments are
        authored by ``github-actions[bot]``, so both are accepted. REST ``GET /user`` (refused
        to installation tokens) is the fallback when GraphQL is unavailable. Asked once."""
        if self._logins is not None:
            return self._logins
        login: str | None = None
        if self.use_graphql:
            try:
                data = self.client.graphql(self.graphql_url, VIEWER_QUERY, {})
            except (GraphQLError, TransportError, HTTPStatusError) as exc:
                if isinstance(exc, HTTPStatusError) and exc.status == 401:
                    raise
            else:
                login = _login(data.get("viewer")) or None
        if login is None:
            resp = self.client.request("GET", "/user", allow=(403, 404))
            if resp.status == 200:
                login = _login(resp.data) or None
        self._logins = frozenset({login, f"{login}[bot]"}) if login else frozenset()
        return self._logins


def _graphql_change(node: dict[str, Any], files: list[ChangedFile], base_ref: str) -> OpenChange:
    head = node.get("headRefOid")
    return OpenChange(
        number=_int(node.get("number"), "number"),
        ref=str(node.get("headRefName") or ""),
        base_ref=str(node.get("baseRefName") or base_ref),
        head_sha=head if isinstance(head, str) else None,
        draft=bool(node.get("isDraft")),
        files=tuple(files),
        title=str(node.get("title") or ""),
        url=str(node.get("url") or ""),
    )


def _login(user: Any) -> str:
    """``user.login`` case-folded (GitHub logins are case-insensitive), or ``""``."""
    login = user.get("login") if isinstance(user, dict) else None
    return login.casefold() if isinstance(login, str) else ""


def _count_problem(state: _PRState) -> str | None:
    number = state.node.get("number")
    got = len(state.files)
    if got != state.total:
        return f"PR #{number}: received {got} of {state.total} changed files"
    changed = state.node.get("changedFiles")
    if isinstance(changed, int) and changed > got:
        return f"PR #{number}: GitHub lists {got} of its {changed} changed files"
    return None


_answers = Answers("GitHub")
_dict, _list, _int, _str = _answers.dict, _answers.list, _answers.int, _answers.str
