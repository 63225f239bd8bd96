from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from migration_guard.model import NumberingMode
from migration_guard.numbering import (
    Numbering,
    detect_numbering,
    format_number,
    leading_number,
    next_free,
)


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


# --- Mutation-guided unit tests (scripts/mutation): detect_numbering, number_of, id_number.
# Each case sits on a boundary a plausible break would move.

SEQ = NumberingMode.SEQUENTIAL


def _detect(
    prefixes: Sequence[str | None], names: Sequence[str] | None = None, **kwargs: Any
) -> Numbering:
    names = names if names is not None else [f"{p or 'x'}_m{i}" for i, p in enumerate(prefixes)]
    return detect_numbering(names, prefixes, **kwargs)


def test_an_empty_chain_is_sequential_with_the_default_width() -> None:
    assert detect_numbering([], []) == Numbering(SEQ, 4)
    assert detect_numbering([], [], default_width=6) == Numbering(SEQ, 6)


def test_half_the_names_starting_with_a_date_make_a_date_chain() -> None:
    names = ["2024_01_15_add", "add_users"]
    assert detect_numbering(names, [None, None], default_width=6) == Numbering(
        NumberingMode.DATE, 6
    )
    names3 = ["2024_01_15_add", "add_users", "drop_users"]
    assert detect_numbering(names3, [None, None, None]).mode is NumberingMode.NONE


def test_a_date_chain_keeps_the_default_width_not_its_prefixes() -> None:
    names = ["20240115_a", "20240116_b"]
    got = detect_numbering(names, ["20240115", "20240116"], default_width=5)
    assert got == Numbering(NumberingMode.DATE, 5)


def test_sequential_needs_half_the_names_numbered() -> None:
    assert _detect(["0001", "0002", None, None]) == Numbering(SEQ, 4)
    assert _detect(["0001", None, None, None]).mode is NumberingMode.NONE
    assert _detect([None, None]).mode is NumberingMode.NONE


def test_a_few_repeated_numbers_stay_sequential_more_do_not() -> None:
    assert _detect(["0001", "0001", "0001"]).mode is SEQ  # two repeats
    assert _detect(["0001"] * 4).mode is NumberingMode.NONE  # three repeats
    twenty = [f"{n:04d}" for n in range(16)] + ["0001"] * 4  # a fifth repeats
    assert _detect(twenty).mode is SEQ
    assert _detect([f"{n:04d}" for n in range(15)] + ["0001"] * 5).mode is NumberingMode.NONE


def test_detected_width_is_the_most_common_then_the_narrowest() -> None:
    assert _detect(["0001", "0002", "003"]).width == 4
    assert _detect(["01", "002"]).width == 2
    assert _detect(["10", "11", "12"]).width == 2
    assert _detect(["01", "02", "10"]).width == 2
    assert _detect(["1", "2", "10"]).width == 1  # unpadded: several widths, no zero padding


def test_prefixes_longer_than_eight_digits_are_ids_not_numbers() -> None:
    assert _detect(["12345678", "12345679"]) == Numbering(SEQ, 8)
    assert _detect(["686269002441", "686269002442"]).mode is NumberingMode.NONE


def test_the_configuration_overrides_mode_and_width() -> None:
    assert _detect(["0001", "0002"], configured_width=3) == Numbering(SEQ, 3)
    got = _detect(["0001", "0002"], configured_mode=NumberingMode.NONE)
    assert got == Numbering(NumberingMode.NONE, 4)
    got = _detect([None, None], configured_mode=SEQ, default_width=3)
    assert got == Numbering(SEQ, 3)


@pytest.mark.parametrize(
    ("width", "prefix", "expected"),
    [
        (4, "0193", 193),
        (4, "03", 3),  # too few digits: still the number
        (4, "10000", 10000),  # outgrew the width
        (4, "01000", None),  # width + 1 with padding: not a number of this chain
        (4, "100000", None),
        (4, None, None),
        (2, "123", 123),
        (2, "1234", None),
        (1, "123", 123),  # unpadded chain
        (1, "12345678", 12345678),
        (1, "123456789", None),
        (1, "012", None),
    ],
)
def test_number_of(width: int, prefix: str | None, expected: int | None) -> None:
    assert Numbering(SEQ, width).number_of(prefix) == expected


def test_only_a_sequential_chain_has_numbers() -> None:
    assert Numbering(NumberingMode.NONE, 4).number_of("0193") is None
    assert Numbering(NumberingMode.DATE, 4).number_of("0193") is None
    assert Numbering(NumberingMode.NONE, 4).id_number("0193") is None


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("0193", (193, "0193")),
        ("0193_add_x", (193, "0193")),
        ("x0193", None),
        ("0193abc", None),
        ("686269002441", None),
    ],
)
def test_id_number(identifier: str, expected: tuple[int, str] | None) -> None:
    assert Numbering(SEQ, 4).id_number(identifier) == expected


@pytest.mark.parametrize(
    ("prefixes", "width"),
    [
        (["1", "10", "11"], 1),  # a 0 inside an unpadded number is no padding
        (["0", "1", "10", "11", "12"], 1),  # nor is a lone 0 (a chain that starts at 0)
        (["01", "02", "100"], 2),  # two-digit padding is padding: a padded chain outgrew 99
    ],
)
def test_only_a_leading_zero_of_a_longer_prefix_is_zero_padding(
    prefixes: list[str], width: int
) -> None:
    assert _detect(prefixes) == Numbering(SEQ, width)
