"""No false OK (issue 10, items 3, 5, 7 and 17): what a command could not read or decide is
said, and what ``check`` suggests is what ``renumber`` accepts. Real git repositories with a
bare origin; the real sqitch where a plan's validity matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testing.cli import run as _run
from testing.fake_forge import FakeForge
from testing.gitrepo import GitRepo
from testing.sqitch_projects import sqitch

from migration_guard import sample

V = sample.CONSOLE_VERSIONS
PLAN = sample.QUEUE_PLAN
QUEUE = PLAN.rsplit("/", 1)[0]


def _sample_repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.push("main")
    return repo


def _add_change(repo: GitRepo, branch: str, name: str, *, note_bytes: bytes = b"") -> None:
    """On a new branch from main: a sqitch change appended to the plan (its note ending in
    ``note_bytes``), with its scripts; committed and pushed."""
    repo.git("checkout", "-q", "-b", branch, "main")
    change = sample.SqitchChange(name, name.replace("-", "_")[3:], name)
    line = sample.plan_line(change).encode()
    with (repo.path / PLAN).open("ab") as plan:
        plan.write(line[:-1] + note_bytes + b"\n")
    sample.write_sqitch_change(repo.path / QUEUE, change)
    repo.commit_all(f"{branch}: add {name}")
    repo.push(branch)


# --- item 3: a plan that cannot be read is never "0 new migrations" --------------------------


@pytest.fixture
def bad_byte_plan(tmp_path: Path) -> GitRepo:
    """Another branch adds 08-billing; this branch adds 08-job-tags with one byte that is
    not UTF-8 in its note (sqitch refuses to read the whole plan)."""
    repo = _sample_repo(tmp_path)
    _add_change(repo, "billing", "08-billing")
    _add_change(repo, "tags", "08-job-tags", note_bytes=b" caf\xe9")
    return repo


@pytest.mark.sqitch
def test_sqitch_itself_cannot_read_the_plan(bad_byte_plan: GitRepo) -> None:
    proc = sqitch(bad_byte_plan.path / QUEUE, "plan", "--no-pager", check=False)
    assert proc.returncode != 0
    assert "UTF-8" in proc.stderr + proc.stdout


@pytest.mark.parametrize("form", ["text", "json", "markdown", "github"])
def test_check_cannot_read_the_plan_is_exit_3(
    bad_byte_plan: GitRepo, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    code, out, err = _run(bad_byte_plan, capsys, "check", "--provider", "git", "--format", form)
    assert code == 3, out + err
    assert "could not read chain queue" in err
    assert "UTF-8" in err
    assert "OK" not in out and "0 new migration" not in out


def test_check_cannot_read_the_plan_with_gh_json(
    bad_byte_plan: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prs = tmp_path / "prs.json"
    prs.write_text(
        json.dumps(
            [{"number": 7, "headRefName": "billing", "baseRefName": "main", "files": [PLAN]}]
        )
    )
    code, out, err = _run(bad_byte_plan, capsys, "check", "--open-prs", str(prs))
    assert code == 3, out + err
    assert "could not read chain queue" in err


def test_check_cannot_read_the_base_plan_either(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _sample_repo(tmp_path)
    _add_change(repo, "bad", "08-bad", note_bytes=b"\xff")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "bad")
    repo.push("main")
    _add_change(repo, "tags", "09-job-tags")
    code, out, err = _run(repo, capsys, "check", "--provider", "none")
    assert code == 3, out + err
    assert "could not read chain queue" in err


def test_next_and_renumber_cannot_read_the_plan(
    bad_byte_plan: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ("next", "queue", "--provider", "git"),
        ("next", "queue", "--provider", "git", "--format", "json"),
        ("renumber", "08-job-tags", "--to", "next", "--provider", "git"),
        ("renumber", "08-job-tags", "--to", "09", "--provider", "none"),
        ("renumber", "queue:08", "--to", "09", "--provider", "none", "--dry-run"),
        ("renumber", "--branch", "--to", "next", "--provider", "none", "--dry-run"),
    ):
        before = bad_byte_plan.git("status", "--porcelain")
        code, out, err = _run(bad_byte_plan, capsys, *args)
        assert code == 3, (args, out, err)
        assert "could not read chain queue" in err, args
        assert bad_byte_plan.git("status", "--porcelain") == before


def test_renumber_of_another_chain_still_works(
    bad_byte_plan: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreadable chain stops what depends on it, not an unrelated chain's renumber."""
    last = f"{V}/0192_{sample.slug_for('console', 192)}.py"
    code, out, err = _run(
        bad_byte_plan, capsys, "renumber", last, "--to", "0193", "--provider", "none", "--dry-run"
    )
    assert code == 0, out + err
    assert "Dry run: nothing was changed." in out


