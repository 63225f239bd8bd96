from __future__ import annotations

from typing import Any

import pytest

from migration_guard.errors import ForgeError
from migration_guard.forges.answers import Answers

GITHUB = Answers("GitHub")


def test_values_of_the_right_shape_are_returned_as_is() -> None:
    payload: dict[str, Any] = {"number": 12}
    assert GITHUB.dict(payload, "pull request") is payload
    items: list[Any] = [1, "a"]
    assert GITHUB.list(items, "file list") is items
    assert GITHUB.int(0, "number") == 0
    assert GITHUB.int(-3, "number") == -3
    assert GITHUB.str("", "sha") == ""
    assert GITHUB.str("abc", "sha") == "abc"
    assert GITHUB.dict({}, "x") == {} and GITHUB.list([], "x") == []


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("dict", None),
        ("dict", []),
        ("dict", "{}"),
        ("list", None),
        ("list", {}),
        ("list", ("a",)),
        ("list", "abc"),
        ("int", None),
        ("int", "12"),
        ("int", 12.0),
        ("int", True),  # a JSON boolean is not a number
        ("int", False),
        ("str", None),
        ("str", 12),
        ("str", b"abc"),
        ("str", ["abc"]),
    ],
)
def test_a_wrong_shape_is_a_forge_error_naming_the_forge(method: str, value: Any) -> None:
    with pytest.raises(ForgeError) as info:
        getattr(Answers("GitLab"), method)(value, "merge request iid")
    assert info.value.message == "GitLab answered without a valid merge request iid"
    assert str(info.value) == "GitLab answered without a valid merge request iid"
    assert info.value.hint is None
    assert info.value.exit_code == 3


def test_the_forge_name_is_kept() -> None:
    assert Answers("gh pr list --json").forge == "gh pr list --json"
    with pytest.raises(ForgeError, match=r"^gh pr list --json answered without a valid file$"):
        Answers("gh pr list --json").str(1, "file")
