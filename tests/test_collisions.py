"""The collision core, rule by rule, with plain values (no git, no forge)."""

from __future__ import annotations

from collections.abc import Sequence

from migration_guard.collisions import (
    ChainFacts,
    Claim,
    ClaimSource,
    CollisionKind,
    Outcome,
    detect,
    free_numbers,
    pending_moves,
)
from migration_guard.model import Migration, NumberingMode
from migration_guard.numbering import Numbering

V = "console/migrations/versions"
SEQ = Numbering(NumberingMode.SEQUENTIAL, 4)
HEX = Numbering(NumberingMode.NONE, 4)


def mig(number: int, slug: str, parent: int | None = None) -> Migration:
    text = f"{number:04d}"
    parents = (f"{parent:04d}",) if parent is not None else ()
    return Migration(
        "console", number, text, f"{text}_{slug}", f"{V}/{text}_{slug}.py", text, parents
    )


BASE = tuple(mig(n, f"m{n}", n - 1 if n > 1 else None) for n in range(1, 193))
FACTS = {"console": ChainFacts(SEQ, forks=True, base=BASE)}


def mine(number: int, slug: str, parent: int | None = 192, *, pr: int | None = 7) -> Claim:
    return Claim.of(mig(number, slug, parent), ClaimSource.SELF, pr=pr, rank=pr)


def pr(number_: int, number: int, slug: str, parent: int | None = 192) -> Claim:
    return Claim.of(mig(number, slug, parent), ClaimSource.PR, pr=number_, rank=number_)


def path_only(pr_number: int, number: int, slug: str) -> Claim:
    """Another PR's file known only by its path (gh pr list JSON)."""
    text = f"{number:04d}"
    return Claim(
        "console",
        number,
        f"{V}/{text}_{slug}.py",
        ClaimSource.PR,
        pr=pr_number,
        rank=pr_number,
        name=f"{text}_{slug}",
        number_text=text,
    )


def run(
    new: Sequence[Claim], others: Sequence[Claim] = (), facts: ChainFacts | None = None
) -> Outcome:
    return detect(new, {"console": facts or FACTS["console"]}, others)


# --- numbers ---------------------------------------------------------------------------------


def test_no_collision_suggests_next_free() -> None:
    outcome = run([mine(193, "promote_my_feature")])
    assert outcome.ok and outcome.notes == ()
    assert outcome.next_by_chain["console"].numbers == ("0193",)


def test_the_pr_opened_first_keeps_the_number_and_the_others_get_distinct_numbers() -> None:
    """The runbook's wave: #3277, #3322 and #3323 all claim 0193."""
    a, c = path_only(3277, 193, "a"), path_only(3323, 193, "c")
    second = run([mine(193, "b", pr=3322)], [a, c])
    (collision,) = second.collisions
    assert collision.kind is CollisionKind.NUMBER
    assert collision.owner == a
    assert [r.describe() for r in collision.rivals] == [
        f"PR #3277 ({V}/0193_a.py)",
        f"PR #3323 ({V}/0193_c.py)",
    ]
    assert collision.next_available == "0194"
    third = run([mine(193, "c", pr=3323)], [a, path_only(3322, 193, "b")])
    assert third.collisions[0].next_available == "0195"  # never the same fix twice
    first = run([mine(193, "a", pr=3277)], [path_only(3322, 193, "b"), c])
    assert first.ok  # the owner passes, with a note naming those that must move
    (note,) = first.notes
    assert note.owner is None and [r.pr for r in note.rivals] == [3322, 3323]


def test_a_local_run_without_a_pr_number_ranks_last() -> None:
    outcome = run([mine(193, "local", pr=None)], [path_only(9999, 193, "late")])
    assert not outcome.ok and outcome.collisions[0].owner is not None


def test_the_base_branch_always_keeps_its_number() -> None:
    (collision,) = run([mine(192, "late", parent=191, pr=1)]).collisions
    assert collision.owner is not None and collision.owner.source is ClaimSource.BASE
    assert collision.with_base
    assert collision.next_available == "0193"


def test_own_duplicates_the_first_keeps_it() -> None:
    outcome = run([mine(193, "x"), mine(193, "y")])
    (collision,) = outcome.collisions
    assert collision.migration.name == "0193_y"
    assert collision.next_available == "0194"


def test_next_numbers_skip_every_claim_and_every_pending_move() -> None:
    others = [pr(1, 193, "a"), path_only(2, 193, "b"), pr(3, 195, "c")]
    # #2 must move off 0193 and is sent to 0194 (the first free): a new claimant gets 0196.
    assert pending_moves("console", FACTS["console"], others) == {("console", "0193_b"): 194}
    assert free_numbers("console", FACTS["console"], others, count=2).numbers == (
        "0196",
        "0197",
    )


