"""Read-only views of a repository's files: the working tree, or a git revision.

Chain readers only see this interface, so the same code reads a checkout, ``--rev REF``
and (for ``check``) base and head side by side without checking anything out.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import NamedTuple, Protocol

from migration_guard import git
from migration_guard.errors import InputError

# Bytes read at most from one file. A migration file larger than this is reported (MG128)
# and not read: a 97.5 MB "migration" once cost 15 s and 4 GB. Plans and configuration files
# may be larger, up to FILE_LIMIT; past that a command stops (exit 2).
SCRIPT_LIMIT = 1 << 20
FILE_LIMIT = 64 << 20

TOO_LARGE = "MG128"  # file too large to be a migration
LEAVES_REPOSITORY = "MG129"  # symlink leaves the repository


class Refusal(NamedTuple):
    """Why a file was not read: ``code`` (TOO_LARGE or LEAVES_REPOSITORY) and a reason."""

    code: str
    reason: str


def _size_text(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size} bytes"


def too_large(size: int, limit: int) -> Refusal:
    return Refusal(
        TOO_LARGE,
        f"file too large to be a migration ({_size_text(size)}, more than "
        f"{_size_text(limit)}); not read",
    )


def refusal_error(path: str, refusal: Refusal) -> InputError:
    """The exit-2 error for a file a command needs whole (a plan, a configuration)."""
    if refusal.code == TOO_LARGE:
        return InputError(
            f"{path} is too large to read ({refusal.reason.split('(', 1)[1].split(')')[0]})",
            hint="migration-guard reads plans and configuration files of up to "
            f"{_size_text(FILE_LIMIT)}",
        )
    return InputError(
        f"{path}: {refusal.reason}",
        hint="migration-guard never reads or writes through a link that leaves the repository",
    )


class Tree(Protocol):
    label: str

    def exists(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def list_dir(self, path: str) -> list[str]:
        """Names directly inside folder ``path`` (files and folders), sorted."""
        ...

    def list_entries(self, path: str) -> list[tuple[str, bool]]:
        """``(name, is_folder)`` for everything directly inside ``path``, sorted by name."""
        ...

    def read_bytes(self, path: str) -> bytes: ...

    def read_many(
        self,
        paths: Iterable[str],
        *,
        limit: int = FILE_LIMIT,
        refused: dict[str, Refusal] | None = None,
    ) -> dict[str, bytes]:
        """The bytes of ``paths``. A file larger than ``limit``, or reached through a
        symbolic link that leaves the repository, is not read: it goes into ``refused``
        (and not into the result), or, with no ``refused`` given, raises InputError."""
        ...


def _norm(path: str) -> str:
    if path in ("", "."):
        return ""
    if "//" not in path and "./" not in path and not path.endswith(("/", "/.")):
        return path  # already normal: the common case, kept cheap (thousands of calls)
    p = str(PurePosixPath(path))
    return "" if p in (".", "") else p.strip("/")


_first = itemgetter(0)


class WorkTree:
    """The files on disk under ``root`` (the repository top)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_str = str(root)
        # os.path.join(root, rel) for a relative ``rel``, as a plain concatenation.
        self._root_slash = self._root_str if self._root_str.endswith("/") else self._root_str + "/"
        self.label = "working tree"
        # Folders (repository-relative) whose real path is inside the repository.
        self._folder_ok: set[str] = set()
        self._root_real: str | None = None

    def _abs(self, path: str) -> Path:
        return self.root / _norm(path) if _norm(path) else self.root

    def _os_path(self, path: str) -> str:
        rel = _norm(path)
        if not rel:
            return self._root_str
        return rel if rel[0] == "/" else self._root_slash + rel  # = os.path.join

    def exists(self, path: str) -> bool:
        return self._abs(path).exists()

    def is_dir(self, path: str) -> bool:
        return self._abs(path).is_dir()

    def list_dir(self, path: str) -> list[str]:
        folder = self._abs(path)
        self.check_folder(path)
        if not folder.is_dir():
            return []
        return sorted(child.name for child in folder.iterdir())

    def list_entries(self, path: str) -> list[tuple[str, bool]]:
        self.check_folder(path)
        try:
            with os.scandir(self._os_path(path)) as scan:
                entries = list(scan)
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = [(e.name, e.is_dir()) for e in entries]
        if any(e.is_symlink() for e in entries):
            # A link to a folder outside the repository is no folder here: never listed
            # (Alembic does not descend into linked folders either).
            found = [
                (e.name, is_dir and not (e.is_symlink() and not self._inside_real(e.path)))
                for e, (_, is_dir) in zip(entries, found, strict=True)
            ]
        found.sort(key=_first)  # names are unique: the same order, comparing strings only
        return found

    def read_bytes(self, path: str) -> bytes:
        return WorkTree.read_many(self, [path])[path]

    def read_many(
        self,
        paths: Iterable[str],
        *,
        limit: int = FILE_LIMIT,
        refused: dict[str, Refusal] | None = None,
    ) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        root, root_slash = self._root_str, self._root_slash
        folder_ok = self._folder_ok
        for path in paths:
            rel = _norm(path)  # inlined _os_path: this loop runs for thousands of files
            try:
                folder = rel.rpartition("/")[0]
                if folder not in folder_ok:
                    self._check_folder(folder)
                found[path] = _read_file(
                    root_slash + rel if rel and rel[0] != "/" else (rel or root), limit
                )
            except _Refused as exc:
                if refused is None:
                    raise refusal_error(path, exc.refusal) from None
                refused[path] = exc.refusal
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise InputError(f"cannot read {path}: {exc.strerror}") from exc
                try:  # a symbolic link (O_NOFOLLOW): read it only if it stays inside
                    found[path] = self._read_link(rel, limit)
                except _Refused as refusal:
                    if refused is None:
                        raise refusal_error(path, refusal.refusal) from None
                    refused[path] = refusal.refusal
        return found

    def _real_root(self) -> str:
        if self._root_real is None:
            self._root_real = os.path.realpath(self._root_str)
        return self._root_real

    def _inside(self, real: str) -> bool:
        top = self._real_root()
        return real == top or real.startswith(top.rstrip(os.sep) + os.sep)

    def _inside_real(self, os_path: str) -> bool:
        return self._inside(os.path.realpath(os_path))

    def _check_folder(self, folder: str) -> None:
        """Raise _Refused if ``folder`` (or a folder above it) is a link leaving the
        repository; otherwise remember it as fine."""
        if folder and not self._inside(os.path.realpath(self._os_path(folder))):
            link = self._outside_link(folder)
            raise _Refused(
                Refusal(LEAVES_REPOSITORY, f"symbolic link leaves the repository ({link})")
            )
        self._folder_ok.add(folder)

    def _outside_link(self, rel: str) -> str:
        """``link -> target`` for the first component of ``rel`` that is a link."""
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            here = "/".join(parts[:depth])
            if os.path.islink(self._os_path(here)):
                return f"{here} -> {os.readlink(self._os_path(here))}"
        return rel

    def _read_link(self, rel: str, limit: int) -> bytes:
        real = os.path.realpath(self._os_path(rel))
        if not self._inside(real):
            raise _Refused(
                Refusal(
                    LEAVES_REPOSITORY,
                    f"symbolic link leaves the repository ({self._outside_link(rel)})",
                )
            )
        try:
            return _read_file(real, limit)
        except OSError as exc:
            raise InputError(f"cannot read {rel}: {exc.strerror}") from exc

    def check_folder(self, path: str) -> None:
        """Raise InputError if folder ``path`` is reached through a link that leaves the
        repository (listing it would show what is outside)."""
        folder = _norm(path)
        if folder in self._folder_ok:
            return
        try:
            self._check_folder(folder)
        except _Refused as exc:
            raise refusal_error(folder, exc.refusal) from None


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


