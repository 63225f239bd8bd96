"""A tiny stdlib JSON client for forge APIs (GitHub REST and GraphQL, GitLab REST).

* JSON in, JSON out; ``Link: rel="next"`` and GitLab's ``x-next-page`` pagination.
* Retries, bounded by ``RetryPolicy.attempts``: 5xx answers and connection failures (only for
  idempotent requests), and rate-limit answers (403/429 with ``retry-after`` or
  ``x-ratelimit-remaining: 0``; a GraphQL ``RATE_LIMITED`` error body) when the wait they ask
  for is at most ``RetryPolicy.max_wait``. Otherwise ``RateLimitError``: a rate limit is never
  success. ``sleep`` and ``clock`` are injectable so tests run without waiting.
* The token is a ``Secret``: its ``str``/``repr`` is ``***``, every error message is masked,
  it is only sent to the origin of ``base_url`` (not to a ``Link`` or redirect elsewhere), and
  no exception chains back to an object that holds it.
* ``requests`` counts every HTTP request sent (retries included).
* Limits (``ForgeLimits``), each a ``ForgeError`` (exit 3) with a sentence naming the option:
  every request has an overall deadline from connecting to its last byte (``timeout``; a
  socket timeout alone bounds one read, so a server trickling a byte at a time would run on:
  a watchdog shuts the connection down at the deadline); all requests of one command share a
  budget of time in flight, retry waits included (``deadline``); an answer may not exceed
  ``max_bytes`` (an endless body is cut off, a larger ``Content-Length`` refused unread).
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import ipaddress
import itertools
import json
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.client import HTTPMessage
from typing import Any, TypeVar

from migration_guard import redact
from migration_guard.errors import ForgeError, UsageError

USER_AGENT = "migration-guard"
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^,;]+)*)")
_MIB = 1024 * 1024
_CHUNK = 64 * 1024
ENV_TIMEOUT = "MIGRATION_GUARD_FORGE_TIMEOUT"
ENV_DEADLINE = "MIGRATION_GUARD_FORGE_DEADLINE"
ENV_MAX_MIB = "MIGRATION_GUARD_FORGE_MAX_MIB"


@dataclass(frozen=True)
class ForgeLimits:
    """How long and how much a forge may take. Defaults: 30 s per request, 120 s for all
    the requests of one command, 50 MiB per answer."""

    timeout: float = 30.0
    """Seconds one request may take, from connecting to its last byte."""
    deadline: float = 120.0
    """Seconds all requests of one command may be in flight, retry waits included."""
    max_bytes: int = 50 * _MIB
    """The largest answer (body) read."""

    @classmethod
    def resolve(
        cls,
        env: Mapping[str, str],
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        max_mib: float | None = None,
    ) -> ForgeLimits:
        """Command-line values, else ``MIGRATION_GUARD_FORGE_TIMEOUT`` / ``_DEADLINE`` /
        ``_MAX_MIB``, else the defaults. Not a positive number: ``UsageError`` (exit 2)."""
        default = cls()
        mib = _limit(max_mib, env, ENV_MAX_MIB, "--forge-max-mib", default.max_bytes / _MIB)
        return cls(
            timeout=_limit(timeout, env, ENV_TIMEOUT, "--forge-timeout", default.timeout),
            deadline=_limit(deadline, env, ENV_DEADLINE, "--forge-deadline", default.deadline),
            max_bytes=max(1, int(mib * _MIB)),
        )


def _limit(
    value: float | None, env: Mapping[str, str], name: str, option: str, default: float
) -> float:
    source, shown = option, f"{value:g}" if value is not None else ""
    if value is None:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        source, shown = name, repr(raw)
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(
            f"{source} must be a positive number, not {shown}",
            hint=f"e.g. {option} {default:g} (the default)",
        )
    return value


def _seconds(value: float) -> str:
    return f"{value:g} s"


class Secret:
    """A token that never shows itself: ``str``/``repr`` give ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


