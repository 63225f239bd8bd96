"""Reading statically which Alembic revisions cannot be downgraded (the gate's floor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard import sample
from migration_guard.chains.alembic import reader as alembic
from migration_guard.chains.alembic.downgrade import (
    MISSING,
    RAISES,
    Irreversible,
    irreversible,
    irreversible_reason,
)
from migration_guard.model import ChainKind, ChainSpec
from migration_guard.tree import WorkTree

HEAD = (
    'revision = "0002"\ndown_revision = "0001"\n\n\ndef upgrade():\n    op.create_table("t")\n\n\n'
)


@pytest.mark.parametrize(
    ("downgrade", "reason"),
    [
        ("def downgrade():\n    raise NotImplementedError\n", RAISES),
        ("def downgrade():\n    raise NotImplementedError()\n", RAISES),
        ('def downgrade() -> None:\n    raise NotImplementedError("data migration")\n', RAISES),
        (
            'def downgrade():\n    """Irreversible."""\n    # the data is gone\n'
            "    raise NotImplementedError('no way back') from None\n",
            RAISES,
        ),
        ("async def downgrade():\n    raise NotImplementedError\n", RAISES),
        # The last definition is the one Alembic calls.
        (
            "def downgrade():\n    pass\n\n\ndef downgrade():\n    raise NotImplementedError\n",
            RAISES,
        ),
        ("def downgrade():\n    raise NotImplementedError\n\n\ndef downgrade():\n    pass\n", None),
        ("", MISSING),
        ("def downgrade_data():\n    raise NotImplementedError\n", MISSING),
        # A no-op is not irreversible: Alembic's template writes `pass` for empty revisions.
        ("def downgrade():\n    pass\n", None),
        ('def downgrade():\n    op.drop_table("t")\n', None),
        # Raised only under a condition, or after doing something: left to the run-time check.
        (
            "def downgrade():\n    if op.get_bind().dialect.name == 'sqlite':\n"
            "        raise NotImplementedError\n",
            None,
        ),
        ('def downgrade():\n    op.drop_table("t")\n    raise NotImplementedError\n', None),
        ('def downgrade():\n    raise RuntimeError("irreversible")\n', None),
        ("def downgrade():\n    raise errors.NotImplementedError\n", None),
        # `downgrade` bound some other way: not sure, so not irreversible here.
        ("from myapp.migrations import downgrade\n", None),
        ("from myapp.migrations.helpers import *\n", None),
        ("downgrade = upgrade\n", None),
        ("try:\n    def downgrade():\n        pass\nexcept ImportError:\n    pass\n", None),
        ("if True:\n    downgrade = None\n", None),
    ],
)
def test_irreversible_reason(downgrade: str, reason: str | None) -> None:
    assert irreversible_reason((HEAD + downgrade).encode()) == reason


def test_unparsable_file_is_left_to_alembic() -> None:
    assert (
        irreversible_reason(b'revision = "1"\ndef downgrade(:\n    raise NotImplementedError\n')
        is None
    )


def test_irreversible_revisions_of_a_chain(tmp_path: Path) -> None:
    versions = tmp_path / "db/versions"
    versions.mkdir(parents=True)
    for n in range(1, 5):
        rev = f"{n:04d}"
        text = sample.alembic_script(rev, f"{n - 1:04d}" if n > 1 else None, f"c{rev}", table=rev)
        if n == 1:
            text = text.replace('op.drop_table("0001")', 'raise NotImplementedError("initial")')
        if n == 3:
            text = text[: text.index("\n\ndef downgrade")] + "\n"
        (versions / f"{rev}_c{rev}.py").write_text(text)
    tree = WorkTree(tmp_path)
    spec = ChainSpec("db", "Db", ChainKind.ALEMBIC, "db/versions")
    state = alembic.read_chain(tree, spec)
    assert irreversible(tree, state.migrations) == (
        Irreversible("0001", "db/versions/0001_c0001.py", RAISES),
        Irreversible("0003", "db/versions/0003_c0003.py", MISSING),
    )
