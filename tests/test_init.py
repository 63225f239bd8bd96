"""``migration-guard init`` on the runbook's layout and on the reconstructed real layouts: the
configuration reads back to the same chains, every file is shown or written all or nothing,
and nothing is overwritten that git could not give back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testing.cli import run, snapshot
from testing.gitrepo import GitRepo
from testing.runbook import RUNBOOK_INIT, runbook_layout

from migration_guard import sample
from migration_guard.chains import read_chain
from migration_guard.config import CONFIG_FILE, discover, load_config
from migration_guard.model import ChainSpec
from migration_guard.scaffold import ci, scripts
from migration_guard.tree import WorkTree

SHAPES = Path(__file__).parent / "data" / "real_shapes"


def _chains(root: Path) -> dict[str, ChainSpec]:
    config = load_config(root, WorkTree(root))
    return {spec.name: spec._replace(discovered=False) for spec in config.chains}


def test_init_writes_a_config_that_reads_back_to_the_runbooks_chains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    code, out, err = run(repo, capsys, *RUNBOOK_INIT)
    assert (code, err) == (0, "")
    expected_root = tmp_path / "expected"
    sample.write_sample_repo(expected_root)
    assert _chains(repo.path) == _chains(expected_root)
    assert load_config(repo.path, WorkTree(repo.path)).source == CONFIG_FILE
    lines = out.splitlines()
    assert lines[0] == "3 chains (discovered):"
    assert any(line.split()[:2] == ["raptor", "alembic"] for line in lines)
    written = [
        CONFIG_FILE,
        ci.GITHUB_WORKFLOW,
        *(f"{w.path} (executable)" for w in scripts.wrappers()),
    ]
    start = lines.index("Wrote 5 file(s):")
    assert lines[start + 1 : start + 6] == [f"  {path}" for path in written]
    for wrapper in scripts.wrappers():
        assert (repo.path / wrapper.path).stat().st_mode & 0o111 == 0o111


# Layouts no discovery can read right: init must say so and write nothing (never a guess).
UNDISCOVERABLE = {"prefect_like": "its env.py picks versions/postgresql or versions/sqlite"}
DISCOVERABLE = sorted(
    p.name for p in SHAPES.iterdir() if p.is_dir() and p.name not in UNDISCOVERABLE
)


@pytest.mark.parametrize("shape", sorted(UNDISCOVERABLE))
def test_a_layout_only_a_config_can_describe_is_refused_with_the_way_to_write_it(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / shape
    shutil.copytree(SHAPES / shape, root)
    assert discover(WorkTree(root))[0] == ()
    code, out, err = run(root, capsys, "init")
    assert (code, out) == (2, "")
    assert err.startswith("migration-guard init: error: no migration chains found in "), err
    assert "nothing was written" in err and "[[chains]]" in err
    assert sorted(p.name for p in root.iterdir()) == sorted(
        p.name for p in (SHAPES / shape).iterdir()
    )


@pytest.mark.parametrize("shape", DISCOVERABLE)
def test_every_discoverable_layout_round_trips(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever discovery finds (every kind, several version locations, ini sections,
    pyproject-only Alembic, Django apps, numbered presets) is written so that the
    configuration reads back to the same chains, reading the same migrations."""
    root = tmp_path / shape
    shutil.copytree(SHAPES / shape, root)
    (root / CONFIG_FILE).unlink(missing_ok=True)  # the shape's own: init writes it anew
    tree = WorkTree(root)
    found, _ = discover(tree)
    assert found, f"{shape}: nothing discovered (list it in UNDISCOVERABLE, with why)"
    code, _, err = run(root, capsys, "init")
    assert code == 0, err
    loaded = load_config(root, WorkTree(root))
    assert loaded.source == CONFIG_FILE
    assert not (root / ".github").exists() and not (root / ".gitlab").exists()  # --ci none
    assert len(loaded.chains) == len(found)
    for spec, original in zip(loaded.chains, found, strict=True):
        assert spec._replace(width=None) == original._replace(discovered=False)
        assert read_chain(tree, spec).migrations == read_chain(tree, original).migrations


def test_no_chain_is_exit_2_saying_what_it_looked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.create(tmp_path)
    repo.write("README.md", "nothing here\n")
    repo.commit_all("empty")
    before = snapshot(repo)
    code, _, err = run(repo, capsys, "init", "--ci", "github", "--scripts")
    assert code == 2
    assert "no migration chains found" in err
    assert "looked for Alembic configurations" in err and "sqitch.plan" in err
    assert "nothing was written" in err
    assert snapshot(repo) == before


def test_dry_run_prints_every_file_in_full_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    before = snapshot(repo)
    code, out, _ = run(repo, capsys, *RUNBOOK_INIT, "--dry-run")
    assert code == 0
    assert snapshot(repo) == before
    assert f"--- would write {CONFIG_FILE}:" in out
    assert 'name = "raptor"' in out
    plan = ci.CiPlan(
        heads=True,
        gated=("raptor", "console", "queue"),
        all_gated=True,
        system_packages=("sqitch", "libdbd-pg-perl", "postgresql-client"),
    )
    assert ci.github_workflow(plan) in out
    for wrapper in scripts.wrappers():
        assert f"--- would write {wrapper.path}:\n{wrapper.text}" in out
    assert out.rstrip().endswith("init: --dry-run: 5 file(s), nothing written.")


