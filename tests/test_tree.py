from __future__ import annotations

import re
from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard.errors import GitError, InputError
from migration_guard.tree import GitTree, WorkTree


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write("a/b/one.py", "one\n")
    repo.write("a/two.txt", "two\n")
    repo.write("top.md", "top\n")
    repo.commit_all("first")
    repo.write("a/b/one.py", "changed in the working tree\n")
    repo.write("a/new.py", "untracked\n")
    return repo


def test_git_tree_reads_the_commit_not_the_working_tree(repo: GitRepo) -> None:
    tree = GitTree(repo.path, "HEAD")
    assert tree.read_bytes("a/b/one.py") == b"one\n"
    assert tree.list_dir("") == ["a", "top.md"]
    assert tree.list_dir("a") == ["b", "two.txt"]
    assert tree.is_dir("a/b") and not tree.is_dir("a/two.txt")
    assert tree.exists("a/two.txt") and not tree.exists("a/new.py")
    assert tree.read_many(["a/two.txt", "./top.md"]) == {"a/two.txt": b"two\n", "top.md": b"top\n"}


def test_work_tree_reads_the_files_on_disk(repo: GitRepo) -> None:
    tree = WorkTree(repo.path)
    assert tree.read_bytes("a/b/one.py") == b"changed in the working tree\n"
    assert tree.list_dir("a") == ["b", "new.py", "two.txt"]
    assert tree.list_dir("missing") == []


def test_missing_files_and_revisions_are_clear_errors(repo: GitRepo) -> None:
    with pytest.raises(InputError, match=re.escape("a/nope.py does not exist at revision HEAD")):
        GitTree(repo.path, "HEAD").read_bytes("a/nope.py")
    with pytest.raises(InputError, match=re.escape("cannot read a/nope.py")):
        WorkTree(repo.path).read_bytes("a/nope.py")
    with pytest.raises(GitError, match=re.escape("unknown git revision 'no-such-branch'")) as info:
        GitTree(repo.path, "no-such-branch")
    assert info.value.exit_code == 3


@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 8193, 16384, 3 * (1 << 20) + 5])
def test_work_tree_reads_whole_files_of_any_size(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    (tmp_path / "f.bin").write_bytes(data)
    tree = WorkTree(tmp_path)
    assert tree.read_bytes("f.bin") == data
    assert tree.read_many(["f.bin", "./f.bin"]) == {"f.bin": data, "./f.bin": data}


def test_work_tree_read_errors_name_the_path_and_reason(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    tree = WorkTree(tmp_path)
    with pytest.raises(InputError, match=re.escape("cannot read folder: Is a directory")):
        tree.read_bytes("folder")
    with pytest.raises(InputError, match=re.escape("cannot read x.py: No such file or directory")):
        tree.read_many(["x.py"])
