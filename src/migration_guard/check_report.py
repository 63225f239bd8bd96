"""Render a ``check`` result: text (the runbook's lines), JSON, Markdown comment, GitHub."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from migration_guard.collisions import Collision, Outcome, target, where

if TYPE_CHECKING:
    from migration_guard.commands.check import Sources

PROGRAM = "migration-guard check"


@dataclass(frozen=True)
class CheckReport:
    pr: int
    sources: Sources
    outcome: Outcome

    @property
    def claims_seen(self) -> int:
        return len(self.sources.claims)


def fix_command(collision: Collision) -> str:
    """The command to copy and paste (the path shell-quoted: it comes from the PR)."""
    what = shlex.quote(target(collision.migration))
    return f"migration-guard renumber {what} --to {collision.next_available}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(line: str) -> str:
    """A report line with control characters from file names shown as escapes, so a PR's
    file name can never start a new line (a forged CI workflow command, a fake verdict)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)


def code_span(value: str) -> str:
    """Text in a Markdown code span inside a table cell: inert, one cell, one line."""
    cleaned = value.replace("`", "'").replace("|", "\\|")
    return f"`{_CONTROL.sub(' ', cleaned)}`"


def _verdict_line(report: CheckReport) -> str:
    outcome, sources = report.outcome, report.sources
    if outcome.collisions:
        return f"Found {len(outcome.collisions)} migration-number collision(s). FAIL."
    if not sources.complete:
        return "Could not see every open change's files, so no verdict. UNDECIDED."
    return "No migration-number collisions detected. OK."


def text(report: CheckReport) -> str:
    outcome, sources = report.outcome, report.sources
    lines = [f"{PROGRAM}: base={sources.base!r} pr={report.pr}"]
    lines.append(f"Open changes from: {sources.provider} ({sources.provider_note})")
    lines.append(f"Found {len(outcome.new)} new migration(s) in this PR:")
    lines += [f"  [{m.chain}] {m.number_text} — {where(m.path, m.name)}" for m in outcome.new]
    lines.append(
        f"Found {report.claims_seen} migration file(s) across {sources.changes_scanned} other "
        "open PR(s)."
    )
    lines += [f"warning: {p}" for p in sources.problems]
    lines += [f"warning: {w}" for w in outcome.warnings]
    for collision in outcome.collisions:
        m = collision.migration
        lines.append(f"COLLISION [{m.chain}] {m.number_text} — {where(m.path, m.name)}")
        for claim in collision.claimed_by:
            lines.append(f"  also claimed by {claim.describe()}")
        lines.append(f"  next available number: {collision.next_available}")
        lines.append(f"  fix: {fix_command(collision)}")
    if len({c.migration.chain for c in outcome.collisions}) < len(outcome.collisions) or any(
        len([m for m in outcome.new if m.chain == c.migration.chain]) > 1
        for c in outcome.collisions
    ):
        lines.append(
            "  (several new migrations in one chain: `migration-guard renumber "
            "--branch` moves them as one block onto the next free numbers)"
        )
    lines.append(_verdict_line(report))
    return "\n".join(printable(line) for line in lines)


def to_json(report: CheckReport) -> dict[str, Any]:
    outcome, sources = report.outcome, report.sources
    return {
        "ok": outcome.ok and sources.complete,
        "complete": sources.complete,
        "base": sources.base,
        "pr": report.pr,
        "provider": sources.provider,
        "new": [
            {"chain": m.chain, "number": m.number_text, "path": m.path, "name": m.name}
            for m in outcome.new
        ],
        "collisions": [
            {
                "chain": c.migration.chain,
                "number": c.migration.number_text,
                "path": c.migration.path,
                "name": c.migration.name,
                "claimed_by": [
                    {
                        "source": claim.source.value,
                        **({"pr": claim.pr} if claim.pr is not None else {}),
                        **({"ref": claim.ref} if claim.ref and claim.pr is None else {}),
                        "path": claim.path,
                        **({"name": claim.name} if claim.name else {}),
                    }
                    for claim in c.claimed_by
                ],
                "next_available": c.next_available,
                "fix": fix_command(c),
            }
            for c in outcome.collisions
        ],
        "next_available": {chain: list(n.numbers) for chain, n in outcome.next_by_chain.items()},
        "open_prs_scanned": sources.changes_scanned,
        "claims_seen": report.claims_seen,
        "problems": list(sources.problems),
        "warnings": list(outcome.warnings),
    }


# Inline specials only: the text always sits inside a table cell or list item, never at the
# start of a line, so '#', '-', '+', '.' and '!' (without '[') cannot start a construct there.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>|~&])")


def md_escape(value: str) -> str:
    """Text from a PR (file names) made inert in Markdown and HTML."""
    return _MD_SPECIAL.sub(r"\\\1", value.replace("\r", " ").replace("\n", " "))


def markdown(report: CheckReport, *, marker: str) -> str:
    outcome, sources = report.outcome, report.sources
    lines = [f"<!-- {marker} -->", "### Migration number check"]
    if outcome.collisions:
        lines.append(
            f"**{len(outcome.collisions)} migration-number collision(s)** with "
            f"{code_span(sources.base)} or other open PRs:"
        )
        lines.append("")
        lines.append("| chain | number | this PR | also claimed by | next free | fix |")
        lines.append("|---|---|---|---|---|---|")
        for c in outcome.collisions:
            claimed = "<br>".join(md_escape(claim.describe()) for claim in c.claimed_by)
            lines.append(
                f"| {md_escape(c.migration.chain)} | {c.migration.number_text} | "
                f"{md_escape(where(c.migration.path, c.migration.name))} | {claimed} | "
                f"**{c.next_available}** | "
                f"{code_span(fix_command(c))} |"
            )
    elif not sources.complete:
        lines.append("Could not see every open PR's files; no verdict this time.")
    else:
        lines.append("No migration-number collisions. ✅ (updated after the last push)")
    if sources.problems:
        lines.append("")
        lines += [f"- warning: {md_escape(p)}" for p in sources.problems]
    lines.append("")
    lines.append(
        f"<sub>Scanned {sources.changes_scanned} other open PR(s) via "
        f"{md_escape(sources.provider)}.</sub>"
    )
    return "\n".join(lines)


def _annotation_escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(report: CheckReport) -> str:
    lines = []
    for c in report.outcome.collisions:
        who = "; ".join(claim.describe() for claim in c.claimed_by)
        message = (
            f"[{c.migration.chain}] {c.migration.number_text} is also claimed by {who}. "
            f"Next available: {c.next_available}. Fix: {fix_command(c)}"
        )
        lines.append(
            f"::error file={_annotation_escape(c.migration.path, prop=True)},line=1,"
            f"title={_annotation_escape('Migration number collision', prop=True)}::"
            f"{_annotation_escape(message)}"
        )
    for problem in report.sources.problems:
        lines.append(f"::warning title=migration-guard::{_annotation_escape(problem)}")
    return "\n".join([*lines, text(report)])


def emit(report: CheckReport, output_format: str, *, out: TextIO, env: Mapping[str, str]) -> None:
    if output_format == "json":
        print(json.dumps(to_json(report), indent=2), file=out)
    elif output_format == "markdown":
        from migration_guard.commands.check import COMMENT_MARKER

        print(markdown(report, marker=COMMENT_MARKER), file=out)
    elif output_format == "github":
        print(github(report), file=out)
        summary = env.get("GITHUB_STEP_SUMMARY")
        if summary:
            from migration_guard.commands.check import COMMENT_MARKER

            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown(report, marker=COMMENT_MARKER) + "\n")
    else:
        print(text(report), file=out)
