from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from testing.gitrepo import GitRepo

from migration_guard import git
from migration_guard.chains import read_chain as read_any_chain
from migration_guard.chains.alembic import reader as alembic_module
from migration_guard.chains.alembic import script as script_module
from migration_guard.chains.alembic.reader import (
    current_head,
    current_heads,
    read_chain,
    read_scripts,
    script_paths,
)
from migration_guard.errors import InputError
from migration_guard.model import (
    ChainKind,
    ChainSpec,
    ChainState,
    Head,
    Migration,
    NumberingMode,
    Severity,
)
from migration_guard.sample import alembic_script
from migration_guard.tree import FILE_LIMIT, GitTree, Refusal, WorkTree

VERSIONS = "console/migrations/versions"


def spec(path: str = VERSIONS, *, recursive: bool = False) -> ChainSpec:
    return ChainSpec("console", "Console", ChainKind.ALEMBIC, path, 4, recursive=recursive)


def write(root: Path, rel: str, text: str) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def rev_file(rev: str, down: str | None) -> str:
    return alembic_script(rev, down, f"step {rev}", table=f"t{rev}")


def write_chain(root: Path, count: int, folder: str = VERSIONS) -> None:
    for n in range(1, count + 1):
        down = f"{n - 1:04d}" if n > 1 else None
        write(root, f"{folder}/{n:04d}_step.py", rev_file(f"{n:04d}", down))


