"""Reports other CIs read: GitLab Code Quality JSON and JUnit XML. Pure: results in, text out.

Every command's result becomes :class:`Case` records (one per chain, or per new migration for
``check``), each with the :class:`Issue` records found in it; both formats render those.

- GitLab Code Quality (``artifacts: reports: codequality``): a JSON array of issues with
  ``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location`` (``path``,
  ``lines.begin``). The fingerprint hashes what identifies the finding (tool, check, chain,
  file, and its rank among identical ones), never the message wording or the line number,
  so the merge request widget sees the same issue across pipelines and unrelated edits.
- JUnit XML: ``<testsuites>``, one ``<testsuite>`` per command, one ``<testcase>`` per
  case, a ``<failure>`` per issue that fails it and an ``<error>`` when it could not be
  decided. ElementTree escapes every file name.

A case that could not be decided is never rendered as clean: GitLab gets a ``blocker``
issue, JUnit an ``<error>``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from migration_guard.model import ChainState, Finding, Severity

TOOL = "migration-guard"
SEVERITIES = ("info", "minor", "major", "critical", "blocker")
UNDECIDED_CHECK = "undecided"


@dataclass(frozen=True)
class Issue:
    check: str  # the rule: a finding's code (MG102), or ``collision/number`` for check
    description: str
    severity: str  # one of SEVERITIES
    path: str | None = None
    line: int | None = None
    key: tuple[str, ...] = ()  # what identifies it besides check and path (chain, number)
    fails: bool = True  # False: a warning, shown but not a test failure


@dataclass(frozen=True)
class Case:
    suite: str  # the command, e.g. ``heads``
    name: str  # what was checked: a chain, a new migration
    issues: tuple[Issue, ...] = ()
    undecided: tuple[str, ...] = ()  # why no verdict could be given
    path: str | None = None  # where an undecided case points GitLab to

    @property
    def failed(self) -> bool:
        return any(i.fails for i in self.issues)


@dataclass
class _Ranks:
    seen: dict[tuple[str, ...], int] = field(default_factory=dict)

    def next(self, ident: tuple[str, ...]) -> int:
        rank = self.seen.get(ident, 0)
        self.seen[ident] = rank + 1
        return rank


def finding_issue(finding: Finding, chain: str) -> Issue:
    error = finding.severity is Severity.ERROR
    return Issue(
        check=finding.code,
        description=finding.message,
        severity="major" if error else "minor",
        path=finding.path,
        line=finding.line,
        key=(chain,),
        fails=error,
    )


def state_cases(
    suite: str, states: Sequence[ChainState], *, undecided: bool = True, heads: bool = False
) -> list[Case]:
    """One case per chain (``heads``, ``lint``, ``chains``): its findings as issues. With
    ``heads``, a chain without one head (nor intentional branches) fails even when no
    finding says why, so a failing gate never renders as a clean report."""
    cases = []
    for state in states:
        name = state.spec.name
        issues = [finding_issue(f, name) for f in state.findings]
        if heads and state.ok and not state.undecided and not state.heads_ok:
            issues.append(
                Issue(
                    check="heads",
                    description=f"{len(state.heads)} heads, expected exactly 1",
                    severity="major",
                    path=state.spec.path,
                    key=(name,),
                )
            )
        cases.append(
            Case(
                suite=suite,
                name=name,
                issues=tuple(issues),
                undecided=tuple(state.undecided) if undecided and state.ok else (),
                path=state.spec.path,
            )
        )
    return cases


def _undecided_issue(case: Case) -> Issue:
    return Issue(
        check=UNDECIDED_CHECK,
        description=f"{case.suite} could not decide {case.name}: " + "; ".join(case.undecided),
        severity="blocker",
        path=case.path,
        key=(case.suite, case.name),
    )


def _fingerprint(issue: Issue, rank: int) -> str:
    ident = "\0".join((TOOL, issue.check, *issue.key, issue.path or "", str(rank)))
    return hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def gitlab(cases: Sequence[Case]) -> str:
    """The Code Quality report: ``[]`` when nothing was found."""
    ranks = _Ranks()
    issues = []
    for case in cases:
        found = [*case.issues, *([_undecided_issue(case)] if case.undecided else [])]
        for issue in found:
            rank = ranks.next((issue.check, *issue.key, issue.path or ""))
            issues.append(
                {
                    "description": issue.description,
                    "check_name": f"{TOOL}/{issue.check}",
                    "fingerprint": _fingerprint(issue, rank),
                    "severity": issue.severity,
                    "location": {
                        "path": issue.path or ".",
                        "lines": {"begin": max(issue.line or 1, 1)},
                    },
                }
            )
    return json.dumps(issues, indent=2)


# Characters XML 1.0 cannot hold at all, even escaped: C0 controls other than tab and line
# breaks, lone surrogates (a non-UTF-8 file name's bytes), U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(value: str) -> str:
    """Text from a PR (file names) that XML can hold: what it cannot, shown as ``\\xNN``
    (a non-UTF-8 file name's byte) or ``\\uNNNN``. Markup is escaped by ElementTree."""

    def show(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"

    return _NOT_XML.sub(show, value)


def _where(issue: Issue) -> str:
    if issue.path is None:
        return ""
    return f"{issue.path}:{issue.line}: " if issue.line else f"{issue.path}: "


def junit(cases: Sequence[Case], *, suite: str) -> str:
    """JUnit XML as GitLab, Jenkins and most CIs read it."""
    import xml.etree.ElementTree as ET  # only for this format

    failures = sum(c.failed for c in cases)
    errors = sum(bool(c.undecided) and not c.failed for c in cases)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors)}
    root = ET.Element("testsuites", {"name": TOOL, **counts})
    element = ET.SubElement(root, "testsuite", {"name": f"{TOOL} {suite}", **counts})
    for case in cases:
        node = ET.SubElement(
            element, "testcase", {"classname": f"{TOOL}.{suite}", "name": _xml(case.name)}
        )
        failing = [i for i in case.issues if i.fails]
        if failing:
            failure = ET.SubElement(
                node,
                "failure",
                {"type": failing[0].check, "message": _xml(failing[0].description)},
            )
            failure.text = _xml("\n".join(f"{_where(i)}{i.check} {i.description}" for i in failing))
        elif case.undecided:
            error = ET.SubElement(
                node, "error", {"type": UNDECIDED_CHECK, "message": "could not decide"}
            )
            error.text = _xml("\n".join(case.undecided))
        warnings = [i for i in case.issues if not i.fails]
        if warnings:
            out = ET.SubElement(node, "system-out")
            out.text = _xml(
                "\n".join(f"{_where(i)}{i.check} warning: {i.description}" for i in warnings)
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def render(output_format: str, cases: Sequence[Case], *, suite: str) -> str:
    """``--format gitlab`` or ``--format junit``."""
    return gitlab(cases) if output_format == "gitlab" else junit(cases, suite=suite)