def test_a_block_keeps_its_own_numbers_taken() -> None:
    """Issue: the PR adds 0193, 0194, 0195; another PR (opened first) claims 0193 and 0195.
    The fixes must not send 0193 onto this PR's own 0194."""
    new = [mine(193, "a", pr=50), mine(194, "b", 193, pr=50), mine(195, "c", 194, pr=50)]
    outcome = run(new, [pr(10, 193, "x"), pr(10, 195, "y", 193)])
    got = {c.migration.number: c.next_available for c in outcome.collisions}
    assert got == {193: "0196", 195: "0197"}


def test_crossing_the_width_warns_for_every_number() -> None:
    facts = ChainFacts(Numbering(NumberingMode.SEQUENTIAL, 2), forks=False, base=())
    claims = [
        Claim(
            "q", n, "plan", ClaimSource.PR, pr=1, rank=1, name=f"{n:02d}-x", number_text=f"{n:02d}"
        )
        for n in range(1, 99)
    ]
    numbers = free_numbers("q", facts, claims, count=3)
    assert numbers.numbers == ("99", "100", "101") and numbers.widened
    assert numbers.warning is not None and "101" in numbers.warning


def test_the_same_migration_carried_twice_is_not_a_rival() -> None:
    stacked = pr(9, 193, "x")
    assert run([mine(193, "x")], [stacked]).ok
    other_content = Claim.of(mig(193, "x", 150), ClaimSource.PR, pr=9, rank=9, fingerprint="other")
    assert not run(
        [Claim.of(mig(193, "x"), ClaimSource.SELF, pr=12, rank=12, fingerprint="me")],
        [other_content],
    ).ok


def test_other_chains_do_not_collide() -> None:
    other = Claim("raptor", 193, "backend_v2/alembic/versions/0193_x.py", ClaimSource.PR, pr=4)
    assert run([mine(193, "x")], [other]).ok


def test_numbers_mean_nothing_in_an_unnumbered_chain() -> None:
    facts = ChainFacts(HEX, forks=False, base=BASE)
    late = Claim.of(mig(192, "late", 191)._replace(id="f00d"), ClaimSource.SELF, pr=1, rank=1)
    assert run([late], facts=facts).ok
    assert not run([mine(192, "late", parent=191)], facts=facts).ok  # but ids still count


# --- ids -------------------------------------------------------------------------------------


def test_the_same_revision_id_in_two_prs_collides() -> None:
    facts = ChainFacts(HEX, forks=False, base=())
    me = Claim(
        "console", None, f"{V}/ab12_x.py", ClaimSource.SELF, pr=8, rank=8, name="ab12_x", id="ab12"
    )
    them = Claim(
        "console", None, f"{V}/ab12_y.py", ClaimSource.PR, pr=3, rank=3, name="ab12_y", id="ab12"
    )
    (collision,) = run([me], [them], facts).collisions
    assert collision.kind is CollisionKind.ID and collision.owner == them
    assert collision.next_available is None


def test_a_number_collision_is_not_reported_again_as_an_id_collision() -> None:
    outcome = run([mine(193, "b", pr=2)], [pr(1, 193, "a")])
    assert [c.kind for c in outcome.collisions] == [CollisionKind.NUMBER]


# --- forks -----------------------------------------------------------------------------------


def hexmig(rev: str, parent: str | None, slug: str = "x") -> Migration:
    return Migration(
        "console",
        None,
        "",
        f"{rev}_{slug}",
        f"{V}/{rev}_{slug}.py",
        rev,
        (parent,) if parent else (),
    )


HEX_BASE = (hexmig("aaa", None), hexmig("bbb", "aaa"))
HEX_FACTS = ChainFacts(HEX, forks=True, base=HEX_BASE)


