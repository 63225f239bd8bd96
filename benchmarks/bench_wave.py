"""The runbook's incident, replayed with and without prevention: N agents dispatched in the
same wave, each in its own clone of one remote, each adding "the next" console migration.

- ``ls | tail`` (the runbook's way, no reservation): each agent looks at the last file on
  main and takes the number after it. Every agent picks the same number.
- ``migration-guard new console SLUG``: each agent claims a number atomically on the remote
  (a create-only ref ``refs/migration-guard/console/<number>``) and writes the migration.

Then every agent's branch is pushed and ``check`` runs on each PR against all the others
(``--open-prs`` lists them, as a forge would), counting the PRs that collide. Printed: the
distinct numbers, the PRs ``check`` fails, and the wall time of the wave (median and slowest
agent, all agents started together).

    python benchmarks/bench_wave.py [--agents 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from testing.gitrepo import GitRepo, git  # noqa: E402

from migration_guard import sample  # noqa: E402

V = sample.CONSOLE_VERSIONS
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GIT_AUTHOR_NAME": "agent"}


def build_remote(base: Path) -> GitRepo:
    repo = GitRepo.create(base, "main-clone")
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    return repo


def clone(origin: Path, target: Path, agent: int) -> Path:
    git(target.parent, "clone", "-q", str(origin), str(target))
    for key, value in (("user.name", f"agent {agent}"), ("user.email", f"a{agent}@x.invalid")):
        git(target, "config", key, value)
    git(target, "checkout", "-q", "-b", f"agent-{agent}")
    return target


def ls_tail(work: Path, slug: str) -> list[str]:
    """The runbook's way: the number after the last file of the versions folder."""
    names = sorted(p.name for p in (work / V).iterdir() if p.name[:4].isdigit())
    last = names[-1][:4]
    number = f"{int(last) + 1:04d}"
    path = f"{V}/{number}_{slug}.py"
    (work / path).write_text(sample.alembic_script(number, last, slug, table=f"t_{slug}"))
    return [path]


def with_new(work: Path, slug: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "migration_guard", "new", "console", slug],
        cwd=work,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"migration-guard new failed in {work}: {done.stderr}")
    return done.stdout.split()


def wave(clones: list[Path], make: str) -> tuple[dict[int, list[str]], list[float]]:
    """Every agent at the same moment (a barrier), each timed from the barrier."""
    barrier = threading.Barrier(len(clones))
    created: dict[int, list[str]] = {}
    times: list[float] = [0.0] * len(clones)
    failures: list[str] = []

    def agent(index: int, work: Path) -> None:
        barrier.wait()
        start = time.perf_counter()
        slug = f"agent_{index}_change"
        try:
            created[index] = ls_tail(work, slug) if make == "ls" else with_new(work, slug)
        except SystemExit as exc:  # (a thread's exit would be swallowed: report it)
            failures.append(str(exc))
        times[index] = time.perf_counter() - start

    threads = [threading.Thread(target=agent, args=(i, w)) for i, w in enumerate(clones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} agent(s) failed; the first: {failures[0]}")
    return created, times


def checks(clones: list[Path], created: dict[int, list[str]], tmp: Path) -> int:
    """Push every agent's branch (agent i opens PR #i+1), then run ``check`` on each against
    the others; the number of PRs it fails (the PR opened first keeps a contested number)."""
    for index, work in enumerate(clones):
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"agent {index}: add a migration")
        git(work, "push", "-q", "origin", f"agent-{index}")
    failed = 0
    for index, work in enumerate(clones):
        others = [
            {"number": i + 1, "head": f"agent-{i}", "files": created[i]}
            for i in range(len(clones))
            if i != index
        ]
        listed = tmp / f"prs-{index}.json"
        listed.write_text(json.dumps(others))
        done = subprocess.run(
            [sys.executable, "-m", "migration_guard", "check", "--open-prs", str(listed),
             "--base-sha", "origin/main", "--pr-number", str(index + 1)],
            cwd=work, env=ENV, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode == 1:
            failed += 1
        elif done.returncode != 0:
            raise SystemExit(f"check could not decide in {work}: {done.stdout}{done.stderr}")
    return failed


def run(agents: int, make: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix=f"mg-wave-{make}-") as folder:
        base = Path(folder)
        main = build_remote(base)
        clones = [clone(main.origin, base / f"agent-{i}", i) for i in range(agents)]
        created, times = wave(clones, make)
        numbers = {Path(paths[0]).name[:4] for paths in created.values()}
        failed = checks(clones, created, base)
    return {
        "way": make,
        "agents": agents,
        "distinct numbers": len(numbers),
        "PRs check fails": failed,
        "median s": statistics.median(times),
        "slowest s": max(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    args = parser.parse_args()
    rows = [run(args.agents, "ls"), run(args.agents, "new")]
    print(f"{'way':<28}{'agents':>7}{'numbers':>9}{'check fails':>13}{'median s':>10}"
          f"{'slowest s':>11}")  # fmt: skip
    for row, label in zip(rows, ("ls | sort | tail -1", "migration-guard new"), strict=True):
        print(
            f"{label:<28}{row['agents']:>7}{row['distinct numbers']:>9}"
            f"{row['PRs check fails']:>13}{row['median s']:>10.3f}{row['slowest s']:>11.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
