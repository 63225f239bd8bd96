"""The numbered kinds as ``Kind`` objects: registry, capabilities, check_spec, discover, path
rules, and renumber plans (every file of a migration renamed together)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testing.numbered import FOLDER, GOOSE_SQL, REAL_SHAPES, apply, dbmate_sql, spec, write
from testing.numbered import numbered_kind as kind_of

from migration_guard.chains.kind import Capability, RenumberContext
from migration_guard.errors import ConfigError, InputError
from migration_guard.model import ChainKind, ChainSpec, NumberingMode
from migration_guard.numbering import Numbering
from migration_guard.tree import WorkTree

KEYS = (
    ChainKind.NUMBERED,
    ChainKind.FLYWAY,
    ChainKind.GOLANG_MIGRATE,
    ChainKind.GOOSE,
    ChainKind.DBMATE,
)


@pytest.mark.parametrize("key", KEYS)
def test_every_numbered_key_is_registered(key: ChainKind) -> None:
    kind = kind_of(key)
    assert kind.key is key
    assert kind.capabilities == {Capability.RENUMBER, Capability.RECOVER}
    assert (kind.noun, kind.shown_by_path) == ("migration", True)


def test_check_spec(tmp_path: Path) -> None:
    tree = write(tmp_path, {})
    kind_of(ChainKind.FLYWAY).check_spec(tree, spec(ChainKind.FLYWAY), "chain db")
    with pytest.raises(ConfigError, match=r"chain db: migrations folder nope does not exist"):
        kind_of(ChainKind.FLYWAY).check_spec(tree, spec(ChainKind.FLYWAY, "nope"), "chain db")
    with pytest.raises(ConfigError, match="chain db: a numbered chain needs a pattern"):
        kind_of(ChainKind.NUMBERED).check_spec(tree, spec(ChainKind.NUMBERED), "chain db")
    with pytest.raises(ConfigError, match=r"chain db: pattern '\{number\}\.sql' must contain"):
        kind_of(ChainKind.NUMBERED).check_spec(
            tree, spec(ChainKind.NUMBERED, pattern="{number}.sql"), "chain db"
        )
    numbered = spec(ChainKind.NUMBERED, pattern="{number}-{slug}.sql")
    kind_of(ChainKind.NUMBERED).check_spec(tree, numbered, "chain db")


@pytest.mark.parametrize(
    ("folder", "key"),
    [
        ("flyway/db/migration", ChainKind.FLYWAY),
        ("golang_migrate/migrations", ChainKind.GOLANG_MIGRATE),
        ("goose/db/migrations", ChainKind.GOOSE),
        ("dbmate/db/migrations", ChainKind.DBMATE),
        ("dbmate/db/init-scripts", ChainKind.DBMATE),
    ],
)
def test_discover_by_shape_real_fixtures(folder: str, key: ChainKind) -> None:
    tree = WorkTree(REAL_SHAPES)
    files = [name for name, is_dir in tree.list_entries(folder) if not is_dir]
    found = {k: kind_of(k).discover(tree, [(folder, files)], []) for k in KEYS}
    assert {k for k, specs in found.items() if specs} == {key}
    assert found[key][0].spec.path == folder and found[key][0].spec.discovered


def test_path_rules_and_classify_map_up_and_down_to_one_migration(tmp_path: Path) -> None:
    kind = kind_of(ChainKind.GOLANG_MIGRATE)
    tree = write(tmp_path, {})
    seq = Numbering(NumberingMode.SEQUENTIAL, 4)
    (rule,) = kind.path_rules(tree, [spec(ChainKind.GOLANG_MIGRATE)], {"db": seq})
    assert (rule.folders, rule.suffix, rule.recursive) == ((FOLDER,), ".sql", False)
    up = kind.classify(rule, f"{FOLDER}/0007_add_x.up.sql", "0007_add_x.up.sql")
    down = kind.classify(rule, f"{FOLDER}/0007_add_x.down.sql", "0007_add_x.down.sql")
    assert up is not None and down is not None
    assert (up.name, up.number, up.number_text) == ("0007_add_x", 7, "0007")
    assert down.name == up.name and down.path.endswith(".down.sql")
    assert kind.classify(rule, f"{FOLDER}/atlas.sum", "atlas.sum") is None
    assert kind.classify(rule, f"{FOLDER}/sub/1_a.up.sql", "sub/1_a.up.sql") is None


def test_classify_with_a_configured_pattern(tmp_path: Path) -> None:
    kind = kind_of(ChainKind.NUMBERED)
    numbered = spec(ChainKind.NUMBERED, pattern="m{number}-{slug}.sql")
    (rule,) = kind.path_rules(write(tmp_path, {}), [numbered], {})
    found = kind.classify(rule, f"{FOLDER}/m012-x.sql", "m012-x.sql")
    assert found is not None and (found.name, found.number) == ("m012-x", 12)
    assert kind.classify(rule, f"{FOLDER}/012-x.sql", "012-x.sql") is None


def test_renumber_a_golang_migrate_pair_renames_both_files(tmp_path: Path) -> None:
    files = {
        f"{n:04d}_{s}.{d}.sql": ""
        for n, s in ((1, "a"), (2, "b"), (2, "c"))
        for d in ("up", "down")
    }
    tree = write(tmp_path, files)
    kind = kind_of(ChainKind.GOLANG_MIGRATE)
    chain = spec(ChainKind.GOLANG_MIGRATE)
    state = kind.read_chain(tree, chain)
    late = state.migrations[2]
    assert late.name == "0002_c"
    move = kind.moved(chain, late, "3")
    assert (move.new_number, move.new_name, move.new_path) == (
        "0003",
        "0003_c",
        f"{FOLDER}/0003_c.up.sql",
    )
    plan = kind.plan_renumber(tree, chain, [move], RenumberContext())
    assert sorted((r.old_path, r.new_path) for r in plan.renames) == [
        (f"{FOLDER}/0002_c.down.sql", f"{FOLDER}/0003_c.down.sql"),
        (f"{FOLDER}/0002_c.up.sql", f"{FOLDER}/0003_c.up.sql"),
    ]
    assert plan.edits == ()
    apply(tmp_path, plan)
    after = kind.read_chain(tree, chain)
    assert [m.name for m in after.migrations] == ["0001_a", "0002_b", "0003_c"]
    assert after.findings == ()


def test_renumber_flyway_moves_the_undo_file_and_keeps_the_slug(tmp_path: Path) -> None:
    tree = write(tmp_path, {"V1__a.sql": "", "V2__b.sql": "", "V2__c.sql": "", "U2__c.sql": ""})
    kind = kind_of(ChainKind.FLYWAY)
    chain = spec(ChainKind.FLYWAY)
    late = next(m for m in kind.read_chain(tree, chain).migrations if m.name == "V2__c")
    plan = kind.plan_renumber(tree, chain, [kind.moved(chain, late, "3")], RenumberContext())
    assert sorted(r.new_path for r in plan.renames) == [
        f"{FOLDER}/U3__c.sql",
        f"{FOLDER}/V3__c.sql",
    ]


def test_renumber_never_overwrites(tmp_path: Path) -> None:
    tree = write(tmp_path, {"1_a.sql": GOOSE_SQL, "2_b.sql": GOOSE_SQL, "2_c.sql": GOOSE_SQL})
    kind = kind_of(ChainKind.GOOSE)
    chain = spec(ChainKind.GOOSE)
    late = kind.read_chain(tree, chain).migrations[2]
    move = kind.moved(chain, late, "1")
    tree = write(tmp_path, {"1_c.sql": GOOSE_SQL})
    with pytest.raises(InputError, match="already exists"):
        kind.plan_renumber(tree, chain, [move], RenumberContext())


def test_renumber_keeps_the_dbmate_separator(tmp_path: Path) -> None:
    source = REAL_SHAPES / "dbmate" / "db" / "init-scripts"
    shutil.copytree(source, tmp_path / FOLDER)
    tree = write(tmp_path, {"00000000000001-dup.sql": dbmate_sql("dup")})
    kind = kind_of(ChainKind.DBMATE)
    chain = spec(ChainKind.DBMATE)
    state = kind.read_chain(tree, chain)
    assert [f.code for f in state.findings] == ["MG501"]
    dup = state.migrations[1]  # "-auth-schema" sorts before "-dup"
    plan = kind.plan_renumber(
        tree, chain, [kind.moved(chain, state.migrations[2], "2")], RenumberContext()
    )
    assert dup.name == "00000000000001-auth-schema"
    assert [r.new_path for r in plan.renames] == [f"{FOLDER}/00000000000002-dup.sql"]


@pytest.mark.parametrize("key", [ChainKind.FLYWAY, ChainKind.GOLANG_MIGRATE])
def test_a_link_leaving_the_repository_is_reported_for_presets_without_markers(
    tmp_path: Path, key: ChainKind
) -> None:
    """Presets that check no file contents still never pass a file they did not read."""
    outside = tmp_path / "outside.sql"
    outside.write_text("select 1;\n")
    root = tmp_path / "repo"
    folder = root / "db"
    folder.mkdir(parents=True)
    name = "V1__init.sql" if key is ChainKind.FLYWAY else "1_init.up.sql"
    (folder / name).symlink_to(outside)
    if key is ChainKind.GOLANG_MIGRATE:
        (folder / "1_init.down.sql").write_text("select 1;\n")
    state = kind_of(key).read_chain(WorkTree(root), ChainSpec("db", "Db", key, "db"))
    assert [f.code for f in state.findings if f.code == "MG129"] == ["MG129"]
    assert not state.ok and state.unread
