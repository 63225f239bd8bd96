"""Command-line entry point: parse arguments, run one command, map errors to exit codes."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_guard import __version__
from migration_guard.errors import GuardError, UsageError

if TYPE_CHECKING:
    from migration_guard.ui import Ui
    from migration_guard.workspace import Workspace

EXIT_INTERNAL = 3
PROVIDERS = ("auto", "github", "gitlab", "git", "none")
_ONLY_FLAG = re.compile(r"^--([a-z0-9][a-z0-9_-]*)-only$")

DESCRIPTION = """\
Keep sequentially numbered migration chains (Alembic, sqitch) safe when many people or
agents add migrations in parallel. Reads migration files statically: nothing is imported
or executed, and no database is needed (except `gate`, which runs the migrations).

exit codes: 0 ok, 1 findings (collision, several heads, lint errors),
            2 bad usage/config/input, 3 could not decide (git/forge failure, incomplete data)
"""


CI_FORMATS = ("gitlab", "junit")


def _add_format(parser: argparse.ArgumentParser, *choices: str) -> None:
    choices = choices or ("text", "json")
    ci = (
        "; gitlab: a GitLab Code Quality report, junit: JUnit XML (nothing on stdout when the "
        "command fails with exit 2 or 3 before it has a result)"
        if "gitlab" in choices
        else ""
    )
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=choices,
        default="text",
        help=f"output format (default: text{ci})",
    )


def _add_rev(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rev",
        metavar="REF",
        help="read the chains from this git revision (branch, tag, commit) instead of the "
        "working tree; nothing is checked out",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migration-guard",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print `migration-guard X.Y.Z` and exit",
    )
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="text output: print only findings, warnings, errors and a verdict that is not OK "
        "(and the answer of next/chains/renumber); nothing when all is well. Exit codes "
        "unchanged; json/markdown/github/gitlab/junit unaffected",
    )
    loudness.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also say on stderr what was read (configuration, chains and their migrations, "
        "open changes and forge requests) and how long it took",
    )
    parser.add_argument(
        "-C",
        "--repo",
        metavar="DIR",
        type=Path,
        help="run as if started in DIR (default: the current directory)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="configuration file (default: migration-guard.toml, else [tool.migration-guard] "
        "in pyproject.toml, else discover chains)",
    )
    parser.add_argument(
        "--traceback", action="store_true", help="print a traceback on internal errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "chains",
        help="list the migration chains and where each stands",
        description="List every configured (or discovered) chain: name, kind, path, number of "
        "migrations, highest number and head(s).",
    )
    _add_rev(p)
    _add_format(p, "text", "json", *CI_FORMATS)

    p = sub.add_parser(
        "heads",
        help="single-head gate for Alembic chains (no database)",
        description="Check that every Alembic chain (or the named ones) has exactly one head, "
        "reading revision files statically. Also reports duplicated revision ids (which "
        "`alembic heads` lets through with exit 0), missing down revisions, cycles, branch-label "
        "clashes, duplicated number prefixes, prefix/revision mismatches and files that cannot "
        "be read without executing them. `--NAME-only` is short for `--chain NAME`.",
    )
    p.add_argument(
        "--chain",
        dest="chains",
        action="append",
        default=[],
        metavar="NAME",
        help="check only this chain (repeatable; default: every Alembic chain)",
    )
    _add_rev(p)
    _add_format(p, "text", "json", *CI_FORMATS)

    p = sub.add_parser(
        "lint",
        help="lint sqitch plans and Alembic chains",
        description="Lint sqitch plans with sqitch's own parser rules (same wording and line "
        "numbers, plus plain-words hints where sqitch's message misleads) and the numbering "
        "conventions sqitch does not enforce (number prefix, unique increasing numbers, "
        "deploy/revert/verify scripts). For Alembic chains, runs the `heads` checks. "
        "With no argument, lints every chain.",
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="PLAN_OR_CHAIN",
        help="a chain name or a sqitch.plan path (default: every chain)",
    )
    p.add_argument(
        "--syntax-only",
        action="store_true",
        help="check exactly what sqitch's parser checks (sqitch plans only), no conventions",
    )
    _add_rev(p)
    _add_format(p, "text", "json", *CI_FORMATS)

    p = sub.add_parser(
        "check",
        help="CI guard: this PR's new migration numbers vs open PRs and the base branch",
        description="Find the migrations this change adds (merge-base(base, head)..head), "
        "compare their numbers with every other open PR/MR into the same base branch, with the "
        "base branch tip and with each other, and on a collision name the colliding PRs, the "
        "next available number and the command that fixes it. Needs no database; reads git "
        "objects only. Inside GitHub Actions or GitLab CI the base, PR number and forge come "
        "from the environment.",
        epilog="exit codes: 0 no collision, 1 collision, 2 bad usage or config, "
        "3 could not decide (forge/git failure or incomplete data; never reported as OK)",
    )
    _add_sources(p)
    p.add_argument(
        "--head",
        default="HEAD",
        metavar="REF",
        help="the change to check (default: HEAD; uncommitted files are not seen)",
    )
    p.add_argument(
        "--pr-number",
        type=int,
        metavar="N",
        help="this PR's number, excluded from the other open PRs (0 = a local run; "
        "default: from the CI environment, else 0)",
    )
    p.add_argument(
        "--post-comment",
        action="store_true",
        help="create or update one sticky comment on the PR (github/gitlab; needs a "
        "token: GITHUB_TOKEN/GH_TOKEN or GITLAB_TOKEN); only a comment the token's own account "
        "wrote is edited; a failed post keeps a collision's exit 1",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="when this change is the one that must move: renumber it, commit that "
        "(trailer 'Migration-Guard: fix') and push it to the change's branch (GitHub Actions: "
        "the PR's head branch, same-repository PRs only; locally: the branch's upstream); exits "
        "1 so that the run on the new commit decides. Never twice in a row, never over "
        "uncommitted migration files (exit 2); a failed push undoes the commit (exit 3)",
    )
    _add_format(p, "text", "json", "markdown", "github", *CI_FORMATS)

    p = sub.add_parser(
        "next",
        help="print the next free number(s) of a chain",
        description="Print the next available number(s) of CHAIN: the smallest numbers above "
        "the base branch's highest that no open PR claims. Replaces "
        "`ls versions/ | sort | tail -1` when picking a number for a new migration.",
    )
    p.add_argument("chain", metavar="CHAIN", help="chain name (see `migration-guard chains`)")
    p.add_argument(
        "--count",
        type=int,
        default=1,
        metavar="K",
        help="how many consecutive free numbers (default 1)",
    )
    _add_sources(p)
    _add_format(p)

    p = sub.add_parser(
        "reserve",
        help="reserve the next free number(s) of a chain for everyone, atomically",
        description="Claim the next free number(s) of CHAIN (as `next` finds them: above the "
        "base branch's highest, not claimed by an open PR) that nobody has reserved, by "
        "creating refs/migration-guard/CHAIN/NUMBER on the remote with a create-only push "
        "(git push --force-with-lease=REF:), or with --via github GitHub's create-ref call, "
        "which also fails when the ref exists. Concurrent callers always get distinct numbers: "
        "the loser of a race takes the next one. `check` and `next` count reservations as "
        "claims; `release` gives a number back, `reservations --gc` collects old ones.",
        epilog="exit codes: 0 reserved, 2 bad usage (a chain that is not numbered), 3 the "
        "remote or a forge could not be read or refused the reservation namespace",
    )
    p.add_argument("chain", metavar="CHAIN", help="chain name (see `migration-guard chains`)")
    p.add_argument("--count", type=int, default=1, metavar="K", help="how many numbers (default 1)")
    p.add_argument(
        "--slug",
        metavar="S",
        help="what the number is for (recorded; a PR whose "
        "new migration has this slug owns the reservation)",
    )
    _add_remote(p)
    _add_sources(p)
    _add_format(p)

    p = sub.add_parser(
        "new",
        help="reserve the next number and write a new migration from the chain's template",
        description="What `ls versions/ | sort | tail -1` becomes: reserve the next free "
        "number of CHAIN on the remote (as `reserve`), then create the migration on top of "
        "the chain's head from the chain's own template (Alembic: script.py.mako; sqitch: "
        "plan line and deploy/revert/verify scripts, as `sqitch add`; Django: as "
        "makemigrations; the numbered presets: as their tools). Prints the created paths, "
        "one a line. A chain without numbers (hex ids) gets a fresh id and no reservation.",
        epilog="exit codes: 0 created, 2 bad usage (several heads, a taken name, no remote), "
        "3 the remote or a forge could not be read or refused the reservation",
    )
    p.add_argument("chain", metavar="CHAIN", help="chain name (see `migration-guard chains`)")
    p.add_argument("slug", metavar="SLUG", help="what the migration does, e.g. add_refund_audit")
    p.add_argument("-m", "--message", default="", help="the migration's description")
    _add_remote(p)
    _add_sources(p)

    p = sub.add_parser(
        "release",
        help="delete a reservation",
        description="Delete the reservation of NUMBER in CHAIN on the remote (only if it is "
        "still what was read).",
        epilog="exit codes: 0 released, 2 no such reservation, 3 the remote failed",
    )
    p.add_argument("chain", metavar="CHAIN", help="chain name")
    p.add_argument("number", metavar="NUMBER", help="the reserved number")
    _add_remote(p)

    p = sub.add_parser(
        "reservations",
        help="list reservations (who, age, branch, slug); --gc collects stale ones",
        description="List the reservations on the remote (of CHAIN only, when given). --gc "
        "deletes those whose number is on the base branch and those older than the maximum "
        "age (--max-age, else reservation_max_age_days in the configuration, else 14 days).",
    )
    p.add_argument("chain", nargs="?", metavar="CHAIN", help="only this chain")
    p.add_argument("--gc", action="store_true", help="delete landed and stale reservations")
    p.add_argument("--max-age", type=float, metavar="DAYS", help="with --gc: the oldest age kept")
    p.add_argument(
        "--base-sha",
        metavar="REF",
        help="with --gc: the base branch (default: as `check` resolves it, else origin/main)",
    )
    _add_remote(p)
    _add_format(p)

    p = sub.add_parser(
        "renumber",
        help="move a migration (Alembic file or sqitch change) to a new number, safely",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Give a migration a new number in one step, doing everything the manual renumber
procedure asks for, and nothing else:

  Alembic: `git mv` the file to the new number (slug kept); set `revision` to the new id
    and `down_revision` to the base branch's current head (or --down-revision); update the
    docstring's `Revision ID:`/`Revises:` lines, every other file that points at the old id
    (children's down_revision, depends_on, Revises:) and module-level string constants that
    contain the old id as a whole token (e.g. a promotion migration's _FLAG). Only the
    tokens that change are edited; quotes, comments and formatting stay.
  sqitch: rename the plan entry (timestamp, planner and note kept), its deploy/revert/
    verify scripts (and name@tag rework copies), every dependency naming it, and the
    `-- Deploy project:name` header comments. A change that is deployed anywhere (any
    sqitch.conf target, or --target) is refused unless --allow-deployed, which records the
    rename in the sqitch registry with `sqitch revert/deploy --log-only` and checks that
    `sqitch status` is clean afterwards.

Safety: files with uncommitted changes are refused (--force to edit on top of them); a
number already claimed by the base branch, an open PR or this branch is refused (--force);
everything is applied or nothing; the chain is validated afterwards (heads, lint) and a
result with new problems is rolled back. --dry-run prints the diff and changes nothing.

Interrupted runs: SIGINT, SIGTERM and SIGHUP roll everything back (files, git index, sqitch
registry) and exit 128 + the signal (130, 143, 129). Before the first change a journal is
written under the git directory (.git/migration-guard/); a run killed outright (SIGKILL,
power loss) leaves it, and renumber and recover --apply then refuse to start (exit 2) until
`migration-guard renumber --abort` undoes every applied step (sqitch registry included) or
`migration-guard renumber --continue` finishes the remaining ones.""",
        epilog="examples:\n"
        "  migration-guard renumber console/migrations/versions/0145_promote_my_feature.py "
        "--to next\n"
        "  migration-guard renumber console:0145 --to 0193 --dry-run\n"
        "  migration-guard renumber 07-billing-invoice-refund-column --to 08\n"
        "  migration-guard renumber --branch --to next   # every migration this branch adds\n"
        "  migration-guard renumber --abort              # undo a killed renumber/recover",
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="a migration file, CHAIN:NUMBER, or a sqitch change name",
    )
    p.add_argument(
        "--to",
        metavar="N|next",
        help="the new number (no wider than the chain's numbers), or `next` for the next "
        "free number(s) (same sources as `next`: base branch and open PRs)",
    )
    p.add_argument(
        "--branch",
        action="store_true",
        help="move every migration this branch adds, as one block onto consecutive "
        "numbers (the lowest goes onto the base head; internal links are kept)",
    )
    p.add_argument(
        "--down-revision",
        metavar="REV",
        help="Alembic: the new parent of the (lowest) moved migration (default: the "
        "base branch's head)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the unified diff of every edit and rename; change nothing",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="edit files with uncommitted changes, and allow a claimed number",
    )
    resume = p.add_mutually_exclusive_group()
    resume.add_argument(
        "--abort",
        dest="resume",
        action="store_const",
        const="abort",
        help="undo every step a killed renumber or recover --apply applied (files, git index, "
        "sqitch registry, hotfix branch), newest first; takes no other argument",
    )
    resume.add_argument(
        "--continue",
        dest="resume",
        action="store_const",
        const="continue",
        help="finish the remaining steps of a killed renumber or recover --apply",
    )
    p.add_argument(
        "--allow-deployed",
        action="store_true",
        help="sqitch: rename a deployed change, fixing the registry of every target "
        "with sqitch revert/deploy --log-only",
    )
    p.add_argument(
        "--target",
        dest="sqitch_targets",
        action="append",
        default=[],
        metavar="URI",
        help="a database to check for deployed state (repeatable): for sqitch a target name "
        "or db: URI (db:pg://user@host/db; every sqitch.conf target is checked anyway), for "
        "Alembic an SQLAlchemy URL whose alembic_version is read (postgresql://..., "
        "sqlite:///...); an applied Alembic revision is always refused",
    )
    _add_sources(p)
    _add_format(p)

    p = sub.add_parser(
        "gate",
        help="run every chain's migrations up, down and up again on a real database",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Run each chain's migrations for real, as a deploy and a rollback would, and fail if any
step breaks (the runbook's migration-gate CI job):

  Alembic chains: upgrade to head, downgrade to base, upgrade to head again, with Alembic's
    own API and the chain's alembic.ini (one child process per chain, started in the ini's
    folder). env.py gets the database URL as the sqlalchemy.url option and in DATABASE_URL
    (the chain's database_url_env setting names another variable).
  sqitch chains: sqitch deploy --verify, revert -y, deploy --verify, with the real sqitch.

A failure names the chain, the step, the revision or change that failed, its file and the
database's error message.

Irreversible history is normal: an Alembic revision whose downgrade() raises
NotImplementedError (or that defines no downgrade()) is the chain's downgrade floor, as in
pytest-alembic. The round trip then downgrades to the floor, not to base, and --stairway only
upgrades the revisions at and below it; the floor is reported (revision, file, why) and is not
a failure. It is read from the files, caught when a downgrade raises NotImplementedError at run
time, or set with downgrade_floor = "<revision>" for the chain in migration-guard.toml (the
highest of these wins). A failure above the floor still fails the gate.

Where it runs: by default on temporary SQLite files, one per chain. --temp-postgres starts a
throwaway PostgreSQL server (the system's initdb/pg_ctl; a fresh database per chain) and
deletes it afterwards, also on failure or Ctrl-C. --database-url uses your server: a new
database per chain when the role may create databases, else the given database as is, each
chain taken back to its base (or its downgrade floor) afterwards.

Unlike every other command, gate EXECUTES the migration code in the working tree: run it on
code you trust, and never against a database whose data you need. Alembic chains need
the `gate` extra (SQLAlchemy, psycopg2; docs/install.md) in the Python the project's
migrations run in; sqitch
chains need sqitch (Debian: apt-get install sqitch libdbd-pg-perl libdbd-sqlite3-perl).""",
        epilog="examples:\n"
        "  migration-guard gate --temp-postgres\n"
        "  migration-guard gate --console-only --stairway\n"
        "  migration-guard gate --database-url postgresql://postgres:postgres@localhost:5432/"
        "postgres\n\n"
        "exit codes: 0 every chain round-tripped (above its downgrade floor, if any), 1 a "
        "step failed, 2 bad usage, config or a missing tool, 3 the database could not be "
        "started or reached",
    )
    p.add_argument(
        "--chain",
        dest="chains",
        action="append",
        default=[],
        metavar="NAME",
        help="gate only this chain (repeatable; default: every chain)",
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="run on this database (SQLAlchemy URL: postgresql://user:pw@host:5432/db, "
        "sqlite:////path/gate.db, ...; sqitch chains need PostgreSQL or SQLite)",
    )
    p.add_argument(
        "--temp-postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server for the run and delete it afterwards",
    )
    p.add_argument(
        "--stairway",
        action="store_true",
        help="Alembic: for each revision in turn upgrade, downgrade one step and upgrade "
        "again, naming the first revision that fails (slower; then upgrade head)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="the longest one step may run (an upgrade, a downgrade, a stairway move, a "
        "sqitch command) before it is killed and the gate fails naming the revision or "
        "change it was running (default: 600; 0: no limit)",
    )
    p.add_argument(
        "--if-changed",
        action="store_true",
        help="first look at merge-base(base, HEAD)..HEAD (and uncommitted files outside CI): "
        "when it touches no chain's files, print 'no migrations touched: OK' and exit 0 "
        "without starting a database (for a CI job that runs on every pull request)",
    )
    p.add_argument(
        "--base-sha",
        metavar="REF",
        help="with --if-changed: the base to compare with (default: as `check` resolves it: "
        "the CI environment, else `base` in the configuration, else origin/main)",
    )
    _add_format(p)

    p = sub.add_parser(
        "recover",
        help="a collision already merged: explain which PR landed second and repair it",
        description="Diagnose every chain (or the named ones) on the current tree: several "
        "Alembic heads, files sharing a down_revision, duplicated revision ids or number "
        "prefixes, sqitch changes sharing a number. For each collision it says which files "
        "collide and which one landed second (from the base branch's first-parent history: "
        "the merge or commit that added it, its date and PR number), and plans the repair: "
        "renumber the later migration(s) onto the next numbers after the current highest, the "
        "first one on top of the surviving head, a PR's migrations together. --apply performs "
        "it with renumber's guarantees (all or nothing, validated afterwards; SIGINT, SIGTERM "
        "and SIGHUP roll back and exit 128 + the signal; a killed run is resolved with "
        "`migration-guard renumber --abort` or `--continue`); --branch also creates a hotfix "
        "branch with one commit that explains the fix. A chain with a file whose links cannot "
        "be read statically, a missing parent or a cycle is CANNOT REPAIR: named, and nothing "
        "is changed.",
        epilog="exit codes: 0 nothing wrong (or repaired), 1 collision found and not repaired "
        "(or a problem recover cannot repair), 2 usage, 3 git failure, a chain that cannot be "
        "read, or branch labels that cannot be read",
    )
    p.add_argument("chains", nargs="*", metavar="CHAIN", help="chains to check (default: all)")
    p.add_argument("--apply", action="store_true", help="perform the repair")
    p.add_argument(
        "--branch",
        metavar="NAME",
        help="with --apply: create branch NAME (a new branch, as git check-ref-format --branch "
        "accepts it; refs/heads/NAME means NAME) with one hotfix commit",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the diff of the repair (the default without --apply)",
    )
    _add_rev(p)
    _add_format(p)

    p = sub.add_parser(
        "init",
        help="write migration-guard.toml (and a CI workflow, the runbook's scripts) for the "
        "chains found here",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Discover the migration chains (as `migration-guard chains` does without a configuration),
show them, and write migration-guard.toml (or [tool.migration-guard] in pyproject.toml)
that reads back to the same chains. With --ci, also the CI workflow with the runbook's three
jobs; with --scripts, the runbook's entry points as thin wrappers, so its commands work
verbatim. Nothing is overwritten without --force, and never a file with uncommitted changes;
everything is written or nothing.""",
        epilog="examples:\n"
        "  migration-guard init --dry-run\n"
        "  migration-guard init --ci github --scripts --name backend_v2=raptor\n"
        "  migration-guard init --pyproject --title console='Console (Alembic)'\n"
        "  migration-guard init --keep-config --ci gitlab\n\n"
        "exit codes: 0 written (or shown with --dry-run), 2 no chain found, a file that "
        "exists, bad usage; nothing is written then",
    )
    p.add_argument(
        "--ci",
        choices=("github", "gitlab", "none"),
        default="none",
        help="also write the CI jobs: github: .github/workflows/migration-guard.yml; gitlab: "
        ".gitlab/migration-guard.gitlab-ci.yml (and .gitlab-ci.yml including it, when there is "
        "none); none: no CI file (default)",
    )
    p.add_argument(
        "--scripts",
        action="store_true",
        help="also write the runbook's scripts/ci/check_migration_collision.py, "
        "check_alembic_single_head.sh and validate-sqitch-plan.sh as wrappers",
    )
    p.add_argument(
        "--pyproject",
        action="store_true",
        help="write the chains as [tool.migration-guard] in pyproject.toml (the rest of the "
        "file is kept byte for byte) instead of migration-guard.toml",
    )
    p.add_argument(
        "--keep-config",
        action="store_true",
        help="keep the existing configuration and write only the --ci and --scripts files",
    )
    p.add_argument(
        "--name",
        dest="names",
        action="append",
        default=[],
        metavar="WHICH=NAME",
        help="name a chain (WHICH: its discovered name or its path), e.g. "
        "--name backend_v2=raptor; repeatable",
    )
    p.add_argument(
        "--title",
        dest="titles",
        action="append",
        default=[],
        metavar="NAME=TITLE",
        help="the title reports use for a chain, e.g. --title raptor=Raptor; repeatable",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print every file it would write, in full; write nothing",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite existing files whose content is committed (a file with uncommitted "
        "changes is never overwritten)",
    )

    p = sub.add_parser(
        "demo",
        help="build a sample monorepo in a temp folder and run the checks on it",
        description="Build the runbook's sample monorepo (Console and Raptor Alembic chains, "
        "Queue sqitch chain) in a temporary folder and run migration-guard on it, explaining "
        "each step.",
    )
    p.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="build the sample repository in DIR (must not exist) and keep it",
    )

    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash; zsh through bashcompinit)",
        description="Print a bash completion script generated from this command line: "
        "commands, their options and the values of options with fixed choices. Chain names "
        "are not completed (that would read the configuration on every TAB). zsh users load "
        "it with `autoload -U +X bashcompinit && bashcompinit` first.",
        epilog="examples:\n"
        "  migration-guard completion bash > ~/.local/share/bash-completion/completions/"
        "migration-guard\n"
        '  eval "$(migration-guard completion bash)"   # this shell only',
    )
    p.add_argument("shell", choices=("bash",), help="the shell (bash)")
    return parser


