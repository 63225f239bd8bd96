"""The pure Alembic renumber planner: exact rewritten texts, refusals, and real Alembic as oracle.

Every rewritten file is compared by exact string (style.md). The oracle tests write real chains
to disk, apply the plan there (``apply_on_disk``, a test-only helper) and load the result with
Alembic 1.20.1 in-process: exactly one head, the expected one, no warnings, and our own reader
(``read_chain``) agrees without error findings.
"""

from __future__ import annotations

import random
import re
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from migration_guard.chains.alembic.reader import read_chain
from migration_guard.chains.alembic.rewrite import Move, RenumberError, plan_renumber, token_pattern
from migration_guard.chains.alembic.script import ScriptInfo, parse_script
from migration_guard.edits import EditPlan, Rename
from migration_guard.errors import InputError
from migration_guard.model import ChainKind, ChainSpec, Severity
from migration_guard.sample import ENV_PY, SCRIPT_MAKO, alembic_script
from migration_guard.tree import WorkTree

V = "console/migrations/versions"


# ---------------------------------------------------------------------------------------------
# Helpers


def after(sources: Mapping[str, str], plan: EditPlan) -> dict[str, str]:
    """The chain's files after the plan (final path -> text), computed in memory."""
    texts = dict(sources)
    for edit in plan.edits:
        assert texts[edit.path] == edit.old_text
        texts[edit.path] = edit.new_text
    for rename in plan.renames:
        assert rename.new_path not in texts
        texts[rename.new_path] = texts.pop(rename.old_path)
    return texts


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


def read_files(root: Path, folder: str) -> dict[str, str]:
    return {
        f"{folder}/{p.name}": p.read_bytes().decode("utf-8")
        for p in sorted((root / folder).iterdir())
        if p.suffix == ".py"
    }


def apply_on_disk(root: Path, plan: EditPlan) -> None:
    """Test-only: write the edits (bytes, so line ends stay), then do the renames in order."""
    for edit in plan.edits:
        target = root / edit.path
        assert target.read_bytes().decode("utf-8") == edit.old_text
        target.write_bytes(edit.new_text.encode("utf-8"))
    for rename in plan.renames:
        assert not (root / rename.new_path).exists()
        (root / rename.old_path).rename(root / rename.new_path)


def assert_single_head(root: Path, folder: str, expected: str) -> None:
    """Real Alembic loads the chain with exactly one head, ``expected``; so does read_chain."""
    script_location = root / folder.rsplit("/", 1)[0]
    (script_location / "env.py").write_text(ENV_PY, encoding="utf-8")
    (script_location / "script.py.mako").write_text(SCRIPT_MAKO, encoding="utf-8")
    config = Config()
    config.set_main_option("script_location", str(script_location))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        heads = list(ScriptDirectory.from_config(config).get_heads())
    assert [str(w.message) for w in caught] == []
    assert heads == [expected]
    spec = ChainSpec("console", "Console", ChainKind.ALEMBIC, folder, 4)
    state = read_chain(WorkTree(root), spec, check_syntax=True)
    errors = [f for f in state.findings if f.severity is Severity.ERROR]
    assert errors == []
    assert [h.revision for h in state.heads] == [expected]


@pytest.fixture(autouse=True)
def _no_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    # Alembic imports the scripts; a stale .pyc of a rewritten file must never be picked up.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


def sample(
    rev: str, down: str | None, slug: str, *, old_style: bool = False, flag: str | None = None
) -> str:
    return alembic_script(rev, down, slug, table=slug, old_style=old_style, flag=flag)


# ---------------------------------------------------------------------------------------------
# The runbook: 0145_promote_my_feature.py -> 0193_promote_my_feature.py on top of 0192


RUNBOOK_BEFORE = '''\
"""promote my feature

Revision ID: 0145
Revises: 0144
Create Date: 2026-06-01 12:00:00.000000

"""
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0145"
down_revision: Union[str, None] = "0144"
branch_labels: Union[str, None] = None
depends_on: Union[str, None] = None

_FLAG = "b1_promote_0145"
_INSERT_SQL = (
    "INSERT INTO my_feature (id, name) VALUES (1, 'b1_promote_0145')"
)


def upgrade() -> None:
    op.create_table(
        "my_feature",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=True),
    )
    op.execute(_INSERT_SQL)


def downgrade() -> None:
    op.drop_table("my_feature")
'''

RUNBOOK_AFTER = '''\
"""promote my feature

Revision ID: 0193
Revises: 0192
Create Date: 2026-06-01 12:00:00.000000

"""
from typing import Union

import sqlalchemy as sa
from alembic import op

revision: str = "0193"
down_revision: Union[str, None] = "0192"
branch_labels: Union[str, None] = None
depends_on: Union[str, None] = None

_FLAG = "b1_promote_0193"
_INSERT_SQL = (
    "INSERT INTO my_feature (id, name) VALUES (1, 'b1_promote_0193')"
)


def upgrade() -> None:
    op.create_table(
        "my_feature",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=True),
    )
    op.execute(_INSERT_SQL)


def downgrade() -> None:
    op.drop_table("my_feature")
'''


def runbook_chain() -> dict[str, str]:
    """Main: 0144 <- 0145_add_invoices <- 0192_add_tags; the PR's own 0145 on 0144."""
    return {
        f"{V}/0144_add_teams.py": sample("0144", None, "add_teams", old_style=True),
        f"{V}/0145_add_invoices.py": sample("0145", "0144", "add_invoices", old_style=True),
        f"{V}/0145_promote_my_feature.py": sample(
            "0145", "0144", "my_feature", old_style=True, flag="b1_promote_0145"
        ).replace('"""my feature', '"""promote my feature'),
        f"{V}/0192_add_tags.py": sample("0192", "0145", "add_tags", old_style=True),
    }


RUNBOOK_MOVE = Move(
    f"{V}/0145_promote_my_feature.py", f"{V}/0193_promote_my_feature.py", "0193", ("0192",)
)
RUNBOOK_NOTES = (
    f"{V}/0193_promote_my_feature.py:18: _FLAG 'b1_promote_0145' -> 'b1_promote_0193'",
    f"{V}/0193_promote_my_feature.py:19: _INSERT_SQL "
    "\"INSERT INTO my_feature (id, name) VALUES (1, 'b1_promote_0145')\" -> "
    "\"INSERT INTO my_feature (id, name) VALUES (1, 'b1_promote_0193')\"",
    f"{V}/0192_add_tags.py:14: names '0145', which {V}/0145_add_invoices.py keeps; "
    f"left pointing at it (add this file to the move to follow "
    f"{V}/0193_promote_my_feature.py)",
)


