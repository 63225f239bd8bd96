from __future__ import annotations

from collections.abc import Iterator

import pytest
from testing.fake_forge import FakeFile, FakeForge, Fault

from migration_guard.errors import ForgeError, UsageError
from migration_guard.forges.base import ChangedFile, OpenChange
from migration_guard.forges.gitlab import GitLabForge, GitLabSettings
from migration_guard.forges.http import HTTPStatusError, RetryPolicy, Secret

TOKEN = "glpat-Secret-Token-Value"


@pytest.fixture
def fake() -> Iterator[FakeForge]:
    with FakeForge(token=TOKEN) as server:
        yield server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make(fake: FakeForge, *, project: str = "42", workers: int = 4) -> GitLabForge:
    settings = GitLabSettings(project, Secret(TOKEN), "private", fake.gitlab_api_url)
    return GitLabForge(
        settings, retry=RetryPolicy(attempts=3, backoff=0), sleep=Sleeps(), workers=workers
    )


def test_lists_open_mrs_into_target_with_diffs(fake: FakeForge) -> None:
    fake.add_pr(
        3,
        [
            FakeFile("db/0002_a.py"),
            FakeFile("db/0003_b.py", "renamed", "db/0002_b.py"),
            FakeFile("gone.py", "removed"),
            FakeFile("README", "modified"),
        ],
        head="feat",
        sha="d" * 40,
    )
    fake.add_pr(4, ["db/0002_c.py"], draft=True)
    fake.add_pr(5, ["db/0002_x.py"], base="stable")
    fake.add_pr(6, ["db/0002_y.py"], state="merged")
    result = make(fake).open_changes("main")
    assert result.provider == "gitlab" and result.complete
    assert result.changes == (
        OpenChange(
            number=3,
            ref="feat",
            base_ref="main",
            head_sha="d" * 40,
            draft=False,
            files=(
                ChangedFile("db/0002_a.py", "added"),
                ChangedFile("db/0003_b.py", "renamed", "db/0002_b.py"),
                ChangedFile("gone.py", "deleted"),
                ChangedFile("README", "modified"),
            ),
            title="Change 3",
            url="https://gitlab.example/acme/app/-/merge_requests/3",
        ),
        OpenChange(
            number=4,
            ref="feature-4",
            base_ref="main",
            head_sha=f"{4:040x}",
            draft=True,
            files=(ChangedFile("db/0002_c.py", "added"),),
            title="Draft: Change 4",
            url="https://gitlab.example/acme/app/-/merge_requests/4",
        ),
    )
    assert result.requests == 3
    mr_list = fake.requests[0]
    assert mr_list.path == "/api/v4/projects/42/merge_requests"
    assert mr_list.query == {"state": "opened", "target_branch": "main", "per_page": "100"}
    assert mr_list.headers["private-token"] == TOKEN


@pytest.mark.parametrize("link", [True, False])
def test_paginates_mrs_and_diffs(fake: FakeForge, link: bool) -> None:
    fake.state.gitlab_link_header = link  # without Link, x-next-page alone drives paging
    for n in range(1, 151):
        fake.add_pr(n, [f"f{n}/{i}" for i in range(250 if n == 7 else 1)])
    result = make(fake, workers=1).open_changes("main")
    assert result.complete
    assert [c.number for c in result.changes] == list(range(1, 151))
    assert len(result.changes[6].files) == 250
    assert result.requests == 2 + 150 + 2  # MR pages, one diff page each, MR 7 has 3 pages
    assert fake.count("GET", "/merge_requests/7/diffs") == 3


def test_project_path_is_url_encoded(fake: FakeForge) -> None:
    fake.add_pr(1, ["a"])
    result = make(fake, project="acme/app").open_changes("main")
    assert [c.number for c in result.changes] == [1]
    assert fake.requests[0].path == "/api/v4/projects/acme%2Fapp/merge_requests"


def test_one_failing_diff_list_makes_the_result_incomplete(fake: FakeForge) -> None:
    fake.add_pr(1, ["a"])
    fake.add_pr(2, ["b"])
    fake.fail("GET .*/merge_requests/2/diffs", 500, times=5)
    result = make(fake).open_changes("main")
    assert not result.complete
    assert result.problems == (
        "could not list the files of !2: GitLab: GET "
        f"{fake.url}/api/v4/projects/42/merge_requests/2/diffs failed with HTTP 500 after 3 "
        "attempts: Server Error",
    )
    assert [len(c.files) for c in result.changes] == [1, 0]


