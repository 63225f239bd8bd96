"""Real Django (in a child process) as the oracle for the static reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.django_apps import copy_fixture, django_oracle, migration, write_app, write_settings

from migration_guard.chains.django.kind import KIND
from migration_guard.model import ChainKind, ChainSpec, ChainState
from migration_guard.tree import WorkTree

pytestmark = pytest.mark.slow
APPS = ("extras", "tenancy")


def read_app(root: Path, app: str) -> ChainState:
    tree = WorkTree(root)
    folder = f"{app}/migrations"
    [found] = KIND.discover(tree, [(folder, tree.list_dir(folder))], [])
    return KIND.read_chain(tree, found.spec._replace(name=app))


def our_leaves(root: Path, apps: tuple[str, ...] = APPS) -> list[list[str]]:
    return sorted([app, h.revision] for app in apps for h in read_app(root, app).heads)


def djangos_leaves(result: dict[str, object], apps: tuple[str, ...] = APPS) -> list[list[str]]:
    leaves = result["leaves"]
    assert isinstance(leaves, list)
    return sorted(leaf for leaf in leaves if leaf[0] in apps)


def test_netbox_slice_one_leaf_per_app_as_django_says(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    result = django_oracle(root, [("migrate",)], database=tmp_path / "db.sqlite3")
    assert (
        djangos_leaves(result)
        == our_leaves(root)
        == [
            ["extras", "0099_cachedvalue_ordering"],
            ["tenancy", "0014_contactassignment_ordering"],
        ]
    )
    assert result["commands"] == [None]
    for app in APPS:
        state = read_app(root, app)
        assert state.findings == () and state.heads_ok


def test_leaf_conflict_reported_in_djangos_words(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    parent = ("tenancy", "0014_contactassignment_ordering")
    write_app(root, "tenancy", {"0015_a.py": migration(parent), "0015_b.py": migration(parent)})
    result = django_oracle(root, [("migrate",), ("makemigrations", "--check", "--dry-run")])
    assert result["conflicts"] == {"tenancy": ["0015_a", "0015_b"]}
    assert djangos_leaves(result) == our_leaves(root)
    state = read_app(root, "tenancy")
    [conflict] = [f for f in state.findings if f.code == "MG301"]
    commands = result["commands"]
    assert isinstance(commands, list)
    for error in commands:
        first_line = error.split("\n")[0]
        assert first_line == f"CommandError: {conflict.message}."


def test_missing_parent_reported_in_djangos_words(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    write_app(root, "tenancy", {"0015_a.py": migration(("tenancy", "0014_nope"))})
    result = django_oracle(root)
    [finding] = read_app(root, "tenancy").findings
    assert finding.code == "MG303"
    assert result["load_error"] == f"NodeNotFoundError: {finding.message}"


def test_squash_beside_replaced_files_and_run_before(tmp_path: Path) -> None:
    squash = migration(body="replaces = [('shop', '0001_initial'), ('shop', '0002_x')]\n")
    write_app(
        tmp_path,
        "shop",
        {
            "0001_initial.py": migration(),
            "0002_x.py": migration(("shop", "0001_initial")),
            "0001_squashed_0002_x.py": squash,
            "0003_y.py": migration(("shop", "0002_x")),
            # Sits before 0003_y through run_before only: not a second leaf.
            "0004_z.py": migration(
                ("shop", "0001_squashed_0002_x"), body="run_before = [('shop', '0003_y')]\n"
            ),
        },
    )
    write_settings(tmp_path, ["shop"])
    result = django_oracle(tmp_path, [("migrate",)], database=tmp_path / "db.sqlite3")
    spec = ChainSpec(name="shop", title="shop", kind=ChainKind.DJANGO, path="shop/migrations")
    state = KIND.read_chain(WorkTree(tmp_path), spec)
    assert [["shop", h.revision] for h in state.heads] == djangos_leaves(result, ("shop",))
    assert [h.revision for h in state.heads] == ["0003_y"]
    assert state.findings == () and result["commands"] == [None]
