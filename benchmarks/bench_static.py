"""Static gates vs the reference tools, measured in one run on generated inputs.

- a 5,000-revision Alembic chain: ``alembic heads`` vs ``migration-guard heads``
- a 2,000-change sqitch plan: ``sqitch plan`` vs ``migration-guard lint``

Both sides run as fresh processes, as a CI job would run them, cold: the revision files have
no ``__pycache__`` (``PYTHONDONTWRITEBYTECODE=1``, as on a fresh checkout), so ``alembic
heads`` compiles every one of them. Each command is timed ``--repeat`` times, alternating
with the others, and the best run is kept (least disturbed by the machine); the median is
printed too.

migration-guard runs as installed from a wheel: a copy of ``src/migration_guard`` with its
own bytecode compiled (as pip does on install, and as alembic's installed package has),
in a temporary folder put first on ``PYTHONPATH``. Extra rows show it from the source tree
without bytecode (every module compiled on every run: what ``pip install -e .`` gives under
``PYTHONDONTWRITEBYTECODE=1``), on one CPU (no second process for reading), and the floor of
any Python command here, ``python -c pass``, and with ``--baseline COMMIT`` the command as of
an older commit. See README.md in this folder for the figures.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from migration_guard import sample  # noqa: E402


def timed_runs(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    repeat: int,
    preexec: Callable[[], None] | None = None,
) -> tuple[float, float, int]:
    """Best and median wall time of ``repeat`` runs, and the last exit code."""
    times = []
    code = 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, check=False, preexec_fn=preexec
        )
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return min(times), statistics.median(times), code


def build_alembic(root: Path, count: int) -> Path:
    sample.write_alembic_chain(root, "db/versions", count, "bench")
    (root / "db/env.py").write_text(sample.ENV_PY)
    (root / "db/script.py.mako").write_text(sample.SCRIPT_MAKO)
    (root / "alembic.ini").write_text(sample.ALEMBIC_INI.format(script="db", db="bench.db"))
    (root / "migration-guard.toml").write_text(
        '[[chains]]\nname = "db"\nkind = "alembic"\npath = "db/versions"\nwidth = 4\n'
    )
    return root


def build_sqitch(root: Path, count: int) -> Path:
    sqitch_dir = root / "q"
    sqitch_dir.mkdir(parents=True)
    width = max(2, len(str(count)))
    changes = [
        sample.SqitchChange(
            f"{n:0{width}d}-change-{n}",
            f"t{n}",
            f"change {n}",
            (f"{n - 1:0{width}d}-change-{n - 1}",) if n > 1 and n % 5 == 0 else (),
        )
        for n in range(1, count + 1)
    ]
    plan = "%syntax-version=1.0.0\n%project=bench\n\n" + "".join(
        sample.plan_line(c) for c in changes
    )
    (sqitch_dir / "sqitch.plan").write_text(plan)
    (sqitch_dir / "sqitch.conf").write_text("[core]\n\tengine = sqlite\n")
    for change in changes:
        sample.write_sqitch_change(sqitch_dir, change, project="bench")
    (root / "migration-guard.toml").write_text(
        f'[[chains]]\nname = "q"\nkind = "sqitch"\npath = "q/sqitch.plan"\nwidth = {width}\n'
    )
    return sqitch_dir


def install_copy(target: Path, commit: str | None = None) -> Path:
    """``src/migration_guard`` (of the working tree, or of ``commit``) copied to ``target``
    with its bytecode, as a wheel installs it."""
    if commit is None:
        shutil.copytree(ROOT / "src/migration_guard", target / "migration_guard")
    else:
        archive = subprocess.run(
            ["git", "archive", commit, "src/migration_guard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        target.mkdir(parents=True)
        subprocess.run(["tar", "-x", "--strip-components=1"], input=archive, cwd=target, check=True)
    if not compileall.compile_dir(target, quiet=1):
        raise SystemExit("could not compile the migration_guard copy")
    return target


def console_script(name: str) -> str | None:
    """The console script installed next to this interpreter (not a pyenv/asdf shim, whose
    own start-up would be counted against the reference tool), else the one on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def one_cpu() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def heads_rows(tmp: Path, args: argparse.Namespace, env: dict[str, str]) -> list[tuple[str, ...]]:
    alembic_cli = console_script("alembic")
    if alembic_cli is None:
        raise SystemExit("alembic is not installed: pip install alembic")
    root = build_alembic(tmp / "alembic", args.revisions)
    installed = install_copy(tmp / "site")
    ours = [sys.executable, "-m", "migration_guard", "heads"]
    variants: list[tuple[str, list[str], dict[str, str], Callable[[], None] | None]] = [
        ("alembic heads", [alembic_cli, "heads"], env, None),
        ("migration-guard heads", ours, {**env, "PYTHONPATH": str(installed)}, None),
        ("  same, from src, no bytecode", ours, {**env, "PYTHONPATH": str(ROOT / "src")}, None),
        ("  same, one CPU", ours, {**env, "PYTHONPATH": str(installed)}, one_cpu),
        ("python -c pass", [sys.executable, "-c", "pass"], env, None),
    ]
    if args.baseline:
        before = install_copy(tmp / "site-before", args.baseline)
        variants.insert(
            4, (f"  same, at {args.baseline}", ours, {**env, "PYTHONPATH": str(before)}, None)
        )
    if not hasattr(os, "sched_setaffinity"):
        variants = [v for v in variants if v[3] is None]
    times: dict[str, list[float]] = {name: [] for name, *_ in variants}
    for _ in range(args.repeat):  # alternate, so that a busy moment hits every variant
        for name, cmd, run_env, preexec in variants:
            best, _, code = timed_runs(cmd, root, run_env, 1, preexec)
            if code != 0:
                raise SystemExit(f"{name} failed (exit {code}) on the generated chain")
            times[name].append(best)
    reference = times["alembic heads"]
    rows: list[tuple[str, ...]] = []
    for name, run_times in times.items():
        best, median = min(run_times), statistics.median(run_times)
        compared = "heads" in name or name.startswith("  ")
        rows.append(
            (
                f"{name} ({args.revisions} revisions)" if name.endswith("heads") else name,
                f"{best:8.3f}",
                f"{median:8.3f}",
                f"{min(reference) / best:6.1f}x" if compared and name != "alembic heads" else "",
                f"{statistics.median(reference) / median:6.1f}x"
                if compared and name != "alembic heads"
                else "",
            )
        )
    return rows


