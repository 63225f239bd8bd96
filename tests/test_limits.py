"""Limits on what is read: whole files must be valid Python (issue 10, item 4), symlinks
that leave the repository are never followed (item 9), and oversized files are not read
(item 14). Real git repositories; the real Alembic is the oracle for what loads."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing.cli import run
from testing.gitrepo import GitRepo

from migration_guard import sample

VERSIONS = "db/versions"
CONFIG = '[[chains]]\nname = "db"\nkind = "alembic"\npath = "db/versions"\nwidth = 4\n'


def _script(rev: str, down: str | None, *, upgrade: str | None = None) -> str:
    text = sample.alembic_script(rev, down, f"step_{rev}", table=f"t{rev}")
    if upgrade is not None:
        head, _, _ = text.partition("def upgrade() -> None:\n")
        text = head + upgrade
    return text


def _repo(tmp_path: Path, files: dict[str, bytes]) -> GitRepo:
    """A repository with a two-revision chain 0001 <- 0002 plus ``files`` (name -> bytes)."""
    repo = GitRepo.create(tmp_path)
    repo.write("migration-guard.toml", CONFIG)
    repo.write(f"{VERSIONS}/0001_step_0001.py", _script("0001", None))
    for name, data in files.items():
        path = repo.path / VERSIONS / name
        path.write_bytes(data)
    repo.commit_all("chain")
    return repo


def _alembic_loads(repo: Path) -> bool:
    """Whether the real Alembic reads every revision script of ``db/`` (the oracle)."""
    config = Config()
    config.set_main_option("script_location", str(repo / "db"))
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ScriptDirectory.from_config(config).get_heads()
    except Exception:
        return False
    finally:
        sys.dont_write_bytecode = dont_write
    return True


# ---------------------------------------------------------------------------------------------
# Item 4: the whole file must be valid Python, not only its header.

_TAIL_CASES = {
    "conflict markers": (
        b"def upgrade() -> None:\n<<<<<<< HEAD\n    op.drop_table('a')\n=======\n"
        b"    op.drop_table('b')\n>>>>>>> other\n\n\ndef downgrade() -> None:\n    pass\n"
    ),
    "broken signature": b"def upgrade(:\n    pass\n",
    "return at module level": b"def upgrade() -> None:\n    pass\n\n\nreturn 5\n",
    "late future import": (
        b"def upgrade() -> None:\n    pass\n\n\nfrom __future__ import annotations\n"
    ),
    "bad byte in a comment": b"def upgrade() -> None:\n    pass  # caf\xe9\n",
    "bad byte in a string": b'def upgrade() -> None:\n    x = "caf\xe9"\n',
    "unterminated docstring": b'def upgrade() -> None:\n    """never closed\n    pass\n',
    "f-string with bad field": b'def upgrade() -> None:\n    x = f"{1!}"\n',
    "valid f-string": b'def upgrade() -> None:\n    x = f"{1!r}" + "it\'s"  # don\'t\n',
    "valid escapes and bytes": b'def upgrade() -> None:\n    x = b"\\x00" + r"\\d" + "\\n"\n',
    "bytes with non-ascii": b'def upgrade() -> None:\n    x = b"caf\xc3\xa9"\n',
    "quote in a comment": b'def upgrade() -> None:\n    # it\'s "fine"\n    pass\n',
    "backslash before a comment": b"def upgrade() -> None:\n    pass\n    \\# it's\n    pass\n",
    "adjacent literals": b'def upgrade() -> None:\n    x = "a""b"\n    y = "c""d""e"  # \'\n',
    "literals around broken code": (
        b'def upgrade() -> None:\n    x = "a""b"\ndef f(:\n    y = "c""d""e""f"  # \'\n'
    ),
}


def _with_tail(tail: bytes, *, header_order: str = "template") -> bytes:
    head = _script("0002", "0001").partition("def upgrade() -> None:\n")[0].encode()
    if header_order == "swapped":  # not the template's order: read by the line pre-scan
        head = head.replace(b'revision: str = "0002"\n', b"").replace(
            b"branch_labels", b'revision: str = "0002"\nbranch_labels', 1
        )
    return head + tail


@pytest.mark.parametrize("order", ["template", "swapped"])
@pytest.mark.parametrize("case", sorted(_TAIL_CASES))
def test_heads_and_lint_agree_with_alembic_on_the_whole_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, order: str
) -> None:
    repo = _repo(tmp_path, {"0002_step_0002.py": _with_tail(_TAIL_CASES[case], header_order=order)})
    loads = _alembic_loads(repo.path)
    for args in (("heads",), ("lint",), ("heads", "--rev", "HEAD"), ("lint", "--format", "json")):
        code, out, err = run(repo, capsys, *args)
        if loads:
            assert code == 0, (case, args, out, err)
            assert "MG121" not in out
        else:
            assert code == 1, (case, args, out, err)
            assert "MG121" in out and "0002_step_0002.py" in out, (case, args, out)
    if not loads:
        code, out, _ = run(repo, capsys, "heads", "--format", "json")
        payload = json.loads(out)
        assert payload["ok"] is False


