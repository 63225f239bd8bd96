"""``recover`` on real repositories where a collision already merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing import incident
from testing.cli import run as _run
from testing.gitrepo import GitRepo
from testing.sqitch_projects import sqitch

from migration_guard import sample

V = sample.CONSOLE_VERSIONS


def alembic_heads(path: Path) -> list[str]:
    config = Config(str(path / "console/migrations/alembic.ini"))
    return list(ScriptDirectory.from_config(config).get_heads())


def _add(repo: GitRepo, branch: str, files: list[tuple[str, str, str | None]]) -> None:
    """On a new branch from main: add console migrations (number, slug, down revision)."""
    repo.git("checkout", "-q", "-b", branch, "main")
    for number, slug, down in files:
        repo.write(
            f"{V}/{number}_{slug}.py", sample.alembic_script(number, down, slug, table=f"t_{slug}")
        )
    repo.commit_all(f"{branch}: add {', '.join(n for n, _, _ in files)}")


def _merge(repo: GitRepo, branch: str, pr: int, how: str) -> None:
    repo.git("checkout", "-q", "main")
    if how == "merge":
        repo.git(
            "merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr} from acme/{branch}", branch
        )
    elif how == "squash":
        repo.git("merge", "-q", "--squash", branch)
        repo.git("commit", "-q", "-m", f"Add migrations ({'#'}{pr})")
    else:
        repo.git("merge", "-q", "--ff-only", branch)


@pytest.fixture
def main_at_0144(tmp_path: Path) -> GitRepo:
    return incident.main_at_0144(tmp_path)


@pytest.mark.parametrize("how", ["merge", "squash"])
def test_runbook_incident_names_the_pr_that_landed_second(
    main_at_0144: GitRepo, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    repo = main_at_0144
    _add(repo, "pr-3277", [("0145", "promote_my_feature", "0144")])
    _add(repo, "pr-3322", [("0145", "add_refund_audit", "0144")])
    _merge(repo, "pr-3277", 3277, how)
    _merge(repo, "pr-3322", 3322, how)
    with pytest.warns(UserWarning, match="Revision 0145 is present more than once"):
        assert sorted(alembic_heads(repo.path)) == ["0145", "0145"]  # Alembic exits 0 here

    code, out, _ = _run(repo, capsys, "recover", "console")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "Console (alembic, console/migrations/versions): COLLISION (2 heads)"
    assert f"    {V}/0145_promote_my_feature.py landed first (PR #3277, " in out
    assert f"    {V}/0145_add_refund_audit.py landed second (PR #3322, " in out
    assert f"  repair: {V}/0145_add_refund_audit.py -> {V}/0146_add_refund_audit.py" in lines
    assert lines[-1].endswith("FAIL.")

    code, out, err = _run(repo, capsys, "recover", "--apply", "--branch", "hotfix/console-0145")
    assert code == 0, err
    assert alembic_heads(repo.path) == ["0146"]
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "hotfix/console-0145"
    message = repo.git("log", "-1", "--format=%B")
    assert message.splitlines()[0] == (
        "hotfix: renumber console 0145_add_refund_audit.py to 0146 after collision with "
        "0145_promote_my_feature.py (PR #3322 merged second)"
    )
    assert repo.git("status", "--porcelain") == ""
    assert _run(repo, capsys, "heads")[0] == 0
    assert _run(repo, capsys, "recover")[0] == 0


def test_fast_forward_and_a_second_pr_with_two_migrations(
    main_at_0144: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_at_0144
    _add(repo, "first", [("0145", "a", "0144")])
    _add(repo, "second", [("0145", "b", "0144"), ("0146", "b2", "0145")])
    _merge(repo, "first", 1, "ff")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #2 from acme/second", "second")
    code, out, _ = _run(repo, capsys, "recover", "--format", "json")
    payload = json.loads(out)
    console = payload["chains"][0]
    assert code == 1 and console["collision"] is True
    assert [(m["from"], m["to"]) for m in console["moves"]] == [("0145", "0147"), ("0146", "0148")]
    assert console["parent"] == "0145"
    code, _, err = _run(repo, capsys, "recover", "--apply")
    assert code == 0, err
    assert alembic_heads(repo.path) == ["0148"]
    moved = (repo.path / V / "0148_b2.py").read_text()
    assert 'down_revision: Union[str, Sequence[str], None] = "0147"' in moved


def test_nothing_wrong_is_exit_0(main_at_0144: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(main_at_0144, capsys, "recover", "console")
    assert code == 0
    assert out.splitlines()[-1] == "recover: no collision found. OK."


def test_branch_needs_apply_and_rev_cannot_apply(
    main_at_0144: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(main_at_0144, capsys, "recover", "--branch", "x")
    assert code == 2 and "--branch creates the hotfix commit: it needs --apply" in err
    code, _, err = _run(main_at_0144, capsys, "recover", "--apply", "--rev", "HEAD")
    assert code == 2 and "--apply repairs the working tree" in err


@pytest.mark.sqitch
def test_sqitch_changes_sharing_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    # Many teams let git union-merge plans; that is how two 08 changes both land.
    repo.write(".gitattributes", "*.plan merge=union\n")
    repo.commit_all("main at queue 07")
    project = repo.path / "queue/migrations/sqitch"
    for branch, slug in (("a", "job-tags"), ("b", "billing-refund")):
        repo.git("checkout", "-q", "-b", branch, "main")
        change = sample.SqitchChange(f"08-{slug}", slug.replace("-", "_"), slug)
        with (repo.path / sample.QUEUE_PLAN).open("a") as handle:
            handle.write(sample.plan_line(change))
        sample.write_sqitch_change(project, change)
        repo.commit_all(branch)
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #41 from acme/a", "a")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #42 from acme/b", "b")
    code, out, _ = _run(repo, capsys, "recover", "queue")
    assert code == 1
    assert "  same number '08':" in out
    assert "    08-job-tags landed first (PR #41, " in out
    assert "    08-billing-refund landed second (PR #42, " in out
    assert "  repair: 08-billing-refund -> 09-billing-refund" in out
    code, out, err = _run(repo, capsys, "recover", "queue", "--apply")
    assert code == 0, err
    assert _run(repo, capsys, "lint", "queue")[0] == 0
    assert sqitch(project, "plan", "--no-pager").returncode == 0


def test_rev_diagnoses_another_branch_without_touching_the_tree(
    main_at_0144: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = main_at_0144
    _add(repo, "pr-1", [("0145", "a", "0144")])
    _add(repo, "pr-2", [("0145", "b", "0144")])
    repo.git("checkout", "-q", "-b", "broken", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/pr-1", "pr-1")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #2 from acme/pr-2", "pr-2")
    repo.git("checkout", "-q", "main")
    code, out, _ = _run(repo, capsys, "recover", "console", "--rev", "broken")
    assert code == 1
    assert f"    {V}/0145_b.py landed second (PR #2, " in out
    assert repo.git("status", "--porcelain") == ""
