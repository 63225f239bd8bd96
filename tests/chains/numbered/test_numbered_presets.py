"""Each preset against its framework's documented file rules and the real fixtures in
``tests/data/real_shapes`` (see their READMEs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from testing.numbered import GOOSE_SQL, REAL_SHAPES, codes, dbmate_sql, names, read, spec
from testing.numbered import numbered_kind as kind_of

from migration_guard.model import ChainKind, NumberingMode, Severity
from migration_guard.tree import WorkTree

# --- flyway -----------------------------------------------------------------------------------


def test_flyway_real_fixture_in_numeric_order_repeatables_ignored() -> None:
    state = kind_of(ChainKind.FLYWAY).read_chain(
        WorkTree(REAL_SHAPES), spec(ChainKind.FLYWAY, "flyway/db/migration")
    )
    assert [m.name for m in state.migrations] == [
        "V1.0.0__init",
        "V1.2.0__download_stats",
        "V1.10.0__indexes_and_type_optimization",
        "V1.11__proper_uuid_types",
        "V1.11.1__user_id_casade_delete",
    ]
    assert [m.id for m in state.migrations] == ["1", "1.2", "1.10", "1.11", "1.11.1"]
    assert state.migrations[3].parents == ("1.10",)
    assert state.findings == ()
    assert state.numbering is NumberingMode.NONE  # dotted versions: no next number to hand out
    assert state.heads[0].revision == "1.11.1"


def test_flyway_duplicate_versions_numerically_equal(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.FLYWAY,
        {"V1__a.sql": "", "V1.0__b.sql": "", "V1_1__c.sql": "", "V1.1__d.sql": "", "V2__e.sql": ""},
    )
    assert codes(state) == ["MG501", "MG501"]
    assert "V1__a.sql" in state.findings[0].message or "V1.0__b" in state.findings[0].message
    assert not state.ok


def test_flyway_sequential_only_with_integer_versions(tmp_path: Path) -> None:
    state = read(tmp_path, ChainKind.FLYWAY, {"V1__a.sql": "", "V2__b.sql": "", "V10__c.sql": ""})
    assert names(state) == ["V1__a.sql", "V2__b.sql", "V10__c.sql"]
    assert state.numbering is NumberingMode.SEQUENTIAL
    assert [m.number for m in state.migrations] == [1, 2, 10]
    assert state.findings == ()


def test_flyway_undo_and_repeatable_files_are_not_migrations(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.FLYWAY,
        {"V1__a.sql": "", "U1__a.sql": "", "R__views.sql": "", "V2__b.sql": "", "U2__undo.sql": ""},
    )
    assert names(state) == ["V1__a.sql", "V2__b.sql"]
    assert state.findings == ()


def test_flyway_single_underscore_is_a_lookalike_warning(tmp_path: Path) -> None:
    state = read(tmp_path, ChainKind.FLYWAY, {"V1__a.sql": "", "V2_b.sql": "", "notes.sql": ""})
    assert names(state) == ["V1__a.sql"]
    assert codes(state) == ["MG504"]
    assert state.findings[0].severity is Severity.WARNING
    assert state.findings[0].path == "db/migrations/V2_b.sql"


# --- golang-migrate ---------------------------------------------------------------------------


def test_golang_migrate_real_fixture_pairs_and_atlas_sum() -> None:
    state = kind_of(ChainKind.GOLANG_MIGRATE).read_chain(
        WorkTree(REAL_SHAPES), spec(ChainKind.GOLANG_MIGRATE, "golang_migrate/migrations")
    )
    assert len(state.migrations) == 6
    assert state.migrations[2].name == "20240919144910_customer-timezone"
    assert state.migrations[2].path.endswith(".up.sql")
    assert state.findings == ()  # atlas.sum is no migration, and every up has its down
    assert state.numbering is NumberingMode.DATE


def test_golang_migrate_seq_style(tmp_path: Path) -> None:
    files = {f"{n:06d}_step{n}.{d}.sql": "" for n in (1, 2, 3) for d in ("up", "down")}
    state = read(tmp_path, ChainKind.GOLANG_MIGRATE, files)
    assert [m.name for m in state.migrations] == ["000001_step1", "000002_step2", "000003_step3"]
    assert (state.numbering, state.width) == (NumberingMode.SEQUENTIAL, 6)
    assert [m.number for m in state.migrations] == [1, 2, 3]
    assert state.findings == ()


def test_golang_migrate_missing_down_is_a_warning_orphan_down_too(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.GOLANG_MIGRATE,
        {"1_a.up.sql": "", "2_b.up.sql": "", "2_b.down.sql": "", "3_c.down.sql": ""},
    )
    assert names(state) == ["1_a.up.sql", "2_b.up.sql"]
    assert codes(state) == ["MG502", "MG502"]
    assert all(f.severity is Severity.WARNING for f in state.findings)
    assert state.ok


def test_golang_migrate_two_ups_of_one_version_is_an_error(tmp_path: Path) -> None:
    # golang-migrate: "duplicate migration file"; 001 and 1 are one uint version.
    state = read(
        tmp_path,
        ChainKind.GOLANG_MIGRATE,
        {"001_a.up.sql": "", "001_a.down.sql": "", "1_b.up.sql": "", "1_b.down.sql": ""},
    )
    assert codes(state) == ["MG501"]
    assert not state.ok


def test_golang_migrate_orders_numerically_and_warns_on_unpaired_names(tmp_path: Path) -> None:
    files = {"10_c.up.sql": "", "9_b.up.sql": "", "1_a.up.sql": "", "4_d.sql": ""}
    files.update({n.replace(".up.", ".down."): "" for n in files if ".up." in n})
    state = read(tmp_path, ChainKind.GOLANG_MIGRATE, files)
    assert names(state) == ["1_a.up.sql", "9_b.up.sql", "10_c.up.sql"]
    assert codes(state) == ["MG504"]  # 4_d.sql: golang-migrate does not run it


# --- goose ------------------------------------------------------------------------------------


def test_goose_real_fixture_sql_and_go_helpers_ignored() -> None:
    state = kind_of(ChainKind.GOOSE).read_chain(
        WorkTree(REAL_SHAPES), spec(ChainKind.GOOSE, "goose/db/migrations")
    )
    assert [m.path.rsplit("/", 1)[1] for m in state.migrations] == [
        "20200130083147_create_schema.go",
        "20230404104309_empty_sql_migration.sql",
        "20260612171826_add_media_file_missing_library_id_index.sql",
        "20260612222838_make_bpm_bitdepth_nullable.sql",
        "20260618120509_add_metadata_to_default_transcodings.go",
        "20260629123100_recently_added_plain_indexes.sql",
    ]
    assert state.findings == ()  # migration.go is a helper; comments before -- +goose Up


def test_goose_missing_up_annotation_is_an_error(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.GOOSE,
        {"1_a.sql": GOOSE_SQL, "2_b.sql": "create table b (x int);\n", "3_c.go": "package m\n"},
    )
    assert codes(state) == ["MG503"]
    assert state.findings[0].path == "db/migrations/2_b.sql"
    assert not state.ok


def test_goose_duplicates_test_files_and_unparsable_sql(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.GOOSE,
        {
            "00001_a.sql": GOOSE_SQL,
            "1_b.go": "package m\n",  # goose: version 1 twice
            "2_c_test.go": "package m\n",  # a Go test file, not a migration
            "3-d.sql": GOOSE_SQL,  # goose cannot read a version from it and stops
            "helpers.go": "package m\n",
        },
    )
    assert names(state) == ["00001_a.sql", "1_b.go"]
    assert codes(state) == ["MG501", "MG504"]
    assert state.findings[1].severity is Severity.ERROR


# --- dbmate -----------------------------------------------------------------------------------


def test_dbmate_real_fixture_both_folders() -> None:
    tree = WorkTree(REAL_SHAPES)
    migrations = kind_of(ChainKind.DBMATE).read_chain(
        tree, spec(ChainKind.DBMATE, "dbmate/db/migrations")
    )
    assert migrations.migrations[0].id == "10000000000000"  # the fake timestamp sorts first
    assert len(migrations.migrations) == 5
    assert migrations.findings == ()  # empty -- migrate:down sections are fine
    init = kind_of(ChainKind.DBMATE).read_chain(
        tree, spec(ChainKind.DBMATE, "dbmate/db/init-scripts")
    )
    assert [m.id for m in init.migrations] == ["00000000000000", "00000000000001"]  # '-' after
    assert init.migrations[1].name == "00000000000001-auth-schema"
    assert init.findings == ()


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("create table a (x int);\n", "migrate:up"),
        ("-- migrate:up\ncreate table a (x int);\n", "migrate:down"),
        ("select 1;\n-- migrate:up\n-- migrate:down\n", "statement before"),
        ("  -- migrate:up\n-- migrate:down\n", "migrate:up"),
        ("-- MIGRATE:UP\n-- migrate:down\n", "migrate:up"),
        ("-- migrate:down\n-- migrate:up\n", "before"),
    ],
)
def test_dbmate_markers_as_the_binary_requires(tmp_path: Path, text: str, what: str) -> None:
    state = read(tmp_path, ChainKind.DBMATE, {"1_a.sql": text})
    assert codes(state) == ["MG503"]
    assert what in state.findings[0].message


def test_dbmate_accepted_marker_forms(tmp_path: Path) -> None:
    files = {
        "1_a.sql": "-- note\n\n--migrate:up\n--migrate:down\n",
        "2_b.sql": "-- migrate:up transaction:false\nselect 1;\n-- migrate:down\n",
    }
    assert read(tmp_path, ChainKind.DBMATE, files).findings == ()


def test_dbmate_versions_are_text_and_order_is_by_name(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.DBMATE,
        {
            "2_a.sql": dbmate_sql("a"),
            "10_b.sql": dbmate_sql("b"),
            "10-dup.sql": dbmate_sql("c"),
            "040_x.sql": dbmate_sql("d"),
            "0040_y.sql": dbmate_sql("e"),
            "30.sql": dbmate_sql("f"),  # dbmate: any <digits>...sql name is a migration
        },
    )
    assert names(state) == [
        "0040_y.sql",
        "040_x.sql",
        "10-dup.sql",
        "10_b.sql",
        "2_a.sql",
        "30.sql",
    ]
    assert [f.code for f in state.findings if f.severity is Severity.ERROR] == ["MG501"]
    assert "10_b.sql" in state.findings[0].message
    assert "MG507" in codes(state)  # 2_a.sql runs after 10_b.sql


# --- the generic kind -------------------------------------------------------------------------


def test_generic_numbered_with_a_pattern(tmp_path: Path) -> None:
    state = read(
        tmp_path,
        ChainKind.NUMBERED,
        {"0001_a.sql": "", "0002_b.sql": "", "0002_c.sql": "", "0003-d.sql": "", "README": ""},
        pattern="{number}_{slug}.sql",
    )
    assert names(state) == ["0001_a.sql", "0002_b.sql", "0002_c.sql"]
    assert (state.numbering, state.width) == (NumberingMode.SEQUENTIAL, 4)
    assert codes(state) == ["MG501", "MG504"]
    assert [m.parents for m in state.migrations] == [(), ("1",), ("2",)]


def test_a_missing_folder_is_an_empty_chain_with_a_warning(tmp_path: Path) -> None:
    state = kind_of(ChainKind.DBMATE).read_chain(WorkTree(tmp_path), spec(ChainKind.DBMATE))
    assert state.migrations == ()
    assert codes(state) == ["MG506"]


def test_an_unreadable_file_is_said(tmp_path: Path) -> None:
    tree = WorkTree(tmp_path)
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "1_a.sql").symlink_to("/etc/hostname")  # leaves the repository
    state = kind_of(ChainKind.DBMATE).read_chain(tree, spec(ChainKind.DBMATE, "db"))
    assert [m.id for m in state.migrations] == ["1"]
    assert codes(state) == ["MG129"]
    assert state.unread and not state.ok
