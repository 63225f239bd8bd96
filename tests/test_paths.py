from __future__ import annotations

from pathlib import Path

import pytest

from migration_guard.model import ChainKind, ChainSpec, Migration, NumberingMode
from migration_guard.numbering import Numbering
from migration_guard.paths import PathRule, classify, rules_for
from migration_guard.tree import WorkTree

V = "app/migrations/versions"


SEQUENTIAL = Numbering(NumberingMode.SEQUENTIAL, 4)


def alembic(*, recursive: bool = False, numbering: Numbering = SEQUENTIAL) -> PathRule:
    return PathRule("app", ChainKind.ALEMBIC, (V,), recursive, ".py", numbering)


def sqitch_spec(plan: str) -> ChainSpec:
    return ChainSpec("queue", "Queue", ChainKind.SQITCH, plan, 2)


def write(root: Path, rel: str, text: str = "") -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


# --- Alembic ---------------------------------------------------------------------------------


def test_alembic_revision_script() -> None:
    assert classify(f"{V}/0193_add_users.py", [alembic()]) == Migration(
        "app", 193, "0193", "0193_add_users", f"{V}/0193_add_users.py"
    )
    assert classify(f"{V}/7.py", [alembic()]) == Migration("app", 7, "7", "7", f"{V}/7.py")


@pytest.mark.parametrize(
    "name",
    [
        ".#0193_add_users.py",  # an editor lock file (Alembic skips these)
        "__init__.py",
        "__init__0193.py",
        "0193_add_users.pyc",
        "0193_add_users.py.orig",
        "0193_add_users.txt",
    ],
)
def test_alembic_names_that_are_not_revisions(name: str) -> None:
    assert classify(f"{V}/{name}", [alembic()]) is None
    assert classify(f"{V}/{name}", [alembic(recursive=True)]) is None


@pytest.mark.parametrize("name", ["add_users", "abc123_0193", "686269002441_add"])
def test_alembic_revision_scripts_without_a_number_are_still_migrations(name: str) -> None:
    path = f"{V}/{name}.py"
    assert classify(path, [alembic()]) == Migration("app", None, "", name, path)


def test_an_unnumbered_chain_gives_no_numbers() -> None:
    hex_chain = alembic(numbering=Numbering(NumberingMode.NONE, 4))
    path = f"{V}/0193_add_users.py"
    assert classify(path, [hex_chain]) == Migration("app", None, "", "0193_add_users", path)


def test_alembic_subfolders_only_when_recursive() -> None:
    path = f"{V}/2024/0193_add_users.py"
    assert classify(path, [alembic()]) is None
    assert classify(path, [alembic(recursive=True)]) == Migration(
        "app", 193, "0193", "0193_add_users", path
    )


def test_alembic_pycache_is_never_a_revision() -> None:
    for rule in (alembic(), alembic(recursive=True)):
        assert classify(f"{V}/__pycache__/0193_add_users.py", [rule]) is None
        assert classify(f"{V}/2024/__pycache__/0193_x.py", [rule]) is None


@pytest.mark.parametrize(
    "path",
    [
        "app/migrations/0193_add_users.py",  # the folder above
        "app/migrations/versions_old/0193_add_users.py",  # a sibling sharing the prefix
        "other/app/migrations/versions/0193_add_users.py",
        "0193_add_users.py",
    ],
)
def test_alembic_paths_outside_the_folder(path: str) -> None:
    assert classify(path, [alembic(recursive=True)]) is None


def test_alembic_chain_at_the_repository_top() -> None:
    rule = PathRule("top", ChainKind.ALEMBIC, ("",), False, ".py")
    assert classify("0001_init.py", [rule]) == Migration(
        "top", 1, "0001", "0001_init", "0001_init.py"
    )
    assert classify("sub/0001_init.py", [rule]) is None


def test_the_first_matching_rule_wins() -> None:
    rules = [alembic(), PathRule("other", ChainKind.ALEMBIC, (V,), False, ".py")]
    found = classify(f"{V}/0001_a.py", rules)
    assert found is not None and found.chain == "app"
    assert classify(f"{V}/0001_a.py", []) is None


def test_rules_for_alembic_use_the_spec(tmp_path: Path) -> None:
    spec = ChainSpec("app", "App", ChainKind.ALEMBIC, V, 4, recursive=True)
    assert rules_for(WorkTree(tmp_path), [spec]) == [
        PathRule("app", ChainKind.ALEMBIC, (V,), True, ".py")
    ]


def test_every_folder_of_a_multi_folder_chain_is_the_chain(tmp_path: Path) -> None:
    spec = ChainSpec("app", "App", ChainKind.ALEMBIC, V, extra_paths=("plugins/versions",))
    rules = rules_for(WorkTree(tmp_path), [spec])
    assert rules == [PathRule("app", ChainKind.ALEMBIC, (V, "plugins/versions"), False, ".py")]
    found = classify("plugins/versions/0007_x.py", rules)
    assert found is not None and (found.chain, found.number) == ("app", 7)
    assert classify("plugins/0007_x.py", rules) is None


# --- sqitch ----------------------------------------------------------------------------------


