"""A fake GitHub (GraphQL + REST) and GitLab (REST v4) on 127.0.0.1, for tests and benchmarks.

It answers in the real services' response shapes (``data``/``errors`` GraphQL bodies, ``Link``
and ``x-next-page`` pagination, error bodies with ``message``) but only understands the query
shapes migration-guard's own client sends. State is programmable (pull/merge requests, files,
drafts, base branches, comments and their authors, the token's own identity, blobs, git
refs and commits made through the Git database API) and faults can be injected (a 502, a
secondary rate limit with ``retry-after``, a primary rate limit, a truncated file list).
Every request is recorded with the time the server spent on it.

    with FakeForge() as fake:
        fake.add_pr(1, ["db/versions/0002_x.py"])
        forge = GitHubForge(GitHubSettings("acme/app", Secret(fake.token), fake.github_api_url))

The server only ever listens on 127.0.0.1.

Routes: GitHub at ``/graphql`` and ``/repos/{owner}/{repo}/...``;
GitLab at ``/api/v4/projects/...``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import select
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_REF_NAME = re.compile(r"^refs/[^/\s]+(/[^/\s]+)+$")

# REST status -> GraphQL changeType
_CHANGE_TYPE = {
    "added": "ADDED",
    "modified": "MODIFIED",
    "removed": "DELETED",
    "renamed": "RENAMED",
    "copied": "COPIED",
    "changed": "CHANGED",
}


@dataclass
class FakeFile:
    path: str
    status: str = "added"  # GitHub REST names: added modified removed renamed copied changed
    previous: str | None = None


@dataclass
class FakePR:
    number: int
    files: list[FakeFile]
    base: str = "main"
    head: str = ""
    sha: str = ""
    draft: bool = False
    title: str = ""
    state: str = "open"
    blobs: dict[str, bytes] = field(default_factory=dict)
    visible_files: int | None = None  # fault: list only this many files (totals stay true)
    # Faults GitHub has shown in the wild, each a lie of its own:
    # ``files_cap``: the file list (GraphQL ``files`` and its ``totalCount``, REST ``/files``)
    # ends after this many, while ``changedFiles``/``changed_files`` stay true (a huge diff);
    # ``files_cursor``: later GraphQL file pages answer ``hasNextPage: true`` with the cursor
    # they were given (``"repeat"``) or with ``endCursor: null`` (``"null"``);
    # ``hidden``: counted in the PR list's ``totalCount`` but never among its nodes.
    files_cap: int | None = None
    files_cursor: str | None = None
    hidden: bool = False

    def __post_init__(self) -> None:
        self.head = self.head or f"feature-{self.number}"
        self.sha = self.sha or f"{self.number:040x}"
        self.title = self.title or f"Change {self.number}"

    def listed_files(self) -> list[FakeFile]:
        limits = [n for n in (self.visible_files, self.files_cap) if n is not None]
        return self.files[: min(limits)] if limits else self.files

    def files_total(self) -> int:
        """What GitHub's ``files.totalCount`` says (``changedFiles`` is always the truth)."""
        return len(self.files) if self.files_cap is None else min(len(self.files), self.files_cap)


