"""External tools the tests compare against (sqitch, dbmate, Alembic's own modules).

On a developer's machine a missing tool skips the tests that need it, with the reason. In CI
(``CI=true``, as GitHub Actions and GitLab CI set it) it does not: a runner without the tool
would otherwise report green on tests that never ran, so there the test runs and fails on the
missing tool.
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest


def in_ci(environ: dict[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() in ("true", "1", "yes")


def needs_tool(name: str, install: str) -> pytest.MarkDecorator:
    """Skip when ``name`` is not on PATH, except in CI: there the test runs (and its own
    ``assert binary is not None`` fails loudly)."""
    missing = shutil.which(name) is None
    return pytest.mark.skipif(
        missing and not in_ci(),
        reason=f"{name} is not installed ({install}); in CI (CI=true) this fails instead",
    )


def require_module(name: str) -> ModuleType:
    """``pytest.importorskip`` outside CI; in CI a missing module is a failure."""
    if in_ci():
        try:
            return importlib.import_module(name)
        except ImportError as error:
            pytest.fail(f"{name} is not installed, and CI=true: a missing tool fails: {error}")
    module: ModuleType = pytest.importorskip(name)
    return module


def require_tool(name: str, install: str) -> str:
    """The path of ``name`` on PATH; skip without it, except in CI, where that fails."""
    found = shutil.which(name)
    if found is not None:
        return found
    message = f"{name} is not installed ({install})"
    if in_ci():
        pytest.fail(f"{message}, and CI=true: a missing tool fails, it does not skip")
    pytest.skip(message)