_READ_SIZE = 8192  # a first read that holds a whole typical migration file


def _read_file(os_path: str, limit: int = FILE_LIMIT) -> bytes:
    """The file's bytes: ``open(path, "rb").read()`` without the buffered-IO objects, which
    halves the cost for thousands of small files. Reads until end of file, as that does,
    but never more than ``limit`` bytes (raises _Refused: it looks at the size first), and
    never through a symbolic link as the last component (OSError ELOOP)."""
    fd = os.open(os_path, _OPEN_FLAGS)
    try:
        data = os.read(fd, _READ_SIZE)
        if not data:
            return data
        more = os.read(fd, _READ_SIZE)
        if not more:
            return data
        size = os.fstat(fd).st_size
        if size > limit:
            raise _Refused(too_large(size, limit))
        chunks = [data, more]
        total = len(data) + len(more)
        if total > limit:
            raise _Refused(too_large(max(total, size), limit))
        while more:
            more = os.read(fd, min(1 << 20, limit + 1 - total))
            total += len(more)
            if total > limit:  # (it grew, or it is no regular file)
                raise _Refused(too_large(max(total, size), limit))
            chunks.append(more)
        return b"".join(chunks)
    finally:
        os.close(fd)


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


class GitTree:
    """The files of one commit, read from git objects (``ls-tree`` once, ``cat-file --batch``)."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self.commit = git.resolve_commit(rev, cwd=repo)
        self.label = f"revision {rev}"
        self._blobs: dict[str, str] = {}
        self._links: set[str] = set()  # blobs that are symbolic links (mode 120000)
        self._dirs: dict[str, set[str]] = {"": set()}
        for entry in git.ls_tree(self.commit, cwd=repo):
            if entry.kind != "blob":
                continue
            self._blobs[entry.path] = entry.oid
            if entry.mode == "120000":
                self._links.add(entry.path)
            parts = entry.path.split("/")
            for depth in range(len(parts)):
                parent = "/".join(parts[:depth])
                self._dirs.setdefault(parent, set()).add(parts[depth])
        self._cache: dict[str, bytes] = {}
        self._sizes: dict[str, int] = {}

    def exists(self, path: str) -> bool:
        p = _norm(path)
        return p in self._blobs or p in self._dirs

    def is_dir(self, path: str) -> bool:
        return _norm(path) in self._dirs

    def list_dir(self, path: str) -> list[str]:
        return sorted(self._dirs.get(_norm(path), ()))

    def list_entries(self, path: str) -> list[tuple[str, bool]]:
        folder = _norm(path)
        prefix = f"{folder}/" if folder else ""
        return [(name, prefix + name in self._dirs) for name in self.list_dir(folder)]

    def read_bytes(self, path: str) -> bytes:
        return self.read_many([path])[_norm(path)]

    def read_many(
        self,
        paths: Iterable[str],
        *,
        limit: int = FILE_LIMIT,
        refused: dict[str, Refusal] | None = None,
    ) -> dict[str, bytes]:
        normed = [_norm(p) for p in paths]
        missing = [p for p in normed if p not in self._blobs]
        if missing:
            raise InputError(f"{missing[0]} does not exist at {self.label}")
        sources: dict[str, str] = {}  # path -> the path whose blob holds its content
        for p in normed:
            try:
                sources[p] = self._follow(p) if p in self._links else p
            except _Refused as exc:
                if refused is None:
                    raise refusal_error(p, exc.refusal) from None
                refused[p] = exc.refusal
        todo = list(dict.fromkeys(s for s in sources.values() if s not in self._cache))
        unsized = [s for s in todo if s not in self._sizes]
        if unsized:  # sizes first: a file over the limit is never read
            sizes = git.blob_sizes([self._blobs[s] for s in unsized], cwd=self.repo)
            for s in unsized:
                self._sizes[s] = sizes[self._blobs[s]]
        small = [s for s in todo if self._sizes[s] <= limit]
        if small:
            blobs = git.cat_blobs((self._blobs[s] for s in small), cwd=self.repo)
            for s in small:
                self._cache[s] = blobs[self._blobs[s]]
        found: dict[str, bytes] = {}
        for p, s in sources.items():
            size = self._sizes.get(s, len(self._cache.get(s, b"")))
            if size > limit:
                refusal = too_large(size, limit)
                if refused is None:
                    raise refusal_error(p, refusal)
                refused[p] = refusal
            else:
                found[p] = self._cache[s]
        return found

    def _follow(self, path: str) -> str:
        """The file a symbolic link leads to in this tree, as git's checkout would make it;
        _Refused when it leaves the repository (or loops). Links are read as files."""
        seen = {path}
        here = path
        while here in self._links:
            target = git.cat_blobs([self._blobs[here]], cwd=self.repo)[self._blobs[here]]
            text = target.decode("utf-8", "surrogateescape")
            folder = here.rpartition("/")[0]
            joined = text if text.startswith("/") else f"{folder}/{text}" if folder else text
            parts: list[str] = []
            outside = text.startswith("/")
            for part in joined.split("/"):
                if part in ("", "."):
                    continue
                if part == "..":
                    if not parts:
                        outside = True
                        break
                    parts.pop()
                else:
                    parts.append(part)
            if outside:
                raise _Refused(
                    Refusal(
                        LEAVES_REPOSITORY, f"symbolic link leaves the repository ({here} -> {text})"
                    )
                )
            here = "/".join(parts)
            if here in seen or here not in self._blobs:
                raise InputError(f"{path} is a symbolic link to {text}, which {self.label} lacks")
            seen.add(here)
        return here
