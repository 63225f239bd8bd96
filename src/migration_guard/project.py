"""Where this project lives and how to install a given release without a package index.

One spot for the repository address, so that `init`'s workflows, the wrapper scripts' install
hint, the composite action's docs and the package metadata never disagree.
"""

from __future__ import annotations

from migration_guard import __version__

REPOSITORY_URL = "https://github.com/migration-guard/migration-guard"


def release_tag(version: str = __version__) -> str:
    """The git tag a release is published under."""
    return f"v{version}"


def pip_requirement(version: str = __version__, extras: str = "") -> str:
    """A pip requirement that installs this release straight from the repository (no index)."""
    suffix = f"[{extras}]" if extras else ""
    return f"migration-guard{suffix} @ git+{REPOSITORY_URL}@{release_tag(version)}"
