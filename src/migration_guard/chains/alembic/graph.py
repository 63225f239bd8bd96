"""Analyse one Alembic chain's revision graph: heads as ``alembic heads`` prints them, and findings.

Pure: the parsed scripts of one chain (in Alembic's load order) in, heads and findings out.

Heads follow Alembic 1.20.1's ``RevisionMap`` exactly, duplicates included: a head is a
script no processed script names in ``down_revision`` (``depends_on`` is ignored). Alembic
keys its map by id, so of several scripts with one id only the *last* loaded (and any that
own a branch label) has its links processed; every copy stays in the head list unless
something names it, so ``alembic heads`` prints a duplicated id twice and exits 0.

Findings report everything Alembic fails on while building the graph (each with the code
below), and a few things it lets through that break a numbered chain:

- MG101 duplicate revision id: Alembic only warns; we fail, naming both files.
- MG102 several heads, unless each ends a labelled branch of its own (``BranchMap``: the
  labels of a head's nearest labelled ancestors along ``down_revision``), Alembic's
  expand/contract design run with ``alembic upgrade heads``. Reported for each head of a
  group on one branch (labels shared), and for a head on no labelled branch beside others;
  in a chain without labels, for every head, as a fork. Not reported while a script is
  unreadable (the heads are then guesses, and the unreadable script is the finding to fix).
  Where a head's branch depends on labels that cannot be read, ``ChainGraph.undecided`` says
  so instead of a verdict.
- MG120 as a warning for a script read with ``branch_labels``/``depends_on`` unknown: its
  labels and dependencies are left out of the checks (and the message says so).
- MG111 two files share a number, MG112 a file's number differs from its revision id's, and
  MG113 a file without a number declares a numbered id (``add_x.py``: ``revision = "0193"``),
  only in ``sequential`` chains (``numbering_findings``, run by the adapter once the chain's
  numbering mode is known). A *number prefix* is the run of ASCII digits a name starts with,
  when a non-alphanumeric character or the end follows (``0145_add.py`` -> ``0145``;
  ``27c6a30d7c24_add.py`` has none).
- Stricter than Alembic: an empty revision id (MG127), ``""`` in ``depends_on`` (MG123; Alembic
  ignores a lone ``""`` there, except on a base, which it then no longer counts as one and
  fails with a dependency cycle), and every cycle (MG107/MG108): Alembic's own check misses a
  cycle that also reaches a base through a merge, and then loops in ``upgrade``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from migration_guard.chains.alembic.script import (
    BAD_VALUE,
    LEAVES_REPOSITORY,
    NO_DOWN_REVISION,
    NO_REVISION,
    SYNTAX,
    TOO_LARGE,
    UNREADABLE,
    ParsedScript,
    ScriptInfo,
    Unreadable,
)
from migration_guard.model import Finding, NumberingMode, Severity
from migration_guard.numbering import Numbering, detect_numbering

CODES: dict[str, str] = {
    "MG101": "duplicate revision id",
    "MG102": "several heads",
    "MG103": "down revision not found",
    "MG104": "depends_on revision not found",
    "MG105": "revision is its own down revision",
    "MG106": "revision depends on itself",
    "MG107": "cycle in down revisions",
    "MG108": "dependency cycle",
    "MG109": "branch label clash",
    "MG110": "down revision is a branch label",
    "MG111": "number used by two files",
    "MG112": "file number and revision id disagree",
    "MG113": "numbered revision id in a file without a number",
    UNREADABLE: "cannot read statically",
    SYNTAX: "syntax error",
    NO_DOWN_REVISION: "no down_revision",
    "MG123": "empty revision id in a link",
    BAD_VALUE: "value of the wrong type",
    NO_REVISION: "no revision id",
    "MG126": "illegal character in revision id",
    "MG127": "empty revision id",
    TOO_LARGE: "file too large to be a migration",
    LEAVES_REPOSITORY: "symlink leaves the repository",
    # Used by chains.alembic (the adapter), listed here to keep one catalogue.
    "MG140": "versions folder missing",
    "MG141": "versions path is not a folder",
    "MG142": "revision scripts only in subfolders",
    "MG143": "Alembic configuration cannot be used",
}

DEFAULT_WIDTH = 4  # of a numbered chain with no files yet: the runbook's 0193
_ILLEGAL = frozenset("@-+:")
_NUMBER = re.compile(r"[0-9]+(?![0-9A-Za-z])")

_HINTS: dict[str, str] = {
    UNREADABLE: 'write the value as a plain literal at top level: revision = "0193"',
    SYNTAX: "fix the file; Alembic cannot load it either",
    NO_DOWN_REVISION: 'add down_revision = "<parent id>" (or None for a first migration)',
    BAD_VALUE: "use a string, a tuple of strings or None",
    NO_REVISION: 'add revision = "<id>" near the top of the file',
    TOO_LARGE: "a revision script this large is data, not a migration: move the data out",
    LEAVES_REPOSITORY: "commit the file itself; migration-guard reads nothing outside the "
    "repository",
}


# Merged collisions are repaired by `recover` (it knows which side landed second); before a
# merge, `check` names the exact renumber command for the PR's side.
_COLLISION_HINT = (
    "`migration-guard recover` finds the migration that landed second and moves it onto the "
    "other; on a PR branch, `migration-guard check` names the renumber command"
)


def number_prefix(name: str) -> str | None:
    """The sequence number a file name or id starts with (see module docs), or None."""
    match = _NUMBER.match(name)
    return match.group(0) if match else None


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


Branch = tuple[str, ...] | None  # sorted labels; () on no labelled branch; None unknown


class ChainGraph(NamedTuple):
    """The analysed chain. ``heads``/``bases`` in load order; ``findings`` sorted by file.

    ``branches``: each head's branch (see ``BranchMap``), aligned with ``heads``.
    ``undecided``: why whether the heads are intentional branches cannot be told (branch
    labels that cannot be read statically); empty when it could be told.
    """

    scripts: tuple[ParsedScript, ...]
    heads: tuple[ScriptInfo, ...]
    bases: tuple[ScriptInfo, ...]
    findings: tuple[Finding, ...]
    branches: tuple[Branch, ...] = ()
    undecided: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every script was read, so ``heads`` is what Alembic would print (if it loads)."""
        return all(isinstance(s, ScriptInfo) for s in self.scripts)


