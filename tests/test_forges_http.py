from __future__ import annotations

import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from testing.fake_forge import FakeForge, Fault

from migration_guard.errors import ForgeError, UsageError
from migration_guard.forges.http import (
    DeadlineError,
    ForgeLimits,
    GraphQLError,
    HTTPStatusError,
    JsonClient,
    RateLimitError,
    RequestTimeoutError,
    ResponseTooLargeError,
    RetryPolicy,
    Secret,
    TransportError,
    parse_links,
)

TOKEN = "tok/en+with=odd&chars"
COMMENTS = "/repos/acme/app/issues/1/comments"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeForge]:
    with FakeForge(token=TOKEN) as server:
        yield server


def client(fake: FakeForge, sleeps: Sleeps, **kwargs: object) -> JsonClient:
    retry = kwargs.pop("retry", RetryPolicy(attempts=3, backoff=0.5, max_wait=30))
    return JsonClient(
        fake.url,
        token=Secret(TOKEN),
        name="GitHub",
        retry=retry,  # type: ignore[arg-type]
        sleep=sleeps,
        **kwargs,  # type: ignore[arg-type]
    )


def test_parse_links() -> None:
    header = (
        '<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last", '
        '<https://x/a?page=1>; rel=first, <https://x/b>; title="t"; rel="prev start"'
    )
    assert parse_links(header) == {
        "next": "https://x/a?page=2",
        "last": "https://x/a?page=9",
        "first": "https://x/a?page=1",
        "prev": "https://x/b",
        "start": "https://x/b",
    }
    assert parse_links("") == {}


def test_secret_never_shows() -> None:
    secret = Secret(TOKEN)
    assert str(secret) == "***" and repr(secret) == "Secret('***')"
    assert f"{secret}" == "***" and TOKEN not in repr([secret, {"t": secret}])
    assert secret == Secret(TOKEN) and secret != Secret("other") and bool(secret)
    assert not Secret("")
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_link_pagination(fake: FakeForge) -> None:
    for i in range(250):
        fake.add_comment(1, f"c{i}")
    c = client(fake, Sleeps())
    items = c.get_all(COMMENTS, {"per_page": 100})
    assert [i["body"] for i in items] == [f"c{i}" for i in range(250)]
    assert c.requests == 3
    assert [r.query.get("page") for r in fake.requests] == [None, "2", "3"]


def test_x_next_page_pagination(fake: FakeForge) -> None:
    fake.state.gitlab_link_header = False
    for n in range(1, 46):
        fake.add_pr(n, [])
    c = JsonClient(
        fake.gitlab_api_url, token=Secret(TOKEN), auth_header="PRIVATE-TOKEN", auth_prefix=""
    )
    items = c.get_all("/projects/42/merge_requests", {"state": "opened", "per_page": 20})
    assert len(items) == 45 and c.requests == 3
    assert fake.requests[2].query == {"state": "opened", "per_page": "20", "page": "3"}


def test_5xx_retried_with_backoff_then_error(fake: FakeForge) -> None:
    sleeps = Sleeps()
    fake.fail(f"GET {COMMENTS}", 503, times=5)
    c = client(fake, sleeps)
    with pytest.raises(HTTPStatusError) as info:
        c.request("GET", COMMENTS)
    assert info.value.status == 503 and info.value.exit_code == 3
    assert info.value.message == (
        f"GitHub: GET {fake.url}{COMMENTS} failed with HTTP 503 after 3 attempts: Server Error"
    )
    assert sleeps == [0.5, 1.0] and c.requests == 3


def test_5xx_then_success(fake: FakeForge) -> None:
    sleeps = Sleeps()
    fake.fail(f"GET {COMMENTS}", 502)
    c = client(fake, sleeps)
    assert c.request("GET", COMMENTS).data == []
    assert sleeps == [0.5] and c.requests == 2


def test_post_is_not_retried_but_graphql_is(fake: FakeForge) -> None:
    sleeps = Sleeps()
    fake.fail(f"POST {COMMENTS}", 502, times=1)
    c = client(fake, sleeps)
    with pytest.raises(HTTPStatusError):
        c.request("POST", COMMENTS, body={"body": "x"})
    assert fake.count("POST") == 1 and fake.state.comments == {}
    fake.fail("POST /graphql", 502, times=1)
    with pytest.raises(GraphQLError, match="Parse error"):  # answered after one retry
        c.graphql(f"{fake.url}/graphql", "query { x }", {"owner": "acme", "name": "app"})
    assert fake.count("POST", "/graphql") == 2


