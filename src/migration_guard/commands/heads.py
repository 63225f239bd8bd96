"""``migration-guard heads``: the single-head gate for Alembic chains, with no database.

A chain passes with one head, or with several heads each ending a labelled branch of its own
(Alembic's intentional branches, ``alembic upgrade heads``). Exit 1 when a chain fails, else
3 when a chain's branch labels cannot be read statically and its verdict depends on them.
"""

from __future__ import annotations

from typing import TextIO

from migration_guard.chains import read_chain, registry
from migration_guard.chains.kind import Capability
from migration_guard.errors import UsageError
from migration_guard.model import ChainSpec
from migration_guard.report import chain_json, heads_text, read_note, to_json
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace


def run(
    *,
    workspace: Workspace,
    chains: list[str],
    output_format: str,
    out: TextIO,
    ui: Ui = DEFAULT,
) -> int:
    selected = workspace.config.select(chains)
    linear = [c for c in selected if not _graph(c)]
    if chains and linear:
        name = linear[0].name
        raise UsageError(
            f"chain {name!r} is a {linear[0].kind.value} chain; heads checks chains whose "
            "migrations form a graph (Alembic, Django)",
            hint=f"use `migration-guard lint {name}`",
        )
    specs = [c for c in selected if _graph(c)]
    if not specs:
        raise workspace.config.nothing_to(
            "no Alembic or Django chains to check",
            hint="configure one in migration-guard.toml, or see `migration-guard chains`",
        )
    states = [read_chain(workspace.tree, spec) for spec in specs]
    for state in states:
        ui.note(read_note(state))
    ok = all(s.heads_ok for s in states)
    # A chain that fails fails the gate; one whose branches cannot be read cannot pass it.
    failed = any(not s.heads_ok and not (s.ok and s.undecided) for s in states)
    if output_format == "json":
        payload = {
            "command": "heads",
            "ok": ok,
            "decided": ok or failed,
            "chains": [chain_json(s) for s in states],
        }
        print(to_json(payload), file=out)
    elif output_format in ("gitlab", "junit"):
        from migration_guard import ci_report  # only for these formats (start-up time)

        cases = ci_report.state_cases("heads", states, heads=True)
        print(ci_report.render(output_format, cases, suite="heads"), file=out)
    else:
        ui.show(heads_text(states, quiet=ui.quiet), out)
    return 0 if ok else 1 if failed else 3


def _graph(spec: ChainSpec) -> bool:
    return Capability.HEADS in registry.kind_of(spec.kind).capabilities
