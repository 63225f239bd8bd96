from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from migration_guard.errors import InputError, UsageError
from migration_guard.forges.base import ChangedFile, OpenChange
from migration_guard.forges.gh_json import GhJsonForge


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "prs.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_reads_gh_pr_list_output(tmp_path: Path) -> None:
    data = [
        {
            "number": 3323,
            "baseRefName": "main",
            "headRefName": "feat/b",
            "isDraft": True,
            "files": [
                {"path": "console/migrations/versions/0145_b.py", "additions": 40, "deletions": 0}
            ],
        },
        {
            "number": 3322,
            "baseRefName": "main",
            "headRefName": "feat/a",
            "files": ["queue/migrations/sqitch/sqitch.plan"],
        },
        {"number": 9, "baseRefName": "release", "files": [{"path": "x"}]},
        {"number": 10, "files": [{"path": "y"}]},
    ]
    forge = GhJsonForge.from_file(write(tmp_path, data))
    result = forge.open_changes("main")
    assert result.provider == "gh-json" and result.complete and result.requests == 0
    assert result.changes == (
        OpenChange(10, "", "main", None, False, (ChangedFile("y", "unknown"),)),
        OpenChange(
            3322,
            "feat/a",
            "main",
            None,
            False,
            (ChangedFile("queue/migrations/sqitch/sqitch.plan", "unknown"),),
        ),
        OpenChange(
            3323,
            "feat/b",
            "main",
            None,
            True,
            (ChangedFile("console/migrations/versions/0145_b.py", "unknown"),),
        ),
    )


def test_empty_list_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "prs.json"
    path.write_bytes(b"\xef\xbb\xbf[]")
    result = GhJsonForge.from_file(path).open_changes("main")
    assert result.changes == () and result.complete


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'[{"number": 1, "files": ["a"]}]'))
    monkeypatch.setattr("sys.stdin", stdin)
    forge = GhJsonForge.from_file(Path("-"))
    assert [c.number for c in forge.open_changes("main").changes] == [1]
    assert forge.source == "standard input"


def test_possible_gh_truncation_is_incomplete(tmp_path: Path) -> None:
    data = [{"number": 1, "baseRefName": "main", "files": [f"f{i}" for i in range(100)]}]
    result = GhJsonForge.from_file(write(tmp_path, data)).open_changes("main")
    assert not result.complete
    assert result.problems == (
        "PR #1 lists exactly 100 files: gh cuts file lists at 100, so it may touch more",
    )
    thirty = [{"number": n, "files": []} for n in range(30)]
    result = GhJsonForge.from_file(write(tmp_path, thirty)).open_changes("main")
    assert not result.complete
    assert "exactly 30 pull requests" in result.problems[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "prs.json is not valid JSON (line 1, column 2: "),
        ('{"number": 1}', "prs.json: expected a JSON array of pull requests, found an object"),
        ("[1]", "prs.json: pull request 1 is a value, not an object"),
        ('[{"files": []}]', "prs.json: pull request 1 has no integer 'number'"),
        ('[{"number": "1", "files": []}]', "prs.json: pull request 1 has no integer 'number'"),
        ('[{"number": 1}]', "prs.json: PR #1 has no 'files' (add files to gh's --json list)"),
        ('[{"number": 1, "files": {}}]', "prs.json: PR #1: 'files' is an object, not an array"),
        ('[{"number": 1, "files": [{"name": "a"}]}]', "prs.json: PR #1: a file is neither"),
        ('[{"number": 1, "files": [], "baseRefName": 3}]', "'baseRefName' is a value"),
        ('[{"number": 1, "files": [], "isDraft": "yes"}]', "'isDraft' is not true/false"),
    ],
)
def test_bad_input_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        GhJsonForge.from_file(write(tmp_path, content))
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read --open-prs file .*nothing\.json"):
        GhJsonForge.from_file(tmp_path / "nothing.json")


def test_no_comments_and_no_file_reading(tmp_path: Path) -> None:
    forge = GhJsonForge.from_file(write(tmp_path, [{"number": 1, "files": ["a"]}]))
    assert not forge.supports_comments and not forge.supports_read_files
    with pytest.raises(UsageError, match="cannot post a comment with --open-prs"):
        forge.upsert_comment(1, "m", "b")
    (change,) = forge.open_changes("main").changes
    with pytest.raises(UsageError, match="cannot read files of PR #1"):
        forge.read_files(change, ["a"])