def test_graphql_errors_raise(fake: FakeForge) -> None:
    c = client(fake, Sleeps())
    with pytest.raises(ForgeError, match="GraphQL error: Parse error on query"):
        c.graphql(f"{fake.url}/graphql", "query { x }", {"owner": "acme", "name": "app"})


def test_plain_403_is_not_retried(fake: FakeForge) -> None:
    fake.add_fault(Fault(f"GET {COMMENTS}", 403, {"message": "Must have admin rights"}))
    c = client(fake, Sleeps())
    with pytest.raises(HTTPStatusError) as info:
        c.request("GET", COMMENTS)
    assert info.value.status == 403 and c.requests == 1
    assert info.value.hint == "The token lacks a permission this needs."


def test_primary_limit_waits_for_a_near_reset(fake: FakeForge) -> None:
    sleeps = Sleeps()
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000020"}
    fake.add_fault(Fault(f"GET {COMMENTS}", 403, {"message": "API rate limit exceeded"}, headers))
    c = client(fake, sleeps, clock=lambda: 1_000_000.0)
    assert c.request("GET", COMMENTS).status == 200
    assert sleeps == [21.0]


def test_primary_limit_with_a_far_reset_fails_at_once(fake: FakeForge) -> None:
    sleeps = Sleeps()
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1003600"}
    fake.add_fault(Fault(f"GET {COMMENTS}", 429, {"message": "API rate limit exceeded"}, headers))
    c = client(fake, sleeps, clock=lambda: 1_000_000.0)
    with pytest.raises(RateLimitError) as info:
        c.request("GET", COMMENTS)
    assert info.value.reset_at == 1003600.0
    assert info.value.message == (
        f"GitHub rate limit: GET {fake.url}{COMMENTS} refused until 14:46:40 UTC: "
        "API rate limit exceeded"
    )
    assert sleeps == [] and c.requests == 1


def test_graphql_rate_limit_body_is_never_success(fake: FakeForge) -> None:
    sleeps = Sleeps()
    fake.primary_rate_limit_graphql(times=1)
    c = client(fake, sleeps)
    with pytest.raises(RateLimitError, match="API rate limit exceeded for installation ID 1234"):
        c.graphql(f"{fake.url}/graphql", "query { x }", {})
    assert sleeps == []


def test_graphql_rate_limit_without_headers_is_retried_then_fails(fake: FakeForge) -> None:
    sleeps = Sleeps()
    body = {"errors": [{"type": "RATE_LIMIT", "message": "API rate limit already exceeded"}]}
    fake.add_fault(Fault("POST /graphql", 200, body, times=5))
    c = client(fake, sleeps)
    with pytest.raises(RateLimitError):
        c.graphql(f"{fake.url}/graphql", "query { x }", {})
    assert sleeps == [0.5, 1.0] and c.requests == 3


def test_non_json_answer(fake: FakeForge) -> None:
    fake.add_fault(
        Fault(f"GET {COMMENTS}", 200, b"<html>login</html>", {"Content-Type": "text/html"})
    )
    with pytest.raises(ForgeError) as info:
        client(fake, Sleeps()).request("GET", COMMENTS)
    assert info.value.message == (
        f"GitHub answered {fake.url}{COMMENTS} with something that is not JSON "
        "(HTTP 200, text/html)"
    )


@pytest.mark.parametrize("status", [200, 404])
def test_an_answer_nested_too_deeply_is_a_forge_error(fake: FakeForge, status: int) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    fake.add_fault(Fault(f"GET {COMMENTS}", status, deep, {"Content-Type": "application/json"}))
    with pytest.raises(ForgeError) as info:
        client(fake, Sleeps()).request("GET", COMMENTS)
    if status == 200:
        assert info.value.message == (
            f"GitHub answered {fake.url}{COMMENTS} with JSON nested too deeply to read (HTTP 200)"
        )
    else:  # the status is the error; the body is shown cut short
        assert "HTTP 404" in info.value.message and "[[[[" in info.value.message
        assert len(info.value.message) < 400


def test_pagination_must_stay_on_the_same_origin(fake: FakeForge) -> None:
    fake.add_fault(
        Fault(f"GET {COMMENTS}", 200, [], {"Link": '<http://127.0.0.2:9/steal?page=2>; rel="next"'})
    )
    c = client(fake, Sleeps())
    with pytest.raises(
        ForgeError,
        match=r"not sending a request to http://127\.0\.0\.2:9/steal\?page=2: it is outside",
    ):
        c.get_all(COMMENTS)
    assert c.requests == 1


