"""The documentation lists every finding code the code can emit, and nothing else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from migration_guard.chains.alembic.graph import CODES as ALEMBIC_CODES
from migration_guard.chains.django.reader import CODES as DJANGO_CODES
from migration_guard.chains.numbered.reader import CODES as NUMBERED_CODES
from migration_guard.chains.sqitch.reader import CODES as SQITCH_CODES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "findings.md"
CATALOGUES = {**ALEMBIC_CODES, **SQITCH_CODES, **DJANGO_CODES, **NUMBERED_CODES}


def test_every_code_is_documented_once() -> None:
    documented = re.findall(r"^\| (MG\d{3}) \|", DOCS.read_text(), flags=re.MULTILINE)
    assert sorted(documented) == sorted(CATALOGUES)
    assert len(documented) == len(set(documented))


def test_every_code_in_the_source_is_in_a_catalogue() -> None:
    """A code a kind emits but no ``CODES`` catalogue lists would escape the check above."""
    found = {
        node.value
        for path in sorted((ROOT / "src" / "migration_guard").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"MG\d{3}", node.value)
    }
    assert found, "no finding code found in the source: the scan is broken"
    assert sorted(found - set(CATALOGUES)) == []
