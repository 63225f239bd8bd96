"""``--via github``: reservations through GitHub's REST API (no push), against the fake forge.
The same refs and messages as ``--via git``; the create-ref call is the compare-and-swap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from testing.cli import run
from testing.fake_forge import EMPTY_TREE, FakeForge, Fault
from testing.gitrepo import GitRepo, git
from testing.incident import main_at_0144

from migration_guard import sample
from migration_guard.commands import new as new_command
from migration_guard.errors import ForgeError, InputError
from migration_guard.forges.github import GitHubSettings
from migration_guard.forges.github_reservations import GitHubReservations
from migration_guard.forges.http import RetryPolicy, Secret
from migration_guard.reservations import Claimant, message
from migration_guard.services import reservations as remote

V = sample.CONSOLE_VERSIONS
TOKEN = "ghs_n0tR3allyAS3cretButN3verPrinted"
VIA = ("--via", "github")


@pytest.fixture
def fake() -> Iterator[FakeForge]:
    with FakeForge(token=TOKEN) as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path, fake: FakeForge, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = main_at_0144(tmp_path)
    repo.push("main")
    repo.git("config", "user.name", "Alice")
    repo.git("config", "user.email", "alice@example.invalid")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/app")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", fake.github_api_url)
    return repo


def _store(fake: FakeForge, token: str = TOKEN) -> GitHubReservations:
    return GitHubReservations(
        GitHubSettings("acme/app", Secret(token), fake.github_api_url),
        retry=RetryPolicy(backoff=0.0),
        sleep=lambda _: None,
    )


def _reservation_refs(fake: FakeForge) -> list[str]:
    return sorted(r for r in fake.state.refs if r.startswith("refs/migration-guard/"))


def _pushed_refs(repo: GitRepo) -> list[str]:
    out = git(repo.path, "ls-remote", str(repo.origin), "refs/migration-guard/*")
    return [line.split("\t")[1] for line in out.splitlines()]


def _other_claimant(fake: FakeForge, ref: str) -> str:
    """Someone else's reservation commit at ``ref`` (as their own client would make it)."""
    who = Claimant("Bob", "bob@example.invalid", "ci", "feat-b", None, "b0b")
    chain, number = ref.removeprefix("refs/migration-guard/").rsplit("/", 1)
    sha = fake.add_commit(message(chain, number, who, datetime.now(UTC)))
    fake.set_ref(ref, sha)
    return sha


