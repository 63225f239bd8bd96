from __future__ import annotations

import random
from pathlib import Path

import pytest
from testing.alembic_oracle import alembic_heads

from migration_guard.chains.alembic.script import (
    ScriptInfo,
    Span,
    Unknown,
    Unreadable,
    pack,
    parse_many,
    parse_script,
    parse_script_with,
    unpack,
)
from migration_guard.sample import alembic_script

PATH = "console/migrations/versions/0193_add_foo.py"


def text_at(source: str, span: Span) -> str:
    lines = source.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.col : span.end_col]
    parts = [lines[span.line - 1][span.col :]]
    parts += lines[span.line : span.end_line - 1]
    parts.append(lines[span.end_line - 1][: span.end_col])
    return "\n".join(parts)


def parse(source: str, path: str = PATH) -> ScriptInfo | Unreadable:
    """Parse both ways and check the pre-scan never disagrees with the full reader."""
    data = source.encode("utf-8")
    full = parse_script_with(path, data, "full")
    fast = parse_script_with(path, data, "fast")
    assert fast is None or fast == full
    scan = parse_script_with(path, data, "scan")
    assert scan is None or scan == full
    assert parse_script(path, data) == full
    assert full is not None
    return full


def info(source: str, path: str = PATH) -> ScriptInfo:
    result = parse(source, path)
    assert isinstance(result, ScriptInfo), result
    return result


def unreadable(source: str, path: str = PATH) -> Unreadable:
    result = parse(source, path)
    assert isinstance(result, Unreadable), result
    return result


@pytest.mark.parametrize("old_style", [False, True])
def test_reads_the_default_templates_with_the_fast_path(old_style: bool) -> None:
    source = alembic_script("0193", "0192", "add_foo", table="t", old_style=old_style, flag="B1")
    result = parse_script_with(PATH, source.encode(), "fast")
    assert isinstance(result, ScriptInfo)
    assert result == info(source)
    assert (result.revision, result.down_revisions) == ("0193", ("0192",))
    assert (result.depends_on, result.branch_labels) == ((), ())
    assert result.revision_span is not None
    assert text_at(source, result.revision_span) == '"0193"'
    assert text_at(source, result.down_revision_span) == '"0192"'
    assert result.branch_labels_span is not None and result.depends_on_span is not None
    assert text_at(source, result.branch_labels_span) == "None"
    assert text_at(source, result.depends_on_span) == "None"
    lines = source.split("\n")
    assert result.doc_revision_line is not None and result.doc_revises_line is not None
    assert lines[result.doc_revision_line - 1] == "Revision ID: 0193"
    assert lines[result.doc_revises_line - 1] == "Revises: 0192"
    assert result.line == result.revision_span.line


def test_alembic_generic_template_output() -> None:
    source = '''"""add account

Revision ID: 1975ea83b712
Revises:
Create Date: 2011-11-08 11:40:27.089406

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1975ea83b712'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
'''
    assert parse_script_with("v/1975ea83b712_add_account.py", source.encode(), "fast") is not None
    result = info(source, "v/1975ea83b712_add_account.py")
    assert result.revision == "1975ea83b712"
    assert result.down_revisions == ()
    assert (result.doc_revision_line, result.doc_revises_line) == (3, 4)
    assert result.revision_span == Span(15, 16, 15, 30)


@pytest.mark.parametrize(
    ("value", "expected", "span_text"),
    [
        ("'0192'", ("0192",), "'0192'"),
        ('"0192"', ("0192",), '"0192"'),
        ("None", (), "None"),
        ("()", (), "()"),
        ("[]", (), "[]"),
        ("('a', 'b')", ("a", "b"), "('a', 'b')"),
        ('["a", "b",]', ("a", "b"), '["a", "b",]'),
        ("('a',)", ("a",), "('a',)"),
        ("{'a', 'b', 'a'}", ("a", "b"), "{'a', 'b', 'a'}"),
        ("'a', 'b'", ("a", "b"), "'a', 'b'"),
        ("('0192')", ("0192",), "'0192'"),
        ("'01' '92'", ("0192",), "'01' '92'"),
        ("(\n    'a',  # first\n\n    'b',\n)", ("a", "b"), "(\n    'a',  # first\n\n    'b',\n)"),
        ("(('a', 'b'))", ("a", "b"), "('a', 'b')"),
        ("u'0192'", ("0192",), "u'0192'"),
        ("r'01\\92'", ("01\\92",), "r'01\\92'"),
        ("'01\\x39'", ("019",), "'01\\x39'"),
        ('"""0192"""', ("0192",), '"""0192"""'),
    ],
)
def test_down_revision_values(value: str, expected: tuple[str, ...], span_text: str) -> None:
    source = f"revision = 'x1'\ndown_revision = {value}  # parent\n\ndef upgrade():\n    pass\n"
    result = info(source)
    assert result.down_revisions == expected
    assert text_at(source, result.down_revision_span) == span_text


def test_strings_and_tuples_in_every_slot() -> None:
    source = (
        "revision: str = 'abc'\n"
        "down_revision: Union[str, None] = ('p1', 'p2')\n"
        "branch_labels = 'billing'\n"
        "depends_on = ['dep1', 'billing']\n"
    )
    result = info(source)
    assert result.revision == "abc"
    assert result.down_revisions == ("p1", "p2")
    assert result.branch_labels == ("billing",)
    assert result.depends_on == ("dep1", "billing")
    assert result.depends_on_span is not None
    assert text_at(source, result.depends_on_span) == "['dep1', 'billing']"


