"""``check`` on a change that touches no chain: the fast exit a required check without a
``paths:`` filter relies on, and the sticky comment of a collision the change has dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing import ci_env
from testing.cli import run
from testing.fake_forge import FakeForge
from testing.gitrepo import GitRepo
from testing.incident import main_at_0144

from migration_guard import sample

V = sample.CONSOLE_VERSIONS


def _prs(repo: GitRepo) -> None:
    """PR #3277 and #3322 both add console 0145; #3322 is checked out."""
    for pr, slug in ((3277, "promote_my_feature"), (3322, "add_refund_audit")):
        repo.git("checkout", "-q", "-b", f"pr-{pr}", "main")
        repo.write(f"{V}/0145_{slug}.py", sample.alembic_script("0145", "0144", slug, table=slug))
        repo.commit_all(f"pr-{pr}: add 0145")
        repo.push(f"pr-{pr}")


def test_a_dropped_collision_updates_the_comment_without_listing_open_prs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = main_at_0144(tmp_path)
    repo.push("main")
    _prs(repo)
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        for key, value in ci_env.github_actions(tmp_path, pr=3322, forge=fake).items():
            monkeypatch.setenv(key, value)
        summary = tmp_path / "summary.md"
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        code, _, err = run(repo, capsys, "check", "--format", "github", "--post-comment")
        assert code == 1, err
        (comment,) = fake.state.comments[3322]
        assert "**0146**" in comment.body

        # The author moves the migration to another PR: this one touches no chain any more.
        repo.git("rm", "-q", f"{V}/0145_add_refund_audit.py")
        repo.commit_all("move the migration out of this PR")
        fake.reset_requests()
        code, out, err = run(repo, capsys, "check", "--format", "github", "--post-comment")
        assert code == 0, err
        assert out.splitlines() == [
            "migration-guard check: base='origin/main' pr=3322",
            "no migrations touched: OK",
        ]
        (comment,) = fake.state.comments[3322]
        assert "no longer touches any migration chain" in comment.body
        assert "updated the comment on PR #3322" in err
        assert summary.read_text().endswith(
            "### Migration number check\nno migrations touched: OK\n"
        )
        assert fake.count(path="graphql") + fake.count(path="/pulls") <= 2  # comments only

    # A change that never touched a chain gets no comment at all.
    with FakeForge() as fake:
        fake.add_pr(3500, ["README.md"], head="docs")
        repo.git("checkout", "-q", "-b", "docs", "main")
        repo.write("README.md", "docs\n")
        repo.commit_all("docs")
        for key, value in ci_env.github_actions(tmp_path, pr=3500, forge=fake).items():
            monkeypatch.setenv(key, value)
        code, out, err = run(repo, capsys, "check", "--post-comment")
        assert code == 0, err
        assert out.splitlines()[-1] == "no migrations touched: OK"
        assert fake.state.comments.get(3500, []) == []


def test_outside_text_formats_the_full_report_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_at_0144(tmp_path)
    repo.push("main")
    code, out, _ = run(repo, capsys, "check", "--provider", "none", "--format", "json")
    assert code == 0 and '"new": []' in out
    code, out, _ = run(repo, capsys, "check", "--provider", "none", "--format", "markdown")
    assert code == 0 and "No migration-number collisions" in out
