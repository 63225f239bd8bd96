"""Planning sqitch renames: exact plan and script texts, refusals, and the real sqitch's word.

Every scenario is applied to a real project folder; ``test_real_sqitch_reads_every_renamed
project`` then runs the real ``sqitch plan`` and ``sqitch show deploy`` on all of them (in
parallel: sqitch is a slow Perl start).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from testing.sqitch_projects import (
    HEADER,
    TS,
    WHO,
    apply_edit_plan,
    read_files,
    sqitch,
    write_files,
)

from migration_guard.chains.sqitch.conf import find_sqitch_conf
from migration_guard.chains.sqitch.plan import parse_plan
from migration_guard.chains.sqitch.rewrite import (
    SqitchRename,
    SqitchRenameError,
    affected_changes,
    check_new_name,
    needed_paths,
    plan_sqitch_rename,
    plan_sqitch_rename_in_tree,
)
from migration_guard.edits import Rename, unified_diff
from migration_guard.errors import InputError
from migration_guard.sample import QUEUE_CHANGES, plan_line
from migration_guard.tree import WorkTree

P = "queue/migrations/sqitch"
PLAN = f"{P}/sqitch.plan"
CONF = "[core]\n\tengine = sqlite\n\tplan_file = sqitch.plan\n\ttop_dir = .\n"
BILLING = "07-billing-invoice-refund-column"
BILLING_LINE = f"{BILLING} 2026-06-17T00:00:00Z raxx-dev-bot <ops@raxx.app>\n"


def scripts(
    name: str, *, requires: tuple[str, ...] = (), conflicts: tuple[str, ...] = ()
) -> dict[str, str]:
    """The three scripts ``sqitch add`` writes (pg template), with a body naming the change."""
    deps = "".join(f"-- requires: {r}\n" for r in requires)
    deps += "".join(f"-- conflicts: {c}\n" for c in conflicts)
    table = name.replace("-", "_").replace("/", "_")
    return {
        f"deploy/{name}.sql": f"-- Deploy queue:{name} to pg\n{deps}\nBEGIN;\n\n"
        f"CREATE TABLE t_{table} (id INTEGER); -- {name}\n\nCOMMIT;\n",
        f"revert/{name}.sql": f"-- Revert queue:{name} from pg\n\nBEGIN;\n\n"
        f"DROP TABLE t_{table};\n\nCOMMIT;\n",
        f"verify/{name}.sql": f"-- Verify queue:{name} on pg\n\nBEGIN;\n\n"
        f"SELECT id FROM t_{table} WHERE 1 = 0;\n\nROLLBACK;\n",
    }


def queue_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for change in QUEUE_CHANGES:
        files.update(scripts(change.name, requires=change.requires))
    return files


def project(root: Path, plan: str | bytes, files: dict[str, str]) -> Path:
    write_files(root / P, {"sqitch.conf": CONF, "sqitch.plan": plan, **files})
    return root / P


def rename(root: Path, renames: dict[str, str], other_plans: Sequence[str] = ()) -> SqitchRename:
    tree = WorkTree(root)
    conf = find_sqitch_conf(tree, PLAN)
    assert conf is not None
    plan_path = conf.layout().plan_file
    return plan_sqitch_rename_in_tree(
        tree, plan_path, conf.layout(), renames, other_plans=other_plans
    )


def renamed(
    root: Path, renames: dict[str, str]
) -> tuple[dict[str, bytes], dict[str, bytes], SqitchRename]:
    """(files before, files after) of the project, with the rename applied."""
    before = read_files(root / P)
    result = rename(root, renames)
    apply_edit_plan(root, result.edit_plan)
    return before, read_files(root / P), result


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, bytes | None]:
    """Files that differ: new content, or None for a file that is gone."""
    out: dict[str, bytes | None] = {k: None for k in before if k not in after}
    out.update({k: v for k, v in after.items() if before.get(k) != v})
    return out


# --------------------------------------------------------------------------------------------
# Scenarios (each also checked by the real sqitch below)


@dataclass(frozen=True)
class Scenario:
    build: Callable[[Path], Path]  # writes the project, returns its folder
    renames: dict[str, str]
    shows: tuple[tuple[str, str], ...]  # (change spec for `sqitch show deploy`, expected file)


def build_runbook(root: Path) -> Path:
    plan = HEADER + "".join(plan_line(c) for c in QUEUE_CHANGES) + BILLING_LINE
    return project(root, plan, {**queue_files(), **scripts(BILLING, requires=("02-jobs-table",))})


DEPENDENTS_PLAN = (
    f"{HEADER}01-base {TS} {WHO}\n"
    f"07-x {TS} {WHO} # the change; 07-x in a note stays\n"
    f"@v1 {TS} {WHO}\n"
    f"08-a [07-x] {TS} {WHO}\n"
    f"09-b [!07-x 08-a] {TS} {WHO}\n"
    f"10-c [07-x@v1] {TS} {WHO}\n"
    f"11-d [queue:07-x] {TS} {WHO}\n"
    f"12-e [other:07-x] {TS} {WHO} # another project's 07-x\n"
    f"13-f [!queue:07-x@v1 other:07-x@v1] {TS} {WHO}\n"
)


def build_dependents(root: Path) -> Path:
    files = {
        **scripts("01-base"),
        **scripts("07-x"),
        **scripts("08-a", requires=("07-x",)),
        **scripts("09-b", requires=("08-a",), conflicts=("07-x",)),
        **scripts("10-c", requires=("07-x@v1",)),
        **scripts("11-d", requires=("queue:07-x",)),
        **scripts("12-e", requires=("other:07-x",)),
        **scripts("13-f", requires=("other:07-x@v1",), conflicts=("queue:07-x@v1",)),
    }
    return project(root, DEPENDENTS_PLAN, files)


REWORK_PLAN = (
    f"{HEADER}01-base {TS} {WHO}\n"
    f"07-x {TS} {WHO} # first version\n"
    f"@v1 {TS} {WHO}\n"
    f"08-a [07-x] {TS} {WHO}\n"
    f"@v2 {TS} {WHO}\n"
    f"07-x [07-x@v2] {TS} {WHO} # reworked\n"
)


def build_rework(root: Path) -> Path:
    files = {**scripts("01-base"), **scripts("07-x"), **scripts("08-a", requires=("07-x",))}
    # sqitch rework copies the scripts to name@LAST_TAG and the change starts over.
    for kind in ("deploy", "revert", "verify"):
        files[f"{kind}/07-x@v2.sql"] = files[f"{kind}/07-x.sql"]
        files[f"{kind}/07-x.sql"] = files[f"{kind}/07-x.sql"].replace("t_07_x", "t_07_x_v3")
    return project(root, REWORK_PLAN, files)


def build_crlf(root: Path) -> Path:
    plan = (HEADER + "".join(plan_line(c) for c in QUEUE_CHANGES) + BILLING_LINE).replace(
        "\n", "\r\n"
    )
    files = {k: v.replace("\n", "\r\n") for k, v in scripts(BILLING).items()}
    return project(root, plan.encode(), {**queue_files(), **files})


BLOCK_PLAN = (
    f"{HEADER}06-dead-letter {TS} {WHO}\n07-x {TS} {WHO} # x\n08-x [07-x] {TS} {WHO} # later\n"
)


def build_block(root: Path) -> Path:
    files = {**scripts("06-dead-letter"), **scripts("07-x"), **scripts("08-x", requires=("07-x",))}
    return project(root, BLOCK_PLAN, files)


LAYOUT_CONF = "[core]\n\tengine = sqlite\n\ttop_dir = db\n\textension = psql\n"


def build_layout(root: Path) -> Path:
    files = {
        f"db/{k[: -len('.sql')]}.psql": v
        for k, v in {**scripts("01-base"), **scripts("sub/07-x")}.items()
    }
    plan = f"{HEADER}01-base {TS} {WHO}\nsub/07-x [01-base] {TS} {WHO}\n"
    write_files(root / P, {"sqitch.conf": LAYOUT_CONF, "db/sqitch.plan": plan, **files})
    return root / P


SCENARIOS = {
    "runbook": Scenario(
        build_runbook,
        {BILLING: "08-billing-invoice-refund-column"},
        (("08-billing-invoice-refund-column", "deploy/08-billing-invoice-refund-column.sql"),),
    ),
    "dependents": Scenario(
        build_dependents, {"07-x": "07-renamed"}, (("07-renamed", "deploy/07-renamed.sql"),)
    ),
    "rework": Scenario(
        build_rework,
        {"07-x": "07-y"},
        (("07-y@v1", "deploy/07-y@v2.sql"), ("07-y@HEAD", "deploy/07-y.sql")),
    ),
    "crlf": Scenario(
        build_crlf,
        {BILLING: "08-billing-invoice-refund-column"},
        (("08-billing-invoice-refund-column", "deploy/08-billing-invoice-refund-column.sql"),),
    ),
    "block": Scenario(
        build_block,
        {"07-x": "08-x", "08-x": "09-x"},
        (("08-x", "deploy/08-x.sql"), ("09-x", "deploy/09-x.sql")),
    ),
    "layout": Scenario(
        build_layout, {"sub/07-x": "other/08-x"}, (("other/08-x", "db/deploy/other/08-x.psql"),)
    ),
}


# --------------------------------------------------------------------------------------------
# Exact texts


def test_runbook_rename_07_to_08(tmp_path: Path) -> None:
    build_runbook(tmp_path)
    before, after, result = renamed(tmp_path, {BILLING: "08-billing-invoice-refund-column"})
    new = "08-billing-invoice-refund-column"
    assert changed(before, after) == {
        "sqitch.plan": before["sqitch.plan"].replace(
            BILLING_LINE.encode(),
            f"{new} 2026-06-17T00:00:00Z raxx-dev-bot <ops@raxx.app>\n".encode(),
        ),
        f"deploy/{BILLING}.sql": None,
        f"revert/{BILLING}.sql": None,
        f"verify/{BILLING}.sql": None,
        f"deploy/{new}.sql": (
            f"-- Deploy queue:{new} to pg\n-- requires: 02-jobs-table\n\nBEGIN;\n\n"
            f"CREATE TABLE t_07_billing_invoice_refund_column (id INTEGER); -- {BILLING}\n\n"
            "COMMIT;\n"
        ).encode(),
        f"revert/{new}.sql": (
            f"-- Revert queue:{new} from pg\n\nBEGIN;\n\n"
            "DROP TABLE t_07_billing_invoice_refund_column;\n\nCOMMIT;\n"
        ).encode(),
        f"verify/{new}.sql": (
            f"-- Verify queue:{new} on pg\n\nBEGIN;\n\n"
            "SELECT id FROM t_07_billing_invoice_refund_column WHERE 1 = 0;\n\nROLLBACK;\n"
        ).encode(),
    }
    assert after["sqitch.plan"].endswith(
        b"07-job-priority 2026-06-01T00:00:00Z raxx-dev-bot <ops@raxx.app> # Priorities\n"
        b"08-billing-invoice-refund-column 2026-06-17T00:00:00Z raxx-dev-bot <ops@raxx.app>\n"
    )
    assert result.renames == {BILLING: new}
    assert result.project == "queue"
    assert result.first_affected == 7
    assert result.affected == (BILLING,)
    assert result.edit_plan.renames == tuple(
        Rename(f"{P}/{k}/{BILLING}.sql", f"{P}/{k}/{new}.sql")
        for k in ("deploy", "revert", "verify")
    )
    assert result.edit_plan.notes == (
        f"{PLAN}:12: change {BILLING} -> {new}",
        f"{P}/deploy/{BILLING}.sql: header",
        f"{P}/revert/{BILLING}.sql: header",
        f"{P}/verify/{BILLING}.sql: header",
        f"{P}/deploy/{BILLING}.sql -> {P}/deploy/{new}.sql",
        f"{P}/revert/{BILLING}.sql -> {P}/revert/{new}.sql",
        f"{P}/verify/{BILLING}.sql -> {P}/verify/{new}.sql",
    )
    diff = unified_diff(result.edit_plan)
    assert f"rename from {P}/deploy/{BILLING}.sql\n" in diff
    assert f"-{BILLING} 2026-06-17T00:00:00Z" in diff
    assert f"+{new} 2026-06-17T00:00:00Z" in diff


def test_dependencies_of_every_form(tmp_path: Path) -> None:
    build_dependents(tmp_path)
    before, after, result = renamed(tmp_path, {"07-x": "07-renamed"})
    assert after["sqitch.plan"].decode() == (
        f"{HEADER}01-base {TS} {WHO}\n"
        f"07-renamed {TS} {WHO} # the change; 07-x in a note stays\n"
        f"@v1 {TS} {WHO}\n"
        f"08-a [07-renamed] {TS} {WHO}\n"
        f"09-b [!07-renamed 08-a] {TS} {WHO}\n"
        f"10-c [07-renamed@v1] {TS} {WHO}\n"
        f"11-d [queue:07-renamed] {TS} {WHO}\n"
        f"12-e [other:07-x] {TS} {WHO} # another project's 07-x\n"
        f"13-f [!queue:07-renamed@v1 other:07-x@v1] {TS} {WHO}\n"
    )
    delta = changed(before, after)

    def dep(name: str) -> bytes:
        content = delta[f"deploy/{name}.sql"]
        assert content is not None
        return content

    assert dep("08-a") == before["deploy/08-a.sql"].replace(
        b"requires: 07-x", b"requires: 07-renamed"
    )
    assert dep("09-b") == before["deploy/09-b.sql"].replace(
        b"conflicts: 07-x", b"conflicts: 07-renamed"
    )
    assert dep("10-c") == before["deploy/10-c.sql"].replace(
        b"requires: 07-x@v1", b"requires: 07-renamed@v1"
    )
    assert dep("11-d") == before["deploy/11-d.sql"].replace(
        b"requires: queue:07-x", b"requires: queue:07-renamed"
    )
    assert dep("13-f") == before["deploy/13-f.sql"].replace(
        b"conflicts: queue:07-x@v1", b"conflicts: queue:07-renamed@v1"
    )
    assert dep("07-renamed") == before["deploy/07-x.sql"].replace(
        b"queue:07-x to", b"queue:07-renamed to"
    )
    assert b"-- 07-x\n" in dep("07-renamed")  # the SQL's own comment is not a header
    assert sorted(delta) == sorted(
        [
            "sqitch.plan",
            *(f"{k}/07-x.sql" for k in ("deploy", "revert", "verify")),
            *(f"{k}/07-renamed.sql" for k in ("deploy", "revert", "verify")),
            *(f"deploy/{n}.sql" for n in ("08-a", "09-b", "10-c", "11-d", "13-f")),
        ]
    )  # 12-e depends on another project's 07-x: untouched
    assert result.first_affected == 1
    assert result.affected == (
        "07-x", "08-a", "09-b", "10-c", "11-d", "12-e", "13-f"
    )  # fmt: skip
    assert f"{PLAN}:9: dependency of 09-b: !07-x -> !07-renamed" in result.edit_plan.notes
    assert f"{P}/deploy/11-d.sql: -- requires: 07-x" in result.edit_plan.notes


def test_rework_copies_are_renamed(tmp_path: Path) -> None:
    build_rework(tmp_path)
    before, after, result = renamed(tmp_path, {"07-x": "07-y"})
    assert after["sqitch.plan"].decode() == (
        f"{HEADER}01-base {TS} {WHO}\n"
        f"07-y {TS} {WHO} # first version\n"
        f"@v1 {TS} {WHO}\n"
        f"08-a [07-y] {TS} {WHO}\n"
        f"@v2 {TS} {WHO}\n"
        f"07-y [07-y@v2] {TS} {WHO} # reworked\n"
    )
    for kind in ("deploy", "revert", "verify"):
        for suffix in ("", "@v2"):
            assert f"{kind}/07-x{suffix}.sql" not in after
            assert after[f"{kind}/07-y{suffix}.sql"] == before[f"{kind}/07-x{suffix}.sql"].replace(
                b"queue:07-x ", b"queue:07-y "
            )
    assert after["deploy/08-a.sql"] == before["deploy/08-a.sql"].replace(b"07-x", b"07-y")
    assert result.first_affected == 1
    assert result.affected == ("07-x", "08-a")  # reworked 07-x counted once


def test_crlf_plan_and_scripts_keep_their_line_ends(tmp_path: Path) -> None:
    build_crlf(tmp_path)
    before, after, _ = renamed(tmp_path, {BILLING: "08-billing-invoice-refund-column"})
    new = "08-billing-invoice-refund-column"
    assert after["sqitch.plan"] == before["sqitch.plan"].replace(
        f"\r\n{BILLING} ".encode(), f"\r\n{new} ".encode()
    )
    assert after["sqitch.plan"].count(b"\r\n") == 12 and b"\r\r" not in after["sqitch.plan"]
    assert (
        after[f"deploy/{new}.sql"]
        == (
            f"-- Deploy queue:{new} to pg\r\n\r\nBEGIN;\r\n\r\n"
            f"CREATE TABLE t_07_billing_invoice_refund_column (id INTEGER); -- {BILLING}\r\n\r\n"
            "COMMIT;\r\n"
        ).encode()
    )


def test_block_rename_without_clobbering(tmp_path: Path) -> None:
    build_block(tmp_path)
    before, after, result = renamed(tmp_path, {"07-x": "08-x", "08-x": "09-x"})
    assert after["sqitch.plan"].decode() == (
        f"{HEADER}06-dead-letter {TS} {WHO}\n08-x {TS} {WHO} # x\n09-x [08-x] {TS} {WHO} # later\n"
    )
    # The move that frees deploy/08-x.sql comes first.
    assert [r.new_path.rsplit("/", 2)[-2:] for r in result.edit_plan.renames] == [
        ["deploy", "09-x.sql"],
        ["deploy", "08-x.sql"],
        ["revert", "09-x.sql"],
        ["revert", "08-x.sql"],
        ["verify", "09-x.sql"],
        ["verify", "08-x.sql"],
    ]
    assert after["deploy/08-x.sql"] == before["deploy/07-x.sql"].replace(
        b"queue:07-x", b"queue:08-x"
    )
    assert after["deploy/09-x.sql"] == (
        before["deploy/08-x.sql"]
        .replace(b"queue:08-x", b"queue:09-x")
        .replace(b"requires: 07-x", b"requires: 08-x")
    )
    assert b"-- 08-x\n" in after["deploy/09-x.sql"]  # the SQL comment is untouched
    assert sorted(after) == sorted(
        ["sqitch.conf", "sqitch.plan"]
        + [
            f"{k}/{n}.sql"
            for k in ("deploy", "revert", "verify")
            for n in ("06-dead-letter", "08-x", "09-x")
        ]
    )


def test_configured_layout_and_subfolders(tmp_path: Path) -> None:
    build_layout(tmp_path)
    before, after, _ = renamed(tmp_path, {"sub/07-x": "other/08-x"})
    assert after["db/sqitch.plan"] == before["db/sqitch.plan"].replace(b"sub/07-x", b"other/08-x")
    assert after["db/deploy/other/08-x.psql"] == before["db/deploy/sub/07-x.psql"].replace(
        b"queue:sub/07-x to", b"queue:other/08-x to"
    )
    assert "db/deploy/sub/07-x.psql" not in after


def test_pure_api_and_needed_paths() -> None:
    from migration_guard.chains.sqitch.conf import ScriptLayout

    layout = ScriptLayout(
        "", "sqitch.plan", "deploy", "revert", "verify", "deploy", "revert", "verify"
    )
    data = REWORK_PLAN.encode()
    paths = needed_paths(data, "sqitch.plan", layout, {"07-x": "07-y"})
    assert paths == (
        "deploy/07-x@v2.sql", "deploy/07-x@v1.sql", "revert/07-x@v2.sql", "revert/07-x@v1.sql",
        "verify/07-x@v2.sql", "verify/07-x@v1.sql",
        "deploy/07-y@v2.sql", "deploy/07-y@v1.sql", "revert/07-y@v2.sql", "revert/07-y@v1.sql",
        "verify/07-y@v2.sql", "verify/07-y@v1.sql",
        "deploy/07-x.sql", "revert/07-x.sql", "verify/07-x.sql",
        "deploy/07-y.sql", "revert/07-y.sql", "verify/07-y.sql",
        "deploy/08-a.sql",
    )  # fmt: skip
    files: dict[str, bytes | None] = dict.fromkeys(paths)
    files["deploy/07-x.sql"] = (
        "\ufeff-- Deploy 07-x\n\n-- Deploy other:07-x\n-- Deploy queue:07-x@v2 to pg\n"
        "SELECT 1;\n-- Deploy queue:07-x (not the header any more)\n"
    ).encode()
    result = plan_sqitch_rename("sqitch.plan", data, layout, files, {"07-x": "07-y"})
    (edit,) = [e for e in result.edit_plan.edits if e.path == "deploy/07-x.sql"]
    assert edit.new_text == (
        "\ufeff-- Deploy 07-y\n\n-- Deploy other:07-x\n-- Deploy queue:07-y@v2 to pg\n"
        "SELECT 1;\n-- Deploy queue:07-x (not the header any more)\n"
    )
    assert result.edit_plan.renames == (Rename("deploy/07-x.sql", "deploy/07-y.sql"),)
    assert "07-x (line 6) has no scripts to rename" in result.edit_plan.notes
    with pytest.raises(ValueError, match=r"scripts lacks deploy/07-x@v2\.sql"):
        plan_sqitch_rename("sqitch.plan", data, layout, {}, {"07-x": "07-y"})


def test_affected_changes_starts_at_an_earlier_conflict() -> None:
    plan = parse_plan(
        f"{HEADER}01-a [!03-c] {TS} {WHO}\n02-b {TS} {WHO}\n03-c {TS} {WHO}\n".encode(), "p"
    )
    assert affected_changes(plan, ["03-c"]) == (0, ("01-a", "02-b", "03-c"))
    assert affected_changes(plan, ["02-b"]) == (1, ("02-b", "03-c"))
    assert affected_changes(plan, ["zz"]) == (3, ())


def test_check_new_name() -> None:
    assert check_new_name("08-billing") is None
    assert check_new_name("sub/08-x") is None
    assert check_new_name("HEAD") == '"HEAD" is a reserved name'
    assert check_new_name("0") == 'sqitch treats a change named "0" as having no name'
    assert check_new_name("a\nb") == "a change name must be one non-empty line"
    assert check_new_name("a" * 40 + "-x") == (
        f'"{"a" * 40}-x" is invalid because it could be confused with a SHA1 ID'
    )
    for bad in ("08 billing", "08:x", "08@x", "-08", "08-", "x~1", "a#b", "a\\b", " x"):
        message = check_new_name(bad)
        assert message is not None and message.startswith("Invalid name; names must not")


# --------------------------------------------------------------------------------------------
# Refusals


def refusal(
    tmp_path: Path, renames: dict[str, str], other_plans: Sequence[str] = ()
) -> SqitchRenameError:
    with pytest.raises(SqitchRenameError) as info:
        rename(tmp_path, renames, other_plans)
    assert isinstance(info.value, InputError) and info.value.exit_code == 2
    return info.value


def test_refuses_a_plan_that_does_not_parse(tmp_path: Path) -> None:
    build_runbook(tmp_path)
    plan = tmp_path / PLAN
    plan.write_text(plan.read_text() + "08-x [2026-06-17T00:00:00Z] raxx-dev-bot <ops@raxx.app>\n")
    error = refusal(tmp_path, {BILLING: "08-b"})
    assert error.message.startswith(
        f"{PLAN} does not parse: Syntax error in {PLAN} at line 13: Invalid name;"
    )
    assert error.hint == "fix the plan first (migration-guard lint)"


@pytest.mark.parametrize(
    ("renames", "message"),
    [
        ({"07-nope": "08-nope"}, f'change "07-nope" is not in {PLAN}'),
        (
            {BILLING: "08 billing"},
            '"08 billing" is not a valid sqitch change name: Invalid name; names must not begin '
            'with punctuation, contain "@", ":", "#", "\\", or blanks, or end in punctuation or '
            "digits following punctuation",
        ),
        ({BILLING: "ROOT"}, '"ROOT" is not a valid sqitch change name: "ROOT" is a reserved name'),
        (
            {BILLING: "06-dead-letter"},
            f'cannot rename "{BILLING}" to "06-dead-letter": {PLAN} already has a change '
            '"06-dead-letter"',
        ),
        (
            {BILLING: "08-b", "07-job-priority": "08-b"},
            f'"{BILLING}" and "07-job-priority" would both be renamed to "08-b"',
        ),
        (
            {BILLING: "07-job-priority", "07-job-priority": BILLING},
            f'the renames form a cycle through "{BILLING}"',
        ),
        ({BILLING: BILLING}, "nothing to rename"),
    ],
)
def test_refuses_bad_names(tmp_path: Path, renames: dict[str, str], message: str) -> None:
    build_runbook(tmp_path)
    assert refusal(tmp_path, renames).message == message


def test_refuses_to_clobber_a_script(tmp_path: Path) -> None:
    build_runbook(tmp_path)
    write_files(tmp_path / P, {"revert/08-billing-invoice-refund-column.sql": "-- stray\n"})
    error = refusal(tmp_path, {BILLING: "08-billing-invoice-refund-column"})
    assert error.message == (
        f"cannot rename {P}/revert/{BILLING}.sql to "
        f"{P}/revert/08-billing-invoice-refund-column.sql: "
        f"{P}/revert/08-billing-invoice-refund-column.sql already exists"
    )


def test_refuses_to_break_another_projects_reference(tmp_path: Path) -> None:
    build_runbook(tmp_path)
    other = (
        "%project=reports\n\n"
        f"01-views [queue:{BILLING}] {TS} {WHO}\n"
        f"02-more [queue:07-job-priority] {TS} {WHO}\n"
    )
    write_files(tmp_path, {"reports/sqitch.plan": other})
    error = refusal(tmp_path, {BILLING: "08-billing"}, other_plans=["reports/sqitch.plan", PLAN])
    assert error.message == (
        f'reports/sqitch.plan:3: project "reports" depends on queue:{BILLING}; '
        f'renaming "{BILLING}" would break that reference'
    )
    # Renaming a change nobody else names is fine.
    assert rename(tmp_path, {"07-job-priority": "07-prio"}, other_plans=[]).renames


def test_refuses_dependencies_by_change_id(tmp_path: Path) -> None:
    build_runbook(tmp_path)
    other = f"%project=reports\n\n01-views [queue:{'a' * 40}] {TS} {WHO}\n"
    write_files(tmp_path, {"reports/sqitch.plan": other})
    error = refusal(tmp_path, {BILLING: "08-billing"}, other_plans=["reports/sqitch.plan"])
    assert error.message.startswith(
        f'reports/sqitch.plan:3: "01-views" depends on queue:{"a" * 40}, a change of queue '
        "named by its ID"
    )


# --------------------------------------------------------------------------------------------
# The real sqitch


def _sqitch_reads(folder: Path, shows: tuple[tuple[str, str], ...]) -> list[str]:
    problems: list[str] = []
    proc = sqitch(folder, "plan", check=False)
    if proc.returncode != 0:
        problems.append(f"sqitch plan: {proc.stderr}")
    for spec, path in shows:
        shown = sqitch(folder, "show", "deploy", spec, check=False)
        if shown.returncode != 0:
            problems.append(f"sqitch show deploy {spec}: {shown.stderr}")
        elif shown.stdout != (folder / path).read_text().replace("\r\n", "\n") + "\n":
            problems.append(f"sqitch show deploy {spec} is not {path}")
    return problems


@pytest.mark.sqitch
def test_real_sqitch_reads_every_renamed_project(tmp_path: Path) -> None:
    jobs = []
    for name, scenario in SCENARIOS.items():
        root = tmp_path / name
        folder = scenario.build(root)
        result = rename(root, scenario.renames)
        apply_edit_plan(root, result.edit_plan)
        conf_folder = folder
        jobs.append((name, conf_folder, scenario.shows))
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda job: (job[0], _sqitch_reads(job[1], job[2])), jobs))
    assert {name: problems for name, problems in outcomes if problems} == {}
