"""Read-only views of a repository's files: the working tree, or a git revision.

Chain readers only see this interface, so the same code reads a checkout, ``--rev REF``
and (for ``check``) base and head side by side without checking anything out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from migration_guard import git
from migration_guard.errors import InputError


class Tree(Protocol):
    label: str

    def exists(self, path: str) -> bool: ...

    def is_dir(self, path: str) -> bool: ...

    def list_dir(self, path: str) -> list[str]:
        """Names directly inside folder ``path`` (files and folders), sorted."""
        ...

    def read_bytes(self, path: str) -> bytes: ...

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes]: ...


def _norm(path: str) -> str:
    p = str(PurePosixPath(path))
    return "" if p in (".", "") else p.strip("/")


class WorkTree:
    """The files on disk under ``root`` (the repository top)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = "working tree"

    def _abs(self, path: str) -> Path:
        return self.root / _norm(path) if _norm(path) else self.root

    def exists(self, path: str) -> bool:
        return self._abs(path).exists()

    def is_dir(self, path: str) -> bool:
        return self._abs(path).is_dir()

    def list_dir(self, path: str) -> list[str]:
        folder = self._abs(path)
        if not folder.is_dir():
            return []
        return sorted(child.name for child in folder.iterdir())

    def read_bytes(self, path: str) -> bytes:
        try:
            return self._abs(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from exc

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes]:
        return {p: self.read_bytes(p) for p in paths}


class GitTree:
    """The files of one commit, read from git objects (``ls-tree`` once, ``cat-file --batch``)."""

    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self.commit = git.resolve_commit(rev, cwd=repo)
        self.label = f"revision {rev}"
        self._blobs: dict[str, str] = {}
        self._dirs: dict[str, set[str]] = {"": set()}
        for entry in git.ls_tree(self.commit, cwd=repo):
            if entry.kind != "blob":
                continue
            self._blobs[entry.path] = entry.oid
            parts = entry.path.split("/")
            for depth in range(len(parts)):
                parent = "/".join(parts[:depth])
                self._dirs.setdefault(parent, set()).add(parts[depth])
        self._cache: dict[str, bytes] = {}

    def exists(self, path: str) -> bool:
        p = _norm(path)
        return p in self._blobs or p in self._dirs

    def is_dir(self, path: str) -> bool:
        return _norm(path) in self._dirs

    def list_dir(self, path: str) -> list[str]:
        return sorted(self._dirs.get(_norm(path), ()))

    def read_bytes(self, path: str) -> bytes:
        return self.read_many([path])[_norm(path)]

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes]:
        normed = [_norm(p) for p in paths]
        missing = [p for p in normed if p not in self._blobs]
        if missing:
            raise InputError(f"{missing[0]} does not exist at {self.label}")
        todo = [p for p in normed if p not in self._cache]
        if todo:
            blobs = git.cat_blobs((self._blobs[p] for p in todo), cwd=self.repo)
            for p in todo:
                self._cache[p] = blobs[self._blobs[p]]
        return {p: self._cache[p] for p in normed}
