"""The one place that runs git. Every call goes through ``run_git``."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from migration_guard.errors import GitError

# Variables a git hook or a parent git process may set; they would point our calls elsewhere.
_GIT_ENV_KEEP = {
    "GIT_EXEC_PATH",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSL_CAINFO",
    "GIT_SSL_NO_VERIFY",
    "GIT_ASKPASS",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _GIT_ENV_KEEP}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run_git(
    *args: str, cwd: Path, input_bytes: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    if not cwd.is_dir():
        raise GitError(f"cannot run git in {cwd}: no such folder")
    started = time.time()
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input_bytes,
            capture_output=True,
            env=_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    except NotADirectoryError as exc:
        raise GitError(f"not a directory: {cwd}") from exc
    if proc.returncode < 0:
        raise GitError(_killed(args, cwd, -proc.returncode, started))
    if check and proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        shown = [a for a in args if not a.startswith("-")][:2]
        raise GitError(
            f"git {' '.join(shown)} failed: {stderr or f'exit {proc.returncode}'}",
            hint="are you inside a Git repository?" if "not a git repository" in stderr else None,
        )
    return proc


def _killed(args: Sequence[str], cwd: Path, signum: int, started: float) -> str:
    """What to say when a signal (a file-size or memory limit, the OOM killer) killed git.
    A killed git leaves its ``index.lock``, which blocks every later git command: one that
    appeared during this call is ours to remove; an older one is only named."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    shown = " ".join([a for a in args if not a.startswith("-")][:2])
    message = f"git {shown} was killed by {name}"
    # Not run_git: a git killed again (the same limit) must not recurse into this function.
    proc = subprocess.run(
        ["git", "rev-parse", "--git-path", "index.lock"],
        cwd=cwd,
        capture_output=True,
        env=_env(),
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        return message
    lock = Path(proc.stdout.decode("utf-8", "surrogateescape").strip())
    lock = lock if lock.is_absolute() else cwd / lock
    try:
        made = lock.stat().st_mtime
    except OSError:
        return message
    if made >= started - 1:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        return f"{message}; removed the {lock} it left"
    return f"{message}; {lock} is left (remove it if no other git is running)"


def git_text(*args: str, cwd: Path) -> str:
    return run_git(*args, cwd=cwd).stdout.decode("utf-8", "surrogateescape")


def repo_root(cwd: Path) -> Path | None:
    """The top of the work tree containing ``cwd``, or None outside a repository."""
    proc = run_git("rev-parse", "--show-toplevel", cwd=cwd, check=False)
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip())


def resolve_commit(rev: str, *, cwd: Path) -> str:
    proc = run_git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=cwd, check=False)
    if proc.returncode != 0:
        raise GitError(
            f"unknown git revision {rev!r}",
            hint="Fetch it first (git fetch origin) or name a branch, tag or commit that exists.",
        )
    return proc.stdout.decode().strip()


class TreeEntry(NamedTuple):
    path: str
    mode: str
    kind: str
    oid: str


def ls_tree(rev: str, *, cwd: Path, paths: Sequence[str] = ()) -> list[TreeEntry]:
    """Every blob below ``paths`` (whole tree when empty) at ``rev``, recursively."""
    args = ["ls-tree", "-r", "-z", "--full-tree", rev]
    if paths:
        args += ["--", *paths]
    out = run_git(*args, cwd=cwd).stdout
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        entries.append(TreeEntry(path.decode("utf-8", "surrogateescape"), mode, kind, oid))
    return entries