def test_two_prs_on_one_parent_fork_in_a_hex_chain_and_the_later_one_fails() -> None:
    me = Claim.of(hexmig("ccc", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    them = Claim.of(hexmig("ddd", "bbb"), ClaimSource.PR, pr=11, rank=11)
    (fork,) = run([me], [them], HEX_FACTS).collisions
    assert (fork.kind, fork.parent, fork.owner) == (CollisionKind.FORK, "bbb", them)
    owner = run(
        [Claim.of(hexmig("ddd", "bbb"), ClaimSource.SELF, pr=11, rank=11)],
        [Claim.of(hexmig("ccc", "bbb"), ClaimSource.PR, pr=12, rank=12)],
        HEX_FACTS,
    )
    assert owner.ok and owner.notes[0].kind is CollisionKind.FORK


def test_a_fork_with_the_base_branch_always_fails() -> None:
    me = Claim.of(hexmig("ccc", "aaa"), ClaimSource.SELF, pr=1, rank=1)
    (fork,) = run([me], [], HEX_FACTS).collisions
    assert fork.with_base and fork.parent == "aaa"
    assert [r.id for r in fork.rivals] == ["bbb"]


def test_a_stacked_pr_is_not_a_fork() -> None:
    me = Claim.of(hexmig("ccc", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    on_top = Claim.of(hexmig("ddd", "ccc"), ClaimSource.PR, pr=13, rank=13)
    assert run([me], [on_top], HEX_FACTS).ok
    own_block = [me, Claim.of(hexmig("eee", "ccc"), ClaimSource.SELF, pr=12, rank=12)]
    assert run(own_block, [], HEX_FACTS).ok


def test_parents_unknown_are_no_fork() -> None:
    me = Claim.of(hexmig("ccc", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    unknown = Claim("console", None, f"{V}/ddd_x.py", ClaimSource.PR, pr=1, rank=1, name="ddd_x")
    assert run([me], [unknown], HEX_FACTS).ok


def test_in_a_numbered_chain_a_fork_between_open_prs_is_a_note_ordered_by_number() -> None:
    outcome = run([mine(194, "b", pr=3322)], [pr(3277, 193, "a")])
    assert outcome.ok
    (note,) = outcome.notes
    assert note.kind is CollisionKind.FORK and note.owner is not None and note.owner.pr == 3277
    lower = run([mine(193, "a", pr=3277)], [pr(3322, 194, "b")])
    assert lower.ok and lower.notes[0].owner is None  # it merges first


def test_in_a_numbered_chain_a_fork_with_the_base_fails() -> None:
    base = (*BASE, mig(193, "merged", 192))
    facts = ChainFacts(SEQ, forks=True, base=base)
    (fork,) = run([mine(194, "late", 192)], facts=facts).collisions
    assert fork.kind is CollisionKind.FORK and fork.with_base and fork.parent == "0192"


def test_kinds_without_forks_never_fork() -> None:
    facts = ChainFacts(SEQ, forks=False, base=BASE)
    assert run([mine(193, "a", pr=2)], [pr(1, 194, "b")], facts).ok


# --- descriptions ----------------------------------------------------------------------------


def test_branch_and_reservation_descriptions() -> None:
    assert Claim("c", 1, "p", ClaimSource.PR, ref="origin/feat").describe() == (
        "branch origin/feat (p)"
    )
    assert Claim("c", 1, "p", ClaimSource.RESERVATION, ref="alice").describe() == (
        "reservation alice (p)"
    )
    assert Claim("c", 1, "p", ClaimSource.SELF, uncommitted=True).describe() == (
        "this PR (uncommitted) (p)"
    )


def test_sqitch_changes_in_one_plan_are_told_apart_by_name() -> None:
    plan = "queue/sqitch.plan"
    facts = ChainFacts(
        Numbering(NumberingMode.SEQUENTIAL, 2),
        forks=False,
        base=(Migration("queue", 7, "07", "07-job-priority", plan, "07-job-priority"),),
    )
    me = Claim.of(Migration("queue", 7, "07", "07-billing", plan, "07-billing"), ClaimSource.SELF)
    (collision,) = detect([me], {"queue": facts}, []).collisions
    assert [c.describe() for c in collision.claimed_by] == [
        f"base branch ({plan}: 07-job-priority)"
    ]
    stacked = Claim("queue", 7, plan, ClaimSource.PR, pr=5, name="07-billing")
    empty = ChainFacts(facts.numbering, forks=False, base=())
    assert detect([me], {"queue": empty}, [stacked]).ok


def test_new_revisions_on_the_expand_and_the_contract_branch_are_no_fork() -> None:
    # keystone/neutron: two branches off one base, each with its own head (branch labels).
    base = (hexmig("kilo", None), hexmig("exp", "kilo"), hexmig("con", "kilo"))
    facts = ChainFacts(HEX, forks=True, base=base)
    expand = Claim.of(hexmig("e01", "exp"), ClaimSource.SELF, pr=12, rank=12)
    contract = Claim.of(hexmig("c01", "con"), ClaimSource.PR, pr=11, rank=11)
    assert run([expand], [contract], facts).ok
    assert run([expand, Claim.of(hexmig("c02", "con"), ClaimSource.SELF)], [], facts).ok
    # Two on one branch head still fork.
    rival = Claim.of(hexmig("e02", "exp"), ClaimSource.PR, pr=11, rank=11)
    (fork,) = run([expand], [rival], facts).collisions
    assert (fork.kind, fork.parent) == (CollisionKind.FORK, "exp")
