"""Alembic's configuration, statically, against the real Alembic (1.20.1) in this process.

Generated projects vary every rule of ``chains.alembic_config``: ini and/or pyproject.toml,
named sections, ``path_separator`` / ``version_path_separator`` (valid and invalid values) or
legacy splitting, ``%(here)s``, relative and package-resource locations, duplicated, missing
and nested folders, ``recursive_version_locations`` spelled ``true``/``True``/TOML booleans,
and revision graphs across folders. For each configuration, Alembic's
``ScriptDirectory.from_config`` says which folders it uses, which files it loads (in order) and
the heads; migration-guard must say the same from the files alone, refuse exactly what Alembic
refuses, and discover the same chains.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

from migration_guard.chains.alembic import reader as alembic
from migration_guard.chains.alembic.config import (
    AlembicConfig,
    configs_in,
    read_layout,
)
from migration_guard.config import discover
from migration_guard.errors import ConfigError
from migration_guard.model import ChainKind, ChainSpec
from migration_guard.tree import WorkTree

CASES = 160
BROKEN = "<missing down revision>"
MISSING = "<no such folder>"


class Case(NamedTuple):
    root: Path
    folder: str  # where alembic runs: the config files' folder
    sections: tuple[str, ...]  # the configurations the generator wrote, "alembic" first
    syspath: tuple[str, ...]  # where a package-resource location's package is importable


class Seen(NamedTuple):
    """What Alembic (or migration-guard) makes of one configuration."""

    folders: tuple[str, ...]
    loaded: tuple[str, ...]
    heads: tuple[str, ...]
    recursive: bool


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _revision(rev: str, parent: str | None) -> str:
    return f"revision = {rev!r}\ndown_revision = {parent!r}\n"


def _generate(base: Path, index: int) -> Case:
    rng = random.Random(index)
    root = base / f"case{index}"
    folder = rng.choice(["", "app"])
    cwd = root / folder if folder else root
    here = "%(here)s/"
    syspath: tuple[str, ...] = ()

    # script_location: a folder (plain, ./, %(here)s) or a package resource.
    if rng.random() < 0.2:
        package = f"mgpkg{index}"
        in_src = rng.random() < 0.5
        pkg_dir = root / ("src" if in_src else "") / package
        _write(pkg_dir / "__init__.py")
        (pkg_dir / "migrations").mkdir(parents=True)
        script = f"{package}:migrations"
        script_dir = pkg_dir / "migrations"
        syspath = (str(root / "src") if in_src else str(root),)
    else:
        form = rng.choice(["migrations", "./migrations", here + "migrations"])
        script = form
        script_dir = cwd / "migrations"
        if rng.random() < 0.95:
            script_dir.mkdir(parents=True)

    # Version folders: relative to where alembic runs; some missing, some listed twice.
    names = rng.sample(["v1", "v2", "deep/v3", "v4"], k=rng.choice([0, 1, 2, 2, 3]))
    if names and rng.random() < 0.15:
        names.append(names[0])
    made = [n for n in dict.fromkeys(names) if rng.random() < 0.9]
    targets = [cwd / n for n in made] or [script_dir / "versions"]
    recursive_text = rng.choice([None, None, "true", "True", "false"])
    revisions: list[str] = []
    for n in range(rng.randint(0, 6)):
        rev = f"r{index}x{n}"
        parent = rng.choice([None, *revisions[-3:]]) if revisions else None
        if revisions and rng.random() < 0.8:
            parent = rng.choice(revisions[-2:])
        target = rng.choice(targets)
        if rng.random() < 0.15:
            target = target / "sub"
        _write(target / f"{rev}_step.py", _revision(rev, parent))
        revisions.append(rev)
    if rng.random() < 0.1:
        _write(targets[0] / "__init__.py")
        _write(targets[0] / "notes.txt", "not a script")

    def location(name: str) -> str:
        return rng.choice([name, f"./{name}", here + name])

    # The ini's version_locations, split as the chosen separator says.
    sep_key = rng.choice([None, "path_separator", "version_path_separator", "both"])
    sep_value = rng.choice(["os", "space", "newline", ":", ";", "os", "space", "colon"])
    joiner = {"os": os.pathsep, "space": " ", "newline": "\n    ", ":": ":", ";": ";"}
    if sep_key is None or sep_value == "colon":
        glue = rng.choice([" ", ", ", ",", "  "])
    else:
        glue = joiner[sep_value]
        if sep_value in ("os", ":", ";") and rng.random() < 0.3:
            glue += " "  # parts are stripped
    version_text = glue.join(location(n) for n in names) if names else None

    use_ini = rng.random() < 0.8
    use_toml = not use_ini or rng.random() < 0.3
    ini_script = use_ini and (not use_toml or rng.random() < 0.5)
    ini_versions = use_ini and version_text is not None and (not use_toml or rng.random() < 0.5)
    lines = ["[alembic]"]
    if ini_script:
        lines.append(f"script_location = {script}")
    if ini_versions:
        lines.append(f"version_locations = {version_text}")
    if sep_key in ("path_separator", "both"):
        lines.append(f"path_separator = {sep_value}")
    if sep_key in ("version_path_separator", "both"):
        lines.append(f"version_path_separator = {rng.choice([sep_value, 'os'])}")
    if recursive_text is not None and use_ini:
        lines.append(f"recursive_version_locations = {recursive_text}")
    sections = []
    if ini_script or use_toml:
        sections.append("alembic")
    if use_ini and rng.random() < 0.3:
        # A named configuration (alembic -n other) with its own folders.
        other = cwd / "other"
        (other / "versions").mkdir(parents=True)
        _write(other / "versions" / f"o{index}_base.py", _revision(f"o{index}", None))
        lines += ["", "[other]", f"script_location = {here}other"]
        if rng.random() < 0.5:
            lines.append(f"version_locations = {here}other/versions {here}v1")
        sections.append("other")
    lines += ["", "[loggers]", "keys = root"]
    if use_ini:
        _write(cwd / "alembic.ini", "\n".join(lines) + "\n")
    if use_toml:
        table = ["[tool.alembic]"]
        if not ini_script:
            table.append(f'script_location = "{script}"')
        if names and not ini_versions:
            listed = ", ".join(f'"{here}{n}"' for n in names)
            table.append(f"version_locations = [{listed}]")
        if rng.random() < 0.3:
            table.append(f"recursive_version_locations = {rng.choice(['true', 'false'])}")
        _write(cwd / "pyproject.toml", "\n".join(table) + "\n")
    return Case(root, folder, tuple(sections), syspath)


@contextmanager
def _in(folder: Path, syspath: tuple[str, ...]) -> Iterator[None]:
    before_cwd, before_path = os.getcwd(), list(sys.path)
    os.chdir(folder)
    sys.path[:0] = list(syspath)
    importlib.invalidate_caches()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        os.chdir(before_cwd)
        sys.path[:] = before_path


def _alembic_sees(case: Case, section: str) -> Seen | None:
    """Real Alembic: None when it refuses the configuration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cwd = case.root / case.folder if case.folder else case.root
    real_root = os.path.realpath(case.root)

    def rel(path: Path | str) -> str:
        return Path(os.path.relpath(os.path.realpath(path), real_root)).as_posix()

    ini = "alembic.ini" if (cwd / "alembic.ini").is_file() else None
    toml = "pyproject.toml" if (cwd / "pyproject.toml").is_file() else None
    with _in(cwd, case.syspath):
        try:
            script_dir = ScriptDirectory.from_config(
                Config(ini, toml_file=toml, ini_section=section)
            )
            folders = tuple(
                rel(p) if p.is_dir() else MISSING for p in script_dir._version_locations
            )
            loaded = list(script_dir._load_revisions())
        except Exception:
            return None
        try:
            heads = tuple(sorted(script_dir.get_heads()))
        except KeyError:  # a down revision no loaded file declares (in an unread subfolder)
            heads = (BROKEN,)
    return Seen(
        folders, tuple(rel(s.path) for s in loaded), heads, script_dir.recursive_version_locations
    )


