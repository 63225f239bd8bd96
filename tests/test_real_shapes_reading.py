"""Reconstructed shapes of real projects' Alembic chains (tests/data/real_shapes): what the
CLI says about them, and parity with real Alembic (in-process) on each.

- quay: ``from peewee import *`` before the literal ``revision``/``down_revision``: was a
  false FAIL (the file unreadable, its child an orphan, a phantom second head).
- keystone: expand/contract branches with literal labels, two heads by design: was a false
  FAIL (MG102, with ``alembic merge heads`` as the advice).
- neutron: the same design with labels computed from a module constant: was a false FAIL
  (the literal ``down_revision`` dropped with the label, ``kilo`` a phantom head). Without
  running code the branches cannot be told: "could not decide" (exit 3), not OK.

Each fixture is copied into a fresh git repository under tmp_path; real Alembic loads that
copy (with the fixture's stand-in modules on ``sys.path``), never the fixture itself.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing.cli import run
from testing.gitrepo import GitRepo

from migration_guard.chains.alembic.reader import read_chain
from migration_guard.model import ChainKind, ChainSpec, ChainState
from migration_guard.tree import WorkTree

SHAPES = Path(__file__).parent / "data" / "real_shapes"
QUAY_V = "data/migrations/versions"
KEYSTONE_V = "keystone/common/sql/migrations/versions"
NEUTRON_V = "neutron/db/migration/alembic_migrations/versions"
SPECS = {
    "quay": ChainSpec("data", "Data", ChainKind.ALEMBIC, QUAY_V, discovered=True),
    "keystone": ChainSpec("keystone", "Keystone", ChainKind.ALEMBIC, KEYSTONE_V, recursive=True),
    "neutron": ChainSpec("neutron", "Neutron", ChainKind.ALEMBIC, NEUTRON_V, recursive=True),
}
# Where Alembic's script_location is, and what goes on sys.path so the files can run.
LOCATIONS = {
    "quay": ("data/migrations", "stubs"),
    "keystone": ("keystone/common/sql/migrations", None),
    "neutron": ("neutron/db/migration/alembic_migrations", "."),
}
LABELS_HINT = 'write it as a literal tuple of strings, e.g. branch_labels = ("expand",), or None'


def shape_repo(tmp_path: Path, name: str) -> GitRepo:
    repo = GitRepo.create(tmp_path, name)
    shutil.copytree(SHAPES / name, repo.path, dirs_exist_ok=True)
    repo.commit_all(f"{name}-like chain")
    return repo


def literal_labels(repo: GitRepo) -> None:
    """What neutron's files would say with the labels written as literals."""
    for path in (repo.path / NEUTRON_V / "liberty").rglob("*.py"):
        text = path.read_text()
        text = text.replace("(cli.EXPAND_BRANCH,)", "('expand',)")
        path.write_text(text.replace("(cli.CONTRACT_BRANCH,)", "('contract',)"))


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Alembic executes the files: no bytecode left behind, and the fixture's stand-in
    modules (peewee, neutron) forgotten afterwards."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("peewee", "neutron"):
            del sys.modules[name]


def alembic_script_directory(
    repo: GitRepo, name: str, monkeypatch: pytest.MonkeyPatch
) -> ScriptDirectory:
    location, extra_path = LOCATIONS[name]
    if extra_path is not None:
        monkeypatch.syspath_prepend(str(repo.path / extra_path))
    config = Config()
    config.set_main_option("script_location", str(repo.path / location))
    if SPECS[name].recursive:
        config.set_main_option("recursive_version_locations", "true")
    return ScriptDirectory.from_config(config)


def ours(repo: GitRepo, name: str) -> ChainState:
    return read_chain(WorkTree(repo.path), SPECS[name])


# --- quay ------------------------------------------------------------------------------------

QUAY_STAR = f"{QUAY_V}/a6c463dfb9fe_back_fill_build_expand_config.py"
QUAY_WARNING = [
    f"  {QUAY_STAR}:13: MG120 warning: branch_labels and depends_on may be bound by the star "
    "import (from peewee import *); its branch labels and dependencies cannot be checked",
    "      hint: bind them after the import (branch_labels = None, depends_on = None), or import "
    "the names the file uses one by one",
]