def test_runbook_renumber_rewrites_only_the_ids(tmp_path: Path) -> None:
    sources = runbook_chain()
    assert sources[f"{V}/0145_promote_my_feature.py"] == RUNBOOK_BEFORE
    plan = plan_renumber(sources, [RUNBOOK_MOVE])
    assert plan.renames == (
        Rename(f"{V}/0145_promote_my_feature.py", f"{V}/0193_promote_my_feature.py"),
    )
    assert [(e.path, e.reason) for e in plan.edits] == [
        (f"{V}/0145_promote_my_feature.py", "revision 0145 -> 0193; down_revision -> 0192")
    ]
    assert plan.edits[0].old_text == RUNBOOK_BEFORE
    assert plan.edits[0].new_text == RUNBOOK_AFTER
    assert plan.notes == RUNBOOK_NOTES
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert read_files(tmp_path, V) == after(sources, plan)
    assert_single_head(tmp_path, V, "0193")


@pytest.mark.parametrize("final_newline", [True, False])
def test_crlf_line_ends_and_a_missing_final_newline_are_kept(
    tmp_path: Path, final_newline: bool
) -> None:
    def crlf(text: str) -> str:
        text = text.replace("\n", "\r\n")
        return text if final_newline else text[: -len("\r\n")]

    sources = runbook_chain()
    path = f"{V}/0145_promote_my_feature.py"
    sources[path] = crlf(RUNBOOK_BEFORE)
    plan = plan_renumber(sources, [RUNBOOK_MOVE])
    assert [e.new_text for e in plan.edits] == [crlf(RUNBOOK_AFTER)]
    assert plan.notes == RUNBOOK_NOTES
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0193")


# ---------------------------------------------------------------------------------------------
# Alembic's own (1.16.2+) template: repr() quotes, Union[str, Sequence[str], None]


def alembic_template(rev: str, down: str | None, message: str) -> str:
    revises = down or ""
    return f'''\
"""{message}

Revision ID: {rev}
Revises: {revises}
Create Date: 2026-06-01 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {rev!r}
down_revision: Union[str, Sequence[str], None] = {down!r}
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
'''


NEW_TEMPLATE_AFTER = '''\
"""add widgets

Revision ID: 0193
Revises: 0192
Create Date: 2026-06-01 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0193'
down_revision: Union[str, Sequence[str], None] = '0192'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
'''


def test_new_template_with_single_quotes(tmp_path: Path) -> None:
    sources = {
        f"{V}/0144_base.py": alembic_template("0144", None, "base"),
        f"{V}/0145_add_widgets.py": alembic_template("0145", "0144", "add widgets"),
        f"{V}/0192_add_tags.py": alembic_template("0192", "0144", "add tags"),
    }
    plan = plan_renumber(
        sources, [Move(f"{V}/0145_add_widgets.py", f"{V}/0193_add_widgets.py", "0193", ("0192",))]
    )
    assert [e.path for e in plan.edits] == [f"{V}/0145_add_widgets.py"]
    assert plan.edits[0].new_text == NEW_TEMPLATE_AFTER
    assert plan.notes == ()
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0193")


def tiny(rev: str, down: str, revises: str, extra: str = "") -> str:
    """A minimal script: ``rev`` and ``down`` are source text of the values."""
    return (
        f'"""step\n\nRevision ID: {_doc_id(rev)}\nRevises: {revises}\n"""\n'
        f"revision = {rev}\ndown_revision = {down}\n{extra}"
    )


def _doc_id(literal: str) -> str:
    return re.sub(r"^[rRuU]?['\"]+|['\"]+$", "", literal)


def tiny_chain(**moved: str) -> dict[str, str]:
    """Unmoved 0143 <- 0144 <- 0190 <- 0191 <- 0192, plus the moved file 0145."""
    chain = {f"{V}/0143_a.py": tiny('"0143"', "None", "")}
    for rev, down in (("0144", "0143"), ("0190", "0144"), ("0191", "0190"), ("0192", "0191")):
        chain[f"{V}/{rev}_a.py"] = tiny(f'"{rev}"', f'"{down}"', down)
    chain[f"{V}/0145_x.py"] = tiny(**moved)
    return chain


@pytest.mark.parametrize(
    ("rev", "down", "revises", "new_downs", "rev_after", "down_after", "revises_after"),
    [
        # quote style of each literal is kept
        ("'0145'", "'0144'", "0144", ("0192",), "'0193'", "'0192'", "0192"),
        ('"0145"', '"0144"', "0144", ("0192",), '"0193"', '"0192"', "0192"),
        ("r'0145'", "'0144'", "0144", ("0192",), "r'0193'", "'0192'", "0192"),
        ('"""0145"""', "'0144'", "0144", ("0192",), '"""0193"""', "'0192'", "0192"),
        # a base gets a parent: the file's quote style, the Revises line filled in
        ("'0145'", "None", "", ("0192",), "'0193'", "'0192'", "0192"),
        ('"0145"', "()", "", ("0192",), '"0193"', '"0192"', "0192"),
        # one parent -> a merge: a tuple, "a, b" in the docstring
        ('"0145"', '"0144"', "0144", ("0191", "0192"), '"0193"', '("0191", "0192")', "0191, 0192"),
        # a merge -> one parent; a list stays a list
        ("'0145'", "('0143', '0144')", "0143, 0144", ("0192",), "'0193'", "'0192'", "0192"),
        ('"0145"', '["0144"]', "0144", ("0192",), '"0193"', '["0192"]', "0192"),
        (
            '"0145"',
            '["0144"]',
            "0144",
            ("0191", "0192"),
            '"0193"',
            '["0191", "0192"]',
            "0191, 0192",
        ),
        ('"0145"', '("0144",)', "0144", ("0192",), '"0193"', '("0192",)', "0192"),
        # same number of parents: element by element, layout and comments kept
        (
            '"0145"',
            '(\n    "0143",  # main\n    "0144",\n)',
            "0143, 0144",
            ("0191", "0192"),
            '"0193"',
            '(\n    "0191",  # main\n    "0192",\n)',
            "0191, 0192",
        ),
        # made a base
        ('"0145"', '"0144"', "0144", (), '"0193"', "None", ""),
    ],
)
def test_down_revision_values_are_rewritten_in_place(
    rev: str,
    down: str,
    revises: str,
    new_downs: tuple[str, ...],
    rev_after: str,
    down_after: str,
    revises_after: str,
) -> None:
    sources = tiny_chain(rev=rev, down=down, revises=revises)
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", new_downs)])
    assert [e.new_text for e in plan.edits] == [tiny(rev_after, down_after, revises_after)]
    assert plan.renames == (Rename(f"{V}/0145_x.py", f"{V}/0193_x.py"),)