def test_redirects_keep_the_token_only_on_the_same_origin(fake: FakeForge) -> None:
    with FakeForge(token=None) as other:
        fake.add_fault(Fault(f"GET {COMMENTS}", 302, None, {"Location": f"{other.url}/elsewhere"}))
        c = client(fake, Sleeps())
        with pytest.raises(HTTPStatusError):
            c.request("GET", COMMENTS)
        (seen,) = other.requests
        assert seen.path == "/elsewhere" and "authorization" not in seen.headers
    fake.add_fault(Fault("GET /moved", 301, None, {"Location": f"{fake.url}{COMMENTS}"}))
    assert c.request("GET", "/moved").data == []
    assert fake.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"


def test_unreachable_retries_get_not_post() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    c = JsonClient(
        f"http://127.0.0.1:{port}",
        token=Secret(TOKEN),
        sleep=sleeps,
        retry=RetryPolicy(attempts=3, backoff=0.25),
    )
    with pytest.raises(TransportError, match=f"could not reach forge at http://127.0.0.1:{port}/x"):
        c.request("GET", "/x")
    assert c.requests == 3 and sleeps == [0.25, 0.5]
    with pytest.raises(TransportError):
        c.request("POST", "/x", body={})
    assert c.requests == 4


def test_loopback_bypasses_proxies(fake: FakeForge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert client(fake, Sleeps()).request("GET", COMMENTS).status == 200


def test_token_is_masked_everywhere(fake: FakeForge) -> None:
    from urllib.parse import quote, quote_plus

    c = client(fake, Sleeps())
    assert TOKEN not in repr(c) and repr(c) == f"JsonClient({fake.url!r}, token=***)"
    for form in (TOKEN, quote(TOKEN, safe=""), quote_plus(TOKEN)):
        fake.add_fault(Fault(f"GET {COMMENTS}", 400, {"message": f"bad {form}"}))
        with pytest.raises(HTTPStatusError) as info:
            c.request("GET", COMMENTS, params={"q": form})
        assert info.value.message.endswith(": bad ***")
        assert form not in str(info.value) and info.value.__cause__ is None
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_token_goes_only_to_allowed_origins(fake: FakeForge) -> None:
    with FakeForge(token=TOKEN) as graphql_host:
        c = JsonClient(fake.url, token=Secret(TOKEN), also_allow=(graphql_host.graphql_url,))
        with pytest.raises(GraphQLError, match="Parse error"):
            c.graphql(graphql_host.graphql_url, "query { x }", {"owner": "acme", "name": "app"})
        assert graphql_host.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
        plain = JsonClient(fake.url, token=Secret(TOKEN))
        with pytest.raises(ForgeError, match="not sending a request"):
            plain.graphql(graphql_host.graphql_url, "query { x }", {})
        assert len(graphql_host.requests) == 1


# -- limits: deadlines and sizes ---------------------------------------------------------------


def finishes(call: Callable[[], Any], within: float) -> tuple[BaseException | None, float]:
    """Run ``call`` in a thread; (what it raised, seconds taken), or fail the test when it
    is still running after ``within`` seconds (what the code without limits does)."""
    raised: list[BaseException | None] = [None]

    def target() -> None:
        try:
            call()
        except BaseException as exc:
            raised[0] = exc

    start = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(within)
    assert not thread.is_alive(), f"still waiting for the forge after {within} s"
    return raised[0], time.monotonic() - start


def limited(fake: FakeForge, attempts: int = 1, **limits: Any) -> JsonClient:
    return client(
        fake,
        Sleeps(),
        retry=RetryPolicy(attempts=attempts, backoff=0.0),
        limits=ForgeLimits(**limits),
    )


def test_a_server_that_never_answers_times_out(fake: FakeForge) -> None:
    fake.stall("GET /x", "silence")
    c = limited(fake, timeout=0.3)
    exc, took = finishes(lambda: c.request("GET", "/x"), within=5)
    assert isinstance(exc, RequestTimeoutError) and exc.exit_code == 3
    assert exc.message == (
        f"GitHub did not answer GET {fake.url}/x within 0.3 s (the limit for one request, "
        "--forge-timeout)"
    )
    assert exc.hint is not None and "MIGRATION_GUARD_FORGE_TIMEOUT" in exc.hint
    assert 0.3 <= took < 2


def test_a_trickling_server_is_cut_off_at_the_request_deadline(fake: FakeForge) -> None:
    """A byte every 50 ms never trips a socket timeout; the request's deadline ends it."""
    fake.stall("GET /x", "trickle", interval=0.05)
    c = limited(fake, timeout=0.6)
    exc, took = finishes(lambda: c.request("GET", "/x"), within=8)
    assert isinstance(exc, RequestTimeoutError), exc
    assert 0.6 <= took < 2.5


def test_retries_stop_at_the_command_deadline(fake: FakeForge) -> None:
    fake.stall("GET /x", "silence")
    c = limited(fake, attempts=50, timeout=0.3, deadline=1.0)
    exc, took = finishes(lambda: c.request("GET", "/x"), within=8)
    assert isinstance(exc, DeadlineError) and exc.exit_code == 3, exc
    assert "this command's requests to GitHub have taken 1 s, its limit (--forge-deadline)" in (
        exc.message
    )
    assert 1.0 <= took < 3
    assert 2 <= c.requests <= 5
    # Spent: the next request fails at once, without asking.
    sent = c.requests
    exc, took = finishes(lambda: c.request("GET", "/y"), within=2)
    assert isinstance(exc, DeadlineError) and c.requests == sent and took < 0.5


def test_the_command_deadline_counts_time_in_flight_only(fake: FakeForge) -> None:
    c = limited(fake, deadline=0.5)
    fake.add_fault(Fault("GET /ok", 200, []))
    c.request("GET", "/ok")
    time.sleep(0.6)  # the command's own work between requests is not the forge's time
    fake.add_fault(Fault("GET /ok", 200, []))
    assert c.request("GET", "/ok").data == []


def test_a_rate_limit_wait_beyond_the_deadline_fails_at_once(fake: FakeForge) -> None:
    sleeps = Sleeps()
    c = client(fake, sleeps, limits=ForgeLimits(deadline=5.0))
    fake.secondary_rate_limit(f"GET {COMMENTS}", retry_after=20)
    with pytest.raises(RateLimitError):
        c.request("GET", COMMENTS)
    assert sleeps == []


def test_an_endless_body_is_cut_off_at_the_size_limit(fake: FakeForge) -> None:
    fake.stall("GET /x", "endless")
    c = limited(fake, max_bytes=1024 * 1024)
    exc, took = finishes(lambda: c.request("GET", "/x"), within=8)
    assert isinstance(exc, ResponseTooLargeError) and exc.exit_code == 3, exc
    assert exc.message == (
        f"GitHub answered GET {fake.url}/x with more than 1 MiB; stopped reading (the limit "
        "for one answer, --forge-max-mib)"
    )
    assert took < 3


def test_a_declared_length_above_the_limit_is_refused_unread(fake: FakeForge) -> None:
    fake.stall("GET /x", "endless", declared=10 * 1024**3)
    c = limited(fake, max_bytes=1024)
    exc, took = finishes(lambda: c.request("GET", "/x"), within=5)
    assert isinstance(exc, ResponseTooLargeError), exc
    assert took < 1


def test_error_bodies_are_capped_too(fake: FakeForge) -> None:
    fake.add_fault(Fault("GET /x", 500, b"x" * 5000))
    c = limited(fake, max_bytes=1000)
    with pytest.raises(ResponseTooLargeError):
        c.request("GET", "/x")


def test_answers_within_the_limits_are_untouched(fake: FakeForge) -> None:
    fake.add_fault(Fault("GET /x", 200, [1] * 100))
    c = limited(fake, timeout=5, deadline=10, max_bytes=301)  # '[1, 1, ...]' is 300 bytes
    assert c.request("GET", "/x").data == [1] * 100


def test_limits_from_options_then_environment_then_defaults() -> None:
    assert ForgeLimits.resolve({}) == ForgeLimits(30.0, 120.0, 50 * 1024 * 1024)
    env = {
        "MIGRATION_GUARD_FORGE_TIMEOUT": "2.5",
        "MIGRATION_GUARD_FORGE_DEADLINE": "10",
        "MIGRATION_GUARD_FORGE_MAX_MIB": "0.5",
    }
    assert ForgeLimits.resolve(env) == ForgeLimits(2.5, 10.0, 512 * 1024)
    assert ForgeLimits.resolve(env, timeout=1, deadline=3, max_mib=2) == ForgeLimits(
        1.0, 3.0, 2 * 1024 * 1024
    )
    with pytest.raises(UsageError, match="--forge-timeout must be a positive number, not 0"):
        ForgeLimits.resolve({}, timeout=0)
    with pytest.raises(UsageError, match="MIGRATION_GUARD_FORGE_DEADLINE must be a positive"):
        ForgeLimits.resolve({"MIGRATION_GUARD_FORGE_DEADLINE": "soon"})
    with pytest.raises(UsageError, match="--forge-max-mib"):
        ForgeLimits.resolve({}, max_mib=float("inf"))
