"""``migration-guard init``: write the configuration (and, when asked, the CI workflow and
the runbook's wrapper scripts) for the chains discovery finds.

Shows what it found and each file it writes; never overwrites a file without ``--force``,
and never one git could not give back; writes everything or nothing (``scaffold.files``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from migration_guard import git
from migration_guard.chains import read_chain, registry
from migration_guard.chains.kind import Capability
from migration_guard.config import (
    CONFIG_FILE,
    Config,
    discover,
    load_config,
    title_of,
    valid_chain_name,
)
from migration_guard.errors import ConfigError, InputError, UsageError
from migration_guard.model import ChainSpec, ChainState, NumberingMode
from migration_guard.report import chains_text
from migration_guard.scaffold import ci as ci_files
from migration_guard.scaffold import config_file, scripts
from migration_guard.scaffold.files import PlannedFile, refuse_existing, write_all
from migration_guard.tree import WorkTree

LOOKED_FOR = (
    "looked for Alembic configurations (alembic.ini, [tool.alembic] in pyproject.toml) and "
    "versions folders, sqitch.plan files, Django apps' migrations/ folders and folders of "
    "numbered SQL migrations (Flyway, golang-migrate, goose, dbmate)"
)


def run(
    *,
    start: Path,
    ci: str,
    write_scripts: bool,
    pyproject: bool,
    dry_run: bool,
    force: bool,
    keep_config: bool,
    names: Sequence[str],
    titles: Sequence[str],
    out: TextIO,
) -> int:
    start = start.resolve()
    if not start.is_dir():
        raise InputError(f"{start} is not a directory")
    top = git.repo_root(start)
    root = top if top is not None else start
    tree = WorkTree(root)
    if keep_config:
        if names or titles or pyproject:
            raise UsageError(
                "--keep-config keeps the configuration: no --name, --title or --pyproject"
            )
        config = load_config(root, tree)
        if config.source == "discovered":
            raise UsageError(
                "--keep-config: there is no configuration to keep (no migration-guard.toml, no "
                "[tool.migration-guard] in pyproject.toml)",
                hint="leave --keep-config out to write one from what discovery finds",
            )
        specs, notes, source = config.chains, config.notes, config.source
    else:
        found, notes = discover(tree)
        specs = tuple(_named(found, names, titles))
        source = "discovered"
    if not specs:
        raise Config((), source, notes=notes).nothing_to(
            f"no migration chains found in {root}: {LOOKED_FOR}; nothing was written",
            hint="point init at the repository (-C DIR), or write migration-guard.toml by hand "
            "(a [[chains]] table per chain: name, kind, path)",
        )
    states = [read_chain(tree, spec) for spec in specs]
    print(chains_text(states, source, notes), file=out)

    planned: list[PlannedFile] = []
    if not keep_config:
        planned.append(_config_file(root, states, pyproject=pyproject, force=force, out=out))
    planned += _ci_files(root, ci, specs)
    if write_scripts:
        planned += [PlannedFile(w.path, w.text, executable=True) for w in scripts.wrappers()]
    if not planned:
        raise UsageError("nothing to write: --keep-config with --ci none and no --scripts")
    refuse_existing(root, planned, force=force, in_git=top is not None)

    if dry_run:
        for file in planned:
            verb = (
                "edit" if file.replaces else "overwrite" if (root / file.path).exists() else "write"
            )
            print(f"\n--- would {verb} {file.path}:", file=out)
            print(file.text, end="" if file.text.endswith("\n") else "\n", file=out)
        print(f"\ninit: --dry-run: {len(planned)} file(s), nothing written.", file=out)
        return 0
    write_all(root, planned)
    print(f"Wrote {len(planned)} file(s):", file=out)
    for file in planned:
        print(f"  {file.path}" + (" (executable)" if file.executable else ""), file=out)
    for line in _next_steps(root, ci, planned):
        print(line, file=out)
    return 0


def _named(
    found: Sequence[ChainSpec], names: Sequence[str], titles: Sequence[str]
) -> list[ChainSpec]:
    """Discovery's chains with ``--name WHICH=NAME`` and ``--title NAME=TITLE`` applied
    (WHICH: the discovered name, or the chain's path)."""
    specs = list(found)
    for item in names:
        which, new = _pair(item, "--name", "WHICH=NAME")
        index = _find(specs, which, "--name")
        if not valid_chain_name(new):
            raise UsageError(
                f"--name {item}: {new!r} is not a valid chain name",
                hint="use lowercase letters, digits, '-' and '_' (it becomes a flag: --NAME-only)",
            )
        spec = specs[index]
        retitle = spec.title == title_of(spec.name)
        specs[index] = spec._replace(name=new, title=title_of(new) if retitle else spec.title)
    for item in titles:
        which, title = _pair(item, "--title", "NAME=TITLE")
        index = _find(specs, which, "--title")
        if not title.strip():
            raise UsageError(f"--title {item}: the title is empty")
        specs[index] = specs[index]._replace(title=title.strip())
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise UsageError(
                f"two chains would be named {spec.name!r}",
                hint="give each its own name with --name PATH=NAME",
            )
        seen.add(spec.name)
    return specs


def _pair(item: str, flag: str, form: str) -> tuple[str, str]:
    which, sep, value = item.partition("=")
    if not sep or not which or not value:
        raise UsageError(f"{flag} {item!r} is not {form}")
    return which.strip(), value.strip()


def _find(specs: Sequence[ChainSpec], which: str, flag: str) -> int:
    clean = which.rstrip("/")
    for index, spec in enumerate(specs):
        if clean == spec.name or clean in spec.folders:
            return index
    known = ", ".join(f"{s.name} ({s.path})" for s in specs) or "(none)"
    raise UsageError(f"{flag}: no chain is named or found at {which!r}", hint=f"found: {known}")


def _width(state: ChainState) -> int | None:
    """The detected width, pinned in the configuration for a numbered chain."""
    if state.numbering is NumberingMode.SEQUENTIAL and state.numbered:
        return state.width
    return None


def _config_file(
    root: Path, states: Sequence[ChainState], *, pyproject: bool, force: bool, out: TextIO
) -> PlannedFile:
    tables = [config_file.chain_table(s.spec, _width(s)) for s in states]
    own = root / CONFIG_FILE
    project = root / "pyproject.toml"
    if not pyproject:
        if project.is_file() and _has_table(project):
            print(
                "note: pyproject.toml has a [tool.migration-guard] table; migration-guard.toml "
                "is read first, so the table will no longer be read",
                file=out,
            )
        return PlannedFile(CONFIG_FILE, config_file.config_text(tables))
    if not project.is_file():
        raise UsageError(
            "--pyproject: there is no pyproject.toml; nothing was written",
            hint="leave --pyproject out to write migration-guard.toml",
        )
    if own.exists():
        raise UsageError(
            f"--pyproject: {CONFIG_FILE} exists and is read before pyproject.toml; nothing "
            "was written",
            hint=f"remove {CONFIG_FILE}, or leave --pyproject out",
        )
    original = _read(project)
    exists = _has_table(project)
    if exists and not force:
        raise UsageError(
            "pyproject.toml already has a [tool.migration-guard] table; nothing was written",
            hint="--force replaces the table (the rest of the file is kept as it is)",
        )
    text = config_file.pyproject_text(original, tables)
    # An edit that keeps the rest needs no --force; replacing our table does (and then a
    # pyproject.toml with uncommitted changes is refused).
    return PlannedFile("pyproject.toml", text, replaces=not exists)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}") from exc


