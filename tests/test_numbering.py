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


@pytest.mark.parametrize(
    ("highest", "taken", "count", "expected"),
    [
        (98, set(), 3, ("99", "100", "101")),  # the first fits, the second does not
        (97, {99}, 2, ("98", "100")),  # a taken number pushes the last one over
        (998, {999}, 2, ("1000", "1001")),  # a three-digit chain
    ],
)
def test_next_free_warns_when_any_number_crosses_the_width(
    highest: int, taken: set[int], count: int, expected: tuple[str, ...]
) -> None:
    width = len(str(highest))
    result = next_free(highest, taken, width=width, count=count)
    assert result.numbers == expected
    assert result.widened
    first_wider = next(n for n in expected if len(n) > width)
    assert result.warning is not None
    assert result.warning.startswith(f"the next number {first_wider} is wider")


def test_next_free_stays_quiet_when_the_last_number_still_fits() -> None:
    result = next_free(97, set(), width=2, count=2)
    assert result.numbers == ("98", "99")
    assert not result.widened and result.warning is None
