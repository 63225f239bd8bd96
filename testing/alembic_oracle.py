"""Real Alembic, in this process, on a folder of revision scripts: what it says, or raises."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory


def alembic_heads(folder: Path, scripts: Mapping[str, str]) -> list[str] | BaseException:
    """Write ``scripts`` (file name -> source) to ``folder/versions`` and ask Alembic for the
    heads (``alembic heads`` order), or return the exception it raises. No bytecode is left
    behind, and no module stays imported."""
    versions = folder / "versions"
    versions.mkdir(parents=True)
    for name, source in scripts.items():
        (versions / name).write_text(source, encoding="utf-8")
    config = Config()
    config.set_main_option("script_location", str(folder))
    before = set(sys.modules)
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(ScriptDirectory.from_config(config).get_heads())
    except Exception as error:
        return error
    finally:
        sys.dont_write_bytecode = dont_write
        for name in set(sys.modules) - before:
            del sys.modules[name]
