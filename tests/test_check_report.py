from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from migration_guard import check_report
from migration_guard.check_report import COMMENT_MARKER, CheckReport
from migration_guard.collisions import Claim, ClaimSource, detect
from migration_guard.model import ChainKind, ChainSpec, ChainState, Migration, NumberingMode
from migration_guard.services.sources import Sources

V = "console/migrations/versions"
HOSTILE_HTML = "<img src=x onerror=alert(1)>"


def mig(number: int, slug: str, chain: str = "console") -> Migration:
    text = f"{number:04d}"
    return Migration(chain, number, text, f"{text}_{slug}", f"{V}/{text}_{slug}.py")


def chain_state(base: Sequence[Migration], chain: str = "console", width: int = 4) -> ChainState:
    spec = ChainSpec(chain, chain.title(), ChainKind.ALEMBIC, V)
    return ChainState(spec, tuple(base), numbering=NumberingMode.SEQUENTIAL, width=width)


def named(number: int, file_name: str) -> Migration:
    """A migration whose file name (after ``NNNN_``) is anything a PR author chose."""
    text = f"{number:04d}"
    return Migration("console", number, text, f"{text}_{file_name}", f"{V}/{text}_{file_name}.py")


BASE = (mig(1, "init"), mig(2, "users"), mig(3, "orders"))
PR12 = (
    Claim("console", 3, f"{V}/0003_x.py", ClaimSource.PR, pr=12, rank=12),
    Claim("console", 4, f"{V}/0004_y.py", ClaimSource.PR, pr=12, rank=12),
)


def sources(
    claims: Sequence[Claim] = PR12,
    *,
    complete: bool = True,
    problems: Sequence[str] = (),
    base: str = "origin/main",
    provider: str = "github",
) -> Sources:
    return Sources(
        base=base,
        base_ref="main",
        provider=provider,
        provider_note="GITHUB_TOKEN",
        base_states={"console": chain_state(BASE)},
        claims=tuple(claims),
        changes_scanned=2,
        complete=complete,
        problems=tuple(problems),
        requests=3,
        forge=None,
    )


def mine(new: Sequence[Migration], pr: int = 7) -> list[Claim]:
    return [Claim.of(m, ClaimSource.SELF, pr=pr, rank=pr) for m in new]


def report(new: Sequence[Migration], src: Sources | None = None, pr: int = 7) -> CheckReport:
    src = src or sources()
    outcome = detect(mine(new, pr), src.chains, src.claims)
    return CheckReport(pr=pr, sources=src, outcome=outcome)


COLLIDING = report([mig(3, "promote")])
CLEAN = report([mig(5, "promote")])

FAIL_TEXT = f"""\
migration-guard check: base='origin/main' pr=7
Open changes from: github (GITHUB_TOKEN)
Found 1 new migration(s) in this PR:
  [console] 0003 — {V}/0003_promote.py
Found 2 migration file(s) across 2 other open PR(s).
COLLISION [console] 0003 — {V}/0003_promote.py
  also claimed by base branch ({V}/0003_orders.py)
  also claimed by PR #12 ({V}/0003_x.py)
  the base branch has it already: this PR must move
  next available number: 0005
  fix: migration-guard renumber {V}/0003_promote.py --to 0005
Found 1 migration-number collision(s). FAIL."""


# --- text ------------------------------------------------------------------------------------


def test_text_of_a_collision_names_every_claim_the_next_number_and_the_fix() -> None:
    assert COLLIDING.claims_seen == 2
    assert check_report.text(COLLIDING) == FAIL_TEXT


def test_text_without_collisions_is_ok() -> None:
    assert check_report.text(CLEAN) == (
        "migration-guard check: base='origin/main' pr=7\n"
        "Open changes from: github (GITHUB_TOKEN)\n"
        "Found 1 new migration(s) in this PR:\n"
        f"  [console] 0005 — {V}/0005_promote.py\n"
        "Found 2 migration file(s) across 2 other open PR(s).\n"
        "No migration-number collisions detected. OK."
    )


