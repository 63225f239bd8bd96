"""``check`` and ``next`` end to end: real git repositories with a bare origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing import ci_env
from testing.cli import run as _run
from testing.fake_forge import FakeForge
from testing.gitrepo import GitRepo
from testing.incident import main_at_0144

from migration_guard import sample

V = sample.CONSOLE_VERSIONS
PLAN = sample.QUEUE_PLAN


def _add_console(
    repo: GitRepo, branch: str, number: int, slug: str, down: str, date: str | None = None
) -> str:
    repo.git("checkout", "-q", "-b", branch, "main")
    rev = f"{number:04d}"
    path = f"{V}/{rev}_{slug}.py"
    repo.write(path, sample.alembic_script(rev, down, slug, table=f"t_{slug}"))
    repo.commit_all(f"add {path}", date=date)
    repo.push(branch)
    return path


@pytest.fixture
def incident(tmp_path: Path) -> GitRepo:
    """Main at console 0144; PRs #3277, #3322 and #3323 all add 0145 (the runbook)."""
    repo = main_at_0144(tmp_path)
    repo.push("main")
    for minute, (pr, slug) in enumerate(
        ((3277, "promote_my_feature"), (3322, "add_refund_audit"), (3323, "add_export_index"))
    ):
        # One minute apart: with the git provider, the branch that added 0145 first keeps it.
        _add_console(repo, f"pr-{pr}", 145, slug, "0144", f"2026-06-05T10:0{minute}:00Z")
    repo.git("checkout", "-q", "pr-3322")
    return repo


def _prs_file(tmp_path: Path, prs: list[dict[str, object]]) -> Path:
    path = tmp_path / "prs.json"
    path.write_text(json.dumps(prs))
    return path