def test_last_binding_wins_and_a_bare_annotation_binds_nothing() -> None:
    source = (
        "revision = 'first'\n"
        "down_revision = None\n"
        "revision: str\n"
        "def upgrade():\n"
        "    pass\n"
        "revision = 'second'\n"
    )
    result = info(source)
    assert result.revision == "second"
    assert result.revision_span == Span(6, 11, 6, 19)


def test_annotation_only_falls_back_to_the_legacy_file_name() -> None:
    result = info("revision: str\ndown_revision = None\n", "v/ae10.py")
    assert result.revision == "ae10"
    assert result.revision_span is None
    assert result.line == 2


def test_revision_mentioned_in_code_and_comments_is_fine() -> None:
    source = (
        '"""Revision ID: in the first line is not a docstring line match"""\n'
        "import sqlalchemy as sa  # revision helpers\n"
        "revision = '0193'\n"
        "down_revision = '0192'\n"
        "TABLE = 'accounts'\n"
        "_SQL = (\n    'UPDATE t SET revision = 1'\n)\n"
        "def upgrade():\n"
        "    context = op.get_context()\n"
        "    print(context.revision, revision)\n"
    )
    result = info(source)
    assert (result.revision, result.down_revisions) == ("0193", ("0192",))
    assert result.doc_revision_line is None


def test_windows_line_endings() -> None:
    source = "revision = '0193'\r\ndown_revision = '0192'\r\n\r\ndef upgrade():\r\n    pass\r\n"
    data = source.encode()
    fast = parse_script_with(PATH, data, "fast")
    full = parse_script_with(PATH, data, "full")
    assert fast == full
    assert isinstance(full, ScriptInfo)
    assert full.down_revision_span == Span(2, 16, 2, 22)


def test_non_ascii_columns_count_characters() -> None:
    source = "# Größe\nrevision = 'ä1'  # é\ndown_revision = ('ö', 'b')\n"
    result = info(source)
    assert result.revision == "ä1"
    assert result.revision_span is not None
    assert text_at(source, result.revision_span) == "'ä1'"
    assert text_at(source, result.down_revision_span) == "('ö', 'b')"


def test_encoding_cookie_and_bom_are_honoured() -> None:
    latin = "# -*- coding: latin-1 -*-\nrevision = 'é1'\ndown_revision = None\n".encode("latin-1")
    assert parse_script_with(PATH, latin, "fast") is None
    result = parse_script(PATH, latin)
    assert isinstance(result, ScriptInfo) and result.revision == "é1"
    assert result.revision_span == Span(2, 11, 2, 15)
    bom = b"\xef\xbb\xbfrevision = 'r1'\ndown_revision = None\n"
    result = parse_script(PATH, bom)
    assert isinstance(result, ScriptInfo) and result.revision_span == Span(1, 11, 1, 15)


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        (
            "REV = '1'\nrevision = REV\ndown_revision = None\n",
            2,
            "revision is the name REV; cannot read it without running the file",
        ),
        (
            "revision = make_id()\ndown_revision = None\n",
            1,
            "revision is a call; cannot read it without running the file",
        ),
        (
            "n = 1\nrevision = f'{n:04d}'\ndown_revision = None\n",
            2,
            "revision is an f-string; cannot read it without running the file",
        ),
        (
            "revision = '01' + '93'\ndown_revision = None\n",
            1,
            "revision is an expression; cannot read it without running the file",
        ),
        (
            "revision = '0193'\ndown_revision = ('0191', PARENT)\n",
            2,
            "down_revision contains the name PARENT; cannot read it without running the file",
        ),
        (
            "import os\nrevision = 'a'\nif os.environ.get('X'):\n    down_revision = 'b'\n"
            "else:\n    down_revision = None\n",
            4,
            "down_revision is bound inside an if block",
        ),
        (
            "revision = 'a'\ntry:\n    from x import down_revision\nexcept ImportError:\n"
            "    down_revision = None\n",
            3,
            "down_revision is bound inside a try block",
        ),
        (
            "revision = 'a'\ndown_revision = None\nglobals()['revision'] = 'b'\n",
            3,
            "revision is set through a subscript",
        ),
        (
            "revision = 'a'\ndown_revision = None\nglobals().update(revision='b')\n",
            3,
            "globals() at module level can change any name",
        ),
        (
            "revision = 'a'\ndown_revision = None\nrevision += 'b'\n",
            3,
            "revision is changed by augmented assignment",
        ),
        (
            "revision, down_revision = 'a', None\n",
            1,
            "revision is bound by tuple-unpacking assignment",
        ),
        ("from ids import revision\ndown_revision = None\n", 1, "revision is bound by an import"),
        (
            "revision = 'a'\ndown_revision = None\nfrom ids import *\n",
            3,
            "revision and down_revision may be bound by the star import (from ids import *)",
        ),
        (
            "from ids import *\nrevision = 'a'\n",
            1,
            "down_revision may be bound by the star import (from ids import *)",
        ),
        ("revision = 'a'\ndown_revision = None\ndel revision\n", 3, "revision is deleted with del"),
        (
            "def revision():\n    pass\ndown_revision = None\n",
            1,
            "revision is bound by a def statement",
        ),
        (
            "down_revision = None\n(revision := 'a')\n",
            2,
            "revision is bound by an assignment expression",
        ),
        (
            "down_revision = None\ndef __getattr__(name):\n    return 'a'\n",
            2,
            "the module defines __getattr__, so any name may resolve",
        ),
        (
            "import sys\nrevision = 'a'\ndown_revision = None\n"
            "setattr(sys.modules[__name__], 'down_revision', 'b')\n",
            4,
            "setattr() at module level may set revision names",
        ),
        (
            "revision = 'a'\ndown_revision = None\nfor revision in ['b']:\n    pass\n",
            3,
            "revision is bound inside a for loop",
        ),
        (
            "revision = 'a'\nwith open('f') as down_revision:\n    pass\n",
            2,
            "down_revision is bound inside a with block",
        ),
        (
            "revision = 'a'\ndown_revision = None\ndef set_it():\n    global revision\n"
            "    revision = 'b'\nset_it()\n",
            4,
            "a function declares global revision",
        ),
        (
            "revision = 'a'\ndown_revision = None\nexec('revision = \"b\"')\n",
            3,
            "exec() at module level can change any name",
        ),
        (
            "import sys\nrevision = 'a'\ndown_revision = None\n"
            "sys.modules[__name__].__dict__['x'] = 1\n",
            4,
            "__dict__ at module level can change any name",
        ),
    ],
)
def test_refuses_what_only_running_the_file_would_tell(source: str, line: int, reason: str) -> None:
    result = unreadable(source)
    assert (result.code, result.line, result.reason) == ("MG120", line, reason)