def _add_remote(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--remote",
        metavar="REMOTE",
        help="with --via git: the remote holding the reservations, a remote's name or a URL "
        "(default: origin)",
    )
    parser.add_argument(
        "--via",
        choices=("git", "github"),
        default="git",
        help="how reservations are kept: git (fetch and create-only pushes to --remote; the "
        "default) or github (GitHub's REST API for GITHUB_REPOSITORY with GITHUB_TOKEN, which "
        "needs `contents: write`; for CI jobs that cannot push). Both keep the same refs",
    )


def _add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-sha",
        metavar="REF",
        help="base to compare with (default: from the CI environment, else `base` in the "
        "configuration, else origin/main)",
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        help="where other open changes come from: github/gitlab APIs, git (remote branches "
        "not merged into base, no token), none (base only); auto: --open-prs if given, else "
        "github/gitlab when their CI environment is present, else git (default: `provider` "
        "in the configuration, else auto)",
    )
    parser.add_argument(
        "--open-prs",
        metavar="FILE",
        type=Path,
        help="JSON as printed by `gh pr list --state open --json "
        "number,files,baseRefName,headRefName` (files as objects with path, or strings)",
    )
    parser.add_argument(
        "--forge-timeout",
        type=float,
        metavar="SECONDS",
        help="the longest one GitHub/GitLab request may take, connecting to last byte "
        "(default: $MIGRATION_GUARD_FORGE_TIMEOUT, else 30); exceeded: exit 3",
    )
    parser.add_argument(
        "--forge-deadline",
        type=float,
        metavar="SECONDS",
        help="the longest all of this command's forge requests may take together, retry "
        "waits included (default: $MIGRATION_GUARD_FORGE_DEADLINE, else 120); exceeded: exit 3",
    )
    parser.add_argument(
        "--forge-max-mib",
        type=float,
        metavar="MIB",
        help="the largest forge answer read (default: $MIGRATION_GUARD_FORGE_MAX_MIB, else "
        "50); larger: exit 3",
    )