def test_sqitch_without_conf_uses_default_folders_beside_the_plan(tmp_path: Path) -> None:
    write(tmp_path, "db/sqitch.plan", "%project=q\n")
    (rule,) = rules_for(WorkTree(tmp_path), [sqitch_spec("db/sqitch.plan")])
    assert rule == PathRule(
        "queue", ChainKind.SQITCH, ("db/deploy", "db/revert", "db/verify"), True, ".sql"
    )
    assert classify("db/deploy/07-add_jobs.sql", [rule]) == Migration(
        "queue", 7, "07", "07-add_jobs", "db/deploy/07-add_jobs.sql"
    )
    assert classify("db/verify/08-x.sql", [rule]) == Migration(
        "queue", 8, "08", "08-x", "db/verify/08-x.sql"
    )


def test_sqitch_top_dir_from_a_real_sqitch_conf(tmp_path: Path) -> None:
    write(tmp_path, "db/sqitch.conf", "[core]\n\tengine = pg\n\ttop_dir = migrations\n")
    write(tmp_path, "db/migrations/sqitch.plan", "%project=q\n")
    (rule,) = rules_for(WorkTree(tmp_path), [sqitch_spec("db/migrations/sqitch.plan")])
    assert rule.folders == (
        "db/migrations/deploy",
        "db/migrations/revert",
        "db/migrations/verify",
    )
    assert classify("db/migrations/revert/07-add_jobs.sql", [rule]) == Migration(
        "queue", 7, "07", "07-add_jobs", "db/migrations/revert/07-add_jobs.sql"
    )
    assert classify("db/deploy/07-add_jobs.sql", [rule]) is None


def test_sqitch_custom_script_folders_and_extension(tmp_path: Path) -> None:
    write(
        tmp_path,
        "q/sqitch.conf",
        '[core]\n\tengine = pg\n[engine "pg"]\n\tdeploy_dir = up\n\trevert_dir = down\n'
        "\tverify_dir = up\n\textension = psql\n",
    )
    write(tmp_path, "q/sqitch.plan", "%project=q\n")
    (rule,) = rules_for(WorkTree(tmp_path), [sqitch_spec("q/sqitch.plan")])
    assert rule == PathRule("queue", ChainKind.SQITCH, ("q/up", "q/down"), True, ".psql")
    assert classify("q/up/07-a.psql", [rule]) == Migration(
        "queue", 7, "07", "07-a", "q/up/07-a.psql"
    )
    assert classify("q/down/07-a.psql", [rule]) is not None
    assert classify("q/up/07-a.sql", [rule]) is None
    assert classify("q/deploy/07-a.psql", [rule]) is None


def test_sqitch_conf_pointing_outside_the_repository_falls_back_to_defaults(
    tmp_path: Path,
) -> None:
    write(tmp_path, "q/sqitch.conf", "[core]\n\tengine = pg\n\ttop_dir = ../../elsewhere\n")
    write(tmp_path, "q/sqitch.plan", "%project=q\n")
    (rule,) = rules_for(WorkTree(tmp_path), [sqitch_spec("q/sqitch.plan")])
    assert rule.folders == ("q/deploy", "q/revert", "q/verify")


@pytest.mark.parametrize(
    "path",
    [
        "db/deploy/07-add_jobs@v1.0.sql",  # an earlier copy of a reworked change
        "db/revert/07-add_jobs@HEAD.sql",
        "db/deploy/07-add_jobs.txt",
        "db/deploy/07-add_jobs.sql.bak",
        "db/deploy/07-add_jobs.SQL",
        "db/sqitch.plan",
        "db/07-add_jobs.sql",  # not in a script folder
    ],
)
def test_sqitch_paths_that_are_not_changes(tmp_path: Path, path: str) -> None:
    write(tmp_path, "db/sqitch.plan", "%project=q\n")
    rules = rules_for(WorkTree(tmp_path), [sqitch_spec("db/sqitch.plan")])
    assert classify(path, rules) is None


def test_alembic_and_sqitch_rules_side_by_side(tmp_path: Path) -> None:
    write(tmp_path, "db/sqitch.plan", "%project=q\n")
    specs = [
        ChainSpec("app", "App", ChainKind.ALEMBIC, V, 4),
        sqitch_spec("db/sqitch.plan"),
    ]
    rules = rules_for(WorkTree(tmp_path), specs)
    assert [r.chain for r in rules] == ["app", "queue"]
    found = [classify(p, rules) for p in (f"{V}/0001_a.py", "db/deploy/02-b.sql", "README.md")]
    assert [(m.chain, m.number) if m else None for m in found] == [("app", 1), ("queue", 2), None]


def test_a_sqitch_script_without_a_number_is_a_change_too(tmp_path: Path) -> None:
    write(tmp_path, "db/sqitch.plan", "%project=q\n")
    rules = rules_for(WorkTree(tmp_path), [sqitch_spec("db/sqitch.plan")])
    assert classify("db/deploy/add_jobs.sql", rules) == Migration(
        "queue", None, "", "add_jobs", "db/deploy/add_jobs.sql"
    )