def _where(script: ParsedScript) -> str:
    line = script.line
    return f"{script.path}:{line}" if line is not None else script.path


def analyse(scripts: Sequence[ParsedScript]) -> ChainGraph:
    """Heads and findings of one chain; ``scripts`` in Alembic's load order, paths unique.

    Written for thousands of scripts: one pass to index them, one to link them; the checks
    that usually find nothing are skipped by cheap tests, and the edge sets of the cycle check
    are only built when some link points forward in load order. Findings of one code come out
    in the same order as a check-by-check implementation would give them (``_Collector``
    sorts, stably, by file, line and code).
    """
    collector = _Collector(scripts)
    readable: list[ScriptInfo] = []
    unreadable: list[Unreadable] = []
    bases: list[ScriptInfo] = []
    last_by_id: dict[str, ScriptInfo] = {}
    first_by_id: dict[str, ScriptInfo] = {}
    position: dict[str, int] = {}  # an id's place in load order (of its first script)
    labelled: list[ScriptInfo] = []
    unknown_labels = False
    for script in scripts:
        if not isinstance(script, ScriptInfo):
            unreadable.append(script)
            collector.add(
                script.code, script.reason, script.path, script.line, _HINTS.get(script.code, "")
            )
            continue
        readable.append(script)
        rev = script.revision
        downs = script.down_revisions
        if not downs:
            bases.append(script)
        if not rev.isalnum() or script.depends_on or rev in downs or "" in downs:
            _check_ids(script, collector)
        first = first_by_id.setdefault(rev, script)
        if first is script:
            position[rev] = len(position)
        else:
            collector.add(
                "MG101",
                f"duplicate revision id {rev!r} (also in {_where(first)})",
                script.path,
                script.line,
                "Alembic only warns on this and keeps both; " + _COLLISION_HINT,
            )
        last_by_id[rev] = script
        if script.branch_labels:
            labelled.append(script)
        if script.unknown:
            unknown_labels = unknown_labels or not script.labels_known
            _report_unknown(script, collector)
    labels = _map_labels(labelled, last_by_id, collector)
    owners = {id(s) for s in labels.values()}
    elsewhere = {u.revision for u in unreadable if u.revision is not None}

    # Alembic's heads: discard what the processed scripts (map values) name as down revision.
    named: set[int] = set()
    forward = False  # some link points to a later script: a cycle is possible
    for script in readable:
        rev = script.revision
        downs = script.down_revisions
        processed = last_by_id[rev] is script or id(script) in owners
        for ref in downs:
            target = last_by_id.get(ref)
            if target is not None:
                if processed:
                    named.add(id(target))
                if ref != "" and ref != rev and position[ref] >= position[rev]:
                    forward = True
                continue
            owner = labels.get(ref)
            if owner is not None and processed:
                named.add(id(owner))
            if ref == "" or ref == rev:
                continue  # MG123 / MG105
            if owner is not None:
                collector.add(
                    "MG110",
                    f"down_revision {ref!r} is a branch label (of revision "
                    f"{owner.revision!r}), not a revision id",
                    script.path,
                    script.down_revision_span.line,
                    f"use the revision id {owner.revision!r}",
                )
            elif ref not in elsewhere:
                collector.add(
                    "MG103",
                    f"down revision {ref!r} not found",
                    script.path,
                    script.down_revision_span.line,
                    "no script in this chain has that id; fix down_revision or restore the parent",
                )
        if script.depends_on:
            forward = _link_depends(
                script, last_by_id, labels, elsewhere, position, collector, unknown_labels
            ) or (forward)
    heads = tuple([s for s in readable if id(s) not in named])
    branches: tuple[Branch, ...] = ((),) * len(heads)
    undecided: tuple[str, ...] = ()
    branch_map = BranchMap(readable) if labelled or unknown_labels else None
    if branch_map is not None:
        branches = tuple(branch_map.of(head) for head in heads)
    if len(heads) > 1 and not unreadable:  # with unread links the heads are guesses
        if branch_map is not None:
            undecided = _branched_heads(heads, branches, branch_map, collector)
        else:
            ids = _ids(heads)
            for head in heads:
                collector.add(
                    "MG102",
                    f"head {head.revision!r} is one of {len(heads)} heads ({ids})",
                    head.path,
                    head.line,
                    "`alembic upgrade head` fails with several heads; "
                    + _COLLISION_HINT
                    + " (or merge the heads: alembic merge heads)",
                )

    if forward:
        _check_cycles(readable, last_by_id, labels, first_by_id, position, collector)
    return ChainGraph(tuple(scripts), heads, tuple(bases), collector.sorted(), branches, undecided)


