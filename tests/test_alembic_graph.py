from __future__ import annotations

import re
from pathlib import Path

from testing.alembic_oracle import alembic_heads

from migration_guard.chains.alembic.graph import (
    CODES,
    ChainGraph,
    analyse,
    checked,
    detected_numbering,
    number_prefix,
)
from migration_guard.chains.alembic.script import ParsedScript, parse_script
from migration_guard.model import Finding, NumberingMode
from migration_guard.sample import alembic_script

V = "console/migrations/versions"
Links = str | tuple[str, ...] | None


def script(
    name: str,
    rev: str | None,
    down: Links,
    *,
    deps: Links = None,
    labels: Links = None,
) -> ParsedScript:
    """A revision script whose revision is on line 1, down_revision on 2, depends_on on 3,
    branch_labels on 4."""
    lines = [f"revision = {rev!r}" if rev is not None else "# no revision"]
    lines += [f"down_revision = {down!r}", f"depends_on = {deps!r}", f"branch_labels = {labels!r}"]
    return parse_script(f"{V}/{name}", ("\n".join(lines) + "\n").encode())


def run(*scripts: ParsedScript) -> ChainGraph:
    return analyse(scripts)


def heads(graph: ChainGraph) -> list[str]:
    return [h.revision for h in graph.heads]


def summary(graph: ChainGraph) -> list[tuple[str, str, str | None, int | None]]:
    return [(f.code, f.message, f.path, f.line) for f in graph.findings]


def codes(graph: ChainGraph) -> list[str]:
    return [f.code for f in graph.findings]


def test_linear_chain_has_one_head_and_no_findings() -> None:
    graph = run(
        script("0001_a.py", "0001", None),
        script("0002_b.py", "0002", "0001"),
        script("0003_c.py", "0003", ("0002",)),
    )
    assert heads(graph) == ["0003"]
    assert [b.revision for b in graph.bases] == ["0001"]
    assert graph.findings == ()
    assert graph.complete


def test_empty_chain() -> None:
    graph = run()
    assert (graph.heads, graph.findings) == ((), ())


def test_several_heads_are_named_one_finding_each() -> None:
    graph = run(
        script("0001_a.py", "0001", None),
        script("0002_b.py", "0002", "0001"),
        script("0003_c.py", "0003", "0001"),
    )
    assert heads(graph) == ["0002", "0003"]
    assert summary(graph) == [
        ("MG102", "head '0002' is one of 2 heads ('0002', '0003')", f"{V}/0002_b.py", 1),
        ("MG102", "head '0003' is one of 2 heads ('0002', '0003')", f"{V}/0003_c.py", 1),
    ]
    assert graph.findings[0].hint == (
        "`alembic upgrade head` fails with several heads; `migration-guard recover` finds the "
        "migration that landed second and moves it onto the other; on a PR branch, "
        "`migration-guard check` names the renumber command (or merge the heads: alembic merge "
        "heads)"
    )


def test_merge_makes_one_head() -> None:
    graph = run(
        script("0001_a.py", "0001", None),
        script("0002_b.py", "0002", "0001"),
        script("0003_c.py", "0003", "0001"),
        script("0004_merge.py", "0004", ("0002", "0003")),
    )
    assert heads(graph) == ["0004"]
    assert graph.findings == ()


def test_the_runbook_collision_fails_although_alembic_exits_0() -> None:
    a = alembic_script("0145", "0144", "promote_a", table="a")
    b = alembic_script("0145", "0144", "promote_b", table="b")
    graph = run(
        script("0144_base.py", "0144", None),
        parse_script(f"{V}/0145_promote_a.py", a.encode()),
        parse_script(f"{V}/0145_promote_b.py", b.encode()),
    )
    assert heads(graph) == ["0145", "0145"]  # what `alembic heads` prints
    dup = [f for f in graph.findings if f.code == "MG101"]
    assert dup == [
        Finding(
            "MG101",
            f"duplicate revision id '0145' (also in {V}/0145_promote_a.py:13)",
            f"{V}/0145_promote_b.py",
            13,
            "Alembic only warns on this and keeps both; `migration-guard recover` finds the "
            "migration that landed second and moves it onto the other; on a PR branch, "
            "`migration-guard check` names the renumber command",
        )
    ]
    assert codes(graph) == ["MG102", "MG101", "MG102"]
    numbered = checked(graph.scripts)  # the chain is sequential: number findings too
    assert [f.code for f in numbered] == ["MG102", "MG101", "MG102", "MG111"]
    assert numbered[-1].message == f"number 0145 is also used by {V}/0145_promote_a.py"