def cat_blobs(oids: Iterable[str], *, cwd: Path) -> dict[str, bytes]:
    """Read many blobs with one ``git cat-file --batch`` process."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = run_git("cat-file", "--batch", cwd=cwd, input_bytes="\n".join(wanted).encode() + b"\n")
    data = out.stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in wanted:
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].decode()
        if header.endswith(" missing"):
            raise GitError(f"git object {oid} is missing from the repository")
        size = int(header.rsplit(" ", 1)[1])
        start = header_end + 1
        blobs[oid] = data[start : start + size]
        pos = start + size + 1
    return blobs


def blob_sizes(oids: Iterable[str], *, cwd: Path) -> dict[str, int]:
    """The size of each blob, from ``git cat-file --batch-check`` (reads no contents)."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = run_git(
        "cat-file", "--batch-check", cwd=cwd, input_bytes="\n".join(wanted).encode() + b"\n"
    ).stdout.decode()
    sizes: dict[str, int] = {}
    for oid, line in zip(wanted, out.splitlines(), strict=False):
        if line.endswith(" missing"):
            raise GitError(f"git object {oid} is missing from the repository")
        sizes[oid] = int(line.rsplit(" ", 1)[1])
    if len(sizes) != len(wanted):
        raise GitError("git cat-file --batch-check answered fewer objects than asked")
    return sizes


def merge_base(a: str, b: str, *, cwd: Path) -> str:
    proc = run_git("merge-base", a, b, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise GitError(
            f"{a} and {b} have no common history",
            hint="fetch the base branch with full history (actions/checkout: fetch-depth: 0)",
        )
    return proc.stdout.decode().strip()


class FileChange(NamedTuple):
    status: str  # git's letter: A added, M modified, D deleted, R renamed, C copied, T type
    path: str
    old_path: str | None = None


def diff_name_status(
    a: str, b: str | None, *, cwd: Path, paths: Sequence[str] = ()
) -> list[FileChange]:
    """Files changed from commit ``a`` to commit ``b`` (renames detected); with ``b`` None,
    to the working tree (tracked files, staged or not)."""
    args = ["diff", "--name-status", "-z", "-M", "--no-ext-diff", a, *([b] if b else [])]
    if paths:
        args += ["--", *paths]
    fields = run_git(*args, cwd=cwd).stdout.decode("utf-8", "surrogateescape").split("\0")
    return parse_name_status(fields)


def parse_name_status(fields: Sequence[str]) -> list[FileChange]:
    """The records of ``--name-status -z`` output split on NUL (empty fields skipped):
    a status, then one path, or the old and the new path for renames and copies."""
    items = [f for f in fields if f.strip("\n")]
    changes = []
    i = 0
    while i < len(items):
        status = items[i].strip("\n")[0]
        if status in "RC":
            changes.append(FileChange(status, items[i + 2], items[i + 1]))
            i += 3
        else:
            changes.append(FileChange(status, items[i + 1]))
            i += 2
    return changes


def commit_exists(rev: str, *, cwd: Path) -> bool:
    """Whether ``rev`` names a commit here (a fetched branch, a sha...)."""
    proc = run_git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=cwd, check=False)
    return proc.returncode == 0


def current_branch(*, cwd: Path) -> str | None:
    """The checked-out branch's short name, or None on a detached HEAD."""
    name = git_text("rev-parse", "--abbrev-ref", "HEAD", cwd=cwd).strip()
    return None if name in ("HEAD", "") else name


def first_added(tip: str, base: str, path: str, *, cwd: Path) -> int | None:
    """When ``tip``'s history first added (or renamed into) ``path`` since ``base``: the
    author time of that commit (kept by a rebase, unlike the committer time), or None."""
    out = git_text(
        "log", "--reverse", "--format=%at", "--diff-filter=AR", tip, f"^{base}", "--", path, cwd=cwd
    ).split()
    return int(out[0]) if out else None


def dirty_paths(root: Path, paths: Sequence[str]) -> list[str]:
    """Which of ``paths`` (files or folders) have staged or unstaged changes, or are
    untracked: repository-relative paths of the changed files."""
    if not paths:
        return []
    out = run_git(
        "status", "--porcelain", "-z", "--untracked-files=all", "--", *paths, cwd=root
    ).stdout.decode("utf-8", "surrogateescape")
    dirty = []
    records = out.split("\0")
    i = 0
    while i < len(records):
        record = records[i]
        if len(record) > 3 and record[:2] != "  ":
            dirty.append(record[3:])
            if record[0] in "RC":
                i += 1  # the rename's source follows as its own field
        i += 1
    return dirty


