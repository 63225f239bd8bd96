from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from testing.gitrepo import GitRepo

from migration_guard import git
from migration_guard.errors import GitError
from migration_guard.git import FileChange, TreeEntry

ODD_NAMES = [
    "with space/file name.py",
    "ünïcödé/ファイル.sql",
    "tab\there.txt",
    "new\nline.txt",
    'quote"and\\backslash.txt',
    "-dash-first.txt",
]


def blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.create(tmp_path)


def test_repo_root_outside_a_repository_is_none(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    assert git.repo_root(folder) is None


def test_repo_root_from_a_subfolder(repo: GitRepo) -> None:
    sub = repo.path / "a" / "b"
    sub.mkdir(parents=True)
    assert git.repo_root(sub) == repo.path.resolve()
    assert git.repo_root(repo.path) == repo.path.resolve()


def test_resolve_commit(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    sha = repo.commit_all("first")
    repo.git("tag", "v1")
    assert git.resolve_commit("HEAD", cwd=repo.path) == sha
    assert git.resolve_commit("main", cwd=repo.path) == sha
    assert git.resolve_commit("v1", cwd=repo.path) == sha
    assert git.resolve_commit(sha[:10], cwd=repo.path) == sha


def test_resolve_commit_unknown_is_exit_3_with_a_hint(repo: GitRepo) -> None:
    repo.commit_all("first")
    with pytest.raises(GitError) as info:
        git.resolve_commit("origin/nope", cwd=repo.path)
    assert info.value.message == "unknown git revision 'origin/nope'"
    assert info.value.hint == (
        "Fetch it first (git fetch origin) or name a branch, tag or commit that exists."
    )
    assert info.value.exit_code == 3


def test_resolve_commit_refuses_a_blob(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit_all("first")
    blob = repo.git("rev-parse", "HEAD:a.txt").strip()
    with pytest.raises(GitError, match="unknown git revision"):
        git.resolve_commit(blob, cwd=repo.path)


def test_ls_tree_and_cat_blobs_with_odd_names(repo: GitRepo) -> None:
    contents = {name: f"content of {name}\n".encode() for name in ODD_NAMES}
    for name, data in contents.items():
        (repo.path / name).parent.mkdir(parents=True, exist_ok=True)
        (repo.path / name).write_bytes(data)
    repo.write("empty.txt", "")
    (repo.path / "bin.dat").write_bytes(b"\0\n\xff\nbinary\n\n")
    contents["empty.txt"] = b""
    contents["bin.dat"] = b"\0\n\xff\nbinary\n\n"
    (repo.path / "run.sh").write_text("#!/bin/sh\n")
    (repo.path / "run.sh").chmod(0o755)
    contents["run.sh"] = b"#!/bin/sh\n"
    sha = repo.commit_all("odd names")

    entries = git.ls_tree(sha, cwd=repo.path)
    assert sorted(entries) == sorted(
        TreeEntry(name, "100755" if name == "run.sh" else "100644", "blob", blob_oid(data))
        for name, data in contents.items()
    )
    blobs = git.cat_blobs([e.oid for e in entries], cwd=repo.path)
    assert {e.path: blobs[e.oid] for e in entries} == contents


def test_ls_tree_limited_to_paths_from_a_subfolder(repo: GitRepo) -> None:
    repo.write("a/one.py", "1\n")
    repo.write("a/sub/two.py", "2\n")
    repo.write("b/three.py", "3\n")
    repo.commit_all("three")
    (repo.path / "b").mkdir(exist_ok=True)
    # --full-tree: paths are repository-relative even when run from a subfolder.
    entries = git.ls_tree("HEAD", cwd=repo.path / "b", paths=["a"])
    assert [e.path for e in entries] == ["a/one.py", "a/sub/two.py"]
    assert git.ls_tree("HEAD", cwd=repo.path, paths=["missing"]) == []


def test_cat_blobs_many_at_once(repo: GitRepo) -> None:
    for i in range(400):
        repo.write(f"v/{i:04d}_m.py", f"revision = '{i:04d}'\n" * (i % 7))
    repo.commit_all("many")
    entries = git.ls_tree("HEAD", cwd=repo.path)
    assert len(entries) == 400
    oids = [e.oid for e in entries]
    blobs = git.cat_blobs([*oids, *oids], cwd=repo.path)  # duplicates are read once
    assert len(blobs) == len(set(oids))
    assert blobs[blob_oid(b"revision = '0008'\n")] == b"revision = '0008'\n"
    for entry in entries:
        i = int(entry.path[2:6])
        assert blobs[entry.oid] == f"revision = '{i:04d}'\n".encode() * (i % 7)


def test_cat_blobs_of_nothing_runs_no_git(tmp_path: Path) -> None:
    assert git.cat_blobs([], cwd=tmp_path / "does-not-exist") == {}


def test_cat_blobs_missing_object_is_a_git_error(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit_all("first")
    missing = "0" * 40
    with pytest.raises(GitError, match=re.escape(f"git object {missing} is missing")) as info:
        git.cat_blobs([blob_oid(b"a\n"), missing], cwd=repo.path)
    assert info.value.exit_code == 3


def test_diff_name_status_with_renames(repo: GitRepo) -> None:
    body = "".join(f"line {i}\n" for i in range(20))
    repo.write("v/0001_a.py", body)
    repo.write("v/0002_b.py", "b\n")
    repo.write("v/0003_c.py", "c\n")
    repo.write("other.txt", "o\n")
    before = repo.commit_all("before")
    repo.git("mv", "v/0001_a.py", "v/0005 renamed ü.py")
    repo.write("v/0005 renamed ü.py", body + "one more\n")
    repo.write("v/0002_b.py", "b changed\n")
    (repo.path / "v/0003_c.py").unlink()
    repo.write("v/0004_d.py", "d\n")
    after = repo.commit_all("after")
    assert git.diff_name_status(before, after, cwd=repo.path) == [
        FileChange("M", "v/0002_b.py"),
        FileChange("D", "v/0003_c.py"),
        FileChange("A", "v/0004_d.py"),
        FileChange("R", "v/0005 renamed ü.py", "v/0001_a.py"),
    ]
    assert git.diff_name_status(before, after, cwd=repo.path, paths=["other.txt"]) == []
    assert git.diff_name_status(after, after, cwd=repo.path) == []


def test_merge_base(repo: GitRepo) -> None:
    first = repo.commit_all("first")
    repo.git("switch", "-q", "-c", "side")
    side = repo.commit_all("side")
    repo.git("switch", "-q", "main")
    main = repo.commit_all("main")
    assert git.merge_base(side, main, cwd=repo.path) == first
    assert git.merge_base("side", "main", cwd=repo.path) == first


def test_merge_base_without_common_history_is_a_git_error(repo: GitRepo) -> None:
    repo.commit_all("first")
    repo.git("switch", "-q", "--orphan", "unrelated")
    repo.commit_all("unrelated root")
    with pytest.raises(GitError) as info:
        git.merge_base("main", "unrelated", cwd=repo.path)
    assert info.value.message == "main and unrelated have no common history"
    assert info.value.hint == (
        "fetch the base branch with full history (actions/checkout: fetch-depth: 0)"
    )
    assert info.value.exit_code == 3


def test_a_failed_call_outside_a_repository_is_one_friendly_error(tmp_path: Path) -> None:
    with pytest.raises(GitError) as info:
        git.git_text("log", "--oneline", cwd=tmp_path)
    assert info.value.message.startswith("git log failed: fatal: not a git repository")
    assert info.value.hint == "are you inside a Git repository?"
    assert git.run_git("log", cwd=tmp_path, check=False).returncode == 128


def test_run_git_in_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with pytest.raises(GitError) as info:
        git.run_git("status", cwd=missing)
    # git itself is installed: the message must not send the user to reinstall it.
    assert "not installed" not in info.value.message
    assert str(missing) in info.value.message


def test_git_text_keeps_undecodable_bytes(repo: GitRepo) -> None:
    (repo.path / "v").mkdir()
    (
        repo.path / "v" / "caf\xe9.txt".encode("latin-1").decode("utf-8", "surrogateescape")
    ).write_text("x")
    repo.commit_all("latin-1 name")
    listed = git.git_text("ls-files", "-z", cwd=repo.path).split("\0")
    assert listed[0].encode("utf-8", "surrogateescape") == b"v/caf\xe9.txt"
    (entry,) = git.ls_tree("HEAD", cwd=repo.path)
    assert entry.path.encode("utf-8", "surrogateescape") == b"v/caf\xe9.txt"


def test_git_environment_of_a_hook_does_not_leak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = GitRepo.create(tmp_path, "mine")
    mine.write("mine.txt", "mine\n")
    my_head = mine.commit_all("mine")
    other = GitRepo.create(tmp_path, "other")
    other.write("other.txt", "other\n")
    other_head = other.commit_all("other")
    assert my_head != other_head
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other.path / ".git" / "index"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(other.path / ".git" / "objects"))
    assert git.resolve_commit("HEAD", cwd=mine.path) == my_head
    assert git.git_text("ls-files", cwd=mine.path) == "mine.txt\n"
    assert git.repo_root(mine.path) == mine.path.resolve()
    # Kept on purpose: the test's isolated global config still applies.
    assert git.git_text("config", "user.email", cwd=mine.path) == "test@example.invalid\n"


def test_git_runs_with_the_c_locale_and_no_prompt(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    # GIT_TERMINAL_PROMPT is not in git's own variable list; ask a shell alias to print it.
    out = git.git_text(
        "-c", 'alias.env=!printf \'%s|%s\' "$LC_ALL" "$GIT_TERMINAL_PROMPT"', "env", cwd=repo.path
    )
    assert out == "C|0"


def _git_killed_on(tmp_path: Path, verb: str, *, take_lock: bool = True) -> Path:
    """A folder with a `git` that runs the real one, except that `git VERB` takes the index
    lock and is then killed by SIGXFSZ, as a file-size limit kills a real git mid-write."""
    import shutil

    real = shutil.which("git")
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        + f'for a in "$@"; do if [ "$a" = {verb} ]; then\n'
        + (f'  : > "$({real} rev-parse --git-path index.lock)"\n' if take_lock else "")
        + "  kill -XFSZ $$\n"
        + "fi; done\n"
        + f'exec {real} "$@"\n'
    )
    script.chmod(0o755)
    return folder


def test_a_killed_git_is_named_and_the_lock_it_left_removed(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("a.txt", "a\n")
    repo.commit_all("a")
    monkeypatch.setenv("PATH", f"{_git_killed_on(tmp_path, 'mv')}:{os.environ['PATH']}")
    with pytest.raises(GitError) as caught:
        git.run_git("mv", "a.txt", "b.txt", cwd=repo.path)
    lock = repo.path / ".git" / "index.lock"
    assert caught.value.message == (
        f"git mv a.txt was killed by SIGXFSZ; removed the {lock} it left"
    )
    assert not lock.exists()
    git.run_git("status", cwd=repo.path)  # git works again


def test_a_lock_older_than_the_killed_git_is_named_not_removed(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = repo.path / ".git" / "index.lock"
    lock.write_text("")
    os.utime(lock, (1_000_000_000, 1_000_000_000))
    fake = _git_killed_on(tmp_path, "add", take_lock=False)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    with pytest.raises(GitError) as caught:
        git.run_git("add", "x", cwd=repo.path, check=False)
    assert caught.value.message.startswith("git add x was killed by SIGXFSZ")
    assert caught.value.message.endswith(f"{lock} is left (remove it if no other git is running)")
    assert lock.exists()
