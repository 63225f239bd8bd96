"""Command-line entry point: parse arguments, run one command, map errors to exit codes."""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from migration_guard import __version__
from migration_guard.errors import GuardError

EXIT_INTERNAL = 3
PROVIDERS = ("auto", "github", "gitlab", "git", "none")
_ONLY_FLAG = re.compile(r"^--([a-z0-9][a-z0-9_-]*)-only$")

DESCRIPTION = """\
Keep sequentially numbered migration chains (Alembic, sqitch) safe when many people or
agents add migrations in parallel. Reads migration files statically: nothing is imported
or executed, and no database is needed.

exit codes: 0 ok, 1 findings (collision, several heads, lint errors),
            2 bad usage/config/input, 3 could not decide (git/forge failure, incomplete data)
"""


def _add_format(parser: argparse.ArgumentParser, *choices: str) -> None:
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=choices or ("text", "json"),
        default="text",
        help="output format (default: text)",
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
    _add_format(p)

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
    _add_format(p)

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
    _add_format(p)

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
        "token: GITHUB_TOKEN/GH_TOKEN or GITLAB_TOKEN)",
    )
    _add_format(p, "text", "json", "markdown", "github")

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
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(_expand_only_flags(args_list))
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _dispatch(args)
    except GuardError as exc:
        print(f"migration-guard {args.command}: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("migration-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an unexpected bug: never a silent pass
        if args.traceback:
            traceback.print_exc()
        print(
            f"migration-guard {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "  hint: rerun with --traceback and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _dispatch(args: argparse.Namespace) -> int:
    out = sys.stdout
    if args.command == "demo":
        from migration_guard.commands import demo

        return demo.run(keep=args.keep, out=out)

    from migration_guard.workspace import open_workspace

    workspace = open_workspace(args.repo, rev=getattr(args, "rev", None), config_file=args.config)
    if args.command == "chains":
        from migration_guard.commands import chains

        return chains.run(workspace=workspace, output_format=args.output_format, out=out)
    if args.command == "heads":
        from migration_guard.commands import heads

        return heads.run(
            workspace=workspace, chains=args.chains, output_format=args.output_format, out=out
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
        )
    if args.command == "check":
        from migration_guard.commands import check

        return check.run(
            workspace=workspace,
            base_sha=args.base_sha,
            head=args.head,
            pr_number=args.pr_number,
            provider=args.provider or workspace.config.provider or "auto",
            open_prs=args.open_prs,
            post_comment=args.post_comment,
            output_format=args.output_format,
            out=out,
        )
    if args.command == "next":
        from migration_guard.commands import next_number

        return next_number.run(
            workspace=workspace,
            chain=args.chain,
            count=args.count,
            base_sha=args.base_sha,
            provider=args.provider or workspace.config.provider or "auto",
            open_prs=args.open_prs,
            output_format=args.output_format,
            out=out,
        )
    raise AssertionError(f"unhandled command {args.command}")
