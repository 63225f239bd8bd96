from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from testing.gitrepo import GitRepo, git

from migration_guard.errors import GitError, UsageError
from migration_guard.forges.base import ChangedFile
from migration_guard.forges.git_branches import GitBranchesForge


def branch(repo: GitRepo, name: str, files: dict[str, str | None], start: str = "main") -> str:
    repo.git("checkout", "-q", "-b", name, start)
    for path, text in files.items():
        if text is None:
            repo.git("rm", "-q", path)
        else:
            repo.write(path, text)
    sha = repo.commit_all(f"work on {name}")
    repo.git("checkout", "-q", "main")
    return sha


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.write("db/versions/0001_init.py", "revision = '0001'\n")
    repo.write("db/versions/0002_old.py", "revision = '0002'\n")
    repo.write("README", "hello\n")
    repo.commit_all("base")
    repo.push("main")
    return repo


def test_unmerged_remote_branches_and_pull_refs(repo: GitRepo) -> None:
    a = branch(repo, "feat-a", {"db/versions/0003_a.py": "revision = '0003'\n"})
    b = branch(
        repo,
        "feat-b",
        {
            "db/versions/0002_old.py": None,
            "db/versions/0003_new.py": "revision = '0002'\n",
            "README": None,
        },
    )
    c = branch(repo, "feat-c", {"db/versions/0003_c.py": "x\n"})
    branch(repo, "done", {"docs.txt": "merged\n"})
    repo.git("merge", "-q", "--ff-only", "done")
    repo.push("main", "feat-a", "feat-b", "done")
    repo.git("push", "-q", "origin", f"{c}:refs/pull/12/head", f"{a}:refs/pull/13/head")
    repo.git("push", "-q", "origin", f"{a}:refs/pull/13/merge")
    repo.git("fetch", "-q", "origin", "+refs/pull/*:refs/pull/*")
    repo.git("remote", "set-head", "origin", "main")

    result = GitBranchesForge(repo.path).open_changes("main")

    assert result.provider == "git" and result.complete and result.problems == ()
    summary = [(c.number, c.ref, c.head_sha, c.files) for c in result.changes]
    assert summary == [
        (12, "pull/12/head", c, (ChangedFile("db/versions/0003_c.py", "added"),)),
        (13, "origin/feat-a", a, (ChangedFile("db/versions/0003_a.py", "added"),)),
        (
            None,
            "origin/feat-b",
            b,
            (
                ChangedFile("README", "deleted"),
                ChangedFile("db/versions/0003_new.py", "renamed", "db/versions/0002_old.py"),
            ),
        ),
    ]
    assert result.changes[1].title == "origin/feat-a, pull/13/head"
    assert result.requests <= 5


def test_files_are_measured_from_the_merge_base(repo: GitRepo) -> None:
    branch(repo, "feat", {"db/versions/0003_f.py": "f\n"})
    repo.write("db/versions/0003_main.py", "m\n")
    repo.commit_all("main moves on")
    # A branch that merged main into itself has two boundary commits; git decides.
    branch(repo, "merger", {"db/versions/0004_m.py": "m\n"}, start="feat")
    repo.git("checkout", "-q", "merger")
    repo.git("merge", "-q", "--no-edit", "main")
    repo.write("late.txt", "late\n")
    repo.commit_all("after merge")
    repo.git("checkout", "-q", "main")
    repo.push("main", "feat", "merger")
    result = GitBranchesForge(repo.path).open_changes("main")
    files = {c.ref: [f.path for f in c.files] for c in result.changes}
    assert files == {
        "origin/feat": ["db/versions/0003_f.py"],
        "origin/merger": ["db/versions/0003_f.py", "db/versions/0004_m.py", "late.txt"],
    }


def test_other_bases_and_base_resolution(repo: GitRepo) -> None:
    branch(repo, "release", {"r.txt": "r\n"})
    branch(repo, "fix", {"fix.txt": "f\n"}, start="release")
    repo.push("release", "fix")
    result = GitBranchesForge(repo.path).open_changes("release")
    assert [(c.ref, [f.path for f in c.files]) for c in result.changes] == [
        ("origin/fix", ["fix.txt"])
    ]
    # Against main, release and fix are both unmerged (a ref does not know its target).
    refs = [c.ref for c in GitBranchesForge(repo.path).open_changes("main").changes]
    assert refs == ["origin/fix", "origin/release"]
    with pytest.raises(GitError, match="cannot find the base branch 'nope'"):
        GitBranchesForge(repo.path).open_changes("nope")