@pytest.mark.parametrize(
    ("source", "line", "reason"),
    [
        (
            "revision = '0193'\ndown_revision = 192\n",
            2,
            "down_revision is an int, not a string, strings or None",
        ),
        (
            "revision = '0193'\ndown_revision = ('0192', None)\n",
            2,
            "down_revision contains None, not a string",
        ),
        (
            "revision = '0193'\ndown_revision = b'0192'\n",
            2,
            "down_revision is bytes, not a string, strings or None",
        ),
        (
            "revision = '0193'\ndown_revision = {}\n",
            2,
            "down_revision is a dict, not a string, strings or None",
        ),
        ("revision = None\ndown_revision = None\n", 1, "revision is None, not a string"),
        ("revision = ('a', 'b')\ndown_revision = None\n", 1, "revision is a tuple, not a string"),
        (
            "revision = 'a'\ndown_revision = None\nbranch_labels = True\n",
            3,
            "branch_labels is a bool, not a string, strings or None",
        ),
    ],
)
def test_wrong_types_are_bad_values(source: str, line: int, reason: str) -> None:
    result = unreadable(source)
    assert (result.code, result.line, result.reason) == ("MG124", line, reason)


def test_missing_down_revision_is_alembics_attribute_error(tmp_path: Path) -> None:
    source = "revision = '0193'\nbranch_labels = None\n"
    error = alembic_heads(tmp_path / "migrations", {"0193_x.py": source})
    assert isinstance(error, AttributeError) and "down_revision" in str(error), error
    result = unreadable(source)
    assert (result.code, result.line, result.revision) == ("MG122", 1, "0193")
    assert result.reason == (
        "no down_revision (Alembic fails with AttributeError); use None for a base"
    )


def test_missing_revision_needs_a_hex_file_name(tmp_path: Path) -> None:
    error = alembic_heads(tmp_path / "migrations", {"0193_add_foo.py": "down_revision = None\n"})
    assert "Could not determine revision id from filename" in str(error), error
    result = unreadable("down_revision = None\n", "v/0193_add_foo.py")
    assert (result.code, result.line) == ("MG125", 1)
    assert result.reason == (
        "no revision, and the file name 0193_add_foo.py is not a hex revision id "
        "(Alembic: Could not determine revision id from filename)"
    )
    assert info("down_revision = None\n", "v/0193abc.py").revision == "0193abc"
    assert isinstance(parse("down_revision = None\n", "v/ABC.py"), Unreadable)


def test_a_refused_file_keeps_its_revision_when_it_is_still_certain() -> None:
    result = unreadable("revision = '0193'\ndown_revision = PARENT\n")
    assert (result.code, result.revision) == ("MG120", "0193")
    assert unreadable("revision = REV\ndown_revision = None\n").revision is None
    assert unreadable("revision = '1'\ndown_revision = None\nglobals()\n").revision is None


STAR_HINT = (
    "bind them after the import (branch_labels = None, depends_on = None), or import the "
    "names the file uses one by one"
)
LABELS_HINT = 'write it as a literal tuple of strings, e.g. branch_labels = ("expand",), or None'
DEPENDS_HINT = 'write it as a literal tuple of revision ids, e.g. depends_on = ("0192",), or None'


