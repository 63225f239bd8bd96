"""The CI files ``init --ci`` writes: the runbook's three jobs ("CI coverage summary") for
GitHub Actions and for GitLab merge-request pipelines.

No ``paths:`` filter: GitHub leaves a required check whose workflow was skipped "Pending"
for ever, so the workflow runs on every pull request; ``check`` and ``gate --if-changed`` end at
once with "no migrations touched: OK" when the change touches no chain. docs/ci.md shows
exactly these files (``tests/test_init_ci.py`` checks it).
"""

from __future__ import annotations

from typing import NamedTuple

from migration_guard import __version__, project

GITHUB_WORKFLOW = ".github/workflows/migration-guard.yml"
GITLAB_INCLUDE = ".gitlab/migration-guard.gitlab-ci.yml"
GITLAB_CI = ".gitlab-ci.yml"
PYTHON = "3.12"


class CiPlan(NamedTuple):
    """What the repository's chains ask of CI."""

    heads: bool  # some chain forms a graph: the single-head gate applies
    gated: tuple[str, ...]  # the chains gate can round-trip
    all_gated: bool  # ... which are all of them (no --chain list needed)
    system_packages: tuple[str, ...]  # Debian packages the gate needs (sqitch, ...)
    version: str = __version__

    @property
    def install(self) -> str:
        return f'pip install "{project.pip_requirement(self.version)}"'

    @property
    def install_gate(self) -> str:
        return f'pip install "{project.pip_requirement(self.version, extras="gate")}"'

    def gate_args(self) -> str:
        return "".join(f" --chain {name}" for name in self.gated) if not self.all_gated else ""


def github_workflow(plan: CiPlan) -> str:
    """``.github/workflows/migration-guard.yml``."""
    setup = f"""\
      - uses: actions/setup-python@v5
        with:
          python-version: "{PYTHON}"
"""
    out = f"""\
# migration-guard: the runbook's three CI jobs (written by `migration-guard init --ci github`).
# No `paths:` filter: a required check must report on every pull request (GitHub leaves a
# skipped required check "Pending"), so the collision check and the gate end at once with
# "no migrations touched: OK" when the pull request touches no migration chain (heads and lint
# need no database: they always run, in seconds).
name: migration-guard
on:
  pull_request:
  merge_group:
permissions:
  contents: read
concurrency:
  # One run per pull request (merge-queue groups each have a ref of their own); a new push
  # cancels the run of the previous one.
  group: migration-guard-${{{{ github.event.pull_request.number || github.ref }}}}
  cancel-in-progress: true
jobs:
  migration-collision-check:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: read
      pull-requests: write  # list the open pull requests; keep one sticky comment
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # the merge base with the base branch must be reachable
{setup}\
      - run: {plan.install}
      # A merge-queue group has no pull request to comment on: no --post-comment there.
      - run: >-
          migration-guard check --format github
          ${{{{ github.event_name == 'pull_request' && '--post-comment' || '' }}}}
        env:
          GITHUB_TOKEN: ${{{{ github.token }}}}
  alembic-heads-gate:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
{setup}\
      - run: {plan.install}
"""
    if plan.heads:
        out += "      - run: migration-guard heads\n"
    out += "      - run: migration-guard lint\n"
    if not plan.gated:
        return out + (
            "  # No migration-gate job: no chain here can be round-tripped by `migration-guard"
            " gate`.\n"
        )
    out += f"""\
  migration-gate:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # --if-changed compares with the merge base
{setup}"""
    if plan.system_packages:
        packages = " ".join(plan.system_packages)
        out += f"""\
      - run: |
          sudo apt-get update -qq
          sudo apt-get install -y -qq --no-install-recommends {packages}
"""
    out += f"""\
      # The gate runs each chain's migrations (Alembic: its env.py): install what they import
      # too, e.g. `pip install -r requirements.txt`.
      - run: {plan.install_gate}
      # A throwaway PostgreSQL from the runner's own server binaries, deleted afterwards.
      - run: migration-guard gate --if-changed --temp-postgres{plan.gate_args()}
"""
    return out


def gitlab_include(plan: CiPlan) -> str:
    """``.gitlab/migration-guard.gitlab-ci.yml``: the jobs, for ``include: local:``."""
    out = f"""\
# migration-guard: the runbook's three CI jobs for merge-request pipelines (written by
# `migration-guard init --ci gitlab`). Include it from .gitlab-ci.yml:
#   include:
#     - local: {GITLAB_INCLUDE}
# The jobs run in the default `test` stage. For the sticky merge-request note, set
# GITLAB_TOKEN (a masked CI/CD variable: a project access token with the api scope);
# without it, check runs without --post-comment (CI_JOB_TOKEN cannot write notes).
.migration-guard:
  image: python:{PYTHON}
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: 0  # the merge base with the target branch must be reachable
  before_script:
    - {plan.install}

migration-collision-check:
  extends: .migration-guard
  script:
    - migration-guard check ${{GITLAB_TOKEN:+--post-comment}}

alembic-heads-gate:
  extends: .migration-guard
  script:
    # The Code Quality report the merge request widget shows; the text below is for the log.
    - migration-guard lint --format gitlab > gl-code-quality-report.json || true
"""
    if plan.heads:
        out += "    - migration-guard heads\n"
    out += """\
    - migration-guard lint
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json
"""
    if not plan.gated:
        return out + (
            "# No migration-gate job: no chain here can be round-tripped by `migration-guard"
            " gate`.\n"
        )
    out += """
migration-gate:
  extends: .migration-guard
  services:
    - name: postgres:16
      alias: postgres
  variables:
    POSTGRES_PASSWORD: postgres
  before_script:
"""
    if plan.system_packages:
        packages = " ".join(plan.system_packages)
        out += (
            "    - apt-get update -qq && apt-get install -y -qq --no-install-recommends "
            f"{packages}\n"
        )
    out += f"""\
    # The gate runs each chain's migrations: install what they import too.
    - {plan.install_gate}
  script:
    - migration-guard gate --if-changed --database-url postgresql://postgres:postgres@postgres:5432/postgres{plan.gate_args()}
"""
    return out


def gitlab_ci() -> str:
    """A ``.gitlab-ci.yml`` for a repository that has none: the include alone."""
    return f"""\
# Written by `migration-guard init --ci gitlab`: add your own jobs below.
include:
  - local: {GITLAB_INCLUDE}
"""


GITLAB_INCLUDE_LINES = f"include:\n  - local: {GITLAB_INCLUDE}"
