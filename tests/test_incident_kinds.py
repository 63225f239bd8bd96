"""The runbook's incident, replayed with the same commands in a Django app and in a
golang-migrate folder: two PRs claim the next number; ``check`` names the colliding PR and
the next free number, ``next`` skips the claimed one, ``renumber`` fixes the second PR; once
both merged anyway, ``heads``/``lint`` fail and ``recover --apply --branch`` repairs main.
Real Django confirms the repaired app still migrates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from testing.cli import run
from testing.django_apps import FIXTURE, django_oracle
from testing.gitrepo import GitRepo

TENANCY = "tenancy/migrations"
LEAF = "0014_contactassignment_ordering"
MIGRATIONS = "db/migrations"


def _django_migration(parent: str) -> str:
    return (
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f'    dependencies = [("tenancy", "{parent}")]\n'
        "    operations = []\n"
    )


def _branch(repo: GitRepo, branch: str, files: dict[str, str]) -> None:
    repo.git("checkout", "-q", "-b", branch, "main")
    for path, text in files.items():
        repo.write(path, text)
    repo.commit_all(f"{branch}: add a migration")
    repo.push(branch)


def _open_prs(tmp: Path, pr: int, files: list[str]) -> Path:
    listed = tmp / "prs.json"
    listed.write_text(json.dumps([{"number": pr, "head": f"pr-{pr}", "files": files}]))
    return listed


def _merge_both(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "main")
    for pr in (1, 2):
        repo.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr}", f"pr-{pr}")


@pytest.fixture
def django_repo(tmp_path: Path) -> GitRepo:
    """The NetBox slice on main; PRs #1 and #2 each add tenancy 0015 on its leaf."""
    repo = GitRepo.create(tmp_path)
    shutil.copytree(FIXTURE, repo.path, dirs_exist_ok=True)
    (repo.path / "README.md").unlink()
    repo.commit_all("main")
    repo.push("main")
    for pr, slug in ((1, "add_a"), (2, "add_b")):
        _branch(repo, f"pr-{pr}", {f"{TENANCY}/0015_{slug}.py": _django_migration(LEAF)})
    return repo


@pytest.fixture
def golang_repo(tmp_path: Path) -> GitRepo:
    """A golang-migrate folder at 000003 on main; PRs #1 and #2 each add 000004 (up + down)."""
    repo = GitRepo.create(tmp_path)
    for n in (1, 2, 3):
        repo.write(f"{MIGRATIONS}/00000{n}_step_{n}.up.sql", f"CREATE TABLE t{n} (id int);\n")
        repo.write(f"{MIGRATIONS}/00000{n}_step_{n}.down.sql", f"DROP TABLE t{n};\n")
    repo.commit_all("main")
    repo.push("main")
    for pr, slug in ((1, "add_a"), (2, "add_b")):
        _branch(
            repo,
            f"pr-{pr}",
            {
                f"{MIGRATIONS}/000004_{slug}.up.sql": f"CREATE TABLE {slug} (id int);\n",
                f"{MIGRATIONS}/000004_{slug}.down.sql": f"DROP TABLE {slug};\n",
            },
        )
    return repo