def test_text_when_some_open_change_was_not_seen_is_undecided_never_ok() -> None:
    src = sources(complete=False, problems=["GitHub: could not list the files of PR #15"])
    rendered = check_report.text(report([mig(5, "promote")], src))
    assert rendered.splitlines()[-2:] == [
        "warning: GitHub: could not list the files of PR #15",
        "Could not see every open change's files, so no verdict. UNDECIDED.",
    ]
    assert not any(line.endswith("OK.") for line in rendered.splitlines())


def test_text_when_incomplete_but_a_collision_is_certain_is_fail() -> None:
    src = sources(complete=False, problems=["GitHub: rate limited"])
    rendered = check_report.text(report([mig(3, "promote")], src))
    assert rendered.splitlines()[-1] == "Found 1 migration-number collision(s). FAIL."


def test_text_with_no_new_migrations() -> None:
    assert check_report.text(report([])).splitlines()[2:4] == [
        "Found 0 new migration(s) in this PR:",
        "Found 2 migration file(s) across 2 other open PR(s).",
    ]


def test_text_suggests_moving_several_new_migrations_as_a_block() -> None:
    rendered = check_report.text(report([mig(3, "a"), mig(4, "b")], pr=20))
    assert rendered.splitlines()[2:] == [
        "Found 2 new migration(s) in this PR:",
        f"  [console] 0003 — {V}/0003_a.py",
        f"  [console] 0004 — {V}/0004_b.py",
        "Found 2 migration file(s) across 2 other open PR(s).",
        f"COLLISION [console] 0003 — {V}/0003_a.py",
        f"  also claimed by base branch ({V}/0003_orders.py)",
        f"  also claimed by PR #12 ({V}/0003_x.py)",
        "  the base branch has it already: this PR must move",
        # PR #12 must leave 0003 too, and ranks first: it is sent to 0005.
        "  next available number: 0006",
        f"  fix: migration-guard renumber {V}/0003_a.py --to 0006",
        f"COLLISION [console] 0004 — {V}/0004_b.py",
        f"  also claimed by PR #12 ({V}/0004_y.py)",
        "  PR #12 opened first and keeps it: this PR must move",
        "  next available number: 0007",
        f"  fix: migration-guard renumber {V}/0004_b.py --to 0007",
        "  (several new migrations in one chain: `migration-guard renumber --branch --to next` "
        "moves them as one block onto the next free numbers)",
        "Found 2 migration-number collision(s). FAIL.",
    ]


def test_text_shows_a_width_warning() -> None:
    base = tuple(Migration("q", n, f"{n:02d}", f"{n:02d}-x", "q/sqitch.plan") for n in (98, 99))
    src = dataclasses.replace(sources(claims=()), base_states={"q": chain_state(base, "q", 2)})
    outcome = detect(mine([Migration("q", 99, "99", "99-mine", "q/sqitch.plan")]), src.chains, ())
    rendered = check_report.text(CheckReport(pr=7, sources=src, outcome=outcome))
    assert (
        "warning: [q] the next number 100 is wider than the chain's width; raise `width` in the "
        "configuration and check that file names still sort"
    ) in rendered.splitlines()


# --- json ------------------------------------------------------------------------------------


def test_json_of_a_collision() -> None:
    assert check_report.to_json(COLLIDING) == {
        "ok": False,
        "complete": True,
        "base": "origin/main",
        "pr": 7,
        "provider": "github",
        "new": [
            {
                "chain": "console",
                "number": "0003",
                "id": None,
                "path": f"{V}/0003_promote.py",
                "name": "0003_promote",
                "uncommitted": False,
            }
        ],
        "collisions": [
            {
                "kind": "number",
                "chain": "console",
                "number": "0003",
                "id": None,
                "path": f"{V}/0003_promote.py",
                "name": "0003_promote",
                "claimed_by": [
                    {"source": "base", "path": f"{V}/0003_orders.py", "name": "0003_orders"},
                    {"source": "pr", "pr": 12, "path": f"{V}/0003_x.py"},
                ],
                "owner": {"source": "base", "path": f"{V}/0003_orders.py", "name": "0003_orders"},
                "parent": None,
                "next_available": "0005",
                "fix": f"migration-guard renumber {V}/0003_promote.py --to 0005",
            }
        ],
        "notes": [],
        "history": [],
        "next_available": {"console": ["0005"]},
        "open_prs_scanned": 2,
        "claims_seen": 2,
        "problems": [],
        "warnings": [],
    }


