"""Render a ``check`` result: text (the runbook's lines), JSON, Markdown comment, GitHub."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from migration_guard import ci_report
from migration_guard.ci_report import Case, Issue
from migration_guard.collisions import (
    Claim,
    ClaimSource,
    Collision,
    CollisionKind,
    Outcome,
    target,
    where,
)
from migration_guard.redact import scrub
from migration_guard.services.history import ACCEPT_LABEL, HistoryEdit
from migration_guard.ui import DEFAULT, Ui

if TYPE_CHECKING:
    from migration_guard.services.sources import Sources

PROGRAM = "migration-guard check"
COMMENT_MARKER = "migration-guard:check"


@dataclass(frozen=True)
class CheckReport:
    pr: int
    sources: Sources
    outcome: Outcome
    history: tuple[HistoryEdit, ...] = ()
    program: str = PROGRAM  # the first line's name (a wrapper script names itself)

    @property
    def claims_seen(self) -> int:
        return len(self.sources.claims)

    @property
    def edits(self) -> tuple[HistoryEdit, ...]:
        """Edits of merged migrations nobody accepted: they fail the check."""
        return tuple(e for e in self.history if e.accepted is None)

    @property
    def ok(self) -> bool:
        return self.outcome.ok and not self.edits


def fix_command(collision: Collision) -> str | None:
    """The command to copy and paste (the path shell-quoted: it comes from the PR), or None
    when no command fixes it (a duplicated revision id needs a new id by hand)."""
    what = shell_quote(target(collision.migration.path, collision.migration.name))
    if collision.kind is CollisionKind.NUMBER and collision.next_available:
        return f"migration-guard renumber {what} --to {collision.next_available}"
    if collision.kind is CollisionKind.FORK:
        return f"migration-guard renumber {what} --to next"
    return None


def shell_quote(value: str) -> str:
    """``shlex.quote``, except for a name with undecodable bytes (lone surrogates): bash's
    ``$'...'`` with the bytes as ``\\xNN``, so that the command still names the file."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return shlex.quote(value)
    text = "".join(
        f"\\x{ord(ch) - 0xDC00:02x}"
        if "\udc80" <= ch <= "\udcff"
        else "\\" + ch
        if ch in "\\'"
        else ch
        for ch in value
    )
    return f"$'{text}'"


def fix_text(collision: Collision) -> str:
    """The fix line: the command, and when to run it."""
    command = fix_command(collision)
    if collision.kind is CollisionKind.ID:
        return (
            f"give {collision.migration.name or collision.migration.path} a new id (and update "
            "whatever names the old one)"
        )
    assert command is not None
    if collision.kind is CollisionKind.FORK and not collision.with_base and collision.owner:
        return f"once {collision.owner.who} has merged: {command} (re-parents it on the new head)"
    if collision.kind is CollisionKind.FORK:
        return f"{command} (re-parents it on the base branch's head)"
    return command


def label(claim: Claim) -> str:
    """``[console] 0193`` for a numbered migration, ``[console] 27c6a30d7c24`` for an id."""
    key = claim.number_text or claim.id or claim.name
    return f"[{claim.chain}] {key}"


def _kind_word(collision: Collision) -> str:
    return "FORK" if collision.kind is CollisionKind.FORK else "COLLISION"


def _rival_line(collision: Collision, rival: Claim) -> str:
    if collision.kind is CollisionKind.FORK:
        return f"  also built on {collision.parent}: {rival.describe()}"
    verb = "used by" if collision.kind is CollisionKind.ID else "claimed by"
    return f"  also {verb} {rival.describe()}"


def _ownership(collision: Collision) -> str | None:
    owner = collision.owner
    if owner is None:
        return None
    if owner.source is ClaimSource.BASE:
        return "  the base branch has it already: this PR must move"
    if owner.source is ClaimSource.RESERVATION and owner.detail:
        return f"  {owner.detail}: this PR must move"
    if owner.source is ClaimSource.RESERVATION:
        return f"  {owner.who} reserved it: this PR must move"
    first = "opened first" if owner.pr is not None else "added it first"
    if collision.kind is CollisionKind.FORK and collision.migration.number is not None:
        first = "has the lower number"
    return f"  {owner.who} {first} and keeps it: this PR must move"