def test_revises_line_without_space_and_a_bom() -> None:
    sources = tiny_chain(rev='"0145"', down="None", revises="")
    text = sources[f"{V}/0145_x.py"].replace("Revises: ", "Revises:")
    sources[f"{V}/0145_x.py"] = "\ufeff" + text
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", ("0192",))])
    expected = "\ufeff" + tiny('"0193"', '"0192"', "").replace("Revises: ", "Revises: 0192")
    assert [e.new_text for e in plan.edits] == [expected]


# ---------------------------------------------------------------------------------------------
# Blocks, children, merges, depends_on


def test_block_of_three_keeps_its_internal_links(tmp_path: Path) -> None:
    main = {
        f"{V}/0144_base.py": sample("0144", None, "base"),
        f"{V}/0145_a.py": sample("0145", "0144", "a"),
        f"{V}/0146_b.py": sample("0146", "0145", "b"),
        f"{V}/0147_c.py": sample("0147", "0146", "c"),
        f"{V}/0192_z.py": sample("0192", "0147", "z"),
    }
    pr = {
        f"{V}/0145_x.py": sample("0145", "0144", "x"),
        f"{V}/0146_y.py": sample("0146", "0145", "y", old_style=True),
        f"{V}/0147_w.py": sample("0147", "0146", "w", flag="b1_promote_0147"),
    }
    sources = {**main, **pr}
    moves = [
        Move(f"{V}/0146_y.py", f"{V}/0194_y.py", "0194"),
        Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", ("0192",)),
        Move(f"{V}/0147_w.py", f"{V}/0195_w.py", "0195"),
    ]
    plan = plan_renumber(sources, moves)
    assert [(e.path, e.reason) for e in plan.edits] == [
        (f"{V}/0145_x.py", "revision 0145 -> 0193; down_revision -> 0192"),
        (f"{V}/0146_y.py", "revision 0146 -> 0194"),
        (f"{V}/0147_w.py", "revision 0147 -> 0195"),
    ]
    assert [e.new_text for e in plan.edits] == [
        sample("0193", "0192", "x"),
        sample("0194", "0193", "y", old_style=True),
        sample("0195", "0194", "w", flag="b1_promote_0195"),
    ]
    assert plan.renames == (
        Rename(f"{V}/0146_y.py", f"{V}/0194_y.py"),
        Rename(f"{V}/0145_x.py", f"{V}/0193_x.py"),
        Rename(f"{V}/0147_w.py", f"{V}/0195_w.py"),
    )
    keeps = "left pointing at it (add this file to the move to follow"
    assert plan.notes == (
        f"{V}/0146_b.py:14: names '0145', which {V}/0145_a.py keeps; {keeps} {V}/0193_x.py)",
        f"{V}/0147_c.py:14: names '0146', which {V}/0146_b.py keeps; {keeps} {V}/0194_y.py)",
        f"{V}/0192_z.py:14: names '0147', which {V}/0147_c.py keeps; {keeps} {V}/0195_w.py)",
        f"{V}/0195_w.py:18: _FLAG 'b1_promote_0147' -> 'b1_promote_0195'",
        f"{V}/0195_w.py:19: _INSERT_SQL "
        "\"INSERT INTO w (id, name) VALUES (1, 'b1_promote_0147')\" -> "
        "\"INSERT INTO w (id, name) VALUES (1, 'b1_promote_0195')\"",
    )
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0195")


CHILD_BEFORE = '''\
"""child

Revision ID: 0146
Revises: 0145
Create Date: 2026-06-01 12:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0146"
down_revision: Union[str, Sequence[str], None] = "0145"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PARENT_FLAG = "b1_promote_0145"


def upgrade() -> None:
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("child")
'''


def test_a_child_in_the_same_pr_follows_the_renumbered_file(tmp_path: Path) -> None:
    sources = {
        f"{V}/0144_base.py": sample("0144", None, "base"),
        f"{V}/0192_z.py": sample("0192", "0144", "z"),
        f"{V}/0145_x.py": sample("0145", "0144", "x", flag="b1_promote_0145"),
        f"{V}/0146_child.py": CHILD_BEFORE,
    }
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", ("0192",))])
    assert [(e.path, e.reason) for e in plan.edits] == [
        (f"{V}/0145_x.py", "revision 0145 -> 0193; down_revision -> 0192"),
        (f"{V}/0146_child.py", "follow 0145 -> 0193"),
    ]
    assert plan.edits[1].new_text == CHILD_BEFORE.replace("Revises: 0145", "Revises: 0193").replace(
        'None] = "0145"', 'None] = "0193"'
    )
    assert plan.notes[-1] == (
        f"{V}/0146_child.py:18: _PARENT_FLAG mentions '0145' (now '0193'); not changed "
        "(only moved files' constants are rewritten)"
    )
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0146")


def test_a_no_op_move_makes_a_colliding_child_follow(tmp_path: Path) -> None:
    # main holds 0145 too: an unmoved file naming 0145 means main's, unless it joins the block
    sources = {
        f"{V}/0144_base.py": sample("0144", None, "base"),
        f"{V}/0145_a.py": sample("0145", "0144", "a"),
        f"{V}/0192_z.py": sample("0192", "0145", "z"),
        f"{V}/0145_x.py": sample("0145", "0144", "x"),
        f"{V}/0196_child.py": sample("0196", "0145", "child"),
    }
    moves = [
        Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", ("0192",)),
        Move(f"{V}/0196_child.py", f"{V}/0196_child.py", None),
    ]
    plan = plan_renumber(sources, moves)
    assert [(e.path, e.reason) for e in plan.edits] == [
        (f"{V}/0145_x.py", "revision 0145 -> 0193; down_revision -> 0192"),
        (f"{V}/0196_child.py", "revision 0196"),
    ]
    assert plan.edits[1].new_text == sample("0196", "0193", "child")
    assert plan.renames == (Rename(f"{V}/0145_x.py", f"{V}/0193_x.py"),)
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0196")