def test_known_verdicts_of_alembic_on_this_python(tmp_path: Path) -> None:
    """The cases above are decided by Alembic itself; pin the ones the issue names."""
    bad = _repo(tmp_path / "a", {"0002_x.py": _with_tail(_TAIL_CASES["conflict markers"])})
    assert not _alembic_loads(bad.path)
    bad = _repo(tmp_path / "b", {"0002_x.py": _with_tail(_TAIL_CASES["broken signature"])})
    assert not _alembic_loads(bad.path)
    if sys.version_info[:2] == (3, 11):
        comment = _TAIL_CASES["bad byte in a comment"]
        ok = _repo(tmp_path / "c", {"0002_x.py": _with_tail(comment)})
        assert _alembic_loads(ok.path)


_PIECES = (
    '"',
    "'",
    '"""',
    "'''",
    "#",
    "\\",
    "\n",
    "(",
    ")",
    ":",
    "f",
    "b",
    "r",
    "x",
    " ",
    "    ",
    '""',
    "''",
    "return",
    "def",
    "=",
    "{",
    "}",
    "!",
    "é",
    "\t",
    "0",
    "01",
    "if",
    "\\n",
    "\\\n",
    '"a"',
    "'a'",
    "#'",
    '#"',
    ",",
    "+",
)


def test_every_reader_agrees_with_compile_on_mutated_files() -> None:
    """Random edits of a template script: a file the readers accept always compiles, and
    one that does not compile is always MG121 (compile of the bytes is what Alembic runs)."""
    import random

    from migration_guard.chains.alembic.script import Unreadable, parse_script

    rng = random.Random(10)
    plain = _script("0002", "0001")
    commented = plain.replace(  # comments and both kinds of quotes: the slower lexer
        "def upgrade() -> None:\n",
        'def upgrade() -> None:\n    # ### commands "auto" generated ###\n'
        "    x = 'a' + \"b\"  # it's\n",
    )
    disagreements = []
    for round_ in range(4000):
        text = plain if round_ % 2 else commented
        tail_at = text.index("def upgrade")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(tail_at - 40, len(text))
            text = text[:at] + rng.choice(_PIECES) + text[at:]
        data = text.encode()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(data, "x.py", "exec", dont_inherit=True)
            compiles = True
        except (SyntaxError, ValueError):
            compiles = False
        result = parse_script("db/versions/0002_x.py", data)
        syntax = isinstance(result, Unreadable) and result.code == "MG121"
        if syntax == compiles:
            disagreements.append(text)
    assert disagreements == []


# ---------------------------------------------------------------------------------------------
# Item 14: a file too large to be a migration is reported, and not read.


