"""The sqitch behaviours that tests in test_sqitch_plan.py state by hand, checked against the
real ``sqitch plan`` 1.3.1 in one batch: each case's plan text goes to sqitch and to our
parser, and both must say the same (accept, reject with the same messages, or crash/hang
where we refuse with a crash error). sqitch must be installed: without it this fails."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from migration_guard.chains.sqitch.plan import ErrorKind, Plan, parse_plan
from test_sqitch_parity import WORKERS, SqitchOutcome, run_sqitch_plan
from test_sqitch_plan import TS, WHO

pytestmark = [pytest.mark.sqitch, pytest.mark.slow]

HEADER = "%project=queue\n\n"
SHA = "0123456789abcdef0123456789abcdef01234567"

# name -> plan lines after the header; each is a case a test in test_sqitch_plan.py names.
CASES: dict[str, list[str]] = {
    # test_dependency_errors_come_as_sqitch_lists_them
    "dependency errors": [
        f"01-a [03-c 02-b] {TS} {WHO}",
        f"02-b {TS} {WHO}",
        f"03-c {TS} {WHO}",
        f"04-d [01-a zz 04-d] {TS} {WHO}",
    ],
    # test_requiring_an_old_tag_after_a_rework_is_unknown_to_sqitch
    "old tag after a rework": [
        f"01-fn {TS} {WHO}",
        f"@v1 {TS} {WHO}",
        f"01-fn [01-fn@v1] {TS} {WHO}",
        f"@v2 {TS} {WHO}",
        f"02-x [01-fn@v1] {TS} {WHO}",
    ],
    # test_dependencies_that_sqitch_skips
    "skipped dependencies": [
        f"01-a [other:x !other:y !zz !01-a other:{SHA}] {TS} {WHO}",
        f"02-b [0] {TS} {WHO}",
        f"03-c [  ] {TS} {WHO}",
        f"@v1 [0] {TS} {WHO}",
        f"04-d [!queue:{SHA}] {TS} {WHO}",
    ],
}
# test_impossible_timestamps_crash_sqitch
for stamp in (
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:60:00Z",
    "2015-06-30T23:58:60Z",
    "2016-12-31T23:59:61Z",
    "２０２６-01-01T00:00:00Z",
    "2026-01-01T23:59:60Z",  # 23:59:60, but not a day with a leap second
):
    CASES[f"timestamp {stamp}"] = [f"01-a {stamp} {WHO}"]
# test_possible_timestamps
for stamp in ("2016-12-31T23:59:60Z", "2015-06-30T23:59:60Z", "2000-02-29T00:00:00Z"):
    CASES[f"timestamp {stamp}"] = [f"01-a {stamp} {WHO}"]
# test_dependencies_that_crash_or_hang_sqitch
for deps in ("!", "x:", "!x:", " 01-a", SHA, f"!{SHA}"):
    CASES[f"dependency [{deps}]"] = [f"01-a {TS} {WHO}", f"02-b [{deps}] {TS} {WHO}"]


def _text(name: str) -> str:
    return HEADER + "".join(line + "\n" for line in CASES[name])


@pytest.fixture(scope="module")
def sqitch_says() -> dict[str, SqitchOutcome]:
    with tempfile.TemporaryDirectory(prefix="mg-claims-") as tmp:
        paths = []
        for n, name in enumerate(CASES):
            path = Path(tmp) / f"{n}.plan"
            path.write_text(_text(name), encoding="utf-8")
            paths.append(path)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return dict(zip(CASES, pool.map(run_sqitch_plan, paths), strict=True))


def _ours(name: str) -> Plan:
    return parse_plan(_text(name).encode(), "PLAN")  # the name sqitch's messages get


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_the_plan_tests_say_of_sqitch_is_what_sqitch_does(
    name: str, sqitch_says: dict[str, SqitchOutcome]
) -> None:
    theirs = sqitch_says[name]
    plan = _ours(name)
    first = plan.first_error
    if theirs.verdict == "accept":
        assert first is None, (name, first)
    elif theirs.verdict in ("crash", "hang"):
        assert first is not None and first.kind is ErrorKind.CRASH, (name, theirs.raw[:300])
    else:
        assert first is not None and first.kind is not ErrorKind.CRASH, (name, theirs.raw[:300])
        ours = [e for e in plan.errors if e.kind is first.kind]
        assert [e.message for e in ours] == list(theirs.messages), name
        assert first.sqitch_line == theirs.line
        if theirs.hint is not None:
            assert theirs.hint in [e.hint for e in ours]


def test_the_cases_cover_every_verdict(sqitch_says: dict[str, SqitchOutcome]) -> None:
    """The claims are of all kinds: sqitch accepts, rejects, crashes and hangs among them."""
    verdicts = {name: outcome.verdict for name, outcome in sqitch_says.items()}
    assert verdicts["skipped dependencies"] == "accept"
    assert verdicts["dependency errors"] == verdicts["old tag after a rework"] == "reject"
    assert verdicts["timestamp 2026-13-01T00:00:00Z"] == "crash"
    assert verdicts[f"dependency [{SHA}]"] == "hang"
