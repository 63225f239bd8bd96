from __future__ import annotations

import json

from migration_guard.model import (
    ChainKind,
    ChainSpec,
    ChainState,
    Finding,
    Head,
    Migration,
    Severity,
)
from migration_guard.report import (
    chain_json,
    chains_text,
    finding_line,
    heads_text,
    lint_text,
    plural,
    to_json,
)

V = "console/migrations/versions"
CONSOLE = ChainSpec("console", "Console", ChainKind.ALEMBIC, V, 4)
QUEUE = ChainSpec("queue", "Queue", ChainKind.SQITCH, "queue/sqitch.plan", 2)


def mig(number: int, slug: str) -> Migration:
    return Migration(
        "console", number, f"{number:04d}", f"{number:04d}_{slug}", f"{V}/{number:04d}_{slug}.py"
    )


def q(number: int, slug: str) -> Migration:
    return Migration("queue", number, f"{number:02d}", f"{number:02d}-{slug}", QUEUE.path)


DUPLICATE = Finding(
    "MG101",
    "duplicate revision id 'abc'",
    f"{V}/0003_b.py",
    7,
    hint="give one of them a new id",
)
NO_PREFIX = Finding("MG202", "change name without number prefix: fix_typo", QUEUE.path, 4)
WIDTH = Finding(
    "MG208",
    "change number 7 not padded to width 2",
    QUEUE.path,
    hint="name it 07-...",
    severity=Severity.WARNING,
)
GLOBAL = Finding("MG105", "no migrations found")

OK_CONSOLE = ChainState(
    CONSOLE,
    (mig(1, "init"), mig(2, "users")),
    (Head("b2", f"{V}/0002_users.py"),),
)
TWO_HEADS = ChainState(
    CONSOLE,
    (mig(1, "init"), mig(2, "a"), mig(2, "b")),
    (Head("a2", f"{V}/0002_a.py"), Head("b2", f"{V}/0002_b.py")),
    (Finding("MG102", "2 heads: a2, b2", hint="renumber one of them onto the other"),),
)


def test_plural() -> None:
    assert [plural(0, "head"), plural(1, "head"), plural(2, "head")] == [
        "0 heads",
        "1 head",
        "2 heads",
    ]
    assert plural(2, "change", "changes!") == "2 changes!"


def test_finding_line() -> None:
    assert finding_line(DUPLICATE) == f"{V}/0003_b.py:7: MG101 duplicate revision id 'abc'"
    assert finding_line(WIDTH) == (
        "queue/sqitch.plan: MG208 warning: change number 7 not padded to width 2"
    )
    assert finding_line(GLOBAL) == "MG105 no migrations found"


# --- heads -----------------------------------------------------------------------------------


def test_heads_ok() -> None:
    assert heads_text([OK_CONSOLE]) == (
        f"Console: OK (exactly 1 head)\n  head b2  {V}/0002_users.py"
    )


def test_heads_fail_with_several_heads_and_a_hint() -> None:
    assert heads_text([TWO_HEADS]) == (
        "Console: FAIL (2 heads)\n"
        f"  head a2  {V}/0002_a.py\n"
        f"  head b2  {V}/0002_b.py\n"
        "  MG102 2 heads: a2, b2\n"
        "      hint: renumber one of them onto the other"
    )


def test_heads_fail_with_one_head_but_errors() -> None:
    state = ChainState(CONSOLE, OK_CONSOLE.migrations, OK_CONSOLE.heads, (DUPLICATE, DUPLICATE))
    assert heads_text([state]) == (
        "Console: FAIL (1 head, 2 problems)\n"
        f"  head b2  {V}/0002_users.py\n"
        f"  {V}/0003_b.py:7: MG101 duplicate revision id 'abc'\n"
        "      hint: give one of them a new id\n"
        f"  {V}/0003_b.py:7: MG101 duplicate revision id 'abc'\n"
        "      hint: give one of them a new id"
    )


def test_heads_ok_with_a_warning_and_fail_with_no_head() -> None:
    warned = ChainState(CONSOLE, OK_CONSOLE.migrations, OK_CONSOLE.heads, (WIDTH,))
    empty = ChainState(ChainSpec("audit", "Audit", ChainKind.ALEMBIC, "audit/versions", 3))
    assert heads_text([warned, empty]) == (
        "Console: OK (exactly 1 head)\n"
        f"  head b2  {V}/0002_users.py\n"
        "  queue/sqitch.plan: MG208 warning: change number 7 not padded to width 2\n"
        "      hint: name it 07-...\n"
        "Audit: FAIL (0 heads)"
    )
    assert heads_text([]) == ""


# --- lint ------------------------------------------------------------------------------------


