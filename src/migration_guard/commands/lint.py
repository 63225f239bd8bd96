"""``migration-guard lint``: sqitch plan linter and Alembic chain checks."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from migration_guard.chains import read_chain, registry
from migration_guard.chains.kind import Capability
from migration_guard.errors import UsageError
from migration_guard.model import ChainSpec, ChainState
from migration_guard.report import chain_json, lint_text, plural, read_note, to_json
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace


def _resolve_targets(workspace: Workspace, targets: list[str], cwd: Path) -> list[ChainSpec]:
    by_name = {c.name: c for c in workspace.config.chains}
    by_path = {c.path: c for c in workspace.config.chains}
    specs: list[ChainSpec] = []
    for target in targets:
        if target in by_name:
            specs.append(by_name[target])
            continue
        rel = workspace.relpath(target, cwd)
        if rel in by_path:
            specs.append(by_path[rel])
        elif workspace.tree.is_dir(rel) or rel.endswith(".py"):
            raise UsageError(
                f"{target} is not a configured chain",
                hint="name a chain (see `migration-guard chains`) or a sqitch plan file",
            )
        elif workspace.tree.exists(rel):
            specs.append(_adhoc_plan_spec(rel))
        else:
            known = ", ".join(by_name) or "(none)"
            raise UsageError(f"{target}: no such chain or file", hint=f"known chains: {known}")
    return specs


def _adhoc_plan_spec(rel: str) -> ChainSpec:
    """A plan file that no configured chain names: lint it with inferred conventions."""
    name = rel.rsplit("/", 2)[-2] if "/" in rel else "plan"
    return ChainSpec(
        name=name, title=rel, kind=registry.FILE_LINTER, path=rel, width=0, discovered=True
    )


def run(
    *,
    workspace: Workspace,
    targets: list[str],
    syntax_only: bool,
    output_format: str,
    out: TextIO,
    cwd: Path,
    ui: Ui = DEFAULT,
) -> int:
    specs = _resolve_targets(workspace, targets, cwd) if targets else list(workspace.config.chains)
    if syntax_only:
        others = [s.name for s in specs if not _lints_files(s)]
        if targets and others:
            raise UsageError(f"--syntax-only checks sqitch plans; {others[0]!r} is not one")
        specs = [s for s in specs if _lints_files(s)]
    if not specs:
        raise workspace.config.nothing_to(
            "no chains to lint",
            hint="configure one in migration-guard.toml, or see `migration-guard chains`",
        )
    states = [_lint_one(workspace, spec, syntax_only=syntax_only) for spec in specs]
    for state in states:
        ui.note(read_note(state))
    failed = sum(not s.ok for s in states)
    undecided = sum(s.ok and bool(s.undecided) for s in states)
    ok = not failed and not undecided
    if output_format == "json":
        payload = {
            "command": "lint",
            "ok": ok,
            "decided": not undecided or bool(failed),
            "chains": [chain_json(s) for s in states],
        }
        print(to_json(payload), file=out)
    elif output_format in ("gitlab", "junit"):
        from migration_guard import ci_report  # only for these formats (start-up time)

        cases = ci_report.state_cases("lint", states)
        print(ci_report.render(output_format, cases, suite="lint"), file=out)
    else:
        ui.show(lint_text(states, quiet=ui.quiet), out)
        if failed:
            verdict = f"{plural(failed, 'chain')} with problems. FAIL."
        elif undecided:
            verdict = f"{plural(undecided, 'chain')} could not be decided. COULD NOT DECIDE."
        else:
            verdict = "OK."
        if not (ok and ui.quiet):
            ui.show(f"lint: {plural(len(states), 'chain')} checked. {verdict}", out)
    return 0 if ok else 1 if failed else 3


def _lints_files(spec: ChainSpec) -> bool:
    return Capability.FILE_LINT in registry.kind_of(spec.kind).capabilities


def _lint_one(workspace: Workspace, spec: ChainSpec, *, syntax_only: bool) -> ChainState:
    own = registry.kind_of(spec.kind).lint_only(workspace.tree, spec, syntax_only=syntax_only)
    return own if own is not None else read_chain(workspace.tree, spec)