def test_quay_star_import_before_the_literals_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "quay")
    code, out, _ = run(repo, capsys, "heads")
    assert code == 0
    assert out.splitlines() == [
        "Data: OK (exactly 1 head)",
        f"  head 9fa37f66a9b6  {QUAY_V}/9fa37f66a9b6_add_namespace_notification_log_entry_.py",
        *QUAY_WARNING,
    ]
    code, out, _ = run(repo, capsys, "lint")
    assert code == 0
    assert out.splitlines() == [
        f"Data (alembic, {QUAY_V}): OK (5 migrations, 1 warning)",
        *QUAY_WARNING,
        "lint: 1 chain checked. OK.",
    ]
    code, out, _ = run(repo, capsys, "chains")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"  data  alembic  {QUAY_V}  none       5           -        9fa37f66a9b6"
    )


# --- keystone --------------------------------------------------------------------------------

KEYSTONE_HEADS = [
    f"  head 47147121  {KEYSTONE_V}/2024.1/expand/"
    "47147121_add_identity_federation_attribute_mapping_schema_version.py  (branch expand)",
    f"  head c88cdce8f248  {KEYSTONE_V}/bobcat/contract/"
    "c88cdce8f248_remove_duplicate_constraints.py  (branch contract)",
]


def test_keystone_expand_and_contract_heads_are_branches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "keystone")
    code, out, _ = run(repo, capsys, "heads")
    assert code == 0
    assert out.splitlines() == ["Keystone: OK (2 branches: contract, expand)", *KEYSTONE_HEADS]
    code, out, _ = run(repo, capsys, "lint")
    assert (code, out.splitlines()) == (
        0,
        [f"Keystone (alembic, {KEYSTONE_V}): OK (8 migrations)", "lint: 1 chain checked. OK."],
    )
    code, out, _ = run(repo, capsys, "chains")
    assert code == 0
    assert out.splitlines()[-1] == (
        f"  keystone  alembic  {KEYSTONE_V}  none       8           -        "
        "47147121 (branch expand), c88cdce8f248 (branch contract)"
    )
    code, out, _ = run(repo, capsys, "heads", "--format", "json")
    payload = json.loads(out)
    assert (code, payload["ok"], payload["decided"]) == (0, True, True)
    chain = payload["chains"][0]
    assert (chain["branched"], chain["undecided"]) == (True, [])
    assert [(h["revision"], h["branch"]) for h in chain["heads"]] == [
        ("47147121", ["expand"]),
        ("c88cdce8f248", ["contract"]),
    ]


def test_two_heads_on_one_branch_still_fail_with_a_merge_of_just_those(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "keystone")
    # A second expand migration built on the same parent as 47147121: a fork in the branch.
    fork = repo.path / KEYSTONE_V / "2024.1/expand/5d1f3a2b7c9e_add_other_index.py"
    source = next((repo.path / KEYSTONE_V / "2024.1/expand").glob("47147121_*.py"))
    fork.write_text(source.read_text().replace("47147121", "5d1f3a2b7c9e"))
    code, out, _ = run(repo, capsys, "heads")
    assert code == 1
    hint = (
        "      hint: `alembic upgrade expand@head` fails with several heads on one line; "
        "`migration-guard recover` finds the migration that landed second and moves it onto "
        "the other; on a PR branch, `migration-guard check` names the renumber command (or "
        "merge just these heads: alembic merge 47147121 5d1f3a2b7c9e)"
    )
    assert out.splitlines() == [
        "Keystone: FAIL (3 heads)",
        KEYSTONE_HEADS[0],
        f"  head 5d1f3a2b7c9e  {fork.relative_to(repo.path)}  (branch expand)",
        KEYSTONE_HEADS[1],
        f"  {KEYSTONE_HEADS[0].split()[2]}:13: MG102 head '47147121' is one of 2 heads on "
        "branch expand ('47147121', '5d1f3a2b7c9e')",
        hint,
        f"  {fork.relative_to(repo.path)}:13: MG102 head '5d1f3a2b7c9e' is one of 2 heads on "
        "branch expand ('47147121', '5d1f3a2b7c9e')",
        hint,
    ]