class CountingTree(WorkTree):
    """A working tree that counts bulk reads and forbids single ones."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.bulk_reads = 0

    def read_bytes(self, path: str) -> bytes:
        if self.bulk_reads == 0:
            raise AssertionError(f"read {path} on its own")
        return super().read_bytes(path)

    def read_many(
        self,
        paths: Iterable[str],
        *,
        limit: int = FILE_LIMIT,
        refused: dict[str, Refusal] | None = None,
    ) -> dict[str, bytes]:
        self.bulk_reads += 1
        return {p: (self.root / p).read_bytes() for p in paths}


def test_reads_a_linear_chain(tmp_path: Path) -> None:
    write_chain(tmp_path, 3)
    write(tmp_path, f"{VERSIONS}/README", "not a script\n")
    tree = CountingTree(tmp_path)
    state = read_chain(tree, spec())
    assert tree.bulk_reads == 1
    assert state.ok
    assert state.findings == ()
    assert state.heads == (Head("0003", f"{VERSIONS}/0003_step.py"),)
    assert state.migrations == tuple(
        Migration(
            "console",
            n,
            f"{n:04d}",
            f"{n:04d}_step",
            f"{VERSIONS}/{n:04d}_step.py",
            f"{n:04d}",
            (f"{n - 1:04d}",) if n > 1 else (),
        )
        for n in (1, 2, 3)
    )
    assert (state.numbering, state.width) == (NumberingMode.SEQUENTIAL, 4)
    assert state.highest == state.migrations[-1]
    assert read_any_chain(WorkTree(tmp_path), spec()) == state
    assert current_heads(state) == state.heads
    assert current_head(state) == Head("0003", f"{VERSIONS}/0003_step.py")


def test_every_file_is_a_migration_and_numbered_ones_have_numbers(tmp_path: Path) -> None:
    write(tmp_path, f"{VERSIONS}/1975ea83b712_first.py", rev_file("1975ea83b712", None))
    write(tmp_path, f"{VERSIONS}/0002_second.py", rev_file("0002", "1975ea83b712"))
    state = read_chain(WorkTree(tmp_path), spec())
    assert [(m.name, m.number, m.id) for m in state.migrations] == [
        ("0002_second", 2, "0002"),
        ("1975ea83b712_first", None, "1975ea83b712"),
    ]
    assert state.numbering is NumberingMode.SEQUENTIAL
    assert state.findings == ()


def test_collision_from_two_prs_fails(tmp_path: Path) -> None:
    write_chain(tmp_path, 2)
    write(tmp_path, f"{VERSIONS}/0003_pr_3277.py", rev_file("0003", "0002"))
    write(tmp_path, f"{VERSIONS}/0003_pr_3322.py", rev_file("0003", "0002"))
    state = read_chain(WorkTree(tmp_path), spec())
    assert not state.ok
    assert [h.revision for h in state.heads] == ["0003", "0003"]
    assert [(f.code, f.path) for f in state.findings] == [
        ("MG102", f"{VERSIONS}/0003_pr_3277.py"),
        ("MG101", f"{VERSIONS}/0003_pr_3322.py"),
        ("MG102", f"{VERSIONS}/0003_pr_3322.py"),
        ("MG111", f"{VERSIONS}/0003_pr_3322.py"),
    ]
    with pytest.raises(InputError) as info:
        current_head(state)
    assert info.value.message == (
        f"Console has 2 heads: 0003 ({VERSIONS}/0003_pr_3277.py), 0003 ({VERSIONS}/0003_pr_3322.py)"
    )
    assert current_heads(state) == state.heads


def test_a_broken_chain_has_no_current_head(tmp_path: Path) -> None:
    write_chain(tmp_path, 2)
    write(tmp_path, f"{VERSIONS}/0003_x.py", "revision = '0003'\ndown_revision = PARENT\n")
    state = read_chain(WorkTree(tmp_path), spec())
    with pytest.raises(InputError) as info:
        current_heads(state)
    assert info.value.message == (
        f"cannot tell where Console ends: {VERSIONS}/0003_x.py:2: MG120 "
        "down_revision is the name PARENT; cannot read it without running the file"
    )
    assert info.value.hint == "fix it first (migration-guard lint console)"


def test_missing_folder_is_an_empty_chain_with_a_warning(tmp_path: Path) -> None:
    state = read_chain(WorkTree(tmp_path), spec())
    assert state.ok
    assert (state.migrations, state.heads) == ((), ())
    (finding,) = state.findings
    assert (finding.code, finding.severity, finding.path) == ("MG140", Severity.WARNING, VERSIONS)
    assert finding.message == (
        f"versions folder {VERSIONS} does not exist in the working tree; read as an empty chain"
    )
    assert current_head(state) is None


def test_a_file_is_not_a_versions_folder(tmp_path: Path) -> None:
    write(tmp_path, VERSIONS, "oops\n")
    state = read_chain(WorkTree(tmp_path), spec())
    assert not state.ok
    assert [(f.code, f.message) for f in state.findings] == [
        ("MG141", f"{VERSIONS} is a file, not a versions folder")
    ]


def test_several_folders_are_one_graph_read_in_order(tmp_path: Path) -> None:
    write(tmp_path, "core/0001_a.py", rev_file("0001", None))
    write(tmp_path, "plugin/0002_b.py", rev_file("0002", "0001"))
    write(tmp_path, "plugin/sub/0003_c.py", rev_file("0003", "0002"))
    two = ChainSpec(
        "app", "App", ChainKind.ALEMBIC, "plugin", extra_paths=("core", "plugin/sub", "missing")
    )
    # Folder by folder as configured; with recursion plugin/sub is reached twice, read once.
    assert alembic_module.chain_script_paths(WorkTree(tmp_path), two) == [
        "plugin/0002_b.py",
        "core/0001_a.py",
        "plugin/sub/0003_c.py",
    ]
    recursive = two._replace(recursive=True)
    assert alembic_module.chain_script_paths(WorkTree(tmp_path), recursive) == [
        "plugin/0002_b.py",
        "plugin/sub/0003_c.py",
        "core/0001_a.py",
    ]
    state = read_chain(WorkTree(tmp_path), two)
    assert [h.revision for h in state.heads] == ["0003"]
    assert [(f.code, f.message) for f in state.findings] == [
        ("MG140", "versions folder missing does not exist in the working tree; read as empty")
    ]
    assert state.ok


def test_a_flat_chain_with_scripts_only_in_subfolders_says_what_to_configure(
    tmp_path: Path,
) -> None:
    write(tmp_path, f"{VERSIONS}/sqlite/0001_a.py", rev_file("0001", None))
    write(tmp_path, f"{VERSIONS}/postgresql/0001_a.py", rev_file("0001", None))
    write(tmp_path, f"{VERSIONS}/postgresql/0002_b.py", rev_file("0002", "0001"))
    write(tmp_path, f"{VERSIONS}/__pycache__/0001_a.py", "")
    state = read_chain(WorkTree(tmp_path), spec())
    assert not state.ok
    (finding,) = state.findings
    assert (finding.code, finding.severity, finding.path) == ("MG142", Severity.ERROR, VERSIONS)
    assert finding.message == (
        f"{VERSIONS} holds no revision scripts, but its subfolders do: postgresql (2 files), "
        "sqlite (1 file); Alembic reads subfolders only with recursive_version_locations = "
        "true, or when env.py sets version_locations itself"
    )
    assert finding.hint == (
        "in migration-guard.toml, configure one [[chains]] table per subfolder that is its own "
        f'graph (kind = "alembic", path = "{VERSIONS}/postgresql"), or recursive = true on a '
        "chain whose subfolders form one graph"
    )
    # Beside scripts of its own: a warning (the subfolders may be meant to stay out).
    write(tmp_path, f"{VERSIONS}/0001_a.py", rev_file("0001", None))
    state = read_chain(WorkTree(tmp_path), spec())
    assert state.ok and [h.revision for h in state.heads] == ["0001"]
    (finding,) = state.findings
    assert (finding.code, finding.severity) == ("MG142", Severity.WARNING)
    assert finding.message == (
        f"the subfolders of {VERSIONS} hold revision scripts that this chain does not read: "
        "postgresql (2 files), sqlite (1 file); Alembic reads subfolders only with "
        "recursive_version_locations = true, or when env.py sets version_locations itself"
    )
    recursive = read_chain(WorkTree(tmp_path), spec(recursive=True))
    assert "MG142" not in {f.code for f in recursive.findings}
    assert len(recursive.migrations) == 4
    # A folder that is simply empty is not that.
    (tmp_path / "empty/versions").mkdir(parents=True)
    assert read_chain(WorkTree(tmp_path), spec("empty/versions")).findings == ()


def _alembic_load_order(script_location: Path, *, recursive: bool) -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if recursive:
        config.set_main_option("recursive_version_locations", "true")
    directory = ScriptDirectory.from_config(config)
    # The private loader is the only way to see Alembic's file order; tests only.
    return [
        Path(s.path).relative_to(script_location.parent).as_posix()
        for s in directory._load_revisions()
    ]


@pytest.mark.parametrize("recursive", [False, True])
def test_lists_files_exactly_as_alembic_loads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recursive: bool
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = tmp_path / "repo"
    folder = "app/migrations/versions"
    loadable = [
        "0001_a.py",
        ".hidden.py",
        "_under.py",
        "b/0003_c.py",
        "b/.deep/0004_d.py",
        "a/0002_b.py",
        ".hid/0005_e.py",
        "x__pycache__/z/0006_f.py",
    ]
    ignored = [
        "__init__.py",
        "__init__x.py",
        ".#0009_lock.py",
        "x.pyi",
        "X.PY",
        "x.py~",
        "notes.txt",
        "__pycache__/0007_g.py",
        "b/__pycache__/0008_h.py",
    ]
    for n, name in enumerate(loadable, start=1):
        write(root, f"{folder}/{name}", f"revision = 'r{n}'\ndown_revision = None\n")
    for name in ignored:
        write(root, f"{folder}/{name}", "raise SystemExit('must not load')\n")
    (root / folder / "dir.py").mkdir()
    expected = _alembic_load_order(root / "app/migrations", recursive=recursive)
    expected = [f"app/{p}" for p in expected]
    assert script_paths(WorkTree(root), folder, recursive=recursive) == expected
    if not recursive:
        assert expected == [f"{folder}/{n}" for n in (".hidden.py", "0001_a.py", "_under.py")]
    else:
        assert len(expected) == len(loadable)
    state = read_chain(WorkTree(root), spec(folder, recursive=recursive))
    assert len(state.heads) == len(expected)


def test_reads_a_git_revision_with_one_cat_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.create(tmp_path)
    write_chain(repo.path, 4)
    repo.commit_all("chain")
    write(repo.path, f"{VERSIONS}/0005_step.py", rev_file("0005", "0003"))  # not committed
    calls: list[int] = []
    real = git.cat_blobs

    def counting(oids: Iterable[str], *, cwd: Path) -> dict[str, bytes]:
        wanted = list(oids)
        calls.append(len(wanted))
        return real(wanted, cwd=cwd)

    monkeypatch.setattr(git, "cat_blobs", counting)
    state = read_chain(GitTree(repo.path, "HEAD"), spec())
    assert calls == [4]
    assert state.findings == ()
    assert state.heads == (Head("0004", f"{VERSIONS}/0004_step.py"),)
    work = read_chain(WorkTree(repo.path), spec())
    assert [h.revision for h in work.heads] == ["0004", "0005"]


def test_check_syntax_reads_every_file_in_full(tmp_path: Path) -> None:
    write_chain(tmp_path, 1)
    write(tmp_path, f"{VERSIONS}/0002_bad.py", rev_file("0002", "0001") + "\ndef broken(:\n")
    for check_syntax in (False, True):  # the fast readers check the whole file too
        state = read_chain(WorkTree(tmp_path), spec(), check_syntax=check_syntax)
        assert [(f.code, f.path) for f in state.findings] == [("MG121", f"{VERSIONS}/0002_bad.py")]


def test_five_thousand_files_take_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_chain(tmp_path, 5000)
    tree = WorkTree(tmp_path)
    full_parses: list[str] = []
    prescans: list[str] = []
    real = script_module._parse_full
    real_prescan = script_module._prescan

    def counting(path: str, source: bytes, *, check_syntax: bool) -> script_module.ParsedScript:
        full_parses.append(path)
        return real(path, source, check_syntax=check_syntax)

    def counting_prescan(path: str, source: bytes) -> script_module.ParsedScript | None:
        prescans.append(path)
        return real_prescan(path, source)

    monkeypatch.setattr(script_module, "_parse_full", counting)
    monkeypatch.setattr(script_module, "_prescan", counting_prescan)
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10**9)  # count in this process
    start = time.perf_counter()
    state = read_chain(tree, spec())
    elapsed = time.perf_counter() - start
    assert full_parses == []
    assert prescans == []  # the regex scanner reads every generated file
    assert state.findings == ()
    assert state.heads == (Head("5000", f"{VERSIONS}/5000_step.py"),)
    assert len(read_scripts(tree, spec())) == 5000
    assert elapsed < 2.0  # about 0.3 s here; generous for slow CI machines


def _serial(tree: WorkTree | GitTree, monkeypatch: pytest.MonkeyPatch) -> ChainState:
    with monkeypatch.context() as patch:
        patch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10**9)
        return read_chain(tree, spec())


def _counting_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    forks: list[int] = []
    real = os.fork

    def counting() -> int:
        forks.append(1)
        return real()

    monkeypatch.setattr(os, "fork", counting)
    return forks


@pytest.mark.skipif(not alembic_module._can_fork(), reason="reads in one process here")
def test_many_files_are_read_in_two_processes_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_chain(tmp_path, 60)
    write(tmp_path, f"{VERSIONS}/0007_bad.py", "revision = make()\ndown_revision = '0006'\n")
    write(tmp_path, f"{VERSIONS}/0050_odd.py", "# coding: latin-1\nrevision = 'x'\n")
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10)
    forks = _counting_forks(monkeypatch)
    gc.disable()
    try:
        state = read_chain(WorkTree(tmp_path), spec())
        assert not gc.isenabled()  # left as it was
    finally:
        gc.enable()
    assert forks == [1]
    assert state == _serial(WorkTree(tmp_path), monkeypatch)
    assert {f.code for f in state.findings} >= {"MG120", "MG122"}
    assert read_scripts(WorkTree(tmp_path), spec()) == tuple(
        script_module.parse_script(p, (tmp_path / p).read_bytes())
        for p in script_paths(WorkTree(tmp_path), VERSIONS)
    )
    assert gc.isenabled()


@pytest.mark.skipif(not alembic_module._can_fork(), reason="reads in one process here")
def test_a_git_tree_is_read_once_then_parsed_in_two_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.create(tmp_path)
    write_chain(repo.path, 40)
    repo.commit_all("chain")
    calls: list[int] = []
    real = git.cat_blobs

    def counting(oids: Iterable[str], *, cwd: Path) -> dict[str, bytes]:
        wanted = list(oids)
        calls.append(len(wanted))
        return real(wanted, cwd=cwd)

    monkeypatch.setattr(git, "cat_blobs", counting)
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10)
    forks = _counting_forks(monkeypatch)
    state = read_chain(GitTree(repo.path, "HEAD"), spec())
    assert (forks, calls) == ([1], [40])
    assert state == _serial(GitTree(repo.path, "HEAD"), monkeypatch)
    assert state.heads == (Head("0040", f"{VERSIONS}/0040_step.py"),)


@pytest.mark.skipif(not alembic_module._can_fork(), reason="reads in one process here")
def test_a_failing_child_leaves_the_work_to_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_chain(tmp_path, 30)
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10)
    forks = _counting_forks(monkeypatch)

    def broken(scripts: Sequence[script_module.ParsedScript]) -> bytes:
        raise RuntimeError("the child fails")

    monkeypatch.setattr(alembic_module, "pack", broken)  # used by the child only
    state = read_chain(WorkTree(tmp_path), spec())
    assert forks == [1]
    assert state == _serial(WorkTree(tmp_path), monkeypatch)


@pytest.mark.skipif(not alembic_module._can_fork(), reason="reads in one process here")
def test_unreadable_files_give_the_one_process_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_chain(tmp_path, 30)
    for name in ("0003_gone.py", "0025_gone.py"):  # one in each process's share
        (tmp_path / VERSIONS / name).symlink_to(tmp_path / "nowhere")
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10)
    forks = _counting_forks(monkeypatch)
    message = f"cannot read {VERSIONS}/0003_gone.py: No such file or directory"
    with pytest.raises(InputError, match=message):
        read_chain(WorkTree(tmp_path), spec())
    assert forks == [1]
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10**9)
    with pytest.raises(InputError, match=message):
        read_chain(WorkTree(tmp_path), spec())


def test_no_fork_while_another_thread_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chain(tmp_path, 30)
    monkeypatch.setattr(alembic_module, "PARALLEL_MIN_FILES", 10)
    forks = _counting_forks(monkeypatch)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        state = read_chain(WorkTree(tmp_path), spec())
    finally:
        stop.set()
        worker.join()
    assert forks == []
    assert state.heads == (Head("0030", f"{VERSIONS}/0030_step.py"),)


# Names Alembic's listing and file-name filter must decide on: in the folder, in a subfolder
# (read only when recursive), and in __pycache__ folders (never read without sourceless).
_TRICKY_NAMES = [
    "a.py", ".py", "_x.py", ".hidden.py", "a.b.c.py", "c.py.py", "#x.py", "x y.py", "é.py",
    "__init__.py", "__init__x.py", "_init_.py", ".#emacs.py", ".#", "x.py~", "x.pyc", "x.pyo",
    "x.pyi", "a.PY", "notes.txt", "Makefile", "x.py.bak", "y.py", "y.pyc", "z.pyc",
    "__init__.pyc", ".#lock.pyc", "a\n.py", "b.py\n", "\n.py",
    "__pycache__/p.py", "__pycache__/q.cpython-311.pyc",
    "sub/s.py", "sub/.#s.py", "sub/__init__.py", "sub/s.pyc", "sub/__pycache__/t.py",
    ".dot/h.py", "sub/deeper/d.py",
]  # fmt: skip


def _alembic_selects(location: Path, *, recursive: bool, sourceless: bool) -> list[str]:
    """The files real Alembic (in this process) decides to load, in its order: its own
    ``_load_revisions`` walks the folder and filters the names; only the loading of each
    chosen file is intercepted (some names, like ``b.py\\n``, make Alembic's loader
    assert, and .pyc files would need real bytecode)."""
    import alembic.util

    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("recursive_version_locations", str(recursive).lower())
    config.set_main_option("sourceless", str(sourceless).lower())
    chosen: list[str] = []

    def load(dir_: str | os.PathLike[str], filename: str | os.PathLike[str]) -> ModuleType:
        path = Path(dir_) / Path(filename).name
        chosen.append(path.relative_to(location.parent).as_posix())
        module = ModuleType(f"m{len(chosen)}")
        module.revision = f"r{len(chosen)}"  # type: ignore[attr-defined]
        module.down_revision = None  # type: ignore[attr-defined]
        return module

    directory = ScriptDirectory.from_config(config)
    real = alembic.util.load_python_file
    alembic.util.load_python_file = load
    try:
        loaded = list(directory._load_revisions())  # private: the only view of its file order
    finally:
        alembic.util.load_python_file = real
    assert [Path(s.path).name for s in loaded] == [Path(c).name for c in chosen]
    return chosen


def _tricky_folder(root: Path) -> Path:
    location = root / "app" / "migrations"
    for name in _TRICKY_NAMES:
        write(location / "versions", name, f"revision = {name!r}\ndown_revision = None\n")
    (location / "versions" / "d.py").mkdir()  # a folder named like a script
    return location


@pytest.mark.parametrize("recursive", [False, True])
def test_the_files_read_are_the_files_real_alembic_selects(tmp_path: Path, recursive: bool) -> None:
    """Not our regex against itself: Alembic's own listing and filter, on names that sit on
    every edge of it (hidden files, editor droppings, dots, bytecode, line ends in names)."""
    location = _tricky_folder(tmp_path)
    theirs = _alembic_selects(location, recursive=recursive, sourceless=False)
    ours = script_paths(WorkTree(tmp_path), "app/migrations/versions", recursive=recursive)
    assert [p.removeprefix("app/") for p in ours] == theirs
    # The edges really are there: kept and dropped names on both sides of the filter.
    flat = {p.removeprefix("migrations/versions/") for p in theirs}
    assert {".py", "_x.py", ".hidden.py", "c.py.py", "b.py\n", "_init_.py"} <= flat
    assert not {"__init__.py", "__init__x.py", ".#emacs.py", "x.py~", "x.pyc", "a\n.py"} & flat
    assert "d.py" not in flat
    assert ("sub/s.py" in flat) == recursive and "sub/__pycache__/t.py" not in flat
    assert "__pycache__/p.py" not in flat


def test_the_files_real_alembic_loads_with_the_loader_not_intercepted(tmp_path: Path) -> None:
    """The interception above changes nothing in the choice: without it, on the names that
    Alembic's loader can run, the same files load."""
    location = tmp_path / "app" / "migrations"
    names = [n for n in _TRICKY_NAMES if Path(n).suffix not in (".pyc", ".pyo", "")]
    names = [n for n in names if "\n" not in n]  # Alembic's loader asserts on .py, b.py\n
    for n, name in enumerate(names):
        write(location / "versions", name, f"revision = 'r{n}'\ndown_revision = None\n")
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("recursive_version_locations", "true")
    loaded = [
        Path(s.path).relative_to(tmp_path).as_posix()
        for s in ScriptDirectory.from_config(config)._load_revisions()
    ]
    assert script_paths(WorkTree(tmp_path), "app/migrations/versions", recursive=True) == loaded
    assert len(loaded) >= 10
    intercepted = _alembic_selects(location, recursive=True, sourceless=False)
    assert loaded == [f"app/{p}" for p in intercepted]


def test_sourceless_bytecode_is_the_one_selection_not_modelled(tmp_path: Path) -> None:
    """With ``sourceless = true`` Alembic also loads bytecode without a .py beside it, and
    __pycache__ folders (reader.py: not modelled); apart from those, it selects exactly what
    we read, in the same order."""
    location = _tricky_folder(tmp_path)
    theirs = _alembic_selects(location, recursive=True, sourceless=True)
    ours = [
        p.removeprefix("app/")
        for p in script_paths(WorkTree(tmp_path), "app/migrations/versions", recursive=True)
    ]
    extra = [p for p in theirs if p not in ours]
    assert [p for p in theirs if p not in extra] == ours
    assert sorted(p.removeprefix("migrations/versions/") for p in extra) == [
        "__pycache__/p.py",  # with sourceless, Alembic reads __pycache__ folders too
        "__pycache__/q.cpython-311.pyc",
        "sub/__pycache__/t.py",
        "x.pyc",  # x.pyo is not: Alembic prefers the .pyc
        "z.pyc",  # not y.pyc or sub/s.pyc: their .py is there
    ]
