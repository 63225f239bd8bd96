"""Run migration-guard on checkouts of real projects and print one verdict table.

Not part of the test suite (the projects are not in this repository): point it at clones you
have, e.g. ``python scripts/real_world.py ~/src/airflow ~/src/superset``. For each folder it
runs ``chains``, ``heads`` and ``lint`` (``--format json``) in-process, as a user would with no
configuration, and prints the chains found, their numbering mode, migration counts, heads and
exit codes, with the finding codes that fired. A project's verdicts should match what its own
tool says (Alembic loads it; sqitch accepts its plan): any exit 1 is worth a look.

    python scripts/real_world.py DIR [DIR ...] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from migration_guard.cli import main as cli_main  # noqa: E402


def run(folder: Path, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["-C", str(folder), *args, "--format", "json"])
    try:
        payload = json.loads(out.getvalue()) if out.getvalue().strip() else None
    except ValueError:
        payload = None
    return code, payload, err.getvalue().strip().splitlines()[0] if err.getvalue() else ""


def rows_for(folder: Path) -> list[list[str]]:
    code, chains, error = run(folder, "chains")
    if chains is None:
        return [[folder.name, "-", "-", "-", "-", f"chains exit {code}: {error}", "", ""]]
    heads_code, _, _ = run(folder, "heads")
    if not chains["chains"]:
        notes = Counter(n["code"] for n in chains.get("notes", []))
        found = " ".join(f"{c}x{n}" for c, n in sorted(notes.items())) or "-"
        return [[folder.name, "(none)", "-", "-", "-", "-", f"heads {heads_code}", found]]
    lint_code, lint, _ = run(folder, "lint")
    by_name = {c["name"]: c for c in (lint or {}).get("chains", [])}
    rows = []
    for chain in chains["chains"]:
        findings = Counter(f["code"] for f in by_name.get(chain["name"], chain)["findings"])
        rows.append(
            [
                folder.name,
                chain["name"],
                chain["kind"],
                chain.get("numbering", "?"),
                str(chain["migrations"]),
                ", ".join(h["revision"] for h in chain["heads"][:3])
                + (" ..." if len(chain["heads"]) > 3 else ""),
                f"heads {heads_code} / lint {lint_code}",
                " ".join(f"{c}x{n}" for c, n in sorted(findings.items())) or "-",
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    header = ["project", "chain", "kind", "numbering", "migrations", "heads", "exits", "findings"]
    rows = [header]
    for folder in args.folders:
        rows += rows_for(folder)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows[1:]:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
