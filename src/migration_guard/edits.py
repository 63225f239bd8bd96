"""A planned change to the working tree: file edits and renames. Pure data, no I/O.

Writers (renumber, recover) first *plan* every edit, show it (``--dry-run`` prints
``unified_diff``), and only then apply it all-or-nothing (``apply.py``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class FileEdit:
    """Replace the whole text of ``path`` (its path *before* any rename). With ``create``,
    ``path`` is a new file (``old_text`` is "") that must not exist yet."""

    path: str
    old_text: str
    new_text: str
    reason: str = ""
    create: bool = False

    @staticmethod
    def new_file(path: str, text: str, reason: str = "") -> FileEdit:
        """The edit that creates ``path`` with ``text``."""
        return FileEdit(path, "", text, reason, create=True)


@dataclass(frozen=True)
class Rename:
    old_path: str
    new_path: str


@dataclass(frozen=True)
class EditPlan:
    edits: tuple[FileEdit, ...] = ()
    renames: tuple[Rename, ...] = ()
    notes: tuple[str, ...] = ()  # one line per notable edit, for the user

    def merged(self, other: EditPlan) -> EditPlan:
        return EditPlan(
            self.edits + other.edits, self.renames + other.renames, self.notes + other.notes
        )

    @property
    def touched_paths(self) -> tuple[str, ...]:
        """Every path the plan reads or writes (edited files, both ends of every rename)."""
        paths = [e.path for e in self.edits]
        for rename in self.renames:
            paths += [rename.old_path, rename.new_path]
        return tuple(dict.fromkeys(paths))

    def final_path(self, path: str) -> str:
        for rename in self.renames:
            if rename.old_path == path:
                return rename.new_path
        return path


def unified_diff(plan: EditPlan) -> str:
    """git-style diff of the plan: renames with their content change, then plain edits."""
    chunks: list[str] = []
    edits = {e.path: e for e in plan.edits}
    for rename in plan.renames:
        edit = edits.pop(rename.old_path, None)
        chunks.append(
            f"diff --git a/{rename.old_path} b/{rename.new_path}\n"
            f"rename from {rename.old_path}\nrename to {rename.new_path}\n"
        )
        if edit is not None:
            chunks.append(_diff(edit, rename.old_path, rename.new_path))
    for edit in edits.values():
        chunks.append(f"diff --git a/{edit.path} b/{edit.path}\n")
        if edit.create:
            chunks.append("new file mode 100644\n")
        chunks.append(_diff(edit, edit.path, edit.path))
    return "".join(chunks)


def _diff(edit: FileEdit, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        edit.old_text.splitlines(keepends=True),
        edit.new_text.splitlines(keepends=True),
        fromfile="/dev/null" if edit.create else f"a/{old}",
        tofile=f"b/{new}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
