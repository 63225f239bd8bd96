"""Reading an app's migrations folder: leaves, replacements and findings."""

from __future__ import annotations

from pathlib import Path

from testing.django_apps import migration, write_app

from migration_guard.chains.django.kind import KIND
from migration_guard.model import ChainKind, ChainSpec, ChainState, NumberingMode
from migration_guard.numbering import Numbering
from migration_guard.tree import WorkTree

SPEC = ChainSpec(name="shop", title="shop", kind=ChainKind.DJANGO, path="shop/migrations")
INITIAL = migration()


def read(root: Path, files: dict[str, str]) -> ChainState:
    write_app(root, "shop", files)
    return KIND.read_chain(WorkTree(root), SPEC)


def codes(state: ChainState) -> list[str]:
    return [f.code for f in state.findings]


def test_linear_app_has_one_head(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        {
            "0001_initial.py": INITIAL,
            "0002_add_x.py": migration(("shop", "0001_initial"), ("auth", "__first__")),
            "_helpers.py": "x = 1\n",
            "README.md": "",
        },
    )
    assert [h.revision for h in state.heads] == ["0002_add_x"]
    assert state.heads_ok and codes(state) == []
    assert [(m.number, m.id, m.parents) for m in state.migrations] == [
        (1, "0001_initial", ()),
        (2, "0002_add_x", ("0001_initial",)),
    ]
    assert state.numbering is NumberingMode.SEQUENTIAL and state.width == 4


def test_two_leaves_use_djangos_wording(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        {
            "0001_initial.py": INITIAL,
            "0002_b.py": migration(("shop", "0001_initial")),
            "0002_a.py": migration(("shop", "0001_initial")),
        },
    )
    assert [h.revision for h in state.heads] == ["0002_a", "0002_b"]
    conflict = next(f for f in state.findings if f.code == "MG301")
    assert conflict.message == (
        "Conflicting migrations detected; multiple leaf nodes in the migration graph: "
        "(0002_a, 0002_b in shop)"
    )
    assert sorted(codes(state)) == ["MG301", "MG302"]
    assert not state.heads_ok


def test_duplicate_number_in_a_line_is_still_reported(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        {
            "0001_initial.py": INITIAL,
            "0002_a.py": migration(("shop", "0001_initial")),
            "0002_b.py": migration(("shop", "0002_a")),
        },
    )
    assert [h.revision for h in state.heads] == ["0002_b"]
    assert codes(state) == ["MG302"]


def test_squashed_migration_stands_in_for_what_it_replaces(tmp_path: Path) -> None:
    squash = migration(body="replaces = [('shop', '0001_initial'), ('shop', '0002_x')]\n")
    state = read(
        tmp_path,
        {
            "0001_initial.py": INITIAL,
            "0002_x.py": migration(("shop", "0001_initial")),
            "0001_squashed_0002_x.py": squash,
            "0003_y.py": migration(("shop", "0002_x")),
        },
    )
    assert [h.revision for h in state.heads] == ["0003_y"]
    assert codes(state) == []  # 0001_initial beside 0001_squashed: not a duplicate number
    parents = {m.id: m.parents for m in state.migrations}
    assert parents["0003_y"] == ("0001_squashed_0002_x",)


def test_dependency_on_a_missing_migration(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        {"0001_initial.py": INITIAL, "0002_x.py": migration(("shop", "0001_intial"))},
    )
    [finding] = state.findings
    assert finding.code == "MG303"
    assert finding.message == (
        "Migration shop.0002_x dependencies reference nonexistent parent node "
        "('shop', '0001_intial')"
    )
    assert finding.path == "shop/migrations/0002_x.py" and finding.line == 6


def test_unreadable_dependencies_make_the_heads_undecided(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        {
            "0001_initial.py": INITIAL,
            "0002_a.py": migration(("shop", "0001_initial")),
            "0003_b.py": "from django.db import migrations\n"
            "class Migration(migrations.Migration):\n"
            "    dependencies = PARENTS\n",
        },
    )
    assert codes(state) == ["MG304"]  # not MG301: the leaves are not known
    assert state.undecided and not state.heads_ok


def test_syntax_error_and_cycle(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        {
            "0001_initial.py": migration(("shop", "0002_x")),
            "0002_x.py": migration(("shop", "0001_initial")),
            "0003_bad.py": "class Migration(:\n",
        },
    )
    assert sorted(codes(state)) == ["MG305", "MG307"]
    assert not state.heads_ok


def test_missing_folder_is_an_empty_chain(tmp_path: Path) -> None:
    state = KIND.read_chain(WorkTree(tmp_path), SPEC)
    assert codes(state) == ["MG308"] and state.ok and state.migrations == ()


def test_discover(tmp_path: Path) -> None:
    write_app(tmp_path, "shop", {"0001_initial.py": INITIAL})
    tree = WorkTree(tmp_path)
    files = tree.list_dir("shop/migrations")
    [found] = KIND.discover(tree, [("shop/migrations", files)], [])
    spec = found.spec
    assert found.name_parts == ("shop",)
    assert (spec.kind, spec.path, spec.discovered) == (
        ChainKind.DJANGO,
        "shop/migrations",
        True,
    )
    assert spec.numbering is NumberingMode.SEQUENTIAL
    assert KIND.discover(tree, [("shop/migrations", ["0001_initial.py"])], []) == []
    assert KIND.discover(tree, [("shop/other", files)], []) == []


def test_path_rules_classify_and_moved(tmp_path: Path) -> None:
    write_app(tmp_path, "shop", {"0001_initial.py": INITIAL})
    [rule] = KIND.path_rules(WorkTree(tmp_path), [SPEC], {})
    assert rule.folders == ("shop/migrations",) and not rule.recursive
    assert rule.numbering == Numbering(NumberingMode.SEQUENTIAL, 4)
    found = KIND.classify(rule, "shop/migrations/0007_add_x.py", "0007_add_x.py")
    assert found is not None and (found.number, found.number_text, found.name) == (
        7,
        "0007",
        "0007_add_x",
    )
    assert KIND.classify(rule, "shop/migrations/__init__.py", "__init__.py") is None
    assert KIND.classify(rule, "shop/migrations/sub/0002_x.py", "sub/0002_x.py") is None
    move = KIND.moved(SPEC, found, "0008")
    assert (move.new_name, move.new_path) == ("0008_add_x", "shop/migrations/0008_add_x.py")
