"""``migration-guard chains``: what chains there are and where each stands."""

from __future__ import annotations

from typing import TextIO

from migration_guard.chains import read_chain
from migration_guard.report import chain_json, chains_text, finding_json, read_note, to_json
from migration_guard.ui import DEFAULT, Ui
from migration_guard.workspace import Workspace


def run(*, workspace: Workspace, output_format: str, out: TextIO, ui: Ui = DEFAULT) -> int:
    states = [read_chain(workspace.tree, spec) for spec in workspace.config.chains]
    for state in states:
        ui.note(read_note(state))
    if output_format == "json":
        payload = {
            "command": "chains",
            "source": workspace.config.source,
            "chains": [chain_json(s) for s in states],
            "notes": [finding_json(f) for f in workspace.config.notes],
        }
        print(to_json(payload), file=out)
    elif output_format in ("gitlab", "junit"):
        from migration_guard import ci_report  # only for these formats (start-up time)

        # The listing's findings; whether heads can be decided is `heads`' question.
        cases = ci_report.state_cases("chains", states, undecided=False)
        cases += [
            ci_report.Case(
                "chains", "configuration", tuple(ci_report.finding_issue(f, "") for f in notes)
            )
            for notes in [workspace.config.notes]
            if notes
        ]
        print(ci_report.render(output_format, cases, suite="chains"), file=out)
    else:
        text = chains_text(states, workspace.config.source, workspace.config.notes, quiet=ui.quiet)
        ui.show(text, out)
    return 0
