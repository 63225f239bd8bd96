from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from testing.fake_forge import FakeFile, FakeForge, FakePR, Fault

from migration_guard.errors import ForgeError, UsageError
from migration_guard.forges.base import ChangedFile, OpenChange
from migration_guard.forges.github import MAX_FILE_RESTARTS, GitHubForge, GitHubSettings
from migration_guard.forges.http import (
    ForgeLimits,
    HTTPStatusError,
    RateLimitError,
    RetryPolicy,
    Secret,
)

TOKEN = "ghs_s3cr3tT0kenValue"


@pytest.fixture
def fake() -> Iterator[FakeForge]:
    with FakeForge(token=TOKEN) as server:
        yield server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make(fake: FakeForge, sleeps: Sleeps, **kwargs: object) -> GitHubForge:
    settings = GitHubSettings("acme/app", Secret(TOKEN), fake.github_api_url, fake.graphql_url)
    retry = kwargs.pop("retry", RetryPolicy(attempts=3, backoff=0.0, max_wait=10.0))
    return GitHubForge(settings, retry=retry, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


def files(n: int, prefix: str = "f") -> list[str]:
    return [f"{prefix}/{i:04d}.txt" for i in range(n)]


# -- listing ---------------------------------------------------------------------------------


def test_lists_open_prs_into_base_with_files_and_drafts(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(
        1,
        [
            FakeFile("db/versions/0002_a.py"),
            FakeFile("db/versions/0003_b.py", "renamed", "db/versions/0002_b.py"),
            FakeFile("README.md", "modified"),
            FakeFile("old.txt", "removed"),
        ],
        head="feat-a",
        sha="a" * 40,
    )
    fake.add_pr(2, ["db/versions/0002_c.py"], draft=True, sha="b" * 40, title="WIP")
    fake.add_pr(3, ["db/versions/0002_d.py"], base="release")
    fake.add_pr(4, ["db/versions/0002_e.py"], state="closed")

    result = make(fake, sleeps).open_changes("main")

    assert result.provider == "github"
    assert result.complete and result.problems == ()
    assert result.requests == 1
    assert result.changes == (
        OpenChange(
            number=1,
            ref="feat-a",
            base_ref="main",
            head_sha="a" * 40,
            draft=False,
            files=(
                ChangedFile("db/versions/0002_a.py", "added"),
                ChangedFile("db/versions/0003_b.py", "renamed"),
                ChangedFile("README.md", "modified"),
                ChangedFile("old.txt", "deleted"),
            ),
            title="Change 1",
            url="https://github.example/acme/app/pull/1",
        ),
        OpenChange(
            number=2,
            ref="feature-2",
            base_ref="main",
            head_sha="b" * 40,
            draft=True,
            files=(ChangedFile("db/versions/0002_c.py", "added"),),
            title="WIP",
            url="https://github.example/acme/app/pull/2",
        ),
    )
    assert sleeps == []


def test_no_open_prs_is_complete_and_empty(fake: FakeForge, sleeps: Sleeps) -> None:
    result = make(fake, sleeps).open_changes("main")
    assert result.changes == () and result.complete and result.requests == 1


def test_pr_with_250_files_is_paged_in_batches(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, files(250))
    fake.add_pr(2, files(3))
    result = make(fake, sleeps).open_changes("main")
    assert result.complete
    big = result.changes[0]
    assert [f.path for f in big.files] == files(250)
    assert result.requests == 3  # PR page, then files 101-200, then 201-250
    batches = [r for r in fake.requests if "MoreFiles" in str(r.body)]
    assert len(batches) == 2
    assert all(r.body["variables"]["n0"] == 1 for r in batches)


def test_several_big_prs_share_file_requests(fake: FakeForge, sleeps: Sleeps) -> None:
    for n in range(1, 121):
        fake.add_pr(n, files(250 if n % 4 == 0 else 2, f"p{n}"))
    result = make(fake, sleeps, files_batch=20).open_changes("main")
    assert result.complete
    assert len(result.changes) == 120
    assert all(
        len(c.files) == (250 if c.number and c.number % 4 == 0 else 2) for c in result.changes
    )
    # 3 PR pages (50 + 50 + 20); 30 big PRs need 2 more pages each, 20 PRs per request: 2 + 2.
    assert result.requests == 7


def test_500_prs_ten_with_250_files_take_at_most_15_requests(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    for n in range(1, 501):
        fake.add_pr(n, files(250 if n % 50 == 0 else 1 + n % 5, f"p{n}"))
    result = make(fake, sleeps).open_changes("main")
    assert result.complete
    assert len(result.changes) == 500
    assert sum(len(c.files) for c in result.changes) == 10 * 250 + sum(
        1 + n % 5 for n in range(1, 501) if n % 50
    )
    assert result.requests <= 15
    assert fake.count() == result.requests


def test_prs_into_other_bases_are_excluded(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"], base="develop")
    fake.add_pr(2, ["b"], base="main")
    result = make(fake, sleeps).open_changes("develop")
    assert [c.number for c in result.changes] == [1]
    assert fake.requests[0].body["variables"]["base"] == "develop"


def test_head_pushed_while_paging_restarts_that_pr(fake: FakeForge, sleeps: Sleeps) -> None:
    pr = fake.add_pr(1, files(250), sha="1" * 40)

    def push_once(server: FakeForge, method: str, path: str) -> None:
        if len(server.requests) == 1:
            pr.sha = "2" * 40
            pr.files = [FakeFile(p) for p in files(120, "new")]

    fake.before_request.append(push_once)
    result = make(fake, sleeps).open_changes("main")
    assert result.complete
    (change,) = result.changes
    assert change.head_sha == "2" * 40
    assert [f.path for f in change.files] == files(120, "new")


# -- faults ----------------------------------------------------------------------------------


def test_502_then_success(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.fail("POST /graphql", 502)
    result = make(fake, sleeps).open_changes("main")
    assert result.complete and [c.number for c in result.changes] == [1]
    assert result.requests == 2
    assert sleeps == [0.0]


def test_graphql_failing_every_time_falls_back_to_rest(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.fail("POST /graphql", 502, times=3)
    forge = make(fake, sleeps)
    result = forge.open_changes("main")
    assert result.complete and [c.number for c in result.changes] == [1]
    assert (
        forge.fallback_reason is not None and "HTTP 502 after 3 attempts" in forge.fallback_reason
    )
    assert fake.count("GET", r"/pulls$") == 1


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_waits_retry_after(
    fake: FakeForge, sleeps: Sleeps, status: int
) -> None:
    fake.add_pr(1, ["a"])
    fake.secondary_rate_limit("POST /graphql", status=status, retry_after=7)
    result = make(fake, sleeps).open_changes("main")
    assert result.complete
    assert sleeps == [7.0]


def test_secondary_rate_limit_longer_than_max_wait_fails(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.secondary_rate_limit("POST /graphql", retry_after=600)
    with pytest.raises(RateLimitError) as info:
        make(fake, sleeps).open_changes("main")
    assert info.value.exit_code == 3
    assert "for 600 s" in info.value.message and "secondary rate limit" in info.value.message
    assert sleeps == [] and fake.count() == 1


def test_secondary_rate_limit_that_never_lifts_fails(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.secondary_rate_limit("POST /graphql", retry_after=1, times=10)
    with pytest.raises(RateLimitError):
        make(fake, sleeps).open_changes("main")
    assert fake.count() == 3  # bounded attempts, no REST fallback on a rate limit


def test_primary_rate_limit_graphql_body_is_an_error_not_success(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.add_pr(1, ["a"])
    fake.primary_rate_limit_graphql()
    with pytest.raises(ForgeError) as info:
        make(fake, sleeps).open_changes("main")
    assert isinstance(info.value, RateLimitError)
    assert "API rate limit exceeded" in info.value.message
    assert " until " in info.value.message
    assert fake.count("GET") == 0  # no REST fallback on a rate limit


def test_primary_rate_limit_while_paging_files_gives_incomplete(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.add_pr(1, files(250))
    fake.add_pr(2, ["b"])
    fake.primary_rate_limit_graphql(query="MoreFiles")
    result = make(fake, sleeps).open_changes("main")
    assert not result.complete
    assert len(result.problems) == 1
    assert result.problems[0].startswith("could not list all files of PR #1: GitHub rate limit")
    assert [len(c.files) for c in result.changes] == [100, 1]


def test_truncated_file_list_is_incomplete(fake: FakeForge, sleeps: Sleeps) -> None:
    pr = fake.add_pr(1, files(250))
    pr.visible_files = 150
    result = make(fake, sleeps).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1: received 150 of 250 changed files",)


def test_bad_token_is_an_error(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.state.token = "another"
    with pytest.raises(HTTPStatusError) as info:
        make(fake, sleeps).open_changes("main")
    assert info.value.status == 401
    assert "Bad credentials" in info.value.message
    assert fake.count() == 1  # no fallback, no retry


def test_unknown_repository_is_an_error(fake: FakeForge, sleeps: Sleeps) -> None:
    settings = GitHubSettings("acme/other", Secret(TOKEN), fake.github_api_url, fake.graphql_url)
    with pytest.raises(HTTPStatusError) as info:
        GitHubForge(settings, sleep=sleeps).open_changes("main")
    assert info.value.status == 404


def test_unreachable_forge_is_an_error(sleeps: Sleeps) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = GitHubSettings("acme/app", Secret(TOKEN), url)
    forge = GitHubForge(settings, sleep=sleeps, retry=RetryPolicy(attempts=2, backoff=0))
    with pytest.raises(ForgeError) as info:
        forge.open_changes("main")
    assert info.value.message.startswith(f"could not reach GitHub at {url}/repos/acme/app/pulls")


# -- REST fallback ---------------------------------------------------------------------------


def test_rest_fallback_when_graphql_is_missing(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.state.graphql_enabled = False
    fake.add_pr(1, [*files(250), FakeFile("new.py", "renamed", "old.py")], draft=True)
    fake.add_pr(2, ["b"], base="release")
    fake.add_pr(3, ["c"])
    forge = make(fake, sleeps)
    result = forge.open_changes("main")
    assert result.complete
    assert [c.number for c in result.changes] == [1, 3]
    assert result.changes[0].draft
    assert len(result.changes[0].files) == 251
    assert result.changes[0].files[-1] == ChangedFile("new.py", "renamed", "old.py")
    assert forge.fallback_reason is not None
    # graphql 404, pulls list, PR 1 files (3 pages) and PR 1, PR 3 files and PR 3
    assert result.requests == 1 + 1 + (3 + 1) + (1 + 1)
    assert fake.requests[1].query == {"state": "open", "base": "main", "per_page": "100"}


def test_rest_lists_at_most_3000_files(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, files(3100))
    result = make(fake, sleeps, use_graphql=False).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1 has 3000 files or more; GitHub lists only 3000",)


def test_rest_rate_limit_on_the_pr_list_fails(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.primary_rate_limit_rest("GET .*/pulls$")
    with pytest.raises(RateLimitError):
        make(fake, sleeps, use_graphql=False).open_changes("main")


def test_rest_rate_limit_on_files_gives_incomplete(fake: FakeForge, sleeps: Sleeps) -> None:
    for n in (1, 2, 3):
        fake.add_pr(n, [f"f{n}"])
    fake.primary_rate_limit_rest("GET .*/pulls/2/files$")
    result = make(fake, sleeps, use_graphql=False).open_changes("main")
    assert not result.complete
    # REST lists newest first: #3 is read, #2 is refused, #1 is not asked any more.
    assert [len(c.files) for c in result.changes] == [0, 0, 1]
    assert len(result.problems) == 2
    assert result.problems[0].startswith(
        "could not list the files of PR #2: GitHub rate limit: GET "
        f"{fake.url}/repos/acme/app/pulls/2/files refused until "
    )
    assert result.problems[0].endswith(" UTC: API rate limit exceeded for installation ID 1234.")
    assert result.problems[1].startswith("could not list the files of PR #1: GitHub rate limit")
    assert fake.count("GET", "/pulls/1/files") == 0


def test_rest_waits_for_a_reset_that_is_near(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.add_fault(
        Fault(
            "GET .*/pulls$",
            403,
            {"message": "API rate limit exceeded"},
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000005"},
        )
    )
    settings = GitHubSettings("acme/app", Secret(TOKEN), fake.github_api_url)
    forge = GitHubForge(
        settings,
        sleep=sleeps,
        clock=lambda: 1_000_000.0,
        retry=RetryPolicy(attempts=3, backoff=0, max_wait=10),
        use_graphql=False,
    )
    assert forge.open_changes("main").complete
    assert sleeps == [6.0]


# -- reading another PR's files --------------------------------------------------------------


def test_read_files_batches_blobs(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(7, ["q/sqitch.plan"], sha="c" * 40, blobs={"q/sqitch.plan": b"%project=q\n"})
    forge = make(fake, sleeps)
    (change,) = forge.open_changes("main").changes
    fake.reset_requests()
    got = forge.read_files(change, ["q/sqitch.plan", "missing.plan", "q/sqitch.plan"])
    assert got == {"q/sqitch.plan": b"%project=q\n", "missing.plan": None}
    assert fake.count() == 1


def test_read_files_binary_blob_uses_rest(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(7, ["x.bin"], sha="c" * 40, blobs={"x.bin": b"\xff\x00\xfe"})
    forge = make(fake, sleeps)
    (change,) = forge.open_changes("main").changes
    assert forge.read_files(change, ["x.bin"]) == {"x.bin": b"\xff\x00\xfe"}
    assert fake.count("GET", "/contents/x.bin") == 1


def test_read_files_over_rest(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.state.graphql_enabled = False
    fake.add_pr(7, ["d/p.plan"], sha="c" * 40, blobs={"d/p.plan": b"one\n"})
    forge = make(fake, sleeps)
    (change,) = forge.open_changes("main").changes
    assert forge.read_files(change, ["d/p.plan", "d/none"]) == {
        "d/p.plan": b"one\n",
        "d/none": None,
    }
    assert fake.requests[-1].query == {"ref": "c" * 40}


# -- sticky comment --------------------------------------------------------------------------


def test_sticky_comment_created_once_then_updated_in_place(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(5, ["a"])
    forge = make(fake, sleeps)
    first = forge.upsert_comment(5, "migration-guard", "collision on 0193")
    assert first.action == "created"
    assert fake.state.comments[5][0].body == "<!-- migration-guard -->\ncollision on 0193"
    second = forge.upsert_comment(5, "migration-guard", "all clear")
    assert second.action == "updated" and second.comment_id == first.comment_id
    third = forge.upsert_comment(5, "migration-guard", "all clear")
    assert third.action == "unchanged" and third.requests == 1
    assert [c.body for c in fake.state.comments[5]] == ["<!-- migration-guard -->\nall clear"]


def test_sticky_comment_found_on_a_later_page(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(5, ["a"])
    for i in range(150):
        fake.add_comment(5, f"chatter {i}")
    mine = fake.add_comment(5, "<!-- migration-guard -->\nold", author="github-actions[bot]")
    fake.add_comment(5, "more chatter")
    result = make(fake, sleeps).upsert_comment(5, "migration-guard", "new")
    assert result.action == "updated" and result.comment_id == mine.id
    assert mine.body == "<!-- migration-guard -->\nnew"
    assert len(fake.state.comments[5]) == 152
    pages = [r.query.get("page", "1") for r in fake.requests if r.method == "GET"]
    assert pages == ["1", "2"]
    assert result.requests == 4  # two pages, who am I (GraphQL viewer), the edit
    assert fake.count("POST", "/comments") == 0


def test_other_markers_are_not_ours(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_comment(5, "<!-- migration-guard-other -->\nhi")
    result = make(fake, sleeps).upsert_comment(5, "migration-guard", "x")
    assert result.action == "created"


def test_a_marker_comment_written_by_someone_else_is_never_ours(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    """Anyone can paste the marker: an attacker's "All clear" is neither edited nor trusted."""
    fake.add_pr(5, ["a"])
    forged = fake.add_comment(5, "<!-- migration-guard -->\nAll clear", author="mallory")
    lookalike = fake.add_comment(5, "<!-- migration-guard -->\nok", author="github-actions-x")
    forge = make(fake, sleeps)
    result = forge.upsert_comment(5, "migration-guard", "collision on 0193")
    assert result.action == "created"
    assert forged.body == "<!-- migration-guard -->\nAll clear"
    assert lookalike.body == "<!-- migration-guard -->\nok"
    assert fake.count("PATCH") == 0
    ours = fake.state.comments[5][-1]
    assert (ours.author, ours.id) == ("github-actions[bot]", result.comment_id)
    # The next run finds its own comment (after the forged one) and edits that one.
    again = forge.upsert_comment(5, "migration-guard", "fixed")
    assert (again.action, again.comment_id) == ("updated", result.comment_id)
    assert forged.body == "<!-- migration-guard -->\nAll clear"
    # No collision and only someone else's marker: nothing to correct, nothing posted.
    fake.state.comments[5].remove(ours)
    assert forge.upsert_comment(5, "migration-guard", "x", create=False).action == "skipped"


def test_own_comments_are_found_by_login_for_a_personal_token(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.state.github_viewer = fake.state.github_author = "Alice"
    fake.add_pr(5, ["a"])
    mine = fake.add_comment(5, "<!-- migration-guard -->\nold", author="Alice")
    result = make(fake, sleeps).upsert_comment(5, "migration-guard", "new")
    assert (result.action, result.comment_id) == ("updated", mine.id)


def test_without_graphql_the_identity_comes_from_rest_user(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.state.graphql_enabled = False
    fake.state.github_user_endpoint = True
    fake.state.github_viewer = fake.state.github_author = "alice"
    fake.add_pr(5, ["a"])
    fake.add_comment(5, "<!-- migration-guard -->\nforged", author="mallory")
    mine = fake.add_comment(5, "<!-- migration-guard -->\nold", author="alice")
    result = make(fake, sleeps).upsert_comment(5, "migration-guard", "new")
    assert (result.action, result.comment_id) == ("updated", mine.id)
    assert fake.count("GET", "^/user$") == 1


def test_an_unknown_identity_reuses_no_comment(fake: FakeForge, sleeps: Sleeps) -> None:
    """No GraphQL, and GET /user refused (an installation token): never edit a comment we
    cannot prove is ours; post a new one and say why."""
    fake.state.graphql_enabled = False
    fake.add_pr(5, ["a"])
    old = fake.add_comment(5, "<!-- migration-guard -->\nold", author="github-actions[bot]")
    result = make(fake, sleeps).upsert_comment(5, "migration-guard", "new")
    assert result.action == "created" and result.comment_id != old.id
    assert old.body == "<!-- migration-guard -->\nold"
    assert "could not tell which account the token belongs to" in result.note


def test_comment_forbidden_explains_permissions(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.state.can_comment = False
    with pytest.raises(HTTPStatusError) as info:
        make(fake, sleeps).upsert_comment(5, "migration-guard", "x")
    assert info.value.exit_code == 3
    assert "Resource not accessible by integration" in info.value.message
    assert info.value.hint is not None and "pull-requests: write" in info.value.hint


def test_comment_post_is_not_retried_on_502(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.fail("POST .*/comments$", 502)
    with pytest.raises(HTTPStatusError):
        make(fake, sleeps).upsert_comment(5, "migration-guard", "x")
    assert fake.count("POST") == 1


# -- settings and secrets --------------------------------------------------------------------


def test_settings_from_env() -> None:
    env = {"GITHUB_REPOSITORY": "acme/app", "GH_TOKEN": TOKEN}
    settings = GitHubSettings.from_env(env)
    assert settings.api_url == "https://api.github.com"
    assert settings.resolved_graphql_url == "https://api.github.com/graphql"
    assert settings.token == Secret(TOKEN)
    ghes = GitHubSettings.from_env({**env, "GITHUB_API_URL": "https://ghe.example/api/v3"})
    assert ghes.resolved_graphql_url == "https://ghe.example/api/graphql"
    explicit = GitHubSettings.from_env({**env, "GITHUB_GRAPHQL_URL": "https://x.example/gql"})
    assert explicit.resolved_graphql_url == "https://x.example/gql"


def test_settings_need_a_repository_and_forge_a_token() -> None:
    with pytest.raises(UsageError, match="GITHUB_REPOSITORY"):
        GitHubSettings.from_env({"GITHUB_TOKEN": TOKEN})
    with pytest.raises(UsageError, match="owner/name"):
        GitHubSettings.from_env({"GITHUB_REPOSITORY": "nope"})
    with pytest.raises(UsageError, match="needs a token"):
        GitHubForge(GitHubSettings.from_env({"GITHUB_REPOSITORY": "acme/app"}))


def test_token_never_shows(
    fake: FakeForge, sleeps: Sleeps, capsys: pytest.CaptureFixture[str]
) -> None:
    forge = make(fake, sleeps)
    texts = [repr(forge), repr(forge.settings), str(forge.settings), repr(forge.client)]
    fake.add_fault(Fault("POST /graphql", 401, {"message": f"token {TOKEN} is revoked"}))
    fake.primary_rate_limit_rest("GET .*/comments$")
    for call in (
        lambda: forge.open_changes("main"),
        lambda: forge.upsert_comment(1, "m", "b"),
    ):
        with pytest.raises(ForgeError) as info:
            call()
        exc = info.value
        texts += [str(exc), repr(exc), exc.message, exc.hint or "", repr(exc.__cause__)]
        texts += [repr(exc.__context__)]
    out = capsys.readouterr()
    texts += [out.out, out.err]
    assert any("token *** is revoked" in t for t in texts)
    assert all(TOKEN not in t for t in texts)
    # The token travelled only in the header.
    assert all(TOKEN not in r.path and TOKEN not in str(r.query) for r in fake.requests)
    assert fake.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


# -- completeness: each guard against a forge that lies in exactly one way (issue 14) ---------
#
# A bounded deadline: with a guard disabled, the loops it stops would otherwise never end.
QUICK = ForgeLimits(timeout=5.0, deadline=8.0)


def test_a_pr_counted_in_total_count_but_never_listed_is_incomplete(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.add_pr(1, ["a"])
    fake.add_pr(2, ["b"]).hidden = True
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert not result.complete
    assert [c.number for c in result.changes] == [1]
    assert result.problems == ("GitHub reported 2 open pull requests into main but listed 1",)


def test_a_file_list_whose_total_agrees_but_changed_files_does_not_is_incomplete(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    """``files.totalCount`` and the nodes agree (150); only ``changedFiles`` (250) tells."""
    fake.add_pr(1, files(250)).files_cap = 150
    fake.add_pr(2, files(3)).files_cap = 2  # one page: the check is not only for paged PRs
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert not result.complete
    assert [len(c.files) for c in result.changes] == [150, 2]
    assert result.problems == (
        "PR #1: GitHub lists 150 of its 250 changed files",
        "PR #2: GitHub lists 2 of its 3 changed files",
    )


@pytest.mark.parametrize("lie", ["repeat", "null"])
def test_a_file_cursor_that_does_not_advance_is_incomplete(
    fake: FakeForge, sleeps: Sleeps, lie: str
) -> None:
    """Page 2 says ``hasNextPage`` with the cursor it was given, or with none: asking again
    would loop (or start over) for ever."""
    fake.add_pr(1, files(250)).files_cursor = lie
    fake.add_pr(2, ["b"])
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1: its file list does not advance",)
    assert fake.count("POST", "/graphql") == 2  # the PR page, one page of more files


def _push_on_more_files(pr: FakePR, pushes: int | None) -> Callable[[FakeForge, str, str], None]:
    """A hook pushing to ``pr`` before each "more files" request (``pushes`` times; None:
    for ever), the way a busy branch does while it is listed."""
    done = [0]

    def push(server: FakeForge, method: str, path: str) -> None:
        if path.endswith("/graphql") and server.requests and (pushes is None or done[0] < pushes):
            done[0] += 1
            pr.sha = f"{done[0] + 1:040x}"
            pr.files = [FakeFile(p) for p in files(120, f"push{done[0]}")]

    return push


def test_a_pr_pushed_to_on_every_file_page_gives_up_after_the_restarts(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    pr = fake.add_pr(1, files(250))
    fake.add_pr(2, ["b"])
    fake.before_request.append(_push_on_more_files(pr, None))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1 kept changing while its files were listed",)
    # The PR page, then one more-files request per restart allowed and the one that gives up.
    assert fake.count("POST", "/graphql") == 1 + MAX_FILE_RESTARTS + 1


def test_a_pr_pushed_to_as_often_as_the_restarts_allow_is_listed_whole(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    pr = fake.add_pr(1, files(250))
    fake.before_request.append(_push_on_more_files(pr, MAX_FILE_RESTARTS))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert result.complete, result.problems
    (change,) = result.changes
    assert change.head_sha == f"{MAX_FILE_RESTARTS + 1:040x}"
    assert [f.path for f in change.files] == files(120, f"push{MAX_FILE_RESTARTS}")


# The REST fallback has the same guards: its file lists against ``GET /pulls/{n}``.


@pytest.mark.parametrize("lie", ["visible_files", "files_cap"])
def test_rest_file_list_short_of_changed_files_is_incomplete(
    fake: FakeForge, sleeps: Sleeps, lie: str
) -> None:
    setattr(fake.add_pr(1, files(250)), lie, 150)
    setattr(fake.add_pr(2, files(3)), lie, 2)
    fake.add_pr(3, ["c"])
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert not result.complete
    assert [len(c.files) for c in result.changes] == [150, 2, 1]
    assert result.problems == (
        "PR #2: GitHub lists 2 of its 3 changed files",
        "PR #1: GitHub lists 150 of its 250 changed files",
    )


def _push_on_rest_files(pr: FakePR, pushes: int | None) -> Callable[[FakeForge, str, str], None]:
    """A hook pushing to ``pr`` once per listing of its files, after its pages were read and
    before ``GET /pulls/{n}`` (``pushes`` times; None: for ever)."""
    done = [0]

    def push(server: FakeForge, method: str, path: str) -> None:
        if path.endswith(f"/pulls/{pr.number}") and (pushes is None or done[0] < pushes):
            done[0] += 1
            pr.sha = f"{done[0] + 1:040x}"
            pr.files = [FakeFile(p) for p in files(120, f"push{done[0]}")]

    return push


def test_rest_pr_pushed_to_while_listed_is_listed_again(fake: FakeForge, sleeps: Sleeps) -> None:
    pr = fake.add_pr(1, files(250))
    fake.before_request.append(_push_on_rest_files(pr, MAX_FILE_RESTARTS))
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert result.complete, result.problems
    (change,) = result.changes
    assert change.head_sha == f"{MAX_FILE_RESTARTS + 1:040x}"
    assert [f.path for f in change.files] == files(120, f"push{MAX_FILE_RESTARTS}")
    assert fake.count("GET", r"/pulls/1$") == MAX_FILE_RESTARTS + 1


def test_rest_pr_pushed_to_on_every_listing_gives_up(fake: FakeForge, sleeps: Sleeps) -> None:
    pr = fake.add_pr(1, files(250))
    fake.before_request.append(_push_on_rest_files(pr, None))
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1 kept changing while its files were listed",)
    assert fake.count("GET", r"/pulls/1$") == MAX_FILE_RESTARTS + 1


def test_rest_file_pages_that_loop_are_incomplete(fake: FakeForge, sleeps: Sleeps) -> None:
    """A ``Link: rel="next"`` back to a page already read: REST's cursor that does not
    advance."""
    fake.add_pr(1, files(250))
    fake.add_pr(2, ["b"])
    again = f'<{fake.url}/repos/acme/app/pulls/1/files?per_page=100>; rel="next"'
    fake.add_fault(
        Fault(
            r"GET .*/pulls/1/files$",
            200,
            [{"filename": "x", "status": "added"}],
            {"Link": again},
            times=1000,
        )
    )
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert not result.complete
    (problem,) = result.problems
    assert problem == (
        "could not list the files of PR #1: GitHub: pagination loops at "
        f"{fake.url}/repos/acme/app/pulls/1/files"
    )


def test_rest_pr_that_does_not_say_how_many_files_changed_is_incomplete(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    pr = fake.add_pr(1, ["a"])
    fake.add_fault(Fault(r"GET .*/pulls/1$", 200, {"number": 1, "head": {"sha": pr.sha}}))
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert result.problems == ("PR #1: GitHub did not say how many files changed",)


def test_a_pr_list_cursor_that_does_not_advance_is_an_error(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.add_pr(1, ["a"])
    page = {
        "totalCount": 2,
        "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29yOnYyOjE="},
        "nodes": [],
    }
    fake.add_fault(
        Fault(
            "POST /graphql",
            200,
            {"data": {"repository": {"pullRequests": page}}},
            times=1000,
            query="OpenPullRequests",
        )
    )
    with pytest.raises(ForgeError) as info:
        make(fake, sleeps, limits=QUICK).open_changes("main")
    assert info.value.message == "GitHub GraphQL: the pull request list does not advance"
    assert fake.count() == 2


# -- answers in a shape GitHub never sends: each names what was wrong (mutation-guided) -------


def _graphql_page(*numbers: int) -> dict[str, Any]:
    """A well-formed ``pullRequests`` connection: PR ``n`` with one file, ``f{n}``."""
    nodes = [
        {
            "number": n,
            "title": f"Change {n}",
            "url": f"https://github.example/acme/app/pull/{n}",
            "isDraft": False,
            "headRefName": f"feature-{n}",
            "headRefOid": f"{n:040x}",
            "baseRefName": "main",
            "changedFiles": 1,
            "files": {
                "totalCount": 1,
                "pageInfo": {"hasNextPage": False, "endCursor": "Y3Vyc29yOnYyOjE="},
                "nodes": [{"path": f"f{n}", "changeType": "ADDED"}],
            },
        }
        for n in numbers
    ]
    return {
        "totalCount": len(nodes),
        "pageInfo": {"hasNextPage": False, "endCursor": "Y3Vyc29yOnYyOjE=" if nodes else None},
        "nodes": nodes,
    }


def _answer_pr_page(fake: FakeForge, page: dict[str, Any]) -> None:
    body = {"data": {"repository": {"pullRequests": page}}}
    fake.add_fault(Fault("POST /graphql", 200, body, query="OpenPullRequests"))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``value`` at a dotted ``path`` in a page (numbers index lists)."""

    def change(page: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        where: Any = page
        for key in parents:
            where = where[int(key)] if key.isdigit() else where[key]
        where[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    ("path", "value", "what"),
    [
        ("totalCount", "1", "pullRequests.totalCount"),
        ("nodes", None, "pullRequests.nodes"),
        ("nodes.0", "#1", "pull request"),
        ("nodes.0.files", None, "files"),
        ("nodes.0.files.nodes", {}, "files.nodes"),
        ("nodes.0.files.nodes.0", "f1", "file"),
        ("nodes.0.files.nodes.0.path", 7, "path"),
        ("nodes.0.files.totalCount", None, "files.totalCount"),
        ("nodes.0.files.pageInfo", [], "files.pageInfo"),
        ("pageInfo", None, "pageInfo"),
        ("pageInfo", {"hasNextPage": True, "endCursor": None}, "endCursor"),
    ],
)
def test_a_malformed_pr_page_is_an_error_naming_the_field(
    fake: FakeForge, sleeps: Sleeps, path: str, value: Any, what: str
) -> None:
    page = _graphql_page(1)
    _set(path, value)(page)
    _answer_pr_page(fake, page)
    with pytest.raises(ForgeError) as info:
        make(fake, sleeps, limits=QUICK).open_changes("main")
    assert info.value.message == f"GitHub answered without a valid {what}"
    assert info.value.exit_code == 3


def test_a_pr_page_without_its_connection_is_an_error(fake: FakeForge, sleeps: Sleeps) -> None:
    body = {"data": {"repository": {"pullRequests": None}}}
    fake.add_fault(Fault("POST /graphql", 200, body, query="OpenPullRequests"))
    with pytest.raises(ForgeError) as info:
        make(fake, sleeps, limits=QUICK).open_changes("main")
    assert info.value.message == "GitHub answered without a valid pullRequests"


def test_a_malformed_more_files_answer_is_an_error_naming_the_field(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    pr = fake.add_pr(1, files(250))
    body = {"data": {"repository": {"p0": {"number": 1, "headRefOid": pr.sha, "files": None}}}}
    fake.add_fault(Fault("POST /graphql", 200, body, query="MoreFiles"))
    with pytest.raises(ForgeError) as info:
        make(fake, sleeps, limits=QUICK).open_changes("main")
    assert info.value.message == "GitHub answered without a valid files"


@pytest.mark.parametrize(
    ("answer", "what"),
    [([], "pull"), ({"number": 1, "head": None, "changed_files": 1}, "head")],
)
def test_rest_malformed_pull_answer_leaves_that_pr_incomplete(
    fake: FakeForge, sleeps: Sleeps, answer: Any, what: str
) -> None:
    fake.add_pr(1, ["a"])
    fake.add_pr(2, ["b"])
    fake.add_fault(Fault(r"GET .*/pulls/1$", 200, answer))
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert not result.complete
    assert result.problems == (
        f"could not list the files of PR #1: GitHub answered without a valid {what}",
    )
    assert [len(c.files) for c in result.changes] == [0, 1]


def test_rest_pull_request_failing_names_the_request(fake: FakeForge, sleeps: Sleeps) -> None:
    fake.add_pr(1, ["a"])
    fake.fail(r"GET .*/pulls/1$", 404)
    result = make(fake, sleeps, use_graphql=False, limits=QUICK).open_changes("main")
    assert result.problems == (
        "could not list the files of PR #1: GitHub: GET "
        f"{fake.url}/repos/acme/app/pulls/1 failed with HTTP 404: HTTP 404",
    )


# -- what a well-formed but unusual answer gives (mutation-guided) ----------------------------


def test_an_unknown_change_type_is_kept_as_unknown(fake: FakeForge, sleeps: Sleeps) -> None:
    """A ``changeType`` GitHub may add one day: the file is listed, its status ``unknown``."""
    page = _graphql_page(1)
    _set("nodes.0.files.nodes.0.changeType", "SQUASHED")(page)
    _answer_pr_page(fake, page)
    (change,) = make(fake, sleeps, limits=QUICK).open_changes("main").changes
    assert change.files == (ChangedFile("f1", "unknown"),)


def test_prs_are_returned_in_number_order_whatever_the_listing_order(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    """The query orders by creation time, which need not be number order."""
    _answer_pr_page(fake, _graphql_page(3, 1, 2))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert result.complete
    assert [c.number for c in result.changes] == [1, 2, 3]
    assert [c.files[0].path for c in result.changes] == ["f1", "f2", "f3"]


def test_a_pr_without_a_base_name_is_taken_as_into_the_base_asked_for(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    """GitHub listed it for ``baseRefName: main``: a missing name does not drop it."""
    page = _graphql_page(1, 2)
    _set("nodes.0.baseRefName", None)(page)
    _set("nodes.1.baseRefName", "release")(page)
    _answer_pr_page(fake, page)
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert [(c.number, c.base_ref) for c in result.changes] == [(1, "main")]


# -- paging the files of several PRs in one request (mutation-guided) --------------------------


def _more_files_requests(fake: FakeForge) -> int:
    return sum(1 for r in fake.requests if "MoreFiles" in str(r.body))


def test_a_pr_that_disappears_while_paged_is_incomplete_and_the_others_go_on(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.add_pr(1, files(250))
    fake.add_pr(2, files(250, "b"))

    def close_one(server: FakeForge, method: str, path: str) -> None:
        if server.requests:
            server.state.prs.pop(1, None)

    fake.before_request.append(close_one)
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1 disappeared while its files were listed",)
    assert [len(c.files) for c in result.changes] == [100, 250]
    assert _more_files_requests(fake) == 2  # #2's pages 2 and 3, the first shared with #1


def test_a_pr_restarted_in_a_batch_does_not_hold_up_the_others(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    pr = fake.add_pr(1, files(250))
    fake.add_pr(2, files(350, "b"))
    fake.before_request.append(_push_on_more_files(pr, 1))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert result.complete, result.problems
    assert [len(c.files) for c in result.changes] == [120, 350]
    # #2 needs pages 2, 3, 4: each request also carries #1 (restarted, then its 2 pages).
    assert _more_files_requests(fake) == 3


def test_a_pr_given_up_in_a_batch_does_not_hold_up_the_others(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    pr = fake.add_pr(1, files(250))
    fake.add_pr(2, files(450, "b"))
    fake.before_request.append(_push_on_more_files(pr, None))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert result.problems == ("PR #1 kept changing while its files were listed",)
    assert len(result.changes[1].files) == 450
    # #2 needs pages 2 to 5; #1 rides along in the first three and is given up in the third.
    assert _more_files_requests(fake) == 4


def test_a_restarted_pr_is_checked_against_its_new_changed_files(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    """After a push the new head's ``changedFiles`` counts, not the old one's."""
    pr = fake.add_pr(1, files(250))
    pr.files_cap = 110  # GitHub's file list (and its totalCount) stop at 110
    fake.before_request.append(_push_on_more_files(pr, 1))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert not result.complete
    assert result.problems == ("PR #1: GitHub lists 110 of its 120 changed files",)


def test_file_pages_are_asked_with_the_page_size_github_allows(
    fake: FakeForge, sleeps: Sleeps
) -> None:
    fake.add_pr(1, files(250))
    result = make(fake, sleeps, limits=QUICK).open_changes("main")
    assert result.complete
    sizes = [r.body["variables"]["files"] for r in fake.requests]
    assert sizes == [100, 100, 100]