def test_duplicate_ids_with_different_parents_match_alembic(tmp_path: Path) -> None:
    # Only the last copy's links count, so 'p' stays a head: Alembic says x, x, p.
    files = {"1_a.py": ("x", "p"), "2_b.py": ("x", "q"), "p.py": ("p", None), "q.py": ("q", None)}
    graph = run(*(script(name, rev, down) for name, (rev, down) in files.items()))
    sources = {n: f"revision = {r!r}\ndown_revision = {d!r}\n" for n, (r, d) in files.items()}
    assert heads(graph) == alembic_heads(tmp_path / "migrations", sources) == ["x", "x", "p"]


def test_missing_down_revision_and_dependency() -> None:
    graph = run(
        script("0001_a.py", "0001", None),
        script("0002_b.py", "0002", ("0001", "0000")),
        script("0003_c.py", "0003", "0002", deps="nope"),
    )
    assert summary(graph) == [
        ("MG103", "down revision '0000' not found", f"{V}/0002_b.py", 2),
        ("MG104", "depends_on 'nope' not found", f"{V}/0003_c.py", 3),
    ]


def test_self_loops() -> None:
    graph = run(script("0001_a.py", "0001", "0001"), script("0002_b.py", "0002", None, deps="0002"))
    assert summary(graph) == [
        (
            "MG105",
            "revision '0001' names itself in down_revision (Alembic: Self-loop is detected)",
            f"{V}/0001_a.py",
            2,
        ),
        ("MG106", "revision '0002' names itself in depends_on", f"{V}/0002_b.py", 3),
    ]


def test_cycles() -> None:
    graph = run(
        script("0001_a.py", "0001", "0003"),
        script("0002_b.py", "0002", "0001"),
        script("0003_c.py", "0003", "0002"),
    )
    assert summary(graph) == [
        (
            "MG107",
            "cycle through down_revision: 0001, 0002, 0003 (Alembic: Cycle is detected)",
            f"{V}/0001_a.py",
            2,
        )
    ]
    assert heads(graph) == []


def test_cycle_through_a_merge_that_alembic_itself_misses() -> None:
    graph = run(
        script("a.py", "a", None),
        script("b.py", "b", ("a", "c")),
        script("c.py", "c", "b"),
        script("d.py", "d", "c"),
    )
    assert heads(graph) == ["d"]  # Alembic loads this and reports head d
    assert codes(graph) == ["MG107"]


def test_dependency_cycle() -> None:
    graph = run(
        script("a.py", "a", None),
        script("b.py", "b", "a", deps="c"),
        script("c.py", "c", "a", deps="b"),
    )
    assert [f for f in summary(graph) if f[0] == "MG108"] == [
        (
            "MG108",
            "dependency cycle through depends_on: b, c (Alembic: Dependency cycle is detected)",
            f"{V}/b.py",
            3,
        )
    ]


def test_branch_label_clashes() -> None:
    graph = run(
        script("a.py", "a", None, labels="billing"),
        script("b.py", "b", "a", labels=("billing", "b")),
        script("c.py", "c", "b", labels=("x", "x")),
    )
    assert summary(graph) == [
        (
            "MG109",
            f"branch label 'billing' already used by revision 'a' ({V}/a.py:1)",
            f"{V}/b.py",
            4,
        ),
        ("MG109", f"branch label 'b' is also a revision id ({V}/b.py:1)", f"{V}/b.py", 4),
        ("MG109", f"branch label 'x' already used by revision 'c' ({V}/c.py:1)", f"{V}/c.py", 4),
    ]


def test_labels_resolve_in_depends_on_but_not_in_down_revision() -> None:
    ok = run(
        script("a.py", "a", None, labels="base"),
        script("b.py", "b", "a", deps="base"),
    )
    assert (heads(ok), ok.findings) == (["b"], ())
    bad = run(script("a.py", "a", None, labels="base"), script("b.py", "b", "base"))
    assert summary(bad) == [
        (
            "MG110",
            "down_revision 'base' is a branch label (of revision 'a'), not a revision id",
            f"{V}/b.py",
            2,
        )
    ]