MERGE = '''\
"""merge heads

Revision ID: 0151
Revises: 0145, 0150
Create Date: 2026-06-01 12:00:00.000000

"""
revision = "0151"
down_revision = ("0145", "0150")
branch_labels = None
depends_on = None
'''


def test_a_merge_revision_naming_a_moved_id(tmp_path: Path) -> None:
    sources = {
        f"{V}/0144_base.py": sample("0144", None, "base"),
        f"{V}/0145_x.py": sample("0145", "0144", "x"),
        f"{V}/0150_y.py": sample("0150", "0144", "y"),
        f"{V}/0151_merge.py": MERGE,
    }
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193")])
    assert [e.new_text for e in plan.edits] == [
        sample("0193", "0144", "x"),
        MERGE.replace("Revises: 0145,", "Revises: 0193,").replace('("0145",', '("0193",'),
    ]
    assert plan.notes == ()
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0151")


DEPENDS = """\
revision = '0146'
down_revision = '0145'
depends_on = [
    '0145',  # the moved one
    'feature',  # a branch label: left alone
    '0144',
]
"""


def test_depends_on_references(tmp_path: Path) -> None:
    base = sample("0144", None, "base").replace(
        "branch_labels: Union[str, Sequence[str], None] = None",
        'branch_labels: Union[str, Sequence[str], None] = ("feature",)',
    )
    moved = sample("0145", "0144", "x").replace(
        "depends_on: Union[str, Sequence[str], None] = None",
        'depends_on: Union[str, Sequence[str], None] = "0144"',
    )
    sources = {
        f"{V}/0144_base.py": base,
        f"{V}/0145_x.py": moved,
        f"{V}/0146_y.py": DEPENDS,
    }
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193")])
    assert [e.new_text for e in plan.edits] == [
        moved.replace("0145", "0193"),
        DEPENDS.replace("'0145'", "'0193'"),
    ]
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0146")


def test_block_members_depend_on_each_other() -> None:
    sources = {
        f"{V}/0144_base.py": sample("0144", None, "base"),
        f"{V}/0145_x.py": sample("0145", "0144", "x"),
        f"{V}/0146_y.py": DEPENDS.replace("    'feature',  # a branch label: left alone\n", ""),
    }
    moves = [
        Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193"),
        Move(f"{V}/0146_y.py", f"{V}/0194_y.py", "0194"),
    ]
    plan = plan_renumber(sources, moves)
    assert plan.edits[1].new_text == (
        "revision = '0194'\ndown_revision = '0193'\ndepends_on = [\n"
        "    '0193',  # the moved one\n    '0144',\n]\n"
    )


def test_shifting_a_block_onto_its_own_numbers_orders_the_renames(tmp_path: Path) -> None:
    sources = {
        f"{V}/0144_step.py": sample("0144", None, "base"),
        f"{V}/0145_step.py": sample("0145", "0144", "x"),
        f"{V}/0146_step.py": sample("0146", "0145", "y"),
    }
    moves = [
        Move(f"{V}/0145_step.py", f"{V}/0146_step.py", "0146"),
        Move(f"{V}/0146_step.py", f"{V}/0147_step.py", "0147"),
    ]
    plan = plan_renumber(sources, moves)
    assert plan.renames == (
        Rename(f"{V}/0146_step.py", f"{V}/0147_step.py"),
        Rename(f"{V}/0145_step.py", f"{V}/0146_step.py"),
    )
    assert after(sources, plan) == {
        f"{V}/0144_step.py": sample("0144", None, "base"),
        f"{V}/0146_step.py": sample("0146", "0144", "x"),
        f"{V}/0147_step.py": sample("0147", "0146", "y"),
    }
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0147")


def test_hash_ids_only_rename_and_re_parent(tmp_path: Path) -> None:
    sources = {
        f"{V}/1975ea83b712_base.py": alembic_template("1975ea83b712", None, "base"),
        f"{V}/3adcc9a56557_main.py": alembic_template("3adcc9a56557", "1975ea83b712", "main"),
        f"{V}/27c6a30d7c24_pr.py": alembic_template("27c6a30d7c24", "1975ea83b712", "pr"),
        f"{V}/ae1027a6acf_pr_child.py": alembic_template("ae1027a6acf", "27c6a30d7c24", "c"),
    }
    moves = [
        Move(f"{V}/27c6a30d7c24_pr.py", f"{V}/27c6a30d7c24_pr.py", None, ("3adcc9a56557",)),
        Move(f"{V}/ae1027a6acf_pr_child.py", f"{V}/ae1027a6acf_child.py", None),
    ]
    plan = plan_renumber(sources, moves)
    assert [e.new_text for e in plan.edits] == [
        alembic_template("27c6a30d7c24", "3adcc9a56557", "pr")
    ]
    assert plan.renames == (Rename(f"{V}/ae1027a6acf_pr_child.py", f"{V}/ae1027a6acf_child.py"),)
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "ae1027a6acf")


LEGACY = "down_revision = None\n\n\ndef upgrade() -> None:\n    pass\n"


def test_a_legacy_hex_file_moves_only_to_its_new_hex_name(tmp_path: Path) -> None:
    sources = {
        f"{V}/3f2a.py": LEGACY,
        f"{V}/0002_child.py": alembic_template("0002", "3f2a", "child"),
    }
    plan = plan_renumber(sources, [Move(f"{V}/3f2a.py", f"{V}/4b1c.py", "4b1c")])
    assert plan.renames == (Rename(f"{V}/3f2a.py", f"{V}/4b1c.py"),)
    assert [e.new_text for e in plan.edits] == [alembic_template("0002", "4b1c", "child")]
    write_files(tmp_path, sources)
    apply_on_disk(tmp_path, plan)
    assert_single_head(tmp_path, V, "0002")


# ---------------------------------------------------------------------------------------------
# Module-level string constants


CONSTANTS = '''\
"""promote 0145

Revision ID: 0145
Revises: 0144
"""
revision = "0145"
down_revision = "0144"

_A = "promote_my_feature_0145"
_B = 'b1_promote_0145'
_C: str = "0145"
_D = "t0145"
_E = "01450"
_F = "0145a"
_G = "01" "45"
_H = "line\\n0145"
_J = f"promote_0145_{1}"
_L = ("promote_0145")
_M = "a" "promote_0145"
_N = _O = "0145/0146"


def upgrade() -> None:
    op.execute("UPDATE x SET f = 'promote_0145'")
'''

