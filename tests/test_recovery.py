from __future__ import annotations

import pytest

from migration_guard.recovery import (
    Collision,
    Diagnosis,
    Landing,
    Member,
    diagnose,
    pr_from_message,
)

V = "app/versions"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Merge pull request #3277 from acme/feature-x\n\nAdd billing", 3277),
        ("Add billing (#3322)", 3322),
        ("Add billing (#3322)\n", 3322),
        ("Fix #12 in parser (#45)", 45),  # squash suffix beats an earlier reference
        ("Merge branch 'feature' into 'main'\n\nAdd billing\n\nSee merge request grp/proj!34", 34),
        ("Merge branch 'x' into 'main'\n\nSee merge request group/sub/proj!7\n", 7),
        ("Merge PR #88: billing", 88),
        ("Merge merge request !91", 91),
        ("Add billing", None),
        ("", None),
        ("Bump version to 1.2.3", None),
    ],
)
def test_pr_from_message(message: str, expected: int | None) -> None:
    assert pr_from_message(message) == expected


def test_landing_label() -> None:
    assert Landing("a" * 40, 1, "s", 0, 12).label == "PR #12"
    assert Landing("0123456789abcdef", 1, "s", 0, None).label == "commit 0123456789"


def landing(commit: str, order: int, pr: int | None = None) -> Landing:
    return Landing(commit=commit, timestamp=1_700_000_000 + order, subject="s", order=order, pr=pr)


def member(name: str, number: int, revision: str | None = None, *parents: str) -> Member:
    return Member(f"{V}/{name}.py", number, f"{number:04d}", revision, parents)


def key(name: str) -> str:
    return f"{V}/{name}.py"


def test_no_collision() -> None:
    members = [member("0001_a", 1, "r1"), member("0002_b", 2, "r2", "r1")]
    result = diagnose("app", members, {}, several_heads=False)
    assert result == Diagnosis("app", (), ())
    assert result.ok


def test_same_number_keeps_the_earliest_landing() -> None:
    members = [member("0005_late", 5, "rl", "r4"), member("0005_early", 5, "re", "r4")]
    landings = {key("0005_late"): landing("c2", 2, 20), key("0005_early"): landing("c1", 1, 10)}
    result = diagnose("app", members, landings, several_heads=False)
    assert result.collisions == (
        Collision(
            "app",
            "same number",
            "0005",
            (key("0005_early"), key("0005_late")),
            key("0005_early"),
            (key("0005_late"),),
        ),
    )
    assert result.block == (key("0005_late"),)
    assert not result.ok


def test_same_number_value_without_number_text() -> None:
    members = [Member("07-a", 7), Member("07-b", 7)]
    (collision,) = diagnose("q", members, {}, several_heads=False).collisions
    assert (collision.reason, collision.value) == ("same number", "7")


def test_unknown_landing_sorts_last_then_by_key() -> None:
    members = [member("0005_b", 5), member("0005_c", 5), member("0005_a", 5)]
    landings = {key("0005_c"): landing("c9", 9)}
    (collision,) = diagnose("app", members, landings, several_heads=False).collisions
    assert collision.members == (key("0005_c"), key("0005_a"), key("0005_b"))
    assert collision.survivor == key("0005_c")
    assert collision.movers == (key("0005_a"), key("0005_b"))


def test_same_revision_id() -> None:
    members = [member("0005_a", 5, "abc", "r4"), member("0006_b", 6, "abc", "r4")]
    landings = {key("0005_a"): landing("c2", 2), key("0006_b"): landing("c1", 1)}
    (collision,) = diagnose("app", members, landings, several_heads=False).collisions
    assert (collision.reason, collision.value) == ("same revision id", "abc")
    assert (collision.survivor, collision.movers) == (key("0006_b"), (key("0005_a"),))


def test_same_number_and_same_revision_is_reported_once() -> None:
    members = [member("0005_a", 5, "abc"), member("0005_b", 5, "abc")]
    result = diagnose("app", members, {}, several_heads=False)
    assert [c.reason for c in result.collisions] == ["same number"]


def test_siblings_count_only_when_the_chain_has_several_heads() -> None:
    members = [
        member("0004_base", 4, "r4", "r3"),
        member("0005_a", 5, "r5a", "r4"),
        member("0006_b", 6, "r6b", "r4"),
    ]
    landings = {key("0005_a"): landing("c1", 1), key("0006_b"): landing("c2", 2)}
    assert diagnose("app", members, landings, several_heads=False).collisions == ()
    result = diagnose("app", members, landings, several_heads=True)
    assert result.collisions == (
        Collision(
            "app",
            "same down_revision",
            "r4",
            (key("0005_a"), key("0006_b")),
            key("0005_a"),
            (key("0006_b"),),
        ),
    )
    assert result.block == (key("0006_b"),)


