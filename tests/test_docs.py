"""The documentation lists every finding code the code can emit, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from migration_guard.chains.alembic.graph import CODES as ALEMBIC_CODES
from migration_guard.chains.django.reader import CODES as DJANGO_CODES
from migration_guard.chains.sqitch.reader import CODES as SQITCH_CODES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "findings.md"


def test_every_code_is_documented_once() -> None:
    documented = re.findall(r"^\| (MG\d{3}) \|", DOCS.read_text(), flags=re.MULTILINE)
    assert sorted(documented) == sorted({**ALEMBIC_CODES, **SQITCH_CODES, **DJANGO_CODES})
    assert len(documented) == len(set(documented))