def test_django_check_next_and_renumber_the_second_pr(
    django_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = django_repo
    repo.git("checkout", "-q", "pr-2")
    prs = _open_prs(tmp_path, 1, [f"{TENANCY}/0015_add_a.py"])
    common = ("--open-prs", str(prs), "--base-sha", "origin/main")
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 1
    assert f"COLLISION [tenancy] 0015 — {TENANCY}/0015_add_b.py" in out
    assert f"  also claimed by PR #1 ({TENANCY}/0015_add_a.py)" in out
    assert "  next available number: 0016" in out
    fix = f"  fix: migration-guard renumber {TENANCY}/0015_add_b.py --to 0016"
    assert fix in out.splitlines()
    code, out, _ = run(repo, capsys, "next", "tenancy", *common)
    assert (code, out.strip()) == (0, "0016")
    code, out, err = run(
        repo, capsys, "renumber", f"{TENANCY}/0015_add_b.py", "--to", "0016", *common
    )
    assert code == 0, out + err
    assert "Tenancy: OK (1 head: 0016_add_b)" in out
    assert not (repo.path / TENANCY / "0015_add_b.py").exists()
    repo.commit_all("renumber")
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 0, out
    assert out.splitlines()[-1].endswith("OK.")


@pytest.mark.slow
def test_django_merged_collision_is_found_and_recovered(
    django_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = django_repo
    _merge_both(repo)
    code, out, _ = run(repo, capsys, "heads")
    assert code == 1
    assert (
        "MG301 Conflicting migrations detected; multiple leaf nodes in the migration graph: "
        "(0015_add_a, 0015_add_b in tenancy)"
    ) in out
    oracle = django_oracle(repo.path)  # real Django agrees
    assert {app: sorted(names) for app, names in oracle["conflicts"].items()} == {
        "tenancy": ["0015_add_a", "0015_add_b"]
    }
    code, out, _ = run(repo, capsys, "recover")
    assert code == 1
    assert "Tenancy (django, tenancy/migrations): COLLISION (2 heads)" in out
    assert f"  repair: {TENANCY}/0015_add_b.py -> {TENANCY}/0016_add_b.py" in out
    code, out, err = run(repo, capsys, "recover", "--apply", "--branch", "hotfix/tenancy")
    assert code == 0, out + err
    assert "Committed on branch hotfix/tenancy" in out
    moved = (repo.path / TENANCY / "0016_add_b.py").read_text()
    assert '("tenancy", "0015_add_a")' in moved  # re-parented onto the side that stays
    code, out, _ = run(repo, capsys, "heads")
    assert code == 0, out
    assert "head 0016_add_b" in out
    after = django_oracle(repo.path, [["migrate", "--noinput"]], database=repo.path / "t.db")
    assert ["tenancy", "0016_add_b"] in after["leaves"] and not after["conflicts"], after
    assert after["commands"] == [None], after  # and it migrates


def test_golang_migrate_check_next_and_renumber_the_second_pr(
    golang_repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = golang_repo
    repo.git("checkout", "-q", "pr-2")
    files = [f"{MIGRATIONS}/000004_add_a.up.sql", f"{MIGRATIONS}/000004_add_a.down.sql"]
    common = ("--open-prs", str(_open_prs(tmp_path, 1, files)), "--base-sha", "origin/main")
    code, out, _ = run(repo, capsys, "chains")
    assert code == 0 and out.split("\n")[2].split() == [
        "db", "golang-migrate", "db/migrations", "sequential", "4", "000004", "4",
    ]  # fmt: skip
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 1
    assert "COLLISION [db] 000004" in out
    assert "also claimed by PR #1" in out
    assert "  next available number: 000005" in out
    fix = next(line for line in out.splitlines() if line.startswith("  fix: "))
    code, out, _ = run(repo, capsys, "next", "db", *common)
    assert (code, out.strip()) == (0, "000005")
    command = fix.removeprefix("  fix: migration-guard ").split()
    code, out, err = run(repo, capsys, *command, *common)
    assert code == 0, out + err
    names = sorted(p.name for p in (repo.path / MIGRATIONS).iterdir())
    assert "000005_add_b.up.sql" in names and "000005_add_b.down.sql" in names
    assert not [n for n in names if n.startswith("000004")]
    repo.commit_all("renumber")
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 0, out


def test_golang_migrate_merged_collision_is_found_and_recovered(
    golang_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = golang_repo
    _merge_both(repo)
    code, out, _ = run(repo, capsys, "lint")
    assert code == 1
    assert "MG501" in out and "golang-migrate refuses to run a chain with one version twice" in out
    code, out, _ = run(repo, capsys, "recover")
    assert code == 1
    assert "Db (golang-migrate, db/migrations): COLLISION" in out
    code, out, err = run(repo, capsys, "recover", "--apply", "--branch", "hotfix/db")
    assert code == 0, out + err
    assert "Db: lint OK" in out
    names = sorted(p.name for p in (repo.path / MIGRATIONS).iterdir())
    assert names[-2:] == ["000005_add_b.down.sql", "000005_add_b.up.sql"]
    code, out, _ = run(repo, capsys, "lint")
    assert code == 0, out
    code, out, err = run(repo, capsys, "gate")
    assert (code, out) == (2, "")
    assert "gate does not run golang-migrate chains yet (db)" in err
    code, out, err = run(repo, capsys, "heads")
    assert code == 2 and "no Alembic or Django chains to check" in err


def test_flyway_dotted_versions_renumber_only_to_a_named_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.create(tmp_path)
    for name in ("V1.0.0__init.sql", "V1.2.0__stats.sql", "V1.11__uuid.sql", "R__views.sql"):
        repo.write(f"db/migration/{name}", "select 1;\n")
    repo.commit_all("main")
    repo.push("main")
    _branch(repo, "pr-2", {"db/migration/V1.12__mine.sql": "select 2;\n"})
    prs = _open_prs(tmp_path, 1, ["db/migration/V1.12.0__theirs.sql"])
    common = ("--open-prs", str(prs), "--base-sha", "origin/main")
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 1, out
    assert "COLLISION [db] 1.12 — db/migration/V1.12__mine.sql" in out  # 1.12 = 1.12.0
    assert "also used by PR #1 (db/migration/V1.12.0__theirs.sql)" in out
    code, out, err = run(
        repo, capsys, "renumber", "db/migration/V1.12__mine.sql", "--to", "next", *common
    )
    assert (code, out) == (2, "")
    assert "chain 'db' has no sequential or timestamp versions (numbering: none)" in err
    assert "hint: name the new version, e.g. --to 1.13" in err
    code, out, err = run(
        repo, capsys, "renumber", "db/migration/V1.12__mine.sql", "--to", "1.13", *common
    )
    assert code == 0, out + err
    assert out.splitlines()[0] == (
        "[db] 1.12 -> 1.13: db/migration/V1.12__mine.sql -> db/migration/V1.13__mine.sql"
    )
    repo.commit_all("renumber")
    code, out, _ = run(repo, capsys, "check", *common)
    assert code == 0, out


def test_timestamped_golang_migrate_collision_is_recovered_one_second_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.create(tmp_path)
    for stamp in ("20240826120919", "20240918204720"):
        repo.write(f"{MIGRATIONS}/{stamp}_s{stamp}.up.sql", "select 1;\n")
        repo.write(f"{MIGRATIONS}/{stamp}_s{stamp}.down.sql", "select 1;\n")
    repo.commit_all("main")
    for pr, slug in ((1, "add_a"), (2, "add_b")):
        _branch(
            repo,
            f"pr-{pr}",
            {
                f"{MIGRATIONS}/20240920070940_{slug}.up.sql": "select 1;\n",
                f"{MIGRATIONS}/20240920070940_{slug}.down.sql": "select 1;\n",
            },
        )
    _merge_both(repo)
    code, out, err = run(repo, capsys, "recover", "--apply")
    assert code == 0, out + err
    assert (
        f"  repair: {MIGRATIONS}/20240920070940_add_b.up.sql -> "
        f"{MIGRATIONS}/20240920070941_add_b.up.sql"
    ) in out
    code, out, _ = run(repo, capsys, "lint")
    assert code == 0, out


@pytest.mark.slow
def test_gate_round_trips_a_configured_django_app_and_names_a_broken_one(
    django_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = django_repo
    repo.git("checkout", "-q", "main")
    repo.write(
        "migration-guard.toml",
        '[[chains]]\nname = "tenancy"\nkind = "django"\npath = "tenancy/migrations"\n'
        'settings = "settings"\n',
    )
    code, out, err = run(repo, capsys, "gate")
    assert code == 0, out + err
    assert "Tenancy (django, sqlite): forward OK · zero OK · forward again OK" in out
    assert out.splitlines()[-1] == "gate: 1 chain round-tripped. OK."
    repo.write(
        f"{TENANCY}/0015_irreversible.py",
        "from django.db import migrations\n\n\n"
        "def forward(apps, schema_editor):\n    pass\n\n\n"
        "class Migration(migrations.Migration):\n"
        f'    dependencies = [("tenancy", "{LEAF}")]\n'
        "    operations = [migrations.RunPython(forward)]\n",
    )
    code, out, err = run(repo, capsys, "gate")
    assert code == 1, out + err
    assert "zero FAIL" in out and "IrreversibleError" in out
    repo.write(
        "migration-guard.toml",
        '[[chains]]\nname = "tenancy"\nkind = "django"\npath = "tenancy/migrations"\n',
    )
    code, out, err = run(repo, capsys, "gate")
    assert (code, out) == (2, "")
    assert "chain 'tenancy' names none" in err and 'settings = "mysite.settings"' in err
