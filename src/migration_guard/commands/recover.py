"""``migration-guard recover``: a collision already merged; explain it and repair it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from migration_guard import git, journal
from migration_guard.apply import Hotfix, apply_plan
from migration_guard.chain_bounds import ChainBound
from migration_guard.chains import read_chain, read_readable, registry
from migration_guard.chains.kind import Capability, shown, shown_new, unsupported
from migration_guard.edits import EditPlan, unified_diff
from migration_guard.errors import InputError, UsageError
from migration_guard.model import (
    Severity,
)
from migration_guard.recovery import Landing, Repair
from migration_guard.report import finding_json, finding_lines, read_note, state_line, where
from migration_guard.tree import Tree
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace


def _describe(repair: Repair, key: str) -> str:
    landing = repair.landings.get(key)
    if landing is None:
        return "not committed yet"
    when = dt.datetime.fromtimestamp(landing.timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M")
    return f"{landing.label}, {when} UTC, {landing.commit[:10]} {landing.subject!r}"


def _text(
    repairs: Sequence[Repair], *, applied: bool, dry: bool, committed: bool, quiet: bool = False
) -> str:
    """``quiet``: without the chains that are fine and without the final OK."""
    lines: list[str] = []
    for r in repairs:
        title = f"{r.spec.title} ({r.spec.kind.value}, {where(r.spec)})"
        if r.blockers:
            lines += _blocked_lines(r, title)
            continue
        if r.diagnosis.ok and r.state.undecided:
            lines.append(f"{title}: COULD NOT DECIDE (no collision by number or id)")
            lines += [f"  {reason}" for reason in r.state.undecided]
            continue
        if r.diagnosis.ok:
            if not quiet:
                lines.append(f"{title}: OK (no collision)")
            continue
        heads = len(r.state.heads)
        graph = Capability.HEADS in registry.kind_of(r.spec.kind).capabilities
        lines.append(f"{title}: COLLISION" + (f" ({heads} heads)" if graph else ""))
        for c in r.diagnosis.collisions:
            lines.append(f"  {c.reason} {c.value!r}:")
            lines.append(f"    {c.survivor} landed first ({_describe(r, c.survivor)})")
            for mover in c.movers:
                lines.append(f"    {mover} landed second ({_describe(r, mover)})")
        kind = registry.kind_of(r.spec.kind)
        for move in r.moves:
            what, new = shown(kind, move.migration), shown_new(kind, move)
            if move.new_number:
                lines.append(f"  repair: {what} -> {new}")
            else:
                lines.append(f"  repair: re-parent {what} (name and id kept)")
        if r.parent:
            lines.append(
                f"  the first moved migration goes on top of {r.parent} (the surviving "
                "head); moved migrations keep their links to each other"
            )
        lines += [f"  {note}" for note in r.plan.notes]
    broken = [r for r in repairs if not r.ok]
    if any(r.blockers for r in repairs):
        lines.append(
            "recover: found problems it cannot repair (above); nothing was changed. Fix them "
            "by hand (`migration-guard lint` explains each), then run recover again. FAIL."
        )
    elif not broken and any(r.state.undecided for r in repairs):
        lines.append(
            "recover: no collision by number or id; forks cannot be told from intentional "
            "branches where branch labels cannot be read. COULD NOT DECIDE."
        )
    elif not broken:
        if not quiet:
            lines.append("recover: no collision found. OK.")
    elif applied:
        review = "`git show`" if committed else "`git diff`, commit"
        lines.append(
            f"recover: repaired. Check {review}, then open a hotfix PR; do not deploy "
            "until CI is green."
        )
    else:
        plan = EditPlan()
        for r in broken:
            plan = plan.merged(r.plan)
        if dry:
            lines.append("")
            lines.append(unified_diff(plan).rstrip())
        lines.append(
            "recover: collision found. Run again with --apply (and --branch "
            "hotfix/NAME to commit it on a new branch). FAIL."
        )
    return "\n".join(lines)


def _blocked_lines(r: Repair, title: str) -> list[str]:
    """A chain recover cannot repair: the collisions it sees anyway, and why it stops."""
    lines = [f"{title}: {'COLLISION, ' if not r.diagnosis.ok else ''}CANNOT REPAIR"]
    for c in r.diagnosis.collisions:
        lines.append(f"  {c.reason} {c.value!r}:")
        lines.append(f"    {c.survivor} landed first ({_describe(r, c.survivor)})")
        for mover in c.movers:
            lines.append(f"    {mover} landed second ({_describe(r, mover)})")
    lines.append(
        "  recover moves only migrations whose links it can read, in a chain without cycles; "
        "it cannot repair while these stand:"
    )
    lines += finding_lines(r.blockers, indent="    ")
    return lines


def _json(repairs: Sequence[Repair], *, applied: bool, branch: str | None) -> dict[str, Any]:
    return {
        "ok": all(r.ok and not r.state.undecided for r in repairs) or applied,
        "applied": applied,
        "branch": branch,
        "chains": [
            {
                "name": r.spec.name,
                "kind": r.spec.kind.value,
                "collision": not r.diagnosis.ok,
                "heads": [h.revision for h in r.state.heads],
                "branched": r.state.branched,
                "undecided": list(r.state.undecided),
                "unrepairable": [finding_json(f) for f in r.blockers],
                "collisions": [
                    {
                        "reason": c.reason,
                        "value": c.value,
                        "survivor": c.survivor,
                        "movers": list(c.movers),
                        "landed": {k: _landing_json(r.landings.get(k)) for k in c.members},
                    }
                    for c in r.diagnosis.collisions
                ],
                "moves": [
                    {
                        "from": m.migration.number_text,
                        "to": m.new_number,
                        "path": m.migration.path,
                        "new_path": m.new_path,
                        "name": m.migration.name,
                        "new_name": m.new_name,
                    }
                    for m in r.moves
                ],
                "parent": r.parent,
                "notes": list(r.plan.notes),
                "diff": unified_diff(r.plan),
            }
            for r in repairs
        ],
    }


def _landing_json(landing: Landing | None) -> dict[str, Any] | None:
    if landing is None:
        return None
    return {
        "commit": landing.commit,
        "timestamp": landing.timestamp,
        "subject": landing.subject,
        "pr": landing.pr,
    }


def commit_message(repairs: Sequence[Repair]) -> str:
    parts = []
    for r in repairs:
        for c in r.diagnosis.collisions:
            for mover in c.movers:
                move = next(
                    (m for m in r.moves if mover in (m.migration.path, m.migration.name)), None
                )
                if move is None:
                    continue
                short = mover.rsplit("/", 1)[-1]
                survivor = c.survivor.rsplit("/", 1)[-1]
                landing = r.landings.get(mover)
                who = f" ({landing.label} merged second)" if landing else ""
                action = (
                    f"renumber {r.spec.name} {short} to {move.new_number}"
                    if move.new_number
                    else f"re-parent {r.spec.name} {short} onto {r.parent}"
                )
                parts.append(f"{action} after collision with {survivor}{who}")
    summary = "hotfix: " + "; ".join(dict.fromkeys(parts))
    body = "\n".join(
        f"- {m.spec.name}: {m.migration.name} -> {m.new_name}" for r in repairs for m in r.moves
    )
    from migration_guard.services.history import RECOVER_TRAILER

    # The trailer tells `check` that the renamed merged files are a sanctioned repair.
    return (
        f"{summary}\n\nGenerated by `migration-guard recover --apply`.\n\n{body}\n\n"
        f"{RECOVER_TRAILER}\n"
    )


def run(
    *,
    workspace: Workspace,
    chains: Sequence[str],
    rev: str | None,
    apply: bool,
    branch: str | None,
    dry_run: bool,
    output_format: str,
    out: TextIO,
    ui: Ui = DEFAULT,
) -> int:
    if branch and not apply:
        raise UsageError("--branch creates the hotfix commit: it needs --apply")
    if not workspace.in_git:
        raise UsageError("recover reads git history: run it inside the repository")
    if apply and rev is not None:
        raise UsageError("--apply repairs the working tree: check out REF instead of --rev")
    if branch is not None:
        branch = branch_name(workspace.root, branch)
    if apply:
        journal.refuse_if_pending(workspace.root, workspace.in_git)
    tree: Tree = workspace.tree  # the working tree, or REF's tree with --rev
    rev = rev or "HEAD"
    specs = workspace.config.select(list(chains))
    if not specs:
        raise workspace.config.nothing_to(
            "no chains to recover",
            hint="configure one in migration-guard.toml, or see `migration-guard chains`",
        )
    kinds = {s.name: registry.kind_of(s.kind) for s in specs}
    for spec in specs:
        if Capability.RECOVER not in kinds[spec.name].capabilities:
            raise unsupported(kinds[spec.name], "recover", [spec.name])
    repairs = [
        kinds[spec.name].plan_repair(tree, spec, read_readable(tree, spec), workspace.root, rev)
        for spec in specs
    ]
    for repair in repairs:
        ui.note(read_note(repair.state))
    broken = [r for r in repairs if not r.ok]
    blocked = any(r.blockers for r in repairs)
    applied = False
    if apply and broken and not blocked:
        _apply(workspace, broken, branch)
        applied = True
    if output_format == "json":
        print(json.dumps(_json(repairs, applied=applied, branch=branch), indent=2), file=out)
    else:
        dry = dry_run or not apply
        text = _text(repairs, applied=applied, dry=dry, committed=bool(branch), quiet=ui.quiet)
        ui.show(text, out)
        if applied:
            after = [read_chain(workspace.tree, r.spec) for r in broken]
            for state in after:
                if not (ui.quiet and state.heads_ok and not state.findings):
                    ui.show(state_line(state), out)
            if branch:
                print(
                    f"Committed on branch {branch}: push it and open the hotfix PR "
                    f"(git push -u origin {branch}).",
                    file=out,
                )
    if not broken:
        return 3 if any(r.state.undecided for r in repairs) else 0
    return 0 if applied and not blocked else 1


def branch_name(root: Path, given: str) -> str:
    """``--branch``: a name git accepts for a new branch (``git check-ref-format --branch``),
    checked before anything changes. ``refs/heads/NAME`` means NAME: git would otherwise
    create a branch literally called ``refs/heads/NAME``."""
    name = given.removeprefix("refs/heads/")
    hint = (
        "name a new branch, e.g. hotfix/console-0145 (no '..', spaces, '~^:?*[\\', "
        "leading '-' or trailing '.lock'; see git check-ref-format)"
    )
    if name.startswith("refs/") or name in ("", "@"):
        raise UsageError(f"--branch {given!r} is not a branch name", hint=hint)
    checked = git.new_branch_name(name, cwd=root)
    if checked is None or "\n" in name:
        raise UsageError(f"--branch {given!r} is not a valid branch name", hint=hint)
    return checked  # as git reads it (@{-1}: the branch checked out before)


def _apply(workspace: Workspace, broken: Sequence[Repair], branch: str | None) -> None:
    plan = EditPlan()
    for repair in broken:
        plan = plan.merged(repair.plan)

    def validate() -> None:
        for repair in broken:
            state = read_chain(workspace.tree, repair.spec)
            errors = [f for f in state.findings if f.severity is Severity.ERROR]
            settled = (
                Capability.HEADS not in registry.kind_of(repair.spec.kind).capabilities
                or state.heads_ok
                or bool(state.undecided)  # (no worse: it could not be told before either)
            )
            if errors or not settled:
                details = "\n".join(finding_lines(errors))
                raise InputError(
                    f"the repair would leave chain {repair.spec.name!r} broken; nothing was "
                    f"changed:\n{details}"
                )

    # The branch and the commit are steps of the all-or-nothing write: if any fails (or the
    # run is stopped), nothing stays changed.
    apply_plan(
        workspace.root,
        plan,
        in_git=True,
        after_apply=validate,
        hotfix=Hotfix(branch, commit_message(broken)) if branch else None,
        bounds=[ChainBound.settled(repair.spec.name) for repair in broken],
    )
