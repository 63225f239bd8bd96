"""Release-ready packaging: the metadata agrees with the code, and a wheel built from a clean
copy ships the LICENSE, installs into a fresh venv and runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from testing.project_copy import ROOT, copy_project, fresh_venv
from testing.tools import require_module

from migration_guard import __version__
from migration_guard.project import REPOSITORY_URL, release_tag

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def test_project_urls_point_at_the_repository() -> None:
    urls = PYPROJECT["urls"]
    assert set(urls) == {"Homepage", "Repository", "Issues", "Changelog", "Documentation"}
    for name, url in urls.items():
        assert url == REPOSITORY_URL or url.startswith(REPOSITORY_URL + "/"), name
    assert urls["Changelog"].endswith("/CHANGELOG.md")


def test_license_is_mit_and_declared_once() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 migration-guard developers" in text
    assert PYPROJECT["license"] == "MIT"
    assert PYPROJECT["license-files"] == ["LICENSE"]
    # PEP 639: a license expression forbids "License ::" classifiers (hatchling refuses them).
    assert not [c for c in PYPROJECT["classifiers"] if c.startswith("License ::")]


def test_classifiers_name_every_supported_python() -> None:
    classifiers = PYPROJECT["classifiers"]
    assert PYPROJECT["requires-python"] == f">={PYTHONS[0]}"
    versions = sorted(
        c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)
    )
    assert versions == sorted(PYTHONS, key=lambda v: tuple(map(int, v.split("."))))
    for wanted in ("Development Status :: 4 - Beta", "Environment :: Console", "Typing :: Typed"):
        assert wanted in classifiers


def test_changelog_has_an_entry_for_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d\d-\d\d$", text, re.M)
    link = f"[{__version__}]: {REPOSITORY_URL}/releases/tag/{release_tag()}"
    assert link in text.splitlines()


def _build(tmp_path: Path) -> tuple[Path, Path]:
    """sdist, then the wheel from that sdist (what `python -m build` does): (wheel, sdist)."""
    require_module("build")
    source = copy_project(tmp_path / "source")
    out = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "build", "-o", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


@pytest.mark.slow
def test_wheel_and_sdist_ship_the_license_and_install_into_a_fresh_venv(tmp_path: Path) -> None:
    wheel, sdist = _build(tmp_path)
    assert wheel.name == f"migration_guard-{__version__}-py3-none-any.whl"

    dist_info = f"migration_guard-{__version__}.dist-info"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        record = zf.read(f"{dist_info}/RECORD").decode()
        shipped = zf.read(f"{dist_info}/licenses/LICENSE").decode()
    assert shipped == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert f"{dist_info}/licenses/LICENSE," in record
    assert "migration_guard/py.typed" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO"} <= members
    assert "tests/test_packaging.py" in members  # a packager can run the tests
    assert not [m for m in members if "__pycache__" in m or m.endswith((".pyc", ".db"))]

    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    if "No module named twine" not in twine.stderr:
        assert twine.returncode == 0, twine.stdout + twine.stderr

    bin_dir = fresh_venv(tmp_path / "venv")
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    version = subprocess.run(
        [str(bin_dir / "migration-guard"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert version.stdout == f"migration-guard {__version__}\n"
    assert version.stderr == ""

    probe = (
        "import json, importlib.metadata as m\n"
        "d = m.distribution('migration-guard')\n"
        "print(json.dumps({'urls': d.metadata.get_all('Project-URL'),"
        " 'classifiers': d.metadata.get_all('Classifier'),"
        " 'license': d.metadata['License-Expression'],"
        " 'files': [str(f) for f in d.files or []]}))\n"
    )
    shown = subprocess.run(
        [str(bin_dir / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    meta = json.loads(shown.stdout)
    assert meta["urls"] == [f"{name}, {url}" for name, url in PYPROJECT["urls"].items()]
    assert meta["classifiers"] == sorted(PYPROJECT["classifiers"])
    assert meta["license"] == "MIT"
    assert f"{dist_info}/licenses/LICENSE" in meta["files"]
