"""Plan the rename of sqitch changes: the plan entry, every reference, the scripts. Pure.

``plan_sqitch_rename`` takes the plan's bytes, the project's :class:`ScriptLayout`, the
scripts it needs (``needed_paths`` lists them; the caller reads them through a ``Tree``) and an
``{old name: new name}`` mapping, and returns a :class:`SqitchRename` whose ``edit_plan`` is
the whole change, to be shown (``unified_diff``) and applied all-or-nothing. Several renames at
once (a block: 07→08 and 08→09) are planned from the final mapping, so nothing is clobbered on
the way; file renames are ordered so that each target path is free when its turn comes.

What is renamed, and only there (every edit replaces the name's span, found by the parser):

- the plan: the change's name on each of its lines (a reworked change has several), and every
  dependency of this project that names it: ``old``, ``!old``, ``old@tag``, ``PROJECT:old``
  (a dependency on another project's change of the same name is left alone);
- the scripts: ``deploy/``, ``revert/``, ``verify/`` ``old.EXT``, and for a reworked change its
  earlier versions ``old@TAG.EXT`` in the reworked folders;
- in those scripts, the header comment sqitch writes, ``-- Deploy PROJECT:old to ENGINE``
  (``-- Revert ... from``, ``-- Verify ... on``, and the project-less ``-- Deploy old`` of old
  sqitch versions); and in the leading comment block of every deploy script, sqitch's
  ``-- requires: old`` / ``-- conflicts: old`` lines (``sqitch add -r old`` writes them into the
  *dependents'* scripts, so those files are edited too). Nothing else in a script changes.

Line endings, notes, timestamps, planners, other lines and other bytes stay as they are.
Script texts are decoded as UTF-8 with ``surrogateescape`` (a non-UTF-8 script round-trips if
the writer encodes the same way).

Refusals raise :class:`SqitchRenameError` (an :class:`InputError`, exit 2): the plan does not
parse; an old name is not in the plan; a new name is invalid for sqitch, already used, or the
target of two renames; the renames form a cycle; a target script already exists; another
project's plan depends on a renamed change (``queue:old`` there would break); or something
depends on this project's changes by change ID (renaming changes the ID of the renamed change
and of every change after it).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from migration_guard.chains.sqitch.conf import ScriptLayout
from migration_guard.chains.sqitch.plan import Change, Dependency, Plan, parse_plan
from migration_guard.edits import EditPlan, FileEdit, Rename
from migration_guard.errors import InputError
from migration_guard.tree import Tree

__all__ = [
    "SqitchRename",
    "SqitchRenameError",
    "affected_changes",
    "check_new_name",
    "needed_paths",
    "plan_sqitch_rename",
    "plan_sqitch_rename_in_tree",
]

_KINDS = ("deploy", "revert", "verify")
_HEADER_RE = re.compile(r"--[ \t]*(?:Deploy|Revert|Verify)[ \t]+(?P<token>[^\s]+)")
_INVALID_NAME = (  # sqitch's message, for a name the parser reads as something else
    'Invalid name; names must not begin with punctuation, contain "@", ":", "#", "\\", or '
    "blanks, or end in punctuation or digits following punctuation"
)
_DEP_COMMENT_RE = re.compile(r"--[ \t]*(?:requires|conflicts)[ \t]*:[ \t]*(?P<token>[^\s]+)")


class SqitchRenameError(InputError):
    """A sqitch rename cannot be planned safely; nothing was changed."""


@dataclass(frozen=True)
class SqitchRename:
    """A planned rename. ``affected`` are the (old) names of every change whose sqitch ID the
    rename changes: from the first edited plan line to the end, in plan order."""

    plan_path: str
    renames: Mapping[str, str] = field(hash=False)
    edit_plan: EditPlan
    old_plan_text: str
    new_plan_text: str
    project: str
    first_affected: int  # index into the old plan's changes
    affected: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Names


def check_new_name(name: str) -> str | None:
    """Why sqitch would reject ``name`` as a change name, or None if it is valid.

    Asks the plan parser (sqitch's own rules) about a one-change plan.
    """
    if not name or any(c in name for c in "\r\n"):
        return "a change name must be one non-empty line"
    # "+" first: a leading "-" or "+" would be read as the operator, not as part of the name.
    text = f"%project=p\n\n+{name} 2000-01-01T00:00:00Z n <e@x>\n"
    plan = parse_plan(text.encode("utf-8", "surrogatepass"), "name")
    if plan.ok and len(plan.changes) == 1 and plan.changes[0].name == name:
        return None
    if name == "0":
        return 'sqitch treats a change named "0" as having no name'
    error = plan.first_error
    if error is not None and error.message.endswith(("reserved name", "a SHA1 ID")):
        return error.message
    return _INVALID_NAME  # also for "#", which would start a note


def _dep_change_offset(dep: Dependency) -> int:
    """Where ``dep.change`` starts in the line text."""
    offset = dep.start + (1 if dep.conflicts else 0)
    if dep.project is not None:
        offset += len(dep.project) + 1
    return offset


def _names_this_project(dep: Dependency, project: str | None) -> bool:
    return dep.id is None and dep.change is not None and dep.project in (None, project)


def affected_changes(plan: Plan, names: Iterable[str]) -> tuple[int, tuple[str, ...]]:
    """(index of the first change whose ID a rename of ``names`` changes, their names).

    That is the first plan line that names one of them: its own line, or a dependency on it
    (an earlier change may declare a conflict with a later one). Every change from there on
    gets a new ID, since a change's ID covers its parent's. ``(len(changes), ())`` if none.
    """
    wanted = set(names)
    first = len(plan.changes)
    for index, change in enumerate(plan.changes):
        if change.name in wanted or any(
            _names_this_project(d, plan.project) and d.change in wanted for d in change.dependencies
        ):
            first = index
            break
    rest = tuple(dict.fromkeys(c.name for c in plan.changes[first:]))
    return first, rest


# --------------------------------------------------------------------------------------------
# Script paths


def _script(folder: str, name: str, ext: str, tag: str | None = None) -> str:
    stem = name if tag is None else f"{name}@{tag}"
    return posixpath.join(folder, stem + "." + ext) if folder else f"{stem}.{ext}"


def _instance_scripts(
    change: Change, layout: ScriptLayout, name: str
) -> list[tuple[str, str, str | None]]:
    """``(kind, path, rework tag)`` of every file sqitch may use for this instance under
    ``name``: one per kind, or for a reworked instance one per kind and rework tag."""
    out: list[tuple[str, str, str | None]] = []
    ext = layout.extension
    for kind in _KINDS:
        folder = layout.dir_for(kind, reworked=change.is_reworked)
        if change.is_reworked:
            out.extend((kind, _script(folder, name, ext, tag), tag) for tag in change.rework_tags)
        else:
            out.append((kind, _script(folder, name, ext), None))
    return out


def _dependents(plan: Plan, renames: Mapping[str, str]) -> list[Change]:
    return [
        c
        for c in plan.changes
        if any(_names_this_project(d, plan.project) and d.change in renames for d in c.dependencies)
    ]


def needed_paths(
    plan_data: bytes, plan_path: str, layout: ScriptLayout, renames: Mapping[str, str]
) -> tuple[str, ...]:
    """Every script path :func:`plan_sqitch_rename` needs in ``scripts`` (present or not)."""
    plan = parse_plan(plan_data, plan_path)
    paths: list[str] = []
    for change in plan.changes:
        if change.name in renames:
            paths += [p for _k, p, _t in _instance_scripts(change, layout, change.name)]
            paths += [p for _k, p, _t in _instance_scripts(change, layout, renames[change.name])]
    for change in _dependents(plan, renames):
        paths += [p for k, p, _t in _instance_scripts(change, layout, change.name) if k == "deploy"]
    return tuple(dict.fromkeys(paths))


# --------------------------------------------------------------------------------------------
# Script text edits


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _leading_comments(text: str) -> list[tuple[int, str]]:
    """``(offset, line without ending)`` of the comment lines before the first SQL line."""
    out: list[tuple[int, str]] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        body = line[1:] if offset == 0 and line.startswith("\ufeff") else line
        start = offset + (len(line) - len(body))
        offset += len(raw)
        stripped = body.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        out.append((start, body))
    return out


def _rename_token(
    token: str, project: str, renames: Mapping[str, str], *, own: str | None
) -> tuple[int, str, str] | None:
    """``(offset in token, old, new)`` if ``token`` names a renamed change of ``project``.

    ``token`` is ``[!][project:]name[@tag]``. With ``own``, only that change's name counts.
    """
    at = 0
    if token.startswith("!"):
        at = 1
    rest = token[at:]
    if ":" in rest:
        prefix, rest = rest.split(":", 1)
        if prefix != project:
            return None
        at += len(prefix) + 1
    name = rest.split("@", 1)[0]
    if name not in renames or (own is not None and name != own):
        return None
    return at, name, renames[name]


def _edit_script(
    text: str,
    project: str,
    renames: Mapping[str, str],
    *,
    own: str | None,
    dependencies: bool,
) -> tuple[str, list[str]]:
    """The script with its header token (``own``'s) and, if ``dependencies``, its
    requires/conflicts comment tokens renamed; plus what changed, for the notes."""
    spans: list[tuple[int, int, str]] = []
    what: list[str] = []
    for start, line in _leading_comments(text):
        if own is not None:
            match = _HEADER_RE.match(line)
            if match is not None:
                found = _rename_token(match.group("token"), project, renames, own=own)
                if found is not None:
                    at, old, new = found
                    begin = start + match.start("token") + at
                    spans.append((begin, begin + len(old), new))
                    what.append("header")
                    continue
        if dependencies:
            match = _DEP_COMMENT_RE.match(line)
            if match is not None:
                found = _rename_token(match.group("token"), project, renames, own=None)
                if found is not None:
                    at, old, new = found
                    begin = start + match.start("token") + at
                    spans.append((begin, begin + len(old), new))
                    what.append(f"-- {line.split(':', 1)[0].lstrip('- ').strip()}: {old}")
    return _splice(text, spans), what


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    out: list[str] = []
    last = 0
    for begin, end, new in sorted(spans):
        out.append(text[last:begin])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# The planner


def _refuse(message: str, hint: str | None = None) -> SqitchRenameError:
    return SqitchRenameError(message, hint=hint)


def _check_mapping(plan: Plan, renames: Mapping[str, str]) -> dict[str, str]:
    mapping = {old: new for old, new in renames.items() if old != new}
    if not mapping:
        raise _refuse("nothing to rename", hint="give at least one OLD=NEW change name")
    names = {c.name for c in plan.changes}
    for old, new in mapping.items():
        if old not in names:
            raise _refuse(
                f'change "{old}" is not in {plan.path}',
                hint="give the change name as written in the plan",
            )
        problem = check_new_name(new)
        if problem is not None:
            raise _refuse(f'"{new}" is not a valid sqitch change name: {problem}')
        if new in names and new not in mapping:
            raise _refuse(
                f'cannot rename "{old}" to "{new}": {plan.path} already has a change "{new}"',
                hint="pick a name no change of the plan uses",
            )
    targets: dict[str, str] = {}
    for old, new in mapping.items():
        if new in targets:
            raise _refuse(f'"{targets[new]}" and "{old}" would both be renamed to "{new}"')
        targets[new] = old
    for start in mapping:
        seen = {start}
        current = mapping[start]
        while current in mapping:
            if current in seen:
                raise _refuse(
                    f'the renames form a cycle through "{start}"',
                    hint="rename one of the changes to a free name first",
                )
            seen.add(current)
            current = mapping[current]
    return mapping


def _check_id_references(plan: Plan, project: str, where: str) -> None:
    for change in plan.changes:
        for dep in change.dependencies:
            if dep.id is not None and dep.project == project:
                raise _refuse(
                    f'{where}:{change.line}: "{change.name}" depends on {dep.text}, a change '
                    f"of {project} named by its ID; a rename changes the IDs of the renamed "
                    "change and of every change after it",
                    hint="depend on the change by name instead, then rename",
                )


def _check_other_plans(
    project: str, renames: Mapping[str, str], others: Mapping[str, bytes]
) -> None:
    for path, data in sorted(others.items()):
        other = parse_plan(data, path)
        if other.project == project:
            continue
        _check_id_references(other, project, path)
        for change in other.changes:
            for dep in change.dependencies:
                if dep.project == project and dep.change in renames:
                    raise _refuse(
                        f'{path}:{change.line}: project "{other.project}" depends on '
                        f'{dep.text}; renaming "{dep.change}" would break that reference',
                        hint=f"update {path} in the same change, or keep the name",
                    )


def _plan_text_edits(plan: Plan, renames: Mapping[str, str]) -> tuple[str, list[str]]:
    by_line = {c.line: c for c in plan.changes}
    out: list[str] = []
    notes: list[str] = []
    for line in plan.lines:
        change = by_line.get(line.number)
        text = line.text
        if change is not None:
            spans: list[tuple[int, int, str]] = []
            if change.name in renames:
                spans.append((change.name_start, change.name_end, renames[change.name]))
                notes.append(
                    f"{plan.path}:{line.number}: change {change.name} -> {renames[change.name]}"
                )
            for dep in change.dependencies:
                if _names_this_project(dep, plan.project) and dep.change in renames:
                    assert dep.change is not None
                    begin = _dep_change_offset(dep)
                    assert text[begin : begin + len(dep.change)] == dep.change
                    spans.append((begin, begin + len(dep.change), renames[dep.change]))
                    notes.append(
                        f"{plan.path}:{line.number}: dependency of {change.name}: {dep.text} "
                        f"-> {dep.text[: begin - dep.start]}{renames[dep.change]}"
                        f"{dep.text[begin - dep.start + len(dep.change) :]}"
                    )
            text = _splice(text, spans)
        out.append(text + line.ending)
    return "".join(out), notes


def _order_renames(moves: dict[str, str]) -> list[Rename]:
    """Each move after the moves that free its target (the mapping has no cycle)."""
    ordered: list[Rename] = []
    done: set[str] = set()

    def visit(source: str) -> None:
        if source in done:
            return
        done.add(source)
        target = moves[source]
        if target in moves:
            visit(target)
        ordered.append(Rename(source, target))

    for source in sorted(moves):
        visit(source)
    return ordered


def plan_sqitch_rename(
    plan_path: str,
    plan_data: bytes,
    layout: ScriptLayout,
    scripts: Mapping[str, bytes | None],
    renames: Mapping[str, str],
    *,
    other_plans: Mapping[str, bytes] | None = None,
) -> SqitchRename:
    """Plan renaming the changes ``renames`` maps (old name → new name) in one plan.

    ``scripts`` maps every path of :func:`needed_paths` to the file's bytes, or None where
    there is no file; ``other_plans`` are the repository's other sqitch plans (path → bytes),
    checked for references to this project's renamed changes. Raises
    :class:`SqitchRenameError` on every refusal listed in the module docstring.
    """
    plan = parse_plan(plan_data, plan_path)
    if not plan.ok:
        error = plan.first_error
        assert error is not None
        raise _refuse(
            f"{plan_path} does not parse: {error.sqitch_text(plan_path)}",
            hint="fix the plan first (migration-guard lint)",
        )
    project = plan.project
    assert project is not None
    mapping = _check_mapping(plan, renames)
    _check_id_references(plan, project, plan_path)
    _check_other_plans(project, mapping, other_plans or {})
    missing = [p for p in needed_paths(plan_data, plan_path, layout, mapping) if p not in scripts]
    if missing:
        raise ValueError(f"scripts lacks {missing[0]}: pass every path of needed_paths()")

    old_text = plan_data.decode("utf-8")
    new_text, notes = _plan_text_edits(plan, mapping)
    _check_new_plan(plan, new_text, mapping)

    # Scripts: moves (old path → new path) and text edits (keyed by the old path).
    moves: dict[str, str] = {}
    texts: dict[str, str] = {}
    reasons: dict[str, list[str]] = {}
    for change in plan.changes:
        if change.name not in mapping:
            continue
        new_name = mapping[change.name]
        sources = _instance_scripts(change, layout, change.name)
        targets = _instance_scripts(change, layout, new_name)
        present = [
            (s, t) for s, t in zip(sources, targets, strict=True) if scripts[s[1]] is not None
        ]
        if not present:
            notes.append(f"{change.name} (line {change.line}) has no scripts to rename")
        for (kind, source, _tag), (_k, target, _t) in present:
            moves[source] = target
            data = scripts[source]
            assert data is not None
            text = _decode(data)
            edited, what = _edit_script(
                texts.get(source, text),
                project,
                mapping,
                own=change.name,
                dependencies=kind == "deploy",
            )
            texts[source] = edited
            reasons.setdefault(source, []).extend(what)
    for change in _dependents(plan, mapping):
        for kind, path, _tag in _instance_scripts(change, layout, change.name):
            if kind != "deploy" or path in texts:
                continue
            data = scripts[path]
            if data is None:
                continue
            edited, what = _edit_script(
                _decode(data), project, mapping, own=None, dependencies=True
            )
            texts[path] = edited
            reasons.setdefault(path, []).extend(what)

    for source, target in sorted(moves.items()):
        if scripts.get(target) is not None and target not in moves:
            raise _refuse(
                f"cannot rename {source} to {target}: {target} already exists",
                hint="remove or rename that file first",
            )
    if len(set(moves.values())) != len(moves):
        raise _refuse("two scripts would be renamed to the same path")

    edits = [FileEdit(plan_path, old_text, new_text, reason="rename sqitch changes")]
    for path in sorted(texts):
        data = scripts[path]
        assert data is not None
        old = _decode(data)
        if texts[path] != old:
            reason = ", ".join(dict.fromkeys(reasons[path]))
            edits.append(FileEdit(path, old, texts[path], reason=reason))
            notes.append(f"{path}: {reason}")
    ordered = _order_renames(moves)
    notes.extend(f"{r.old_path} -> {r.new_path}" for r in ordered)
    first, affected = affected_changes(plan, mapping)
    return SqitchRename(
        plan_path=plan_path,
        renames=mapping,
        edit_plan=EditPlan(tuple(edits), tuple(ordered), tuple(notes)),
        old_plan_text=old_text,
        new_plan_text=new_text,
        project=project,
        first_affected=first,
        affected=affected,
    )


def _check_new_plan(plan: Plan, new_text: str, mapping: Mapping[str, str]) -> None:
    """The rewritten plan parses, with the same changes under their new names."""
    new_plan = parse_plan(new_text.encode("utf-8"), plan.path)
    if not new_plan.ok:
        error = new_plan.first_error
        assert error is not None
        raise _refuse(
            f"the renamed plan would not parse: {error.sqitch_text(plan.path)}",
            hint="choose other names",
        )
    expected = [mapping.get(c.name, c.name) for c in plan.changes]
    if [c.name for c in new_plan.changes] != expected:  # pragma: no cover - a bug guard
        raise AssertionError("the renamed plan does not have the expected changes")


def plan_sqitch_rename_in_tree(
    tree: Tree,
    plan_path: str,
    layout: ScriptLayout,
    renames: Mapping[str, str],
    *,
    other_plans: Iterable[str] = (),
) -> SqitchRename:
    """:func:`plan_sqitch_rename` with the plan, scripts and ``other_plans`` read from ``tree``."""
    if not tree.exists(plan_path) or tree.is_dir(plan_path):
        raise _refuse(f"sqitch plan {plan_path} does not exist in the {tree.label}")
    plan_data = tree.read_bytes(plan_path)
    paths = needed_paths(plan_data, plan_path, layout, renames)
    present = [p for p in paths if tree.exists(p) and not tree.is_dir(p)]
    found = tree.read_many(present)
    scripts: dict[str, bytes | None] = {p: found.get(p) for p in paths}
    others = {p: tree.read_bytes(p) for p in other_plans if p != plan_path}
    return plan_sqitch_rename(plan_path, plan_data, layout, scripts, renames, other_plans=others)
