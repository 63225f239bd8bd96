"""``check`` against a hostile or broken forge (the loopback fake): lying totals, a foreign
marker comment, mentions in file names, a failed post, and servers that stall or flood."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from testing import ci_env, incident
from testing.cli import run as _run
from testing.fake_forge import FakeFile, FakeForge, Fault
from testing.gitrepo import GitRepo

from migration_guard import sample

V = sample.CONSOLE_VERSIONS


def _add_console(repo: GitRepo, branch: str, number: int, slug: str, down: str) -> str:
    repo.git("checkout", "-q", "-b", branch, "main")
    rev = f"{number:04d}"
    path = f"{V}/{rev}_{slug}.py"
    repo.write(path, sample.alembic_script(rev, down, slug, table=f"t_{slug}"))
    repo.commit_all(f"add {path}")
    repo.push(branch)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """Main at console 0144; this change (pr-3322) adds 0145."""
    repo = incident.main_at_0144(tmp_path)
    repo.push("main")
    _add_console(repo, "pr-3322", 145, "add_refund_audit", "0144")
    return repo


def _github_env(
    monkeypatch: pytest.MonkeyPatch, fake: FakeForge, tmp_path: Path, pr: int = 3322
) -> None:
    for key, value in ci_env.github_actions(tmp_path, pr=pr, forge=fake).items():
        monkeypatch.setenv(key, value)


def _gitlab_env(monkeypatch: pytest.MonkeyPatch, fake: FakeForge, repo: GitRepo) -> None:
    base = repo.git("rev-parse", "origin/main").strip()
    for key, value in ci_env.gitlab_ci(fake, mr=3322, base_sha=base).items():
        monkeypatch.setenv(key, value)


# -- item 6: GitLab's x-total ------------------------------------------------------------------


@pytest.mark.parametrize("what", ["merge_requests", "diffs"])
def test_gitlab_lists_that_contradict_x_total_are_undecided(
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    what: str,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        if what == "merge_requests":
            fake.add_fault(Fault("GET .*/merge_requests$", 200, [], {"x-total": "5"}))
        else:
            fake.add_fault(Fault("GET .*/3277/diffs$", 200, [], {"x-total": "1"}))
        _gitlab_env(monkeypatch, fake, repo)
        code, out, err = _run(repo, capsys, "check")
    assert code == 3, out + err
    assert "OK" not in out
    if what == "merge_requests":
        assert "GitLab reported 5 merge requests but listed 0" in err
    else:
        assert "GitLab reported 1 changed files of !3277 but listed 0" in out
        assert out.splitlines()[-1].endswith("UNDECIDED.")


# -- item 16: a failed post keeps the verdict ---------------------------------------------------


def test_a_failed_comment_post_keeps_the_collision_exit_code(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.state.can_comment = False  # a fork's read-only token
        _github_env(monkeypatch, fake, tmp_path)
        code, out, err = _run(repo, capsys, "check", "--post-comment")
    assert code == 1, err
    assert out.splitlines()[-1] == "Found 1 migration-number collision(s). FAIL."
    assert "could not post the comment on PR #3322" in err
    assert "Resource not accessible by integration" in err
    assert "pull-requests: write" in err  # the hint still comes along


def test_a_failed_comment_post_without_a_collision_is_undecided(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.add_comment(3322, "<!-- migration-guard:check -->\nold", author="github-actions[bot]")
        fake.state.can_comment = False
        _github_env(monkeypatch, fake, tmp_path)
        code, _out, err = _run(repo, capsys, "check", "--post-comment")
    assert code == 3, err
    assert "Resource not accessible by integration" in err


# -- item 11: mentions in file names ------------------------------------------------------------


def test_mentions_in_file_names_notify_nobody(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_cc_@all_and_@acme-security.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        _github_env(monkeypatch, fake, tmp_path)
        code, out, err = _run(repo, capsys, "check", "--post-comment", "--format", "github")
        assert code == 1, err
        (comment,) = fake.state.comments[3322]
    outside_code = re.sub(r"`[^`]*`", "", comment.body)
    assert "@\u200dall" in outside_code and "@\u200dacme-security" in outside_code
    assert re.search(r"@(?!\u200d)", outside_code) is None, comment.body
    (annotation,) = [line for line in out.splitlines() if line.startswith("::error")]
    assert re.search(r"@(?!\u200d)", annotation.split("::", 2)[2]) is None, annotation


# -- item 8: a comment only we own --------------------------------------------------------------


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_a_foreign_marker_comment_is_left_alone_and_a_new_one_posted(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    forge: str,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        forged = fake.add_comment(
            3322, "<!-- migration-guard:check -->\nAll clear ✅", author="mallory"
        )
        if forge == "github":
            _github_env(monkeypatch, fake, tmp_path)
        else:
            _gitlab_env(monkeypatch, fake, repo)
        code, out, err = _run(repo, capsys, "check", "--post-comment")
        assert code == 1, err
        assert "posted a comment on PR #3322" in err
        assert forged.body == "<!-- migration-guard:check -->\nAll clear ✅"
        first, ours = fake.state.comments[3322]
        assert first is forged
        assert ours.author in ("github-actions[bot]", "project_42_bot")
        assert "**0146**" in ours.body
        # Fixed: our comment (not the forged one) says so.
        repo.git("mv", f"{V}/0145_add_refund_audit.py", f"{V}/0146_add_refund_audit.py")
        repo.commit_all("renumber")
        code, out, err = _run(repo, capsys, "check", "--post-comment")
        assert code == 0, out + err
        assert "updated the comment on PR #3322" in err
        assert "No migration-number collisions" in ours.body
        assert forged.body == "<!-- migration-guard:check -->\nAll clear ✅"


# -- item 12: deadlines and size limits ---------------------------------------------------------


def _timed_run(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str, within: float
) -> tuple[int, str, str, float]:
    """The CLI in a thread: fails the test if it still runs after ``within`` seconds."""
    result: list[tuple[int, str, str]] = []
    start = time.monotonic()
    thread = threading.Thread(target=lambda: result.append(_run(repo, capsys, *args)))
    thread.daemon = True
    thread.start()
    thread.join(within)
    assert result, f"migration-guard {' '.join(args)} still running after {within} s"
    return (*result[0], time.monotonic() - start)


def test_check_gives_up_on_a_forge_that_never_answers(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.stall(".", "silence")
        _github_env(monkeypatch, fake, tmp_path)
        code, out, err, took = _timed_run(
            repo,
            capsys,
            "check",
            "--forge-timeout",
            "0.3",
            "--forge-deadline",
            "1",
            within=10,
        )
    assert code == 3, out + err
    assert "OK" not in out
    assert "did not answer" in err and "(the limit for one request, --forge-timeout)" in err
    assert took < 5


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_check_limits_come_from_the_environment_too(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    forge: str,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.stall(".", "trickle", interval=0.05)  # a byte every 50 ms: no socket timeout trips
        if forge == "github":
            _github_env(monkeypatch, fake, tmp_path)
        else:
            _gitlab_env(monkeypatch, fake, repo)
        monkeypatch.setenv("MIGRATION_GUARD_FORGE_TIMEOUT", "0.5")
        monkeypatch.setenv("MIGRATION_GUARD_FORGE_DEADLINE", "1.5")
        code, out, err, took = _timed_run(repo, capsys, "check", within=15)
    assert code == 3, out + err
    assert "OK" not in out
    assert "--forge-timeout" in err or "--forge-deadline" in err
    assert took < 6


def test_next_stops_reading_an_endless_answer(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.stall(".", "endless")
        _github_env(monkeypatch, fake, tmp_path)
        code, out, err, took = _timed_run(
            repo, capsys, "next", "console", "--forge-max-mib", "0.5", within=15
        )
    assert (code, out) == (3, ""), err
    assert "with more than 0.5 MiB; stopped reading (the limit for one answer, " in err
    assert "--forge-max-mib" in err
    assert took < 5


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (("--forge-timeout", "0"), {}, "--forge-timeout must be a positive number, not 0"),
        (("--forge-max-mib", "-1"), {}, "--forge-max-mib must be a positive number"),
        ((), {"MIGRATION_GUARD_FORGE_DEADLINE": "soon"}, "MIGRATION_GUARD_FORGE_DEADLINE must"),
    ],
)
def test_bad_limits_are_usage_errors(
    repo: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    expected: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, out, err = _run(repo, capsys, "check", "--provider", "git", *args)
    assert (code, out) == (2, ""), err
    assert expected in err


def test_a_forge_answer_nested_too_deeply_is_a_clean_exit_3(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.add_fault(Fault("POST /graphql", 200, b"[" * 100_000 + b"]" * 100_000, times=5))
        _github_env(monkeypatch, fake, tmp_path)
        code, out, err = _run(repo, capsys, "check")
    assert code == 3, out + err
    assert "OK" not in out and "internal error" not in err
    assert "with JSON nested too deeply to read (HTTP 200)" in err


# -- issue 14: each GitHub completeness guard, end to end ---------------------------------------

_OTHER = [*(f"docs/page-{i:03d}.md" for i in range(249)), f"{V}/0145_promote_my_feature.py"]
"""PR #3277's files: its colliding migration is the 250th, on the third page of files."""


