"""Django projects for the tests: small apps written on disk, plans applied, and real
Django run in a child process as the oracle (never imported by the test process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from migration_guard.edits import EditPlan

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "real_shapes" / "django_app"


def copy_fixture(tmp: Path) -> Path:
    """The NetBox slice (apps ``extras`` and ``tenancy``, settings ``settings``) in ``tmp``."""
    root = tmp / "django_app"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def migration(*deps: tuple[str, str], body: str = "", operations: str = "") -> str:
    """The text of a migration with these dependencies (and class body lines)."""
    listed = "".join(f"        {dep!r},\n" for dep in deps)
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [\n{listed}    ]\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + f"    operations = [{operations}]\n"
    )


def write_app(root: Path, label: str, files: Mapping[str, str]) -> Path:
    """``<root>/<label>/migrations`` with ``files`` (name -> text) and the package files."""
    folder = root / label / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (root / label / "__init__.py").touch()
    (folder / "__init__.py").touch()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def write_settings(root: Path, apps: Sequence[str]) -> None:
    (root / "settings.py").write_text(
        "import os\n"
        "SECRET_KEY = 'x'\nUSE_TZ = True\nDEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n"
        f"INSTALLED_APPS = {list(apps)!r}\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
        "'NAME': os.environ.get('MG_FIXTURE_DB', ':memory:')}}\n"
    )


def apply_plan(root: Path, plan: EditPlan) -> None:
    """Write the plan's edits, then make its renames (as ``apply.py`` does, minus safety)."""
    for edit in plan.edits:
        path = root / edit.path
        assert path.read_text() == edit.old_text, edit.path
        path.write_text(edit.new_text)
    for rename in plan.renames:
        (root / rename.old_path).rename(root / rename.new_path)


_ORACLE = """
import json, sys, django
from django.core.management import call_command
from django.core.management.base import CommandError
django.setup()
from django.db.migrations.loader import MigrationLoader
out = {}
try:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    out["leaves"] = [list(k) for k in loader.graph.leaf_nodes()]
    out["conflicts"] = loader.detect_conflicts()
except Exception as exc:
    out["load_error"] = type(exc).__name__ + ": " + str(exc)
out["commands"] = []
for args in json.loads(sys.argv[1]):
    try:
        call_command(*args, verbosity=0, interactive=False)
        out["commands"].append(None)
    except (CommandError, Exception) as exc:
        out["commands"].append(type(exc).__name__ + ": " + str(exc))
print("ORACLE" + json.dumps(out))
"""


def django_oracle(
    root: Path, commands: Sequence[Sequence[str]] = (), *, database: Path | None = None
) -> dict[str, Any]:
    """What real Django says of the project at ``root`` (settings module ``settings``): its
    leaf nodes, conflicts or load error, and the outcome of each management command (None:
    it succeeded, else the exception)."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="settings", PYTHONPATH=str(root))
    if database is not None:
        env["MG_FIXTURE_DB"] = str(database)
    done = subprocess.run(
        [sys.executable, "-c", _ORACLE, json.dumps([list(c) for c in commands])],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("ORACLE")), None)
    assert line is not None, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(line[len("ORACLE") :])
    return result