def commits_with_trailer(base: str, head: str, trailer: str, *, cwd: Path) -> dict[str, list[str]]:
    """Commits in ``base..head`` whose message carries the ``trailer`` line (e.g.
    ``Migration-Guard: recover``), with the files each one touched (both sides of a rename)."""
    out = git_text(
        "log", "-M", "--format=%x01%H%x00%B%x00", "--name-status", "-z", f"{base}..{head}", cwd=cwd
    )
    found: dict[str, list[str]] = {}
    for record in out.split("\x01")[1:]:
        sha, message, rest = record.split("\0", 2)
        if any(line.strip() == trailer for line in message.splitlines()):
            changes = parse_name_status(rest.split("\0"))
            found[sha] = [p for c in changes for p in (c.old_path, c.path) if p]
    return found


class Landed(NamedTuple):
    """A first-parent commit and the files it added (or renamed into place)."""

    commit: str
    timestamp: int
    message: str
    files: list[str]


def first_parent_additions(rev: str, paths: Sequence[str], *, cwd: Path) -> list[Landed]:
    """The first-parent commits of ``rev`` that added files under ``paths``, newest first (a
    merge counts as the commit that brought its branch's files in)."""
    out = run_git(
        "log",
        "--first-parent",
        "-m",
        "-M",
        "--diff-filter=AR",
        "--name-status",
        "-z",
        "--format=%x01%H%x00%ct%x00%B%x00",
        rev,
        "--",
        *paths,
        cwd=cwd,
    ).stdout.decode("utf-8", "surrogateescape")
    landed = []
    for record in out.split("\x01")[1:]:
        fields = record.split("\0")
        files = [change.path for change in parse_name_status(fields[3:])]
        landed.append(Landed(fields[0], int(fields[1]), fields[2], files))
    return landed


class BlamedLines(NamedTuple):
    """``git blame --first-parent`` of one file: each line's commit, and each commit's
    committer time and subject."""

    commit_of_line: dict[int, str]
    commits: dict[str, tuple[int, str]]


def first_parent_blame(rev: str, path: str, *, cwd: Path) -> BlamedLines:
    out = run_git("blame", "--first-parent", "--porcelain", rev, "--", path, cwd=cwd).stdout.decode(
        "utf-8", "surrogateescape"
    )
    line_commit: dict[int, str] = {}
    info: dict[str, tuple[int, str]] = {}
    current = ""
    stamp, summary = 0, ""
    for line in out.split("\n"):
        parts = line.split(" ")
        if (
            len(parts) >= 3
            and len(parts[0]) == 40
            and all(c in "0123456789abcdef" for c in parts[0])
        ):
            current = parts[0]
            line_commit[int(parts[2])] = current
        elif line.startswith("committer-time "):
            stamp = int(line.split(" ", 1)[1])
        elif line.startswith("summary "):
            summary = line.split(" ", 1)[1]
            info[current] = (stamp, summary)
    return BlamedLines(line_commit, info)


def first_parent_order(rev: str, *, cwd: Path) -> dict[str, int]:
    """Each first-parent commit of ``rev`` and its position, oldest 0."""
    commits = git_text("rev-list", "--first-parent", "--reverse", rev, cwd=cwd).split()
    return {commit: i for i, commit in enumerate(commits)}


def commit_message(commit: str, *, cwd: Path) -> str:
    return git_text("log", "-1", "--format=%B", commit, cwd=cwd)


def new_branch_name(name: str, *, cwd: Path) -> str | None:
    """``name`` as git reads it for a new branch (``git check-ref-format --branch``), or None
    when git refuses it."""
    proc = run_git("check-ref-format", "--branch", name, cwd=cwd, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "surrogateescape").strip() or name