def _ids(heads: Sequence[ScriptInfo]) -> str:
    return ", ".join(repr(h.revision) for h in heads[:5]) + (", ..." if len(heads) > 5 else "")


_UNCHECKED = {
    ("branch_labels",): "its branch labels",
    ("depends_on",): "its dependencies",
    ("branch_labels", "depends_on"): "its branch labels and dependencies",
}


def _report_unknown(script: ScriptInfo, out: _Collector) -> None:
    """A warning per value that cannot be read: what it is, and what goes unchecked."""
    for unknown in script.unknown:
        out.add(
            UNREADABLE,
            f"{unknown.reason}; {_UNCHECKED[unknown.names]} cannot be checked",
            script.path,
            unknown.line,
            unknown.hint,
            Severity.WARNING,
        )


class BranchMap:
    """The branch each revision is on: the branch labels of its nearest labelled ancestors
    along ``down_revision``, itself included (Alembic: ``branch_labels`` on a revision name
    the branch it starts), sorted; ``()`` when no path down from it meets a label; None when
    one meets a revision whose labels cannot be read (``blockers`` then names those).

    Built for many calls: results are memoised, and the walk is iterative (a chain may be
    thousands of revisions long). A cycle (reported on its own) adds nothing.
    """

    def __init__(self, readable: Sequence[ScriptInfo]) -> None:
        self._by_id = {s.revision: s for s in readable}  # the last of an id, as Alembic
        self._order = {id(s): i for i, s in enumerate(readable)}
        self._labels: dict[int, frozenset[str]] = {}
        self._blocked: dict[int, tuple[ScriptInfo, ...]] = {}

    def of(self, script: ScriptInfo) -> Branch:
        key = id(script)
        if key not in self._labels and key not in self._blocked:
            self._resolve(script)
        if key in self._blocked:
            return None
        return tuple(sorted(self._labels[key]))

    def of_id(self, revision: str) -> Branch:
        script = self._by_id.get(revision)
        return () if script is None else self.of(script)

    def blockers(self, script: ScriptInfo) -> tuple[ScriptInfo, ...]:
        """The scripts with unreadable labels that make ``script``'s branch unknown, in
        load order."""
        self.of(script)
        found = self._blocked.get(id(script), ())
        return tuple(sorted(found, key=self.position))

    def position(self, script: ScriptInfo) -> int:
        return self._order.get(id(script), 0)

    def _parents(self, script: ScriptInfo) -> list[ScriptInfo]:
        found = [self._by_id.get(d) for d in script.down_revisions if d != script.revision]
        return [p for p in found if p is not None]

    def _resolve(self, start: ScriptInfo) -> None:
        labels, blocked = self._labels, self._blocked
        stack = [start]
        visiting: set[int] = set()
        while stack:
            script = stack[-1]
            key = id(script)
            if key in labels or key in blocked:
                stack.pop()
                continue
            if not script.labels_known:
                blocked[key] = (script,)
                stack.pop()
                continue
            if script.branch_labels:
                labels[key] = frozenset(script.branch_labels)
                stack.pop()
                continue
            parents = self._parents(script)
            if key not in visiting:
                visiting.add(key)
                pending = [
                    p
                    for p in parents
                    if id(p) not in labels and id(p) not in blocked and id(p) not in visiting
                ]
                if pending:
                    stack.extend(pending)
                    continue
            stack.pop()
            found: frozenset[str] = frozenset()
            blockers: dict[int, ScriptInfo] = {}
            for parent in parents:
                found |= labels.get(id(parent), frozenset())
                blockers.update((id(b), b) for b in blocked.get(id(parent), ()))
            if blockers:
                blocked[key] = tuple(blockers.values())
            else:
                labels[key] = found


