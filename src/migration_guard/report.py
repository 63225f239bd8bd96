"""Render chain states for people (text) and machines (JSON). Pure: strings in, strings out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from migration_guard.chains import registry
from migration_guard.chains.kind import Capability
from migration_guard.model import ChainSpec, ChainState, Finding, Head, Severity


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def finding_line(finding: Finding) -> str:
    where = f"{finding.location}: " if finding.location else ""
    prefix = "" if finding.severity is Severity.ERROR else "warning: "
    return f"{where}{finding.code} {prefix}{finding.message}"


def finding_lines(findings: Sequence[Finding], indent: str = "  ") -> list[str]:
    lines = []
    for finding in findings:
        lines.append(indent + finding_line(finding))
        if finding.hint:
            lines.append(f"{indent}    hint: {finding.hint}")
    return lines


def where(spec: ChainSpec) -> str:
    """The chain's path, or its folders (several version_locations of one graph)."""
    return ", ".join(spec.folders)


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "hint": finding.hint,
    }


def chain_json(state: ChainState) -> dict[str, Any]:
    highest = state.highest
    return {
        "name": state.spec.name,
        "title": state.spec.title,
        "kind": state.spec.kind.value,
        "path": state.spec.path,
        "paths": list(state.spec.folders),
        "numbering": state.numbering.value,
        "width": state.width,
        "ok": state.ok,
        "migrations": len(state.migrations),
        "highest": highest.number_text if highest else None,
        "heads": [
            {
                "revision": h.revision,
                "path": h.path,
                "branch": None if h.branch is None else list(h.branch),
            }
            for h in state.heads
        ],
        "branched": state.branched,
        "undecided": list(state.undecided),
        "findings": [finding_json(f) for f in state.findings],
    }


def to_json(payload: dict[str, Any]) -> str:
    import json  # here, not at the top: text output (the usual case) never needs it

    return json.dumps(payload, indent=2, sort_keys=False)


def _branch_note(head: Head) -> str:
    if head.branch is None:
        return "  (branch unknown)"
    return f"  (branch {', '.join(head.branch)})" if head.branch else ""


def _shown_branch(state: ChainState, head: Head) -> str:
    """The branch note of a head where it tells something: the chain has several heads, or
    this one is on a labelled branch."""
    return _branch_note(head) if len(state.heads) > 1 or head.branch else ""


def head_lines(state: ChainState) -> list[str]:
    return [f"  head {h.revision}  {h.path}{_shown_branch(state, h)}" for h in state.heads]


def branch_names(state: ChainState) -> str:
    """``contract, expand``: the branches of a branched chain, one name per head."""
    return ", ".join(sorted("+".join(h.branch or ()) for h in state.heads))


def heads_summary(state: ChainState) -> str:
    """The verdict on a chain's heads, for one line: ``OK (2 branches: contract, expand)``."""
    count = len(state.heads)
    if state.heads_ok:
        if state.branched:
            return f"OK ({count} branches: {branch_names(state)})"
        return "OK (exactly 1 head)"
    if state.ok and state.undecided:
        return f"COULD NOT DECIDE ({plural(count, 'head')})"
    errors = sum(f.severity is Severity.ERROR for f in state.findings)
    shape = f"{count} branches" if state.branched else plural(count, "head")
    extra = f", {plural(errors, 'problem')}" if errors and (count == 1 or state.branched) else ""
    return f"FAIL ({shape}{extra})"


def heads_brief(state: ChainState) -> str:
    """``OK (1 head: 0193)``, ``OK (2 heads: a (branch expand), c (branch contract))``: the
    verdict on an Alembic chain after a change, with its heads on the same line."""
    count = len(state.heads)
    several = count > 1
    heads = ", ".join(h.revision + _shown_branch(state, h)[1:] for h in state.heads)
    if not state.ok:
        verdict = "FAIL"
    elif state.undecided:
        verdict = "COULD NOT DECIDE"
    else:
        verdict = "OK" if count <= 1 or state.branched else "FAIL"
    return f"{verdict} ({count} head{'s' if several or not count else ''}: {heads})"