def test_lint_ok_fail_and_warnings() -> None:
    queue_ok = ChainState(QUEUE, (q(1, "a"),), (Head("01-a", QUEUE.path),))
    queue_warn = ChainState(QUEUE, (q(1, "a"), q(2, "b")), (), (WIDTH, WIDTH))
    queue_fail = ChainState(QUEUE, (q(1, "a"),), (), (NO_PREFIX, WIDTH))
    assert lint_text([OK_CONSOLE, queue_ok, queue_warn, queue_fail]) == (
        f"Console (alembic, {V}): OK (2 migrations)\n"
        "Queue (sqitch, queue/sqitch.plan): OK (1 change)\n"
        "Queue (sqitch, queue/sqitch.plan): OK (2 changes, 2 warnings)\n"
        "  queue/sqitch.plan: MG208 warning: change number 7 not padded to width 2\n"
        "      hint: name it 07-...\n"
        "  queue/sqitch.plan: MG208 warning: change number 7 not padded to width 2\n"
        "      hint: name it 07-...\n"
        "Queue (sqitch, queue/sqitch.plan): FAIL (1 problem)\n"
        "  queue/sqitch.plan:4: MG202 change name without number prefix: fix_typo\n"
        "  queue/sqitch.plan: MG208 warning: change number 7 not padded to width 2\n"
        "      hint: name it 07-..."
    )


def test_lint_of_an_empty_chain_and_a_single_warning() -> None:
    state = ChainState(CONSOLE, (), (), (WIDTH,))
    assert lint_text([state]).splitlines()[0] == (
        f"Console (alembic, {V}): OK (0 migrations, 1 warning)"
    )


# --- chains ----------------------------------------------------------------------------------


def test_chains_table() -> None:
    queue = ChainState(QUEUE, (q(1, "a"), q(12, "b")), (Head("12-b", QUEUE.path),), (NO_PREFIX,))
    assert chains_text([OK_CONSOLE, TWO_HEADS, queue], "migration-guard.toml") == (
        "3 chains (migration-guard.toml):\n"
        "  NAME     KIND     PATH                         NUMBERING   MIGRATIONS  HIGHEST  "
        "HEAD(S)\n"
        f"  console  alembic  {V}  sequential  2           0002     b2\n"
        f"  console  alembic  {V}  sequential  3           0002     a2, b2\n"
        "  queue    sqitch   queue/sqitch.plan            sequential  2           12       12-b\n"
        "Problems found in console, queue: run `migration-guard lint` for details."
    )


def test_chains_table_of_an_empty_chain() -> None:
    empty = ChainState(ChainSpec("a", "A", ChainKind.ALEMBIC, "v", 4))
    assert chains_text([empty], "discovered") == (
        "1 chain (discovered):\n"
        "  NAME  KIND     PATH  NUMBERING   MIGRATIONS  HIGHEST  HEAD(S)\n"
        "  a     alembic  v     sequential  0           -        -"
    )


def test_chains_table_shows_every_folder_and_discovery_notes() -> None:
    spec = ChainSpec("a", "A", ChainKind.ALEMBIC, "v", extra_paths=("w",))
    note = Finding("MG143", "x.ini: no script_location; no chain read from it", "x.ini", None, "h")
    assert chains_text([ChainState(spec)], "discovered", [note]) == (
        "1 chain (discovered):\n"
        "  NAME  KIND     PATH  NUMBERING   MIGRATIONS  HIGHEST  HEAD(S)\n"
        "  a     alembic  v, w  sequential  0           -        -\n"
        "Not read as chains:\n"
        "  x.ini: MG143 x.ini: no script_location; no chain read from it\n"
        "      hint: h"
    )


def test_no_chains() -> None:
    assert chains_text([], "discovered") == (
        "No migration chains found (discovered).\n"
        "Add migration-guard.toml with a [[chains]] table per chain (see docs/config.md), "
        "or an alembic.ini / sqitch.plan."
    )


# --- json ------------------------------------------------------------------------------------


def test_chain_json() -> None:
    assert chain_json(TWO_HEADS) == {
        "name": "console",
        "title": "Console",
        "kind": "alembic",
        "path": V,
        "paths": [V],
        "numbering": "sequential",
        "width": 4,
        "ok": False,
        "migrations": 3,
        "highest": "0002",
        "heads": [
            {"revision": "a2", "path": f"{V}/0002_a.py", "branch": []},
            {"revision": "b2", "path": f"{V}/0002_b.py", "branch": []},
        ],
        "branched": False,
        "undecided": [],
        "findings": [
            {
                "code": "MG102",
                "severity": "error",
                "message": "2 heads: a2, b2",
                "path": None,
                "line": None,
                "hint": "renumber one of them onto the other",
            }
        ],
    }
    assert chain_json(ChainState(QUEUE))["highest"] is None


def test_to_json_keeps_key_order_and_indents() -> None:
    text = to_json({"b": 1, "a": [True]})
    assert text == '{\n  "b": 1,\n  "a": [\n    true\n  ]\n}'
    assert json.loads(text) == {"b": 1, "a": [True]}
