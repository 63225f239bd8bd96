from __future__ import annotations

import pytest

from migration_guard.numbering import format_number, leading_number, next_free


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("0193_promote.py", (193, "0193")),
        ("07-billing", (7, "07")),
        ("abc_0193.py", None),
        ("", None),
        ("12", (12, "12")),
    ],
)
def test_leading_number(name: str, expected: tuple[int, str] | None) -> None:
    assert leading_number(name) == expected


def test_format_number_pads_and_never_truncates() -> None:
    assert format_number(7, 2) == "07"
    assert format_number(193, 4) == "0193"
    assert format_number(10000, 4) == "10000"


def test_next_free_skips_taken_numbers() -> None:
    result = next_free(192, {193, 195}, width=4, count=3)
    assert result.numbers == ("0194", "0196", "0197")
    assert not result.widened and result.warning is None


def test_next_free_widens_with_a_warning() -> None:
    result = next_free(99, {100}, width=2)
    assert result.numbers == ("101",)
    assert result.widened
    assert result.warning is not None and "101" in result.warning