def _has_table(path: Path) -> bool:
    try:
        return config_file.has_tool_table(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from exc


def ci_plan(specs: Sequence[ChainSpec]) -> ci_files.CiPlan:
    """What the chains ask of CI: the single-head gate, which chains gate can run."""
    kinds = {s.name: registry.kind_of(s.kind) for s in specs}
    gated = tuple(name for name, kind in kinds.items() if Capability.GATE in kind.capabilities)
    packages = dict.fromkeys(p for name in gated for p in kinds[name].gate_system_packages)
    return ci_files.CiPlan(
        heads=any(Capability.HEADS in kind.capabilities for kind in kinds.values()),
        gated=gated,
        all_gated=len(gated) == len(specs),
        system_packages=tuple(packages),
    )


def _ci_files(root: Path, ci: str, specs: Sequence[ChainSpec]) -> list[PlannedFile]:
    plan = ci_plan(specs)
    if ci == "github":
        return [PlannedFile(ci_files.GITHUB_WORKFLOW, ci_files.github_workflow(plan))]
    if ci == "gitlab":
        files = [PlannedFile(ci_files.GITLAB_INCLUDE, ci_files.gitlab_include(plan))]
        if not (root / ci_files.GITLAB_CI).exists():
            files.append(PlannedFile(ci_files.GITLAB_CI, ci_files.gitlab_ci()))
        return files
    return []


def _next_steps(root: Path, ci: str, planned: Sequence[PlannedFile]) -> list[str]:
    written = {f.path for f in planned}
    lines = ["Next: review and commit these files."]
    if ci == "github":
        lines.append(
            "Then make migration-collision-check, alembic-heads-gate and migration-gate "
            "required checks (they report on every pull request)."
        )
    if ci == "gitlab" and ci_files.GITLAB_CI not in written:
        lines.append(f"Then include the jobs from {ci_files.GITLAB_CI}:")
        lines += ["  " + line for line in ci_files.GITLAB_INCLUDE_LINES.splitlines()]
    if any(f.path.startswith(scripts.FOLDER) for f in planned):
        lines.append(
            f"The runbook's commands now work verbatim: python3 {scripts.FOLDER}/"
            "check_migration_collision.py --base-sha origin/main --pr-number 0"
        )
    return lines