def _note_lines(note: Collision) -> list[str]:
    m = note.migration
    where_ = where(m.path, m.name)
    others = ", ".join(r.describe() for r in note.rivals)
    if note.kind is CollisionKind.FORK:
        if note.owner is None:
            return [
                f"NOTE {label(m)} — {where_} builds on {note.parent}, as does {others}: this PR "
                "merges first; the other re-parents after it"
            ]
        return [
            f"NOTE {label(m)} — {where_} builds on {note.parent}, as does {others}: once "
            f"{note.owner.who} has merged, re-parent with "
            f"`{fix_command(note)}` (until then nothing to do)"
        ]
    return [
        f"NOTE {label(m)} — {where_}: also claimed by {others}, opened later: they must move; "
        f"this PR keeps {m.number_text or m.id}"
    ]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(line: str) -> str:
    """A report line with control characters from file names shown as escapes, so a PR's
    file name can never start a new line (a forged CI workflow command, a fake verdict)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)


def code_span(value: str) -> str:
    """Text in a Markdown code span inside a table cell: inert, one cell, one line."""
    cleaned = value.replace("`", "'").replace("|", "\\|")
    return f"`{_CONTROL.sub(' ', cleaned)}`"


def _edit_lines(edit: HistoryEdit) -> list[str]:
    where_ = where(edit.path, edit.name)
    if edit.accepted is not None:
        return [
            f"NOTE [{edit.chain}] {where_}: {edit.what} on the base branch; accepted: "
            f"{edit.accepted}"
        ]
    return [
        f"EDITED [{edit.chain}] {where_}: {edit.what}, but the base branch has it already",
        "  a migration that merged may have run somewhere: add a new migration instead",
        f"  to accept it on purpose: label the pull request {ACCEPT_LABEL!r}, or list it "
        f"in allow_edits of chain {edit.chain!r}",
    ]


def _verdict_line(report: CheckReport) -> str:
    outcome, sources = report.outcome, report.sources
    collisions = outcome.collisions
    if report.edits:
        edited = f"{len(report.edits)} edited migration(s) of the base branch"
        if collisions:
            return f"Found {len(collisions)} migration collision(s) and {edited}. FAIL."
        return f"Found {edited}. FAIL."
    if collisions:
        if all(c.kind is CollisionKind.NUMBER for c in collisions):
            return f"Found {len(collisions)} migration-number collision(s). FAIL."
        kinds = ", ".join(
            f"{sum(c.kind is kind for c in collisions)} {kind.value}"
            for kind in CollisionKind
            if any(c.kind is kind for c in collisions)
        )
        return f"Found {len(collisions)} migration collision(s) ({kinds}). FAIL."
    if not sources.complete:
        return "Could not see every open change's files, so no verdict. UNDECIDED."
    return "No migration-number collisions detected. OK."


def text(report: CheckReport, *, quiet: bool = False) -> str:
    """The runbook's lines. ``quiet``: only warnings, collisions, edits, notes and a verdict
    that is not OK (nothing at all for a clean change)."""
    outcome, sources = report.outcome, report.sources
    lines = [] if quiet else _scan_lines(report)
    lines += [f"warning: {p}" for p in (*sources.problems, *sources.warnings)]
    lines += [f"warning: {w}" for w in outcome.warnings]
    for collision in outcome.collisions:
        m = collision.migration
        lines.append(f"{_kind_word(collision)} {label(m)} — {where(m.path, m.name)}")
        lines += [_rival_line(collision, rival) for rival in collision.rivals]
        ownership = _ownership(collision)
        if ownership:
            lines.append(ownership)
        if collision.next_available:
            lines.append(f"  next available number: {collision.next_available}")
        lines.append(f"  fix: {fix_text(collision)}")
    numbered = [c for c in outcome.collisions if c.kind is CollisionKind.NUMBER]
    if any(len([m for m in outcome.new if m.chain == c.migration.chain]) > 1 for c in numbered):
        lines.append(
            "  (several new migrations in one chain: `migration-guard renumber "
            "--branch --to next` moves them as one block onto the next free numbers)"
        )
    for edit in report.history:
        lines += _edit_lines(edit)
    for note in outcome.notes:
        lines += _note_lines(note)
    if not (quiet and report.ok and sources.complete):
        lines.append(_verdict_line(report))
    return "\n".join(printable(line) for line in lines)


def _scan_lines(report: CheckReport) -> list[str]:
    """What was compared: the base, where open changes came from, what was found."""
    outcome, sources = report.outcome, report.sources
    lines = [f"{report.program}: base={sources.base!r} pr={report.pr}"]
    lines.append(f"Open changes from: {sources.provider} ({sources.provider_note})")
    lines.append(f"Found {len(outcome.new)} new migration(s) in this PR:")
    lines += [
        f"  {label(m)} — {where(m.path, m.name)}" + (" (uncommitted)" if m.uncommitted else "")
        for m in outcome.new
    ]
    lines.append(
        f"Found {report.claims_seen} migration file(s) across {sources.changes_scanned} other "
        "open PR(s)."
    )
    if sources.reservations:
        lines.append(
            f"Found {len(sources.reservations)} reservation(s) on {sources.reservations_from}."
        )
    return lines


def _claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "source": claim.source.value,
        **({"pr": claim.pr} if claim.pr is not None else {}),
        **({"ref": claim.ref} if claim.ref and claim.pr is None else {}),
        "path": claim.path,
        **({"name": claim.name} if claim.name else {}),
        **({"id": claim.id} if claim.id else {}),
        **({"detail": claim.detail} if claim.detail else {}),
    }


def _collision_json(c: Collision) -> dict[str, Any]:
    m = c.migration
    return {
        "kind": c.kind.value,
        "chain": m.chain,
        "number": m.number_text or None,
        "id": m.id or None,
        "path": m.path,
        "name": m.name,
        "claimed_by": [_claim_json(claim) for claim in c.rivals],
        "owner": _claim_json(c.owner) if c.owner is not None else None,
        "parent": c.parent,
        "next_available": c.next_available,
        "fix": fix_command(c),
    }


def to_json(report: CheckReport) -> dict[str, Any]:
    outcome, sources = report.outcome, report.sources
    return {
        "ok": report.ok and sources.complete,
        "complete": sources.complete,
        "base": sources.base,
        "pr": report.pr,
        "provider": sources.provider,
        "new": [
            {
                "chain": m.chain,
                "number": m.number_text or None,
                "id": m.id or None,
                "path": m.path,
                "name": m.name,
                "uncommitted": m.uncommitted,
            }
            for m in outcome.new
        ],
        "collisions": [_collision_json(c) for c in outcome.collisions],
        "notes": [_collision_json(c) for c in outcome.notes],
        "history": [edit._asdict() for edit in report.history],
        "next_available": {chain: list(n.numbers) for chain, n in outcome.next_by_chain.items()},
        "open_prs_scanned": sources.changes_scanned,
        "claims_seen": report.claims_seen,
        **(
            {"reservations_seen": len(sources.reservations)}
            if sources.reservations_from is not None
            else {}
        ),
        "problems": list(sources.problems),
        "warnings": [*sources.warnings, *outcome.warnings],
    }


# Inline specials only: the text always sits inside a table cell or list item, never at the
# start of a line, so '#', '-', '+', '.' and '!' (without '[') cannot start a construct there.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>|~&])")


def md_escape(value: str) -> str:
    """Text from a PR (file names) made inert in Markdown and HTML, mentions included."""
    return no_mentions(_MD_SPECIAL.sub(r"\\\1", value.replace("\r", " ").replace("\n", " ")))


_ZWJ = "\u200d"


def no_mentions(value: str) -> str:
    """``@name`` with a zero-width joiner after the ``@``: it still reads ``@name``, but
    neither GitHub nor GitLab sees a mention in it, so a file named ``0193_@all.py`` in a
    pull request notifies nobody. (Code spans need nothing: forges resolve no mentions there,
    and the command inside must stay pasteable.)"""
    return value.replace("@", "@" + _ZWJ)


def markdown(report: CheckReport, *, marker: str) -> str:
    outcome, sources = report.outcome, report.sources
    lines = [f"<!-- {marker} -->", "### Migration number check"]
    if outcome.collisions:
        numbers = all(c.kind is CollisionKind.NUMBER for c in outcome.collisions)
        lines.append(
            f"**{len(outcome.collisions)} migration{'-number' if numbers else ''} "
            f"collision(s)** with {code_span(sources.base)} or other open PRs:"
        )
        lines.append("")
        lines.append("| chain | number | this PR | also claimed by | next free | fix |")
        lines.append("|---|---|---|---|---|---|")
        for c in outcome.collisions:
            m = c.migration
            claimed = "<br>".join(md_escape(claim.describe()) for claim in c.rivals)
            what = md_escape(m.number_text or m.id or m.name)
            if c.kind is CollisionKind.FORK:
                what += f" (fork on {md_escape(c.parent or '')})"
            elif c.kind is CollisionKind.ID:
                what += " (same id)"
            command = fix_command(c)
            fix = md_escape(fix_text(c)) if command is None else code_span(fix_text(c))
            lines.append(
                f"| {md_escape(m.chain)} | {what} | {md_escape(where(m.path, m.name))} | "
                f"{claimed} | **{c.next_available or '-'}** | {fix} |"
            )
    elif not sources.complete:
        lines.append("Could not see every open PR's files; no verdict this time.")
    elif not report.edits:
        lines.append("No migration-number collisions. ✅ (updated after the last push)")
    if report.history:
        lines.append("")
        lines += [
            f"- {md_escape(printable(line))}" for e in report.history for line in _edit_lines(e)
        ]
    if outcome.notes:
        lines.append("")
        lines += [
            f"- {md_escape(printable(line))}" for n in outcome.notes for line in _note_lines(n)
        ]
    if sources.problems:
        lines.append("")
        lines += [f"- warning: {md_escape(p)}" for p in sources.problems]
    lines.append("")
    lines.append(
        f"<sub>Scanned {sources.changes_scanned} other open PR(s) via "
        f"{md_escape(sources.provider)}.</sub>"
    )
    return "\n".join(lines)


def untouched_markdown(marker: str) -> str:
    """The sticky comment once a change no longer touches any migration chain."""
    return "\n".join(
        [
            f"<!-- {marker} -->",
            "### Migration number check",
            "This PR no longer touches any migration chain: nothing to check. ✅",
        ]
    )


def _annotation_escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(report: CheckReport) -> str:
    lines = []
    for c in report.outcome.collisions:
        message = _collision_sentence(c)
        lines.append(
            f"::error file={_annotation_escape(c.migration.path, prop=True)},line=1,"
            f"title={_annotation_escape(f'Migration {c.kind.value} collision', prop=True)}::"
            f"{_annotation_escape(no_mentions(message))}"
        )
    for edit in report.edits:
        message = f"[{edit.chain}] {edit.name}: {edit.what}, but the base branch has it already"
        lines.append(
            f"::error file={_annotation_escape(edit.path, prop=True)},line=1,"
            f"title={_annotation_escape('Merged migration edited', prop=True)}::"
            f"{_annotation_escape(no_mentions(message))}"
        )
    for problem in report.sources.problems:
        lines.append(f"::warning title=migration-guard::{_annotation_escape(no_mentions(problem))}")
    return "\n".join([*lines, text(report)])


def _collision_sentence(c: Collision) -> str:
    """One line for an annotation or a Code Quality issue: who else, the next number, the fix."""
    who = "; ".join(claim.describe() for claim in c.claimed_by)
    if c.kind is CollisionKind.FORK:
        what = f"{label(c.migration)} builds on {c.parent}, as does {who}."
    else:
        what = f"{label(c.migration)} is also claimed by {who}."
    nxt = f" Next available: {c.next_available}." if c.next_available else ""
    return f"{what}{nxt} Fix: {fix_text(c)}"


def _collision_issue(c: Collision) -> Issue:
    m = c.migration
    return Issue(
        check=f"collision/{c.kind.value}",
        description=_collision_sentence(c),
        severity="critical",
        path=m.path,
        line=1,
        key=(m.chain, m.number_text or m.id or m.name),
    )


def ci_cases(report: CheckReport) -> list[Case]:
    """``check`` for GitLab and JUnit: one case per new migration (its collisions), one per
    edited migration of the base branch, and one "open changes" case that is undecided when
    not every open change could be read."""
    collisions: dict[str, list[Issue]] = {}
    for c in report.outcome.collisions:
        collisions.setdefault(c.migration.path, []).append(_collision_issue(c))
    for note in report.outcome.notes:
        m = note.migration
        collisions.setdefault(m.path, []).append(
            Issue(
                check=f"note/{note.kind.value}",
                description=" ".join(_note_lines(note)),
                severity="info",
                path=m.path,
                line=1,
                key=(m.chain, m.number_text or m.id or m.name),
                fails=False,
            )
        )
    cases = [
        Case("check", f"{label(m)} {m.path}", tuple(collisions.get(m.path, ())), path=m.path)
        for m in report.outcome.new
    ]
    for edit in report.history:
        accepted = edit.accepted is not None
        cases.append(
            Case(
                "check",
                f"[{edit.chain}] {edit.path} (edited)",
                (
                    Issue(
                        check="edited-merged-migration",
                        description=" ".join(_edit_lines(edit)),
                        severity="info" if accepted else "critical",
                        path=edit.path,
                        line=1,
                        key=(edit.chain,),
                        fails=not accepted,
                    ),
                ),
                path=edit.path,
            )
        )
    sources = report.sources
    undecided = () if sources.complete else tuple(sources.problems or ("incomplete data",))
    first = report.outcome.new[0].path if report.outcome.new else None
    # (The name identifies the case in fingerprints: no counts in it.)
    cases.append(
        Case("check", f"open changes via {sources.provider}", undecided=undecided, path=first)
    )
    return cases


def emit(
    report: CheckReport,
    output_format: str,
    *,
    out: TextIO,
    env: Mapping[str, str],
    ui: Ui = DEFAULT,
) -> None:
    if output_format in ("gitlab", "junit"):
        print(ci_report.render(output_format, ci_cases(report), suite="check"), file=out)
    elif output_format == "json":
        print(json.dumps(to_json(report), indent=2), file=out)
    elif output_format == "markdown":
        print(markdown(report, marker=COMMENT_MARKER), file=out)
    elif output_format == "github":
        print(github(report), file=out)
        summary = env.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(scrub(markdown(report, marker=COMMENT_MARKER)) + "\n")
    else:
        ui.show(text(report, quiet=ui.quiet), out)