@dataclass
class FakeComment:
    id: int
    body: str
    author: str = "github-actions[bot]"
    system: bool = False


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``match`` (a regex searched in
    ``"METHOD /path"``, and in the GraphQL query text when ``query`` is given) with this.
    ``body`` is sent as JSON, or as is when it is ``bytes``."""

    match: str
    status: int = 502
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    query: str | None = None


@dataclass
class Stall:
    """Misbehave on the next ``times`` requests matching ``match`` (a regex searched in
    ``"METHOD /path"``), the way a broken server or a hostile proxy does:

    ``silence``: read the request and never answer;
    ``trickle``: answer (status line, headers and a long JSON body) one byte every
    ``interval`` seconds;
    ``endless``: answer headers, then a body that never ends (``declared``: with a
    ``Content-Length`` of that many bytes, else none).

    Each stops when the client goes away or the fake stops."""

    match: str
    kind: str  # silence | trickle | endless
    interval: float = 0.05
    times: int = 1_000_000
    declared: int | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int
    seconds: float


@dataclass
class FakeState:
    owner: str = "acme"
    repo: str = "app"
    project_id: str = "42"
    token: str | None = "fake-token"
    job_token: str | None = None
    graphql_enabled: bool = True
    can_comment: bool = True
    gitlab_link_header: bool = True
    # Who the token is. GitHub's Actions token is the app ``github-actions``: GraphQL's
    # ``viewer`` says so, its comments are authored by ``github-actions[bot]``, and REST
    # ``GET /user`` refuses it (a personal token may read it: ``github_user_endpoint``).
    github_viewer: str = "github-actions"
    github_author: str = "github-actions[bot]"
    github_user_endpoint: bool = False
    gitlab_user: str = "project_42_bot"
    prs: dict[int, FakePR] = field(default_factory=dict)
    comments: dict[int, list[FakeComment]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    stalls: list[Stall] = field(default_factory=list)
    next_comment_id: int = 1000
    # The Git database API (``/git/refs``, ``/git/commits``): full ref name -> commit sha;
    # sha -> the commit as GitHub answers it. ``refs_writable=False``: the token may read but
    # not create or delete (GitHub's 403 "Resource not accessible by integration").
    refs: dict[str, str] = field(default_factory=dict)
    git_commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs_writable: bool = True


class FakeForge:
    """The fake server. Use as a context manager (or ``start()``/``stop()``)."""

    def __init__(self, **state: Any) -> None:
        self.state = FakeState(**state)
        self.requests: list[RecordedRequest] = []
        self.before_request: list[Callable[[FakeForge, str, str], None]] = []
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeForge:
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # ends every stall
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeForge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    @property
    def github_api_url(self) -> str:
        return self.url

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def gitlab_api_url(self) -> str:
        return f"{self.url}/api/v4"

    @property
    def token(self) -> str:
        assert self.state.token is not None
        return self.state.token

    # -- programming the state -------------------------------------------------------------

    def add_pr(
        self,
        number: int,
        files: Iterable[str | FakeFile] = (),
        *,
        base: str = "main",
        draft: bool = False,
        head: str = "",
        sha: str = "",
        title: str = "",
        blobs: dict[str, bytes] | None = None,
        state: str = "open",
    ) -> FakePR:
        pr = FakePR(
            number,
            [f if isinstance(f, FakeFile) else FakeFile(f) for f in files],
            base=base,
            head=head,
            sha=sha,
            draft=draft,
            title=title,
            state=state,
            blobs=dict(blobs or {}),
        )
        with self.lock:
            self.state.prs[number] = pr
        return pr

    def add_comment(self, number: int, body: str, *, author: str = "someone") -> FakeComment:
        with self.lock:
            self.state.next_comment_id += 1
            comment = FakeComment(self.state.next_comment_id, body, author)
            self.state.comments.setdefault(number, []).append(comment)
        return comment

    def add_commit(self, message: str, *, tree: str = EMPTY_TREE, date: str = "") -> str:
        """A commit in the Git database (what ``POST /git/commits`` makes); its sha."""
        with self.lock:
            return _make_commit(self.state, message, tree, [], None, date)

    def set_ref(self, ref: str, sha: str) -> None:
        """Create or move ``ref`` (``refs/...``), as another client's push would."""
        with self.lock:
            self.state.refs[ref] = sha

    def add_fault(self, fault: Fault) -> Fault:
        with self.lock:
            self.state.faults.append(fault)
        return fault

    def stall(self, match: str, kind: str, **options: Any) -> Stall:
        if kind not in ("silence", "trickle", "endless"):
            raise ValueError(f"unknown stall {kind!r}")
        stall = Stall(match, kind, **options)
        with self.lock:
            self.state.stalls.append(stall)
        return stall

    def fail(self, match: str, status: int = 502, *, times: int = 1) -> Fault:
        body = {"message": "Server Error"} if status >= 500 else {"message": f"HTTP {status}"}
        return self.add_fault(Fault(match, status, body, times=times))

    def secondary_rate_limit(
        self, match: str, *, status: int = 403, retry_after: int = 1, times: int = 1
    ) -> Fault:
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        return self.add_fault(
            Fault(match, status, body, {"retry-after": str(retry_after)}, times=times)
        )

    def primary_rate_limit_graphql(self, *, query: str | None = None, times: int = 1) -> Fault:
        reset = str(int(time.time()) + 3600)
        body = {
            "errors": [
                {
                    "type": "RATE_LIMITED",
                    "code": "graphql_rate_limit",
                    "message": "API rate limit exceeded for installation ID 1234.",
                }
            ]
        }
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
        return self.add_fault(Fault("POST /graphql", 200, body, headers, times, query))

    def primary_rate_limit_rest(self, match: str, *, times: int = 1) -> Fault:
        reset = str(int(time.time()) + 3600)
        body = {
            "message": "API rate limit exceeded for installation ID 1234.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
        return self.add_fault(Fault(match, 403, body, headers, times))

    # -- inspecting requests ---------------------------------------------------------------

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Recorded requests, optionally by method and by path regex (searched)."""
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and (path is None or re.search(path, r.path))
        )

    @property
    def server_seconds(self) -> float:
        return sum(r.seconds for r in self.requests)

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()


# ---------------------------------------------------------------------------------------------


def _make_commit(
    state: FakeState,
    message: str,
    tree: str,
    parents: list[str],
    author: dict[str, Any] | None,
    date: str,
) -> str:
    date = date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    person = {"name": "Fake", "email": "fake@example.invalid", "date": date}
    person = {**person, **(author or {})}
    payload = json.dumps([message, tree, parents, person], sort_keys=True).encode()
    sha = hashlib.sha1(payload).hexdigest()
    state.git_commits[sha] = {
        "sha": sha,
        "message": message,
        "tree": {"sha": tree},
        "parents": [{"sha": p} for p in parents],
        "author": person,
        "committer": {**person, "date": date},
    }
    return sha


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _missing_variables(query: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """GitHub's errors for the operation's non-null variables (``$files: Int!``) that were
    not given a value: it refuses such a query before running any of it."""
    header = query.split("{", 1)[0]
    return [
        {
            "extensions": {
                "value": None,
                "problems": [{"path": [], "explanation": "Expected value to not be null"}],
            },
            "locations": [{"line": 1, "column": 1}],
            "message": f"Variable ${name} of type {kind} was provided invalid value",
        }
        for name, kind in re.findall(r"\$(\w+)\s*:\s*([\w\[\]!]+!)", header)
        if variables.get(name) is None
    ]


def _cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(cursor: Any) -> int:
    if cursor is None:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise _Reply(
            200, {"errors": [{"message": f"`{cursor}` does not appear to be a valid cursor."}]}
        ) from exc


class _Handler(BaseHTTPRequestHandler):
    fake: FakeForge
    server_version = "FakeForge/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- plumbing ----------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        start = time.perf_counter()
        split = urllib.parse.urlsplit(self.path)
        raw_path = split.path
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        fake = self.fake
        stall = self._stall(method, raw_path, query, body)
        if stall is not None:
            self._misbehave(stall)
            return
        with fake.lock:
            for hook in list(fake.before_request):
                hook(fake, method, raw_path)
            try:
                self._fault(method, raw_path, body)
                status, payload, headers = self._route(method, raw_path, query, body)
            except _Reply as reply:
                status, payload, headers = reply.status, reply.body, reply.headers
            if isinstance(payload, bytes):
                data = payload
            else:
                data = b"" if payload is None else json.dumps(payload).encode()
            # Record before answering, so a client that got its answer sees the record.
            fake.requests.append(
                RecordedRequest(
                    method,
                    raw_path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    status,
                    time.perf_counter() - start,
                )
            )
        self.send_response(status)
        if not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _stall(self, method: str, path: str, query: dict[str, str], body: Any) -> Stall | None:
        fake = self.fake
        with fake.lock:
            for stall in fake.state.stalls:
                if stall.times > 0 and re.search(stall.match, f"{method} {path}"):
                    stall.times -= 1
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    fake.requests.append(
                        RecordedRequest(method, path, query, headers, body, 0, 0.0)
                    )
                    return stall
        return None

    def _misbehave(self, stall: Stall) -> None:
        self.close_connection = True
        stopping = self.fake.stopping
        try:
            if stall.kind == "silence":
                while not stopping.is_set() and not self._client_gone(stall.interval):
                    pass
            elif stall.kind == "trickle":
                body = b"[" + b" " * 100_000 + b"]"
                data = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                for i in range(len(data)):
                    if stopping.wait(stall.interval) or self._client_gone(0):
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
            else:
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                if stall.declared is not None:
                    head += f"Content-Length: {stall.declared}\r\n"
                self.wfile.write(head.encode() + b"\r\n[")
                chunk = b"0," * 32_768
                while not stopping.is_set():
                    self.wfile.write(chunk)
        except OSError:
            return  # the client hung up: what a client with limits does

    def _client_gone(self, wait: float) -> bool:
        """True once the client has closed its end (waiting up to ``wait`` seconds)."""
        ready, _, _ = select.select([self.connection], [], [], wait)
        if not ready:
            return False
        try:
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        return peeked == b""

    def _fault(self, method: str, path: str, body: Any) -> None:
        target = f"{method} {path}"
        text = body.get("query", "") if isinstance(body, dict) else ""
        for fault in self.fake.state.faults:
            if fault.times <= 0 or not re.search(fault.match, target):
                continue
            if fault.query is not None and not re.search(fault.query, str(text)):
                continue
            fault.times -= 1
            raise _Reply(fault.status, fault.body, dict(fault.headers))

    def _base(self) -> str:
        return f"http://{self.headers.get('Host', LOOPBACK)}"

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if path.startswith("/api/v4/"):
            return _GitLab(self, self.fake.state).route(method, path, query, body)
        return _GitHub(self, self.fake.state).route(method, path, query, body)


def _page(
    items: Sequence[Any], query: dict[str, str], *, default: int, cap: int
) -> tuple[list[Any], int, int, int]:
    try:
        per_page = max(1, min(cap, int(query.get("per_page", default))))
        page = max(1, int(query.get("page", 1)))
    except ValueError as exc:
        raise _Reply(400, {"message": "invalid page"}) from exc
    last = max(1, -(-len(items) // per_page))
    return list(items[(page - 1) * per_page : page * per_page]), page, per_page, last


def _page_url(handler: _Handler, path: str, query: dict[str, str], page: int) -> str:
    q = {**query, "page": str(page)}
    return f"{handler._base()}{path}?{urllib.parse.urlencode(q)}"


class _GitHub:
    def __init__(self, handler: _Handler, state: FakeState) -> None:
        self.h = handler
        self.s = state

    def route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        self._auth()
        if path == "/graphql" and method == "POST":
            if not self.s.graphql_enabled:
                raise _Reply(404, {"message": "Not Found"})
            return 200, self.graphql(body), {}
        if path == "/user" and method == "GET":
            if not self.s.github_user_endpoint:
                raise _Reply(403, {"message": "Resource not accessible by integration"})
            return 200, {"login": self.s.github_viewer, "id": 1, "type": "User"}, {}
        prefix = f"/repos/{self.s.owner}/{self.s.repo}/"
        if not path.startswith(prefix):
            raise _Reply(404, {"message": "Not Found"})
        rest = path[len(prefix) :]
        parts = [urllib.parse.unquote(p) for p in rest.split("/")]
        if method == "GET" and parts == ["pulls"]:
            return self.pulls(path, query)
        if method == "GET" and len(parts) == 2 and parts[0] == "pulls":
            return 200, self.pull(self._pr(parts[1])), {}
        if method == "GET" and len(parts) == 3 and parts[0] == "pulls" and parts[2] == "files":
            return self.pull_files(path, query, self._pr(parts[1]))
        if len(parts) == 3 and parts[0] == "issues" and parts[2] == "comments":
            number = int(parts[1])
            if method == "GET":
                return self.comments(path, query, number)
            if method == "POST":
                return self.post_comment(number, body)
        if method == "PATCH" and len(parts) == 3 and parts[:2] == ["issues", "comments"]:
            return self.patch_comment(int(parts[2]), body)
        if method == "GET" and parts[0] == "contents":
            return self.contents("/".join(parts[1:]), query.get("ref", ""))
        if parts[0] == "git" and len(parts) >= 2:
            return self.git_database(method, path, query, parts[1], "/".join(parts[2:]), body)
        raise _Reply(404, {"message": "Not Found"})

    def _auth(self) -> None:
        if self.s.token is None:
            return
        given = self.h.headers.get("Authorization", "")
        if given not in (f"Bearer {self.s.token}", f"token {self.s.token}"):
            raise _Reply(
                401,
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            )

    def _pr(self, number: str) -> FakePR:
        try:
            return self.s.prs[int(number)]
        except (KeyError, ValueError) as exc:
            raise _Reply(404, {"message": "Not Found"}) from exc

    # -- REST --------------------------------------------------------------------------------

    def _list(
        self,
        path: str,
        query: dict[str, str],
        items: Sequence[Any],
        *,
        cap_total: int | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        if cap_total is not None:
            items = items[:cap_total]
        chunk, page, _, last = _page(items, query, default=30, cap=100)
        links = []
        if page < last:
            links.append(f'<{_page_url(self.h, path, query, page + 1)}>; rel="next"')
            links.append(f'<{_page_url(self.h, path, query, last)}>; rel="last"')
        if page > 1:
            links.append(f'<{_page_url(self.h, path, query, 1)}>; rel="first"')
            links.append(f'<{_page_url(self.h, path, query, page - 1)}>; rel="prev"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})

    def pulls(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        base = query.get("base")
        prs = [
            pr
            for pr in sorted(self.s.prs.values(), key=lambda p: -p.number)  # newest first
            if (state == "all" or pr.state == state) and (base is None or pr.base == base)
        ]
        items = [self._pull_json(pr) for pr in prs]
        return self._list(path, query, items)

    def _pull_json(self, pr: FakePR) -> dict[str, Any]:
        return {
            "number": pr.number,
            "title": pr.title,
            "state": pr.state,
            "draft": pr.draft,
            "html_url": f"https://github.example/{self.s.owner}/{self.s.repo}/pull/{pr.number}",
            "head": {"ref": pr.head, "sha": pr.sha},
            "base": {"ref": pr.base},
        }

    def pull(self, pr: FakePR) -> dict[str, Any]:
        """``GET /pulls/{n}``: the list's fields and the counts only this answer has."""
        return {**self._pull_json(pr), "commits": 1, "changed_files": len(pr.files)}

    def pull_files(
        self, path: str, query: dict[str, str], pr: FakePR
    ) -> tuple[int, Any, dict[str, str]]:
        items = []
        for f in pr.listed_files():
            item: dict[str, Any] = {"filename": f.path, "status": f.status, "additions": 1}
            if f.previous is not None:
                item["previous_filename"] = f.previous
            items.append(item)
        return self._list(path, query, items, cap_total=3000)

    def _comment_json(self, number: int, c: FakeComment) -> dict[str, Any]:
        return {
            "id": c.id,
            "body": c.body,
            "user": {"login": c.author},
            "html_url": f"https://github.example/{self.s.owner}/{self.s.repo}/pull/{number}"
            f"#issuecomment-{c.id}",
        }

    def comments(
        self, path: str, query: dict[str, str], number: int
    ) -> tuple[int, Any, dict[str, str]]:
        items = [self._comment_json(number, c) for c in self.s.comments.get(number, [])]
        return self._list(path, query, items)

    def _writable(self) -> None:
        if not self.s.can_comment:
            raise _Reply(403, {"message": "Resource not accessible by integration"})

    def post_comment(self, number: int, body: Any) -> tuple[int, Any, dict[str, str]]:
        self._writable()
        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
            raise _Reply(422, {"message": "Validation Failed"})
        self.s.next_comment_id += 1
        comment = FakeComment(self.s.next_comment_id, body["body"], self.s.github_author)
        self.s.comments.setdefault(number, []).append(comment)
        return 201, self._comment_json(number, comment), {}

    def patch_comment(self, comment_id: int, body: Any) -> tuple[int, Any, dict[str, str]]:
        self._writable()
        for number, comments in self.s.comments.items():
            for c in comments:
                if c.id == comment_id:
                    if c.author != self.s.github_author:  # someone else's comment
                        raise _Reply(403, {"message": "Must have admin rights to Repository."})
                    c.body = body["body"]
                    return 200, self._comment_json(number, c), {}
        raise _Reply(404, {"message": "Not Found"})

    def contents(self, path: str, ref: str) -> tuple[int, Any, dict[str, str]]:
        for pr in self.s.prs.values():
            if pr.sha == ref and path in pr.blobs:
                data = pr.blobs[path]
                return (
                    200,
                    {
                        "type": "file",
                        "path": path,
                        "encoding": "base64",
                        "size": len(data),
                        "sha": f"{abs(hash(data)):040x}"[:40],
                        "content": base64.encodebytes(data).decode(),
                    },
                    {},
                )
        raise _Reply(404, {"message": "Not Found"})

    # -- the Git database API ------------------------------------------------------------------

    def _ref_json(self, ref: str) -> dict[str, Any]:
        sha = self.s.refs[ref]
        url = f"https://api.github.example/repos/{self.s.owner}/{self.s.repo}/git/{ref}"
        return {"ref": ref, "url": url, "object": {"sha": sha, "type": "commit"}}

    def _refs_writable(self) -> None:
        if not self.s.refs_writable:
            raise _Reply(
                403,
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": "https://docs.github.com/rest/git/refs",
                },
            )

    def git_database(
        self, method: str, path: str, query: dict[str, str], kind: str, rest: str, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and kind == "matching-refs":
            prefix = "refs/" + rest
            items = [self._ref_json(r) for r in sorted(self.s.refs) if r.startswith(prefix)]
            return self._list(path, query, items)
        if method == "GET" and kind == "ref" and rest:
            if f"refs/{rest}" not in self.s.refs:
                raise _Reply(404, {"message": "Not Found"})
            return 200, self._ref_json(f"refs/{rest}"), {}
        if method == "GET" and kind == "commits" and rest in self.s.git_commits:
            return 200, self.s.git_commits[rest], {}
        if method == "POST" and kind == "commits" and not rest:
            self._refs_writable()
            if not isinstance(body, dict) or not isinstance(body.get("message"), str):
                raise _Reply(422, {"message": "Invalid request."})
            tree, parents = body.get("tree"), body.get("parents") or []
            if tree != EMPTY_TREE or any(p not in self.s.git_commits for p in parents):
                raise _Reply(422, {"message": "Tree SHA does not exist"})
            sha = _make_commit(self.s, body["message"], tree, parents, body.get("author"), "")
            return 201, self.s.git_commits[sha], {}
        if method == "POST" and kind == "refs" and not rest:
            self._refs_writable()
            ref = body.get("ref") if isinstance(body, dict) else None
            target = body.get("sha") if isinstance(body, dict) else None
            if not isinstance(ref, str) or not _REF_NAME.match(ref):
                raise _Reply(422, {"message": f"{ref} is not a valid ref name."})
            if not isinstance(target, str) or target not in self.s.git_commits:
                raise _Reply(422, {"message": "Object does not exist"})
            if ref in self.s.refs:
                raise _Reply(
                    422,
                    {
                        "message": "Reference already exists",
                        "documentation_url": "https://docs.github.com/rest/git/refs"
                        "#create-a-reference",
                        "status": "422",
                    },
                )
            self.s.refs[ref] = target
            return 201, self._ref_json(ref), {}
        if method == "DELETE" and kind == "refs" and rest:
            self._refs_writable()
            if self.s.refs.pop(f"refs/{rest}", None) is None:
                raise _Reply(422, {"message": "Reference does not exist"})
            return 204, None, {}
        raise _Reply(404, {"message": "Not Found"})

    # -- GraphQL -----------------------------------------------------------------------------

    def graphql(self, body: Any) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return {
                "errors": [{"message": "A query attribute must be specified and must be a string."}]
            }
        query: str = body["query"]
        variables: dict[str, Any] = body.get("variables") or {}
        missing = _missing_variables(query, variables)
        if missing:
            return {"errors": missing}
        if re.search(r"\bviewer\s*\{", query):
            return {"data": {"viewer": {"login": self.s.github_viewer}}}
        if (variables.get("owner"), variables.get("name")) != (self.s.owner, self.s.repo):
            return {
                "data": {"repository": None},
                "errors": [
                    {
                        "type": "NOT_FOUND",
                        "path": ["repository"],
                        "message": "Could not resolve to a Repository with the name "
                        f"'{variables.get('owner')}/{variables.get('name')}'.",
                    }
                ],
            }
        if "pullRequests(" in query:
            return {"data": {"repository": {"pullRequests": self.pr_page(variables)}}}
        aliases = re.findall(r"(\w+): pullRequest\(number: \$(\w+)\)", query)
        if aliases:
            cursors = dict(re.findall(r"pullRequest\(number: \$(\w+)\).*?after: \$(\w+)", query))
            repo: dict[str, Any] = {}
            for alias, nvar in aliases:
                pr = self.s.prs.get(int(variables[nvar]))
                if pr is None:
                    repo[alias] = None
                    continue
                files = self.files_conn(pr, variables.get("files"), variables.get(cursors[nvar]))
                repo[alias] = {
                    "number": pr.number,
                    "headRefOid": pr.sha,
                    "changedFiles": len(pr.files),
                    "files": files,
                }
            return {"data": {"repository": repo}}
        blobs = re.findall(r"(\w+): object\(expression: \$(\w+)\)", query)
        if blobs:
            repo = {}
            for alias, evar in blobs:
                sha, _, path = str(variables[evar]).partition(":")
                repo[alias] = self.blob(sha, path)
            return {"data": {"repository": repo}}
        return {"errors": [{"message": "Parse error on query (fake forge does not know it)"}]}

    def _first(self, value: Any, connection: str) -> int:
        if not isinstance(value, int) or value < 1 or value > 100:
            raise _Reply(
                200,
                {
                    "data": None,
                    "errors": [
                        {
                            "type": "EXCESSIVE_PAGINATION",
                            "message": f"Requesting {value} records on the `{connection}` "
                            "connection exceeds the `first` limit of 100 records.",
                        }
                    ],
                },
            )
        return value

    def pr_page(self, variables: dict[str, Any]) -> dict[str, Any]:
        first = self._first(variables.get("first"), "pullRequests")
        prs = sorted(
            (p for p in self.s.prs.values() if p.state == "open" and p.base == variables["base"]),
            key=lambda p: p.number,
        )
        start = _offset(variables.get("cursor"))
        listed = [p for p in prs if not p.hidden]
        chunk = listed[start : start + first]
        nodes = [
            {
                "number": pr.number,
                "title": pr.title,
                "url": f"https://github.example/{self.s.owner}/{self.s.repo}/pull/{pr.number}",
                "isDraft": pr.draft,
                "headRefName": pr.head,
                "headRefOid": pr.sha,
                "baseRefName": pr.base,
                "changedFiles": len(pr.files),
                "files": self.files_conn(pr, variables.get("files"), None),
            }
            for pr in chunk
        ]
        end = start + len(chunk)
        return {
            "totalCount": len(prs),
            "pageInfo": {
                "hasNextPage": end < len(listed),
                "endCursor": _cursor(end) if chunk else None,
            },
            "nodes": nodes,
        }

    def files_conn(self, pr: FakePR, first: Any, cursor: Any) -> dict[str, Any]:
        first = self._first(first, "files")
        listed = pr.listed_files()
        start = _offset(cursor)
        chunk = listed[start : start + first]
        end = start + len(chunk)
        end_cursor = _cursor(end) if chunk else None
        if cursor is not None and pr.files_cursor == "repeat":
            end_cursor = cursor
        elif cursor is not None and pr.files_cursor == "null":
            end_cursor = None
        return {
            "totalCount": pr.files_total(),
            "pageInfo": {
                "hasNextPage": end < len(listed)
                or (pr.files_cursor is not None and cursor is not None),
                "endCursor": end_cursor,
            },
            "nodes": [
                {"path": f.path, "changeType": _CHANGE_TYPE.get(f.status, "MODIFIED")}
                for f in chunk
            ],
        }

    def blob(self, sha: str, path: str) -> dict[str, Any] | None:
        for pr in self.s.prs.values():
            if pr.sha == sha and path in pr.blobs:
                data = pr.blobs[path]
                try:
                    text: str | None = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                return {
                    "__typename": "Blob",
                    "text": text,
                    "isBinary": text is None,
                    "isTruncated": False,
                    "byteSize": len(data),
                }
        return None


class _GitLab:
    def __init__(self, handler: _Handler, state: FakeState) -> None:
        self.h = handler
        self.s = state

    def route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        job = self._auth()
        if path == "/api/v4/user" and method == "GET":
            if job:
                raise _Reply(401, {"message": "401 Unauthorized"})
            return 200, {"id": 7, "username": self.s.gitlab_user, "bot": True}, {}
        raw_parts = path[len("/api/v4/") :].split("/")
        parts = [urllib.parse.unquote(p) for p in raw_parts]
        if (
            len(parts) < 2
            or parts[0] != "projects"
            or parts[1]
            not in (
                self.s.project_id,
                f"{self.s.owner}/{self.s.repo}",
            )
        ):
            raise _Reply(404, {"message": "404 Project Not Found"})
        rest = parts[2:]
        if method == "GET" and rest == ["merge_requests"]:
            return self.merge_requests(path, query)
        if len(rest) >= 3 and rest[0] == "merge_requests":
            pr = self._mr(rest[1])
            if method == "GET" and rest[2:] == ["diffs"]:
                return self.diffs(path, query, pr)
            if rest[2] == "notes":
                if job and method != "GET":
                    raise _Reply(403, {"message": "403 Forbidden"})
                if method == "GET" and len(rest) == 3:
                    return self.notes(path, query, pr.number)
                if method == "POST" and len(rest) == 3:
                    return self.post_note(pr.number, body)
                if method == "PUT" and len(rest) == 4:
                    return self.put_note(pr.number, int(rest[3]), body)
        if method == "GET" and rest[:2] == ["repository", "files"] and len(rest) == 3:
            return self.file(rest[2], query.get("ref", ""))
        raise _Reply(404, {"message": "404 Not Found"})

    def _auth(self) -> bool:
        """True when authenticated with a job token."""
        private = self.h.headers.get("PRIVATE-TOKEN")
        job = self.h.headers.get("JOB-TOKEN")
        if self.s.job_token is not None and job == self.s.job_token:
            return True
        if self.s.token is not None and private != self.s.token:
            raise _Reply(401, {"message": "401 Unauthorized"})
        return False

    def _mr(self, iid: str) -> FakePR:
        try:
            return self.s.prs[int(iid)]
        except (KeyError, ValueError) as exc:
            raise _Reply(404, {"message": "404 Not found"}) from exc

    def _list(
        self, path: str, query: dict[str, str], items: Sequence[Any]
    ) -> tuple[int, Any, dict[str, str]]:
        chunk, page, per_page, last = _page(items, query, default=20, cap=100)
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-total": str(len(items)),
            "x-total-pages": str(last),
            "x-next-page": str(page + 1) if page < last else "",
            "x-prev-page": str(page - 1) if page > 1 else "",
        }
        if self.s.gitlab_link_header:
            links = []
            if page < last:
                links.append(f'<{_page_url(self.h, path, query, page + 1)}>; rel="next"')
            links.append(f'<{_page_url(self.h, path, query, 1)}>; rel="first"')
            links.append(f'<{_page_url(self.h, path, query, last)}>; rel="last"')
            headers["Link"] = ", ".join(links)
        return 200, chunk, headers

    def merge_requests(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = {"opened": "open"}.get(query.get("state", ""), query.get("state"))
        target = query.get("target_branch")
        mrs = [
            pr
            for pr in sorted(self.s.prs.values(), key=lambda p: -p.number)
            if (state in (None, "all") or pr.state == state)
            and (target is None or pr.base == target)
        ]
        items = [
            {
                "id": 10_000 + pr.number,
                "iid": pr.number,
                "project_id": int(self.s.project_id),
                "title": ("Draft: " if pr.draft else "") + pr.title,
                "state": "opened" if pr.state == "open" else pr.state,
                "draft": pr.draft,
                "work_in_progress": pr.draft,
                "source_branch": pr.head,
                "target_branch": pr.base,
                "sha": pr.sha,
                "web_url": f"https://gitlab.example/{self.s.owner}/{self.s.repo}/-/merge_requests/"
                f"{pr.number}",
            }
            for pr in mrs
        ]
        return self._list(path, query, items)

    def diffs(
        self, path: str, query: dict[str, str], pr: FakePR
    ) -> tuple[int, Any, dict[str, str]]:
        items = [
            {
                "old_path": f.previous or f.path,
                "new_path": f.path,
                "a_mode": "0" if f.status == "added" else "100644",
                "b_mode": "0" if f.status == "removed" else "100644",
                "new_file": f.status == "added",
                "renamed_file": f.status == "renamed",
                "deleted_file": f.status == "removed",
                "generated_file": False,
                "diff": "@@ -0,0 +1 @@\n+x\n",
            }
            for f in pr.listed_files()
        ]
        return self._list(path, query, items)

    def _note_json(self, c: FakeComment) -> dict[str, Any]:
        return {"id": c.id, "body": c.body, "author": {"username": c.author}, "system": c.system}

    def notes(self, path: str, query: dict[str, str], iid: int) -> tuple[int, Any, dict[str, str]]:
        items = [self._note_json(c) for c in self.s.comments.get(iid, [])]
        return self._list(path, query, items)

    def post_note(self, iid: int, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not self.s.can_comment:
            raise _Reply(403, {"message": "403 Forbidden"})
        self.s.next_comment_id += 1
        note = FakeComment(self.s.next_comment_id, body["body"], self.s.gitlab_user)
        self.s.comments.setdefault(iid, []).append(note)
        return 201, self._note_json(note), {}

    def put_note(self, iid: int, note_id: int, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not self.s.can_comment:
            raise _Reply(403, {"message": "403 Forbidden"})
        for c in self.s.comments.get(iid, []):
            if c.id == note_id:
                if c.author != self.s.gitlab_user:  # someone else's note
                    raise _Reply(403, {"message": "403 Forbidden"})
                c.body = body["body"]
                return 200, self._note_json(c), {}
        raise _Reply(404, {"message": "404 Not found"})

    def file(self, path: str, ref: str) -> tuple[int, Any, dict[str, str]]:
        for pr in self.s.prs.values():
            if ref in (pr.sha, pr.head) and path in pr.blobs:
                data = pr.blobs[path]
                return (
                    200,
                    {
                        "file_name": path.rsplit("/", 1)[-1],
                        "file_path": path,
                        "size": len(data),
                        "encoding": "base64",
                        "content": base64.b64encode(data).decode(),
                        "ref": ref,
                    },
                    {},
                )
        raise _Reply(404, {"message": "404 File Not Found"})