def test_json_names_a_branch_or_reservation_by_ref_only_without_a_pr_number() -> None:
    claims = (
        Claim("console", 3, f"{V}/0003_b.py", ClaimSource.PR, ref="feature/b"),
        Claim("console", 3, f"{V}/0003_r.py", ClaimSource.RESERVATION, ref="alice"),
        Claim("console", 3, f"{V}/0003_p.py", ClaimSource.PR, pr=9, ref="feature/p", rank=9),
    )
    payload = check_report.to_json(report([mig(3, "promote")], sources(claims)))
    # In the order they rank: base, reservation, PRs by number, branches without one last.
    assert payload["collisions"][0]["claimed_by"] == [
        {"source": "base", "path": f"{V}/0003_orders.py", "name": "0003_orders"},
        {"source": "reservation", "ref": "alice", "path": f"{V}/0003_r.py"},
        {"source": "pr", "pr": 9, "path": f"{V}/0003_p.py"},
        {"source": "pr", "ref": "feature/b", "path": f"{V}/0003_b.py"},
    ]


def test_json_is_not_ok_when_incomplete() -> None:
    src = sources(complete=False, problems=["GitLab: 502"])
    payload = check_report.to_json(report([mig(5, "promote")], src))
    assert (payload["ok"], payload["complete"], payload["problems"]) == (
        False,
        False,
        ["GitLab: 502"],
    )
    assert check_report.to_json(CLEAN)["ok"] is True


# --- markdown --------------------------------------------------------------------------------


def md(rep: CheckReport) -> str:
    return check_report.markdown(rep, marker="mg:marker")


def table_rows(rendered: str) -> list[str]:
    lines = rendered.split("\n")
    start = lines.index("| chain | number | this PR | also claimed by | next free | fix |")
    end = lines.index("", start)
    return lines[start + 2 : end]


def unescaped_pipes(line: str) -> int:
    """GFM splits table cells on every ``|`` not preceded by a backslash (even in code spans)."""
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_of_a_collision() -> None:
    assert md(COLLIDING) == (
        "<!-- mg:marker -->\n"
        "### Migration number check\n"
        "**1 migration-number collision(s)** with `origin/main` or other open PRs:\n"
        "\n"
        "| chain | number | this PR | also claimed by | next free | fix |\n"
        "|---|---|---|---|---|---|\n"
        "| console | 0003 | console/migrations/versions/0003\\_promote.py | "
        "base branch \\(console/migrations/versions/0003\\_orders.py\\)<br>"
        "PR #12 \\(console/migrations/versions/0003\\_x.py\\) | **0005** | "
        "`migration-guard renumber console/migrations/versions/0003_promote.py --to 0005` |\n"
        "\n"
        "<sub>Scanned 2 other open PR(s) via github.</sub>"
    )


def test_markdown_without_collisions_and_when_undecided() -> None:
    assert md(CLEAN).split("\n")[2:] == [
        "No migration-number collisions. ✅ (updated after the last push)",
        "",
        "<sub>Scanned 2 other open PR(s) via github.</sub>",
    ]
    src = sources(complete=False, problems=["PR #15: files <b>unavailable</b>"])
    assert md(report([mig(5, "promote")], src)).split("\n")[2:] == [
        "Could not see every open PR's files; no verdict this time.",
        "",
        "- warning: PR #15: files \\<b\\>unavailable\\</b\\>",
        "",
        "<sub>Scanned 2 other open PR(s) via github.</sub>",
    ]