def test_a_star_import_before_the_literals_keeps_them() -> None:
    # quay's shape: Alembic runs the module, and the later literal bindings win.
    source = (
        '"""doc\n\nRevision ID: a6c463dfb9fe\n"""\n'
        "import json\n\nfrom peewee import *\n\n"
        'revision = "a6c463dfb9fe"\ndown_revision = "b4df55dea4b3"\n\n\n'
        "class Trigger(BaseModel):\n    config = TextField()\n"
    )
    result = info(source)
    assert (result.revision, result.down_revisions) == ("a6c463dfb9fe", ("b4df55dea4b3",))
    assert (result.branch_labels, result.depends_on) == ((), ())
    assert (result.branch_labels_span, result.depends_on_span) == (None, None)
    # branch_labels and depends_on are not bound after it: the import may have bound them.
    assert result.unknown == (
        Unknown(
            ("branch_labels", "depends_on"),
            7,
            "branch_labels and depends_on may be bound by the star import (from peewee import *)",
            STAR_HINT,
        ),
    )
    assert not result.labels_known and not result.depends_known
    bound = source.replace(
        'down_revision = "b4df55dea4b3"\n',
        'down_revision = "b4df55dea4b3"\nbranch_labels = None\ndepends_on = None\n',
    )
    assert info(bound).unknown == ()


def test_a_star_import_after_a_binding_leaves_only_that_name_unknown() -> None:
    source = (
        "branch_labels = ('x',)\nfrom m import *\nrevision = 'a'\ndown_revision = None\n"
        "depends_on = None\n"
    )
    result = info(source)
    assert result.branch_labels == () and result.depends_on == ()
    assert [(u.names, u.line) for u in result.unknown] == [(("branch_labels",), 2)]
    assert result.unknown[0].hint == (
        "bind it after the import (branch_labels = None), or import the names the file uses "
        "one by one"
    )


def test_a_computed_branch_label_keeps_the_links() -> None:
    # neutron's shape: the label comes from a module constant.
    source = (
        "from neutron.db.migration import cli\n\n"
        "revision = '30018084ec99'\ndown_revision = 'kilo'\n"
        "branch_labels = (cli.CONTRACT_BRANCH,)\n\n\ndef upgrade():\n    pass\n"
    )
    result = info(source)
    assert (result.revision, result.down_revisions, result.branch_labels) == (
        "30018084ec99",
        ("kilo",),
        (),
    )
    assert result.unknown == (
        Unknown(
            ("branch_labels",), 5, "branch_labels is computed (cli.CONTRACT_BRANCH)", LABELS_HINT
        ),
    )
    assert not result.labels_known and result.depends_known


@pytest.mark.parametrize(
    ("statement", "reason", "names"),
    [
        ("depends_on = PARENTS", "depends_on is computed (PARENTS)", ("depends_on",)),
        (
            "depends_on = ('0191', helper.parent())",
            "depends_on is computed (helper.parent())",
            ("depends_on",),
        ),
        (
            "branch_labels = depends_on = make()",
            "branch_labels and depends_on are computed (make())",
            ("branch_labels", "depends_on"),
        ),
        (
            "if FLAG:\n    branch_labels = 'a'\n    depends_on = 'b'",
            "branch_labels is bound inside an if block",
            ("branch_labels",),
        ),
        ("from ids import depends_on", "depends_on is bound by an import", ("depends_on",)),
        ("branch_labels += ('b',)", "branch_labels is changed by augmented assignment", None),
    ],
)
def test_only_the_computed_value_is_unknown(
    statement: str, reason: str, names: tuple[str, ...] | None
) -> None:
    source = f"revision = 'a'\ndown_revision = 'b'\n{statement}\n"
    result = info(source)
    assert (result.revision, result.down_revisions) == ("a", ("b",))
    first = result.unknown[0]
    assert (first.line, first.reason) == (4 if "if FLAG" in statement else 3, reason)
    if names is not None:
        assert first.names == names
    if "if FLAG" in statement:  # both names the block binds, each its own entry
        assert [(u.names, u.line, u.reason) for u in result.unknown[1:]] == [
            (("depends_on",), 5, "depends_on is bound inside an if block")
        ]


def test_a_later_literal_wins_over_an_earlier_computed_value() -> None:
    result = info(
        "branch_labels = LABELS\nrevision = 'a'\ndown_revision = None\nbranch_labels = None\n"
    )
    assert result.unknown == () and result.branch_labels_span == Span(4, 16, 4, 20)
    # ...but not over a lasting one: a function declaring the name global may run later.
    result = info(
        "def f():\n    global branch_labels\n    branch_labels = 'x'\n"
        "revision = 'a'\ndown_revision = None\nbranch_labels = None\nf()\n"
    )
    assert [(u.names, u.line, u.reason) for u in result.unknown] == [
        (("branch_labels",), 2, "a function declares global branch_labels")
    ]
    # A lasting refusal of any name hides behind a statement's first refusal no more.
    unread = unreadable(
        "revision = 'a'\ndown_revision = None\n"
        "if FLAG:\n    branch_labels = 'x'\n    def g():\n        global revision\n"
        "revision = 'a'\n"
    )
    assert (unread.line, unread.reason) == (6, "a function declares global revision")


def test_a_wrong_type_that_stays_is_still_refused() -> None:
    result = unreadable("revision = 'a'\ndown_revision = None\nbranch_labels = 5\n")
    assert (result.code, result.line) == ("MG124", 3)
    assert info("branch_labels = 5\nrevision = 'a'\ndown_revision = None\nbranch_labels = 'x'\n")