CONSTANTS_AFTER = '''\
"""promote 0145

Revision ID: 0193
Revises: 0192
"""
revision = "0193"
down_revision = "0192"

_A = "promote_my_feature_0193"
_B = 'b1_promote_0193'
_C: str = "0193"
_D = "t0145"
_E = "01450"
_F = "0145a"
_G = "01" "45"
_H = "line\\n0145"
_J = f"promote_0145_{1}"
_L = ("promote_0193")
_M = "a" "promote_0193"
_N = _O = "0193/0146"


def upgrade() -> None:
    op.execute("UPDATE x SET f = 'promote_0145'")
'''


def test_string_constants_with_the_old_id_as_a_token() -> None:
    sources = tiny_chain(rev='"0145"', down='"0144"', revises="0144")
    sources[f"{V}/0145_x.py"] = CONSTANTS
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", ("0192",))])
    assert [e.new_text for e in plan.edits] == [CONSTANTS_AFTER]
    p = f"{V}/0193_x.py"
    by_hand = (
        "mentions a renumbered id in a form this tool does not rewrite; "
        "not changed, check it by hand"
    )
    assert plan.notes == (
        f"{p}:9: _A 'promote_my_feature_0145' -> 'promote_my_feature_0193'",
        f"{p}:10: _B 'b1_promote_0145' -> 'b1_promote_0193'",
        f"{p}:11: _C '0145' -> '0193'",
        f"{p}:15: _G {by_hand}",
        f"{p}:16: _H {by_hand}",
        f"{p}:18: _L 'promote_0145' -> 'promote_0193'",
        f"{p}:19: _M 'apromote_0145' -> 'apromote_0193'",
        f"{p}:20: _N = _O '0145/0146' -> '0193/0146'",
        f"{p}:1: still mentions '0145'; not changed",
        f"{p}:17: still mentions '0145'; not changed",
        f"{p}:24: still mentions '0145'; not changed",
    )


def test_a_multi_line_constant_in_a_crlf_file_keeps_its_line_ends() -> None:
    sources = tiny_chain(rev='"0145"', down='"0144"', revises="0144")
    sql = '_SQL = """\nUPDATE flags\nSET name = \'b1_promote_0145\'\n"""\n'
    sources[f"{V}/0145_x.py"] = (sources[f"{V}/0145_x.py"] + sql).replace("\n", "\r\n")
    plan = plan_renumber(sources, [Move(f"{V}/0145_x.py", f"{V}/0193_x.py", "0193", ("0192",))])
    expected = tiny('"0193"', '"0192"', "0192") + sql.replace("0145", "0193")
    assert [e.new_text for e in plan.edits] == [expected.replace("\n", "\r\n")]
    assert plan.notes == (
        f"{V}/0193_x.py:8: _SQL \"\\nUPDATE flags\\nSET name = 'b1_promote_0145'\\n\" -> "
        "\"\\nUPDATE flags\\nSET name = 'b1_promote_0193'\\n\"",
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("0145", True),
        ("b1_promote_0145", True),
        ("promote_0145_flag", True),
        ("promote-0145.sql", True),
        ("'0145'", True),
        ("t0145", False),
        ("01450", False),
        ("0145a", False),
        ("x0145_", False),
    ],
)
def test_token_rule(text: str, found: bool) -> None:
    assert (token_pattern(["0145"]).search(text) is not None) is found


def test_other_mentions_and_a_stale_docstring_are_left_alone() -> None:
    sources = runbook_chain()
    path = f"{V}/0145_promote_my_feature.py"
    sources[path] = RUNBOOK_BEFORE.replace("Revision ID: 0145", "Revision ID: 0140").replace(
        "def upgrade() -> None:", "def upgrade() -> None:  # see 0145 in the runbook"
    )
    plan = plan_renumber(sources, [RUNBOOK_MOVE])
    assert plan.edits[0].new_text == RUNBOOK_AFTER.replace(
        "Revision ID: 0193", "Revision ID: 0140"
    ).replace("def upgrade() -> None:", "def upgrade() -> None:  # see 0145 in the runbook")
    assert plan.notes == (
        *RUNBOOK_NOTES[:2],
        f"{V}/0193_promote_my_feature.py:24: still mentions '0145'; not changed",
        RUNBOOK_NOTES[2],
    )


# ---------------------------------------------------------------------------------------------
# Refusals


def refusal(sources: Mapping[str, str], moves: list[Move]) -> RenumberError:
    with pytest.raises(RenumberError) as caught:
        plan_renumber(sources, moves)
    assert isinstance(caught.value, InputError)
    return caught.value


def refusal_chain() -> dict[str, str]:
    return {
        f"{V}/0144_base.py": sample("0144", None, "base").replace(
            "branch_labels: Union[str, Sequence[str], None] = None",
            'branch_labels: Union[str, Sequence[str], None] = "feature"',
        ),
        f"{V}/0145_x.py": sample("0145", "0144", "x"),
        f"{V}/0146_y.py": sample("0146", "0145", "y"),
        f"{V}/0192_z.py": sample("0192", "0144", "z"),
    }