def test_md_escape_makes_html_links_and_code_inert() -> None:
    assert check_report.md_escape(HOSTILE_HTML) == "\\<img src=x onerror=alert\\(1\\)\\>"
    assert check_report.md_escape("[x](y)") == "\\[x\\]\\(y\\)"
    assert check_report.md_escape("![x](y)") == "!\\[x\\]\\(y\\)"
    assert check_report.md_escape("a`b`c") == "a\\`b\\`c"
    assert check_report.md_escape("a|b") == "a\\|b"
    assert check_report.md_escape("a\nb\r\nc") == "a b  c"
    assert check_report.md_escape("*_~{}&\\") == "\\*\\_\\~\\{\\}\\&\\\\"
    assert check_report.md_escape("0193 plain-name.py") == "0193 plain-name.py"


def test_markdown_hostile_file_names_create_no_html_or_links() -> None:
    hostile = named(3, f"{HOSTILE_HTML}`x`[x](y)")
    claim = Claim("console", 3, f"{V}/0003_[a](javascript:alert(1)).py", ClaimSource.PR, pr=13)
    (row,) = table_rows(md(report([hostile], sources([claim]))))
    assert row == (
        "| console | 0003 | console/migrations/versions/0003\\_\\<img src=x "
        "onerror=alert\\(1\\)\\>\\`x\\`\\[x\\]\\(y\\).py | "
        "base branch \\(console/migrations/versions/0003\\_orders.py\\)<br>"
        "PR #13 \\(console/migrations/versions/0003\\_\\[a\\]\\(javascript:alert\\(1\\)\\).py\\) | "
        "**0004** | "
        # In a code span (backticks replaced, so it cannot end early) HTML is shown, not
        # parsed; the path is shell-quoted because it is meant to be pasted into a shell.
        "`migration-guard renumber 'console/migrations/versions/0003_<img src=x "
        "onerror=alert(1)>'x'[x](y).py' --to 0004` |"
    )
    assert unescaped_pipes(row) == 7


def test_markdown_pipe_in_file_name_keeps_six_cells() -> None:
    (row,) = table_rows(md(report([named(3, "a|b")], sources([]))))
    assert "0003\\_a\\|b.py" in row
    # Every row of a 6-column table has 7 cell separators; a raw '|' adds a column.
    assert unescaped_pipes(row) == 7


def test_markdown_newline_in_file_name_keeps_one_row() -> None:
    rendered = md(report([named(3, f"x\n{HOSTILE_HTML}")], sources([])))
    rows = table_rows(rendered)
    assert len(rows) == 1
    assert "\n<img" not in rendered


def test_markdown_base_name_in_code_span_is_not_backslash_escaped() -> None:
    # A code span shows backslashes literally: `origin/release\_2` would render with one.
    rendered = md(report([mig(3, "promote")], sources(base="origin/release_2")))
    assert rendered.split("\n")[2] == (
        "**1 migration-number collision(s)** with `origin/release_2` or other open PRs:"
    )


# --- github ----------------------------------------------------------------------------------


def test_github_annotations_then_the_text_report() -> None:
    src = sources(problems=["GitLab: 50% of MR !4 unread\nretry"])
    rendered = check_report.github(report([mig(3, "promote")], src))
    lines = rendered.split("\n")
    assert lines[:2] == [
        f"::error file={V}/0003_promote.py,line=1,title=Migration number collision::"
        f"[console] 0003 is also claimed by base branch ({V}/0003_orders.py); "
        f"PR #12 ({V}/0003_x.py). Next available: 0005. "
        f"Fix: migration-guard renumber {V}/0003_promote.py --to 0005",
        "::warning title=migration-guard::GitLab: 50%25 of MR !4 unread%0Aretry",
    ]
    assert "\n".join(lines[2:]) == check_report.text(report([mig(3, "promote")], src))


def test_github_annotation_escaping_of_properties_and_message() -> None:
    hostile = named(3, "a,b:c%d\re\nf")
    annotation = check_report.github(report([hostile], sources([]))).split("\n")[0]
    path = f"{V}/0003_a%2Cb%3Ac%25d%0De%0Af.py"
    assert annotation == (
        f"::error file={path},line=1,title=Migration number collision::"
        f"[console] 0003 is also claimed by base branch ({V}/0003_orders.py). "
        f"Next available: 0004. Fix: migration-guard renumber '{V}/0003_a,b:c%25d%0De%0Af.py' "
        "--to 0004"
    )