def _expand_only_flags(argv: Sequence[str]) -> list[str]:
    """The runbook's ``--console-only`` form: ``--NAME-only`` means ``--chain NAME``."""
    expanded: list[str] = []
    for arg in argv:
        match = _ONLY_FLAG.match(arg)
        if match and match.group(1) not in {"syntax"}:
            expanded += ["--chain", match.group(1)]
        else:
            expanded.append(arg)
    return expanded


# Secrets the environment may hold: forge tokens, and URLs that may carry a password.
SECRET_ENV = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "MIGRATION_GUARD_GITLAB_TOKEN",
    "CI_JOB_TOKEN",
    "PGPASSWORD",
    "SQITCH_PASSWORD",
)
URL_ENV = (
    "GITHUB_API_URL",
    "GITHUB_GRAPHQL_URL",
    "GITHUB_SERVER_URL",
    "CI_API_V4_URL",
    "CI_SERVER_URL",
    "DATABASE_URL",
)


def _learn_secrets(args: Sequence[str]) -> None:
    """Register what must never be printed or posted: tokens, and every URL's password
    (``--database-url``, ``--target``, API URLs), before anything can be printed."""
    import os

    from migration_guard import redact

    redact.reset()
    for name in SECRET_ENV:
        redact.register(os.environ.get(name))
    for name in URL_ENV:
        redact.register_url(os.environ.get(name))
    for arg in args:
        redact.register_url(arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg)


