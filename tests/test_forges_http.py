from __future__ import annotations

import pickle
import socket
from collections.abc import Iterator

import pytest
from testing.fake_forge import FakeForge, Fault

from migration_guard.errors import ForgeError
from migration_guard.forges.http import (
    GraphQLError,
    HTTPStatusError,
    JsonClient,
    RateLimitError,
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