def mv(old: str, new: str, rev: str | None, downs: tuple[str, ...] | None = None) -> Move:
    return Move(f"{V}/{old}", f"{V}/{new}", rev, downs)


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        (
            [mv("0999_nope.py", "0193_nope.py", "0193")],
            f"{V}/0999_nope.py is not a revision script of this chain",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "0193"), mv("0145_x.py", "0194_x.py", "0194")],
            f"{V}/0145_x.py is moved twice",
        ),
        (
            [mv("0145_x.py", "0192_x.py", "0192")],
            f"revision '0192' already exists: {V}/0192_z.py",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "feature")],
            f"'feature' is a branch label of {V}/0144_base.py; Alembic refuses a revision id "
            "that is also a branch label",
        ),
        (
            [mv("0145_x.py", "0192_z.py", "0193")],
            f"{V}/0192_z.py already exists",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "0193"), mv("0146_y.py", "0193_x.py", "0194")],
            f"{V}/0145_x.py and {V}/0146_y.py would both become {V}/0193_x.py",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "0193"), mv("0146_y.py", "0193_y.py", "0193")],
            f"{V}/0145_x.py and {V}/0146_y.py would both become revision '0193'",
        ),
        (
            [mv("0145_x.py", "0146_y.py", "0146"), mv("0146_y.py", "0145_x.py", "0145")],
            f"the renames form a cycle ({V}/0145_x.py -> {V}/0146_y.py, "
            f"{V}/0146_y.py -> {V}/0145_x.py)",
        ),
        *(
            (
                [mv("0145_x.py", "0193_x.py", f"01{char}93")],
                f"new revision id '01{char}93' for {V}/0145_x.py contains {char}; Alembic does "
                "not allow @ - + : in revision ids",
            )
            for char in "@-+:"
        ),
        (
            [mv("0145_x.py", "0193_x.py", "01 93")],
            f"new revision id '01 93' for {V}/0145_x.py contains whitespace, a comma, a quote, "
            "a backslash or a control character",
        ),
        ([mv("0145_x.py", "0193_x.py", "")], f"the new revision id for {V}/0145_x.py is empty"),
        (
            [mv("0145_x.py", "0193_x.txt", "0193")],
            f"Alembic would not load {V}/0193_x.txt (new path for {V}/0145_x.py)",
        ),
        (
            [mv("0145_x.py", "__init__.py", "0193")],
            f"Alembic would not load {V}/__init__.py (new path for {V}/0145_x.py)",
        ),
        (
            [Move(f"{V}/0145_x.py", "../0193_x.py", "0193")],
            f"new path '../0193_x.py' for {V}/0145_x.py is not a plain relative path",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "0193", ("0999",))],
            f"new down revision '0999' of {V}/0145_x.py is not a revision of the chain after "
            "the move",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "0193", ("0193",))],
            f"{V}/0145_x.py cannot be its own down revision ('0193')",
        ),
        (
            [mv("0145_x.py", "0193_x.py", "0193", ("0192", "0192"))],
            f"the new down revisions of {V}/0145_x.py name a revision twice",
        ),
        (
            # re-parented onto its own child: a cycle
            [mv("0145_x.py", "0193_x.py", "0193", ("0146",))],
            f"the renumber would break the chain: {V}/0146_y.py:14: MG107 cycle through "
            "down_revision: 0146, 0193 (Alembic: Cycle is detected)",
        ),
        (
            # the file number and the kept id disagree
            [mv("0145_x.py", "0193_x.py", None)],
            f"the renumber would break the chain: {V}/0193_x.py:13: MG112 file number 0193 but "
            "revision id '0145'",
        ),
    ],
)
def test_refusals(moves: list[Move], message: str) -> None:
    assert refusal(refusal_chain(), moves).message == message


def test_refusal_hint_names_the_new_id_for_a_moved_parent() -> None:
    sources = refusal_chain()
    moves = [mv("0145_x.py", "0193_x.py", "0193"), mv("0146_y.py", "0194_y.py", "0194", ("0145",))]
    error = refusal(sources, moves)
    assert error.message == (
        f"new down revision '0145' of {V}/0146_y.py is not a revision of the chain after the move"
    )
    assert error.hint == "name the new id ('0193'), not the old one"


def test_refuses_a_moved_file_it_cannot_read() -> None:
    sources = refusal_chain()
    sources[f"{V}/0145_x.py"] = 'revision = make_id()\ndown_revision = "0144"\n'
    error = refusal(sources, [mv("0145_x.py", "0193_x.py", "0193")])
    assert error.message == (
        f"cannot renumber {V}/0145_x.py:1: revision is a call; cannot read it without running "
        "the file"
    )


def test_refuses_a_moved_file_with_a_syntax_error_after_its_header() -> None:
    sources = refusal_chain()
    sources[f"{V}/0145_x.py"] += "\ndef broken(:\n    pass\n"
    error = refusal(sources, [mv("0145_x.py", "0193_x.py", "0193")])
    assert error.message == f"cannot renumber {V}/0145_x.py:30: syntax error: invalid syntax"
    assert error.hint == "fix the file; Alembic cannot load it"


def test_refuses_a_latin_1_file() -> None:
    sources = refusal_chain()
    sources[f"{V}/0145_x.py"] = (
        '# -*- coding: latin-1 -*-\n"""café"""\nrevision = "0145"\ndown_revision = "0144"\n'
    )
    error = refusal(sources, [mv("0145_x.py", "0193_x.py", "0193")])
    assert error.message == (
        f"{V}/0145_x.py declares a source encoding other than UTF-8 and is not ASCII; "
        "renumber only edits UTF-8 files"
    )


def test_refuses_two_moved_files_with_one_id() -> None:
    sources = refusal_chain()
    sources[f"{V}/0145_dup.py"] = sample("0145", "0144", "dup")
    moves = [mv("0145_x.py", "0193_x.py", "0193"), mv("0145_dup.py", "0194_dup.py", "0194")]
    assert refusal(sources, moves).message == (
        f"{V}/0145_x.py and {V}/0145_dup.py are both revision '0145'; links to it cannot be "
        "told apart"
    )


def test_refuses_when_an_unreadable_file_mentions_a_moved_id() -> None:
    sources = refusal_chain()
    sources[f"{V}/0150_odd.py"] = 'revision = "0150"\ndown_revision = pick("0145")\n'
    error = refusal(sources, [mv("0145_x.py", "0193_x.py", "0193")])
    assert error.message == (
        f"{V}/0150_odd.py cannot be read statically (down_revision is a call; cannot read it "
        "without running the file) and mentions '0145'; cannot tell whether it links to a "
        "moved revision"
    )
    # an unreadable file that does not mention the ids is no obstacle
    sources[f"{V}/0150_odd.py"] = 'revision = "0150"\ndown_revision = pick("0144")\n'
    assert plan_renumber(sources, [mv("0145_x.py", "0193_x.py", "0193")]).renames


def test_a_computed_depends_on_mentioning_a_moved_id_is_refused() -> None:
    sources = refusal_chain()
    sources[f"{V}/0150_odd.py"] = (
        'revision = "0150"\ndown_revision = "0146"\nPARENT = "0145"\ndepends_on = (PARENT,)\n'
    )
    error = refusal(sources, [mv("0145_x.py", "0193_x.py", "0193")])
    assert error.message == (
        f"{V}/0150_odd.py cannot be read statically (depends_on is computed (PARENT)) and "
        "mentions '0145'; cannot tell whether it links to a moved revision"
    )
    # Moved itself, the file may mention its own id; another moved id it may not.
    sources[f"{V}/0150_odd.py"] = (
        'revision = "0150"\ndown_revision = "0146"\nPARENT = "0146"\ndepends_on = (PARENT,)\n'
    )
    plan = plan_renumber(sources, [mv("0150_odd.py", "0193_odd.py", "0193")])
    assert after(sources, plan)[f"{V}/0193_odd.py"] == (
        'revision = "0193"\ndown_revision = "0146"\nPARENT = "0146"\ndepends_on = (PARENT,)\n'
    )
    error = refusal(
        sources, [mv("0146_y.py", "0193_y.py", "0193"), mv("0150_odd.py", "0194_odd.py", "0194")]
    )
    assert "mentions '0146'" in error.message


