"""The working tree as it will look once merged with the base: base-only files shown too.

A PR renumbered onto the base's head points at a parent that only the base has until the
branch is rebased or merged; validating the branch alone would report that parent missing.
This view adds the base's files that the working tree lacks (except those ``hidden``, e.g.
paths a rename moves away), so the checks see the chain as it will be after the merge.
"""

from __future__ import annotations

from collections.abc import Iterable

from migration_guard.tree import FILE_LIMIT, Refusal, Tree


class MergedTree:
    def __init__(
        self, top: Tree, base: Tree, *, folders: Iterable[str], hidden: Iterable[str] = ()
    ) -> None:
        self.top = top
        self.base = base
        self.folders = {f.strip("/") for f in folders}
        self.hidden = set(hidden)
        self.label = f"{top.label} merged with {base.label}"

    def _from_base(self, path: str) -> bool:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        return (
            folder in self.folders
            and path not in self.hidden
            and not self.top.exists(path)
            and self.base.exists(path)
        )

    def exists(self, path: str) -> bool:
        return self.top.exists(path) or self._from_base(path)

    def is_dir(self, path: str) -> bool:
        return self.top.is_dir(path) or (path.strip("/") in self.folders and self.base.is_dir(path))

    def list_dir(self, path: str) -> list[str]:
        return [name for name, _ in self.list_entries(path)]

    def list_entries(self, path: str) -> list[tuple[str, bool]]:
        entries = dict(self.top.list_entries(path))
        folder = path.strip("/")
        if folder in self.folders:
            prefix = f"{folder}/" if folder else ""
            for name, is_dir in self.base.list_entries(path):
                if name not in entries and not is_dir and prefix + name not in self.hidden:
                    entries[name] = is_dir
        return sorted(entries.items())

    def read_bytes(self, path: str) -> bytes:
        return (self.base if self._from_base(path) else self.top).read_bytes(path)

    def read_many(
        self,
        paths: Iterable[str],
        *,
        limit: int = FILE_LIMIT,
        refused: dict[str, Refusal] | None = None,
    ) -> dict[str, bytes]:
        wanted = list(paths)
        from_base = [p for p in wanted if self._from_base(p)]
        result = self.top.read_many(
            [p for p in wanted if p not in set(from_base)], limit=limit, refused=refused
        )
        result.update(self.base.read_many(from_base, limit=limit, refused=refused))
        return result