def built_on(branch_map: BranchMap, roots: Sequence[ScriptInfo]) -> Branch:
    """The branch the parents of ``roots`` are on (the revisions a moved block is built on),
    None when unknown or when they are on different branches."""
    found: set[Branch] = set()
    for root in roots:
        for parent in root.down_revisions:
            found.add(branch_map.of_id(parent))
    if len(found) != 1:
        return None
    return found.pop()


def _branched_heads(
    heads: Sequence[ScriptInfo],
    branches: Sequence[Branch],
    branch_map: BranchMap,
    out: _Collector,
) -> tuple[str, ...]:
    """MG102 for the heads that do not end a branch of their own: several heads each on its
    own labelled branch are a design (``alembic upgrade heads``), not a collision. Returns
    why the rest cannot be told, if some heads' branches are unknown."""
    count = len(heads)
    unlabelled = [h for h, b in zip(heads, branches, strict=True) if b == ()]
    if len(unlabelled) == 1 and count > 1:
        head = unlabelled[0]
        out.add(
            "MG102",
            f"head {head.revision!r} is on no labelled branch, one of {count} heads "
            f"({_ids(heads)})",
            head.path,
            head.line,
            "only heads that each end a branch of their own (branch_labels on the revision "
            "that starts it) may stand side by side; put this one on the branch it belongs "
            "to (down_revision = that branch's head), or give the first revision of its "
            "line a branch label",
        )
    elif len(unlabelled) > 1:
        _collide(unlabelled, "on no labelled branch", out)
    # Labelled heads whose branches share a label: one branch, several heads.
    groups: list[tuple[set[str], list[ScriptInfo]]] = []
    for head, branch in zip(heads, branches, strict=True):
        if not branch:
            continue
        joined = [g for g in groups if g[0].intersection(branch)]
        merged: tuple[set[str], list[ScriptInfo]] = (set(branch), [head])
        for group in joined:
            merged[0].update(group[0])
            merged[1][:0] = group[1]
            groups.remove(group)
        groups.append(merged)
    for _, members in groups:
        if len(members) > 1:
            ordered = [h for h in heads if any(h is m for m in members)]
            chosen = {id(h) for h in ordered}
            counts = Counter(
                x for h, b in zip(heads, branches, strict=True) if id(h) in chosen for x in b or ()
            )
            shared = sorted(x for x, n in counts.items() if n > 1)
            _collide(ordered, f"on branch {', '.join(shared)}", out, branch=shared[0])
    unknown = [h for h, b in zip(heads, branches, strict=True) if b is None]
    if not unknown:
        return ()
    blockers: dict[int, ScriptInfo] = {}
    for head in unknown:
        blockers.update((id(b), b) for b in branch_map.blockers(head))
    where = ", ".join(
        f"{b.path}:{_labels_line(b)}" for b in sorted(blockers.values(), key=branch_map.position)
    )
    heads_text = ", ".join(repr(h.revision) for h in unknown)
    return (
        f"cannot tell which branch head{'s' if len(unknown) > 1 else ''} {heads_text} "
        f"{'end' if len(unknown) > 1 else 'ends'}: the branch_labels of {where} cannot be "
        "read statically",
    )


