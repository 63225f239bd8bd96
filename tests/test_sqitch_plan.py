"""The sqitch plan parser: exact messages and lines, the model, and sqitch's quirks.

``test_corpus_matches_recorded_sqitch`` checks every corpus plan against the outcome recorded
from sqitch 1.3.1 in ``expected.json`` (no sqitch needed); ``test_sqitch_parity.py`` re-runs
the real sqitch on the corpus, and ``test_sqitch_plan_claims.py`` on the plans of the tests
below that say what sqitch does (lists, skips, crashes, hangs).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from migration_guard.chains.sqitch.plan import (
    Dependency,
    ErrorKind,
    LineKind,
    Plan,
    PlanError,
    parse_plan,
)

CORPUS = Path(__file__).parent / "data" / "sqitch_plans"
TS = "2026-06-17T00:00:00Z"
WHO = "raxx-dev-bot <ops@raxx.app>"
INVALID_NAME = (
    'Invalid name; names must not begin with punctuation, contain "@", ":", "#", "\\", or '
    "blanks, or end in punctuation or digits following punctuation"
)
INVALID_PRAGMA = "Invalid pragma; a blank line must come between pragmas and changes"


def parse(*body: str, header: str = "%project=queue\n\n") -> Plan:
    return parse_plan((header + "".join(line + "\n" for line in body)).encode(), "sqitch.plan")


def first(plan: Plan) -> PlanError:
    assert plan.first_error is not None, "expected an error"
    return plan.first_error


# ------------------------------------------------------------------------------ corpus


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.plan")))
def test_corpus_matches_recorded_sqitch(name: str) -> None:
    recorded = json.loads((CORPUS / "expected.json").read_text())[name]
    plan = parse_plan((CORPUS / name).read_bytes(), "PLAN")
    error = plan.first_error
    if recorded["sqitch"] == "accept":
        assert error is None
    elif recorded["sqitch"] in ("crash", "hang"):
        assert error is not None and error.kind is ErrorKind.CRASH
    else:
        assert error is not None and error.kind is not ErrorKind.CRASH
        assert error.sqitch_line == recorded.get("line")
        assert error.message == recorded["message"]


# ------------------------------------------------------------------------------ the model


def test_valid_plan_model() -> None:
    plan = parse_plan(
        (
            "%syntax-version=1.0.0\n"
            "%project=queue\n"
            "%uri=https://example.com/queue/\n"
            "\n"
            f"01-schema {TS} {WHO} # first\\nsecond\n"
            f"+02-jobs [01-schema !old:thing other:x@v2] {TS} Ann Lee <ann@example.com>\n"
            f"@v1 {TS} {WHO} # release\n"
            "# a comment\n"
            f"03-workers [@v1 02-jobs@v1] {TS} {WHO}\n"
        ).encode(),
        "q/sqitch.plan",
    )
    assert plan.ok and plan.errors == ()
    assert (plan.project, plan.uri, plan.path) == (
        "queue",
        "https://example.com/queue/",
        "q/sqitch.plan",
    )
    assert [(p.line, p.name, p.value) for p in plan.pragmas] == [
        (1, "syntax-version", "1.0.0"),
        (2, "project", "queue"),
        (3, "uri", "https://example.com/queue/"),
    ]
    assert [line.kind for line in plan.lines] == [
        LineKind.PRAGMA,
        LineKind.PRAGMA,
        LineKind.PRAGMA,
        LineKind.BLANK,
        LineKind.CHANGE,
        LineKind.CHANGE,
        LineKind.TAG,
        LineKind.COMMENT,
        LineKind.CHANGE,
    ]
    one, two, three = plan.changes
    assert (one.line, one.name, one.operator, one.timestamp) == (5, "01-schema", "", TS)
    assert (one.planner_name, one.planner_email) == ("raxx-dev-bot", "ops@raxx.app")
    assert (one.note_raw, one.note) == ("first\\nsecond", "first\nsecond")
    assert (two.operator, two.planner_name, two.planner_email) == (
        "+",
        "Ann Lee",
        "ann@example.com",
    )
    text = plan.lines[5].text
    assert text[two.name_start : two.name_end] == "02-jobs"
    assert [(d.text, text[d.start : d.end]) for d in two.dependencies] == [
        ("01-schema", "01-schema"),
        ("!old:thing", "!old:thing"),
        ("other:x@v2", "other:x@v2"),
    ]
    assert two.dependencies[1] == Dependency("!old:thing", 20, 30, True, "old", "thing", None, None)
    assert [d.key_name for d in two.requires] == ["01-schema", "x@v2"]
    assert [d.type for d in two.dependencies] == ["requires", "conflicts", "requires"]
    assert two.tags == ("v1",) and one.tags == ()
    assert (three.since_tag, two.since_tag) == ("v1", None)
    assert [(d.change, d.tag) for d in three.dependencies] == [(None, "v1"), ("02-jobs", "v1")]
    (tag,) = plan.tags
    assert (tag.line, tag.name, tag.change, tag.change_line, tag.note) == (
        7,
        "v1",
        "02-jobs",
        6,
        "release",
    )
    assert plan.lines[6].text[tag.name_start : tag.name_end] == "v1"
    assert plan.last_change == three


def test_crlf_line_endings_are_kept_apart_from_the_text() -> None:
    plan = parse_plan(f"%project=q\r\n\r\n01-a {TS} {WHO}\r\n02-b {TS} {WHO}".encode(), "p")
    assert plan.ok
    assert [(line.text, line.ending) for line in plan.lines] == [
        ("%project=q", "\r\n"),
        ("", "\r\n"),
        (f"01-a {TS} {WHO}", "\r\n"),
        (f"02-b {TS} {WHO}", ""),
    ]


def test_rework_tags_nearest_first() -> None:
    plan = parse(
        f"01-fn {TS} {WHO}",
        f"@v1 {TS} {WHO}",
        f"02-x {TS} {WHO}",
        f"@v2 {TS} {WHO}",
        f"@v2b {TS} {WHO}",
        f"01-fn [01-fn@v2] {TS} {WHO}",
        f"@v3 {TS} {WHO}",
        f"01-fn {TS} {WHO}",
    )
    assert plan.ok
    first_fn, _x, second_fn, third_fn = plan.changes
    assert first_fn.rework_tags == ("v2", "v2b", "v1")
    assert second_fn.rework_tags == ("v3",)
    assert third_fn.rework_tags == () and not third_fn.is_reworked
    assert first_fn.is_reworked


def test_notes_decoding() -> None:
    plan = parse(
        f"01-a {TS} {WHO} #  a \\\\n b \\n c \\r d \\t e  ",
        f"02-b {TS} {WHO} #",
        f"03-c {TS} {WHO} # 0",
    )
    a, b, c = plan.changes
    assert a.note_raw == "a \\\\n b \\n c \\r d \\t e  "
    assert a.note == "a \\n b \n c \r d \\t e"
    assert (b.note_raw, b.note) == ("", "")
    assert (c.note_raw, c.note) == ("0", "0")


# ------------------------------------------------------------------------------ messages


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ([f"01-a [{TS}] {WHO}"], 3, INVALID_NAME),
        ([f"01-a {WHO}"], 3, "Missing timestamp"),
        ([f"01-a {TS}"], 3, "Missing planner name and email"),
        (["01-a"], 3, "Missing timestamp and planner name and email"),
        ([f"01-a {TS} 0 <x@y>"], 3, "Missing planner name and email"),
        ([f"0 {TS} {WHO}"], 3, INVALID_NAME),
        (["#"], 3, INVALID_NAME),
        ([f"ROOT {TS} {WHO}"], 3, '"ROOT" is a reserved name'),
        ([f"01-a {TS} {WHO}", f"@HEAD {TS} {WHO}"], 4, '"@HEAD" is a reserved name'),
        (
            [f"{'a' * 40} {TS} {WHO}"],
            3,
            f'"{"a" * 40}" is invalid because it could be confused with a SHA1 ID',
        ),
        ([f"01-a {TS} {WHO}", f"@a/b {TS} {WHO}"], 4, 'Tag "a/b" contains illegal character /'),
        ([f"@v1 {TS} {WHO}"], 3, 'Tag "v1" declared without a preceding change'),
        (
            [f"01-a {TS} {WHO}", f"@v1 {TS} {WHO}", f"@v1 {TS} {WHO}"],
            5,
            'Tag "v1" duplicates earlier declaration on line 4',
        ),
        ([f"01-a {TS} {WHO}", f"@v1 [01-a] {TS} {WHO}"], 4, "Tags may not specify dependencies"),
        (
            [f"01-a {TS} {WHO}", f"01-a {TS} {WHO}"],
            4,
            'Change "01-a" duplicates earlier declaration on line 3',
        ),
        ([f"01-a [x@] {TS} {WHO}"], 3, '"x@" is not a valid dependency specification'),
        ([f"01-a [x x] {TS} {WHO}"], 3, 'Duplicate dependency "x"'),
        ([f"01-a- {TS} {WHO}"], 3, INVALID_NAME),
        ([f"01-a~2 {TS} {WHO}"], 3, INVALID_NAME),
        ([f"01-a\t{TS} {WHO}", f"\t02-b [01-a] {WHO}"], 4, "Missing timestamp"),
    ],
)
def test_syntax_errors(body: list[str], line: int, message: str) -> None:
    error = first(parse(*body))
    assert (error.kind, error.line, error.message) == (ErrorKind.SYNTAX, line, message)
    assert (
        error.sqitch_text("sqitch.plan") == f"Syntax error in sqitch.plan at line {line}: {message}"
    )


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        ("\ufeff%project=q\n\n", 1, INVALID_PRAGMA),
        ("%project=q\n#\n\n", 2, INVALID_PRAGMA),
        ("%project=\n\n", 1, INVALID_PRAGMA),
        (
            "%project\n\n",
            1,
            'invalid project name "{project}": project names must not begin with punctuation, '
            'contain "@", ":", "#", "\\", or blanks, or end in punctuation or digits following '
            "punctuation",
        ),
        (
            "%project=a b\n\n",
            1,
            'invalid project name "a b": project names must not begin with punctuation, '
            'contain "@", ":", "#", "\\", or blanks, or end in punctuation or digits following '
            "punctuation",
        ),
    ],
)
def test_header_errors(header: str, line: int, message: str) -> None:
    error = first(parse(f"01-a {TS} {WHO}", header=header))
    assert (error.kind, error.line, error.message) == (ErrorKind.SYNTAX, line, message)


@pytest.mark.parametrize(
    "header", ["%syntax-version=1.0.0\n\n", "\n%project=q\n\n", "%project=0\n\n", "# plan\n\n"]
)
def test_missing_project(header: str) -> None:
    error = first(parse(f"01-a {TS} {WHO}", header=header))
    assert (error.kind, error.line, error.message) == (
        ErrorKind.PROJECT,
        None,
        "Missing %project pragma in sqitch.plan",
    )
    assert error.sqitch_line is None


def test_dependency_errors_come_as_sqitch_lists_them() -> None:
    plan = parse(
        f"01-a [03-c 02-b] {TS} {WHO}",
        f"02-b {TS} {WHO}",
        f"03-c {TS} {WHO}",
        f"04-d [01-a zz 04-d] {TS} {WHO}",
    )
    assert [(e.kind, e.line, e.message, e.hint) for e in plan.errors] == [
        (
            ErrorKind.DEPENDENCY,
            3,
            'Change "01-a" planned 2 changes before required change "03-c"',
            None,
        ),
        (
            ErrorKind.DEPENDENCY,
            3,
            'Change "01-a" planned 1 change before required change "02-b"',
            'move "01-a" down 2 lines in sqitch.plan',
        ),
        (ErrorKind.DEPENDENCY, 6, 'Unknown change "zz" required by change "04-d"', None),
        (ErrorKind.DEPENDENCY, 6, 'Change "04-d" cannot require itself', None),
    ]
    assert all(e.sqitch_line is None for e in plan.errors)


def test_dependency_errors_are_raised_at_the_tag_before_later_syntax_errors() -> None:
    plan = parse(f"01-a [zz] {TS} {WHO}", f"@v1 {TS} {WHO}", "02-broken")
    assert [(e.kind, e.line) for e in plan.errors] == [
        (ErrorKind.DEPENDENCY, 3),
        (ErrorKind.SYNTAX, 5),
    ]


def test_requiring_an_old_tag_after_a_rework_is_unknown_to_sqitch() -> None:
    plan = parse(
        f"01-fn {TS} {WHO}",
        f"@v1 {TS} {WHO}",
        f"01-fn [01-fn@v1] {TS} {WHO}",
        f"@v2 {TS} {WHO}",
        f"02-x [01-fn@v1] {TS} {WHO}",
    )
    assert first(plan).message == 'Unknown change "01-fn@v1" required by change "02-x"'


def test_dependencies_that_sqitch_skips() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    plan = parse(
        f"01-a [other:x !other:y !zz !01-a other:{sha}] {TS} {WHO}",
        f"02-b [0] {TS} {WHO}",
        f"03-c [  ] {TS} {WHO}",
        f"@v1 [0] {TS} {WHO}",
        f"04-d [!queue:{sha}] {TS} {WHO}",
    )
    assert plan.ok, plan.errors
    assert plan.changes[1].dependencies == () and plan.changes[2].dependencies == ()


# ------------------------------------------------------------------------------ crashes


@pytest.mark.parametrize(
    ("timestamp", "problem"),
    [
        ("2026-13-01T00:00:00Z", "there is no month 13"),
        ("2026-00-01T00:00:00Z", "there is no month 00"),
        ("2026-04-31T00:00:00Z", "2026-04 has no day 31"),
        ("1900-02-29T00:00:00Z", "1900-02 has no day 29"),
        ("2026-01-00T00:00:00Z", "there is no day 00"),
        ("2026-01-01T24:00:00Z", "there is no hour 24"),
        ("2026-01-01T23:60:00Z", "there is no minute 60"),
        ("2015-06-30T23:58:60Z", "there is no second 60 (not a leap second)"),
        ("2016-12-31T23:59:61Z", "there is no second 61 (not a leap second)"),
        ("２０２６-01-01T00:00:00Z", "it uses digits other than 0-9"),
    ],
)
def test_impossible_timestamps_crash_sqitch(timestamp: str, problem: str) -> None:
    error = first(parse(f"01-a {timestamp} {WHO}"))
    assert (error.kind, error.line) == (ErrorKind.CRASH, 3)
    assert error.message == f'Invalid timestamp "{timestamp}": {problem}'
    assert error.hint is not None and "sqitch 1.3.1" in error.hint


@pytest.mark.parametrize(
    "timestamp",
    [
        "2016-12-31T23:59:60Z",
        "2015-06-30T23:59:60Z",
        "2000-02-29T00:00:00Z",
        "0000-02-29T12:00:00Z",
    ],
)
def test_possible_timestamps(timestamp: str) -> None:
    assert parse(f"01-a {timestamp} {WHO}").ok


@pytest.mark.parametrize(
    ("deps", "message"),
    [
        ("!", 'Dependency "!" names no change, tag or change ID'),
        ("x:", 'Dependency "x:" names no change, tag or change ID'),
        ("!x:", 'Dependency "!x:" names no change, tag or change ID'),
        (" 01-a", 'Dependency list "[ 01-a]" starts with a blank'),
        ("0123456789abcdef0123456789abcdef01234567", None),
        ("!0123456789abcdef0123456789abcdef01234567", None),
    ],
)
def test_dependencies_that_crash_or_hang_sqitch(deps: str, message: str | None) -> None:
    error = first(parse(f"01-a {TS} {WHO}", f"02-b [{deps}] {TS} {WHO}"))
    assert (error.kind, error.line) == (ErrorKind.CRASH, 4)
    if message is None:
        assert error.message == f'Dependency "{deps}" is a bare change ID'
        assert error.hint is not None and "hangs" in error.hint
    else:
        assert error.message == message


def test_bare_change_id_hangs_only_after_parsing() -> None:
    """sqitch loops computing change ids, so a later syntax error is reported first."""
    plan = parse(f"01-a [{'0' * 40}] {TS} {WHO}", "02-broken")
    assert [e.kind for e in plan.errors] == [ErrorKind.SYNTAX, ErrorKind.CRASH]


# ------------------------------------------------------------------------------ hints


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (f"%project=q\n\n01-a [{TS}] {WHO}\n", "must not be in brackets"),
        (f"\ufeff%project=q\n\n01-a {TS} {WHO}\n", "byte order mark"),
        (f"%project=q\n01-a {TS} {WHO}\n", "blank line between the last pragma"),
        ("%project=q\n#\n\n", "bare '#'"),
        ("%project=q\n\n#\n", "bare '#'"),
        (f"%project=q\n\n0 {TS} {WHO}\n", 'named "0"'),
        (f"%project=q\n\n01-a {TS} 0 <a@b>\n", 'planner named "0"'),
        (f"%project=q\n\n01-a {TS} {WHO}\r", "carriage return"),
        (f"%project=q\n\n01-a {TS} a <a#1@b>\n", "cannot contain '#'"),
        (f"%project=q\n\n01-a 2026-06-17 00:00:00 {WHO}\n", "exactly YYYY-MM-DDTHH:MM:SSZ"),
        (f"\n%project=q\n\n01-a {TS} {WHO}\n", "starts with a blank line"),
        (f"%project=0\n\n01-a {TS} {WHO}\n", 'project name "0"'),
        (f"%project=q\n\n01-a {TS} {WHO}\n\n%uri=x\n", "only allowed in the header"),
        ("%project\n\n", "%project=name"),
        (f"%syntax-version=1.0.0\n\n%project=q\n01-a {TS} {WHO}\n", "see line 3"),
    ],
)
def test_hints_where_sqitch_misleads(text: str, needle: str) -> None:
    error = first(parse_plan(text.encode(), "p"))
    assert error.hint is not None and needle in error.hint, error


# ------------------------------------------------------------------------------ collecting more


def test_line_local_errors_are_all_collected() -> None:
    plan = parse(f"01-a [{TS}] {WHO}", f"02-b {TS} {WHO}", f"03-c [{TS}] {WHO}", "04-d")
    assert [(e.line, e.message) for e in plan.errors] == [
        (3, INVALID_NAME),
        (5, INVALID_NAME),
        (6, "Missing timestamp and planner name and email"),
    ]
    assert [c.name for c in plan.changes] == ["02-b"]
    assert [line.kind for line in plan.lines[2:]] == [
        LineKind.INVALID,
        LineKind.CHANGE,
        LineKind.INVALID,
        LineKind.INVALID,
    ]


def test_errors_that_depend_on_a_skipped_line_are_not_reported() -> None:
    # Line 3 is skipped, so "02-b requires 01-a" and "tag without change" would be false.
    plan = parse(f"@v0 [x] {TS} {WHO}", f"01-a {TS}", f"02-b [01-a] {TS} {WHO}", f"@v0 {TS} {WHO}")
    assert [(e.line, e.message) for e in plan.errors] == [
        (3, 'Tag "v0" declared without a preceding change'),
        (4, "Missing planner name and email"),
    ]


def test_a_missing_blank_line_is_reported_once_and_the_changes_are_read() -> None:
    plan = parse_plan(
        f"%project=q\n01-a {TS} {WHO}\n02-b [01-a] {TS} {WHO}\n03-c [zz] {TS} {WHO}\n".encode(),
        "p",
    )
    assert [(e.kind, e.line) for e in plan.errors] == [
        (ErrorKind.SYNTAX, 2),
        (ErrorKind.DEPENDENCY, 4),
    ]
    assert [c.name for c in plan.changes] == ["01-a", "02-b", "03-c"]


# ------------------------------------------------------------------------------ text and bytes


def test_perl_blanks_and_word_characters() -> None:
    ok = parse(
        f"01-a\u00a0{TS}\u3000{WHO}",  # NBSP and ideographic space are [[:blank:]]
        f"02-cafe\u0301 {TS} {WHO}",  # a combining mark is a Perl word character
        f"03-\u24b6 {TS} {WHO}",  # so is a circled letter (Other_Alphabetic)
        f"04-x\u203f {TS} {WHO}",  # and connector punctuation
    )
    assert ok.ok, ok.errors
    assert [c.name for c in ok.changes] == ["01-a", "02-cafe\u0301", "03-\u24b6", "04-x\u203f"]
    # Superscript two is a word character for Python but not for Perl.
    assert first(parse(f"01-x\u00b2 {TS} {WHO}")).message == INVALID_NAME


def test_last_line_zero_is_never_read() -> None:
    plan = parse_plan(f"%project=q\n\n01-a {TS} {WHO}\n0".encode(), "p")
    assert plan.ok and plan.lines[-1].kind is LineKind.UNREAD
    assert not parse_plan(f"%project=q\n\n01-a {TS} {WHO}\n00".encode(), "p").ok


@pytest.mark.parametrize(
    ("tail", "message", "line"),
    [
        (b"# caf\xe9\n", "Can't decode ill-formed UTF-8 octet sequence <E9>", 4),
        (b"# \xed\xa0\x80\n", "Can't decode ill-formed UTF-8 octet sequence <ED>", 4),
        (b"# \xe2\x82\n", "Can't decode ill-formed UTF-8 octet sequence <E2 82>", 4),
        (b"# \xe2\x82", "Can't decode ill-formed UTF-8 octet sequence <E2 82> at end of file", 4),
        ("# \ufdd0\n".encode(), "Can't interchange noncharacter code point U+FDD0", 4),
        ("# \U0010ffff\n".encode(), "Can't interchange noncharacter code point U+10FFFF", 4),
    ],
)
def test_strict_utf8(tail: bytes, message: str, line: int) -> None:
    plan = parse_plan(f"%project=q\n\n01-a {TS} {WHO}\n".encode() + tail, "p")
    assert [(e.kind, e.message, e.line) for e in plan.errors] == [
        (ErrorKind.ENCODING, message, line)
    ]


def test_utf8_errors_are_noticed_8k_at_a_time() -> None:
    head = f"%project=q\n\n01-a {TS} {WHO}\n02-broken\n".encode()

    def with_bad_byte_at(offset: int) -> Plan:
        filler = b"#" + b"x" * (offset - len(head) - 4) + b"\n"
        data = head + filler + b"# \xff\n"
        assert data.index(b"\xff") == offset
        return parse_plan(data, "p")

    assert first(with_bad_byte_at(8191)).kind is ErrorKind.ENCODING
    late = with_bad_byte_at(8192)
    assert [(e.kind, e.line) for e in late.errors] == [
        (ErrorKind.SYNTAX, 4),
        (ErrorKind.ENCODING, 6),
    ]
    assert late.lines[-1].kind is LineKind.UNREAD


def test_parsing_2000_changes_is_fast() -> None:
    lines = ["%syntax-version=1.0.0", "%project=queue", ""]
    for i in range(1, 2001):
        deps = f" [{i - 1:04d}-change]" if i % 3 == 0 else ""
        lines.append(f"{i:04d}-change{deps} {TS} {WHO} # note {i}")
        if i % 100 == 0:
            lines.append(f"@v{i // 100} {TS} {WHO}")
    data = ("\n".join(lines) + "\n").encode()
    best = min(_timed(data) for _ in range(3))
    assert best < 0.5, best


def _timed(data: bytes) -> float:
    start = time.perf_counter()
    plan = parse_plan(data, "p")
    elapsed = time.perf_counter() - start
    assert len(plan.changes) == 2000
    return elapsed


def test_a_plan_without_header_gets_both_errors() -> None:
    plan = parse_plan(f"01-a {TS} {WHO}\n".encode(), "p")
    assert [(e.kind, e.line, e.hint is None) for e in plan.errors] == [
        (ErrorKind.SYNTAX, 1, False),
        (ErrorKind.PROJECT, None, True),
    ]
    assert [c.name for c in plan.changes] == ["01-a"]
