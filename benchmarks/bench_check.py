"""The whole ``check`` job against 500 open PRs served by a fake GitHub on 127.0.0.1.

The sample monorepo (console at 0192) is the repository; PR #1000 is the change under check
and adds console 0193. 500 other open PRs into ``main``, all opened earlier, each add one
console migration (numbers 0193-0692, so PR #2 keeps 0193 and #1000 must move) on top of
0192, plus a few other files; ten of them carry 250 files. Their revision files are read too
(what they build on: forks), in batched GraphQL blob queries.

Measured, each the best of ``--runs``:
- ``check (graphql)``: ``migration-guard check`` in this process, as in GitHub Actions (event
  file, token, API URLs from the environment): HTTP requests, wall time, time the fake server
  spent answering, and our own time (wall minus server);
- ``check (rest only)``: the same with GraphQL switched off: the naive one-request-per-PR way;
- ``check (process)``: the command as a fresh process, the way a CI step runs it.

    python benchmarks/bench_check.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from testing import ci_env  # noqa: E402
from testing.fake_forge import FakeForge  # noqa: E402
from testing.gitrepo import GitRepo  # noqa: E402

from migration_guard import sample  # noqa: E402
from migration_guard.cli import main as cli_main  # noqa: E402

V = sample.CONSOLE_VERSIONS
OPEN_PRS = 500
BIG_FILES = 250
MINE = 1000


def build_repo(base: Path) -> GitRepo:
    repo = GitRepo.create(base)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    repo.git("checkout", "-q", "-b", "pr-1")
    repo.write(f"{V}/0193_mine.py", sample.alembic_script("0193", "0192", "mine", table="t"))
    repo.commit_all("pr-1")
    return repo


def populate(fake: FakeForge) -> None:
    fake.add_pr(MINE, [f"{V}/0193_mine.py"], head="pr-1")
    for n in range(2, OPEN_PRS + 2):
        rev = f"{191 + n:04d}"
        migration = f"{V}/{rev}_change_{n}.py"
        files = [migration, f"app/feature_{n}.py"]
        if n % (OPEN_PRS // 10) == 0:
            files += [f"app/generated/file_{n}_{i}.py" for i in range(BIG_FILES - len(files))]
        text = sample.alembic_script(rev, "0192", f"change_{n}", table=f"t{n}")
        fake.add_pr(n, files, draft=n % 13 == 0, blobs={migration: text.encode()})


@contextlib.contextmanager
def github_env(fake: FakeForge, tmp: Path) -> Iterator[dict[str, str]]:
    env = ci_env.github_actions(tmp, pr=MINE, forge=fake, head_ref="pr-1", head_sha=None)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_in_process(fake: FakeForge, repo: GitRepo, runs: int) -> tuple[int, float, float, int]:
    best: tuple[int, float, float, int] | None = None
    for _ in range(runs):
        fake.reset_requests()
        buffer = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
            code = cli_main(["-C", str(repo.path), "check", "--format", "json"])
        wall = time.perf_counter() - start
        result = (len(fake.requests), wall, fake.server_seconds, code)
        if best is None or wall < best[1]:
            best = result
        payload = json.loads(buffer.getvalue())
        assert payload["open_prs_scanned"] == OPEN_PRS, payload["open_prs_scanned"]
    assert best is not None
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mg-bench-check-") as tmp_name:
        tmp = Path(tmp_name)
        repo = build_repo(tmp)
        with FakeForge() as fake:
            populate(fake)
            with github_env(fake, tmp) as env:
                requests, wall, server, code = run_in_process(fake, repo, args.runs)
                assert code == 1, "PR #1000 collides with PR #2, which keeps 0193"
                rows.append(("check (graphql)", requests, wall, server))
                fake.state.graphql_enabled = False
                requests, wall, server, code = run_in_process(fake, repo, args.runs)
                rows.append(("check (rest only, naive)", requests, wall, server))
                fake.state.graphql_enabled = True
                walls = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    subprocess.run(
                        [sys.executable, "-m", "migration_guard", "check"],
                        cwd=repo.path,
                        env={**os.environ, **env, "PYTHONPATH": str(ROOT / "src")},
                        capture_output=True,
                        check=False,
                    )
                    walls.append(time.perf_counter() - start)
    print(f"{OPEN_PRS} open PRs (10 with {BIG_FILES} files), served from 127.0.0.1")
    print(f"{'approach':28} {'requests':>8} {'wall s':>8} {'server s':>9} {'own s':>7}")
    for name, requests, wall, server in rows:
        print(f"{name:28} {requests:8d} {wall:8.3f} {server:9.3f} {wall - server:7.3f}")
    print(f"{'check (process, graphql)':28} {'':8} {min(walls):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
