"""The collision core, rule by rule, with plain values (no git, no forge)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from migration_guard.collisions import (
    ChainFacts,
    Claim,
    ClaimSource,
    CollisionKind,
    Outcome,
    base_claims,
    detect,
    free_numbers,
    numbered,
    pending_moves,
    target,
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
    assert numbers.warning is not None and "number 100 is wider" in numbers.warning


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


# --- issue 14: one test per rule, each proven by a hand mutation of collisions.py -------------


def reservation(number: int, who: str = "alice", *, rank: int | None = None) -> Claim:
    """A reservation as reservations.py builds it: no name, no rank (ranks after PRs')."""
    text = f"{number:04d}"
    return Claim(
        "console", number, who, ClaimSource.RESERVATION, ref=who, number_text=text, rank=rank
    )


def unnamed_mig(rev: str, parents: tuple[str, ...] = ("0192",)) -> Migration:
    """A migration whose file name has no number (``add_x.py``); its id may carry one."""
    return Migration("console", None, "", f"add_{rev}", f"{V}/add_{rev}.py", rev, parents)


def unnamed(
    source: ClaimSource, rank: int, rev: str, parents: tuple[str, ...] = ("0192",)
) -> Claim:
    return Claim.of(unnamed_mig(rev, parents), source, pr=rank, rank=rank)


def test_target_is_the_file_unless_the_name_is_a_sqitch_change() -> None:
    path = f"{V}/0193_a.py"
    assert target(path, "0193_a") == path
    assert target(path, "") == path
    assert target("queue/sqitch.plan", "07-billing") == "07-billing"


def test_a_reservation_outranks_a_pr_opened_before_it() -> None:
    (collision,) = run([mine(193, "b", pr=50)], [pr(1, 193, "a"), reservation(193)]).collisions
    assert collision.owner == reservation(193)
    assert not collision.with_base
    assert collision.next_available == "0195"  # PR #1 moves too, first: to 0194


def test_the_base_branch_outranks_even_a_ranked_reservation() -> None:
    (collision,) = run([mine(192, "late", 191, pr=50)], [reservation(192, rank=1)]).collisions
    assert collision.owner is not None and collision.owner.source is ClaimSource.BASE


def test_an_unknown_fingerprint_on_either_side_is_the_same_migration() -> None:
    me = Claim.of(mig(193, "x"), ClaimSource.SELF, pr=12, rank=12, fingerprint="me")
    assert run([me], [pr(9, 193, "x")]).ok  # the stacked PR's content was not read


def test_reservation_and_self_descriptions_and_who() -> None:
    detailed = Claim(
        "c", 193, "alice", ClaimSource.RESERVATION, number_text="0193", detail="alice, feat-x"
    )
    assert detailed.describe() == "reservation 0193 (alice, feat-x)"
    assert replace(detailed, number_text="").describe() == "reservation 193 (alice, feat-x)"
    assert Claim("c", 1, "p", ClaimSource.RESERVATION).describe() == "reservation (p)"
    assert Claim("c", 1, "p", ClaimSource.BASE).describe() == "base branch (p)"
    uncommitted = Claim("c", 1, "p", ClaimSource.SELF, uncommitted=True)
    assert uncommitted.who == "this PR (uncommitted)"
    assert Claim("c", 1, "p", ClaimSource.PR, pr=4).who == "PR #4"


def test_an_empty_chain_starts_at_one() -> None:
    facts = ChainFacts(SEQ, forks=False, base=())
    assert facts.highest == 0
    assert free_numbers("console", facts, []).numbers == ("0001",)
    # Two PRs on 0001: the later moves to 0002 (never to 0000).
    assert pending_moves("console", facts, [pr(1, 1, "a", None), path_only(2, 1, "b")]) == {
        ("console", "0001_b"): 2
    }


def test_a_base_migration_numbered_only_by_its_id_holds_that_number() -> None:
    facts = ChainFacts(SEQ, forks=False, base=(*BASE, unnamed_mig("0193")))
    assert facts.highest == 193
    assert free_numbers("console", facts, []).numbers == ("0194",)
    (collision,) = run([mine(193, "b", pr=50)], facts=facts).collisions
    assert collision.with_base and collision.next_available == "0194"


def test_a_new_migration_numbered_only_by_its_id_collides_on_that_number() -> None:
    outcome = run([unnamed(ClaimSource.SELF, 50, "0193")], [pr(1, 193, "a")])
    (collision,) = outcome.collisions
    assert collision.kind is CollisionKind.NUMBER
    assert (collision.migration.number, collision.migration.number_text) == (193, "0193")
    assert collision.next_available == "0194"


def test_another_prs_migration_numbered_only_by_its_id_collides_on_that_number() -> None:
    them = unnamed(ClaimSource.PR, 1, "0193")
    (collision,) = run([mine(193, "b", pr=50)], [them]).collisions
    assert collision.kind is CollisionKind.NUMBER and collision.owner is not None
    assert collision.owner.number == 193 and collision.owner.pr == 1


def test_ids_give_no_number_outside_a_sequential_chain() -> None:
    facts = ChainFacts(Numbering(NumberingMode.NONE, 4), forks=False, base=())
    claim = unnamed(ClaimSource.SELF, 1, "0193")
    assert numbered(claim, facts) is claim


def test_base_claims_are_of_their_own_chain_only() -> None:
    raptor = Migration("raptor", 5, "0005", "0005_r", "raptor/0005_r.py", "0005")
    facts = ChainFacts(SEQ, forks=False, base=(mig(1, "a"), raptor))
    assert [c.chain for c in base_claims("console", facts)] == ["console"]


def test_a_change_moves_its_lower_number_first_whatever_the_names() -> None:
    def named(number: int, name: str) -> Claim:
        text = f"{number:04d}"
        return Claim(
            "console",
            number,
            f"{V}/{name}.py",
            ClaimSource.SELF,
            pr=50,
            rank=50,
            name=name,
            number_text=text,
            id=text,
        )

    outcome = run([named(193, "z_late"), named(195, "a_early")], [pr(1, 193, "x"), pr(1, 195, "y")])
    got = {c.migration.number: c.next_available for c in outcome.collisions}
    assert got == {193: "0194", 195: "0196"}


def test_a_migration_carried_by_two_prs_is_one_rival() -> None:
    (collision,) = run([mine(193, "y", pr=50)], [pr(9, 193, "x"), pr(10, 193, "x")]).collisions
    assert [r.pr for r in collision.rivals] == [9]
    assert collision.next_available == "0194"


def test_unknown_ids_never_collide() -> None:
    me = Claim(
        "console",
        193,
        f"{V}/0193_b.py",
        ClaimSource.SELF,
        pr=50,
        rank=50,
        name="0193_b",
        number_text="0193",
    )
    assert run([me], [path_only(1, 195, "a")]).ok


def test_no_moves_outside_a_sequential_chain() -> None:
    facts = ChainFacts(Numbering(NumberingMode.DATE, 12), forks=False, base=())
    assert pending_moves("console", facts, [pr(1, 193, "a"), pr(2, 193, "b")]) == {}


def test_moves_skip_reserved_numbers() -> None:
    claims = [pr(1, 193, "a"), pr(2, 193, "b")]
    moves = pending_moves("console", FACTS["console"], claims, reserved=[194])
    assert moves == {("console", "0193_b"): 195}
    (collision,) = detect(
        [mine(193, "c", pr=3)], FACTS, claims[:1], reserved={"console": [194]}
    ).collisions
    assert collision.next_available == "0195"


def test_two_versions_of_one_migration_move_once() -> None:
    """One name, two contents (two PRs carry different versions of ``0193_x``): it moves once,
    and the claims ranked after it still move."""
    claims = [
        pr(1, 193, "a"),
        Claim.of(mig(193, "x"), ClaimSource.PR, pr=2, rank=2, fingerprint="one"),
        Claim.of(mig(193, "x"), ClaimSource.PR, pr=3, rank=3, fingerprint="two"),
        pr(4, 193, "z"),
    ]
    assert pending_moves("console", FACTS["console"], claims) == {
        ("console", "0193_x"): 194,
        ("console", "0193_z"): 195,
    }


def test_moves_go_in_rank_order_across_numbers() -> None:
    claims = [pr(1, 195, "a"), pr(9, 195, "b"), pr(2, 193, "c"), pr(3, 193, "d")]
    assert pending_moves("console", FACTS["console"], claims) == {
        ("console", "0193_d"): 194,
        ("console", "0195_b"): 196,
    }


def test_free_numbers_skip_reserved_numbers() -> None:
    assert free_numbers("console", FACTS["console"], [], reserved=[193]).numbers == ("0194",)
    outcome = detect([mine(196, "a")], FACTS, [], reserved={"console": [193]})
    assert outcome.next_by_chain["console"].numbers == ("0194",)


def test_the_next_numbers_are_as_many_as_the_change_adds() -> None:
    outcome = run([mine(194, "b", 193), mine(193, "a")], [pr(1, 195, "c", 194)])
    assert outcome.ok
    assert [c.number for c in outcome.new] == [193, 194]  # in chain order, not as given
    assert outcome.next_by_chain["console"].numbers == ("0193", "0194")


def test_a_fork_is_still_told_when_only_some_rivals_collide_on_the_number() -> None:
    outcome = run([mine(193, "me", pr=50)], [pr(1, 193, "a"), pr(2, 194, "b")])
    assert [c.kind for c in outcome.collisions] == [CollisionKind.NUMBER]
    (fork,) = outcome.notes
    assert fork.kind is CollisionKind.FORK and [r.pr for r in fork.rivals] == [1, 2]


def _width_2(base_top: int) -> ChainFacts:
    base = tuple(
        Migration("q", n, f"{n:02d}", f"{n:02d}_m", f"q/{n:02d}_m.py", f"{n:02d}")
        for n in range(1, base_top + 1)
    )
    return ChainFacts(Numbering(NumberingMode.SEQUENTIAL, 2), forks=False, base=base)


def _q(number: int, slug: str, source: ClaimSource, rank: int) -> Claim:
    text = f"{number:02d}"
    m = Migration("q", number, text, f"{text}_{slug}", f"q/{text}_{slug}.py", text)
    return Claim.of(m, source, pr=rank, rank=rank)


def test_a_move_to_the_last_number_of_the_width_does_not_warn() -> None:
    facts = _width_2(97)
    outcome = detect(
        [_q(98, "me", ClaimSource.SELF, 50)], {"q": facts}, [_q(98, "a", ClaimSource.PR, 1)]
    )
    assert outcome.next_by_chain["q"].numbers == ("99",)
    assert not outcome.next_by_chain["q"].widened
    assert outcome.warnings == ()


def test_moves_that_cross_the_width_warn_even_when_the_first_fits() -> None:
    facts = _width_2(96)
    mine_ = [_q(97, "me", ClaimSource.SELF, 50), _q(98, "me2", ClaimSource.SELF, 50)]
    theirs = [_q(97, "a", ClaimSource.PR, 1), _q(98, "b", ClaimSource.PR, 1)]
    outcome = detect(mine_, {"q": facts}, theirs)
    numbers = outcome.next_by_chain["q"]
    assert numbers.numbers == ("99", "100") and numbers.widened
    (warning,) = outcome.warnings
    assert warning.startswith("[q] the next number 100 is wider")


def test_an_id_collision_suggests_no_number_even_when_the_migration_also_moves() -> None:
    def with_id(source: ClaimSource, rank: int, number: int, slug: str, rev: str) -> Claim:
        m = mig(number, slug)._replace(id=rev)
        return Claim.of(m, source, pr=rank, rank=rank)

    me = with_id(ClaimSource.SELF, 50, 193, "b", "dup")
    outcome = run(
        [me],
        [with_id(ClaimSource.PR, 1, 193, "a", "r1"), with_id(ClaimSource.PR, 2, 195, "c", "dup")],
    )
    by_kind = {c.kind: c for c in outcome.collisions}
    assert by_kind[CollisionKind.NUMBER].next_available == "0194"
    assert by_kind[CollisionKind.ID].next_available is None
    owner = by_kind[CollisionKind.ID].owner
    assert owner is not None and owner.pr == 2


def test_a_pr_stacked_on_this_changes_first_migration_forks_nothing() -> None:
    """This change adds 0193 and 0194 on it; PR #60 builds on this change's 0193: 0194's
    parent is this change's own, no fork (with anyone)."""
    outcome = run([mine(193, "a", 192, pr=50), mine(194, "b", 193, pr=50)], [pr(60, 195, "c", 193)])
    assert outcome.ok and outcome.notes == ()


def test_a_migration_already_on_the_base_is_not_its_own_fork() -> None:
    rebased = Claim.of(hexmig("bbb", "aaa"), ClaimSource.SELF, pr=3, rank=3)
    assert run([rebased], [], HEX_FACTS).ok


def test_a_merge_migration_on_top_of_a_sibling_is_no_fork() -> None:
    me = Claim.of(hexmig("ccc", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    merge = Migration("console", None, "", "ddd_m", f"{V}/ddd_m.py", "ddd", ("bbb", "ccc"))
    assert run([me], [Claim.of(merge, ClaimSource.PR, pr=11, rank=11)], HEX_FACTS).ok
    other = Claim.of(hexmig("eee", "bbb"), ClaimSource.PR, pr=11, rank=11)
    my_merge = Migration("console", None, "", "fff_m", f"{V}/fff_m.py", "fff", ("bbb", "eee"))
    assert run([Claim.of(my_merge, ClaimSource.SELF, pr=12, rank=12)], [other], HEX_FACTS).ok


def test_an_earlier_pr_carrying_this_changes_own_migration_is_no_fork() -> None:
    me = Claim.of(hexmig("ccc", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    carried = Claim.of(hexmig("ccc", "bbb"), ClaimSource.PR, pr=11, rank=11)
    assert run([me], [carried], HEX_FACTS).ok


def test_in_a_numbered_chain_the_lower_number_merges_first_whoever_opened_first() -> None:
    outcome = run([mine(193, "a", pr=3322)], [pr(3277, 194, "b")])
    (note,) = outcome.notes
    assert note.kind is CollisionKind.FORK and note.owner is None


def test_in_a_numbered_chain_a_rival_without_a_number_merges_after_numbered_ones() -> None:
    them = unnamed(ClaimSource.PR, 1, "beef")
    (note,) = run([mine(193, "a", pr=50)], [them]).notes
    assert note.kind is CollisionKind.FORK and note.owner is None


def test_a_forking_migration_carried_by_two_prs_is_one_rival() -> None:
    me = Claim.of(hexmig("ccc", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    them = [Claim.of(hexmig("ddd", "bbb"), ClaimSource.PR, pr=n, rank=n) for n in (11, 13)]
    (fork,) = run([me], them, HEX_FACTS).collisions
    assert [r.pr for r in fork.rivals] == [11]


# --- issue 14, mutation survivors: one rule per test ------------------------------------------


def _at(number: int, name: str, path: str, rev: str, parents: tuple[str, ...] = ()) -> Migration:
    """A migration anywhere (another version location), its number and id given apart."""
    text = f"{number:04d}"
    return Migration("console", number, text, name, path, rev, parents)


def test_this_change_and_a_branch_are_described_as_the_report_prints_them() -> None:
    """The claimant words a user reads; ``Claim.of`` carries ``uncommitted`` and ``ref``."""
    path = f"{V}/0193_a.py"
    m = mig(193, "a")
    assert Claim.of(m, ClaimSource.SELF).describe() == f"this PR ({path})"
    dirty = Claim.of(m, ClaimSource.SELF, uncommitted=True)
    assert dirty.describe() == f"this PR (uncommitted) ({path})"
    branch = Claim.of(m, ClaimSource.PR, ref="origin/feat")
    assert branch.describe() == f"branch origin/feat ({path})"


def test_the_owner_is_told_the_kind_it_keeps_on_its_own_migration() -> None:
    me = mine(193, "a", pr=1)
    (note,) = run([me], [path_only(2, 193, "b")]).notes
    assert (note.kind, note.migration, note.owner) == (CollisionKind.NUMBER, me, None)
    facts = ChainFacts(HEX, forks=False, base=())
    first = Claim.of(hexmig("ab12", None, "a"), ClaimSource.SELF, pr=3, rank=3)
    later = Claim.of(hexmig("ab12", None, "b"), ClaimSource.PR, pr=8, rank=8)
    (id_note,) = run([first], [later], facts).notes
    assert (id_note.kind, id_note.migration, id_note.owner) == (CollisionKind.ID, first, None)


# Two base heads: aaa <- bbb and ccc <- ddd.
TWO_HEADS = ChainFacts(
    HEX,
    forks=True,
    base=(hexmig("aaa", None), hexmig("bbb", "aaa"), hexmig("ccc", None), hexmig("ddd", "ccc")),
)


def merge(rev: str, *parents: str, source: ClaimSource = ClaimSource.SELF, rank: int = 12) -> Claim:
    """A merge migration (Alembic: ``down_revision`` a tuple) built on ``parents``."""
    m = Migration("console", None, "", f"{rev}_merge", f"{V}/{rev}_merge.py", rev, parents)
    return Claim.of(m, source, pr=rank, rank=rank)


def test_a_merge_migration_forks_on_each_parent_the_base_built_on() -> None:
    outcome = run([merge("eee", "aaa", "ccc")], [], TWO_HEADS)
    assert [(c.kind, c.parent) for c in outcome.collisions] == [
        (CollisionKind.FORK, "aaa"),
        (CollisionKind.FORK, "ccc"),
    ]


def test_a_merge_migration_forks_on_a_later_parent_after_its_own_one() -> None:
    """Its first parent is this change's own migration (no fork); the second still counts."""
    own = Claim.of(hexmig("eee", "bbb"), ClaimSource.SELF, pr=12, rank=12)
    (fork,) = run([own, merge("fff", "eee", "ccc")], [], TWO_HEADS).collisions
    assert (fork.migration.id, fork.parent, fork.with_base) == ("fff", "ccc", True)


def test_a_merge_migration_forks_on_a_later_parent_another_pr_built_on() -> None:
    """No one else built on its first parent; PR #5 built on its second: a fork there."""
    them = Claim.of(hexmig("fff", "ddd"), ClaimSource.PR, pr=5, rank=5)
    (fork,) = run([merge("eee", "bbb", "ddd")], [them], TWO_HEADS).collisions
    assert (fork.parent, fork.owner) == ("ddd", them)


def test_in_a_numbered_chain_the_lower_number_merges_first_zero_included() -> None:
    """0000 (this change, opened later) merges before PR #3's 0001 on the same parent."""
    root = Migration("console", None, "", "root", f"{V}/root.py", "root")
    facts = ChainFacts(SEQ, forks=True, base=(root,))
    me = Claim.of(
        _at(0, "0000_a", f"{V}/0000_a.py", "0000", ("root",)), ClaimSource.SELF, pr=9, rank=9
    )
    them = Claim.of(
        _at(1, "0001_b", f"{V}/0001_b.py", "0001", ("root",)), ClaimSource.PR, pr=3, rank=3
    )
    (note,) = run([me], [them], facts).notes
    assert (note.kind, note.owner) == (CollisionKind.FORK, None)


def test_a_base_migration_numbered_neither_by_name_nor_by_id_holds_no_number() -> None:
    facts = ChainFacts(SEQ, forks=False, base=(*BASE, unnamed_mig("beef")))
    assert facts.highest == 192
    assert free_numbers("console", facts, []).numbers == ("0193",)


def test_a_change_moves_its_lower_number_first_zero_included() -> None:
    """0000 moves before 0001 though its name sorts after (numbers held by their ids)."""
    facts = ChainFacts(SEQ, forks=False, base=())
    late = Claim.of(_at(0, "z_late", f"{V}/z_late.py", "0000"), ClaimSource.SELF, pr=50, rank=50)
    early = Claim.of(_at(1, "a_early", f"{V}/a_early.py", "0001"), ClaimSource.SELF, pr=50, rank=50)
    outcome = run([late, early], [pr(1, 0, "x", None), pr(1, 1, "y", None)], facts)
    got = {c.migration.number: c.next_available for c in outcome.collisions}
    assert got == {0: "0002", 1: "0003"}


def test_of_one_changes_duplicates_the_first_by_name_keeps_it_wherever_the_files_live() -> None:
    a = _at(193, "0193_a", "b/versions/0193_a.py", "r_a", ("0192",))
    z = _at(193, "0193_z", "a/versions/0193_z.py", "r_z", ("0192",))
    outcome = run([Claim.of(m, ClaimSource.SELF, pr=7, rank=7) for m in (a, z)])
    (collision,) = outcome.collisions
    assert collision.migration.name == "0193_z"
    assert collision.owner is not None and collision.owner.name == "0193_a"


def test_this_changes_migrations_are_listed_by_number_zero_first_wherever_they_live() -> None:
    facts = ChainFacts(SEQ, forks=False, base=())
    one = _at(1, "0001_x", "a/versions/0001_x.py", "0001")
    zero = _at(0, "0000_y", "b/versions/0000_y.py", "0000")
    outcome = run([Claim.of(m, ClaimSource.SELF, pr=7, rank=7) for m in (one, zero)], facts=facts)
    assert [c.name for c in outcome.new] == ["0000_y", "0001_x"]


def test_collisions_and_notes_of_every_chain_are_reported() -> None:
    raptor_base = tuple(
        Migration("raptor", n, f"{n:04d}", f"{n:04d}_r", f"raptor/{n:04d}_r.py", f"{n:04d}")
        for n in range(1, 5)
    )
    chains = {
        "console": ChainFacts(SEQ, forks=False, base=BASE),
        "raptor": ChainFacts(SEQ, forks=False, base=raptor_base),
    }

    def raptor(number: int, slug: str, source: ClaimSource, rank: int) -> Claim:
        text = f"{number:04d}"
        m = Migration("raptor", number, text, f"{text}_{slug}", f"raptor/{text}_{slug}.py", text)
        return Claim.of(m, source, pr=rank, rank=rank)

    new = [
        mine(193, "x"),
        mine(194, "y", 193),
        raptor(5, "x", ClaimSource.SELF, 7),
        raptor(6, "y", ClaimSource.SELF, 7),
    ]
    others = [
        pr(1, 193, "a"),
        pr(9, 194, "b"),
        raptor(5, "a", ClaimSource.PR, 1),
        raptor(6, "b", ClaimSource.PR, 9),
    ]
    outcome = detect(new, chains, others)
    assert [(c.migration.chain, c.migration.number) for c in outcome.collisions] == [
        ("console", 193),
        ("raptor", 5),
    ]
    assert [(c.migration.chain, c.migration.number) for c in outcome.notes] == [
        ("console", 194),
        ("raptor", 6),
    ]


def test_when_this_change_must_move_the_next_numbers_are_where_it_moves() -> None:
    """0193 moves to 0195 (its own 0194 stays): the chain's next number is 0195, not 0194."""
    outcome = run([mine(193, "x"), mine(194, "y", 193)], [pr(1, 193, "a")])
    (collision,) = outcome.collisions
    assert collision.next_available == "0195"
    assert outcome.next_by_chain["console"].numbers == ("0195",)


def test_the_next_number_skips_the_numbers_open_prs_claim() -> None:
    outcome = run([mine(194, "b")], [pr(1, 193, "a")])
    assert outcome.ok
    assert outcome.next_by_chain["console"].numbers == ("0194",)


def test_free_numbers_skip_where_a_displaced_claim_moves_past_a_reservation() -> None:
    """#2 leaves 0193 for 0195 (0194 is reserved): the next free number is 0196."""
    claims = [pr(1, 193, "a"), pr(2, 193, "b")]
    assert free_numbers("console", FACTS["console"], claims, reserved=[194]).numbers == ("0196",)


def test_a_files_own_number_wins_over_the_number_in_its_id() -> None:
    """Renamed 0193 -> 0195 with the revision left at "0193": the file holds 0195."""
    claim = Claim.of(mig(195, "x")._replace(id="0193"), ClaimSource.SELF, pr=7, rank=7)
    assert numbered(claim, FACTS["console"]) is claim


def test_sparing_one_migration_a_second_report_spares_no_other() -> None:
    """This change's 0193_x (revision "0195", renamed by hand) and add_y (revision "0195")
    share an id. 0193_x's number rival is PR #2's older add_y (revision "0193"), so its own
    id collision with add_y is not told twice; add_y's id collision with 0193_x still is."""
    facts = ChainFacts(SEQ, forks=False, base=BASE)
    x = Claim.of(mig(193, "x")._replace(id="0195"), ClaimSource.SELF, pr=7, rank=7)
    y_path = f"{V}/add_y.py"
    y = Claim.of(
        Migration("console", None, "", "add_y", y_path, "0195", ("0192",)),
        ClaimSource.SELF,
        pr=7,
        rank=7,
        fingerprint="new",
    )
    old_y = Claim.of(
        Migration("console", None, "", "add_y", y_path, "0193", ("0192",)),
        ClaimSource.PR,
        pr=2,
        rank=2,
        fingerprint="old",
    )
    outcome = run([x, y], [old_y], facts)
    assert [(c.kind, c.migration.name) for c in outcome.collisions] == [
        (CollisionKind.NUMBER, "0193_x"),
        (CollisionKind.ID, "add_y"),
    ]