def needs_attention(state: ChainState) -> bool:
    """What ``--quiet`` still shows: a chain that fails, cannot be decided, or has findings."""
    return not state.ok or not state.heads_ok or bool(state.undecided or state.findings)


def read_note(state: ChainState) -> str:
    """``--verbose``: what was read of one chain."""
    kind = registry.kind_of(state.spec.kind)
    noun = "migration" if kind.shown_by_path else kind.noun
    return (
        f"read {state.spec.name} ({state.spec.kind.value}, {where(state.spec)}): "
        f"{plural(len(state.migrations), noun)}, {plural(len(state.heads), 'head')}, "
        f"{plural(len(state.findings), 'finding')}"
    )


def heads_text(states: Sequence[ChainState], *, quiet: bool = False) -> str:
    lines = []
    for state in states:
        if quiet and not needs_attention(state):
            continue
        lines.append(f"{state.spec.title}: {heads_summary(state)}")
        lines.extend(head_lines(state))
        lines.extend(f"  {reason}" for reason in state.undecided)
        lines.extend(finding_lines(state.findings))
    return "\n".join(lines)


def lint_text(states: Sequence[ChainState], *, quiet: bool = False) -> str:
    lines = []
    for state in states:
        if quiet and state.ok and not state.undecided and not state.findings:
            continue
        errors = sum(f.severity is Severity.ERROR for f in state.findings)
        warnings = len(state.findings) - errors
        kind = registry.kind_of(state.spec.kind)
        noun = "migration" if kind.shown_by_path else kind.noun  # (a plan's entries: changes)
        what = f"{state.spec.title} ({state.spec.kind.value}, {where(state.spec)})"
        note = f", {plural(warnings, 'warning')}" if warnings else ""
        if errors:
            lines.append(f"{what}: FAIL ({plural(errors, 'problem')})")
        elif state.undecided:
            lines.append(f"{what}: COULD NOT DECIDE ({plural(len(state.migrations), noun)}{note})")
        else:
            lines.append(f"{what}: OK ({plural(len(state.migrations), noun)}{note})")
        lines.extend(f"  {reason}" for reason in state.undecided)
        lines.extend(finding_lines(state.findings))
    return "\n".join(lines)


def chains_text(
    states: Sequence[ChainState], source: str, notes: Sequence[Finding] = (), *, quiet: bool = False
) -> str:
    """The table of chains (``--quiet``: without its title line; the table is the answer)."""
    noted = ["Not read as chains:", *finding_lines(notes)] if notes else []
    if not states:
        return "\n".join(
            [
                f"No migration chains found ({source}).",
                *noted,
                "Add migration-guard.toml with a [[chains]] table per chain (see docs/config.md), "
                "or an alembic.ini / sqitch.plan.",
            ]
        )
    rows = [("NAME", "KIND", "PATH", "NUMBERING", "MIGRATIONS", "HIGHEST", "HEAD(S)")]
    for state in states:
        highest = state.highest
        heads = ", ".join(h.revision + _shown_branch(state, h)[1:] for h in state.heads)
        rows.append(
            (
                state.spec.name,
                state.spec.kind.value,
                where(state.spec),
                state.numbering.value,
                str(len(state.migrations)),
                highest.number_text if highest else "-",
                heads or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = [] if quiet else [f"{plural(len(states), 'chain')} ({source}):"]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)]
        out.append("  " + "  ".join([*cells, row[-1]]).rstrip())
    problems = [s for s in states if not s.ok]
    if problems:
        names = ", ".join(s.spec.name for s in problems)
        out.append(f"Problems found in {names}: run `migration-guard lint` for details.")
    undecided = [s for s in states if s.ok and s.undecided]
    if undecided:
        names = ", ".join(s.spec.name for s in undecided)
        out.append(f"Could not decide the heads of {names}: run `migration-guard heads`.")
    return "\n".join(out + noted)


def state_line(state: ChainState) -> str:
    """A chain after a write: its heads (a graph: Alembic, Django), or its lint verdict."""
    if Capability.HEADS in registry.kind_of(state.spec.kind).capabilities:
        return f"{state.spec.title}: {heads_brief(state)}"
    return f"{state.spec.title}: lint {'OK' if state.ok else 'FAIL'}"