def test_reserve_twice_gets_distinct_numbers_without_pushing(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(repo, capsys, "reserve", "console", "--provider", "none", *VIA)
    assert (code, out) == (0, "0145\n")
    assert "reserved Console 0145 on GitHub acme/app" in err
    code, out, _ = run(
        repo, capsys, "reserve", "console", "--provider", "none", "--slug", "add_x", *VIA,
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert [(p["number"], p["who"], p["branch"], p["slug"]) for p in payload] == [
        ("0146", "Alice", "main", "add_x")
    ]
    assert _reservation_refs(fake) == [f"refs/migration-guard/console/014{n}" for n in (5, 6)]
    assert _pushed_refs(repo) == []  # nothing went through git
    commit = fake.state.git_commits[fake.state.refs["refs/migration-guard/console/0145"]]
    assert commit["tree"] == {"sha": EMPTY_TREE}
    assert commit["parents"] == []
    assert commit["author"]["name"] == "Alice"
    assert "Reserved-Branch: main" in commit["message"]
    assert "Migration-Guard-Number: 0145" in commit["message"]
    posted = [r.body for r in fake.requests if r.method == "POST" and r.path.endswith("/refs")]
    assert posted[0]["ref"] == "refs/migration-guard/console/0145"


def test_the_open_changes_come_from_github_too(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_pr(7, [f"{V}/0145_a.py"])
    assert run(repo, capsys, "reserve", "console", "--provider", "github", *VIA)[:2] == (
        0,
        "0146\n",
    )


def test_a_lost_race_takes_the_next_number(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone creates 0145 between our read and our create-ref: GitHub answers 422
    "Reference already exists", we read again and take 0146."""
    raced: list[str] = []

    def bob_first(server: FakeForge, method: str, path: str) -> None:
        if method == "POST" and path.endswith("/git/refs") and not raced:
            raced.append(_other_claimant(server, "refs/migration-guard/console/0145"))

    fake.before_request.append(bob_first)
    code, out, _ = run(repo, capsys, "reserve", "console", "--provider", "none", *VIA)
    assert (code, out) == (0, "0146\n")
    assert fake.state.refs["refs/migration-guard/console/0145"] == raced[0]
    assert _reservation_refs(fake) == [f"refs/migration-guard/console/014{n}" for n in (5, 6)]
    refused = [r for r in fake.requests if r.path.endswith("/git/refs") and r.status == 422]
    assert len(refused) == 1


def test_two_clients_racing_through_the_store_get_distinct_numbers(fake: FakeForge) -> None:
    mine, theirs = _store(fake), _store(fake)
    who = Claimant("A", "a@x", "h", "main", None, "n")
    calls: list[int] = []

    def candidates(current: object, wanted: int) -> list[str]:
        calls.append(wanted)
        if len(calls) == 1:  # the other client takes 0145 after our read
            assert theirs.create("console", "0145", who) is not None
            return ["0145"]
        return ["0146"]

    won = remote.claim(mine, "console", 1, who, candidates)
    assert [r.number_text for r in won] == ["0146"]
    assert len(calls) == 2  # its one candidate lost: read again
    assert theirs.create("console", "0146", who) is None  # taken: create-only


def test_a_retried_create_that_had_got_through_is_ours(fake: FakeForge) -> None:
    """A 502 after GitHub created the ref: the retry's 422 is judged by reading it back."""
    store = _store(fake)
    who = Claimant("A", "a@x", "h", "main", None, "n")
    created: list[str] = []

    def lose_the_answer(server: FakeForge, method: str, path: str) -> None:
        if method == "POST" and path.endswith("/git/refs") and not created:
            sha = next(iter(server.state.git_commits))  # the commit just posted
            server.set_ref("refs/migration-guard/console/0145", sha)
            created.append(sha)
            server.add_fault(Fault(r"POST .*/git/refs$", 502, {"message": "Server Error"}))

    fake.before_request.append(lose_the_answer)
    reservation = store.create("console", "0145", who)
    assert reservation is not None and reservation.oid == created[0]


def test_release_and_a_missing_reservation(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    run(repo, capsys, "reserve", "console", "--provider", "none", "--count", "2", *VIA)
    code, out, _ = run(repo, capsys, "release", "console", "0145", *VIA)
    assert code == 0
    assert out.startswith("released console 0145 (reserved by Alice (branch main) at ")
    assert _reservation_refs(fake) == ["refs/migration-guard/console/0146"]
    deletes = [r for r in fake.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == ["/repos/acme/app/git/refs/migration-guard/console/0145"]
    code, _, err = run(repo, capsys, "release", "console", "0145", *VIA)
    assert code == 2
    assert "console 0145 is not reserved on GitHub acme/app" in err


def test_a_reservation_that_changed_since_it_was_read_is_not_deleted(fake: FakeForge) -> None:
    store = _store(fake)
    who = Claimant("A", "a@x", "h", "main", None, "n")
    mine = store.create("console", "0145", who)
    assert mine is not None
    fake.state.refs.pop(mine.ref)
    theirs = _other_claimant(fake, mine.ref)  # released and taken again by Bob
    deleted = store.delete(mine)
    assert (deleted.ok, deleted.reason) == (False, f"it now points at {theirs[:12]}")
    assert fake.state.refs[mine.ref] == theirs
    fake.state.refs.pop(mine.ref)
    assert store.delete(mine)[1:] == (False, "it no longer exists")


def test_listing_shows_everyone_and_reads_each_commit_once(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    _other_claimant(fake, "refs/migration-guard/console/0150")
    _other_claimant(fake, "refs/migration-guard/other/0001")
    fake.set_ref("refs/migration-guard-x/console/0001", fake.add_commit("not ours"))
    run(repo, capsys, "reserve", "console", "--provider", "none", *VIA)
    code, out, _ = run(repo, capsys, "reservations", *VIA)
    assert code == 0
    lines = [line.split("  ") for line in out.splitlines()]
    assert [(cells[0], cells[1]) for cells in lines] == [
        ("console 0145", "Alice <alice@example.invalid>"),
        ("console 0150", "Bob <bob@example.invalid>"),
        ("other 0001", "Bob <bob@example.invalid>"),
    ]
    code, out, _ = run(repo, capsys, "reservations", "console", *VIA, "--format", "json")
    assert [(r["number"], r["branch"]) for r in json.loads(out)] == [
        ("0145", "main"),
        ("0150", "feat-b"),
    ]


def test_the_list_is_paged_and_messages_are_cached(fake: FakeForge) -> None:
    for n in range(1, 131):
        _other_claimant(fake, f"refs/migration-guard/console/{n:04d}")
    store = _store(fake)
    assert [r.number for r in store.read("console")] == list(range(1, 131))
    assert fake.count("GET", r"/git/matching-refs/") == 2  # 100 a page
    assert fake.count("GET", r"/git/commits/") == 130
    fake.reset_requests()
    assert len(store.read()) == 130
    assert (fake.count("GET", r"/git/matching-refs/"), fake.count("GET", "/git/commits/")) == (2, 0)


def test_new_reserves_through_github_and_gives_the_number_back_on_failure(
    repo: GitRepo,
    fake: FakeForge,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(repo, capsys, "new", "console", "add_y", "--provider", "none", *VIA)
    assert code == 0, err
    assert out.strip().endswith("0145_add_y.py")
    assert "reserved Console 0145 on GitHub acme/app" in err
    assert _reservation_refs(fake) == ["refs/migration-guard/console/0145"]

    def fail(*args: object, **kwargs: object) -> None:
        raise InputError("the disk is full")

    monkeypatch.setattr(new_command, "apply_plan", fail)
    code, _, err = run(repo, capsys, "new", "console", "add_z", "--provider", "none", *VIA)
    assert code == 2
    assert "the disk is full" in err
    assert _reservation_refs(fake) == ["refs/migration-guard/console/0145"]  # 0146 given back
    assert fake.count("DELETE", "/git/refs/migration-guard/console/0146") == 1


def test_a_token_without_contents_write_is_exit_3_with_the_sentence(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.state.refs_writable = False
    code, out, err = run(repo, capsys, "reserve", "console", "--provider", "none", *VIA)
    assert (code, out) == (3, "")
    assert err.splitlines()[0] == (
        "migration-guard reserve: error: GitHub refused to create "
        "refs/migration-guard/console/0145 in acme/app (HTTP 403): the token needs "
        "`contents: write` on the repository"
    )
    assert "permissions: contents: write" in err
    assert TOKEN not in out + err
    assert _reservation_refs(fake) == []


def test_a_bad_token_is_exit_3_and_never_printed(
    repo: GitRepo,
    fake: FakeForge,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "-revoked")
    for args in (
        ("reserve", "console", "--provider", "none", *VIA),
        ("reservations", *VIA),
        ("release", "console", "0145", *VIA),
    ):
        code, out, err = run(repo, capsys, *args)
        assert code == 3, (args, err)
        assert "GitHub did not accept the token (HTTP 401)" in err
        assert TOKEN not in out + err
    with pytest.raises(ForgeError) as caught:
        _store(fake, TOKEN + "-revoked").read()
    assert TOKEN not in repr(caught.value) + caught.value.message


def test_a_rate_limit_is_reported_as_one(
    repo: GitRepo, fake: FakeForge, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.primary_rate_limit_rest(r"GET .*/git/matching-refs/", times=10)
    code, out, err = run(repo, capsys, "reservations", *VIA)
    assert code == 3
    assert "GitHub rate limit: GET" in err
    assert "contents: write" not in err
    assert TOKEN not in out + err


def test_usage_errors(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(repo, capsys, "reserve", "console", *VIA, "--remote", "origin")
    assert code == 2
    assert "--remote is for --via git" in err
    monkeypatch.delenv("GITHUB_TOKEN")
    code, _, err = run(repo, capsys, "reservations", *VIA)
    assert code == 2
    assert "--via github needs a token: GITHUB_TOKEN (or GH_TOKEN) is not set" in err
    monkeypatch.delenv("GITHUB_REPOSITORY")
    code, _, err = run(repo, capsys, "release", "console", "0145", *VIA)
    assert code == 2
    assert "GITHUB_REPOSITORY=owner/name is not set" in err