def test_a_head_on_no_labelled_branch_beside_branches_fails_without_merge_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "keystone")
    stray = repo.path / KEYSTONE_V / "0a1b2c3d4e5f_stray.py"
    stray.write_text("revision = '0a1b2c3d4e5f'\ndown_revision = '27e647c0fad4'\n")
    code, out, _ = run(repo, capsys, "heads")
    assert code == 1
    assert out.splitlines() == [
        "Keystone: FAIL (3 heads)",
        f"  head 0a1b2c3d4e5f  {KEYSTONE_V}/0a1b2c3d4e5f_stray.py",
        *KEYSTONE_HEADS,
        f"  {KEYSTONE_V}/0a1b2c3d4e5f_stray.py:1: MG102 head '0a1b2c3d4e5f' is on no labelled "
        "branch, one of 3 heads ('0a1b2c3d4e5f', '47147121', 'c88cdce8f248')",
        "      hint: only heads that each end a branch of their own (branch_labels on the "
        "revision that starts it) may stand side by side; put this one on the branch it "
        "belongs to (down_revision = that branch's head), or give the first revision of its "
        "line a branch label",
    ]


def expand_revision(repo: GitRepo, rev: str, down: str) -> str:
    """Write a plain expand revision of 2024.1 on top of ``down``; its path."""
    path = f"{KEYSTONE_V}/2024.1/expand/{rev}_step.py"
    repo.write(path, f"revision = '{rev}'\ndown_revision = '{down}'\n")
    return path


def test_recover_leaves_intentional_branches_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "keystone")
    code, out, _ = run(repo, capsys, "recover")
    assert (code, out.splitlines()) == (
        0,
        [
            f"Keystone (alembic, {KEYSTONE_V}): OK (no collision)",
            "recover: no collision found. OK.",
        ],
    )


def test_recover_moves_a_fork_in_one_branch_onto_that_branch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "keystone")
    paths = {}
    for pr, rev in ((1, "aaaa11112222"), (2, "bbbb33334444")):
        repo.git("checkout", "-q", "-b", f"pr{pr}", "main")
        paths[pr] = expand_revision(repo, rev, "47147121")
        repo.commit_all(f"pr{pr}")
    repo.git("checkout", "-q", "main")
    for pr in (1, 2):
        repo.git(
            "merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr} from a/pr{pr}", f"pr{pr}"
        )
    code, out, _ = run(repo, capsys, "recover", "--apply")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == f"Keystone (alembic, {KEYSTONE_V}): COLLISION (3 heads)"
    assert f"  repair: re-parent {paths[2]} (name and id kept)" in lines
    assert (
        "  the first moved migration goes on top of aaaa11112222 (the surviving head); moved "
        "migrations keep their links to each other"
    ) in lines
    assert lines[-1] == (
        "Keystone: OK (2 heads: bbbb33334444 (branch expand), c88cdce8f248 (branch contract))"
    )
    assert (repo.path / paths[2]).read_text() == (
        "revision = 'bbbb33334444'\ndown_revision = 'aaaa11112222'\n"
    )


def test_renumber_puts_a_stale_migration_on_the_head_of_its_own_branch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "keystone")
    repo.git("checkout", "-q", "-b", "pr3")
    path = expand_revision(repo, "cccc55556666", "11c3b243b4cb")  # expand, before 47147121
    repo.commit_all("pr3")
    code, out, _ = run(
        repo,
        capsys,
        "renumber",
        "--branch",
        "--to",
        "next",
        "--base-sha",
        "main",
        "--provider",
        "none",
    )
    assert code == 0
    assert (
        "Keystone: OK (2 heads: cccc55556666 (branch expand), c88cdce8f248 (branch contract))"
    ) in out.splitlines()
    assert (repo.path / path).read_text() == (
        "revision = 'cccc55556666'\ndown_revision = '47147121'\n"
    )


# --- neutron ---------------------------------------------------------------------------------

NEUTRON_EXPAND = f"{NEUTRON_V}/liberty/expand/599c6a226151_neutrodb_ipam.py"
NEUTRON_CONTRACT = f"{NEUTRON_V}/liberty/contract/30018084ec99_initial.py"
NEUTRON_REASON = (
    "  cannot tell which branch heads '682c319773d7', '5ffceebfada' end: the branch_labels of "
    f"{NEUTRON_CONTRACT}:19, {NEUTRON_EXPAND}:19 cannot be read statically"
)
NEUTRON_WARNINGS = [
    f"  {NEUTRON_CONTRACT}:19: MG120 warning: branch_labels is computed (cli.CONTRACT_BRANCH); "
    "its branch labels cannot be checked",
    f"      hint: {LABELS_HINT}",
    f"  {NEUTRON_EXPAND}:19: MG120 warning: branch_labels is computed (cli.EXPAND_BRANCH); "
    "its branch labels cannot be checked",
    f"      hint: {LABELS_HINT}",
]
NEUTRON_HEADS = [
    f"  head 682c319773d7  {NEUTRON_V}/2023.1/expand/"
    "682c319773d7_add_port_hardware_offload_type.py",
    f"  head 5ffceebfada  {NEUTRON_V}/mitaka/contract/5ffceebfada_rbac_network_external.py",
]