def test_syntax_errors_name_the_line() -> None:
    result = unreadable("revision = '0193'\ndown_revision = ('0192'\n\ndef upgrade():\n    pass\n")
    assert result.code == "MG121"
    assert result.line == 2
    assert result.reason.startswith("syntax error: ")


def test_syntax_errors_after_the_header_are_found_by_every_reader() -> None:
    source = b"revision = '0193'\ndown_revision = '0192'\n\ndef upgrade():\n    op.(\n"
    for check_syntax in (False, True):
        result = parse_script(PATH, source, check_syntax=check_syntax)
        assert isinstance(result, Unreadable)
        assert (result.code, result.line) == ("MG121", 5)
    for reader in (
        parse_script_with(PATH, source, "scan"),
        parse_script_with(PATH, source, "fast"),
        parse_script_with(PATH, source, "full"),
    ):
        assert reader is None or (isinstance(reader, Unreadable) and reader.code == "MG121")
    source = b"revision = '0193'\ndown_revision = '0192'\n\ndef upgrade():\n    pass\nreturn 1\n"
    result = parse_script(PATH, source)
    assert isinstance(result, Unreadable)
    assert (result.code, result.line, result.reason) == (
        "MG121",
        6,
        "syntax error: 'return' outside function",
    )


def test_blocks_not_binding_the_names_are_fine() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from collections.abc import Sequence\n"
        "try:\n"
        "    import psycopg2\n"
        "except ImportError:\n"
        "    psycopg2 = None\n"
        "class Helper:\n"
        "    revision = 'class attribute, not the module'\n"
        "revision = 'a1'\n"
        "down_revision = None\n"
    )
    assert info(source).revision == "a1"


def test_fullwidth_identifiers_are_the_same_name() -> None:
    # Python folds identifiers with NFKC, so this really rebinds revision.
    source = "revision = 'a'\ndown_revision = None\ndef f():\n    pass\nｒevision = 'b'\n"
    assert info(source).revision == "b"


_DOCSTRINGS = [
    "",
    '"""add foo\n\nRevision ID: {rev}\nRevises: 0192\n"""\n',
    "'''add foo\n    Revision ID: {rev}\n'''\n",
    '"""one line"""  # comment\n',
    'r"""raw"""\n',
    '"plain string docstring"\n',
    '"""with \\"\\"\\" escape\nRevision ID: x\n"""\n',
    '"""doc""" "more"\n',
    "# comment first\n\n" + '"""doc\nRevises: a\n"""\n',
]
_OTHER = [
    "from typing import Sequence, Union\n",
    "import sqlalchemy as sa\nfrom alembic import op\n",
    "from x import (\n    a,\n    b,\n)\n",
    "import os; import sys\n",
    "from __future__ import annotations\n",
    "X = 1\n",
    '_SQL = """\nSELECT revision FROM t\n"""\n',
    '_FLAG = ("a"\n    "b")\n',
    "if TYPE_CHECKING:\n    pass\n",
    "try:\n    import psycopg2\nexcept ImportError:\n    psycopg2 = None\n",
    "x = revision\n",
    "print(down_revision)\n",
    "class Foo:\n    revision = 1\n",
    "    \n\t\n",
    "  # indented comment\n",
    "\f\n",
    "y = 1 + \\\n    2\n",
    "z = [\n  1,  # c\n]\n",
    "(revision) = 'paren'\n",
    "revision_x = 'other name'\n",
    "down_revisions = ['not ours']\n",
    "w = (v := 3)\n",
    "del X\n",
    "from m import *\n",
    "revision == 'compare'\n",
]
_ANNOTATIONS = [
    "",
    ": str",
    " : str",
    ": Union[str, None]",
    ": Union[str, Sequence[str], None]",
    ": Optional[str]",
    ": str | None",
    ': "str"',
    ': Literal["a=b"]',
    ": str[",
]
_VALUES = [
    "'0193'",
    '"0193"',
    "None",
    "('a', 'b')",
    "['a']",
    "('a',)",
    "{'a', 'b'}",
    "()",
    "[]",
    "(\n    'a',  # first\n    'b',\n)",
    "(\n    'a',  # it's the first\n    'b',\n)",
    "('a',  # a comment with ) and \"quotes\"\n)",
    "('0193')",
    "'01' '93'",
    "'01\\x393'",
    '"it\'s"',
    "u'0193'",
    "b'0193'",
    "f'0193'",
    "'a' if True else 'b'",
    "'a';",
    "'a'; q = 1",
    "'a' \\\n",
    "('a'",
    "'a'  # trailing",
    "'ä'",
    "NAME",
    "5",
    "{}",
    "(('a', 'b'))",
    "'''tri'''",
    "'a'.upper()",
    "(cli.EXPAND_BRANCH,)",
]
_TAILS = [
    "",
    "\n\ndef upgrade():\n    op.execute('SELECT 1')\n",
    "\n\ndef upgrade():\n    print(revision)\n",
    "\n\n@decorator\ndef upgrade():\n    pass\n",
    "\n\nclass Model:\n    pass\n",
    "\n\ndef upgrade():\n    pass\nrevision = 'late'\n",
    "\n\ndef upgrade():\n    op.(\n",
    "\n\nasync def f():\n    pass\n",
    "\n\ndef upgrade():\n    exec('x')\n",
    "\n\ndef upgrade():\n    pass\nexec(CODE)\n",
    "\n\ndef upgrade():\n    pass\neval(CODE)\n",
    "\n\ndef upgrade():\n    pass\nvars()[NAME] = 1\n",
    "\n\ndef upgrade():\n    pass\nlocals()[NAME] = 1\n",
    "\n\ndef upgrade():\n    pass\nsetattr(sys.modules[__name__], NAME, 1)\n",
    "\n\ndef upgrade():\n    pass\nsys.modules[__name__].__dict__.update(X)\n",
    "\n\nclass K:\n    global depends_on\n    depends_on = 'x'\n",
    "\n\ndef f(branch_labels=1):\n    pass\n",
    "\n\ndef upgrade():\n    s = 'é'\n",
]


