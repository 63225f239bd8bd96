"""``renumber`` end to end on real git repositories; real Alembic confirms the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing.cli import run as _run
from testing.cli import snapshot as _state
from testing.gitrepo import GitRepo

from migration_guard import apply, sample

V = sample.CONSOLE_VERSIONS


def alembic_heads(repo: GitRepo) -> list[str]:
    """Real Alembic's heads of the console chain once the branch is merged into main."""
    repo.commit_all("renumbered")
    repo.git("merge", "-q", "--no-edit", "origin/main")
    config = Config(str(repo.path / "console/migrations/alembic.ini"))
    return sorted(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """Main at console 0192; branch `feature` (from an old main at 0144) adds 0145."""
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    later = sorted((repo.path / V).iterdir())[144:]
    saved = {p: p.read_text() for p in later}
    for path in later:
        path.unlink()
    repo.commit_all("main at 0144")
    repo.git("branch", "feature")
    for path, text in saved.items():
        path.write_text(text)
    repo.commit_all("main at 0192")
    repo.push("main")
    repo.git("checkout", "-q", "feature")
    repo.write(
        f"{V}/0145_promote_my_feature.py",
        sample.alembic_script(
            "0145",
            "0144",
            "promote_my_feature",
            table="t_promote",
            old_style=True,
            flag="b1_promote_0145",
        ),
    )
    repo.commit_all("feature")
    return repo


def test_runbook_example_in_one_command(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        repo,
        capsys,
        "renumber",
        f"{V}/0145_promote_my_feature.py",
        "--to",
        "0193",
        "--provider",
        "git",
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"[console] 0145 -> 0193: {V}/0145_promote_my_feature.py -> {V}/0193_promote_my_feature.py"
    )
    text = (repo.path / V / "0193_promote_my_feature.py").read_text()
    assert 'revision: str = "0193"\n' in text
    assert 'down_revision: Union[str, None] = "0192"\n' in text
    assert "Revision ID: 0193\nRevises: 0192\n" in text
    assert '_FLAG = "b1_promote_0193"\n' in text
    assert "_FLAG 'b1_promote_0145' -> 'b1_promote_0193'" in out
    assert not (repo.path / V / "0145_promote_my_feature.py").exists()
    assert "Console: OK (1 head: 0193)" in out
    assert repo.git("status", "--porcelain").splitlines() == [
        f"RM {V}/0145_promote_my_feature.py -> {V}/0193_promote_my_feature.py"
    ]
    assert alembic_heads(repo) == ["0193"]


def test_to_next_skips_numbers_claimed_by_open_branches(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.git("checkout", "-q", "-b", "other", "main")
    repo.write(f"{V}/0193_other.py", sample.alembic_script("0193", "0192", "other", table="o"))
    repo.commit_all("other")
    repo.push("other")
    repo.git("checkout", "-q", "feature")
    code, out, _ = _run(
        repo,
        capsys,
        "renumber",
        "console:0145",
        "--to",
        "next",
        "--provider",
        "git",
        "--format",
        "json",
    )
    assert code == 0
    payload = json.loads(out)
    assert [(m["from"], m["to"], m["new_path"]) for m in payload["moves"]] == [
        ("0145", "0194", f"{V}/0194_promote_my_feature.py")
    ]
    assert payload["validation"]["console"] == {"ok": True, "heads": ["0194"]}
    assert alembic_heads(repo) == ["0194"]


def test_claimed_number_is_refused_unless_forced(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(repo)
    code, out, err = _run(
        repo, capsys, "renumber", "console:0145", "--to", "0150", "--provider", "none"
    )
    assert (code, out) == (2, "")
    assert "console 0150 is already claimed by base branch" in err
    assert _state(repo) == before


def test_dry_run_prints_the_diff_and_changes_nothing(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(repo)
    code, out, _ = _run(
        repo, capsys, "renumber", "console:0145", "--to", "next", "--provider", "none", "--dry-run"
    )
    assert code == 0
    assert f"rename from {V}/0145_promote_my_feature.py" in out
    assert '\n-revision: str = "0145"\n' in out and '\n+revision: str = "0193"\n' in out
    assert out.rstrip().endswith("Dry run: nothing was changed.")
    assert _state(repo) == before


def test_branch_moves_a_block_of_three_and_keeps_links(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write(f"{V}/0146_second.py", sample.alembic_script("0146", "0145", "second", table="s"))
    repo.write(f"{V}/0147_third.py", sample.alembic_script("0147", "0146", "third", table="u"))
    repo.commit_all("two more")
    code, out, err = _run(
        repo, capsys, "renumber", "--branch", "--to", "next", "--provider", "none"
    )
    assert code == 0, err
    assert [line.split(":")[0] for line in out.splitlines()[:3]] == [
        "[console] 0145 -> 0193",
        "[console] 0146 -> 0194",
        "[console] 0147 -> 0195",
    ]
    second = (repo.path / V / "0194_second.py").read_text()
    assert (
        'revision: str = "0194"' in second
        and 'down_revision: Union[str, Sequence[str], None] = "0193"' in second
    )
    assert alembic_heads(repo) == ["0195"]


def test_child_in_the_same_pr_follows_the_renumbered_file(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # A hash-id child that is not renumbered itself still points at the moved revision.
    repo.write(f"{V}/ab12cd_child.py", sample.alembic_script("ab12cd", "0145", "child", table="c"))
    repo.commit_all("child")
    code, _, err = _run(
        repo, capsys, "renumber", "console:0145", "--to", "0193", "--provider", "none"
    )
    assert code == 0, err
    child = (repo.path / V / "ab12cd_child.py").read_text()
    assert 'down_revision: Union[str, Sequence[str], None] = "0193"' in child
    assert "Revises: 0193" in child
    assert alembic_heads(repo) == ["ab12cd"]


def test_uncommitted_changes_are_never_overwritten(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    path = repo.path / V / "0145_promote_my_feature.py"
    path.write_text(path.read_text() + "# work in progress\n")
    before = _state(repo)
    code, _, err = _run(
        repo, capsys, "renumber", "console:0145", "--to", "next", "--provider", "none"
    )
    assert code == 2
    assert "has uncommitted changes; not touching it" in err
    assert _state(repo) == before


def test_a_failure_halfway_restores_everything(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write(f"{V}/0146_second.py", sample.alembic_script("0146", "0145", "second", table="s"))
    repo.commit_all("second")
    before = _state(repo)
    real_move = apply._move
    calls: list[str] = []

    def failing_move(root: Path, old: str, new: str, in_git: bool) -> None:
        calls.append(old)
        if len(calls) == 2:
            raise OSError("injected failure")
        real_move(root, old, new, in_git)

    monkeypatch.setattr(apply, "_move", failing_move)
    code, _, err = _run(repo, capsys, "renumber", "--branch", "--to", "next", "--provider", "none")
    assert code == 3
    assert "rolled back: injected failure" in err
    assert _state(repo) == before


def test_unknown_targets_are_clear(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(repo, capsys, "renumber", "console:0999", "--to", "next")
    assert code == 2 and "chain 'console' has no migration numbered 0999" in err
    code, _, err = _run(repo, capsys, "renumber", "README.md", "--to", "next")
    assert code == 2 and "README.md is not a migration of any configured chain" in err
    code, _, err = _run(repo, capsys, "renumber", "--to", "next")
    assert code == 2 and "name the migration(s) to renumber, or pass --branch" in err


def test_a_revision_applied_on_a_target_database_is_refused(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "prod.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('0145')")
    before = _state(repo)
    code, _, err = _run(
        repo,
        capsys,
        "renumber",
        "console:0145",
        "--to",
        "next",
        "--provider",
        "none",
        "--target",
        f"sqlite:///{db}",
    )
    assert code == 1
    assert "revision 0145 is applied on sqlite:///" in err
    assert "alembic downgrade" in err
    assert _state(repo) == before
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0144'")
    code, _, err = _run(
        repo,
        capsys,
        "renumber",
        "console:0145",
        "--to",
        "next",
        "--provider",
        "none",
        "--target",
        f"sqlite:///{db}",
    )
    assert code == 0, err


def test_an_unreachable_target_database_is_could_not_decide(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        repo,
        capsys,
        "renumber",
        "console:0145",
        "--to",
        "next",
        "--provider",
        "none",
        "--target",
        "postgresql://nobody@127.0.0.1:1/none",
    )
    assert code == 3
    assert "cannot read alembic_version of postgresql://nobody@127.0.0.1:1/none" in err


def test_renumber_on_a_merged_collision_goes_onto_the_surviving_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On main after both PRs merged, the moved file goes on top of the other one."""
    from migration_guard.commands.demo import build_demo_repository

    build_demo_repository(tmp_path)
    repo = GitRepo(tmp_path / "monorepo", tmp_path / "origin.git")
    repo.git("checkout", "-q", "incident")
    code, out, err = _run(
        repo,
        capsys,
        "renumber",
        f"{V}/0193_add_refund_audit.py",
        "--to",
        "next",
        "--provider",
        "none",
    )
    assert code == 0, out + err
    moved = (repo.path / V / "0194_add_refund_audit.py").read_text()
    assert 'down_revision: Union[str, Sequence[str], None] = "0193"' in moved
    assert "Console: OK (1 head: 0194)" in out


def test_a_chain_still_broken_after_the_renumber_is_not_reported_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from migration_guard.commands.demo import build_demo_repository

    build_demo_repository(tmp_path)
    repo = GitRepo(tmp_path / "monorepo", tmp_path / "origin.git")
    repo.git("checkout", "-q", "incident")
    # A third, unrelated head: moving 0193_add_refund_audit cannot make the chain whole.
    repo.write(f"{V}/0150_side.py", sample.alembic_script("0150x", "0149", "side", table="x"))
    repo.commit_all("side branch")
    code, out, _ = _run(
        repo,
        capsys,
        "renumber",
        f"{V}/0193_add_refund_audit.py",
        "--to",
        "next",
        "--provider",
        "none",
        "--down-revision",
        "0193",
    )
    assert code == 1
    assert "The chain still has problems" in out
    assert "should pass now" not in out