def _labels_line(script: ScriptInfo) -> int:
    """The line of the script's unreadable ``branch_labels``."""
    for unknown in script.unknown:
        if "branch_labels" in unknown.names and unknown.line is not None:
            return unknown.line
    return script.line


def _collide(
    heads: Sequence[ScriptInfo], where: str, out: _Collector, branch: str | None = None
) -> None:
    """MG102 for each of several heads on one line: a fork, to settle like a collision."""
    ids = _ids(heads)
    target = f"{branch}@head" if branch else "head"
    merge = " ".join(h.revision for h in heads)
    for head in heads:
        out.add(
            "MG102",
            f"head {head.revision!r} is one of {len(heads)} heads {where} ({ids})",
            head.path,
            head.line,
            f"`alembic upgrade {target}` fails with several heads on one line; "
            + _COLLISION_HINT
            + f" (or merge just these heads: alembic merge {merge})",
        )


def detected_numbering(
    scripts: Sequence[ParsedScript],
    *,
    mode: NumberingMode | None = None,
    width: int | None = None,
    prefixes: Sequence[str | None] | None = None,
) -> Numbering:
    """The numbering the chain's file names show, or as configured (``mode``, ``width``);
    ``prefixes``: their ``file_prefixes``, when known already."""
    names = [file_name(s.path)[: -len(".py")] for s in scripts]
    return detect_numbering(
        names,
        file_prefixes(scripts) if prefixes is None else prefixes,
        configured_mode=mode,
        configured_width=width,
        default_width=DEFAULT_WIDTH,
    )


def checked(
    scripts: Sequence[ParsedScript], numbering: Numbering | None = None
) -> tuple[Finding, ...]:
    """Every finding of the chain: ``analyse`` plus, in a ``sequential`` chain (``numbering``,
    detected from the file names when None), the numbering findings."""
    numbering = numbering or detected_numbering(scripts)
    findings = analyse(scripts).findings
    if numbering.mode is not NumberingMode.SEQUENTIAL:
        return findings
    numbers = [numbering.number_of(p) for p in file_prefixes(scripts)]
    return merge_findings(scripts, findings, numbering_findings(scripts, numbers))


def merge_findings(
    scripts: Sequence[ParsedScript], *groups: Sequence[Finding]
) -> tuple[Finding, ...]:
    """Findings of several checks in one order: by file (load order), line and code."""
    collector = _Collector(scripts)
    for group in groups:
        collector.findings.extend(group)
    return collector.sorted()


class _Collector:
    def __init__(self, scripts: Sequence[ParsedScript]) -> None:
        self.scripts = scripts
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        message: str,
        path: str,
        line: int | None,
        hint: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.findings.append(Finding(code, message, path, line, hint, severity))

    def sorted(self) -> tuple[Finding, ...]:
        if not self.findings:
            return ()
        order = {s.path: i for i, s in enumerate(self.scripts)}

        def key(finding: Finding) -> tuple[int, int, str]:
            return (order.get(finding.path or "", len(order)), finding.line or 0, finding.code)

        return tuple(sorted(self.findings, key=key))


def _check_ids(script: ScriptInfo, out: _Collector) -> None:
    rev = script.revision
    if rev == "":
        out.add("MG127", "empty revision id", script.path, script.line, 'use revision = "<id>"')
    illegal = sorted(set(rev) & _ILLEGAL)
    if illegal:
        chars = " ".join(illegal)
        out.add(
            "MG126",
            f"revision id {rev!r} contains {chars} (Alembic allows none of @ - + :)",
            script.path,
            script.line,
            "rename the revision id (and every down_revision naming it)",
        )
    down_line = script.down_revision_span.line
    if rev in script.down_revisions:
        out.add(
            "MG105",
            f"revision {rev!r} names itself in down_revision (Alembic: Self-loop is detected)",
            script.path,
            down_line,
            "set down_revision to the parent revision's id",
        )
    if rev in script.depends_on:
        dep_line = script.depends_on_span.line if script.depends_on_span else down_line
        out.add(
            "MG106",
            f"revision {rev!r} names itself in depends_on",
            script.path,
            dep_line,
            "remove it from depends_on",
        )
    if "" in script.down_revisions:
        out.add(
            "MG123",
            "down_revision '' is not a base (Alembic fails with KeyError)",
            script.path,
            down_line,
            "use down_revision = None for a first migration",
        )
    if "" in script.depends_on:
        dep_line = script.depends_on_span.line if script.depends_on_span else down_line
        out.add(
            "MG123",
            "depends_on '' names no revision",
            script.path,
            dep_line,
            "use depends_on = None",
        )