def fetch_ref(ref: str, *, cwd: Path, remote: str = "origin") -> bool:
    """Fetch one ref (no tags) from ``remote``; whether git succeeded."""
    proc = run_git("fetch", "-q", "--no-tags", remote, ref, cwd=cwd, check=False)
    return proc.returncode == 0


# --- the steps of an all-or-nothing write (apply.py) ------------------------------------------


def head_commit(*, cwd: Path) -> str:
    return git_text("rev-parse", "HEAD", cwd=cwd).strip()


def branch_exists(name: str, *, cwd: Path) -> bool:
    proc = run_git("rev-parse", "--verify", "--quiet", f"refs/heads/{name}", cwd=cwd, check=False)
    return proc.returncode == 0


def index_entries(paths: Sequence[str], *, cwd: Path) -> str:
    """``git ls-files -s -z`` of ``paths``: what ``restore_index_entries`` puts back."""
    return git_text("ls-files", "-s", "-z", "--", *paths, cwd=cwd) if paths else ""


def restore_index_entries(paths: Sequence[str], entries: str, *, cwd: Path) -> None:
    """Put the index entries of ``paths`` back exactly as ``index_entries`` showed them."""
    run_git("update-index", "--force-remove", "--", *paths, cwd=cwd)
    if entries:
        data = entries.encode("utf-8", "surrogateescape")
        run_git("update-index", "-z", "--index-info", cwd=cwd, input_bytes=data)


def move(old: str, new: str, *, cwd: Path) -> None:
    """``git mv -k``: the file and its index entry."""
    run_git("mv", "-k", "--", old, new, cwd=cwd)


def create_branch(name: str, *, cwd: Path) -> None:
    """Create branch ``name`` at HEAD and check it out (the working tree is kept)."""
    run_git("checkout", "-q", "-b", name, cwd=cwd)


def commit_paths(message: str, added: Sequence[str], touched: Sequence[str], *, cwd: Path) -> None:
    """Stage ``added`` and commit ``touched`` (deleted ones included) with ``message``."""
    run_git("add", "--", *added, cwd=cwd)
    run_git("commit", "-q", "-m", message, "--", *touched, cwd=cwd)


def reset_soft(commit: str, *, cwd: Path) -> None:
    run_git("reset", "-q", "--soft", commit, cwd=cwd)


def checkout_quietly(ref: str, *, cwd: Path) -> None:
    """Check out ``ref`` if git can (undo steps go on whatever happens)."""
    run_git("checkout", "-q", ref, cwd=cwd, check=False)


def delete_branch(name: str, *, cwd: Path) -> None:
    run_git("branch", "-q", "-D", name, cwd=cwd, check=False)


def git_path(name: str, *, cwd: Path) -> Path:
    """``git rev-parse --git-path NAME``: a file of the repository's own (in .git)."""
    return Path(git_text("rev-parse", "--git-path", name, cwd=cwd).strip())


# --- reservations: refs on a remote (services/reservations.py) --------------------------------


def config_value(key: str, *, cwd: Path) -> str | None:
    """``git config --get KEY``, or None when unset."""
    proc = run_git("config", "--get", key, cwd=cwd, check=False)
    value = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return value if proc.returncode == 0 and value else None


def remote_known(remote: str, *, cwd: Path) -> bool:
    """Whether ``remote`` is a configured remote's name, or a URL or path git can push to."""
    if "/" in remote or ":" in remote:
        return True
    return config_value(f"remote.{remote}.url", cwd=cwd) is not None


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    useful = [line.removeprefix("fatal: ").removeprefix("error: ") for line in lines]
    return "; ".join(line for line in useful if line) or f"exit {proc.returncode}"


