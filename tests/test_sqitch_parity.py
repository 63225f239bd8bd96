"""Parity with the real ``sqitch plan`` 1.3.1 on every plan of the corpus.

For each ``tests/data/sqitch_plans/*.plan``: our verdict equals sqitch's (accept or reject);
where both reject, the message and the line number (when sqitch prints one) are the same; where
sqitch crashes or hangs, we reject with a ``crash`` error of our own. ``expected.json`` records
sqitch's outcome per plan (which ones crash or hang, which line), and is checked against the
real run too, so it cannot rot.

sqitch must be installed: without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from migration_guard.chains.sqitch.plan import ErrorKind, Plan, parse_plan
from migration_guard.chains.sqitch.reader import lint_plan
from migration_guard.tree import WorkTree

pytestmark = [pytest.mark.sqitch, pytest.mark.slow]

CORPUS = Path(__file__).parent / "data" / "sqitch_plans"
PLANS = sorted(p.name for p in CORPUS.glob("*.plan"))
TIMEOUT = 30  # seconds; the hanging inputs hit the memory limit long before
MEMORY_KB = 1024 * 1024  # ulimit -v: a looping sqitch dies instead of eating the machine
WORKERS = 4

_SYNTAX = re.compile(r"^Syntax error in (?P<file>.+) at line (?P<line>\d+): (?P<msg>.*)$", re.M)
_PERL_AT = re.compile(r" at /\S+ line \d+(?:, <\w+> line \d+)?\.$")


@dataclass(frozen=True)
class SqitchOutcome:
    verdict: str  # accept, reject, crash, hang
    line: int | None = None
    messages: tuple[str, ...] = ()  # reject: sqitch's message(s); dependency items in order
    hint: str | None = None  # the HINT line of a dependency order error
    raw: str = ""


def sqitch_env(home: Path, conf: Path) -> dict[str, str]:
    """Only our config file: no user or system sqitch.conf, no HOME, English messages."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "SQITCH_CONFIG": str(conf),
        "SQITCH_USER_CONFIG": str(home / "no-user.conf"),
        "SQITCH_SYSTEM_CONFIG": str(home / "no-system.conf"),
        "SQITCH_FULLNAME": "Parity Test",
        "SQITCH_EMAIL": "parity@example.com",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
    }