def _map_labels(
    readable: Sequence[ScriptInfo], last_by_id: dict[str, ScriptInfo], out: _Collector
) -> dict[str, ScriptInfo]:
    """Branch label -> owner, as Alembic maps them; every clash is a finding (Alembic fails)."""
    labels: dict[str, ScriptInfo] = {}
    for script in readable:
        span = script.branch_labels_span
        line = span.line if span else script.line
        for label in script.branch_labels:
            if label in last_by_id:
                other = last_by_id[label]
                out.add(
                    "MG109",
                    f"branch label {label!r} is also a revision id ({_where(other)})",
                    script.path,
                    line,
                    "rename the branch label",
                )
            elif label in labels:
                owner = labels[label]
                out.add(
                    "MG109",
                    f"branch label {label!r} already used by revision {owner.revision!r} "
                    f"({_where(owner)})",
                    script.path,
                    line,
                    "a branch label names one branch; rename or remove one of them",
                )
            else:
                labels[label] = script
    return labels


def _link_depends(
    script: ScriptInfo,
    last_by_id: dict[str, ScriptInfo],
    labels: dict[str, ScriptInfo],
    elsewhere: set[str],
    position: dict[str, int],
    out: _Collector,
    unknown_labels: bool = False,
) -> bool:
    """Check ``depends_on``; True when a dependency is not loaded before the script. With
    branch labels that cannot be read, a name found nowhere may be one of them."""
    rev = script.revision
    span = script.depends_on_span or script.down_revision_span
    forward = False
    for ref in script.depends_on:
        if ref == "" or ref == rev:
            continue  # MG123 / MG106
        target = last_by_id.get(ref) or labels.get(ref)
        if target is not None:
            forward = forward or position[target.revision] >= position[rev]
        elif ref not in elsewhere and unknown_labels:
            out.add(
                "MG104",
                f"depends_on {ref!r} is no revision id or readable branch label; it may be a "
                "branch label that cannot be read statically",
                script.path,
                span.line,
                "depends_on takes full revision ids or branch labels of this chain",
                Severity.WARNING,
            )
        elif ref not in elsewhere:
            out.add(
                "MG104",
                f"depends_on {ref!r} not found",
                script.path,
                span.line,
                "depends_on takes full revision ids or branch labels of this chain",
            )
    return forward


