"""How many requests, and how much of our own time, listing open PRs takes.

A fake GitHub on 127.0.0.1 holds 500 open PRs into ``main`` (ten with 250 files, the others
with 1-5) plus a few into another branch. Measured for each approach:

* ``github graphql``: ``GitHubForge.open_changes`` (PR pages + batched file pages);
* ``github rest``: the same with GraphQL off: the pulls list, then one files list per PR
  (what a naive "one request per PR" tool does);
* ``gitlab rest``: ``GitLabForge.open_changes`` over the same data (4 MRs at a time).

"own s" is the wall time minus the time the fake server spent answering (the server runs in
this process, so this is an estimate). Targets: graphql <= 15 requests and < 1 s.

    PYTHONPATH=src:. python benchmarks/bench_forge.py [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from testing.fake_forge import FakeForge  # noqa: E402

from migration_guard.forges.base import OpenChanges  # noqa: E402
from migration_guard.forges.github import GitHubForge, GitHubSettings  # noqa: E402
from migration_guard.forges.gitlab import GitLabForge, GitLabSettings  # noqa: E402
from migration_guard.forges.http import RetryPolicy, Secret  # noqa: E402

OPEN_PRS = 500
BIG_PRS = 10
BIG_FILES = 250


def populate(fake: FakeForge) -> int:
    files = 0
    for n in range(1, OPEN_PRS + 1):
        count = BIG_FILES if n % (OPEN_PRS // BIG_PRS) == 0 else 1 + n % 5
        paths = [f"svc{n % 7}/migrations/versions/{n:04d}_{i:03d}_change.py" for i in range(count)]
        fake.add_pr(n, paths, draft=n % 11 == 0)
        files += count
    for n in range(OPEN_PRS + 1, OPEN_PRS + 21):
        fake.add_pr(n, ["other.txt"], base="release")
    return files


def measure(
    fake: FakeForge, run: Callable[[], OpenChanges], runs: int
) -> tuple[OpenChanges, int, float, float]:
    best: tuple[OpenChanges, int, float, float] | None = None
    for _ in range(runs):
        fake.reset_requests()
        start = time.perf_counter()
        result = run()
        wall = time.perf_counter() - start
        server = fake.server_seconds
        if best is None or wall < best[2]:
            best = (result, len(fake.requests), wall, server)
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs per approach; best is shown")
    args = parser.parse_args(argv)
    retry = RetryPolicy(attempts=1)
    with FakeForge(token="bench-token") as fake:
        files = populate(fake)
        settings = GitHubSettings("acme/app", Secret(fake.token), fake.github_api_url)
        graphql = GitHubForge(settings, retry=retry)
        rest = GitHubForge(settings, retry=retry, use_graphql=False)
        gitlab = GitLabForge(
            GitLabSettings("42", Secret(fake.token), "private", fake.gitlab_api_url), retry=retry
        )
        rows = [
            ("github graphql", measure(fake, lambda: graphql.open_changes("main"), args.runs)),
            ("github rest", measure(fake, lambda: rest.open_changes("main"), args.runs)),
            ("gitlab rest", measure(fake, lambda: gitlab.open_changes("main"), args.runs)),
        ]
    print(f"{OPEN_PRS} open PRs into main ({BIG_PRS} with {BIG_FILES} files), {files} files")
    print(
        f"{'approach':<16}{'complete':>9}{'PRs':>6}{'files':>7}{'requests':>10}"
        f"{'wall s':>9}{'server s':>10}{'own s':>8}"
    )
    for name, (result, requests, wall, server) in rows:
        got = sum(len(c.files) for c in result.changes)
        print(
            f"{name:<16}{result.complete!s:>9}{len(result.changes):>6}{got:>7}{requests:>10}"
            f"{wall:>9.3f}{server:>10.3f}{wall - server:>8.3f}"
        )
    result, requests, wall, _ = rows[0][1]
    ok = result.complete and requests <= 15 and wall < 1.0
    print("target (graphql: <= 15 requests, < 1 s):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