class HTTPStatusError(ForgeError):
    """The forge answered with an error status (after any retries)."""

    def __init__(self, message: str, *, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class RateLimitError(ForgeError):
    """A rate limit that we may not (or can no longer) wait out."""

    def __init__(self, message: str, *, reset_at: float | None = None) -> None:
        super().__init__(
            message,
            hint="Wait for the limit to reset, or use a token with its own budget.",
        )
        self.reset_at = reset_at


class GraphQLError(ForgeError):
    """A GraphQL answer with ``errors`` (other than a rate limit)."""

    def __init__(self, message: str, *, types: tuple[str, ...]) -> None:
        super().__init__(message)
        self.types = types


class TransportError(ForgeError):
    """The forge could not be reached (DNS, connection, timeout, TLS)."""


class RequestTimeoutError(TransportError):
    """One request took longer than ``ForgeLimits.timeout`` (retried like a lost connection)."""


class LimitError(ForgeError):
    """A limit of the whole command was reached: not retried, not worked around."""


class DeadlineError(LimitError):
    """The command's forge requests took longer than ``ForgeLimits.deadline`` in all."""


class ResponseTooLargeError(LimitError):
    """An answer larger than ``ForgeLimits.max_bytes``."""


_LimitError = TypeVar("_LimitError", bound=ForgeError)


class _Budget:
    """Time the requests of one client (one command) have been in flight: wall-clock time
    during which at least one request runs, so parallel requests count once and the
    command's own work between requests not at all."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._spent = 0.0
        self._active = 0
        self._since = 0.0

    def enter(self) -> None:
        with self._lock:
            if self._active == 0:
                self._since = self._monotonic()
            self._active += 1

    def leave(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self._spent += self._monotonic() - self._since

    def remaining(self) -> float:
        with self._lock:
            running = self._monotonic() - self._since if self._active else 0.0
            return self.seconds - self._spent - running


class _Watchdog:
    """Shuts a request's connections down at its deadline, so that no read blocks past it
    (a socket timeout bounds one read only: a byte every few seconds never trips it). It
    holds a duplicate of each socket: shutting that down ends the connection even after TLS
    has taken the original over."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self.done = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        _REAPER.add(time.monotonic() + max(0.0, seconds), self)

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            if self.done:
                return
            dup = sock.dup()
            self._socks.append(dup)
            if self.fired:
                _shutdown(dup)

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.fired = True
            for sock in self._socks:
                _shutdown(sock)

    def cancel(self) -> None:
        with self._lock:
            self.done = True
            for sock in self._socks:
                sock.close()
            self._socks.clear()


class _Reaper:
    """One daemon thread for every watchdog, asleep until the nearest deadline (a thread per
    request would cost more than the request to a nearby server)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, when: float, watchdog: _Watchdog) -> None:
        with self._cond:
            earliest = not self._heap or when < self._heap[0][0]
            heapq.heappush(self._heap, (when, next(self._order), watchdog))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="migration-guard-forge-watchdog", daemon=True
                )
                self._thread.start()
            elif earliest:
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    _, _, watchdog = heapq.heappop(self._heap)
                    watchdog.fire()
                self._cond.wait(self._heap[0][0] - now if self._heap else None)


_REAPER = _Reaper()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)


_local = threading.local()


def _guarded_connection(*args: Any, **kwargs: Any) -> socket.socket:
    """``socket.create_connection``, with the socket handed to this thread's watchdog."""
    sock = socket.create_connection(*args, **kwargs)
    watchdog: _Watchdog | None = getattr(_local, "watchdog", None)
    if watchdog is not None:
        watchdog.attach(sock)
    return sock


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req)


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Total tries of one request (1 = no retry)."""
    backoff: float = 1.0
    """Wait before retry ``n`` (0-based): ``backoff * 2**n`` unless the server says otherwise."""
    max_wait: float = 60.0
    """The longest single wait we accept; a rate limit asking for more fails at once."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def link(self, rel: str) -> str | None:
        return parse_links(self.header("link") or "").get(rel)


