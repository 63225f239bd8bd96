from __future__ import annotations

import pytest
from testing.gitrepo import GitRepo

from migration_guard.merged_tree import MergedTree
from migration_guard.tree import GitTree, WorkTree

V = "app/versions"


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """main gained 0002_base.py, other/base_only.py and new/x.py after ``feature`` branched;
    ``feature`` renamed 0001_old.py away and edited shared.py in its working tree."""
    repo = GitRepo.create(tmp_path_factory.mktemp("merged"))
    repo.write(f"{V}/0001_old.py", "old\n")
    repo.write(f"{V}/shared.py", "base version\n")
    repo.write("other/keep.py", "keep\n")
    repo.commit_all("start")
    repo.git("branch", "feature")
    repo.write(f"{V}/0002_base.py", "from base\n")
    repo.write(f"{V}/sub/deep.py", "base subfolder\n")
    repo.write("other/base_only.py", "base only\n")
    repo.write("new/x.py", "base-only folder\n")
    repo.commit_all("main moves on")
    repo.git("switch", "-q", "feature")
    repo.git("mv", f"{V}/0001_old.py", f"{V}/0001_renamed.py")
    repo.write(f"{V}/0002_mine.py", "mine\n")
    repo.write(f"{V}/shared.py", "working tree version\n")
    return repo


def merged(
    repo: GitRepo, *, folders: tuple[str, ...] = (V,), hidden: tuple[str, ...] = ()
) -> MergedTree:
    return MergedTree(
        WorkTree(repo.path), GitTree(repo.path, "main"), folders=folders, hidden=hidden
    )


def test_base_only_files_show_in_the_listed_folders_only(repo: GitRepo) -> None:
    tree = merged(repo)
    assert tree.label == "working tree merged with revision main"
    assert tree.list_dir(V) == [
        "0001_old.py",
        "0001_renamed.py",
        "0002_base.py",
        "0002_mine.py",
        "shared.py",
    ]
    assert tree.exists(f"{V}/0002_base.py")
    assert tree.list_dir("other") == ["keep.py"]
    assert not tree.exists("other/base_only.py")
    assert not tree.exists("new/x.py") and not tree.is_dir("new")


def test_base_subfolders_are_not_added(repo: GitRepo) -> None:
    tree = merged(repo)
    assert tree.list_entries(V) == [
        ("0001_old.py", False),
        ("0001_renamed.py", False),
        ("0002_base.py", False),
        ("0002_mine.py", False),
        ("shared.py", False),
    ]
    assert not tree.exists(f"{V}/sub/deep.py")


def test_hidden_paths_stay_hidden(repo: GitRepo) -> None:
    tree = merged(repo, hidden=(f"{V}/0001_old.py",))
    assert not tree.exists(f"{V}/0001_old.py")
    assert "0001_old.py" not in tree.list_dir(V)
    assert tree.list_dir(V) == ["0001_renamed.py", "0002_base.py", "0002_mine.py", "shared.py"]


def test_reads_come_from_the_right_side(repo: GitRepo) -> None:
    tree = merged(repo)
    assert tree.read_bytes(f"{V}/0002_base.py") == b"from base\n"
    assert tree.read_bytes(f"{V}/shared.py") == b"working tree version\n"
    assert tree.read_bytes(f"{V}/0002_mine.py") == b"mine\n"
    assert tree.read_many([f"{V}/shared.py", f"{V}/0002_base.py", f"{V}/0001_renamed.py"]) == {
        f"{V}/shared.py": b"working tree version\n",
        f"{V}/0002_base.py": b"from base\n",
        f"{V}/0001_renamed.py": b"old\n",
    }


def test_a_folder_only_the_base_has(repo: GitRepo) -> None:
    tree = merged(repo, folders=("new/",))
    assert tree.folders == {"new"}
    assert tree.is_dir("new") and tree.exists("new/x.py")
    assert tree.list_dir("new") == ["x.py"]
    assert tree.read_bytes("new/x.py") == b"base-only folder\n"
    assert tree.list_dir(V) == ["0001_renamed.py", "0002_mine.py", "shared.py"]


def test_the_top_folder(repo: GitRepo) -> None:
    repo.git("switch", "-q", "main")
    repo.write("top.txt", "top\n")
    repo.commit_all("top file")
    repo.git("switch", "-q", "feature")
    tree = merged(repo, folders=("",))
    assert tree.exists("top.txt") and tree.read_bytes("top.txt") == b"top\n"
    assert tree.list_dir("") == [".git", "app", "other", "top.txt"]