def test_bad_ids() -> None:
    graph = run(
        script("a.py", "a-1", None),
        script("b.py", "", "a-1"),
        script("c.py", "c", ""),
        script("d.py", "d", "c", deps=""),
    )
    assert heads(graph) == ["d"]  # Alembic resolves '' to b.py here, as we do
    assert summary(graph) == [
        ("MG126", "revision id 'a-1' contains - (Alembic allows none of @ - + :)", f"{V}/a.py", 1),
        ("MG127", "empty revision id", f"{V}/b.py", 1),
        ("MG123", "down_revision '' is not a base (Alembic fails with KeyError)", f"{V}/c.py", 2),
        ("MG123", "depends_on '' names no revision", f"{V}/d.py", 3),
    ]


def test_unreadable_files_are_findings_and_keep_their_children_quiet() -> None:
    known = parse_script(f"{V}/0002_b.py", b"revision = '0002'\ndown_revision = PARENT\n")
    broken = parse_script(f"{V}/0003_c.py", b"revision = '0003'\ndown_revision = (\n")
    graph = run(
        script("0001_a.py", "0001", None),
        known,
        broken,
        script("0004_d.py", "0004", "0002"),
        script("0005_e.py", "0005", "0003"),
    )
    assert not graph.complete
    assert heads(graph) == ["0001", "0004", "0005"]  # guesses: links of 0002, 0003 unknown
    assert [(f.code, f.path, f.line) for f in graph.findings] == [  # so no MG102
        ("MG120", f"{V}/0002_b.py", 2),
        ("MG121", f"{V}/0003_c.py", 2),
        ("MG103", f"{V}/0005_e.py", 2),  # 0003 could be anything
    ]
    assert graph.findings[0].message == (
        "down_revision is the name PARENT; cannot read it without running the file"
    )
    assert (
        graph.findings[0].hint
        == 'write the value as a plain literal at top level: revision = "0193"'
    )


def test_number_prefix_rule() -> None:
    assert number_prefix("0145_promote.py") == "0145"
    assert number_prefix("0145.py") == "0145"
    assert number_prefix("0145-x.py") == "0145"
    assert number_prefix("27c6a30d7c24_add.py") is None
    assert number_prefix("123456789012_add.py") == "123456789012"
    assert number_prefix("add_0145.py") is None
    assert number_prefix("0145") == "0145"
    assert number_prefix("0145_add") == "0145"
    assert number_prefix("٠١_arabic_digits.py") is None


def test_number_checks() -> None:
    graph = run(
        script("0001_a.py", "0001", None),
        script("0002_b.py", "0003", "0001"),  # renamed file, stale revision
        script("0003_c.py", "0003_c", "0003"),
        script("03_d.py", "ff00aa", "0003_c"),  # same number, written differently
    )
    assert graph.findings == ()  # analyse alone knows nothing of numbers
    assert [(f.code, f.message, f.path, f.line) for f in checked(graph.scripts)] == [
        ("MG112", "file number 0002 but revision id '0003'", f"{V}/0002_b.py", 1),
        ("MG111", f"number 03 is also used by {V}/0003_c.py", f"{V}/03_d.py", 1),
    ]


def test_numbered_files_with_hex_ids_never_get_mg112() -> None:
    # airflow's shape: 0001_..._schema.py holding a hex id; one id happens to be all digits.
    graph = run(
        script("0001_initial.py", "e3a246e0dc1", None),
        script("0002_users.py", "1507a7289a2f", "e3a246e0dc1"),
        script("0003_roles.py", "686269002441", "1507a7289a2f"),
    )
    assert detected_numbering(graph.scripts).mode is NumberingMode.SEQUENTIAL
    assert checked(graph.scripts) == ()


def test_date_based_file_names_with_hash_ids_are_not_numbers() -> None:
    graph = run(
        script("2024_01_15_1030-ae1027a6acf_add.py", "ae1027a6acf", None),
        script("2024_01_16_0900-27c6a30d7c24_more.py", "27c6a30d7c24", "ae1027a6acf"),
    )
    assert detected_numbering(graph.scripts).mode is NumberingMode.DATE
    assert checked(graph.scripts) == ()