def test_github_without_collisions_is_the_text_report() -> None:
    assert check_report.github(CLEAN) == check_report.text(CLEAN)


def test_github_output_has_no_workflow_command_from_a_file_name() -> None:
    # The runner reads every stdout line starting with '::' as a workflow command.
    hostile = named(3, "x\n::error file=README.md::forged\n::stop-commands::t0k3n")
    rendered = check_report.github(report([hostile], sources([])))
    commands = [line for line in rendered.split("\n") if line.startswith("::")]
    assert len(commands) == 1
    assert commands[0].startswith(f"::error file={V}/0003_x%0A%3A%3Aerror")


# --- emit ------------------------------------------------------------------------------------


def test_emit_text_json_markdown(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    for fmt, expected in (
        ("text", FAIL_TEXT),
        ("json", json.dumps(check_report.to_json(COLLIDING), indent=2)),
        ("markdown", check_report.markdown(COLLIDING, marker=COMMENT_MARKER)),
    ):
        out = io.StringIO()
        check_report.emit(COLLIDING, fmt, out=out, env=env)
        assert out.getvalue() == expected + "\n"
    assert not summary.exists()  # only the github format writes the step summary
    assert check_report.markdown(COLLIDING, marker=COMMENT_MARKER).startswith(
        "<!-- migration-guard:check -->\n"
    )


def test_emit_github_appends_to_the_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    out = io.StringIO()
    check_report.emit(COLLIDING, "github", out=out, env={"GITHUB_STEP_SUMMARY": str(summary)})
    check_report.emit(CLEAN, "github", out=out, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert out.getvalue() == (
        check_report.github(COLLIDING) + "\n" + check_report.github(CLEAN) + "\n"
    )
    assert summary.read_text(encoding="utf-8") == (
        "# earlier step\n"
        + check_report.markdown(COLLIDING, marker=COMMENT_MARKER)
        + "\n"
        + check_report.markdown(CLEAN, marker=COMMENT_MARKER)
        + "\n"
    )


@pytest.mark.parametrize("env", [{}, {"GITHUB_STEP_SUMMARY": ""}])
def test_emit_github_without_a_step_summary_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    check_report.emit(CLEAN, "github", out=out, env=env)
    assert out.getvalue() == check_report.text(CLEAN) + "\n"
    assert list(tmp_path.iterdir()) == []


# --- mentions --------------------------------------------------------------------------------

ZWJ = "\u200d"


def test_markdown_breaks_mentions_in_file_names() -> None:
    hostile = named(3, "@octocat_and_@acme/team")
    claim = Claim("console", 3, f"{V}/0003_cc_@all.py", ClaimSource.PR, pr=13)
    rendered = md(report([hostile], sources([claim], problems=["PR #9 by @mallory: cut"])))
    # Outside code spans (where forges never resolve mentions) no '@' is directly followed
    # by a name: GitHub and GitLab notify nobody.
    outside_code = re.sub(r"`[^`]*`", "", rendered)
    assert re.search(r"@(?!\u200d)", outside_code) is None, outside_code
    assert f"@{ZWJ}octocat" in rendered and f"@{ZWJ}all" in rendered
    assert f"@{ZWJ}mallory" in rendered
    # The fix command stays pasteable: the real name, in a code span.
    (command,) = re.findall(r"`migration-guard renumber [^`]*`", rendered)
    assert "0003_@octocat_and_@acme/team" in command and ZWJ not in command


def test_github_annotations_break_mentions() -> None:
    hostile = named(3, "@octocat")
    src = sources([], problems=["PR #9 by @mallory: cut"])
    lines = check_report.github(report([hostile], src)).split("\n")
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == 2
    for line in annotations:
        message = line.split("::", 2)[2]
        assert re.search(r"@(?!\u200d)", message) is None, line
    # The file property must still name the real file, or the annotation lands nowhere.
    assert annotations[0].startswith(f"::error file={V}/0003_@octocat.py,")
