"""The runbook's entry points as thin wrappers around migration-guard, so that every
command in the runbook works verbatim (``init --scripts``):

* ``python3 scripts/ci/check_migration_collision.py --base-sha origin/main --pr-number 0``
  is ``migration-guard check ...``, reporting as ``check_migration_collision``;
* ``bash scripts/ci/check_alembic_single_head.sh [--console-only]`` is ``migration-guard
  heads ...``;
* ``bash scripts/ci/validate-sqitch-plan.sh PLAN`` is ``migration-guard lint PLAN``.

Each runs migration-guard however it is installed: importable by this Python (pip), as an
executable on PATH (pipx), or not at all: then it says how to install it and exits 3 ("could
not decide"). The name a wrapper reports under travels in ``$MIGRATION_GUARD_PROG``
(``cli.main(argv, prog=...)`` for the Python one).
"""

from __future__ import annotations

from typing import NamedTuple

from migration_guard import project

FOLDER = "scripts/ci"


class Wrapper(NamedTuple):
    path: str
    command: str  # the migration-guard command it runs
    prog: str  # the name it reports under
    text: str


def install_hint(prog: str, command: str) -> str:
    """What a wrapper prints when migration-guard is nowhere to be found."""
    url = f"git+{project.REPOSITORY_URL}@{project.release_tag()}"
    return (
        f"{prog}: migration-guard is not installed (not importable by python3, not on PATH).\n"
        "Install it (no package index needed), then run this again:\n"
        f'  pip install "{project.pip_requirement()}"\n'
        f'  pipx install "{url}"\n'
        f'or run it without installing: uvx --from "{url}" migration-guard {command} ...\n'
    )


def _python(prog: str, command: str, summary: str, usage: str) -> str:
    return f'''\
#!/usr/bin/env python3
"""{summary}

Written by `migration-guard init --scripts`: a thin wrapper, so that the runbook's command
works verbatim:

    {usage}

Every argument goes to `migration-guard {command}` (see `migration-guard {command} --help`).
It runs migration-guard importable by this Python, else the `migration-guard` executable on
PATH (pipx), else says how to install it and exits 3.
"""

import os
import shutil
import subprocess
import sys

PROG = "{prog}"
INSTALL_HINT = """\\
{install_hint(prog, command)}"""


def main(argv: list[str]) -> int:
    args = ["{command}", *argv]
    try:
        from migration_guard.cli import main as guard
    except ImportError:
        pass
    else:
        return guard(args, prog=PROG)
    executable = shutil.which("migration-guard")
    if executable is not None:
        env = {{**os.environ, "MIGRATION_GUARD_PROG": PROG}}
        return subprocess.call([executable, *args], env=env)
    sys.stderr.write(INSTALL_HINT)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


def _bash(prog: str, command: str, summary: str, usage: str, more: str) -> str:
    return f"""\
#!/usr/bin/env bash
# {summary}
#
# Written by `migration-guard init --scripts`: a thin wrapper, so that the runbook's command
# works verbatim:
#
#     {usage}
#
# Every argument goes to `migration-guard {command}`{more}. It runs the
# `migration-guard` executable on PATH (pipx), else migration-guard importable by python3,
# else says how to install it and exits 3.
set -u
export MIGRATION_GUARD_PROG={prog}
if command -v migration-guard >/dev/null 2>&1; then
  exec migration-guard {command} "$@"
fi
for python in python3 python; do
  if command -v "$python" >/dev/null 2>&1 && "$python" -c "import migration_guard" 2>/dev/null; then
    exec "$python" -m migration_guard {command} "$@"
  fi
done
cat >&2 <<'EOF'
{install_hint(prog, command)}EOF
exit 3
"""


def wrappers() -> tuple[Wrapper, ...]:
    """The three runbook scripts."""
    check = "check_migration_collision"
    heads = "check_alembic_single_head"
    lint = "validate-sqitch-plan"
    return (
        Wrapper(
            f"{FOLDER}/{check}.py",
            "check",
            check,
            _python(
                check,
                "check",
                "The runbook's migration-number collision guard, now `migration-guard check`.",
                f"python3 {FOLDER}/{check}.py --base-sha origin/main --pr-number 0 "
                "[--post-comment]",
            ),
        ),
        Wrapper(
            f"{FOLDER}/{heads}.sh",
            "heads",
            heads,
            _bash(
                heads,
                "heads",
                "The runbook's Alembic single-head gate, now `migration-guard heads` "
                "(no database).",
                f"bash {FOLDER}/{heads}.sh [--console-only]",
                " (`--NAME-only` checks chain NAME only)",
            ),
        ),
        Wrapper(
            f"{FOLDER}/{lint}.sh",
            "lint",
            lint,
            _bash(
                lint,
                "lint",
                "The runbook's sqitch plan linter, now `migration-guard lint`.",
                f"bash {FOLDER}/{lint}.sh queue/migrations/sqitch/sqitch.plan",
                " (a plan path, a chain name, or nothing: every chain)",
            ),
        ),
    )