def _we_see(case: Case, config: AlembicConfig) -> Seen | None:
    tree = WorkTree(case.root)
    try:
        layout = read_layout(tree, config)
    except ConfigError:
        return None
    present = [f for f in dict.fromkeys(layout.folders) if tree.is_dir(f)]
    # A folder that does not exist is compared as such: its spelling (a legacy split can
    # leave "v1\n%(here)s/v2" whole) has Alembic's real path in it, ours a stand-in.
    folders = tuple(f if tree.is_dir(f) else MISSING for f in layout.folders)
    if not present:
        return Seen(folders, (), (), layout.recursive)
    spec = ChainSpec(
        "c",
        "C",
        ChainKind.ALEMBIC,
        present[0],
        extra_paths=tuple(present[1:]),
        recursive=layout.recursive,
    )
    state = alembic.read_chain(tree, spec)
    heads = tuple(sorted(h.revision for h in state.heads))
    if any(f.code == "MG103" for f in state.findings):
        heads = (BROKEN,)
    return Seen(folders, tuple(alembic.chain_script_paths(tree, spec)), heads, spec.recursive)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    base = tmp_path_factory.mktemp("alembic-config-parity")
    return [_generate(base, i) for i in range(CASES)]


def test_generated_configurations_read_as_alembic_reads_them(cases: list[Case]) -> None:
    refused = accepted = 0
    mismatches = []
    for case in cases:
        tree = WorkTree(case.root)
        configs = configs_in(tree, case.folder)
        assert tuple(c.section for c in configs) == case.sections, case.root
        for config in configs:
            theirs = _alembic_sees(case, config.section)
            ours = _we_see(case, config)
            if theirs is None:
                refused += 1
            else:
                accepted += 1
            if theirs != ours:
                mismatches.append((case.root.name, config.section, theirs, ours))
    assert mismatches == []
    # The generator reaches both outcomes often (not a test that cannot fail).
    assert refused >= 10 and accepted >= 80, (refused, accepted)