def test_an_empty_mr_list_that_claims_a_total_is_an_error(fake: FakeForge) -> None:
    """A lying (or cut short) MR list never passes as "no other merge requests"."""
    fake.add_pr(1, ["a"])
    fake.add_fault(Fault("GET .*/merge_requests$", 200, [], {"x-total": "5"}))
    with pytest.raises(ForgeError) as info:
        make(fake).open_changes("main")
    assert info.value.exit_code == 3
    assert "GitLab reported 5 merge requests but listed 0" in info.value.message


def test_an_empty_diff_list_that_claims_a_total_is_incomplete(fake: FakeForge) -> None:
    fake.add_pr(1, ["a"])
    fake.add_pr(2, ["b"])
    fake.add_fault(Fault("GET .*/merge_requests/2/diffs$", 200, [], {"x-total": "1"}))
    result = make(fake).open_changes("main")
    assert not result.complete
    assert result.problems == (
        "could not list the files of !2: GitLab reported 1 changed files of !2 but listed 0",
    )


def test_a_total_that_changes_between_pages_is_a_contradiction(fake: FakeForge) -> None:
    for n in range(1, 4):
        fake.add_pr(n, ["a"])
    # Page 1 says one MR in all and that a page 2 follows; page 2 says three.
    mr = {"iid": 1, "target_branch": "main", "sha": "1" * 40, "source_branch": "f"}
    fake.add_fault(Fault("GET .*/merge_requests$", 200, [mr], {"x-total": "1", "x-next-page": "2"}))
    with pytest.raises(ForgeError, match=r"changed while it was listed \(1, then 3\)"):
        make(fake).open_changes("main")


def test_no_total_header_is_not_a_contradiction(fake: FakeForge) -> None:
    """GitLab leaves x-total out of lists above 10,000 items: nothing to compare then."""
    fake.add_pr(1, ["a"])
    fake.add_fault(Fault("GET .*/merge_requests/1/diffs$", 200, [], {}))
    result = make(fake).open_changes("main")
    assert result.complete and result.changes[0].files == ()


def test_rate_limit_429_is_waited_then_gives_up(fake: FakeForge) -> None:
    fake.add_pr(1, ["a"])
    fake.add_fault(
        Fault("GET .*/merge_requests$", 429, {"message": "Retry later"}, {"Retry-After": "2"})
    )
    forge = make(fake)
    assert forge.open_changes("main").complete
    fake.add_fault(
        Fault(
            "GET .*/merge_requests$",
            429,
            {"message": "Retry later"},
            {"RateLimit-Remaining": "0", "RateLimit-Reset": "99999999999"},
        )
    )
    with pytest.raises(ForgeError, match="rate limit"):
        forge.open_changes("main")


def test_old_gitlab_without_diffs_uses_changes(fake: FakeForge) -> None:
    fake.add_pr(1, ["a"])
    fake.add_fault(Fault("GET .*/diffs$", 404, {"message": "404 Not Found"}))
    overflow = {"changes": [{"old_path": "a", "new_path": "a", "new_file": True}], "overflow": True}
    fake.add_fault(Fault("GET .*/changes$", 200, overflow))
    result = make(fake).open_changes("main")
    assert not result.complete
    assert result.problems == ("!1: GitLab cut its list of changed files short (overflow)",)
    assert result.changes[0].files == (ChangedFile("a", "added"),)


def test_bad_token(fake: FakeForge) -> None:
    fake.state.token = "other"
    with pytest.raises(HTTPStatusError) as info:
        make(fake).open_changes("main")
    assert info.value.status == 401 and info.value.exit_code == 3
    assert TOKEN not in str(info.value)


def test_read_files(fake: FakeForge) -> None:
    fake.add_pr(1, ["q/sqitch.plan"], sha="e" * 40, blobs={"q/sqitch.plan": b"%project=q\n"})
    forge = make(fake)
    (change,) = forge.open_changes("main").changes
    got = forge.read_files(change, ["q/sqitch.plan", "q/none"])
    assert got == {"q/sqitch.plan": b"%project=q\n", "q/none": None}
    assert fake.requests[-2].path == "/api/v4/projects/42/repository/files/q%2Fsqitch.plan"