def test_an_existing_file_is_exit_2_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    repo.write(scripts.wrappers()[1].path, "#!/bin/sh\necho our own\n")
    repo.commit_all("our own heads script")
    before = snapshot(repo)
    code, _, err = run(repo, capsys, *RUNBOOK_INIT)
    assert code == 2
    assert f"{scripts.wrappers()[1].path} exists; nothing was written" in err
    assert "--force" in err
    assert snapshot(repo) == before

    # --force overwrites a committed file ...
    code, _, err = run(repo, capsys, *RUNBOOK_INIT, "--force")
    assert (code, err) == (0, "")
    assert (repo.path / scripts.wrappers()[1].path).read_text() == scripts.wrappers()[1].text

    # ... but never one with uncommitted changes.
    repo.write(CONFIG_FILE, "# my own edits\n")
    before = snapshot(repo)
    code, _, err = run(repo, capsys, *RUNBOOK_INIT, "--force")
    assert code == 2
    assert f"{CONFIG_FILE} has uncommitted changes" in err
    assert snapshot(repo) == before


def test_a_failed_write_removes_what_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file stands where the scripts' folder should be: the temporary files and the
    folders made before the failure are removed again."""
    repo = runbook_layout(tmp_path)
    before = snapshot(repo)
    (repo.path / "scripts").mkdir()
    (repo.path / "scripts" / "ci").write_text("a file where a folder should be\n")
    code, _, err = run(repo, capsys, *RUNBOOK_INIT)
    assert code == 2
    assert "could not write" in err and "nothing was written" in err
    (repo.path / "scripts" / "ci").unlink()
    (repo.path / "scripts").rmdir()
    assert snapshot(repo) == before
    assert not (repo.path / ".github").exists()


PYPROJECT = """\
[project]
name = "monorepo"   # odd spacing, kept
version = "1.0"

[tool.ruff]
line-length = 99
"""


def test_pyproject_gets_the_table_and_keeps_every_other_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    repo.write("pyproject.toml", PYPROJECT)
    repo.commit_all("pyproject")
    code, _, err = run(
        repo, capsys, *RUNBOOK_INIT[:1], "--pyproject", "--name", "backend_v2=raptor"
    )
    assert (code, err) == (0, "")
    text = (repo.path / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT)
    assert "[[tool.migration-guard.chains]]" in text
    assert not (repo.path / CONFIG_FILE).exists()
    expected_root = tmp_path / "expected"
    sample.write_sample_repo(expected_root)
    assert _chains(repo.path) == _chains(expected_root)
    assert load_config(repo.path, WorkTree(repo.path)).source.startswith("pyproject.toml")

    # The table exists: refused without --force; with it, replaced, the rest kept.
    repo.commit_all("configured")
    code, _, err = run(repo, capsys, "init", "--pyproject")
    assert code == 2 and "already has a [tool.migration-guard] table" in err
    tail = "\n[tool.black]\nline-length = 99\n"
    (repo.path / "pyproject.toml").write_text(text + tail)
    repo.commit_all("another table after ours")
    code, _, err = run(repo, capsys, "init", "--pyproject", "--force")
    assert (code, err) == (0, "")
    rewritten = (repo.path / "pyproject.toml").read_text()
    assert rewritten.startswith(PYPROJECT)
    assert tail.strip() in rewritten
    assert set(_chains(repo.path)) == {"backend_v2", "console", "queue"}


def test_names_and_titles_are_overridden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    code, _, err = run(
        repo,
        capsys,
        "init",
        "--name",
        f"{sample.RAPTOR_VERSIONS}/=raptor",
        "--title",
        "raptor=Raptor (backend v2)",
        "--title",
        "queue=Queue jobs",
    )
    assert (code, err) == (0, "")
    chains = _chains(repo.path)
    assert chains["raptor"].title == "Raptor (backend v2)"
    assert chains["queue"].title == "Queue jobs"
    assert chains["console"].title == "Console"

    for bad, message in (
        (("--name", "nowhere=x"), "no chain is named or found at 'nowhere'"),
        (("--name", "console=Not Valid"), "is not a valid chain name"),
        (("--name", "console=queue"), "two chains would be named 'queue'"),
        (("--title", "console"), "is not NAME=TITLE"),
    ):
        code, _, err = run(repo, capsys, "init", "--force", "--dry-run", *bad)
        assert code == 2 and message in err


def test_keep_config_writes_only_the_ci_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    code, _, err = run(repo, capsys, "init", "--keep-config", "--ci", "github")
    assert code == 2 and "no configuration to keep" in err
    sample.write_sample_repo(repo.path)  # the runbook's own migration-guard.toml
    repo.commit_all("configured")
    config = (repo.path / CONFIG_FILE).read_bytes()
    code, _, err = run(repo, capsys, "init", "--ci", "gitlab")
    assert code == 2 and f"{CONFIG_FILE} exists" in err
    code, _, err = run(repo, capsys, "init", "--keep-config", "--name", "console=c")
    assert code == 2 and "--keep-config keeps the configuration" in err
    code, _, err = run(repo, capsys, "init", "--keep-config", "--ci", "gitlab")
    assert (code, err) == (0, "")
    assert (repo.path / CONFIG_FILE).read_bytes() == config
    assert (repo.path / ci.GITLAB_INCLUDE).is_file()
    assert (repo.path / ci.GITLAB_CI).read_text() == ci.gitlab_ci()


def test_gitlab_with_its_own_pipeline_gets_the_include_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = runbook_layout(tmp_path)
    repo.write(ci.GITLAB_CI, "test:\n  script: [make test]\n")
    repo.commit_all("own pipeline")
    code, out, _ = run(repo, capsys, "init", "--ci", "gitlab")
    assert code == 0
    assert (repo.path / ci.GITLAB_CI).read_text() == "test:\n  script: [make test]\n"
    assert f"  include:\n    - local: {ci.GITLAB_INCLUDE}" in out