def test_a_new_id_cannot_be_checked_against_computed_branch_labels() -> None:
    sources = refusal_chain()
    sources[f"{V}/0150_odd.py"] = (
        'revision = "0150"\ndown_revision = "0146"\nbranch_labels = (cli.BRANCH,)\n'
    )
    error = refusal(sources, [mv("0145_x.py", "0193_x.py", "0193")])
    assert error.message == (
        "cannot tell whether the new revision id(s) are also branch labels: "
        f"{V}/0150_odd.py:3: branch_labels is computed (cli.BRANCH)"
    )
    # A move that keeps every id (a re-parent) needs no such check.
    plan = plan_renumber(sources, [mv("0192_z.py", "0192_z.py", None, ("0150",))])
    assert [e.path for e in plan.edits] == [f"{V}/0192_z.py"]


def test_refuses_a_legacy_file_renamed_away_from_its_id() -> None:
    sources = {f"{V}/3f2a.py": LEGACY}
    error = refusal(sources, [Move(f"{V}/3f2a.py", f"{V}/0193_x.py", None)])
    assert error.message == (
        f"{V}/3f2a.py has no revision assignment: Alembic takes its id '3f2a' from the file "
        f"name, and {V}/0193_x.py would not give '3f2a'"
    )
    assert error.hint == 'add revision = "3f2a" to the file first'
    error = refusal(sources, [Move(f"{V}/3f2a.py", f"{V}/4b1c.py", "4b1d")])
    assert "would not give '4b1d'" in error.message


def test_no_moves_is_an_empty_plan() -> None:
    assert plan_renumber(refusal_chain(), []) == EditPlan()


def test_nothing_to_change_is_an_empty_plan() -> None:
    sources = refusal_chain()
    assert plan_renumber(sources, [mv("0145_x.py", "0145_x.py", None)]) == EditPlan()


# ---------------------------------------------------------------------------------------------
# Seeded random block moves on random chains, real Alembic as the oracle

RANDOM_CASES = 600
RV = "migrations/versions"


@dataclass
class Rev:
    id: str
    downs: tuple[str, ...]
    name: str
    depends: tuple[str, ...] = ()
    flag: bool = False
    legacy: bool = False  # no revision line; the id comes from the hex file name


@dataclass(frozen=True)
class Style:
    quote: str = '"'
    annotation: str = "new"  # "", "old", "new"
    container: str = "tuple"
    crlf: bool = False
    final_newline: bool = True
    docstring: bool = True

    @classmethod
    def random(cls, rng: random.Random) -> Style:
        return cls(
            quote=rng.choice("'\""),
            annotation=rng.choice(["", "old", "new"]),
            container=rng.choice(["tuple", "list"]),
            crlf=rng.random() < 0.2,
            final_newline=rng.random() < 0.8,
            docstring=rng.random() < 0.8,
        )


def render(rev: Rev, style: Style) -> str:
    q = style.quote

    def value(ids: tuple[str, ...]) -> str:
        if not ids:
            return "None"
        if len(ids) == 1:
            return f"{q}{ids[0]}{q}"
        inner = ", ".join(f"{q}{i}{q}" for i in ids)
        return f"({inner})" if style.container == "tuple" else f"[{inner}]"

    ann = {"": "", "old": ": Union[str, None]", "new": ": Union[str, Sequence[str], None]"}
    lines = []
    if style.docstring:
        lines += [f'"""step {rev.name}', "", f"Revision ID: {rev.id}"]
        lines += [f"Revises: {', '.join(rev.downs)}", "Create Date: 2026-06-01", '"""']
    lines += ["from typing import Sequence, Union", ""]
    if not rev.legacy:
        lines.append(f"revision{': str' if style.annotation else ''} = {q}{rev.id}{q}")
    a = ann[style.annotation]
    lines += [f"down_revision{a} = {value(rev.downs)}", f"branch_labels{a} = None"]
    lines.append(f"depends_on{a} = {value(rev.depends)}")
    if rev.flag:
        lines += ["", f"_FLAG = {q}b1_promote_{rev.id}{q}"]
    lines += ["", "", "def upgrade() -> None:", "    pass"]
    sep = "\r\n" if style.crlf else "\n"
    return sep.join(lines) + (sep if style.final_newline else "")


def grow(rng: random.Random, ids: list[str], root_downs: tuple[str, ...]) -> list[Rev]:
    """A random graph over ``ids`` (in order) whose last id is its only head.

    The first revision stands on ``root_downs``; later ones extend a head, branch off an
    earlier revision (or off ``root_downs`` again: a second root), or merge two heads.
    """
    revs: list[Rev] = []
    heads: list[str] = []
    for index, rev_id in enumerate(ids):
        last = index == len(ids) - 1
        roll = rng.random()
        if not revs:
            downs = root_downs
        elif last:
            downs = tuple(heads) if len(heads) > 1 else (heads[0],)
        elif roll < 0.2 and len(heads) >= 2:
            downs = tuple(rng.sample(heads, 2))
        elif roll < 0.4:
            options = [r.id for r in revs if r.id not in heads]
            if root_downs:
                options.append("<root>")
            pick = rng.choice(options) if options else heads[0]
            downs = root_downs if pick == "<root>" else (pick,)
        else:
            downs = (rng.choice(heads),)
        heads = [h for h in heads if h not in downs] + [rev_id]
        revs.append(Rev(rev_id, downs, rev_id))
    return revs


@dataclass
class Case:
    revs: list[Rev]
    styles: dict[str, Style]
    moves: list[Move]
    head: str
    moved_ids: dict[str, str] = field(default_factory=dict)  # path -> new id

    def sources(self) -> dict[str, str]:
        return {f"{RV}/{r.name}": render(r, self.styles[r.name]) for r in self.revs}


def _depends(rng: random.Random, revs: list[Rev], pool: list[str]) -> None:
    """Give some revisions a depends_on on an id created before them (no cycles)."""
    for index, rev in enumerate(revs):
        earlier = [e for e in [*pool, *(r.id for r in revs[:index])] if e not in rev.downs]
        if earlier and rng.random() < 0.25:
            rev.depends = (rng.choice(earlier),)