def _pick(rng: random.Random, items: list[str], plain: int) -> str:
    """Mostly one of the first ``plain`` (ordinary) items, sometimes any."""
    return rng.choice(items[:plain] if rng.random() < 0.8 else items)


def _fuzz_source(rng: random.Random) -> str:
    parts = [_pick(rng, _DOCSTRINGS, 3).replace("{rev}", "0193")]
    names = ["revision", "down_revision", "branch_labels", "depends_on"]
    statements = [_pick(rng, _OTHER, 6) for _ in range(rng.randint(0, 3))]
    for name in rng.sample(names, rng.randint(1, 4)):
        space = rng.choice(["", " ", "\t"])
        annotation = _pick(rng, _ANNOTATIONS, 5)
        statement = f"{name}{annotation}{space}={space}{_pick(rng, _VALUES, 10)}"
        statements.append(statement if statement.endswith("\n") else statement + "\n")
    rng.shuffle(statements)
    parts += statements
    parts.append(_pick(rng, _TAILS, 3))
    text = "".join(parts)
    return text.replace("\n", "\r\n") if rng.random() < 0.1 else text


def test_prescan_agrees_with_the_full_reader_on_fuzzed_headers() -> None:
    rng = random.Random(20260617)
    taken = kept = 0
    for _ in range(3000):
        source = _fuzz_source(rng)
        data = source.encode("utf-8")
        full = parse_script_with("v/0193_x.py", data, "full")
        fast = parse_script_with("v/0193_x.py", data, "fast")
        kept += isinstance(full, ScriptInfo) and bool(full.unknown)
        if fast is None:
            continue
        taken += 1
        if isinstance(full, Unreadable) and full.code == "MG121" and fast != full:
            # Only allowed after the header: at or after the first top-level def/class.
            lines = source.replace("\r\n", "\n").split("\n")
            first_def = next(
                i + 1
                for i, line in enumerate(lines)
                if line.startswith(("def ", "class ", "@", "async "))
            )
            assert full.line is not None and full.line >= first_def, source
            continue
        assert fast == full, source
    assert taken > 500
    assert kept > 10  # files read with a value left unknown: only the full reader gives those