def test_sticky_note_across_pages_updated_in_place(fake: FakeForge) -> None:
    fake.add_pr(9, ["a"])
    for i in range(120):
        fake.add_comment(9, f"note {i}")
    system = fake.add_comment(9, "<!-- migration-guard --> mentioned in commit abc")
    system.system = True
    forge = make(fake)
    created = forge.upsert_comment(9, "migration-guard", "first")
    assert created.action == "created"
    updated = forge.upsert_comment(9, "migration-guard", "second")
    assert updated.action == "updated" and updated.comment_id == created.comment_id
    assert forge.upsert_comment(9, "migration-guard", "second").action == "unchanged"
    ours = [c for c in fake.state.comments[9] if c.body.startswith("<!-- migration-guard -->\n")]
    assert [c.body for c in ours] == ["<!-- migration-guard -->\nsecond"]
    assert fake.count("POST") == 1 and fake.count("PUT") == 1
    notes_query = fake.requests[0].query
    assert notes_query == {"per_page": "100", "sort": "asc", "order_by": "created_at"}


def test_a_marker_note_written_by_someone_else_is_never_ours(fake: FakeForge) -> None:
    fake.add_pr(9, ["a"])
    forged = fake.add_comment(9, "<!-- migration-guard -->\nAll clear", author="mallory")
    forge = make(fake)
    created = forge.upsert_comment(9, "migration-guard", "collision")
    assert created.action == "created"
    assert forged.body == "<!-- migration-guard -->\nAll clear"
    assert fake.count("PUT") == 0
    updated = forge.upsert_comment(9, "migration-guard", "fixed")
    assert (updated.action, updated.comment_id) == ("updated", created.comment_id)
    assert forged.body == "<!-- migration-guard -->\nAll clear"
    assert fake.count("GET", "^/api/v4/user$") == 1  # asked once per run


def test_job_token_cannot_post_notes(fake: FakeForge) -> None:
    settings = GitLabSettings("42", Secret("job-123"), "job", fake.gitlab_api_url)
    with pytest.raises(UsageError, match="CI_JOB_TOKEN cannot post merge request notes"):
        GitLabForge(settings).upsert_comment(1, "m", "b")
    assert fake.requests == []


def test_job_token_reads_with_job_token_header(fake: FakeForge) -> None:
    fake.state.job_token = "job-123"
    fake.add_pr(1, ["a"])
    settings = GitLabSettings("42", Secret("job-123"), "job", fake.gitlab_api_url)
    assert GitLabForge(settings).open_changes("main").complete
    assert fake.requests[0].headers["job-token"] == "job-123"
    assert "private-token" not in fake.requests[0].headers


def test_rejected_job_token_suggests_gitlab_token(fake: FakeForge) -> None:
    settings = GitLabSettings("42", Secret("job-123"), "job", fake.gitlab_api_url)
    with pytest.raises(HTTPStatusError) as info:
        GitLabForge(settings).open_changes("main")
    assert info.value.hint is not None and "GITLAB_TOKEN" in info.value.hint


def test_settings_from_env() -> None:
    env = {
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_PROJECT_ID": "8",
        "CI_JOB_TOKEN": "job",
    }
    settings = GitLabSettings.from_env(env)
    assert (settings.project, settings.token_kind, settings.api_url) == (
        "8",
        "job",
        "https://gitlab.example/api/v4",
    )
    settings = GitLabSettings.from_env({**env, "GITLAB_TOKEN": "t1"})
    assert settings.token == Secret("t1") and settings.token_kind == "private"
    settings = GitLabSettings.from_env(
        {**env, "GITLAB_TOKEN": "t1", "MIGRATION_GUARD_GITLAB_TOKEN": "t2"}
    )
    assert settings.token == Secret("t2")
    assert "t2" not in repr(settings) and "t2" not in repr(GitLabForge(settings))
    assert GitLabSettings.from_env({"CI_PROJECT_ID": "7"}).api_url == "https://gitlab.com/api/v4"
    with pytest.raises(UsageError, match="CI_PROJECT_ID"):
        GitLabSettings.from_env({})