def lint_rows(tmp: Path, args: argparse.Namespace, env: dict[str, str]) -> list[tuple[str, ...]]:
    sqitch_cli = shutil.which("sqitch")
    if sqitch_cli is None:
        raise SystemExit("sqitch is not installed: apt-get install sqitch")
    sqitch_dir = build_sqitch(tmp / "sqitch", args.changes)
    guard = [sys.executable, "-m", "migration_guard"]
    guard_env = {**env, "PYTHONPATH": str(install_copy(tmp / "site-lint"))}
    theirs, theirs_median, code = timed_runs(
        [sqitch_cli, "plan", "--no-pager"], sqitch_dir, env, args.repeat
    )
    assert code == 0, "sqitch plan failed on the generated plan"
    rows: list[tuple[str, ...]] = [
        (f"sqitch plan ({args.changes} changes)", f"{theirs:8.3f}", f"{theirs_median:8.3f}", "", "")
    ]
    for name, cmd in (
        ("migration-guard lint", [*guard, "lint", "q"]),
        ("migration-guard lint --syntax-only", [*guard, "lint", "--syntax-only", "q/sqitch.plan"]),
    ):
        best, median, code = timed_runs(cmd, sqitch_dir.parent, guard_env, args.repeat)
        assert code == 0, f"{name} failed on the generated plan"
        rows.append(
            (
                name,
                f"{best:8.3f}",
                f"{median:8.3f}",
                f"{theirs / best:6.1f}x",
                f"{theirs_median / median:6.1f}x",
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revisions", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("heads", "lint"), help="run one of the two cases")
    parser.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="also time `heads` as of this commit (e.g. 2137b0b, before the fast reader)",
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SQITCH", "PYTHON"))}
    # A CI checkout never has __pycache__ for the revision files: keep every run cold.
    env.update(
        SQITCH_FULLNAME="bench", SQITCH_EMAIL="bench@example.invalid", PYTHONDONTWRITEBYTECODE="1"
    )
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="mg-bench-") as tmp:
        if args.only in (None, "heads"):
            rows += heads_rows(Path(tmp), args, env)
        if args.only in (None, "lint"):
            rows += lint_rows(Path(tmp), args, env)
    print(f"{'command':46} {'best s':>8} {'median s':>8} {'ratio':>7} {'median':>7}")
    for row in rows:
        print(f"{row[0]:46} {row[1]} {row[2]} {row[3]:>7} {row[4]:>7}")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"(best and median of {args.repeat} fresh runs each, alternating; {cpus} CPUs; "
        f"Python {sys.version.split()[0]}; ratio: the reference's best / best, median: "
        "its median / median)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