def test_neutron_computed_labels_keep_the_links_and_cannot_be_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "neutron")
    code, out, _ = run(repo, capsys, "heads")
    assert code == 3
    assert out.splitlines() == [
        "Neutron: COULD NOT DECIDE (2 heads)",
        *(line + "  (branch unknown)" for line in NEUTRON_HEADS),
        NEUTRON_REASON,
        *NEUTRON_WARNINGS,
    ]
    code, out, _ = run(repo, capsys, "lint")
    assert code == 3
    assert out.splitlines() == [
        f"Neutron (alembic, {NEUTRON_V}): COULD NOT DECIDE (10 migrations, 2 warnings)",
        NEUTRON_REASON,
        *NEUTRON_WARNINGS,
        "lint: 1 chain checked. 1 chain could not be decided. COULD NOT DECIDE.",
    ]
    code, out, _ = run(repo, capsys, "chains")
    assert code == 0
    assert out.splitlines()[-2:] == [
        f"  neutron  alembic  {NEUTRON_V}  none       10          -        "
        "682c319773d7 (branch unknown), 5ffceebfada (branch unknown)",
        "Could not decide the heads of neutron: run `migration-guard heads`.",
    ]
    code, out, _ = run(repo, capsys, "heads", "--format", "json")
    payload = json.loads(out)
    assert (code, payload["ok"], payload["decided"]) == (3, False, False)
    assert [h["branch"] for h in payload["chains"][0]["heads"]] == [None, None]
    assert payload["chains"][0]["undecided"] == [NEUTRON_REASON.strip()]


def test_recover_cannot_tell_forks_from_branches_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "neutron")
    code, out, _ = run(repo, capsys, "recover")
    assert code == 3
    assert out.splitlines() == [
        f"Neutron (alembic, {NEUTRON_V}): COULD NOT DECIDE (no collision by number or id)",
        NEUTRON_REASON,
        "recover: no collision by number or id; forks cannot be told from intentional "
        "branches where branch labels cannot be read. COULD NOT DECIDE.",
    ]


def test_neutron_with_literal_labels_is_two_branches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = shape_repo(tmp_path, "neutron")
    literal_labels(repo)
    code, out, _ = run(repo, capsys, "heads")
    assert code == 0
    assert out.splitlines() == [
        "Neutron: OK (2 branches: contract, expand)",
        NEUTRON_HEADS[0] + "  (branch expand)",
        NEUTRON_HEADS[1] + "  (branch contract)",
    ]


# --- parity with real Alembic ----------------------------------------------------------------


@pytest.mark.usefixtures("isolated_imports")
@pytest.mark.parametrize(
    ("name", "literal"),
    [("quay", False), ("keystone", False), ("neutron", False), ("neutron", True)],
)
def test_heads_and_branches_match_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, literal: bool
) -> None:
    repo = shape_repo(tmp_path, name)
    if literal:
        literal_labels(repo)
    script = alembic_script_directory(repo, name, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (Alembic warns of duplicates and missing revisions)
        alembic_heads = list(script.get_heads())
    state = ours(repo, name)
    assert [h.revision for h in state.heads] == alembic_heads  # in Alembic's order
    assert state.ok
    alembic_branches = [set(script.get_revision(h).branch_labels) for h in alembic_heads]
    if name == "neutron" and not literal:
        # Alembic ran cli.py to know them; we did not, and say so instead of guessing.
        assert alembic_branches == [{"expand"}, {"contract"}]
        assert [h.branch for h in state.heads] == [None, None] and state.undecided
        return
    assert [set(h.branch or ()) for h in state.heads] == alembic_branches
    # And each branch head is what Alembic resolves ``<label>@head`` to.
    for head in state.heads:
        for label in head.branch or ():
            assert script.get_revisions(f"{label}@head") == (script.get_revision(head.revision),)