def _push_always(fake: FakeForge, method: str, path: str) -> None:
    """PR #3277 is pushed to before every request (its migration dropped, docs rewritten):
    its files never hold still, so no list of them can be trusted."""
    pr = fake.state.prs[3277]
    pr.sha = f"{int(pr.sha, 16) + 1:040x}"
    pr.files = [FakeFile(f"docs/{pr.sha[-6:]}-{i:03d}.md") for i in range(250)]


_LIES: dict[str, tuple[Callable[[FakeForge], object], str]] = {
    "none": (lambda fake: None, ""),
    "graphql-total-count": (
        lambda fake: setattr(fake.state.prs[3277], "hidden", True),
        "GitHub reported 2 open pull requests into main but listed 1",
    ),
    "graphql-changed-files": (
        lambda fake: setattr(fake.state.prs[3277], "files_cap", 150),
        "PR #3277: GitHub lists 150 of its 250 changed files",
    ),
    "graphql-cursor-repeated": (
        lambda fake: setattr(fake.state.prs[3277], "files_cursor", "repeat"),
        "PR #3277: its file list does not advance",
    ),
    "graphql-cursor-null": (
        lambda fake: setattr(fake.state.prs[3277], "files_cursor", "null"),
        "PR #3277: its file list does not advance",
    ),
    "graphql-pushed-while-listed": (
        lambda fake: fake.before_request.append(_push_always),
        "PR #3277 kept changing while its files were listed",
    ),
    "rest-changed-files": (
        lambda fake: setattr(fake.state.prs[3277], "files_cap", 150),
        "PR #3277: GitHub lists 150 of its 250 changed files",
    ),
    "rest-pushed-while-listed": (
        lambda fake: fake.before_request.append(_push_always),
        "PR #3277 kept changing while its files were listed",
    ),
    "rest-pages-loop": (
        lambda fake: fake.add_fault(
            Fault(
                r"GET .*/pulls/3277/files$",
                200,
                [{"filename": "README.md", "status": "modified"}],
                {"Link": f'<{fake.url}/repos/acme/app/pulls/3277/files?per_page=100>; rel="next"'},
                times=1000,
            )
        ),
        "could not list the files of PR #3277: GitHub: pagination loops at",
    ),
}


_CASES = [
    pytest.param(lie, api == "rest", id=lie if lie != "none" else f"none-{api}")
    for lie in sorted(_LIES)
    for api in ("graphql", "rest")
    if lie == "none" or lie.startswith(api)
]


@pytest.mark.parametrize(("lie", "rest"), _CASES)
def test_a_github_list_that_lies_is_undecided_never_ok(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    lie: str,
    rest: bool,
) -> None:
    """PR #3277 claims 0145 too; each lie hides it (or, pushed to for ever, drops it). ``none``:
    no lie, the collision is found. With the guard for the lie disabled, ``check`` said OK."""
    lying, sentence = _LIES[lie]
    with FakeForge() as fake:
        fake.add_pr(3277, _OTHER, head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.state.graphql_enabled = not rest
        lying(fake)
        _github_env(monkeypatch, fake, tmp_path)
        monkeypatch.setenv("MIGRATION_GUARD_FORGE_DEADLINE", "15")
        code, out, err = _run(repo, capsys, "check")
    if lie == "none":
        assert code == 1, out + err
        assert "PR #3277" in out
        return
    assert code == 3, out + err
    assert "OK" not in out
    assert sentence in out + err
    assert "UNDECIDED" in out