def test_an_all_digit_hex_id_does_not_make_a_hex_chain_numbered() -> None:
    graph = run(
        script("27c6a30d7c24_add.py", "27c6a30d7c24", None),
        script("686269002441_more.py", "686269002441", "27c6a30d7c24"),
        script("ae1027a6acf_last.py", "ae1027a6acf", "686269002441"),
    )
    assert detected_numbering(graph.scripts).mode is NumberingMode.NONE
    assert checked(graph.scripts) == ()


def test_findings_are_sorted_by_file_then_line() -> None:
    graph = run(
        script("0001_a.py", "0001", "gone"),
        script("0002_b.py", "0002", "0001", deps="nothing"),
        script("0001_c.py", "0001", "0002"),
    )
    keys = [(f.path, f.line) for f in graph.findings]
    order = [f"{V}/0001_a.py", f"{V}/0002_b.py", f"{V}/0001_c.py"]
    assert keys == sorted(keys, key=lambda k: (order.index(k[0] or ""), k[1] or 0))
    assert analyse(list(graph.scripts)).findings == graph.findings


def test_code_catalogue() -> None:
    assert all(re.fullmatch(r"MG1([0-4][0-9])", code) for code in CODES)
    assert all(code != "MG100" for code in CODES)
    assert len(set(CODES.values())) == len(CODES)


# --- branches and values that cannot be read ---------------------------------------------


def raw(name: str, text: str) -> ParsedScript:
    return parse_script(f"{V}/{name}", text.encode())


def test_a_computed_label_is_a_warning_and_its_links_still_count() -> None:
    graph = run(
        script("kilo.py", "kilo", None),
        raw("e1.py", "revision = 'e1'\ndown_revision = 'kilo'\nbranch_labels = (cli.EXPAND,)\n"),
        script("e2.py", "e2", "e1"),
    )
    assert heads(graph) == ["e2"]  # not kilo: e1's down_revision is read
    assert summary(graph) == [
        (
            "MG120",
            "branch_labels is computed (cli.EXPAND); its branch labels cannot be checked",
            f"{V}/e1.py",
            3,
        )
    ]
    assert [f.severity.value for f in graph.findings] == ["warning"]
    assert graph.branches == (None,) and graph.undecided == ()  # one head: nothing to decide


def test_depends_on_a_name_that_may_be_an_unreadable_label_is_only_a_warning() -> None:
    computed = "revision = 'e1'\ndown_revision = 'kilo'\nbranch_labels = (cli.EXPAND,)\n"
    graph = run(
        script("kilo.py", "kilo", None),
        raw("e1.py", computed),
        script("c1.py", "c1", "e1", deps="expand"),
    )
    assert [(f.code, f.severity.value, f.message) for f in graph.findings][1:] == [
        (
            "MG104",
            "warning",
            "depends_on 'expand' is no revision id or readable branch label; it may be a "
            "branch label that cannot be read statically",
        )
    ]
    # With every label readable, a name found nowhere is an error, as before.
    graph = run(script("kilo.py", "kilo", None), script("c1.py", "c1", "kilo", deps="expand"))
    assert [(f.code, f.severity.value) for f in graph.findings] == [("MG104", "error")]


def test_branches_of_heads_are_their_nearest_labels() -> None:
    graph = run(
        script("base.py", "base", None),
        script("e1.py", "e1", "base", labels="expand"),
        script("e2.py", "e2", "e1"),
        script("f1.py", "f1", "e2", labels=("feature", "x")),
        script("c1.py", "c1", "base", labels=("contract",)),
        script("e3.py", "e3", "e2"),
    )
    assert heads(graph) == ["f1", "c1", "e3"]
    assert graph.branches == (("feature", "x"), ("contract",), ("expand",))
    assert graph.findings == () and graph.undecided == ()


def test_a_merge_of_two_branches_is_on_both() -> None:
    graph = run(
        script("base.py", "base", None),
        script("e1.py", "e1", "base", labels="expand"),
        script("c1.py", "c1", "base", labels="contract"),
        script("m.py", "m", ("e1", "c1")),
        script("e2.py", "e2", "e1"),
    )
    assert heads(graph) == ["m", "e2"]
    assert graph.branches == (("contract", "expand"), ("expand",))
    assert codes(graph) == ["MG102", "MG102"]  # m and e2 share expand
    assert graph.findings[0].message == ("head 'm' is one of 2 heads on branch expand ('m', 'e2')")
