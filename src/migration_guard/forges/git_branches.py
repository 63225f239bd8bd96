"""Provider ``git``: the open changes are the branches this clone has fetched. No token, no API.

An open change is every ref below ``refs/remotes/`` (except ``*/HEAD`` and ``<remote>/<base>``),
every ``refs/pull/<n>/head`` (GitHub) and ``refs/merge-requests/<n>/head`` (GitLab) that is not
merged into the base. Refs pointing at the same commit are one change (the number taken from a
``pull/<n>`` ref). A change's files are ``git diff --name-status -M <merge-base> <ref>``.

It stays fast for hundreds of branches by running a fixed number of git processes:

1. ``for-each-ref --no-merged=<base>`` lists the candidates;
2. one ``rev-list --topo-order --parents --boundary <tips> ^<base>`` gives every commit
   that is on some branch but not on the base, and the base commits they grow from; a branch's
   merge base is the single boundary commit it reaches (``git merge-base`` is asked only when
   there are several, after a merge of the base into the branch);
3. one ``diff-tree --stdin -z -M --name-status`` diffs all branches against their merge bases.

Limits (inherent, say so to users): only fetched refs are seen; a ref cannot tell which branch
it targets, so every change counts against every base; a closed-but-unmerged PR whose ref is
still fetched counts as open. Branches with no history in common with the base (e.g.
``gh-pages``) are ignored; in a shallow clone a branch whose merge base is missing makes the
result incomplete (fetch with ``fetch-depth: 0``). Git failures raise ``GitError`` (exit 3).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migration_guard.errors import GitError, UsageError
from migration_guard.forges.base import (
    ChangedFile,
    ChangeStatus,
    CommentResult,
    OpenChange,
    OpenChanges,
)
from migration_guard.git import parse_name_status, run_git

_NUMBERED = re.compile(r"(?:^|/)(?:pull|pr|merge-requests)/(\d+)(?:/head)?$")
_HEX = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_STATUS: dict[str, ChangeStatus] = {
    "A": "added",
    "M": "modified",
    "T": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
}


@dataclass(frozen=True)
class _Tip:
    refs: tuple[str, ...]
    sha: str
    number: int | None


class GitBranchesForge:
    name = "git"
    supports_read_files = True
    supports_comments = False

    def __init__(self, repo_root: Path, *, base_rev: str | None = None) -> None:
        """``base_rev``: the commit/ref to measure "merged" against (default: the remote's
        ``<remote>/<base>``, else the local ``<base>`` branch)."""
        self.repo_root = repo_root
        self.base_rev = base_rev
        self._processes = 0

    def __repr__(self) -> str:
        return f"GitBranchesForge({str(self.repo_root)!r})"

    def _git(self, *args: str, input_bytes: bytes | None = None, check: bool = True) -> bytes:
        self._processes += 1
        proc = run_git(*args, cwd=self.repo_root, input_bytes=input_bytes, check=check)
        return proc.stdout if proc.returncode == 0 else b""

    # -- base ------------------------------------------------------------------------------

    def resolve_base(self, base_ref: str) -> str:
        if self.base_rev:
            found = self._commit(self.base_rev)
        else:
            found = (
                self._commit(f"refs/remotes/origin/{base_ref}")
                or next(filter(None, map(self._commit, self._other_remote_bases(base_ref))), None)
                or self._commit(f"refs/heads/{base_ref}")
                or self._commit(base_ref)
            )
        if found is None:
            raise GitError(
                f"cannot find the base branch {self.base_rev or base_ref!r} in this clone",
                hint=f"Fetch it first: git fetch origin {base_ref}",
            )
        return found

    def _commit(self, rev: str) -> str | None:
        out = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return out.decode().strip() or None

    def _other_remote_bases(self, base_ref: str) -> list[str]:
        out = self._git("for-each-ref", "--format=%(refname)", f"refs/remotes/*/{base_ref}")
        return sorted(line for line in out.decode().splitlines() if line)

    # -- open changes ----------------------------------------------------------------------

    def open_changes(self, base_ref: str) -> OpenChanges:
        self._processes = 0
        base = self.resolve_base(base_ref)
        tips = self._tips(base, base_ref)
        bases, problems = self._merge_bases(base, tips)
        files = self._diffs([(t.sha, bases[t.sha]) for t in tips if t.sha in bases])
        changes = []
        for tip in tips:
            if tip.sha not in bases:
                continue
            changes.append(
                OpenChange(
                    number=tip.number,
                    ref=tip.refs[0],
                    base_ref=base_ref,
                    head_sha=tip.sha,
                    draft=False,
                    files=tuple(files.get(tip.sha, ())),
                    title=", ".join(tip.refs),
                )
            )
        changes.sort(key=lambda c: (c.number is None, c.number or 0, c.ref))
        return OpenChanges(
            self.name, tuple(changes), not problems, tuple(problems), self._processes
        )

    def _tips(self, base: str, base_ref: str) -> list[_Tip]:
        out = self._git(
            "for-each-ref",
            f"--no-merged={base}",
            "--format=%(refname)%00%(objectname)%00%(symref)",
            "refs/remotes",
            "refs/pull",
            "refs/merge-requests",
        )
        by_sha: dict[str, list[tuple[str, int | None]]] = {}
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            name, sha, symref = line.split("\0")
            if symref:
                continue
            if name.startswith("refs/remotes/"):
                short = name[len("refs/remotes/") :]
                remote_branch = short.split("/", 1)[1] if "/" in short else ""
                if remote_branch in ("HEAD", base_ref):
                    continue
            elif name.endswith("/head"):
                short = name[len("refs/") :]
            else:
                continue  # refs/pull/<n>/merge and the like
            match = _NUMBERED.search(short)
            by_sha.setdefault(sha, []).append((short, int(match.group(1)) if match else None))
        tips = []
        for sha, named in by_sha.items():
            numbers = sorted({n for _, n in named if n is not None})
            # Prefer a branch name over pull/<n>/head as the human name.
            refs = sorted((r for r, _ in named), key=lambda r: (_NUMBERED.search(r) is not None, r))
            tips.append(_Tip(tuple(refs), sha, numbers[0] if numbers else None))
        return tips

    def _merge_bases(self, base: str, tips: list[_Tip]) -> tuple[dict[str, str], list[str]]:
        """Merge base of every tip with ``base``; problems for the ones we cannot tell."""
        if not tips:
            return {}, []
        out = self._git(
            "rev-list",
            "--topo-order",
            "--parents",
            "--boundary",
            "--stdin",
            input_bytes=("".join(f"{t.sha}\n" for t in tips) + f"^{base}\n").encode(),
        )
        parents: dict[str, list[str]] = {}
        boundary: set[str] = set()
        order: list[str] = []
        for line in out.decode().splitlines():
            if line.startswith("-"):
                boundary.add(line[1:].split()[0])
                continue
            commit, *ps = line.split()
            parents[commit] = ps
            order.append(commit)
        # Children come before parents in --topo-order: walk backwards so parents are done first.
        reach: dict[str, frozenset[str]] = {}
        empty: frozenset[str] = frozenset()
        for commit in reversed(order):
            sets = [
                frozenset((p,)) if p in boundary else reach.get(p, empty) for p in parents[commit]
            ]
            reach[commit] = sets[0] if len(sets) == 1 else empty.union(*sets)
        bases: dict[str, str] = {}
        problems: list[str] = []
        shallow: bool | None = None
        for tip in tips:
            found = reach.get(tip.sha, empty)
            if len(found) == 1:
                bases[tip.sha] = next(iter(found))
            elif found:
                merge_base = self._git("merge-base", base, tip.sha).decode().strip()
                bases[tip.sha] = merge_base
            else:
                if shallow is None:
                    flag = self._git("rev-parse", "--is-shallow-repository").decode().strip()
                    shallow = flag == "true"
                if shallow:
                    problems.append(
                        f"{tip.refs[0]}: its merge base with the base branch is not in this "
                        "shallow clone (fetch with fetch-depth: 0)"
                    )
                # else: no history in common with the base; cannot be a change into it.
        return bases, problems

    def _diffs(self, pairs: Sequence[tuple[str, str]]) -> dict[str, list[ChangedFile]]:
        if not pairs:
            return {}
        out = self._git(
            "diff-tree",
            "--stdin",
            "-r",
            "-z",
            "-M",
            "--name-status",
            input_bytes="".join(f"{tip} {mb}\n" for tip, mb in pairs).encode(),
        )
        # Each branch's records follow the line naming its tip.
        groups: dict[str, list[str]] = {}
        current: list[str] | None = None
        for field in out.decode("utf-8", "surrogateescape").split("\0"):
            if _HEX.match(field):
                current = groups.setdefault(field, [])
            elif current is not None:
                current.append(field)
            elif field:
                raise GitError("unexpected output from git diff-tree --stdin")
        return {
            tip: [
                ChangedFile(c.path, _STATUS.get(c.status, "modified"), c.old_path)
                for c in parse_name_status(records)
            ]
            for tip, records in groups.items()
        }

    # -- file contents ---------------------------------------------------------------------

    def read_files(self, change: OpenChange, paths: Sequence[str]) -> dict[str, bytes | None]:
        return self.read_files_batch([(change, paths)])[0]

    def read_files_batch(
        self, requests: Sequence[tuple[OpenChange, Sequence[str]]]
    ) -> list[dict[str, bytes | None]]:
        """Every ``rev:path`` of every request through one ``git cat-file --batch``."""
        wanted = [
            (change.head_sha or change.ref, list(dict.fromkeys(paths)))
            for change, paths in requests
        ]
        if any("\n" in p for _, paths in wanted for p in paths):
            raise GitError("cannot read a path containing a newline")
        lines = "".join(f"{rev}:{p}\n" for rev, paths in wanted for p in paths)
        if not lines:
            return [{} for _ in requests]
        out = self._git("cat-file", "--batch", input_bytes=lines.encode("utf-8", "surrogateescape"))
        results: list[dict[str, bytes | None]] = []
        pos = 0
        for _, paths in wanted:
            result: dict[str, bytes | None] = {}
            for path in paths:
                end = out.index(b"\n", pos)
                header = out[pos:end].decode("utf-8", "surrogateescape")
                pos = end + 1
                if header.endswith((" missing", " ambiguous")):
                    result[path] = None
                    continue
                _, kind, size_text = header.rsplit(" ", 2)
                size = int(size_text)
                result[path] = out[pos : pos + size] if kind == "blob" else None
                pos += size + 1
            results.append(result)
        return results

    def upsert_comment(
        self, number: int, marker: str, body: str, *, create: bool = True
    ) -> CommentResult:
        raise UsageError(
            "cannot post a comment with --provider git: plain git has no comments",
            hint="Use --provider github or --provider gitlab with a token to post comments.",
        )