def test_explicit_base_rev(repo: GitRepo) -> None:
    first = repo.git("rev-parse", "HEAD").strip()
    branch(repo, "feat", {"a.txt": "a\n"})
    repo.write("b.txt", "b\n")
    repo.commit_all("main")
    repo.git("checkout", "-q", "-b", "feat2")
    repo.git("checkout", "-q", "main")
    repo.push("main", "feat", "feat2")
    refs = [c.ref for c in GitBranchesForge(repo.path, base_rev=first).open_changes("main").changes]
    assert refs == ["origin/feat", "origin/feat2"]


def test_orphan_branch_is_ignored(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "--orphan", "gh-pages")
    repo.git("rm", "-q", "-r", "--cached", ".")
    repo.write("index.html", "<p>hi</p>\n")
    repo.git("add", "index.html")
    repo.git("commit", "-q", "-m", "pages")
    repo.git("checkout", "-q", "-f", "main")
    repo.push("gh-pages")
    result = GitBranchesForge(repo.path).open_changes("main")
    assert result.changes == () and result.complete


def test_shallow_clone_is_incomplete(repo: GitRepo, tmp_path: Path) -> None:
    for n in range(3):
        repo.write(f"main{n}.txt", "x\n")
        repo.commit_all(f"main {n}")
    branch(repo, "feat", {"f.txt": "f\n"}, start="main~2")
    repo.push("main", "feat")
    clone = tmp_path / "shallow"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        f"file://{repo.origin}",
        str(clone),
    )
    result = GitBranchesForge(clone).open_changes("main")
    assert not result.complete
    assert result.problems == (
        "origin/feat: its merge base with the base branch is not in this shallow clone "
        "(fetch with fetch-depth: 0)",
    )


def test_read_files(repo: GitRepo) -> None:
    branch(repo, "feat", {"q/sqitch.plan": "%project=q\n01-a 2026-01-01T00:00:00Z a <a@b>\n"})
    repo.push("feat")
    forge = GitBranchesForge(repo.path)
    (change,) = forge.open_changes("main").changes
    got = forge.read_files(change, ["q/sqitch.plan", "q/none.plan", "q", "README"])
    assert got == {
        "q/sqitch.plan": b"%project=q\n01-a 2026-01-01T00:00:00Z a <a@b>\n",
        "q/none.plan": None,
        "q": None,
        "README": b"hello\n",
    }


def test_no_comments(repo: GitRepo) -> None:
    forge = GitBranchesForge(repo.path)
    assert not forge.supports_comments
    with pytest.raises(UsageError, match="plain git has no comments"):
        forge.upsert_comment(1, "m", "b")


def test_two_hundred_branches_are_fast(repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD").strip()
    # fast-import: 200 branches (some two commits deep) in one process.
    stream = []
    for n in range(200):
        stream.append(
            f"commit refs/remotes/origin/agent-{n:03d}\n"
            f"committer T <t@e> 1700000000 +0000\ndata 2\nb\n"
            f"from {base}\n"
            f"M 100644 inline db/versions/{n:04d}_agent.py\ndata 2\nx\n\n"
        )
        if n % 3 == 0:
            stream.append(
                f"commit refs/remotes/origin/agent-{n:03d}\n"
                f"committer T <t@e> 1700000001 +0000\ndata 2\nc\n"
                f"M 100644 inline notes/{n}.md\ndata 2\ny\n\n"
            )
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo.path,
        input="".join(stream).encode(),
        check=True,
    )
    forge = GitBranchesForge(repo.path)
    start = time.perf_counter()
    result = forge.open_changes("main")
    elapsed = time.perf_counter() - start
    assert len(result.changes) == 200 and result.complete
    assert all(
        c.files[0].path == f"db/versions/{i:04d}_agent.py" for i, c in enumerate(result.changes)
    )
    assert sum(len(c.files) for c in result.changes) == 200 + 67
    assert result.requests <= 5  # git processes, whatever the number of branches
    assert elapsed < 2.0
