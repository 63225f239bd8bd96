"""File name patterns and version comparison of the numbered kinds."""

from __future__ import annotations

import pytest

from migration_guard.chains.numbered.pattern import compile_pattern
from migration_guard.chains.numbered.versions import flyway_id, flyway_parts
from migration_guard.errors import ConfigError


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{slug}.sql", "exactly once"),
        ("{number}_{number}_{slug}.sql", "exactly once"),
        ("{number}_{slug}_{slug}.sql", "exactly once"),
        ("{slug}_{number}.sql", "before"),
        ("db/{number}_{slug}.sql", "not a path"),
        ("{number}_{slug}", "extension"),
        ("{number}_{slug}.{ext}", "placeholder other than"),
    ],
)
def test_a_bad_pattern_is_a_config_error_with_a_sentence(pattern: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as error:
        compile_pattern(pattern)
    assert error.value.hint is not None


def test_a_plain_pattern_reads_number_and_slug() -> None:
    pattern = compile_pattern("{number}_{slug}.sql")
    match = pattern.match("0007_add_users.sql")
    assert match is not None
    assert (match.number, match.slug, match.primary) == ("0007", "add_users", True)
    assert pattern.match("0007-add_users.sql") is None
    assert pattern.match("x0007_add_users.sql") is None
    assert pattern.match("0007_add_users.sql.bak") is None
    assert pattern.suffix == ".sql"


def test_an_up_pattern_also_reads_the_down_file_as_its_companion() -> None:
    pattern = compile_pattern("{number}_{slug}.up.sql")
    up = pattern.match("0003_x.up.sql")
    down = pattern.match("0003_x.down.sql")
    assert up is not None and up.primary
    assert down is not None and not down.primary
    assert "0003_x.down.sql"[: down.end] == "0003_x"


def test_literal_characters_are_not_regex() -> None:
    pattern = compile_pattern("V{number}.{slug}+.sql")
    assert pattern.match("V1.a+.sql") is not None
    assert pattern.match("V1xa+.sql") is None
    assert pattern.prefix == "V"


def test_flyway_versions_compare_numerically_with_trailing_zeros_ignored() -> None:
    # The real Hangar fixture: 1.0.0 < 1.2.0 < 1.10.0 < 1.11 < 1.11.1 (not the string order).
    shown = ["1.11.1", "1.2.0", "1.11", "1.0.0", "1.10.0"]
    assert sorted(shown, key=flyway_parts) == ["1.0.0", "1.2.0", "1.10.0", "1.11", "1.11.1"]
    assert flyway_parts("1_1") == flyway_parts("1.1") == (1, 1)
    assert flyway_id("1.0") == flyway_id("1") == flyway_id("1_0_0") == "1"
    assert flyway_id("001.010") == "1.10"
