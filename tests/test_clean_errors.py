"""Odd input is exit 2 with a sentence (or simply works), never exit 3 "internal error"
(issue 10, item 15)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from testing import incident
from testing.cli import run, snapshot
from testing.fake_forge import FakeForge
from testing.gitrepo import GitRepo

from migration_guard import sample
from migration_guard.errors import UsageError

V = sample.CONSOLE_VERSIONS
SURROGATE = "\udce9"  # how the byte 0xe9 of a non-UTF-8 file name reads (surrogateescape)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """The sample monorepo on main, pushed, and a branch ``feature`` checked out."""
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def _highest(repo: GitRepo) -> int:
    return max(int(p.name[:4]) for p in (repo.path / V).iterdir() if p.name[:4].isdigit())


def _commit_the_next_migration(repo: GitRepo) -> int:
    """Commit console's next migration on the feature branch; the number it follows."""
    top = _highest(repo)
    repo.write(
        f"{V}/{top + 1:04d}_x.py",
        sample.alembic_script(f"{top + 1:04d}", f"{top:04d}", "x", table="x"),
    )
    repo.commit_all("add")
    return top


# --- a non-UTF-8 file name -------------------------------------------------------------------


def _latin1_migration(repo: GitRepo) -> tuple[str, str]:
    """Commit a migration named ``NNNN_café.py`` in Latin-1; (number, shown path)."""
    top = _highest(repo)
    number = f"{top + 1:04d}"
    raw = os.fsencode(repo.path / V) + f"/{number}_caf".encode() + b"\xe9.py"
    with open(raw, "w", encoding="utf-8") as handle:
        handle.write(sample.alembic_script(number, f"{top:04d}", "cafe", table="t_cafe"))
    repo.commit_all("add a Latin-1 named migration")
    return number, f"{V}/{number}_caf\\xe9.py"


