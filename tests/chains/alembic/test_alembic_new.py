"""``plan_new`` of the Alembic kind, with real Alembic as the oracle: the planned file is
what ``alembic revision`` writes (but the date), and Alembic sees it as the single head."""

from __future__ import annotations

import builtins
import py_compile
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from migration_guard.apply import apply_plan
from migration_guard.chains.alembic import new
from migration_guard.chains.kind import Author, NewMigration, NewRequest
from migration_guard.chains.registry import kind_of
from migration_guard.errors import UsageError
from migration_guard.model import ChainKind, ChainSpec, Head
from migration_guard.sample import CONSOLE_VERSIONS, write_sample_repo
from migration_guard.tree import WorkTree

KIND = kind_of(ChainKind.ALEMBIC)
NOW = datetime(2026, 6, 2, 9, 30, 0, 123456)
AUTHOR = Author("Test", "test@example.invalid")
SPEC = ChainSpec(
    "console", "Console", ChainKind.ALEMBIC, CONSOLE_VERSIONS, width=4,
    alembic_config="console/migrations/alembic.ini",
)  # fmt: skip
CREATE_DATE = re.compile(r"^Create Date: .*$", re.MULTILINE)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_sample_repo(tmp_path)
    return tmp_path


def _config(root: Path) -> Config:
    return Config(str(root / "console/migrations/alembic.ini"))


def _plan(
    root: Path, number: str = "0193", slug: str = "add_users", message: str = ""
) -> NewMigration:
    tree = WorkTree(root)
    state = KIND.read_chain(tree, SPEC)
    return KIND.plan_new(tree, SPEC, state, NewRequest(number, slug, message, NOW, AUTHOR))


def test_the_new_revision_is_alembics_single_head(root: Path) -> None:
    planned = _plan(root, message="add users")
    path = f"{CONSOLE_VERSIONS}/0193_add_users.py"
    assert planned.paths == (path,)
    apply_plan(root, planned.plan, in_git=False)
    script = ScriptDirectory.from_config(_config(root))
    assert script.get_heads() == ["0193"]
    assert script.get_revision("0193").down_revision == "0192"
    py_compile.compile(str(root / path), doraise=True)
    text = (root / path).read_text()
    assert text.startswith(
        '"""add users\n\nRevision ID: 0193\nRevises: 0192\n'
        'Create Date: 2026-06-02 09:30:00.123456\n\n"""\n'
    )


def test_the_file_is_what_alembic_revision_writes(root: Path, tmp_path_factory: Any) -> None:
    other = tmp_path_factory.mktemp("alembic")
    write_sample_repo(other)
    command.revision(_config(other), message="add users", rev_id="0193")
    theirs = (other / CONSOLE_VERSIONS / "0193_add_users.py").read_text()
    planned = _plan(root, message="add users")
    ours = planned.plan.edits[0].new_text
    assert CREATE_DATE.sub("", ours) == CREATE_DATE.sub("", theirs)


def test_without_a_template_alembics_generic_template_is_used(
    root: Path, tmp_path_factory: Any
) -> None:
    (root / "console/migrations/script.py.mako").unlink()
    ours = _plan(root).plan.edits[0].new_text
    other = tmp_path_factory.mktemp("generic")
    command.init(Config(str(other / "alembic.ini")), str(other / "migrations"))
    generic = (other / "migrations" / "script.py.mako").read_text()
    theirs = new.render(("script.py.mako", generic), _values())
    assert ours == theirs


def test_without_mako_the_built_in_text_is_the_same(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "console/migrations/script.py.mako").unlink()
    with_mako = _plan(root).plan.edits[0].new_text
    real_import = builtins.__import__

    def no_mako(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("mako"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mako)
    assert _plan(root).plan.edits[0].new_text == with_mako


def _values() -> dict[str, Any]:
    return {
        "up_revision": "0193",
        "down_revision": "0192",
        "branch_labels": None,
        "depends_on": None,
        "create_date": NOW,
        "comma": new.format_as_comma,
        "message": "add users",
    }


def test_a_chain_without_numbers_gets_a_fresh_hex_id(root: Path) -> None:
    versions = root / "hex/versions"
    versions.mkdir(parents=True)
    (root / "hex/script.py.mako").write_text(
        (root / "console/migrations/script.py.mako").read_text()
    )
    spec = ChainSpec("hex", "Hex", ChainKind.ALEMBIC, "hex/versions")
    tree = WorkTree(root)
    first = KIND.plan_new(
        tree, spec, KIND.read_chain(tree, spec), NewRequest("", "init", "", NOW, AUTHOR)
    )
    apply_plan(root, first.plan, in_git=False)
    state = KIND.read_chain(WorkTree(root), spec)
    second = KIND.plan_new(
        WorkTree(root), spec, state, NewRequest("", "add_x", "add x", NOW, AUTHOR)
    )
    (path,) = second.paths
    revision = Path(path).name.split("_")[0]
    assert re.fullmatch(r"[0-9a-f]{12}", revision)
    assert f"down_revision: Union[str, Sequence[str], None] = {state.heads[0].revision!r}" in (
        second.plan.edits[0].new_text
    )
    apply_plan(root, second.plan, in_git=False)
    config = Config()
    config.set_main_option("script_location", str(root / "hex"))
    assert ScriptDirectory.from_config(config).get_heads() == [revision]


def test_several_heads_are_a_usage_error_naming_them(root: Path) -> None:
    tree = WorkTree(root)
    state = KIND.read_chain(tree, SPEC)
    forked = state._replace(heads=(Head("0192", "a"), Head("0191b", "b")))
    with pytest.raises(UsageError, match=r"2 heads \(0192, 0191b\)"):
        KIND.plan_new(tree, SPEC, forked, NewRequest("0193", "x", "", NOW, AUTHOR))


@pytest.mark.parametrize("slug", ["", "a/b", "has space", "add-users", ".hidden"])
def test_a_slug_that_cannot_name_a_module_is_refused(root: Path, slug: str) -> None:
    with pytest.raises(UsageError, match="cannot name a migration"):
        _plan(root, slug=slug)


def test_a_taken_number_is_refused(root: Path) -> None:
    with pytest.raises(UsageError, match="'0192' exists already"):
        _plan(root, number="0192")