def fetch_namespace(remote: str, source: str, destination: str, *, cwd: Path) -> None:
    """Mirror the remote's refs below ``source`` (``refs/x/``) into ``destination`` here,
    removing those the remote no longer has: one ``git fetch`` (ref names and the objects
    they point at, nothing else; no FETCH_HEAD, no tags)."""
    for attempt in range(3):
        proc = run_git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--prune",
            "--no-write-fetch-head",
            remote,
            f"+{source}*:{destination}*",
            cwd=cwd,
            check=False,
        )
        # Another process of this clone updating the same local refs holds their locks.
        if proc.returncode == 0 or b"lock" not in proc.stderr:
            break
        time.sleep(0.2 * (attempt + 1))
    if proc.returncode != 0:
        raise GitError(f"could not read {source}* from {remote}: {_stderr(proc)}")


class RefMessage(NamedTuple):
    ref: str
    oid: str
    committed: int | None
    message: str


def refs_with_messages(prefix: str, *, cwd: Path) -> list[RefMessage]:
    """Every local ref below ``prefix`` with its commit's committer time and message."""
    out = git_text(
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(contents)%01",
        prefix,
        cwd=cwd,
    )
    found = []
    for record in out.split("\x01"):
        fields = record.lstrip("\n").split("\0", 3)
        if len(fields) != 4:
            continue
        ref, oid, committed, message = fields
        found.append(RefMessage(ref, oid, int(committed) if committed.isdigit() else None, message))
    return found


def empty_tree(*, cwd: Path) -> str:
    """The empty tree's id (written to the object store, as ``git mktree < /dev/null``)."""
    return run_git("mktree", cwd=cwd, input_bytes=b"").stdout.decode().strip()


def commit_tree(tree: str, message: str, *, name: str, email: str, cwd: Path) -> str:
    """A new parentless commit of ``tree`` with ``message``, by ``name <email>``."""
    return (
        run_git(
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit-tree",
            tree,
            "-F",
            "-",
            cwd=cwd,
            input_bytes=message.encode("utf-8"),
        )
        .stdout.decode()
        .strip()
    )


class PushResult(NamedTuple):
    """How a one-ref push ended: ``ok``, ``rejected`` (by the client's lease or the remote:
    ``reason`` says which), or ``failed`` (git could not push at all)."""

    status: str
    reason: str


def _push(remote: str, refspec: str, lease: str, *, cwd: Path) -> PushResult:
    proc = run_git(
        "push", "--porcelain", f"--force-with-lease={lease}", remote, refspec, cwd=cwd, check=False
    )
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or len(parts[0]) != 1:
            continue
        flag, summary = parts[0], parts[2]
        if flag in "*+- =" and proc.returncode == 0:
            return PushResult("ok", summary)
        if flag == "!":
            # "[remote rejected] (pre-receive hook declined)" -> "pre-receive hook declined",
            # with what the remote said (a hook's message).
            reason = re.sub(r"^\[[^]]*\]\s*", "", summary).strip("() ") or summary
            said = [
                line.removeprefix("remote:").strip()
                for line in proc.stderr.decode("utf-8", "replace").splitlines()
                if line.startswith("remote:") and line.removeprefix("remote:").strip()
            ]
            if said:
                reason += f"; the remote said: {' '.join(said)}"
            return PushResult("rejected", reason)
    if proc.returncode == 0:
        return PushResult("ok", "")
    return PushResult("failed", _stderr(proc))


def push_create(remote: str, commit: str, ref: str, *, cwd: Path) -> PushResult:
    """Create ``ref`` on ``remote`` at ``commit`` only if it does not exist (a lease whose
    expected value is empty): the loser of a race is rejected."""
    return _push(remote, f"{commit}:{ref}", f"{ref}:", cwd=cwd)


def push_delete(remote: str, ref: str, expected: str, *, cwd: Path) -> PushResult:
    """Delete ``ref`` on ``remote`` only while it still points at ``expected``."""
    return _push(remote, f":{ref}", f"{ref}:{expected}", cwd=cwd)


def remote_ref(remote: str, ref: str, *, cwd: Path) -> str | None:
    """What ``ref`` points at on ``remote`` now (None: it does not exist)."""
    proc = run_git("ls-remote", remote, ref, cwd=cwd, check=False)
    if proc.returncode != 0:
        raise GitError(f"could not read {ref} from {remote}: {_stderr(proc)}")
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        oid, _, name = line.partition("\t")
        if name == ref:
            return oid
    return None