def test_a_non_utf8_file_name_reaches_the_step_summary_as_bytes(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number, shown = _latin1_migration(repo)
    prs = tmp_path / "prs.json"
    prs.write_text(
        json.dumps(
            [
                {
                    "number": 7,
                    "headRefName": "x",
                    "baseRefName": "main",
                    "files": [f"{V}/{number}_x.py"],
                }
            ]
        )
    )
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = run(
        repo, capsys, "check", "--open-prs", str(prs), "--base-sha", "origin/main",
        "--format", "github",
    )  # fmt: skip
    assert (code, err) == (1, "")
    assert SURROGATE not in out
    assert f"COLLISION [console] {number} — {shown}" in out
    # The fix still names the file: bash's $'...' turns \xe9 back into the byte.
    assert f"fix: migration-guard renumber $'{shown}' --to " in out
    text = summary.read_text(encoding="utf-8")
    assert shown.replace("_", "\\_") in text


def test_a_non_utf8_file_name_reaches_the_posted_comment_as_bytes(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number, shown = _latin1_migration(repo)
    with FakeForge() as fake:
        fake.add_pr(7, [f"{V}/{number}_x.py"], head="x")
        for key, value in {
            "GITHUB_REPOSITORY": "acme/app",
            "GITHUB_TOKEN": fake.token,
            "GITHUB_API_URL": fake.github_api_url,
            "GITHUB_GRAPHQL_URL": fake.graphql_url,
        }.items():
            monkeypatch.setenv(key, value)
        code, _, err = run(
            repo, capsys, "check", "--provider", "github", "--base-sha", "origin/main",
            "--pr-number", "8", "--post-comment",
        )  # fmt: skip
        assert code == 1, err
        (comment,) = fake.state.comments[8]
    assert SURROGATE not in comment.body
    assert shown.replace("_", "\\_") in comment.body


# --- deeply nested JSON ------------------------------------------------------------------------


def test_deeply_nested_open_prs_json_is_exit_2(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = run(repo, capsys, "check", "--open-prs", str(deep), "--base-sha", "main")
    assert (code, out) == (2, "")
    assert f"error: {deep} nests its JSON too deeply to be a list of pull requests" in err
    assert "internal error" not in err


def test_a_deeply_nested_event_file_is_exit_2(
    repo: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deep = tmp_path / "event.json"
    deep.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(deep))
    code, _, err = run(repo, capsys, "check", "--provider", "none", "--base-sha", "main")
    assert code == 2
    assert f"error: GITHUB_EVENT_PATH {deep} nests its JSON too deeply" in err


# --- malformed IPv6 URLs -----------------------------------------------------------------------


def test_a_malformed_ipv6_database_url_is_exit_2(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(repo, capsys, "gate", "--database-url", "postgresql://u:s3cr3t@[::1/db")
    assert (code, out) == (2, "")
    assert err.startswith(
        "migration-guard gate: error: --database-url 'postgresql://u:***@[::1/db' is not a "
        "valid URL: Invalid IPv6 URL\n"
    )
    assert "postgresql://user@[::1]:5432/db" in err  # the hint shows the right form
    assert "s3cr3t" not in err
    code, _, err = run(repo, capsys, "gate", "--database-url", "postgresql://u@db:99999/x")
    assert code == 2 and "is not a valid URL: Port out of range" in err


def test_a_malformed_ipv6_target_is_exit_2(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    top = _commit_the_next_migration(repo)
    before = snapshot(repo)
    common = ("--base-sha", "origin/main", "--provider", "none")
    code, _, err = run(
        repo, capsys, "renumber", f"console:{top + 1:04d}", "--to", f"{top + 2:04d}",
        "--target", "postgresql://[::1/db", *common,
    )  # fmt: skip
    assert code == 2, err
    assert "error: --target 'postgresql://[::1/db' is not a valid URL: Invalid IPv6 URL" in err
    code, _, err = run(
        repo, capsys, "renumber", "07-job-priority", "--to", "08",
        "--target", "db:pg://ops:pw1@[::1/queue", *common,
    )  # fmt: skip
    assert code == 2, err
    assert "'db:pg://ops:***@[::1/queue' is not a sqitch database URI: its IPv6 host" in err
    assert snapshot(repo) == before


# --- recover --apply --branch ------------------------------------------------------------------


@pytest.fixture
def merged_collision(tmp_path: Path) -> GitRepo:
    """Main at console 0144, then two PRs that both added 0145 merged."""
    return incident.merge_prs_adding_0145(
        incident.main_at_0144(tmp_path), {1: "first", 2: "second"}
    )


@pytest.mark.parametrize("name", ["bad..name", "-x", "a b", "x.lock", "refs/tags/x", ""])
def test_recover_refuses_a_bad_branch_name_before_changing_anything(
    merged_collision: GitRepo, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    before = snapshot(merged_collision)
    branches = merged_collision.git("branch", "--list")
    code, out, err = run(merged_collision, capsys, "recover", "--apply", f"--branch={name}")
    assert (code, out) == (2, ""), err
    assert f"error: --branch {name!r} is not a" in err and "branch name" in err
    assert snapshot(merged_collision) == before
    assert merged_collision.git("branch", "--list") == branches


def test_recover_branch_refs_heads_names_the_branch(
    merged_collision: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        merged_collision, capsys, "recover", "--apply", "--branch", "refs/heads/zz"
    )
    assert code == 0, err
    assert "Committed on branch zz: push it" in out
    refs = merged_collision.git("for-each-ref", "--format=%(refname)", "refs/heads").split()
    assert "refs/heads/zz" in refs
    assert not any(ref.startswith("refs/heads/refs/") for ref in refs)


# --- renumber --to a number wider than the chain's ---------------------------------------------


def test_renumber_refuses_a_number_wider_than_the_chain(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    top = _commit_the_next_migration(repo)
    before = snapshot(repo)
    common = ("--base-sha", "origin/main", "--provider", "none")
    code, out, err = run(
        repo, capsys, "renumber", f"console:{top + 1:04d}", "--to", "99999", *common
    )
    assert (code, out) == (2, "")
    assert (
        "error: --to 99999 does not fit chain 'console': its numbers have 4 digit(s), and 99999 "
        "has 5"
    ) in err
    code, _, err = run(repo, capsys, "renumber", "07-job-priority", "--to", "123", *common)
    assert code == 2 and "its numbers have 2 digit(s), and 123 has 3" in err
    assert snapshot(repo) == before


def test_one_more_digit_is_how_a_chain_outgrows_its_width() -> None:
    from migration_guard.services.renumbering import _check_width

    _check_width("c", 10000, 1, 4, {9999: "main"})  # 9999 -> 10000: fine
    _check_width("c", 9999, 2, 4, {9998: "main"})  # a block that crosses over
    _check_width("c", 123, 1, 4, {5: "main"})
    with pytest.raises(UsageError):
        _check_width("c", 10000, 1, 4, {192: "main"})
    with pytest.raises(UsageError):
        _check_width("c", 100000, 1, 4, {9999: "main"})  # two more digits never read back