# The scanner (one regex for the template's shape) against the full reader: files close to what
# Alembic generates, with one or more things changed that the scanner must notice.
_SCAN_DOCS = [
    '"""add foo\n\nRevision ID: {rev}\nRevises: 0192\nCreate Date: 2026-06-01\n\n"""\n',
    '"""add foo\n\nRevision ID: {rev}\nRevises:\nCreate Date: 2026-06-01\n\n"""\n',
    '"""Revision ID: {rev} on the first line\nRevises: 0192"""\n',
    '"""add foo\n   Revision ID: {rev}\n\tRevises: 0192\n"""  # trailing comment\n',
    '"""add foo\n\n  \n Revision ID: {rev}\nsee Revises: here\nRevises: a"""\n',
    '"""add "quoted" foo\nRevision ID: {rev}\n""Revises: x""\n"""\n',
    '"""add foo\x0c\n\x0bRevision ID: {rev}\n\x1cRevises: 0192\n"""\n',
    '"""one line"""\n',
    '"""with a \\t backslash\nRevision ID: {rev}\n"""\n',
    '"""with an escaped \\""" quote\nRevision ID: {rev}\n"""\n',
    "'''single quotes\nRevision ID: {rev}\n'''\n",
    'r"""raw\nRevision ID: {rev}\n"""\n',
    '"""doc""" "more"\n',
    '"""doc"""; x = 1\n',
    '"""unterminated\nRevision ID: {rev}\n',
    '"""four quotes""""\n',
    '"""doc\ndef f():\nrevision = "in the docstring"\n"""\n',
    "# -*- coding: utf-8 -*-\n" + '"""doc\nRevision ID: {rev}\n"""\n',
    "#!/usr/bin/env python\n# a comment\n\n" + '"""doc\nRevision ID: {rev}\n"""\n',
    "# coding: bogus\n" + '"""doc\nRevision ID: {rev}\n"""\n',
    "# vim: set fileencoding=utf-16 :\n" + '"""doc\n"""\n',
    '"""doc \\"""\nx = """\n"""\n',
    "  # indented comment\n" + '"""doc"""\n',
    '  """indented docstring"""\n',
    "",
]
_SCAN_IMPORTS = [
    "from typing import Sequence, Union\n\nfrom alembic import op\nimport sqlalchemy as sa\n\n",
    "from typing import Union\n\nimport sqlalchemy as sa\nfrom alembic import op\n",
    "from alembic import op\nimport sqlalchemy as sa\n\n\n# revision identifiers, by Alembic.\n",
    "from typing import (\n    Sequence,\n    Union,\n)\n",
    "",
    "import os; import sys\n",
    "from m import *\n",
    "from m import revision\n",
    "import down_revision\n",
    "X = 1\n",
    "x = revision\n",
    "x = (\n",
    "x = f(\n",
    '_SQL = """\n',
    "y = 1 + \\\n",
    "if TYPE_CHECKING:\n    from x import y\n",
    "try:\n    import a\nexcept ImportError:\n    a = None\n",
    "def helper():\n    pass\n",
    "class Base:\n    pass\n",
    "@dec\n",
    "    indented = 1\n",
    "globals()['x'] = 1\n",
    "(w := 3)\n",
    "'a string statement'\n",
    "\n\n",
]
_SCAN_ANNOTATIONS = [
    "",
    ": str",
    ": Union[str, None]",
    ": Union[str, Sequence[str], None]",
    " : Optional[str]",
    ": str | None",
    ': "str"',
    ": str[",
    ": Literal['a=b']",
    ": (x := int)",
    ": globals()",
    " # comment",
]
_SCAN_VALUES = [
    "'{rev}'",
    '"{rev}"',
    "None",
    "('0191', '0192')",
    "['0192']",
    "('0192',)",
    "{{'a', 'b', 'a'}}",
    "()",
    "[]",
    "{{}}",
    "(\n    '0191',\n    '0192',\n)",
    "[\n'a'\n]",
    "(\n    'a',  # first\n    'b',\n)",
    "('0192')",
    "( '0192' )",
    "('a'  ,  'b'  )",
    "('a', 'b']",
    "('a', ('b'))",
    "(('a', 'b'))",
    "('a', b)",
    "('a' 'b',)",
    "('a,b', 'c)d')",
    "'01' '92'",
    "'01\\x392'",
    '"it\'s"',
    "''",
    "u'0192'",
    "b'0192'",
    "f'0192'",
    "'''tri'''",
    "'a' if x else 'b'",
    "'a';",
    "'a'; q = 1",
    "'a' \\\n",
    "'a'  # trailing comment",
    "'a'\t# tab then comment",
    "NAME",
    "5",
    "True",
    "'a'.upper()",
    "('a'",
    "'a' + 'b'",
    "'ä'",
    "'a\tb'",
    "(cli.EXPAND_BRANCH,)",
    "cli.BRANCHES",
]
_SCAN_TAILS = [
    "\n\ndef upgrade() -> None:\n    op.create_table('t')\n\n\ndef downgrade() -> None:\n"
    "    op.drop_table('t')\n",
    "\n\ndef upgrade():\n    op.execute('UPDATE t SET x = 1')\n",
    "\n\ndef upgrade():\n    print(revision)\n",
    "\n\ndef upgrade():\n    pass\nrevision = 'late'\n",
    "\n\ndef upgrade():\n    pass\nif True:\n    down_revision = 'late'\n",
    "\n\n@decorator\ndef upgrade():\n    pass\n",
    "\n\nclass Model:\n    revision = 1\n",
    "\n\nasync def f():\n    pass\n",
    "\n\ndef upgrade():\n    exec('x')\n",
    "\n\ndef upgrade():\n    pass\nglobals()['revision'] = 'x'\n",
    "\n\ndef upgrade():\n    pass\nfrom m import *\n",
    "\n\ndef upgrade():\n    x = '*'\n",
    "\n\ndef __getattr__(name):\n    return 'x'\n",
    "\n\ndef upgrade():\n    op.(\n",
    "\n\ndef upgrade():\n    s = 'é'\n",
    "\n\ndef upgrade():\n    s = 'ｒevision'\n",
    "\n\ndef\tupgrade():\n    pass\n",
    "\n\ndefault = 1\n",
    "\n\nclassy = 2\n",
    "\n\ndef upgrade():\n    pass",
    "\n",
    "",
]


