"""Static gates vs the reference tools, measured in one run on generated inputs.

- a 5,000-revision Alembic chain: ``alembic heads`` vs ``migration-guard heads``
- a 2,000-change sqitch plan: ``sqitch plan`` vs ``migration-guard lint``

Both sides run as fresh processes, as a CI job would run them; each is timed ``--repeat``
times and the best run is kept (least disturbed by the machine). Prints a table and ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from migration_guard import sample  # noqa: E402


def timed(cmd: list[str], cwd: Path, env: dict[str, str], repeat: int) -> tuple[float, int]:
    times = []
    code = 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return min(times), code


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--revisions", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQITCH")}
    # A CI checkout never has __pycache__ for the revision files: keep every run cold.
    env.update(
        SQITCH_FULLNAME="bench", SQITCH_EMAIL="bench@example.invalid", PYTHONDONTWRITEBYTECODE="1"
    )
    guard = [sys.executable, "-m", "migration_guard"]
    env["PYTHONPATH"] = str(ROOT / "src")
    rows = []
    with tempfile.TemporaryDirectory(prefix="mg-bench-") as tmp:
        alembic_root = build_alembic(Path(tmp) / "alembic", args.revisions)
        ours, code = timed([*guard, "heads"], alembic_root, env, args.repeat)
        assert code == 0, "migration-guard heads failed on the generated chain"
        alembic_cli = shutil.which("alembic")
        if alembic_cli is None:
            print("alembic is not installed: pip install alembic", file=sys.stderr)
            return 2
        theirs, code = timed([alembic_cli, "heads"], alembic_root, env, args.repeat)
        assert code == 0, "alembic heads failed on the generated chain"
        rows.append((f"heads, {args.revisions} revisions", "alembic heads", theirs, ours))

        sqitch_dir = build_sqitch(Path(tmp) / "sqitch", args.changes)
        ours, code = timed([*guard, "lint", "q"], sqitch_dir.parent, env, args.repeat)
        assert code == 0, "migration-guard lint failed on the generated plan"
        sqitch_cli = shutil.which("sqitch")
        if sqitch_cli is None:
            print("sqitch is not installed: apt-get install sqitch", file=sys.stderr)
            return 2
        theirs, code = timed([sqitch_cli, "plan", "--no-pager"], sqitch_dir, env, args.repeat)
        assert code == 0, "sqitch plan failed on the generated plan"
        syntax, _ = timed(
            [*guard, "lint", "--syntax-only", "q/sqitch.plan"], sqitch_dir.parent, env, args.repeat
        )
        rows.append((f"lint, {args.changes} changes", "sqitch plan", theirs, ours))
        rows.append((f"lint --syntax-only, {args.changes}", "sqitch plan", theirs, syntax))

    print(f"{'case':34} {'reference':14} {'ref s':>8} {'ours s':>8} {'ratio':>7}")
    for case, ref, theirs_s, ours_s in rows:
        print(f"{case:34} {ref:14} {theirs_s:8.3f} {ours_s:8.3f} {theirs_s / ours_s:6.1f}x")
    print(
        f"(best of {args.repeat}; both sides are fresh processes; "
        f"median of ratios {statistics.median(r[2] / r[3] for r in rows):.1f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
