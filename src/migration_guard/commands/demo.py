"""``migration-guard demo``: the runbook's monorepo in a temp folder, checked step by step."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from migration_guard import demo_wave, git, sample
from migration_guard.errors import UsageError
from migration_guard.project import pip_requirement

_IDENTITY = ("-c", "user.name=migration-guard demo", "-c", "user.email=demo@example.invalid")


@dataclass(frozen=True)
class Step:
    title: str
    args: tuple[str, ...]
    expect: int
    explain: str
    before: tuple[tuple[str, ...], ...] = ()  # git commands run (and shown) first


@dataclass(frozen=True)
class Wave:
    """The prevention step: ``agents`` clones of the origin run ``new CHAIN`` at the same
    moment as separate processes (``demo_wave``); then ``check`` runs on every branch."""

    title: str
    chain: str
    versions: str
    agents: int
    explain: str


def _quote(arg: str) -> str:
    return f'"{arg}"' if " " in arg else arg


def _git(repo: Path, *args: str) -> None:
    git.run_git(*_IDENTITY, *args, cwd=repo)


def build_demo_repository(root: Path) -> None:
    """A git repo with a bare origin, main pushed, and two incident branches on top."""
    origin = root / "origin.git"
    repo = root / "monorepo"
    repo.mkdir(parents=True)
    git.run_git("init", "-q", "--bare", "-b", "main", str(origin), cwd=root)
    git.run_git("init", "-q", "-b", "main", cwd=repo)
    sample.write_sample_repo(repo)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Sample monorepo: console 0192, raptor 0057, queue 07")
    _git(repo, "remote", "add", "origin", str(origin))
    _git(repo, "push", "-q", "origin", "main")
    _git(repo, "fetch", "-q", "origin")

    # The runbook's incident: two agents of one wave both pick console 0193 from main ...
    versions = repo / sample.CONSOLE_VERSIONS
    # pr-3277 added its 0193 first (an earlier author date): with plain branches (no PR
    # numbers), that is who keeps the number.
    for branch, slug, date in (
        ("pr-3277", "promote_my_feature", "2026-06-05T09:12:00Z"),
        ("pr-3322", "add_refund_audit", "2026-06-05T09:47:00Z"),
    ):
        _git(repo, "checkout", "-q", "-b", branch, "main")
        (versions / f"0193_{slug}.py").write_text(
            sample.alembic_script(
                "0193",
                "0192",
                slug,
                table=f"console_{slug}",
                flag=slug if slug.startswith("promote") else None,
            ),
            encoding="utf-8",
        )
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", f"--date={date}", "-m", f"Add console migration 0193_{slug}")
        _git(repo, "push", "-q", "origin", branch)
    _git(repo, "fetch", "-q", "origin")
    # ... and both merge: main now has two heads (what `heads` must catch).
    _git(repo, "checkout", "-q", "-b", "incident", "main")
    _git(repo, "merge", "-q", "--no-ff", "-m", "Merge PR #3277", "pr-3277")
    _git(repo, "merge", "-q", "--no-ff", "-m", "Merge PR #3322", "pr-3322")
    # A plan edited by hand with the timestamp in brackets (the runbook's lint example).
    _git(repo, "checkout", "-q", "-b", "bad-plan", "main")
    plan = repo / sample.QUEUE_PLAN
    plan.write_text(
        plan.read_text(encoding="utf-8")
        + "08-billing-invoice-refund-column [2026-06-17T00:00:00Z] raxx-dev-bot <ops@raxx.app>\n",
        encoding="utf-8",
    )
    _git(repo, "commit", "-q", "-am", "Add queue change 08 (hand-edited plan)")
    _git(repo, "checkout", "-q", "main")


STEPS: tuple[Step | Wave, ...] = (
    Step(
        "List the chains",
        ("chains",),
        0,
        "migration-guard.toml names three chains. `chains` reads each one statically (no "
        "imports, no database) and shows its size, highest number and head.",
    ),
    Step(
        "Single-head gate on main",
        ("heads",),
        0,
        "The runbook's alembic-heads-gate: every Alembic chain must have exactly one head.",
    ),
    Step(
        "Lint every chain on main",
        ("lint",),
        0,
        "sqitch's own plan rules (same messages and line numbers) plus the numbering "
        "conventions sqitch does not check; Alembic chains get the heads checks.",
    ),
    Step(
        "The CI guard on PR #3322, before anything merges",
        ("check", "--head", "pr-3322", "--base-sha", "origin/main", "--provider", "git"),
        1,
        "Both branches are pushed and open. `check` finds the migrations pr-3322 adds, compares "
        "them with every other open change (here: remote branches, no token needed; in CI the "
        "GitHub or GitLab API), and names the collision, who keeps the number (pr-3277 added it "
        "first), the next free number and the fix.",
    ),
    Step(
        "Pick the next free number",
        ("next", "console", "--provider", "git"),
        0,
        "What `ls versions/ | sort | tail -1` should have said: the next number above main's "
        "highest that no open change claims, and that no change is about to move to (0194 is "
        "pr-3322's, as check told it): a third agent starting now takes 0195.",
    ),
    Step(
        "Fix PR #3322 in one command",
        (
            "renumber",
            "console/migrations/versions/0193_add_refund_audit.py",
            "--to",
            "next",
            "--provider",
            "git",
        ),
        0,
        "The runbook's renumber checklist as one command: git mv to the next free number, "
        "revision and down_revision (onto main's head), docstring, children and constants; "
        "all or nothing, validated afterwards.",
        before=(("checkout", "-q", "pr-3322"),),
    ),
    Step(
        "The guard passes once the fix is committed",
        ("check", "--base-sha", "origin/main", "--provider", "git"),
        0,
        "PR #3322 now adds 0194; PR #3277 keeps 0193. Both build on 0192: whichever merges "
        "second re-parents onto the other (check says so, and fails on it once the first has "
        "merged).",
        before=(("commit", "-q", "-a", "-m", "Renumber console 0193 to 0194"),),
    ),
    Step(
        "The incident: two PRs with console 0193 both merged",
        ("heads", "--console-only", "--rev", "incident"),
        1,
        "Branch `incident` merged both PRs before anyone renumbered. `alembic heads` would "
        "print two heads and exit 0; migration-guard fails (exit 1) and names both files.",
    ),
    Step(
        "Which PR landed second?",
        ("recover", "console"),
        1,
        "`recover` reads the first-parent history of the branch: the merge that brought each "
        "file in, its date and PR number, and plans the repair of the later one.",
        before=(("checkout", "-q", "incident"),),
    ),
    Step(
        "Repair it on a hotfix branch",
        ("recover", "console", "--apply", "--branch", "hotfix/console-0193"),
        0,
        "Same machinery as renumber, plus one commit that explains the fix.",
    ),
    Step(
        "Every gate green again",
        ("heads",),
        0,
        "The hotfix branch has one head per chain.",
    ),
    Step(
        "A hand-edited sqitch plan",
        ("lint", "queue", "--rev", "bad-plan"),
        1,
        "Branch `bad-plan` put the timestamp in brackets. sqitch's message talks about "
        "punctuation in a name; the hint says what is actually wrong.",
    ),
    Wave(
        "Prevention: 10 agents run `new` at the same moment",
        "console",
        sample.CONSOLE_VERSIONS,
        10,
        "The incident began with every agent of a wave taking the number after "
        "`ls versions/ | sort | tail -1`. Here 10 agents, each in its own clone of origin, run "
        "`migration-guard new console` at once (10 processes): each reserves a number on origin "
        "with a create-only push (refs/migration-guard/console/NUMBER; the loser of a race "
        "takes the next one), then writes the migration on main's head. Every branch is then "
        "pushed and `check` runs on each.",
    ),
)


def _gate_step() -> Step | None:
    """The round trip needs Alembic (the [gate] extra) and, for the queue chain, sqitch."""
    import importlib.util

    if importlib.util.find_spec("alembic") is None:
        return None
    args: tuple[str, ...] = ("gate",)
    if shutil.which("sqitch") is None:
        args = ("gate", "--chain", "console", "--chain", "raptor")
    return Step(
        "Round-trip every chain on a real database",
        args,
        0,
        "The runbook's migration-gate: upgrade to head, downgrade to base, upgrade again "
        "(here on a temporary SQLite database; --temp-postgres starts a throwaway PostgreSQL).",
        before=(("checkout", "-q", "main"),),
    )


def _next_after(name: str) -> str:
    prefix = name.split("_", 1)[0]
    return f"{int(prefix) + 1:0{len(prefix)}d}" if prefix.isdigit() else "?"


def _run_wave(wave: Wave, root: Path, out: TextIO, cli: Callable[[list[str]], int]) -> bool:
    """Run the wave and say what it shows; True when the numbers are distinct and
    consecutive and ``check`` passes on every branch."""
    n = wave.agents
    print(f"  $ git clone origin.git agent-N   # N = 1..{n}, one clone per agent", file=out)
    crew = demo_wave.launch(
        root / "origin.git", root / "wave", chain=wave.chain, versions=wave.versions, agents=n
    )
    seen = sorted({a.last_file for a in crew})
    print(f"  $ ls {wave.versions} | sort | tail -1   # in each clone", file=out)
    print(f"    {', '.join(seen)}   (the same in all {n} clones)", file=out)
    print(f"  $ migration-guard new {wave.chain} agent_N_change   # {n} at once", file=out)
    for agent in crew:
        made = agent.created[0] if agent.created else f"FAILED: {agent.error}"
        print(f"    agent {agent.index}: exit {agent.exit_code}  {made}", file=out)
    if any(a.exit_code != 0 or not a.created for a in crew):
        print(f"  `new` failed for some agents (EXPECTED exit 0 for all {n})\n", file=out)
        return False
    crew = demo_wave.check_all(crew, cli)
    print(
        "  $ git commit -a && git push origin agent-N && "
        "migration-guard check --base-sha origin/main --provider git   # in each clone",
        file=out,
    )
    for agent in crew:
        print(f"    agent {agent.index} ({agent.number}): {agent.check_summary}", file=out)
    numbers = sorted(int(a.number) for a in crew if a.number.isdigit())
    distinct = len(set(numbers)) == n
    consecutive = distinct and numbers == list(range(numbers[0], numbers[0] + n))
    collisions = sum(1 for a in crew if a.check_code == 1)
    undecided = sum(1 for a in crew if a.check_code not in (0, 1))
    shown = " ".join(a.number for a in sorted(crew, key=lambda a: a.number))
    print(
        f"  {n} agents, {len(set(numbers))} distinct numbers"
        f"{', consecutive' if consecutive else ''}: {shown}",
        file=out,
    )
    print(
        f"  check on the {n} branches: {collisions} collisions"
        + (f", {undecided} could not decide" if undecided else ""),
        file=out,
    )
    last = seen[-1] if seen else ""
    print(
        textwrap.fill(
            f"With `ls | sort | tail -1` every clone saw {last}: all {n} agents would have "
            f"taken {_next_after(last)}.",
            92,
            initial_indent="  ",
            subsequent_indent="  ",
        ),
        file=out,
    )
    ok = consecutive and collisions == 0 and undecided == 0
    verdict = "as expected" if ok else "EXPECTED distinct consecutive numbers, 0 collisions"
    print(f"  exit 0 for every agent ({verdict})\n", file=out)
    return ok


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        if keep.exists():
            raise UsageError(f"--keep {keep}: the folder already exists", hint="name a new folder")
        keep.mkdir(parents=True)
        yield keep
        return
    tmp = Path(tempfile.mkdtemp(prefix="migration-guard-demo-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(*, keep: Path | None, out: TextIO, cli: Callable[[list[str]], int]) -> int:
    """Build the sample repository and run each step through ``cli`` (the command line's
    entry point, passed in so that this command does not import the CLI that imports it)."""
    with _workdir(keep) as root:
        build_demo_repository(root)
        repo = root / "monorepo"
        print(f"migration-guard demo: sample monorepo built in {repo}", file=out)
        print(
            "(git repository with a bare origin; branches: main, pr-3277, pr-3322, "
            "incident, bad-plan)\n",
            file=out,
        )
        surprises = []
        gate = _gate_step()
        steps: tuple[Step | Wave, ...] = (*STEPS, gate) if gate is not None else STEPS
        for number, step in enumerate(steps, 1):
            print(f"Step {number}/{len(steps)}: {step.title}", file=out)
            print(
                textwrap.fill(step.explain, 92, initial_indent="  ", subsequent_indent="  "),
                file=out,
            )
            if isinstance(step, Wave):
                if not _run_wave(step, root, out, cli):
                    surprises.append(number)
                continue
            for command in step.before:
                print(f"  $ git {' '.join(_quote(a) for a in command)}", file=out)
                _git(repo, *command)
            print(f"  $ migration-guard {' '.join(step.args)}", file=out)
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                code = cli(["-C", str(repo), *step.args])
            print(textwrap.indent(buffer.getvalue().rstrip(), "    "), file=out)
            verdict = "as expected" if code == step.expect else f"EXPECTED {step.expect}"
            print(f"  exit {code} ({verdict})\n", file=out)
            if code != step.expect:
                surprises.append(number)
        if gate is None:
            print(
                "(Skipped the database round trip: install the gate extra, pip install "
                f"'{pip_requirement(extras='gate')}', to see `migration-guard gate`.)\n",
                file=out,
            )
        if keep is not None:
            print(f"The repository is kept in {repo}; try the commands there.", file=out)
        if surprises:
            print(f"demo: steps {surprises} did not behave as expected. FAIL.", file=out)
            return 1
        print("demo: every step behaved as expected. OK.", file=out)
        return 0
