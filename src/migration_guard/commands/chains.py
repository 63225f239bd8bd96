"""``migration-guard chains``: what chains there are and where each stands."""

from __future__ import annotations

from typing import TextIO

from migration_guard.chains import read_chain
from migration_guard.report import chain_json, chains_text, finding_json, to_json
from migration_guard.workspace import Workspace


def run(*, workspace: Workspace, output_format: str, out: TextIO) -> int:
    states = [read_chain(workspace.tree, spec) for spec in workspace.config.chains]
    if output_format == "json":
        payload = {
            "command": "chains",
            "source": workspace.config.source,
            "chains": [chain_json(s) for s in states],
            "notes": [finding_json(f) for f in workspace.config.notes],
        }
        print(to_json(payload), file=out)
    else:
        print(chains_text(states, workspace.config.source, workspace.config.notes), file=out)
    return 0