def _conf_quote(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_sqitch_plan(plan: Path) -> SqitchOutcome:
    """``sqitch plan`` on ``plan`` with engine sqlite (it parses without connecting)."""
    sqitch = shutil.which("sqitch")
    assert sqitch is not None, "sqitch is not installed (apt-get install sqitch)"
    with tempfile.TemporaryDirectory(prefix="mg-sqitch-") as tmp:
        home = Path(tmp)
        conf = home / "sqitch.conf"
        conf.write_text(f"[core]\n\tengine = sqlite\n\tplan_file = {_conf_quote(plan)}\n")
        try:
            proc = subprocess.run(
                ["sh", "-c", f'ulimit -v {MEMORY_KB} && exec "$0" plan', sqitch],
                cwd=home,
                env=sqitch_env(home, conf),
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return SqitchOutcome("hang", raw="timeout")
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace").replace(str(plan), "PLAN")
    return classify(proc.returncode, out, err)


def classify(returncode: int, out: str, err: str) -> SqitchOutcome:
    if returncode == 0 or (returncode == 1 and out.startswith("No changes in ")):
        return SqitchOutcome("accept", raw=err)
    first = err.lstrip().splitlines()[0] if err.strip() else ""
    if returncode == 2:
        syntax = _SYNTAX.search(err)
        if syntax is not None:
            return SqitchOutcome(
                "reject", int(syntax.group("line")), (syntax.group("msg"),), raw=err
            )
        if first.startswith("Missing %project pragma in "):
            return SqitchOutcome("reject", None, (first,), raw=err)
        if first.startswith(("Dependency error detected:", "Dependency errors detected:")):
            items = tuple(line.strip() for line in err.splitlines()[1:] if line.startswith("  "))
            hints = [i for i in items if i.startswith("HINT: ")]
            return SqitchOutcome(
                "reject",
                None,
                tuple(i for i in items if not i.startswith("HINT: ")),
                hints[0].removeprefix("HINT: ") if hints else None,
                raw=err,
            )
        if first.startswith(("Can't decode ill-formed UTF-8", "Can't interchange noncharacter")):
            return SqitchOutcome("reject", None, (_PERL_AT.sub("", first),), raw=err)
    if "Deep recursion" in err:
        return SqitchOutcome("hang", raw=err)
    return SqitchOutcome("crash", raw=err)


def our_plan(name: str) -> Plan:
    return parse_plan((CORPUS / name).read_bytes(), "PLAN")


@pytest.fixture(scope="module")
def sqitch_results() -> Iterator[dict[str, SqitchOutcome]]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = pool.map(lambda name: run_sqitch_plan(CORPUS / name), PLANS)
        yield dict(zip(PLANS, outcomes, strict=True))


def test_sqitch_is_installed_and_1_3_1() -> None:
    sqitch = shutil.which("sqitch")
    assert sqitch is not None, "sqitch must be installed for the parity tests"
    version = subprocess.run(
        [sqitch, "--version"], capture_output=True, text=True, check=True, timeout=TIMEOUT
    ).stdout
    assert "v1.3.1" in version, version


def test_corpus_size_and_coverage() -> None:
    assert len(PLANS) >= 60
    expected = json.loads((CORPUS / "expected.json").read_text())
    assert sorted(expected) == PLANS
    verdicts = {v["sqitch"] for v in expected.values()}
    assert verdicts == {"accept", "reject", "crash", "hang"}


@pytest.mark.parametrize("name", PLANS)
def test_parity(name: str, sqitch_results: dict[str, SqitchOutcome]) -> None:
    theirs = sqitch_results[name]
    plan = our_plan(name)
    first = plan.first_error
    if theirs.verdict == "accept":
        assert first is None, f"sqitch accepts {name}, we reject: {first}"
        return
    assert first is not None, f"sqitch rejects {name} ({theirs.verdict}), we accept"
    if theirs.verdict in ("crash", "hang"):
        assert first.kind is ErrorKind.CRASH, (first, theirs.raw[:300])
        assert first.message and first.hint
        return
    assert first.kind is not ErrorKind.CRASH, (first, theirs.raw[:300])
    assert first.sqitch_line == theirs.line
    if first.kind is ErrorKind.DEPENDENCY:
        ours = [e for e in plan.errors if e.kind is ErrorKind.DEPENDENCY]
        assert [e.message for e in ours[: len(theirs.messages)]] == list(theirs.messages)
        if theirs.hint is not None:
            assert theirs.hint in [e.hint for e in ours]
    else:
        assert first.message == theirs.messages[0]


@pytest.mark.parametrize("name", PLANS)
def test_recorded_outcome(name: str, sqitch_results: dict[str, SqitchOutcome]) -> None:
    """expected.json says what sqitch 1.3.1 does with each plan; keep it true."""
    recorded = json.loads((CORPUS / "expected.json").read_text())[name]
    theirs = sqitch_results[name]
    assert recorded["sqitch"] == theirs.verdict
    assert recorded.get("line") == theirs.line
    if theirs.verdict == "reject":
        assert recorded["message"] == theirs.messages[0]


@pytest.mark.parametrize("name", PLANS)
def test_syntax_only_lint_matches(name: str, sqitch_results: dict[str, SqitchOutcome]) -> None:
    """``lint --syntax-only`` finds nothing exactly when sqitch accepts."""
    findings = lint_plan(WorkTree(CORPUS), name, None, syntax_only=True)
    assert (not findings) == (sqitch_results[name].verdict == "accept")
    codes = {f.code for f in findings}
    assert codes <= {"MG201", "MG207", "MG209", "MG210"}
    if sqitch_results[name].verdict in ("crash", "hang"):
        assert findings[0].code == "MG207"