def collision_case(rng: random.Random) -> Case:
    """Main 1..n; a PR branched at b numbered b+1.. (colliding); moved on top of n."""
    n = rng.randint(2, 7)
    main = grow(rng, [f"{i:04d}" for i in range(1, n + 1)], ())
    b = rng.randint(1, n - 1)
    m = rng.randint(1, 4)
    pr = grow(rng, [f"{i:04d}" for i in range(b + 1, b + m + 1)], (f"{b:04d}",))
    _depends(rng, main, [])
    _depends(rng, pr, [f"{i:04d}" for i in range(1, b + 1)])
    for rev in main:
        rev.name = f"{rev.id}_main.py"
        rev.flag = rng.random() < 0.3
    moves = []
    for index, rev in enumerate(pr):
        rev.name = f"{rev.id}_pr.py"
        rev.flag = rng.random() < 0.5
        new = f"{n + 1 + index:04d}"
        downs = (f"{n:04d}",) if rev.downs == (f"{b:04d}",) else None
        moves.append(Move(f"{RV}/{rev.name}", f"{RV}/{new}_pr.py", new, downs))
    rng.shuffle(moves)
    revs = main + pr
    styles = {r.name: Style.random(rng) for r in revs}
    return Case(revs, styles, moves, f"{n + m:04d}")


def renumber_case(rng: random.Random) -> Case:
    """Unique numbered ids; a random subset gets fresh numbers; every child must follow."""
    n = rng.randint(2, 10)
    revs = grow(rng, [f"{i:04d}" for i in range(1, n + 1)], ())
    _depends(rng, revs, [])
    for rev in revs:
        rev.name = f"{rev.id}_r.py"
        rev.flag = rng.random() < 0.3
    chosen = rng.sample(revs, rng.randint(1, n))
    moves = []
    mapping = {}
    for index, rev in enumerate(chosen):
        new = f"{n + 1 + index:04d}"
        mapping[rev.id] = new
        moves.append(Move(f"{RV}/{rev.name}", f"{RV}/{new}_r.py", new))
    for rev in revs:  # a few no-op members: harmless
        if rev not in chosen and rng.random() < 0.1:
            moves.append(Move(f"{RV}/{rev.name}", f"{RV}/{rev.name}", None))
    rng.shuffle(moves)
    styles = {r.name: Style.random(rng) for r in revs}
    return Case(revs, styles, moves, mapping.get(revs[-1].id, revs[-1].id))


def hash_case(rng: random.Random) -> Case:
    """Hash ids: the PR's roots are re-parented onto main's head; ids stay, names may change."""

    def hex_id() -> str:
        return f"{rng.getrandbits(48):012x}"

    n = rng.randint(1, 6)
    main = grow(rng, [hex_id() for _ in range(n)], ())
    b = rng.choice(main[:-1]).id if n > 1 else main[0].id
    m = rng.randint(1, 4)
    pr = grow(rng, [hex_id() for _ in range(m)], (b,))
    _depends(rng, main, [])
    for rev in main:
        rev.legacy = rng.random() < 0.2
        rev.name = f"{rev.id}.py" if rev.legacy else f"{rev.id}_main.py"
    moves = []
    for rev in pr:
        rev.name = f"{rev.id}_pr.py"
        new_path = f"{RV}/{rev.id}_{rng.choice(['pr', 'renamed'])}.py"
        downs = (main[-1].id,) if rev.downs == (b,) else None
        if downs is None and new_path.endswith("_pr.py") and rng.random() < 0.5:
            continue
        moves.append(Move(f"{RV}/{rev.name}", new_path, None, downs))
    rng.shuffle(moves)
    revs = main + pr
    styles = {r.name: Style.random(rng) for r in revs}
    return Case(revs, styles, moves, pr[-1].id)


def check_docstrings(texts: Mapping[str, str]) -> None:
    """Every file whose docstring names its ids still names the ones it has."""
    for path, text in texts.items():
        info = parse_script(path, text.encode("utf-8"))
        assert isinstance(info, ScriptInfo), info
        rev = re.search(r"^Revision ID: (.*?)\r?$", text, re.MULTILINE)
        revises = re.search(r"^Revises: ?(.*?)\r?$", text, re.MULTILINE)
        if rev is not None and revises is not None:
            assert rev.group(1) == info.revision, path
            assert revises.group(1) == ", ".join(info.down_revisions), path
        flag = re.search(r"^_FLAG = ['\"]b1_promote_(.*)['\"]\r?$", text, re.MULTILINE)
        if flag is not None:
            assert flag.group(1) == info.revision, path


def check_minimal_diff(plan: EditPlan, changing: set[str]) -> None:
    """Only lines naming a changing id, or a re-parented link, differ; nothing else moves."""
    pattern = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, changing)) + ")")
    for edit in plan.edits:
        old_lines = re.split(r"\r\n|\n", edit.old_text)
        new_lines = re.split(r"\r\n|\n", edit.new_text)
        assert len(old_lines) == len(new_lines), edit.path
        for old, new in zip(old_lines, new_lines, strict=True):
            if old != new:
                assert pattern.search(old) or old.startswith(("down_revision", "Revises:")), (
                    edit.path,
                    old,
                    new,
                )


def run_case(root: Path, case: Case) -> None:
    sources = case.sources()
    write_files(root, sources)
    plan = plan_renumber(sources, case.moves)
    texts = after(sources, plan)
    check_docstrings(texts)
    changing = {
        parse_script(m.path, sources[m.path].encode()).revision
        for m in case.moves
        if m.new_revision is not None
    }
    check_minimal_diff(plan, {c for c in changing if c is not None} | {"\0"})
    apply_on_disk(root, plan)
    assert read_files(root, RV) == texts
    assert_single_head(root, RV, case.head)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["collision", "renumber", "hash"])
def test_random_block_moves_against_real_alembic(tmp_path: Path, kind: str) -> None:
    make = {"collision": collision_case, "renumber": renumber_case, "hash": hash_case}[kind]
    started = time.perf_counter()
    for seed in range(RANDOM_CASES // 3):
        rng = random.Random(f"{kind}-{seed}")
        case = make(rng)
        root = tmp_path / f"case{seed}"
        try:
            run_case(root, case)
        except Exception as exc:
            raise AssertionError(f"{kind} seed {seed}: {case.moves}") from exc
    assert time.perf_counter() - started < 15
