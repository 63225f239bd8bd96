from __future__ import annotations

import os
from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard.errors import GitError, InputError
from migration_guard.tree import GitTree, WorkTree
from migration_guard.workspace import Workspace, open_workspace

V = "app/migrations/versions"
CONFIG = f"""\
[[chains]]
name = "app"
title = "App"
kind = "alembic"
path = "{V}"
width = 4
"""


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write("migration-guard.toml", CONFIG)
    repo.write(f"{V}/0001_init.py", "revision = '0001'\ndown_revision = None\n")
    repo.commit_all("first")
    return repo


def test_open_from_a_subfolder_finds_the_top(repo: GitRepo) -> None:
    workspace = open_workspace(repo.path / "app" / "migrations")
    assert workspace.root == repo.path.resolve()
    assert workspace.in_git
    assert isinstance(workspace.tree, WorkTree)
    assert workspace.config.source == "migration-guard.toml"
    assert [c.name for c in workspace.config.chains] == ["app"]
    assert workspace.tree.list_dir(V) == ["0001_init.py"]


def test_open_defaults_to_the_current_folder(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.path / "app")
    assert open_workspace(None).root == repo.path.resolve()


def test_open_a_revision_reads_git_objects(repo: GitRepo) -> None:
    first = repo.git("rev-parse", "HEAD").strip()
    repo.write(f"{V}/0002_next.py", "revision = '0002'\ndown_revision = '0001'\n")
    repo.commit_all("second")
    (repo.path / V / "0003_untracked.py").write_text("x\n")
    workspace = open_workspace(repo.path / "app", rev=first)
    assert isinstance(workspace.tree, GitTree)
    assert workspace.tree.commit == first
    assert workspace.tree.list_dir(V) == ["0001_init.py"]


def test_an_unknown_revision_is_exit_3(repo: GitRepo) -> None:
    with pytest.raises(GitError, match="unknown git revision 'nope'") as info:
        open_workspace(repo.path, rev="nope")
    assert info.value.exit_code == 3


def test_outside_git_the_working_tree_still_works(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    (folder / V).mkdir(parents=True)
    (folder / "migration-guard.toml").write_text(CONFIG)
    (folder / V / "0001_init.py").write_text("revision = '0001'\n")
    workspace = open_workspace(folder)
    assert workspace.root == folder.resolve()
    assert not workspace.in_git
    assert isinstance(workspace.tree, WorkTree)
    assert workspace.tree.read_bytes(f"{V}/0001_init.py") == b"revision = '0001'\n"
    assert [c.path for c in workspace.config.chains] == [V]


def test_outside_git_without_config_discovers_nothing(tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path)
    assert (workspace.config.source, workspace.config.chains) == ("discovered", ())


def test_rev_outside_git_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        open_workspace(tmp_path, rev="HEAD")
    assert info.value.message == (
        f"--rev needs a git repository; {tmp_path.resolve()} is not inside one"
    )
    assert info.value.exit_code == 2


def test_a_missing_folder_or_a_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a directory") as info:
        open_workspace(tmp_path / "missing")
    assert info.value.message == f"{(tmp_path / 'missing').resolve()} is not a directory"
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="is not a directory"):
        open_workspace(tmp_path / "file.txt")


# --- relpath ---------------------------------------------------------------------------------


def workspace_at(root: Path) -> Workspace:
    return open_workspace(root)


def test_relpath_inside_the_repository(repo: GitRepo) -> None:
    ws = workspace_at(repo.path)
    root = repo.path.resolve()
    assert ws.relpath("0001_init.py", cwd=root / V) == f"{V}/0001_init.py"
    assert ws.relpath(f"{V}/0001_init.py", cwd=root) == f"{V}/0001_init.py"
    assert ws.relpath(str(root / V / "0001_init.py")) == f"{V}/0001_init.py"
    assert ws.relpath("../versions/./0002_x.py", cwd=root / V) == f"{V}/0002_x.py"
    assert ws.relpath(".", cwd=root) == ""
    assert ws.relpath(str(root)) == ""
    assert ws.relpath(f"{V}/", cwd=root) == V


def test_relpath_from_the_current_folder(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = workspace_at(repo.path)
    monkeypatch.chdir(repo.path / "app")
    assert ws.relpath("migrations/versions/0001_init.py") == f"{V}/0001_init.py"


def test_relpath_outside_the_repository(repo: GitRepo, tmp_path: Path) -> None:
    ws = workspace_at(repo.path)
    root = repo.path.resolve()
    for user_path, cwd in (("../elsewhere.py", root), (str(tmp_path / "x.py"), root), ("..", root)):
        with pytest.raises(InputError) as info:
            ws.relpath(user_path, cwd=cwd)
        assert info.value.message == f"{user_path} is outside the repository {root}"
        assert info.value.exit_code == 2


def test_relpath_through_a_symlink_to_the_repository(repo: GitRepo, tmp_path: Path) -> None:
    # macOS: /tmp is a symlink to /private/tmp, so a typed path and the resolved root differ.
    link = tmp_path / "link"
    os.symlink(repo.path, link)
    ws = workspace_at(repo.path)
    assert ws.relpath(str(link / V / "0001_init.py")) == f"{V}/0001_init.py"
