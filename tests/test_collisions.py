from __future__ import annotations

from migration_guard.collisions import Claim, ClaimSource, detect, next_numbers
from migration_guard.model import Migration

V = "console/migrations/versions"


def mig(number: int, slug: str, chain: str = "console") -> Migration:
    text = f"{number:04d}"
    return Migration(chain, number, text, f"{text}_{slug}", f"{V}/{text}_{slug}.py")


BASE = [mig(n, f"m{n}") for n in range(1, 193)]
WIDTHS = {"console": 4}


def pr_claim(pr: int, number: int, slug: str) -> Claim:
    return Claim("console", number, f"{V}/{number:04d}_{slug}.py", ClaimSource.PR, pr=pr)


def test_no_collision_suggests_next_free() -> None:
    outcome = detect([mig(193, "promote_my_feature")], BASE, [], widths=WIDTHS)
    assert outcome.ok
    assert outcome.next_by_chain["console"].numbers == ("0193",)


def test_runbook_incident_names_every_other_pr() -> None:
    others = [pr_claim(3277, 145, "a"), pr_claim(3323, 145, "c"), pr_claim(3400, 193, "d")]
    base = [m for m in BASE if m.number < 145]
    outcome = detect([mig(145, "b")], base, others, widths=WIDTHS)
    (collision,) = outcome.collisions
    assert [c.describe() for c in collision.claimed_by] == [
        f"PR #3277 ({V}/0145_a.py)",
        f"PR #3323 ({V}/0145_c.py)",
    ]
    assert collision.next_available == "0146"


def test_base_and_self_collisions_and_block_numbers() -> None:
    new = [mig(192, "late"), mig(193, "x"), mig(193, "y")]
    others = [pr_claim(7, 193, "z"), pr_claim(8, 194, "w")]
    outcome = detect(new, BASE, others, widths=WIDTHS)
    got = {
        (c.migration.path, c.next_available): [x.describe() for x in c.claimed_by]
        for c in outcome.collisions
    }
    assert got == {
        (f"{V}/0192_late.py", "0195"): [f"base branch ({V}/0192_m192.py)"],
        (f"{V}/0193_x.py", "0196"): [f"PR #7 ({V}/0193_z.py)", f"this PR ({V}/0193_y.py)"],
        (f"{V}/0193_y.py", "0197"): [f"PR #7 ({V}/0193_z.py)", f"this PR ({V}/0193_x.py)"],
    }
    assert outcome.next_by_chain["console"].numbers == ("0195", "0196", "0197")


def test_same_path_is_the_same_migration_not_a_collision() -> None:
    stacked = Claim("console", 193, f"{V}/0193_x.py", ClaimSource.PR, pr=9)
    assert detect([mig(193, "x")], BASE, [stacked], widths=WIDTHS).ok


def test_other_chains_do_not_collide() -> None:
    other_chain = Claim("raptor", 193, "backend_v2/alembic/versions/0193_x.py", ClaimSource.PR, 4)
    assert detect([mig(193, "x")], BASE, [other_chain], widths=WIDTHS).ok


def test_branch_and_reservation_descriptions() -> None:
    assert Claim("c", 1, "p", ClaimSource.PR, ref="origin/feat").describe() == (
        "branch origin/feat (p)"
    )
    assert Claim("c", 1, "p", ClaimSource.RESERVATION, ref="alice").describe() == (
        "reservation alice (p)"
    )


def test_next_numbers_for_a_chain() -> None:
    result = next_numbers(
        "console", BASE, [pr_claim(1, 193, "a"), pr_claim(2, 195, "b")], width=4, count=2
    )
    assert result.numbers == ("0194", "0196")


def test_sqitch_changes_in_one_plan_are_told_apart_by_name() -> None:
    plan = "queue/sqitch.plan"
    base = [Migration("queue", 7, "07", "07-job-priority", plan)]
    mine = Migration("queue", 7, "07", "07-billing", plan)
    (collision,) = detect([mine], base, [], widths={"queue": 2}).collisions
    assert [c.describe() for c in collision.claimed_by] == [
        f"base branch ({plan}: 07-job-priority)"
    ]
    stacked = Claim("queue", 7, plan, ClaimSource.PR, pr=5, name="07-billing")
    assert detect([mine], [], [stacked], widths={"queue": 2}).ok