def _sparse(path: Path, size: int, head: bytes = b"") -> None:
    """A file of ``size`` bytes that costs no disk: ``head`` then a hole (NUL bytes)."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)


def test_an_oversized_migration_is_mg128_and_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _script("0002", "0001").encode() + b"# " + b"x" * (2 << 20) + b"\n"
    repo = _repo(tmp_path, {"0002_step_0002.py": big})
    _sparse(repo.path / VERSIONS / "0003_huge.py", 100 << 20, _script("0003", "0002").encode())
    code, out, _ = run(repo, capsys, "chains")
    assert "Problems found in db" in out
    for args in (("heads",), ("lint",), ("heads", "--rev", "HEAD")):
        code, out, err = run(repo, capsys, *args)
        assert code == 1, (args, out, err)
        assert "MG128" in out and "0002_step_0002.py" in out, (args, out)
        if "--rev" not in args:
            assert "0003_huge.py" in out
        assert "file too large to be a migration (2.0 MiB, more than 1.0 MiB)" in out
    code, out, _ = run(repo, capsys, "heads", "--format", "json")
    codes = {(f["code"], f["path"]) for c in json.loads(out)["chains"] for f in c["findings"]}
    assert ("MG128", f"{VERSIONS}/0003_huge.py") in codes
    # A git tree asks git for sizes first and never reads the large blob.
    from migration_guard import git as mg_git

    big_oid = repo.git("rev-parse", f"HEAD:{VERSIONS}/0002_step_0002.py").strip()
    real_cat = mg_git.cat_blobs

    def cat_blobs(oids: object, *, cwd: Path) -> dict[str, bytes]:
        wanted = list(oids)  # type: ignore[call-overload]
        assert big_oid not in wanted
        return real_cat(wanted, cwd=cwd)

    monkeypatch.setattr(mg_git, "cat_blobs", cat_blobs)
    code, out, _ = run(repo, capsys, "lint", "--rev", "HEAD")
    assert code == 1 and "MG128" in out


def test_an_oversized_plan_is_exit_2_with_a_sentence(
    sample_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = sample_repo / sample.QUEUE_PLAN
    _sparse(plan, 65 << 20, plan.read_bytes())
    for args in (("lint", "queue"), ("chains",)):
        code, out, err = run(sample_repo, capsys, *args)
        assert code == 2, (args, out, err)
        assert f"{sample.QUEUE_PLAN} is too large to read (65.0 MiB, more than 64.0 MiB)" in err
        assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# Item 9: never read or write through a symbolic link that leaves the repository.


def _outside_script(tmp_path: Path) -> Path:
    outside = tmp_path / "outside" / "0002_secret.py"
    outside.parent.mkdir(parents=True)
    outside.write_text(
        _script("0002", "0001").replace('"0002"', '"c0ffee"').replace("0002", "c0ffee")
    )
    return outside


def test_a_link_out_of_the_repository_is_mg129_in_every_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = _outside_script(tmp_path)
    repo = _repo(tmp_path, {})
    (repo.path / VERSIONS / "0002_step_0002.py").symlink_to(outside)
    repo.commit_all("link")
    for args in (("heads",), ("lint",), ("heads", "--rev", "HEAD"), ("lint", "--rev", "HEAD")):
        code, out, err = run(repo, capsys, *args)
        assert code == 1, (args, out, err)
        assert "c0ffee" not in out.replace(f"-> {outside}", "")
        assert "MG129" in out and "symbolic link leaves the repository" in out, (args, out)
    code, out, _ = run(repo, capsys, "chains")
    assert "c0ffee" not in out and "Problems found in db" in out
    for args in (("heads",), ("lint",), ("chains",)):
        code, out, _ = run(repo, capsys, *args, "--format", "json")
        payload = json.loads(out)
        assert "c0ffee" not in json.dumps(payload).replace(str(outside), "")
        found = [f["code"] for c in payload["chains"] for f in c["findings"]]
        assert "MG129" in found, (args, payload)


def test_a_link_inside_the_repository_is_read_as_alembic_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, {})
    repo.write("shared/0002.py", _script("0002", "0001"))
    (repo.path / VERSIONS / "0002_step_0002.py").symlink_to("../../shared/0002.py")
    repo.commit_all("link")
    assert _alembic_loads(repo.path)
    for args in (("heads",), ("heads", "--rev", "HEAD")):
        code, out, _ = run(repo, capsys, *args)
        assert code == 0, (args, out)
        assert "head 0002" in out


def test_a_chain_folder_linked_out_of_the_repository_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = _outside_script(tmp_path)
    repo = GitRepo.create(tmp_path)
    repo.write("migration-guard.toml", CONFIG)
    (repo.path / "db").mkdir()
    (repo.path / VERSIONS).symlink_to(outside.parent)
    repo.commit_all("linked folder")
    for args in (("heads",), ("lint",), ("chains",), ("heads", "--format", "json")):
        code, out, err = run(repo, capsys, *args)
        assert code == 2, (args, out, err)
        assert "c0ffee" not in out
        assert "symbolic link leaves the repository" in err


def _renumber_repo(tmp_path: Path) -> GitRepo:
    """main: 0001 <- 0002 <- 0003, where 0003 is a link to shared/0003.py (inside)."""
    repo = _repo(tmp_path, {"0002_step_0002.py": _script("0002", "0001").encode()})
    repo.write("shared/0003.py", _script("0003", "0002"))
    (repo.path / VERSIONS / "0003_step_0003.py").symlink_to("../../shared/0003.py")
    repo.commit_all("chain with a linked child")
    repo.push("main")
    return repo


@pytest.mark.parametrize(
    "target",
    ["db:0003", f"{VERSIONS}/0003_step_0003.py", "db:0002", f"{VERSIONS}/0002_step_0002.py"],
)
def test_renumber_never_writes_through_a_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    from testing.cli import snapshot

    repo = _renumber_repo(tmp_path)
    before = snapshot(repo)
    link = repo.path / VERSIONS / "0003_step_0003.py"
    args = ("--down-revision", "0001") if target.endswith(("0002", "0002.py")) else ()
    code, out, err = run(repo, capsys, "renumber", target, "--to", "0009", "--force", *args)
    assert code == 2, (out, err)
    assert "symbolic link" in err
    assert link.is_symlink()
    assert snapshot(repo) == before


def test_configuration_through_a_link_out_or_too_large_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path, {"0002_step_0002.py": _script("0002", "0001").encode()})
    config = repo.path / "migration-guard.toml"
    outside = tmp_path / "outside.toml"
    outside.write_text(CONFIG)
    config.unlink()
    config.symlink_to(outside)
    code, _, err = run(repo, capsys, "heads")
    assert code == 2 and "symbolic link leaves the repository" in err
    config.unlink()
    _sparse(config, 65 << 20, CONFIG.encode())
    code, _, err = run(repo, capsys, "heads")
    assert code == 2 and "is too large to read (65.0 MiB, more than 64.0 MiB)" in err
