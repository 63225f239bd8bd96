"""The reservation core: messages, refs, who owns one, which are stale. Pure values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from migration_guard.collisions import ChainFacts, Claim, ClaimSource, detect
from migration_guard.model import Migration, NumberingMode
from migration_guard.numbering import Numbering
from migration_guard.reservations import (
    Claimant,
    Reservation,
    age_text,
    claims,
    message,
    parse_message,
    parse_ref,
    ref_for,
    reservation_of,
    slug_of,
    stale,
)

NOW = datetime(2026, 6, 5, 10, 0, tzinfo=UTC)
ALICE = Claimant("Alice Doe", "alice@example.invalid", "box", "feat-x", "add_x", "00ff")


def _r(
    number: int, *, branch: str | None = "feat-x", slug: str | None = None, days: float = 0
) -> Reservation:
    return Reservation(
        "console",
        number,
        f"{number:04d}",
        ref_for("console", f"{number:04d}"),
        "a" * 40,
        who="Alice",
        created=NOW - timedelta(days=days),
        branch=branch,
        slug=slug,
    )


def test_a_message_round_trips_through_its_commit() -> None:
    text = message("console", "0145", ALICE, NOW)
    assert text.splitlines()[0] == "migration-guard reservation console 0145"
    assert parse_message(text) == {
        "chain": "console",
        "number": "0145",
        "who": "Alice Doe",
        "email": "alice@example.invalid",
        "host": "box",
        "created": "2026-06-05T10:00:00Z",
        "branch": "feat-x",
        "slug": "add_x",
        "nonce": "00ff",
    }
    got = reservation_of("refs/migration-guard/console/0145", "b" * 40, text)
    assert got == Reservation(
        "console",
        145,
        "0145",
        "refs/migration-guard/console/0145",
        "b" * 40,
        "Alice Doe",
        "alice@example.invalid",
        "box",
        NOW,
        "feat-x",
        "add_x",
    )
    assert got.describe == "reserved by Alice Doe (branch feat-x) at 2026-06-05 10:00 UTC"


def test_a_value_with_a_newline_cannot_forge_another_line() -> None:
    sneaky = ALICE._replace(who="Eve\nReserved-Branch: main")
    assert parse_message(message("c", "1", sneaky, NOW))["branch"] == "feat-x"


def test_a_foreign_commit_still_reserves_its_number() -> None:
    got = reservation_of("refs/x/console/0007", "c" * 40, "hello", committed=0, prefix="refs/x/")
    assert got is not None
    assert (got.number, got.ref, got.who, got.created) == (
        7,
        "refs/migration-guard/console/0007",
        "",
        datetime(1970, 1, 1, tzinfo=UTC),
    )
    assert got.describe == "reserved by someone at 1970-01-01 00:00 UTC"


def test_refs_that_are_not_reservations() -> None:
    assert parse_ref("refs/migration-guard/a/b/0012") == ("a/b", 12, "0012")
    assert parse_ref("refs/migration-guard/console/x12") is None
    assert parse_ref("refs/migration-guard/0012") is None
    assert parse_ref("refs/heads/console/0012") is None


def test_a_change_owns_reservations_of_its_branch_or_its_slugs() -> None:
    mine_by_branch, mine_by_slug, theirs = (
        _r(1),
        _r(2, branch="main", slug="add_x"),
        _r(3, branch="y"),
    )
    kept = claims(
        [mine_by_branch, mine_by_slug, theirs],
        branches=["origin/feat-x"],
        slugs={"console": [slug_of("0145_add_x")]},
    )
    assert [c.number for c in kept] == [3]
    assert kept[0].source is ClaimSource.RESERVATION
    assert slug_of("07-billing-x") == "billing-x"


def test_a_reservation_outranks_an_open_change_and_is_named() -> None:
    facts = ChainFacts(
        Numbering(NumberingMode.SEQUENTIAL, 4),
        forks=False,
        base=(Migration("console", 144, "0144", "0144_a", "v/0144_a.py"),),
    )
    mine = Claim("console", 145, "v/0145_b.py", ClaimSource.SELF, name="0145_b", number_text="0145")
    outcome = detect([mine], {"console": facts}, claims([_r(145, branch="y")]))
    (collision,) = outcome.collisions
    assert collision.owner is not None
    assert collision.owner.describe() == (
        "reservation 0145 (reserved by Alice (branch y) at 2026-06-05 10:00 UTC)"
    )
    assert collision.next_available == "0146"


def test_stale_ones_landed_or_too_old() -> None:
    found = stale(
        [_r(1), _r(2, days=15), _r(3, days=3)],
        landed={"console": {1}},
        now=NOW,
        max_age_days=14,
    )
    assert [(s.reservation.number, s.reason) for s in found] == [
        (1, "console 0001 is on the base branch"),
        (2, "older than 14 days (15d)"),
    ]


def test_ages() -> None:
    assert [age_text(s) for s in (None, 5, 61, 7200, 90000)] == ["?", "5s", "1m", "2h", "1d"]