@pytest.mark.parametrize("form", ["text", "json"])
def test_recover_cannot_read_the_plan(
    bad_byte_plan: GitRepo, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    for args in (("recover", "queue"), ("recover",), ("recover", "queue", "--apply")):
        code, out, err = _run(bad_byte_plan, capsys, *args, "--format", form)
        assert code == 3, (args, out, err)
        assert "could not read chain queue" in err
        assert "OK" not in out


def test_check_and_next_cannot_read_another_branchs_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The other side's plan is unreadable: said, and the answer is incomplete (here its
    deploy script's name still shows the collision)."""
    repo = _sample_repo(tmp_path)
    _add_change(repo, "billing", "08-billing", note_bytes=b"\xff")
    _add_change(repo, "tags", "08-job-tags")
    code, out, err = _run(repo, capsys, "check", "--provider", "git", "--format", "json")
    assert code == 1, out + err
    payload = json.loads(out)
    assert payload["complete"] is False
    assert any("could not read chain queue in origin/billing" in p for p in payload["problems"])
    code, out, err = _run(repo, capsys, "next", "queue", "--provider", "git")
    assert code == 3, out + err
    assert "could not read chain queue in origin/billing" in err


# --- item 5: recover never says OK where heads reports what it cannot repair -----------------

_ANNOTATED_DOWN = 'down_revision: Union[str, Sequence[str], None] = "0192"'


def _merged_pair(tmp_path: Path, second: dict[str, str]) -> GitRepo:
    """Main at console 0192; PR #1 adds 0193_a.py, then PR #2 adds ``second`` (path ->
    text); both merged."""
    repo = GitRepo.create(tmp_path)
    sample.write_sample_repo(repo.path)
    repo.commit_all("main")
    repo.git("checkout", "-q", "-b", "a")
    repo.write(f"{V}/0193_a.py", sample.alembic_script("0193", "0192", "a", table="t_a"))
    repo.commit_all("a")
    repo.git("checkout", "-q", "-b", "b", "main")
    for path, text in second.items():
        repo.write(f"{V}/{path}", text)
    repo.commit_all("b")
    repo.git("checkout", "-q", "main")
    for pr, branch in ((1, "a"), (2, "b")):
        message = f"Merge pull request #{pr} from acme/{branch}"
        repo.git("merge", "-q", "--no-ff", "-m", message, branch)
    return repo


def _second_0193(edit: tuple[str, str]) -> dict[str, str]:
    text = sample.alembic_script("0193", "0192", "b", table="t_b")
    assert edit[0] in text
    return {"0193_b.py": text.replace(*edit, 1)}


CANNOT_REPAIR = {
    "star import": (
        _second_0193(("branch_labels:", "from os import *\nbranch_labels:")),
        "MG120",
        "0193_b.py",
    ),
    "expression": (
        _second_0193((_ANNOTATED_DOWN, _ANNOTATED_DOWN + ' + ""')),
        "MG120",
        "0193_b.py",
    ),
    "cycle": (
        {
            "0194_b.py": sample.alembic_script("0194", "0195", "b", table="t_b"),
            "0195_c.py": sample.alembic_script("0195", "0194", "c", table="t_c"),
        },
        "MG107",
        "0194_b.py",
    ),
}


@pytest.mark.parametrize("case", sorted(CANNOT_REPAIR))
def test_recover_names_what_it_cannot_repair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    files, code_name, path = CANNOT_REPAIR[case]
    repo = _merged_pair(tmp_path, files)
    code, out, _ = _run(repo, capsys, "heads", "--chain", "console")
    assert code == 1 and code_name in out
    code, out, err = _run(repo, capsys, "recover", "console")
    assert code == 1, out + err
    assert "OK" not in out
    assert "CANNOT REPAIR" in out
    assert f"{V}/{path}" in out and code_name in out
    code, out, err = _run(repo, capsys, "recover", "console", "--format", "json")
    assert code == 1, out + err
    payload = json.loads(out)
    assert payload["ok"] is False
    (chain,) = payload["chains"]
    assert code_name in [f["code"] for f in chain["unrepairable"]]
    before = repo.git("status", "--porcelain"), repo.git("rev-parse", "HEAD")
    code, out, err = _run(repo, capsys, "recover", "console", "--apply", "--branch", "hotfix/x")
    assert code == 1, out + err
    assert "CANNOT REPAIR" in out and "nothing was changed" in out
    assert (repo.git("status", "--porcelain"), repo.git("rev-parse", "HEAD")) == before
    assert "hotfix/x" not in repo.git("branch", "--list")


def test_recover_still_names_the_collision_beside_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, _, _ = CANNOT_REPAIR["star import"]
    repo = _merged_pair(tmp_path, files)
    code, out, _ = _run(repo, capsys, "recover", "console")
    assert code == 1
    assert "  same number '0193':" in out
    assert f"    {V}/0193_b.py landed second (PR #2, " in out


# --- item 7: a numbered id in a file without a number --------------------------------------


def _unnumbered_0193(tmp_path: Path) -> GitRepo:
    """Main at console 0192; branch ``other`` adds 0193_bar.py, then this branch (``mine``)
    adds add_foo.py declaring revision "0193"."""
    repo = _sample_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "other", "main")
    repo.write(f"{V}/0193_bar.py", sample.alembic_script("0193", "0192", "bar", table="t_bar"))
    repo.commit_all("other", date="2026-06-05T10:00:00Z")
    repo.push("other")
    repo.git("checkout", "-q", "-b", "mine", "main")
    repo.write(f"{V}/add_foo.py", sample.alembic_script("0193", "0192", "foo", table="t_foo"))
    repo.commit_all("mine", date="2026-06-05T11:00:00Z")
    repo.push("mine")
    return repo