PROG_ENV = "MIGRATION_GUARD_PROG"


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run one command; everything it prints goes through :mod:`migration_guard.redact`.

    ``prog`` (else ``$MIGRATION_GUARD_PROG``) is the name the run reports under instead of
    ``migration-guard COMMAND``: in ``check``'s first line and in error lines. The wrapper
    scripts ``init --scripts`` writes use it to print the runbook's lines
    (``check_migration_collision: base='origin/main' pr=0``).
    """
    from migration_guard.redact import RedactingStream

    args_list = list(sys.argv[1:] if argv is None else argv)
    name = prog or os.environ.get(PROG_ENV) or None
    _learn_secrets(args_list)
    stdout, stderr = sys.stdout, sys.stderr
    wrapped = RedactingStream(stdout), RedactingStream(stderr)
    sys.stdout, sys.stderr = wrapped
    try:
        return _main(args_list, program=argv is None, prog=name)
    finally:
        for stream in wrapped:
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
                stream.flush()
        sys.stdout, sys.stderr = stdout, stderr


def _make_ui(args: argparse.Namespace) -> Ui:
    """One run's verbosity and colour: colour for text output on a terminal (ui.py)."""
    from migration_guard import ui

    verbosity = ui.QUIET if args.quiet else ui.VERBOSE if args.verbose else ui.NORMAL
    text = getattr(args, "output_format", "text") == "text"
    return ui.Ui(verbosity, colour=text and ui.wants_colour(sys.stdout, os.environ))