def test_discovery_finds_the_chains_alembic_uses(cases: list[Case]) -> None:
    """Each configuration Alembic accepts with an existing folder is one discovered chain
    (identical folder lists once), with Alembic's heads; one whose scripts are all in
    subfolders of a flat chain, or that Alembic refuses, is a note instead."""
    several = 0
    for case in cases:
        tree = WorkTree(case.root)
        expected: dict[tuple[str, ...], tuple[str | None, tuple[str, ...]]] = {}
        notes = 0
        for section in case.sections:
            seen = _alembic_sees(case, section)
            folders = (
                ()
                if seen is None
                else tuple(dict.fromkeys(f for f in seen.folders if (case.root / f).is_dir()))
            )
            if seen is None or not folders:
                notes += 1
                continue
            only_below = (
                not seen.recursive
                and not seen.loaded
                and any(alembic.subfolder_scripts(tree, folders))
            )
            if only_below:
                notes += 1
            elif folders not in expected:
                expected[folders] = (None if section == "alembic" else section, seen.heads)
        specs, found_notes = discover(tree)
        got = {}
        for spec in specs:
            state = alembic.read_chain(tree, spec)
            heads = tuple(sorted(h.revision for h in state.heads))
            if any(f.code == "MG103" for f in state.findings):
                heads = (BROKEN,)
            got[spec.folders] = (spec.alembic_section, heads)
        assert got == expected, case.root
        assert len(found_notes) == notes, (case.root, found_notes)
        several += sum(len(f) > 1 for f in got)
    assert several >= 10