def parse_links(value: str) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="last"`` -> ``{"next": url, "last": url}``."""
    links: dict[str, str] = {}
    for match in _LINK_RE.finditer(value):
        url, params = match.group(1), match.group(2)
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key.strip().lower() == "rel":
                for rel in val.strip().strip('"').split():
                    links.setdefault(rel, url)
    return links


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _NoLeakRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects, re-adding the credential only when the origin does not change."""

    def __init__(self, auth: tuple[str, str] | None) -> None:
        self._auth = auth

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and self._auth and _origin(newurl) == _origin(req.full_url):
            new.add_unredirected_header(*self._auth)
        return new


@dataclass
class _Counter:
    value: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self) -> None:
        with self.lock:
            self.value += 1


class JsonClient:
    """JSON over HTTP(S) to one forge. Thread-safe (the request counter is locked)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: Secret | None = None,
        auth_header: str = "Authorization",
        auth_prefix: str = "Bearer ",
        headers: Mapping[str, str] | None = None,
        name: str = "forge",
        limits: ForgeLimits | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        also_allow: Sequence[str] = (),
    ) -> None:
        """``also_allow``: URLs of other origins the token may be sent to (GraphQL endpoint).
        ``clock`` reads rate-limit reset times (epoch); ``monotonic`` measures the limits."""
        self.base_url = base_url.rstrip("/")
        self._origins = {_origin(self.base_url), *(_origin(u) for u in also_allow)}
        self.name = name
        self._token = token if token else None
        if token:
            redact.register(token.reveal())
        for url in (self.base_url, *also_allow):
            redact.register_url(url)
        self._auth = (auth_header, f"{auth_prefix}{token.reveal()}") if token else None
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        self.limits = limits or ForgeLimits()
        self._budget = _Budget(self.limits.deadline, monotonic)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._counter = _Counter()
        handlers: list[urllib.request.BaseHandler] = [
            _NoLeakRedirect(self._auth),
            _GuardedHTTPHandler(),
            _GuardedHTTPSHandler(),
        ]
        if _is_loopback(urllib.parse.urlsplit(self.base_url).hostname):
            handlers.append(urllib.request.ProxyHandler({}))  # never send loopback to a proxy
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        token = "***" if self._token else "None"
        return f"JsonClient({self.base_url!r}, token={token})"

    @property
    def requests(self) -> int:
        return self._counter.value

    @property
    def has_token(self) -> bool:
        return self._token is not None

    # -- helpers ---------------------------------------------------------------------------

    def mask(self, text: str) -> str:
        """``text`` with the token (in any case, raw or URL-quoted) and every other known
        secret, such as a password in the API URL, replaced by ``***``."""
        return redact.redact(text)

    def url(self, path: str, params: Mapping[str, str | int] | None = None) -> str:
        url = path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"
        if params:
            sep = "&" if "?" in url else "?"
            url += sep + urllib.parse.urlencode({k: str(v) for k, v in params.items()})
        return url

    def _check_origin(self, url: str) -> None:
        if _origin(url) not in self._origins:
            raise ForgeError(
                self.mask(
                    f"{self.name}: not sending a request to {url}: it is outside {self.base_url}"
                )
            )

    # -- one request, with retries ---------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        allow: Sequence[int] = (),
        graphql: bool = False,
    ) -> Response:
        """Send one request (retrying per the policy) and return the decoded answer.

        ``allow``: error statuses returned to the caller instead of raised (e.g. 404).
        ``graphql``: inspect a 200 body for a rate-limit error (GitHub answers those with 200).
        """
        url = self.url(path, params)
        self._check_origin(url)
        if idempotent is None:
            idempotent = method.upper() in {"GET", "HEAD", "PUT", "PATCH", "DELETE"}
        data = None if body is None else json.dumps(body).encode()
        self._budget.enter()
        try:
            return self._attempts(method, url, data, idempotent, allow, graphql)
        finally:
            self._budget.leave()

    def _attempts(
        self,
        method: str,
        url: str,
        data: bytes | None,
        idempotent: bool,
        allow: Sequence[int],
        graphql: bool,
    ) -> Response:
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= max(1, self.retry.attempts)
            try:
                status, headers, raw = self._send(method, url, data)
            except TransportError:
                if not idempotent or last or not self._can_wait(self._backoff(attempt)):
                    raise
                self._sleep(self._backoff(attempt))
                continue
            decoded = self._decode(raw, status, url, headers)
            wait = self._rate_limit_wait(status, headers, decoded, graphql=graphql, attempt=attempt)
            if wait is not None:
                if last or wait > self.retry.max_wait or not self._can_wait(wait):
                    raise self._rate_limit_error(headers, decoded, url, method)
                self._sleep(wait)
                continue
            if (
                status in _RETRY_STATUSES
                and idempotent
                and not last
                and self._can_wait(self._backoff(attempt))
            ):
                self._sleep(self._backoff(attempt))
                continue
            if 200 <= status < 300 or status in allow:
                if graphql and 200 <= status < 300:
                    _raise_graphql_errors(decoded, self.mask)
                return Response(status, headers, decoded, url)
            raise self._status_error(method, url, status, decoded, attempt)

    def _can_wait(self, seconds: float) -> bool:
        """A wait that leaves time for another try within the command's deadline."""
        return seconds < self._budget.remaining()

    def _backoff(self, attempt: int) -> float:
        return float(min(self.retry.max_wait, self.retry.backoff * 2 ** (attempt - 1)))

    def _send(self, method: str, url: str, data: bytes | None) -> tuple[int, dict[str, str], bytes]:
        remaining = self._budget.remaining()
        if remaining <= 0:
            raise self._deadline_error(method, url)
        limit = min(self.limits.timeout, remaining)
        req = urllib.request.Request(url, data=data, method=method.upper())
        for key, value in self._headers.items():
            req.add_header(key, value)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self._auth:
            req.add_unredirected_header(*self._auth)
        self._counter.bump()
        watchdog = _Watchdog(limit)
        _local.watchdog = watchdog
        try:
            try:
                with self._opener.open(req, timeout=limit) as resp:
                    answer = resp.status, _lower(resp.headers), self._read(resp, method, url)
            except urllib.error.HTTPError as exc:
                with exc:
                    try:
                        body = self._read(exc, method, url)
                    except (OSError, http.client.HTTPException):
                        body = b""  # the status is what matters; the body is only for messages
                    answer = exc.code, _lower(exc.headers), body
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
                if watchdog.fired or _is_timeout(exc):
                    raise self._timeout_error(method, url, limit) from None
                reason = getattr(exc, "reason", exc)
                raise TransportError(
                    self.mask(f"could not reach {self.name} at {_strip_query(url)}: {reason}"),
                    hint="Check the API URL and the network.",
                ) from None
            if watchdog.fired:  # the answer may have been cut short at the deadline
                raise self._timeout_error(method, url, limit)
            return answer
        finally:
            _local.watchdog = None
            watchdog.cancel()

    def _read(self, resp: Any, method: str, url: str) -> bytes:
        """The body, at most ``limits.max_bytes`` of it (a larger ``Content-Length`` is
        refused before reading; an endless body is cut off just past the cap)."""
        cap = self.limits.max_bytes
        length = (resp.headers.get("content-length") or "").strip()
        if length.isdigit() and int(length) > cap:
            raise self._too_large_error(method, url)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = resp.read(min(_CHUNK, cap + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise self._too_large_error(method, url)

    def _timeout_error(self, method: str, url: str, limit: float) -> TransportError | DeadlineError:
        if limit < self.limits.timeout:  # the command's budget, not this request, ran out
            return self._deadline_error(method, url)
        return self._limit_error(
            RequestTimeoutError,
            f"{self.name} did not answer {method} {_strip_query(url)} within "
            f"{_seconds(limit)} (the limit for one request, --forge-timeout)",
            f"Check the forge's status, or allow more with --forge-timeout SECONDS "
            f"or {ENV_TIMEOUT}.",
        )

    def _deadline_error(self, method: str, url: str) -> DeadlineError:
        return self._limit_error(
            DeadlineError,
            f"{self.name}: stopped at {method} {_strip_query(url)}: this command's requests "
            f"to {self.name} have taken {_seconds(self.limits.deadline)}, its limit "
            "(--forge-deadline)",
            f"Check the forge's status, or allow more with --forge-deadline SECONDS "
            f"or {ENV_DEADLINE}.",
        )

    def _too_large_error(self, method: str, url: str) -> ResponseTooLargeError:
        return self._limit_error(
            ResponseTooLargeError,
            f"{self.name} answered {method} {_strip_query(url)} with more than "
            f"{self.limits.max_bytes / _MIB:g} MiB; stopped reading (the limit for one "
            "answer, --forge-max-mib)",
            f"Allow more with --forge-max-mib MIB or {ENV_MAX_MIB} if the answer is genuine.",
        )

    def _limit_error(self, kind: type[_LimitError], message: str, hint: str) -> _LimitError:
        """One of :class:`ForgeLimits` was reached: the sentence (masked) and the flag to
        raise it."""
        return kind(self.mask(message), hint=hint)

    def _decode(self, raw: bytes, status: int, url: str, headers: Mapping[str, str]) -> Any:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            if 200 <= status < 300:
                what = (
                    "JSON nested too deeply to read"
                    if isinstance(exc, RecursionError)
                    else "something that is not JSON"
                )
                ctype = (
                    ""
                    if isinstance(exc, RecursionError)
                    else ", " + headers.get("content-type", "?")
                )
                raise ForgeError(
                    self.mask(
                        f"{self.name} answered {_strip_query(url)} with {what} "
                        f"(HTTP {status}{ctype})"
                    )
                ) from None
            return raw.decode("utf-8", "replace")[:200]  # (the status is the error)

    # -- rate limits -----------------------------------------------------------------------

    def _rate_limit_wait(
        self,
        status: int,
        headers: Mapping[str, str],
        decoded: Any,
        *,
        graphql: bool,
        attempt: int,
    ) -> float | None:
        """Seconds to wait before retrying a rate-limited answer; ``None`` if not rate-limited."""
        limited = False
        if status == 429:
            limited = True
        elif status == 403:
            limited = (
                "retry-after" in headers
                or _rate_headers(headers)[0] == "0"
                or "rate limit" in _message(decoded).lower()
            )
        elif graphql and 200 <= status < 300 and _graphql_rate_limited(decoded):
            limited = True
        if not limited:
            return None
        retry_after = headers.get("retry-after", "").strip()
        if retry_after.isdigit():
            return float(retry_after)
        remaining, reset = _rate_headers(headers)
        if remaining == "0" and reset.isdigit():
            return max(0.0, int(reset) - self._clock()) + 1.0
        return self._backoff(attempt)

    def _rate_limit_error(
        self, headers: Mapping[str, str], decoded: Any, url: str, method: str
    ) -> RateLimitError:
        reset = _rate_headers(headers)[1]
        reset_at = float(reset) if reset.isdigit() else None
        when = ""
        if reset_at is not None:
            when = " until " + time.strftime("%H:%M:%S UTC", time.gmtime(reset_at))
        elif headers.get("retry-after", "").strip().isdigit():
            when = f" for {headers['retry-after'].strip()} s"
        detail = _message(decoded) or "rate limit exceeded"
        return RateLimitError(
            self.mask(
                f"{self.name} rate limit: {method} {_strip_query(url)} refused{when}: {detail}"
            ),
            reset_at=reset_at,
        )

    def _status_error(
        self, method: str, url: str, status: int, decoded: Any, attempt: int
    ) -> HTTPStatusError:
        detail = _message(decoded)
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        hint = None
        if status == 401:
            hint = "The token is missing, expired or wrong."
        elif status == 403:
            hint = "The token lacks a permission this needs."
        elif status == 404:
            hint = "Check the repository/project name and that the token can see it."
        message = f"{self.name}: {method} {_strip_query(url)} failed with HTTP {status}{tries}"
        if detail:
            message += f": {detail}"
        return HTTPStatusError(self.mask(message), status=status, hint=hint)

    # -- conveniences ----------------------------------------------------------------------

    def pages(
        self, path: str, params: Mapping[str, str | int] | None = None, *, max_pages: int = 10_000
    ) -> Iterator[Response]:
        """Every page of a list: ``Link: rel="next"``, else GitLab's ``x-next-page``."""
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= max_pages:
                raise ForgeError(self.mask(f"{self.name}: pagination loops at {_strip_query(url)}"))
            seen.add(url)
            resp = self.request("GET", url)
            if not isinstance(resp.data, list):
                raise ForgeError(
                    self.mask(f"{self.name}: {_strip_query(url)} did not answer with a list")
                )
            yield resp
            url = resp.link("next")
            if url is None:
                next_page = (resp.header("x-next-page") or "").strip()
                if next_page:
                    url = _with_param(resp.url, "page", next_page)

    def get_all(self, path: str, params: Mapping[str, str | int] | None = None) -> list[Any]:
        items: list[Any] = []
        for page in self.pages(path, params):
            items.extend(page.data)
        return items

    def graphql(self, url: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """POST a GraphQL query; the ``data`` object, or ``GraphQLError``/``RateLimitError``."""
        resp = self.request(
            "POST",
            url,
            body={"query": query, "variables": dict(variables)},
            idempotent=True,
            graphql=True,
        )
        data = resp.data.get("data") if isinstance(resp.data, dict) else None
        if not isinstance(data, dict):
            raise GraphQLError(self.mask(f"{self.name}: GraphQL answer without data"), types=())
        return data


def _lower(headers: Message | None) -> dict[str, str]:
    if headers is None:
        return {}
    return {k.lower(): v for k, v in headers.items()}


def _rate_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """(remaining, reset epoch) from GitHub's ``x-ratelimit-*`` or GitLab's ``ratelimit-*``."""
    for prefix in ("x-ratelimit-", "ratelimit-"):
        if prefix + "remaining" in headers:
            return (
                headers[prefix + "remaining"].strip(),
                headers.get(prefix + "reset", "").strip(),
            )
    return "", ""


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def _with_param(url: str, key: str, value: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != key
    ]
    query.append((key, value))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _message(decoded: Any) -> str:
    if isinstance(decoded, dict):
        for key in ("message", "error_description", "error"):
            value = decoded.get(key)
            if isinstance(value, str):
                return value[:300]
        errors = decoded.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))[:300]
    if isinstance(decoded, str):
        return decoded.strip()[:200]
    return ""


def _graphql_errors(decoded: Any) -> list[dict[str, Any]]:
    if isinstance(decoded, dict) and isinstance(decoded.get("errors"), list):
        return [e for e in decoded["errors"] if isinstance(e, dict)]
    return []


def _graphql_rate_limited(decoded: Any) -> bool:
    for error in _graphql_errors(decoded):
        kind = str(error.get("type", "")).upper()
        code = str(error.get("code", "")).lower()
        if kind in {"RATE_LIMITED", "RATE_LIMIT"} or code == "graphql_rate_limit":
            return True
        if "rate limit" in str(error.get("message", "")).lower():
            return True
    return False


def _raise_graphql_errors(decoded: Any, mask: Callable[[str], str]) -> None:
    errors = _graphql_errors(decoded)
    if not errors:
        return
    types = tuple(str(e.get("type", "")) for e in errors)
    first = str(errors[0].get("message", "unknown error"))[:300]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise GraphQLError(mask(f"GraphQL error: {first}{more}"), types=types)