def _error(line: str) -> None:
    """An error on stderr, its ``error:`` red on a terminal."""
    from migration_guard import ui

    print(ui.paint(line) if ui.wants_colour(sys.stderr, os.environ) else line, file=sys.stderr)


def _main(args_list: list[str], *, program: bool, prog: str | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_expand_only_flags(args_list))
    if args.command in ("renumber", "recover"):
        from migration_guard import journal

        journal.set_invocation(args_list)  # how a journal names the run
    if args.command is None:
        parser.print_help()
        return 2
    ui = _make_ui(args)
    name = prog or f"migration-guard {args.command}"
    try:
        code = _dispatch(args, ui, prog=prog)
        ui.note(f"{args.command}: exit {code} after {ui.elapsed()}")
        return code
    except GuardError as exc:
        _error(f"{name}: error: {exc.message}")
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        from migration_guard.signals import Interrupted

        notes = "; ".join(getattr(exc, "__notes__", []))
        signal_name = exc.name if isinstance(exc, Interrupted) else "SIGINT"
        print(
            f"{name}: interrupted by {signal_name}" + (f"; {notes}" if notes else ""),
            file=sys.stderr,
        )
        return exc.exit_code if isinstance(exc, Interrupted) else 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an unexpected bug: never a silent pass
        if args.traceback:
            import traceback  # only here: importing it costs ~2 ms on every run

            traceback.print_exc()
        print(
            f"{name}: internal error: {type(exc).__name__}: {exc}\n"
            "  hint: rerun with --traceback and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if program:  # we are the program, which ends next
            # Freeze what is alive, so that the cyclic collector's passes at interpreter exit
            # skip it. Exit behaviour is otherwise unchanged (objects are still released,
            # atexit handlers still run). The one start-up trick left besides the forked
            # reader: on the 5,000-revision benchmark `heads` takes 0.133 s best / 0.139 s
            # median with it, 0.141 / 0.164 s without (15% of the median; benchmarks/README).
            gc.freeze()


def _sources(args: argparse.Namespace, workspace: Workspace) -> dict[str, Any]:
    """Where ``check``, ``next`` and ``renumber`` learn which numbers are taken."""
    from migration_guard.forges.http import ForgeLimits

    return {
        "base_sha": args.base_sha,
        "provider": args.provider or workspace.config.provider or "auto",
        "open_prs": args.open_prs,
        "forge_limits": ForgeLimits.resolve(
            os.environ,
            timeout=args.forge_timeout,
            deadline=args.forge_deadline,
            max_mib=args.forge_max_mib,
        ),
    }


def _init(args: argparse.Namespace, out: Any) -> int:
    """``init`` reads no configuration: it writes one (a broken one is rewritten with --force)."""
    from migration_guard.commands import init

    if args.config is not None:
        raise UsageError(
            "init writes migration-guard.toml (or pyproject.toml with --pyproject): --config "
            "is for the other commands"
        )
    return init.run(
        start=args.repo or Path.cwd(),
        ci=args.ci,
        write_scripts=args.scripts,
        pyproject=args.pyproject,
        dry_run=args.dry_run,
        force=args.force,
        keep_config=args.keep_config,
        names=args.names,
        titles=args.titles,
        out=out,
    )


def _dispatch(args: argparse.Namespace, ui: Ui, *, prog: str | None = None) -> int:
    out = sys.stdout
    if args.command == "demo":
        from migration_guard.commands import demo

        return demo.run(keep=args.keep, out=out, cli=main)
    if args.command == "completion":
        from migration_guard import completion

        print(completion.bash(build_parser()), file=out, end="")
        return 0
    if args.command == "init":
        return _init(args, out)

    from migration_guard.workspace import open_workspace

    workspace = open_workspace(args.repo, rev=getattr(args, "rev", None), config_file=args.config)
    names = ", ".join(spec.name for spec in workspace.config.chains) or "none"
    ui.note(f"configuration: {workspace.config.source}; chains: {names}")
    if workspace.config.notes and workspace.config.chains and args.command != "chains":
        # What discovery could not read as a chain is said, even when others are checked.
        from migration_guard.report import finding_line

        for note in workspace.config.notes:
            print(f"migration-guard {args.command}: {finding_line(note)}", file=sys.stderr)
    if args.command == "chains":
        from migration_guard.commands import chains

        return chains.run(workspace=workspace, output_format=args.output_format, out=out, ui=ui)
    if args.command == "heads":
        from migration_guard.commands import heads

        return heads.run(
            workspace=workspace,
            chains=args.chains,
            output_format=args.output_format,
            out=out,
            ui=ui,
        )
    if args.command == "lint":
        from migration_guard.commands import lint

        return lint.run(
            workspace=workspace,
            targets=args.targets,
            syntax_only=args.syntax_only,
            output_format=args.output_format,
            out=out,
            cwd=(args.repo or Path.cwd()).resolve(),
            ui=ui,
        )
    if args.command == "check":
        from migration_guard.commands import check

        return check.run(
            workspace=workspace,
            head=args.head,
            pr_number=args.pr_number,
            post_comment=args.post_comment,
            fix=args.fix,
            output_format=args.output_format,
            out=out,
            ui=ui,
            **_sources(args, workspace),
            program=prog or "migration-guard check",
        )
    if args.command == "next":
        from migration_guard.commands import next_number

        return next_number.run(
            workspace=workspace,
            chain=args.chain,
            count=args.count,
            output_format=args.output_format,
            out=out,
            ui=ui,
            **_sources(args, workspace),
        )
    if args.command == "new":
        from migration_guard.commands import new

        return new.run(
            workspace=workspace,
            chain=args.chain,
            slug=args.slug,
            message=args.message,
            remote=args.remote,
            via=args.via,
            out=out,
            **_sources(args, workspace),
        )
    if args.command == "reserve":
        from migration_guard.commands import reserve

        return reserve.run(
            workspace=workspace,
            chain=args.chain,
            count=args.count,
            remote=args.remote,
            via=args.via,
            slug=args.slug,
            output_format=args.output_format,
            out=out,
            **_sources(args, workspace),
        )
    if args.command == "release":
        from migration_guard.commands import release

        return release.run(
            workspace=workspace,
            chain=args.chain,
            number=args.number,
            remote=args.remote,
            via=args.via,
            out=out,
        )
    if args.command == "reservations":
        from migration_guard.commands import reservations

        return reservations.run(
            workspace=workspace,
            chain=args.chain,
            remote=args.remote,
            via=args.via,
            gc=args.gc,
            max_age_days=args.max_age,
            base_sha=args.base_sha,
            output_format=args.output_format,
            out=out,
        )
    if args.command == "renumber":
        from migration_guard.commands import renumber

        if args.resume:
            if args.targets or args.branch or args.to or args.dry_run:
                raise UsageError(f"--{args.resume} takes no target, --branch, --to or --dry-run")
            return renumber.resume(workspace=workspace, action=args.resume, out=out)
        from migration_guard.services.renumbering import Options

        if args.to is None:
            raise UsageError(
                "--to is required (N or next)",
                hint="or --abort / --continue to resolve an interrupted run",
            )
        return renumber.run(
            workspace=workspace,
            targets=args.targets,
            branch=args.branch,
            options=Options(
                to=args.to,
                **_sources(args, workspace),
                down_revision=args.down_revision,
                dry_run=args.dry_run,
                force=args.force,
                allow_deployed=args.allow_deployed,
                targets_uri=tuple(args.sqitch_targets),
            ),
            output_format=args.output_format,
            out=out,
            cwd=(args.repo or Path.cwd()).resolve(),
            ui=ui,
        )
    if args.command == "gate":
        from migration_guard.commands import gate

        return gate.run(
            workspace=workspace,
            chains=args.chains,
            database_url=args.database_url,
            temp_postgres=args.temp_postgres,
            stairway=args.stairway,
            timeout=args.timeout,
            output_format=args.output_format,
            out=out,
            ui=ui,
            if_changed=args.if_changed,
            base_sha=args.base_sha,
        )
    if args.command == "recover":
        from migration_guard.commands import recover

        return recover.run(
            workspace=workspace,
            chains=args.chains,
            rev=args.rev,
            apply=args.apply,
            branch=args.branch,
            dry_run=args.dry_run,
            output_format=args.output_format,
            out=out,
            ui=ui,
        )
    raise AssertionError(f"unhandled command {args.command}")
