"""``migration-guard renumber``: the runbook's renumber procedure as one safe command.

Plan every edit first (pure planners per chain kind), show it, then apply it all-or-nothing
and validate the chain afterwards; a result that is worse than before is rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from migration_guard import journal, signals
from migration_guard.apply import ApplyError, Registry, execute, undo
from migration_guard.chain_bounds import ChainBound
from migration_guard.chains import read_chain, registry
from migration_guard.chains.kind import Move, shown, shown_new
from migration_guard.edits import EditPlan, unified_diff
from migration_guard.errors import UsageError
from migration_guard.model import ChainState, Severity
from migration_guard.report import finding_lines, heads_brief, state_line
from migration_guard.services.renumber_apply import (
    ValidationError,
    clean,
    graph,
    renumber,
    undecided,
)
from migration_guard.services.renumbering import Options
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace

__all__ = ["ValidationError", "resume", "run"]


def run(
    *,
    workspace: Workspace,
    targets: Sequence[str],
    branch: bool,
    options: Options,
    output_format: str,
    out: TextIO,
    cwd: Path,
    ui: Ui = DEFAULT,
) -> int:
    done = renumber(workspace=workspace, targets=targets, branch=branch, options=options, cwd=cwd)
    moves, plan, after, remaining = done.moves, done.plan, done.after, done.remaining
    ui.note(
        f"planned {len(moves)} move(s): {len(plan.edits)} edit(s), {len(plan.renames)} rename(s)"
    )
    if after is None:
        _report(moves, plan, None, output_format, out, dry_run=True, ui=ui)
        return 0
    _report(
        moves,
        plan,
        after,
        output_format,
        out,
        dry_run=False,
        base=done.base,
        remaining=remaining,
        ui=ui,
    )
    if remaining or any(not clean(s) and not undecided(s) for s in after.values()):
        return 1
    return 3 if any(undecided(s) for s in after.values()) else 0


def _report(
    moves: Sequence[Move],
    plan: EditPlan,
    after: Mapping[str, ChainState] | None,
    output_format: str,
    out: TextIO,
    *,
    dry_run: bool,
    base: str | None = None,
    remaining: Sequence[str] = (),
    ui: Ui = DEFAULT,
) -> None:
    """The moves (the answer, also under --quiet), the diff of a dry run, then the chains
    after the change and what to do next (left out under --quiet, unless a chain has
    problems)."""
    if output_format == "json":
        payload: dict[str, Any] = {
            "ok": not remaining and all(clean(s) for s in (after or {}).values()),
            "collisions": list(remaining),
            "dry_run": dry_run,
            "moves": [
                {
                    "chain": m.spec.name,
                    "from": m.migration.number_text,
                    "to": m.new_number,
                    "name": m.migration.name,
                    "new_name": m.new_name,
                    "path": m.migration.path,
                    "new_path": m.new_path,
                }
                for m in moves
            ],
            "renames": [{"from": r.old_path, "to": r.new_path} for r in plan.renames],
            "edited": [e.path for e in plan.edits],
            "notes": list(plan.notes),
            "diff": unified_diff(plan),
        }
        if after is not None:
            payload["validation"] = {
                name: {"ok": s.ok, "heads": [h.revision for h in s.heads]}
                for name, s in after.items()
            }
        print(json.dumps(payload, indent=2), file=out)
        return
    lines = []
    for m in moves:
        kind = registry.kind_of(m.spec.kind)
        what, new = shown(kind, m.migration), shown_new(kind, m)
        lines.append(f"[{m.spec.name}] {_version(m)} -> {m.new_number}: {what} -> {new}")
    lines += [f"  {note}" for note in plan.notes]
    if dry_run:
        lines.append("")
        lines.append(unified_diff(plan).rstrip())
        lines.append("")
        lines.append("Dry run: nothing was changed.")
    else:
        assert after is not None
        quiet = ui.quiet
        if not quiet:
            lines.append(f"Changed {len(plan.edits)} file(s), renamed {len(plan.renames)}.")
        for state in after.values():
            if quiet and clean(state) and not state.findings and not state.undecided:
                continue
            lines.append(state_line(state))
            if graph(state.spec):
                lines += [f"  {reason}" for reason in state.undecided]
            lines += finding_lines(state.findings)
        if any(not clean(s) and not undecided(s) for s in after.values()):
            lines.append(
                "The chain still has problems (it had them before this renumber, which added "
                "none): see `migration-guard recover` for a collision that already merged."
            )
            ui.show("\n".join(lines), out)
            return
        if remaining:
            lines += [f"COLLISION {r} (forced)" for r in remaining]
        if quiet:
            ui.show("\n".join(lines), out)
            return
        if not remaining and base is not None:
            lines.append(f"Collision check against {base} and open PRs: OK.")
        names = ", ".join(f"{m.spec.name} {_version(m)} to {m.new_number}" for m in moves)
        lines.append("Next: review `git diff`, then")
        lines.append(f'  git add -A && git commit -m "Renumber {names}" && git push')
        lines.append("  migration-guard check   # the collision guard should pass now")
    ui.show("\n".join(lines), out)


# --- an interrupted run: --abort / --continue -------------------------------------------------


def _what_undo_restored(record: journal.Journal) -> str:
    """Only what this journal's run could have changed: no git index outside git, no sqitch
    registry for a chain without deployed changes."""
    data = record.data
    parts = ["files"]
    if data["in_git"]:
        parts.append("git index")
    if isinstance(data.get("registry"), dict) and data["registry"].get("targets"):
        parts.append("sqitch registry")
    if data.get("hotfix") is not None:
        parts.append(f"branch {data['hotfix']['branch']}")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def resume(*, workspace: Workspace, action: str, out: TextIO) -> int:
    """``--abort``: undo everything a killed run applied (files, index, sqitch registry, a
    hotfix branch), newest first. ``--continue``: finish its remaining steps. Either way the
    journal is removed once done; if this run is stopped too, the journal stays."""
    record = journal.load(workspace.root, workspace.in_git)
    if record is None:
        where = journal.location(workspace.root, workspace.in_git)
        raise UsageError(
            f"no interrupted run to {action}: there is no journal in {where}",
            hint="--abort and --continue resolve a renumber or recover --apply that was killed",
        )
    described = record.describe()
    registry = _recorded_registry(workspace, record)
    if action == "abort":
        with signals.interruptible(), signals.deferred():
            problems = undo(record, workspace.root, registry)
            if not problems:
                record.remove()
        if problems:
            raise ApplyError(
                f"could not undo everything of {described}: " + "; ".join(problems),
                hint=f"the journal in {record.folder} is kept: fix what is named, then run "
                "`migration-guard renumber --abort` again",
            )
        print(f"Aborted {described}.", file=out)
        print(f"Every applied step was undone: {_what_undo_restored(record)}.", file=out)
        return 0
    left = len(record.steps) - record.applied
    with signals.interruptible():
        try:
            execute(
                record,
                workspace.root,
                registry=registry,
                validate=_recorded_validation(workspace, record),
            )
        except KeyboardInterrupt as exc:
            exc.add_note(
                "the journal keeps what is done: run `migration-guard renumber --continue` or "
                "`--abort`"
            )
            raise
        except ValidationError as exc:
            raise ValidationError(
                f"cannot finish {described}: {exc.message}",
                hint=f"the journal in {record.folder} is kept: undo the run with "
                "`migration-guard renumber --abort`",
            ) from exc
    record.remove()
    print(f"Continued {described}.", file=out)
    print(f"Finished the {left} remaining step(s).", file=out)
    return _report_touched(workspace, list(record.data["originals"]), out)


def _recorded_validation(workspace: Workspace, record: journal.Journal) -> Callable[[], None]:
    """The killed run's validation, repeated: each chain within the bound it recorded."""
    bounds = [ChainBound.from_json(b) for b in record.data.get("bounds", [])]
    specs = {spec.name: spec for spec in workspace.config.chains}

    def validate() -> None:
        for bound in bounds:
            spec = specs.get(bound.chain)
            if spec is None:
                raise ValidationError(f"chain {bound.chain!r} is no longer configured")
            state = read_chain(workspace.tree, spec)
            if bound.exceeded_by(state):
                details = "\n".join(
                    finding_lines([f for f in state.findings if f.severity is Severity.ERROR])
                )
                heads = f" ({heads_brief(state)})" if graph(spec) else ""
                raise ValidationError(
                    f"chain {bound.chain!r} would be left with new problems{heads}"
                    + (f":\n{details}" if details else "")
                )

    return validate


def _recorded_registry(workspace: Workspace, record: journal.Journal) -> Registry | None:
    data = record.data.get("registry")
    if data is None:
        return None
    from migration_guard.chains.sqitch.conf import find_sqitch_conf
    from migration_guard.databases.sqitch_rename import from_record

    conf = find_sqitch_conf(workspace.tree, data["plan_path"])
    return from_record(data, conf, workspace.root)


def _report_touched(workspace: Workspace, touched: Sequence[str], out: TextIO) -> int:
    """The state of every chain the run touched, as a finished renumber reports it."""
    specs = [
        spec
        for spec in workspace.config.chains
        if any(
            p == f or p.startswith(f"{f}/")
            for p in touched
            for f in registry.kind_of(spec.kind).owned_folders(spec)
        )
    ]
    code = 0
    for spec in specs:
        state = read_chain(workspace.tree, spec)
        print(state_line(state), file=out)
        for line in finding_lines(state.findings):
            print(line, file=out)
        if not clean(state):
            code = 1
    return code


def _version(move: Move) -> str:
    """What the migration is numbered now: its number, or (a timestamp, Flyway's 1.2.3) the
    version it is keyed by."""
    if move.migration.number_text or not move.new_number:
        return move.migration.number_text
    return move.migration.id