def test_a_merge_revision_is_a_sibling_of_each_parent() -> None:
    members = [
        member("0005_a", 5, "r5", "r4"),
        member("0006_merge", 6, "r6", "r4", "r5"),
    ]
    landings = {key("0005_a"): landing("c1", 1), key("0006_merge"): landing("c2", 2)}
    result = diagnose("app", members, landings, several_heads=True)
    assert [(c.reason, c.value, c.survivor) for c in result.collisions] == [
        ("same down_revision", "r4", key("0005_a"))
    ]


def test_a_landing_commits_other_members_move_as_a_block() -> None:
    # PR #10 landed 0005_x first; PR #20 landed 0005_a, 0006_b and 0007_c in one merge commit.
    members = [
        member("0004_base", 4),
        member("0005_x", 5),
        member("0005_a", 5),
        member("0006_b", 6),
        member("0007_c", 7),
        member("0006_y", 6),
    ]
    landings = {
        key("0004_base"): landing("c0", 0),
        key("0005_x"): landing("c1", 1, 10),
        key("0006_y"): landing("c1", 1, 10),
        key("0005_a"): landing("c2", 2, 20),
        key("0006_b"): landing("c2", 2, 20),
        key("0007_c"): landing("c2", 2, 20),
    }
    result = diagnose("app", members, landings, several_heads=False)
    assert [(c.value, c.survivor, c.movers) for c in result.collisions] == [
        ("0005", key("0005_x"), (key("0005_a"),)),
        ("0006", key("0006_y"), (key("0006_b"),)),
    ]
    assert result.block == (key("0005_a"), key("0006_b"), key("0007_c"))


def test_survivors_never_join_the_block() -> None:
    # c2 brought 0005_a (loses to 0005_x) and 0006_b (wins over 0006_y, which landed later).
    members = [member("0005_x", 5), member("0005_a", 5), member("0006_b", 6), member("0006_y", 6)]
    landings = {
        key("0005_x"): landing("c1", 1),
        key("0005_a"): landing("c2", 2),
        key("0006_b"): landing("c2", 2),
        key("0006_y"): landing("c3", 3),
    }
    result = diagnose("app", members, landings, several_heads=False)
    assert [(c.survivor, c.movers) for c in result.collisions] == [
        (key("0005_x"), (key("0005_a"),)),
        (key("0006_b"), (key("0006_y"),)),
    ]
    assert result.block == (key("0005_a"), key("0006_y"))


def test_a_member_that_survives_one_collision_and_loses_another_moves() -> None:
    members = [member("0005_a", 5, "r1"), member("0005_b", 5, "r9"), member("0007_c", 7, "r1")]
    landings = {
        key("0007_c"): landing("c0", 0),
        key("0005_a"): landing("c1", 1),
        key("0005_b"): landing("c2", 2),
    }
    result = diagnose("app", members, landings, several_heads=False)
    assert [(c.reason, c.survivor, c.movers) for c in result.collisions] == [
        ("same number", key("0005_a"), (key("0005_b"),)),
        ("same revision id", key("0007_c"), (key("0005_a"),)),
    ]
    assert result.block == (key("0005_a"), key("0005_b"))


def test_members_without_history_move_but_drag_nothing_along() -> None:
    members = [member("0005_a", 5), member("0005_new", 5), member("0006_other", 6)]
    landings = {key("0005_a"): landing("c1", 1), key("0006_other"): landing("c1", 1)}
    result = diagnose("app", members, landings, several_heads=False)
    assert result.block == (key("0005_new"),)


def test_unnumbered_members_never_collide_by_number() -> None:
    members = [Member("add_users", -1), Member("fix_typo", -1)]
    assert diagnose("q", members, {}, several_heads=False).collisions == ()


def test_block_is_in_number_order() -> None:
    members = [
        Member("10-z", 10, "10"),
        Member("09-b", 9, "09"),
        Member("09-a", 9, "09"),
        Member("10-y", 10, "10"),
    ]
    landings = {
        "09-a": landing("c1", 1),
        "10-y": landing("c1", 1),
        "09-b": landing("c2", 2),
        "10-z": landing("c2", 2),
    }
    result = diagnose("q", members, landings, several_heads=False)
    assert result.block == ("09-b", "10-z")
    assert [c.value for c in result.collisions] == ["09", "10"]
