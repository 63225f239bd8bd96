"""Render chain states for people (text) and machines (JSON). Pure: strings in, strings out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from migration_guard.model import ChainSpec, ChainState, Finding, Severity


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
        "heads": [{"revision": h.revision, "path": h.path} for h in state.heads],
        "findings": [finding_json(f) for f in state.findings],
    }


def to_json(payload: dict[str, Any]) -> str:
    import json  # here, not at the top: text output (the usual case) never needs it

    return json.dumps(payload, indent=2, sort_keys=False)


def heads_text(states: Sequence[ChainState]) -> str:
    lines = []
    for state in states:
        errors = [f for f in state.findings if f.severity is Severity.ERROR]
        count = len(state.heads)
        if state.ok and count == 1:
            lines.append(f"{state.spec.title}: OK (exactly 1 head)")
            lines.append(f"  head {state.heads[0].revision}  {state.heads[0].path}")
        else:
            extra = f", {plural(len(errors), 'problem')}" if errors and count == 1 else ""
            lines.append(f"{state.spec.title}: FAIL ({plural(count, 'head')}{extra})")
            lines.extend(f"  head {h.revision}  {h.path}" for h in state.heads)
        lines.extend(finding_lines(state.findings))
    return "\n".join(lines)


def lint_text(states: Sequence[ChainState]) -> str:
    lines = []
    for state in states:
        errors = sum(f.severity is Severity.ERROR for f in state.findings)
        warnings = len(state.findings) - errors
        noun = "change" if state.spec.kind.value == "sqitch" else "migration"
        what = f"{state.spec.title} ({state.spec.kind.value}, {where(state.spec)})"
        if errors:
            lines.append(f"{what}: FAIL ({plural(errors, 'problem')})")
        else:
            note = f", {plural(warnings, 'warning')}" if warnings else ""
            lines.append(f"{what}: OK ({plural(len(state.migrations), noun)}{note})")
        lines.extend(finding_lines(state.findings))
    return "\n".join(lines)


def chains_text(states: Sequence[ChainState], source: str, notes: Sequence[Finding] = ()) -> str:
    noted = ["Not read as chains:", *finding_lines(notes)] if notes else []
    if not states:
        return "\n".join(
            [
                f"No migration chains found ({source}).",
                *noted,
                "Add migration-guard.toml with a [[chains]] table per chain (see the README's "
                "Configuration section), or an alembic.ini / sqitch.plan.",
            ]
        )
    rows = [("NAME", "KIND", "PATH", "NUMBERING", "MIGRATIONS", "HIGHEST", "HEAD(S)")]
    for state in states:
        highest = state.highest
        heads = ", ".join(h.revision for h in state.heads) or "-"
        rows.append(
            (
                state.spec.name,
                state.spec.kind.value,
                where(state.spec),
                state.numbering.value,
                str(len(state.migrations)),
                highest.number_text if highest else "-",
                heads,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = [f"{plural(len(states), 'chain')} ({source}):"]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)]
        out.append("  " + "  ".join([*cells, row[-1]]).rstrip())
    problems = [s for s in states if not s.ok]
    if problems:
        names = ", ".join(s.spec.name for s in problems)
        out.append(f"Problems found in {names}: run `migration-guard lint` for details.")
    return "\n".join(out + noted)