def _scan_source(rng: random.Random) -> str:
    rev = rng.choice(["0193", "ae1027a6acf", "0193_add", "a-b", ""])
    parts = [_pick(rng, _SCAN_DOCS, 3).replace("{rev}", rev), _pick(rng, _SCAN_IMPORTS, 4)]
    names = ["revision", "down_revision", "branch_labels", "depends_on"]
    count = rng.choice([2, 3, 4, 4, 4]) if rng.random() < 0.9 else rng.randint(0, 4)
    chosen = names[:count]
    if rng.random() < 0.1:
        rng.shuffle(chosen)
    for name in chosen:
        before = rng.choice(["", " ", "\t"]) if rng.random() < 0.2 else " "
        after = rng.choice(["", "  ", "\t"]) if rng.random() < 0.2 else " "
        annotation = _pick(rng, _SCAN_ANNOTATIONS, 4)
        plain = 3 if name in ("branch_labels", "depends_on") else 2
        value = _pick(rng, _SCAN_VALUES, plain if rng.random() < 0.7 else 13).format(rev=rev)
        statement = f"{name}{annotation}{before}={after}{value}"
        parts.append(statement if statement.endswith("\n") else statement + "\n")
        if rng.random() < 0.05:
            parts.append(rng.choice(["\n", "# between\n", "x = 1\n"]))
    if rng.random() < 0.3:
        parts.append(_pick(rng, _SCAN_IMPORTS, 4))
    parts.append(_pick(rng, _SCAN_TAILS, 2))
    text = "".join(parts)
    roll = rng.random()
    if roll < 0.05:
        text = text.replace("\n", "\r\n")
    elif roll < 0.07:
        text = text.replace("\n", "\r", 1)
    elif roll < 0.09:
        text = text.replace("\n", "\x00\n", 1)
    elif roll < 0.11:
        text = text.rstrip("\n")
    return text


def test_scanner_agrees_with_the_full_reader_on_fuzzed_files() -> None:
    rng = random.Random(20261127)
    cases, taken, kept = 6000, 0, 0
    for _ in range(cases):
        source = _scan_source(rng)
        data = source.encode("utf-8")
        full = parse_script_with("v/0193_x.py", data, "full")
        scan = parse_script_with("v/0193_x.py", data, "scan")
        kept += isinstance(full, ScriptInfo) and bool(full.unknown)
        if scan is None:
            continue
        taken += 1
        if isinstance(full, Unreadable) and full.code == "MG121" and scan != full:
            # Only allowed after the header: at or after the first top-level def/class.
            lines = source.replace("\r\n", "\n").split("\n")
            first_def = next(
                i + 1
                for i, line in enumerate(lines)
                if line.startswith(("def ", "class ", "@", "async "))
            )
            assert full.line is not None and full.line >= first_def, source
            continue
        assert scan == full, source
        assert parse_script("v/0193_x.py", data) == full
    assert taken > cases // 6  # most cases change something the scanner must refuse
    assert kept > 100


@pytest.mark.parametrize("old_style", [False, True])
@pytest.mark.parametrize("down", ["0192", None])
def test_the_scanner_reads_the_usual_templates(old_style: bool, down: str | None) -> None:
    source = alembic_script("0193", down, "add_foo", table="t", old_style=old_style)
    scanned = parse_script_with(PATH, source.encode(), "scan")
    assert scanned is not None
    assert scanned == parse_script_with(PATH, source.encode(), "full")


def test_an_escaped_quote_cannot_end_the_docstring_early() -> None:
    # The docstring really ends on line 2, and line 3 opens a string that never closes.
    source = '"""doc \\"""\nx = """\n"""\nrevision = "a"\ndown_revision = None\n'
    assert unreadable(source).code == "MG121"  # (checks every reader against the full one)


@pytest.mark.parametrize(
    "statement",
    [
        "revision = 'late'",
        "down_revision = 'late'",
        "branch_labels = 'late'",
        "depends_on = 'late'",
        "globals()[NAME] = 1",
        "locals()[NAME] = 1",
        "vars()[NAME] = 1",
        "exec(CODE)",
        "eval(CODE)",
        "setattr(sys.modules[__name__], NAME, 1)",
        "sys.modules[__name__].__dict__.update(X)",
        "from m import *",
        "def __getattr__(name):\n    return 'x'",
        "class K:\n    global revision",
        "for revision in ():\n    pass",
    ],
)
def test_the_tail_is_searched_for_every_way_to_bind_a_name(statement: str) -> None:
    plain = alembic_script("0193", "0192", "add_foo", table="t")
    source = plain + statement + "\n"
    full = parse(source)  # (checks that the scanner and the pre-scan agree or decline)
    assert full != parse(plain)  # the statement matters...
    assert parse_script_with(PATH, source.encode(), "scan") is None  # ...and is noticed


def test_strings_in_brackets_may_hold_hashes_and_commas() -> None:
    source = alembic_script("0193", "0192", "add_foo", table="t").replace(
        'down_revision: Union[str, Sequence[str], None] = "0192"',
        "down_revision: Union[str, Sequence[str], None] = ('a#b', \"c,d\", 'e, f')",
    )
    scanned = parse_script_with(PATH, source.encode(), "scan")
    assert scanned is not None and scanned == info(source)
    assert scanned.down_revisions == ("a#b", "c,d", "e, f")


def test_results_survive_the_trip_between_processes() -> None:
    rng = random.Random(7)
    sources = {f"v/{n:04d}_x.py": _scan_source(rng).encode("utf-8") for n in range(500)}
    paths = list(sources)
    scripts = parse_many(paths, sources)
    assert scripts == [parse_script(p, sources[p]) for p in paths]
    assert {type(s) for s in scripts} == {ScriptInfo, Unreadable}
    assert unpack(paths, pack(scripts)) == scripts
    assert unpack([], pack([])) == []
    with pytest.raises(ValueError, match="2 results for 1 scripts"):
        unpack(paths[:1], pack(scripts[:2]))
    syntax = parse_many(paths[:20], sources, check_syntax=True)
    assert syntax == [parse_script(p, sources[p], check_syntax=True) for p in paths[:20]]