# --- check --fix: commit, push, undo ----------------------------------------------------------

_FALLBACK_IDENTITY = ("migration-guard", "migration-guard@users.noreply.github.com")


def commit_files(message: str, paths: Sequence[str], *, cwd: Path) -> str:
    """Commit exactly ``paths`` (as they are in the working tree, deleted ones included) and
    return the new commit. Without a configured identity (a CI runner) the commit is made
    as ``migration-guard``."""
    identity: list[str] = []
    configured = run_git("config", "user.email", cwd=cwd, check=False)
    if configured.returncode != 0 or not configured.stdout.strip():
        name, email = _FALLBACK_IDENTITY
        identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    existing = [p for p in paths if (cwd / p).exists()]
    if existing:
        run_git("add", "--", *existing, cwd=cwd)
    proc = run_git(
        *identity,
        "commit",
        "-q",
        "-F",
        "-",
        "--",
        *paths,
        cwd=cwd,
        input_bytes=message.encode(),
        check=False,
    )
    if proc.returncode != 0:
        said = (proc.stderr + proc.stdout).decode("utf-8", "replace").strip()
        raise GitError(f"git commit failed: {said or f'exit {proc.returncode}'}")
    return head_commit(cwd=cwd)


def upstream(branch: str, *, cwd: Path) -> tuple[str, str] | None:
    """The remote and the remote ref (``refs/heads/x``) that ``branch`` tracks, or None."""
    remote = run_git("config", f"branch.{branch}.remote", cwd=cwd, check=False)
    merge = run_git("config", f"branch.{branch}.merge", cwd=cwd, check=False)
    if remote.returncode != 0 or merge.returncode != 0:
        return None
    name = remote.stdout.decode("utf-8", "surrogateescape").strip()
    ref = merge.stdout.decode("utf-8", "surrogateescape").strip()
    if not name or not ref or name == ".":
        return None
    return name, ref


def push(remote: str, refspec: str, *, cwd: Path) -> str | None:
    """``git push REMOTE REFSPEC`` with whatever credentials the clone has; None on success,
    else git's message (rejected, no permission, unreachable)."""
    proc = run_git("push", "-q", "--porcelain", remote, refspec, cwd=cwd, check=False)
    if proc.returncode == 0:
        return None
    said = []
    for line in (proc.stderr + proc.stdout).decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("!"):  # --porcelain: "!<TAB>from:to<TAB>[rejected] (why)"
            said.append(line.rsplit("\t", 1)[-1])
        elif line.startswith("remote:") and line.removeprefix("remote:").strip():
            said.append(line.removeprefix("remote:").strip())
        elif line.startswith(("fatal:", "error:")) and "failed to push some refs" not in line:
            said.append(line.split(":", 1)[1].strip())
    return (
        "; ".join(dict.fromkeys(s.rstrip(".") for s in said))
        or f"git push exited {proc.returncode}"
    )


def reset_keep(commit: str, *, cwd: Path) -> None:
    """``git reset --keep``: back to ``commit``, restoring the files the commits since touched
    and keeping every other uncommitted change."""
    run_git("reset", "-q", "--keep", commit, cwd=cwd)


def restore_paths(paths: Sequence[str], *, cwd: Path) -> None:
    """Put ``paths`` back as HEAD has them (index and files); one HEAD lacks is removed."""
    if not paths:
        return
    run_git("reset", "-q", "HEAD", "--", *paths, cwd=cwd, check=False)
    known = {e.path for e in ls_tree("HEAD", cwd=cwd, paths=paths)}
    if known:
        run_git("checkout", "HEAD", "--", *sorted(known), cwd=cwd)
    for path in paths:
        if path not in known:
            (cwd / path).unlink(missing_ok=True)
