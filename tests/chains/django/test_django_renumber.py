"""Renumbering a Django migration: rename, references in every app, re-parenting, and
``max_migration.txt``; real Django loads and migrates the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.django_apps import apply_plan, copy_fixture, django_oracle, migration, write_app

from migration_guard.chains.django.kind import KIND
from migration_guard.chains.kind import RenumberContext
from migration_guard.errors import InputError
from migration_guard.model import ChainKind, ChainSpec, ChainState, Migration
from migration_guard.tree import WorkTree


def spec_of(app: str) -> ChainSpec:
    return ChainSpec(name=app, title=app, kind=ChainKind.DJANGO, path=f"{app}/migrations")


def state_of(root: Path, app: str) -> ChainState:
    return KIND.read_chain(WorkTree(root), spec_of(app))


def find(state: ChainState, name: str) -> Migration:
    return next(m for m in state.migrations if m.name == name)


def test_references_are_rewritten_literal_by_literal(tmp_path: Path) -> None:
    other = (
        "from django.db import migrations\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [ ("shop","0002_add_x"),  # keep me\n'
        "        ('shop', '0001_initial')]\n"
        "    run_before = [('shop', '0002_add_x')]\n"
        "    operations = []  # 0002_add_x in a comment stays\n"
    )
    squash = migration(
        ("shop", "0001_initial"), body="replaces = [\n    ('shop', '0002_add_x'),\n]\n"
    )
    write_app(
        tmp_path,
        "shop",
        {
            "0001_initial.py": migration(),
            "0002_add_x.py": migration(("shop", "0001_initial")),
            "0003_squashed.py": squash,
        },
    )
    write_app(tmp_path, "billing", {"0001_initial.py": other})
    state = state_of(tmp_path, "shop")
    move = KIND.moved(spec_of("shop"), find(state, "0002_add_x"), "0005")
    plan = KIND.plan_renumber(WorkTree(tmp_path), spec_of("shop"), [move], RenumberContext())
    assert [(r.old_path, r.new_path) for r in plan.renames] == [
        ("shop/migrations/0002_add_x.py", "shop/migrations/0005_add_x.py")
    ]
    edits = {e.path: e.new_text for e in plan.edits}
    assert edits["billing/migrations/0001_initial.py"] == other.replace(
        '("shop","0002_add_x")', '("shop","0005_add_x")'
    ).replace("('shop', '0002_add_x')]", "('shop', '0005_add_x')]")
    assert "('shop', '0005_add_x')," in edits["shop/migrations/0003_squashed.py"]
    assert set(edits) == {"billing/migrations/0001_initial.py", "shop/migrations/0003_squashed.py"}


def test_unreadable_reference_stops_the_plan(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        "shop",
        {"0001_initial.py": migration(), "0002_add_x.py": migration(("shop", "0001_initial"))},
    )
    write_app(
        tmp_path,
        "billing",
        {"0001_initial.py": "class Migration:\n    dependencies = [('shop', '0002_add_x')] + X\n"},
    )
    move = KIND.moved(spec_of("shop"), find(state_of(tmp_path, "shop"), "0002_add_x"), "0003")
    with pytest.raises(InputError, match="cannot be read statically"):
        KIND.plan_renumber(WorkTree(tmp_path), spec_of("shop"), [move], RenumberContext())


@pytest.mark.slow
def test_collision_fixed_and_django_migrates(tmp_path: Path) -> None:
    """tenancy: main merged 0015_theirs while this branch added 0015_mine (and an extras
    migration that depends on it): two leaves. Moving 0015_mine to 0016 re-parents it onto
    0015_theirs, follows it in extras, and updates max_migration.txt."""
    root = copy_fixture(tmp_path)
    parent = ("tenancy", "0014_contactassignment_ordering")
    create = (
        "migrations.CreateModel(name='{}', fields=[('id', models.BigAutoField(primary_key=True))])"
    )
    write_app(
        root,
        "tenancy",
        {
            "0015_theirs.py": migration(parent, operations=create.format("Theirs")),
            "0015_mine.py": migration(parent, operations=create.format("Mine")),
            "max_migration.txt": "<<<<<<< HEAD\n0015_mine\n=======\n0015_theirs\n>>>>>>> main\n",
        },
    )
    write_app(
        root,
        "extras",
        {
            "0100_uses_mine.py": migration(
                ("extras", "0099_cachedvalue_ordering"), ("tenancy", "0015_mine")
            )
        },
    )
    before = state_of(root, "tenancy")
    assert [f.code for f in before.findings] == ["MG301", "MG302"]
    move = KIND.moved(spec_of("tenancy"), find(before, "0015_mine"), "0016")
    plan = KIND.plan_renumber(WorkTree(root), spec_of("tenancy"), [move], RenumberContext())
    apply_plan(root, plan)

    after = state_of(root, "tenancy")
    assert after.findings == () and [h.revision for h in after.heads] == ["0016_mine"]
    assert find(after, "0016_mine").parents == ("0015_theirs",)
    assert (root / "tenancy/migrations/max_migration.txt").read_text() == "0016_mine\n"
    assert "('tenancy', '0016_mine')" in (root / "extras/migrations/0100_uses_mine.py").read_text()
    assert state_of(root, "extras").findings == ()

    db = tmp_path / "db.sqlite3"
    result = django_oracle(
        root,
        [("migrate",), ("migrate", "tenancy", "zero"), ("migrate",)],
        database=db,
    )
    assert result.get("load_error") is None and result["conflicts"] == {}
    assert sorted(leaf for leaf in result["leaves"] if leaf[0] in ("extras", "tenancy")) == [
        ["extras", "0100_uses_mine"],
        ["tenancy", "0016_mine"],
    ]
    assert result["commands"] == [None, None, None]


def test_a_block_lands_on_the_leaf_that_stays(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        "shop",
        {
            "0001_initial.py": migration(),
            "0002_theirs.py": migration(("shop", "0001_initial")),
            "0002_mine.py": migration(("shop", "0001_initial")),
            "0003_mine2.py": migration(("shop", "0002_mine"), ("auth", "0012_x")),
        },
    )
    state = state_of(tmp_path, "shop")
    moves = [
        KIND.moved(spec_of("shop"), find(state, "0003_mine2"), "0004"),
        KIND.moved(spec_of("shop"), find(state, "0002_mine"), "0003"),
    ]
    apply_plan(
        tmp_path, KIND.plan_renumber(WorkTree(tmp_path), spec_of("shop"), moves, RenumberContext())
    )
    after = state_of(tmp_path, "shop")
    assert after.findings == () and [h.revision for h in after.heads] == ["0004_mine2"]
    assert find(after, "0003_mine").parents == ("0002_theirs",)
    assert find(after, "0004_mine2").parents == ("0003_mine",)


def test_a_taken_name_is_refused(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        "shop",
        {"0001_initial.py": migration(), "0002_x.py": migration(("shop", "0001_initial"))},
    )
    state = state_of(tmp_path, "shop")
    move = KIND.moved(spec_of("shop"), find(state, "0001_initial"), "0002")
    move = move._replace(new_path="shop/migrations/0002_x.py")
    with pytest.raises(InputError, match="already exists"):
        KIND.plan_renumber(WorkTree(tmp_path), spec_of("shop"), [move], RenumberContext())