def test_heads_and_lint_report_a_numbered_id_without_a_file_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _unnumbered_0193(tmp_path)
    for command in (("heads", "--chain", "console"), ("lint", "console")):
        code, out, _ = _run(repo, capsys, *command, "--format", "json")
        assert code == 1, (command, out)
        findings = [f for c in json.loads(out)["chains"] for f in c["findings"]]
        (finding,) = [f for f in findings if f["code"] == "MG113"]
        assert finding["path"] == f"{V}/add_foo.py"
        assert "0193" in finding["message"]
    # A chain of hex ids (not numbered) knows no such thing.
    repo.git("checkout", "-q", "main")
    code, out, _ = _run(repo, capsys, "heads", "--chain", "raptor")
    assert code == 0 and "MG113" not in out


def test_check_sees_the_number_a_numbered_id_claims(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The other change is known only by its paths (gh-json): its 0193 collides with this
    change's add_foo.py, whose id claims 0193; the fix is what renumber accepts."""
    repo = _unnumbered_0193(tmp_path)
    prs = tmp_path / "prs.json"
    prs.write_text(
        json.dumps(
            [
                {
                    "number": 5,
                    "headRefName": "other",
                    "baseRefName": "main",
                    "files": [f"{V}/0193_bar.py"],
                }
            ]
        )
    )
    code, out, _ = _run(repo, capsys, "check", "--open-prs", str(prs), "--pr-number", "9")
    assert code == 1, out
    lines = out.splitlines()
    assert f"COLLISION [console] 0193 — {V}/add_foo.py" in lines
    fix = f"  fix: migration-guard renumber {V}/add_foo.py --to 0194"
    assert fix in lines
    code, out, err = _run(repo, capsys, *fix.split()[2:], "--open-prs", str(prs))
    assert code == 0, out + err
    assert (repo.path / V / "0194_add_foo.py").exists()
    assert 'revision: str = "0194"' in (repo.path / V / "0194_add_foo.py").read_text()
    code, out, _ = _run(repo, capsys, "heads", "--chain", "console")
    assert code == 0, out


# --- item 17: what check suggests is what renumber accepts ----------------------------------

MINE = [f"{V}/{n}_mine_{n}.py" for n in ("0193", "0194", "0195")]
OTHER = [f"{V}/{n}_other_{n}.py" for n in ("0193", "0195")]


def _own_block_and_rival(tmp_path: Path) -> GitRepo:
    """This branch (``mine``, PR #20) adds 0193, 0194 and 0195; ``other`` (PR #10, earlier)
    claims 0193 and 0195."""
    repo = _sample_repo(tmp_path)
    for branch, paths, date in (
        ("other", OTHER, "2026-06-05T10:00:00Z"),
        ("mine", MINE, "2026-06-05T11:00:00Z"),
    ):
        repo.git("checkout", "-q", "-b", branch, "main")
        down = "0192"
        for path in paths:
            rev = path.rsplit("/", 1)[1][:4]
            slug = f"{branch}_{rev}"
            repo.write(path, sample.alembic_script(rev, down, slug, table=f"t_{slug}"))
            down = rev
        repo.commit_all(branch, date=date)
        repo.push(branch)
    return repo


def _provider_args(
    provider: str, repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeForge
) -> list[str]:
    if provider == "git":
        return ["--provider", "git"]
    if provider == "gh-json":
        prs = tmp_path / "prs.json"
        prs.write_text(
            json.dumps(
                [
                    {"number": 10, "headRefName": "other", "baseRefName": "main", "files": OTHER},
                    {"number": 20, "headRefName": "mine", "baseRefName": "main", "files": MINE},
                ]
            )
        )
        return ["--open-prs", str(prs)]
    fake.add_pr(10, OTHER, head="other")
    fake.add_pr(20, MINE, head="mine")
    if provider == "github":
        monkeypatch.setenv("GITHUB_REPOSITORY", "acme/app")
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_API_URL", fake.github_api_url)
        monkeypatch.setenv("GITHUB_GRAPHQL_URL", fake.graphql_url)
    else:
        monkeypatch.setenv("CI_PROJECT_ID", "42")
        monkeypatch.setenv("CI_API_V4_URL", fake.gitlab_api_url)
        monkeypatch.setenv("GITLAB_TOKEN", fake.token)
    return ["--provider", provider]


@pytest.mark.parametrize("provider", ["git", "gh-json", "github", "gitlab"])
def test_check_suggestions_are_what_renumber_accepts(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
) -> None:
    repo = _own_block_and_rival(tmp_path)
    with FakeForge() as fake:
        args = _provider_args(provider, repo, tmp_path, monkeypatch, fake)
        code, out, err = _run(repo, capsys, "check", *args, "--format", "json")
        assert code == 1, out + err
        suggested = {c["path"]: c["next_available"] for c in json.loads(out)["collisions"]}
        # The other change keeps 0193 and 0195; this one's 0194 stays taken.
        assert suggested == {MINE[0]: "0196", MINE[2]: "0197"}
        for path, number in suggested.items():
            # --to next lands where check says, for each migration on its own.
            code, out, err = _run(
                repo, capsys, "renumber", path, "--to", "next", *args, "--dry-run"
            )
            assert code == 0, out + err
            assert f"[console] {path[len(V) + 1 : len(V) + 5]} -> {number}:" in out, out
        # Following each fix line in turn: renumber accepts it, and check is then happy.
        for path in MINE[0], MINE[2]:
            code, out, err = _run(repo, capsys, "check", *args)
            fix = next(line for line in out.splitlines() if line.startswith("  fix:"))
            assert fix.startswith(f"  fix: migration-guard renumber {path} --to ")
            code, out, err = _run(repo, capsys, *fix.split()[2:], *args)
            assert code == 0, out + err
            repo.commit_all(f"follow: {fix}")
        code, out, err = _run(repo, capsys, "check", *args)
        assert code == 0, out + err


@pytest.mark.sqitch
def test_check_cannot_read_a_plan_line_sqitch_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A change line without its timestamp is no change to sqitch (it rejects the plan):
    never "0 new migrations"."""
    repo = _sample_repo(tmp_path)
    _add_change(repo, "billing", "08-billing")
    repo.git("checkout", "-q", "-b", "tags", "main")
    with (repo.path / PLAN).open("a") as plan:
        plan.write("08-job-tags raxx-dev-bot <ops@raxx.app> # no timestamp\n")
    sample.write_sqitch_change(repo.path / QUEUE, sample.SqitchChange("08-job-tags", "t", "t"))
    repo.commit_all("tags")
    assert sqitch(repo.path / QUEUE, "plan", "--no-pager", check=False).returncode != 0
    code, out, err = _run(repo, capsys, "check", "--provider", "git")
    assert code == 3, out + err
    assert "could not read chain queue" in err and "sqitch rejects this line" in err