def _edges(
    readable: Sequence[ScriptInfo],
    last_by_id: dict[str, ScriptInfo],
    labels: dict[str, ScriptInfo],
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Parent ids by id: through ``down_revision`` only, and through it and ``depends_on``."""
    down_edges: dict[str, set[str]] = {rev: set() for rev in last_by_id}
    all_edges: dict[str, set[str]] = {rev: set() for rev in last_by_id}
    for script in readable:
        rev = script.revision
        for ref in script.down_revisions:
            if ref != "" and ref != rev and ref in last_by_id:
                down_edges[rev].add(ref)
                all_edges[rev].add(ref)
        for ref in script.depends_on:
            if ref == "" or ref == rev:
                continue
            target = last_by_id.get(ref) or labels.get(ref)
            if target is not None:
                all_edges[rev].add(target.revision)
    return down_edges, all_edges


def _check_cycles(
    readable: Sequence[ScriptInfo],
    last_by_id: dict[str, ScriptInfo],
    labels: dict[str, ScriptInfo],
    first_by_id: dict[str, ScriptInfo],
    position: dict[str, int],
    out: _Collector,
) -> None:
    down_edges, all_edges = _edges(readable, last_by_id, labels)
    order = list(first_by_id)
    down_cycles = [c for c in _components(order, down_edges) if _is_cycle(c, down_edges)]
    for cycle in down_cycles:
        at = first_by_id[min(cycle, key=position.__getitem__)]
        ids = ", ".join(sorted(cycle))
        out.add(
            "MG107",
            f"cycle through down_revision: {ids} (Alembic: Cycle is detected)",
            at.path,
            at.down_revision_span.line,
            "each down_revision must name an older revision; fix the one that points forward",
        )
    known = [frozenset(c) for c in down_cycles]
    for cycle in _components(order, all_edges):
        if not _is_cycle(cycle, all_edges) or frozenset(cycle) in known:
            continue
        at = first_by_id[min(cycle, key=position.__getitem__)]
        span = at.depends_on_span or at.down_revision_span
        ids = ", ".join(sorted(cycle))
        out.add(
            "MG108",
            f"dependency cycle through depends_on: {ids} (Alembic: Dependency cycle is detected)",
            at.path,
            span.line,
            "depends_on must name revisions that do not depend back on this one",
        )


def _is_cycle(component: list[str], edges: dict[str, set[str]]) -> bool:
    return len(component) > 1 or component[0] in edges.get(component[0], ())


def _components(order: Iterable[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), deterministic for a given order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = 0
    for root in order:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


def file_prefixes(scripts: Sequence[ParsedScript]) -> tuple[str | None, ...]:
    """Each script's file-name number prefix (``number_prefix`` of its file name)."""
    match_number = _NUMBER.match
    prefixes: list[str | None] = []
    for script in scripts:
        path = script.path
        found = match_number(path, path.rfind("/") + 1)
        prefixes.append(None if found is None else found.group())
    return tuple(prefixes)


def numbering_findings(
    scripts: Sequence[ParsedScript],
    numbers: Sequence[int | None],
    numbering: Numbering | None = None,
) -> tuple[Finding, ...]:
    """MG111 and MG112 of a ``sequential`` chain; ``numbers`` aligned with ``scripts`` (None
    for a file without a sequence number of the chain's width).

    MG111: two files share a number. MG112: a file's number differs from its revision id's
    number prefix, checked only where the chain's ids are numbers themselves (most files hold
    ``revision = "<their number>"``, the runbook's shape); a chain of numbered files with hex
    ids (airflow's ``0001_..._current_schema.py``) is left alone, even where a hex id happens
    to be all digits.

    MG113 (given the chain's ``numbering``): a file without a number whose revision id is a
    number of the chain (``add_x.py`` with ``revision = "0193"``), where the ids are numbers:
    it claims 0193 unseen by anyone reading file names.
    """
    collector = _Collector(scripts)
    first_of: dict[int, ParsedScript] = {}
    id_numbered = 0
    pairs: list[tuple[ParsedScript, int, str]] = []
    for script, number in zip(scripts, numbers, strict=True):
        if number is None:
            continue
        name = file_name(script.path)
        prefix = number_prefix(name) or ""
        first = first_of.setdefault(number, script)
        if first is not script:
            collector.add(
                "MG111",
                f"number {prefix} is also used by {first.path}",
                script.path,
                script.line,
                _COLLISION_HINT,
            )
        revision = script.revision
        if revision is not None:
            rev_prefix = number_prefix(revision)
            if rev_prefix is not None and int(rev_prefix) == number:
                id_numbered += 1
            pairs.append((script, number, rev_prefix or ""))
    if id_numbered * 2 >= len(pairs):
        for script, number, rev_prefix in pairs:
            if rev_prefix and int(rev_prefix) != number:
                prefix = number_prefix(file_name(script.path)) or ""
                collector.add(
                    "MG112",
                    f"file number {prefix} but revision id {script.revision!r}",
                    script.path,
                    script.line,
                    f"make them agree: revision = {prefix!r}, or rename the file "
                    f"(migration-guard renumber {script.path} --to next)",
                )
        if numbering is not None:
            _unnumbered_ids(scripts, numbers, numbering, collector)
    return collector.sorted()


def _unnumbered_ids(
    scripts: Sequence[ParsedScript],
    numbers: Sequence[int | None],
    numbering: Numbering,
    collector: _Collector,
) -> None:
    """MG113: files without a number whose revision id is one of the chain's numbers."""
    for script, number in zip(scripts, numbers, strict=True):
        if number is not None or not script.revision:
            continue
        claimed = numbering.id_number(script.revision)
        if claimed is None:
            continue
        collector.add(
            "MG113",
            f"revision id {script.revision!r} is numbered, but the file name has no number: "
            f"it claims {claimed[1]} where nobody reading file names sees it",
            script.path,
            script.line,
            f"name the file after its number (migration-guard renumber {script.path} "
            f"--to {claimed[1]}), or give it a number that is free (--to next)",
        )