def test_runbook_incident_names_colliding_prs_and_next_number(
    incident: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prs = _prs_file(
        tmp_path,
        [
            {
                "number": 3277,
                "headRefName": "pr-3277",
                "baseRefName": "main",
                "files": [{"path": f"{V}/0145_promote_my_feature.py"}],
            },
            {
                "number": 3322,
                "headRefName": "pr-3322",
                "baseRefName": "main",
                "files": [{"path": f"{V}/0145_add_refund_audit.py"}],
            },
            {
                "number": 3323,
                "headRefName": "pr-3323",
                "baseRefName": "main",
                "files": [f"{V}/0145_add_export_index.py", "README.md"],
            },
            {
                "number": 4000,
                "headRefName": "x",
                "baseRefName": "release",
                "files": [f"{V}/0145_other_base.py"],
            },
        ],
    )
    code, out, _ = _run(
        incident,
        capsys,
        "check",
        "--base-sha",
        "origin/main",
        "--pr-number",
        "3322",
        "--open-prs",
        str(prs),
    )
    assert code == 1
    assert out.splitlines() == [
        "migration-guard check: base='origin/main' pr=3322",
        f"Open changes from: gh-json (open pull requests read from {prs})",
        "Found 1 new migration(s) in this PR:",
        f"  [console] 0145 — {V}/0145_add_refund_audit.py",
        "Found 2 migration file(s) across 2 other open PR(s).",
        f"COLLISION [console] 0145 — {V}/0145_add_refund_audit.py",
        f"  also claimed by PR #3277 ({V}/0145_promote_my_feature.py)",
        f"  also claimed by PR #3323 ({V}/0145_add_export_index.py)",
        "  PR #3277 opened first and keeps it: this PR must move",
        "  next available number: 0146",
        f"  fix: migration-guard renumber {V}/0145_add_refund_audit.py --to 0146",
        "Found 1 migration-number collision(s). FAIL.",
    ]


def _github_env(monkeypatch: pytest.MonkeyPatch, fake: FakeForge, tmp_path: Path, pr: int) -> Path:
    summary = tmp_path / "summary.md"
    env = ci_env.github_actions(tmp_path, pr=pr, forge=fake)
    for key, value in (env | {"GITHUB_STEP_SUMMARY": str(summary)}).items():
        monkeypatch.setenv(key, value)
    return summary


def test_github_actions_job_annotates_comments_and_clears_the_comment(
    incident: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.add_pr(3323, [f"{V}/0145_<b>evil<b>_[x](y).py"], head="pr-3323", draft=True)
        fake.add_pr(3400, [f"{V}/0145_other.py"], base="release")
        summary = _github_env(monkeypatch, fake, tmp_path, 3322)

        code, out, err = _run(incident, capsys, "check", "--format", "github", "--post-comment")
        assert code == 1, err
        annotations = [line for line in out.splitlines() if line.startswith("::error")]
        assert annotations == [
            f"::error file={V}/0145_add_refund_audit.py,line=1,title=Migration number collision::"
            f"[console] 0145 is also claimed by PR #3277 ({V}/0145_promote_my_feature.py); "
            f"PR #3323 ({V}/0145_<b>evil<b>_[x](y).py). Next available: 0146. "
            f"Fix: migration-guard renumber {V}/0145_add_refund_audit.py --to 0146"
        ]
        assert out.splitlines()[-1] == "Found 1 migration-number collision(s). FAIL."
        assert "posted a comment on PR #3322" in err
        (comment,) = fake.state.comments[3322]
        assert "<!-- migration-guard:check -->" in comment.body
        assert "**0146**" in comment.body
        assert "<b>" not in comment.body and r"\<b\>evil\<b\>" in comment.body
        assert "PR #3277" in summary.read_text()
        assert fake.token not in out + err + comment.body

        # The author renumbers onto 0146 and pushes: the same comment now says it is fixed.
        incident.git("mv", f"{V}/0145_add_refund_audit.py", f"{V}/0146_add_refund_audit.py")
        incident.commit_all("renumber")
        code, out, err = _run(incident, capsys, "check", "--post-comment")
        assert code == 0, out + err
        assert out.splitlines()[-1] == "No migration-number collisions detected. OK."
        assert "updated the comment on PR #3322" in err
        (comment,) = fake.state.comments[3322]
        assert "No migration-number collisions" in comment.body


def test_no_collision_and_no_earlier_comment_posts_nothing(
    incident: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        _github_env(monkeypatch, fake, tmp_path, 3322)
        code, out, err = _run(incident, capsys, "check", "--post-comment", "--format", "json")
        assert code == 0, err
        payload = json.loads(out)
        assert payload["ok"] is True and payload["complete"] is True
        assert payload["provider"] == "github"
        assert payload["new"] == [
            {
                "chain": "console",
                "number": "0145",
                "id": "0145",
                "path": f"{V}/0145_add_refund_audit.py",
                "name": "0145_add_refund_audit",
                "uncommitted": False,
            }
        ]
        assert payload["collisions"] == []
        assert fake.state.comments.get(3322, []) == []
        assert "nothing posted" in err


def test_rate_limit_is_could_not_decide_never_ok(
    incident: GitRepo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        fake.primary_rate_limit_graphql(times=10)
        fake.primary_rate_limit_rest("GET /repos", times=10)
        _github_env(monkeypatch, fake, tmp_path, 3322)
        code, out, err = _run(incident, capsys, "check")
        assert code == 3
        assert "OK" not in out
        assert "rate limit" in err.lower()


def test_post_comment_without_a_token_is_a_usage_error(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        incident, capsys, "check", "--provider", "git", "--post-comment", "--pr-number", "3322"
    )
    assert code == 2
    assert out == ""
    assert "--post-comment needs the github or gitlab provider (used: git)" in err


def test_git_provider_sees_remote_branches_and_base_collisions(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # Main moves on: PR #3277 merges first.
    incident.git("checkout", "-q", "main")
    incident.git("merge", "-q", "--no-ff", "-m", "Merge PR #3277", "pr-3277")
    incident.push("main")
    incident.git("checkout", "-q", "pr-3322")
    code, out, _ = _run(incident, capsys, "check", "--provider", "git", "--format", "json")
    assert code == 1
    payload = json.loads(out)
    assert payload["provider"] == "git"
    (collision,) = payload["collisions"]
    assert collision["claimed_by"] == [
        {
            "source": "base",
            "path": f"{V}/0145_promote_my_feature.py",
            "name": "0145_promote_my_feature",
            "id": "0145",
        },
        {
            "source": "pr",
            "ref": "origin/pr-3323",
            "path": f"{V}/0145_add_export_index.py",
            "name": "0145_add_export_index",
            "id": "0145",
        },
    ]
    assert collision["owner"]["source"] == "base"
    # pr-3322 added its 0145 before pr-3323 did: it moves first, to 0146; pr-3323 gets 0147.
    assert collision["next_available"] == "0146"


def test_a_pr_adding_the_same_number_twice_collides_with_itself(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    incident.write(
        f"{V}/0145_second.py", sample.alembic_script("0145b", "0145", "second", table="t2")
    )
    incident.commit_all("second")
    code, out, _ = _run(incident, capsys, "check", "--provider", "none")
    assert code == 1
    assert f"COLLISION [console] 0145 — {V}/0145_second.py" in out.splitlines()
    assert f"  also claimed by this PR ({V}/0145_add_refund_audit.py)" in out.splitlines()
    assert "  next available number: 0146" in out.splitlines()
    assert out.count("COLLISION") == 1


def test_sqitch_changes_collide_through_plans_and_scripts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    sqitch_dir = repo.path / PLAN.rsplit("/", 1)[0]
    for branch, slug in (("pr-1", "billing-invoice-refund-column"), ("pr-2", "job-tags")):
        repo.git("checkout", "-q", "-b", branch, "main")
        change = sample.SqitchChange(f"08-{slug}", slug.replace("-", "_"), slug)
        with (repo.path / PLAN).open("a") as plan:
            plan.write(sample.plan_line(change))
        sample.write_sqitch_change(sqitch_dir, change)
        repo.commit_all(branch)
        repo.push(branch)
    code, out, _ = _run(repo, capsys, "check", "--provider", "git")
    assert code == 1
    lines = out.splitlines()
    assert f"  [queue] 08 — {PLAN}: 08-job-tags" in lines
    assert f"COLLISION [queue] 08 — {PLAN}: 08-job-tags" in lines
    assert any(line.startswith("  also claimed by branch origin/pr-1 (") for line in lines)
    assert "  next available number: 09" in lines
    # renumber takes a sqitch change by name, so that is what the fix names.
    assert "  fix: migration-guard renumber 08-job-tags --to 09" in lines


def test_a_sqitch_change_colliding_with_the_base_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both changes live in the same plan file: the names, not the path, tell them apart."""
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main at queue 07")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "billing")
    change = sample.SqitchChange("07-billing-invoice-refund-column", "refund", "refund")
    with (repo.path / PLAN).open("a") as plan:
        plan.write(sample.plan_line(change))
    sample.write_sqitch_change(repo.path / PLAN.rsplit("/", 1)[0], change)
    repo.commit_all("billing")
    code, out, _ = _run(repo, capsys, "check", "--provider", "none")
    assert code == 1
    assert f"  also claimed by base branch ({PLAN}: 07-job-priority)" in out.splitlines()
    assert (
        "  fix: migration-guard renumber 07-billing-invoice-refund-column --to 08"
        in out.splitlines()
    )


def test_next_prints_the_next_free_numbers(
    incident: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(incident, capsys, "next", "console", "--provider", "git", "--count", "2")
    assert code == 0, err
    # Three open branches claim 0145: the first keeps it, and check sends the other two to
    # 0146 and 0147, so a fourth migration starts after them.
    assert out.splitlines() == ["0148", "0149"]
    code, out, _ = _run(incident, capsys, "next", "queue", "--provider", "none", "--format", "json")
    payload = json.loads(out)
    assert (code, payload["next"], payload["base_highest"]) == (0, ["08"], "07")


def test_gitlab_ci_merge_request_job(
    incident: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeForge() as fake:
        fake.add_pr(3277, [f"{V}/0145_promote_my_feature.py"], head="pr-3277")
        fake.add_pr(3322, [f"{V}/0145_add_refund_audit.py"], head="pr-3322")
        base_sha = incident.git("rev-parse", "origin/main").strip()
        for key, value in {
            "GITLAB_CI": "true",
            "CI_MERGE_REQUEST_IID": "3322",
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": base_sha,
            "CI_API_V4_URL": fake.gitlab_api_url,
            "GITLAB_TOKEN": fake.token,
        }.items():
            monkeypatch.setenv(key, value)
        code, out, err = _run(incident, capsys, "check", "--post-comment")
        assert code == 1, err
        assert "migration-guard check: base='origin/main' pr=3322" in out
        assert f"  also claimed by PR #3277 ({V}/0145_promote_my_feature.py)" in out
        assert "posted a comment on PR #3322" in err
        (posted,) = fake.state.comments[3322]
        assert "PR #3323" not in posted.body
        # A third MR now claims 0145 too: the verdict changes, so the one comment is edited.
        fake.add_pr(3323, [f"{V}/0145_add_export_index.py"], head="pr-3323")
        fake.reset_requests()
        code, out, err = _run(incident, capsys, "check", "--post-comment", "--format", "markdown")
        assert code == 1
        assert out.startswith("<!-- migration-guard:check -->\n### Migration number check\n")
        assert err == "migration-guard check: updated the comment on PR #3322\n"
        (edit,) = [r for r in fake.requests if r.method in ("POST", "PUT", "PATCH")]
        assert (edit.method, edit.path) == (
            "PUT",
            f"/api/v4/projects/42/merge_requests/3322/notes/{posted.id}",
        )
        assert "PR #3323" in edit.body["body"]
        (comment,) = fake.state.comments[3322]
        assert (comment.id, comment.body) == (posted.id, edit.body["body"])
        # Nothing changed since: no edit at all, and it says so.
        fake.reset_requests()
        code, out, err = _run(incident, capsys, "check", "--post-comment")
        assert code == 1
        assert err == "migration-guard check: comment already up to date on PR #3322\n"
        assert fake.count("PUT") == fake.count("POST") == 0
        assert [c.body for c in fake.state.comments[3322]] == [edit.body["body"]]


def test_open_prs_file_errors_are_clear(
    incident: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "prs.json"
    bad.write_text("{not json")
    code, out, err = _run(incident, capsys, "check", "--open-prs", str(bad))
    assert (code, out) == (2, "")
    assert str(bad) in err


def test_config_provider_is_the_default(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = incident.path / "migration-guard.toml"
    config.write_text('provider = "none"\n' + config.read_text())
    code, out, _ = _run(incident, capsys, "check")
    assert code == 0
    assert "Open changes from: none (--provider none: base branch only)" in out


def test_following_every_fix_line_of_a_wave_never_collides_again(
    incident: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three branches claim 0145: each check names a different next number, and once every
    branch has run its own fix line, every check passes."""
    fixes = {}
    for branch in ("pr-3277", "pr-3322", "pr-3323"):
        incident.git("checkout", "-q", branch)
        code, out, _ = _run(incident, capsys, "check", "--provider", "git")
        fix = [line for line in out.splitlines() if line.startswith("  fix: ")]
        fixes[branch] = (code, fix[0].removeprefix("  fix: ") if fix else None)
    assert fixes == {
        "pr-3277": (0, None),  # added 0145 first: keeps it
        "pr-3322": (1, f"migration-guard renumber {V}/0145_add_refund_audit.py --to 0146"),
        "pr-3323": (1, f"migration-guard renumber {V}/0145_add_export_index.py --to 0147"),
    }
    for branch in ("pr-3323", "pr-3322"):  # in any order
        incident.git("checkout", "-q", branch)
        command = fixes[branch][1]
        assert command is not None
        code, out, err = _run(incident, capsys, *command.split()[1:], "--provider", "git")
        assert code == 0, out + err
        incident.commit_all(f"follow the fix line of {branch}")
        incident.push(branch)
    for branch in ("pr-3277", "pr-3322", "pr-3323"):
        incident.git("checkout", "-q", branch)
        code, out, _ = _run(incident, capsys, "check", "--provider", "git")
        assert code == 0, out
        assert "COLLISION" not in out
