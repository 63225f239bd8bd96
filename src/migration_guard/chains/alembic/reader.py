"""Alembic chains: list a versions folder as Alembic does, read each script statically, analyse.

Listing follows Alembic 1.20.1 (``Script._list_py_dir``/``_from_path``): the files directly in
the folder, or with ``recursive`` the whole tree top-down (a folder's files in sorted order,
then its sorted subfolders, hidden ones included); files directly in a folder whose name ends
in ``__pycache__`` are skipped; a file loads when its name matches
``(?!\\.\\#|__init__)(.*\\.py)$``. Files are read with ``Tree.read_many`` (one ``git cat-file
--batch`` for a git revision; a working tree in chunks), parsed by :mod:`.script` and
analysed by :mod:`.graph`. From ``PARALLEL_MIN_FILES`` scripts on, where forking is
safe, a child process reads and parses the first part and hands the results back through a
pipe (``marshal``); any failure there and the parent reads everything itself, so results and
errors are the one-process ones.

A versions folder that does not exist is read as empty, with a warning (MG140):
Alembic skips missing folders too, and a git revision older than the chain has none; config
validation already fails on a configured folder missing from the working tree. A path that
exists but is a file is an error (MG141).

A chain with several folders (``version_locations``) is one graph: the folders are listed in
the configured order, each as above, and a file reached twice is loaded once (Alembic warns
"loaded twice" and skips it). A non-recursive chain with no scripts whose folders' subfolders
hold some gets an error (MG142) that says what to configure: Alembic would read none of them.

Not modelled: ``sourceless`` (``.pyc``) scripts, and symlinks (Alembic does not descend into
symlinked folders; the working tree does, unless the link leaves the repository). A script
over 1 MiB (MG128) or behind a link leaving the repository (MG129) is not read.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Sequence

from migration_guard.chains.alembic.graph import (
    ChainGraph,
    analyse,
    detected_numbering,
    file_prefixes,
    merge_findings,
    numbering_findings,
)
from migration_guard.chains.alembic.script import (
    ParsedScript,
    ScriptInfo,
    pack,
    parse_many,
    unpack,
)
from migration_guard.errors import InputError
from migration_guard.model import (
    ChainSpec,
    ChainState,
    Finding,
    Head,
    Migration,
    NumberingMode,
    Severity,
)
from migration_guard.numbering import Numbering
from migration_guard.tree import SCRIPT_LIMIT, Refusal, Tree, WorkTree

SCRIPT_NAME = re.compile(r"(?!\.\#|__init__)(.*\.py)$")  # Alembic's _only_source_rev_file

# Findings after which the heads no longer say where the chain ends.
HEAD_BREAKING = frozenset(
    {
        "MG103",
        "MG105",
        "MG107",
        "MG110",
        "MG120",
        "MG121",
        "MG122",
        "MG124",
        "MG125",
        "MG128",
        "MG129",
        "MG141",
    }
)


def _norm(path: str) -> str:
    path = path.strip("/")
    while path.startswith("./"):
        path = path[2:]
    return "" if path == "." else path


def script_paths(
    tree: Tree, folder: str, *, recursive: bool = False, subfolders_seen: list[str] | None = None
) -> list[str]:
    """Repository-relative paths of the revision scripts under ``folder``, in load order.
    Not recursive, the subfolders met go to ``subfolders_seen`` (one listing serves both)."""
    paths: list[str] = []
    todo = [_norm(folder)]
    while todo:
        current = todo.pop()
        skip_files = current.rsplit("/", 1)[-1].endswith("__pycache__")
        subfolders: list[str] = []
        prefix = f"{current}/" if current else ""
        for name, is_dir in tree.list_entries(current):
            if is_dir:
                if recursive:
                    subfolders.append(prefix + name)
                elif subfolders_seen is not None:
                    subfolders_seen.append(prefix + name)
            elif skip_files:
                continue
            elif "\n" in name:  # $ also matches before a final line end: let the regex say
                if SCRIPT_NAME.match(name):
                    paths.append(prefix + name)
            elif name.endswith(".py") and not name.startswith((".#", "__init__")):
                paths.append(prefix + name)  # = SCRIPT_NAME.match(name), as string tests
        if recursive:
            todo.extend(reversed(subfolders))  # pop() takes the first, sorted, subfolder next
    return paths


def chain_script_paths(
    tree: Tree, spec: ChainSpec, *, subfolders_seen: list[str] | None = None
) -> list[str]:
    """The revision scripts of every folder of the chain, in Alembic's load order: folder by
    folder as configured, a file reached twice loaded once."""
    recursive = spec.recursive
    if not spec.extra_paths:
        return script_paths(tree, spec.path, recursive=recursive, subfolders_seen=subfolders_seen)
    seen: set[str] = set()
    paths: list[str] = []
    for folder in spec.folders:
        for path in script_paths(
            tree, folder, recursive=recursive, subfolders_seen=subfolders_seen
        ):
            if path not in seen:
                seen.add(path)
                paths.append(path)
    return paths


def subfolder_scripts(tree: Tree, folders: Sequence[str]) -> list[tuple[str, int]]:
    """(subfolder, number of revision scripts anywhere below it) for the subfolders of
    ``folders`` that hold some: what a recursive chain would read and a flat one does not."""
    subfolders: list[str] = []
    for folder in folders:
        script_paths(tree, folder, subfolders_seen=subfolders)
    return scripts_below(tree, subfolders)


def scripts_below(tree: Tree, subfolders: Sequence[str]) -> list[tuple[str, int]]:
    """(subfolder, number of revision scripts anywhere below it), for those that hold some."""
    found: list[tuple[str, int]] = []
    for folder in subfolders:
        if not folder.endswith("__pycache__"):
            count = len(script_paths(tree, folder, recursive=True))
            if count:
                found.append((folder, count))
    return found


def scripts_only_in_subfolders(
    folders: Sequence[str],
    subfolders: Sequence[tuple[str, int]],
    *,
    where: str,
    own_scripts: bool = False,
) -> tuple[str, str]:
    """(message, hint) for a flat chain whose subfolders hold revision scripts it does not
    read (MG142): all of them (``own_scripts`` False), or beside its own."""
    shown = [
        f"{path.rsplit('/', 1)[-1]} ({count} {'file' if count == 1 else 'files'})"
        for path, count in subfolders[:_SHOWN]
    ]
    if len(subfolders) > _SHOWN:
        shown.append(f"and {len(subfolders) - _SHOWN} more")
    listed = ", ".join(shown)
    one = len(folders) == 1
    names = " and ".join(folders)
    if own_scripts:
        start = f"{'the subfolders of ' if one else 'subfolders of '}{names} hold revision "
        start = f"{start}scripts that this chain does not read: {listed}"
    else:
        start = (
            f"{names} {'holds' if one else 'hold'} no revision scripts, but "
            f"{'its' if one else 'their'} subfolders do: {listed}"
        )
    message = (
        f"{start}; Alembic reads subfolders only with recursive_version_locations = true, or "
        "when env.py sets version_locations itself"
    )
    example = subfolders[0][0]
    hint = (
        f"{where} one [[chains]] table per subfolder that is its own graph "
        f'(kind = "alembic", path = "{example}"), or recursive = true on a chain whose '
        "subfolders form one graph"
    )
    return message, hint


_SHOWN = 4  # subfolders named in an MG142 message


def read_scripts(
    tree: Tree, spec: ChainSpec, *, check_syntax: bool = False, paths: list[str] | None = None
) -> tuple[ParsedScript, ...]:
    """Every revision script of the chain (``paths``, when listed already), parsed, in
    Alembic's load order."""
    if paths is None:
        paths = chain_script_paths(tree, spec)
    if len(paths) >= PARALLEL_MIN_FILES and _can_fork():
        parsed = _read_in_two_processes(tree, paths, check_syntax)
        if parsed is not None:
            return parsed
    return tuple(_read_and_parse(tree, paths, None, check_syntax))


_READ_CHUNK = 256  # working-tree files read at a time: memory is reused, not grown


def _read_and_parse(
    tree: Tree,
    paths: list[str],
    sources: dict[str, bytes] | None,
    check_syntax: bool,
    refused: dict[str, Refusal] | None = None,
) -> list[ParsedScript]:
    """Parse ``paths`` from ``sources``, or read them from ``tree`` (a working tree in
    chunks, in order: the first unreadable file is the one reported, as with one read).
    A file too large or behind a link leaving the repository is not read (``refused``)."""
    if refused is None:
        refused = {}
    if sources is None and not isinstance(tree, WorkTree):
        sources = tree.read_many(paths, limit=SCRIPT_LIMIT, refused=refused)
    if sources is not None:
        return parse_many(paths, sources, check_syntax=check_syntax, refused=refused)
    parsed: list[ParsedScript] = []
    for start in range(0, len(paths), _READ_CHUNK):
        chunk = paths[start : start + _READ_CHUNK]
        read = tree.read_many(chunk, limit=SCRIPT_LIMIT, refused=refused)
        parsed += parse_many(chunk, read, check_syntax=check_syntax, refused=refused)
    return parsed


# --- The forked reader: the one start-up trick kept (issue 11) ---------------------------
# From PARALLEL_MIN_FILES scripts on (Linux, two or more CPUs, no other thread running), a
# forked child reads and parses the first part of them and sends the results back through a
# pipe; any failure and the parent reads everything itself. It buys 30-39 ms of the ~0.14 s
# of `heads` on the 5,000-revision benchmark: 23-30% of its wall time on the best run,
# 13-21% on the median (benchmarks/README.md, issue 11), for about +10 ms of CPU time. The
# fork costs under 1 ms; the parent takes the larger share, as it also rebuilds the child's
# results. Everything it needs is below, down to _kill.
PARALLEL_MIN_FILES = 1000
_CHILD_SHARE = 0.47


def _can_fork() -> bool:
    if sys.platform != "linux":
        return False  # fork without exec is unsafe on macOS, and missing on Windows
    try:
        if len(os.sched_getaffinity(0)) < 2:
            return False
    except (AttributeError, OSError):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def _read_in_two_processes(
    tree: Tree, paths: list[str], check_syntax: bool
) -> tuple[ParsedScript, ...] | None:
    """Read and parse ``paths`` with a forked child doing the first part; None if that
    fails in any way (the caller then reads everything itself, so that errors are exactly
    the one-process ones). Files are read in each process for the working tree; a git tree
    is read (one ``cat-file --batch``) before forking."""
    refused: dict[str, Refusal] = {}
    sources = (
        None
        if isinstance(tree, WorkTree)
        else tree.read_many(paths, limit=SCRIPT_LIMIT, refused=refused)
    )
    split = int(len(paths) * _CHILD_SHARE)
    theirs, mine = paths[:split], paths[split:]
    read_end, write_end = os.pipe()
    _widen(write_end)
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            view = memoryview(pack(_read_and_parse(tree, theirs, sources, check_syntax, refused)))
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)  # no cleanup, no flushing of the parent's buffers
    os.close(write_end)
    chunks: list[bytes] = []
    try:
        ours = _read_and_parse(tree, mine, sources, check_syntax, refused)
        while chunk := os.read(read_end, 1 << 20):
            chunks.append(chunk)
    except Exception:
        _kill(pid)
        return None
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_end)
        status = os.waitpid(pid, 0)[1]
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    try:
        return (*unpack(theirs, b"".join(chunks)), *ours)
    except (ValueError, EOFError, TypeError):  # (not seen: a child exiting 0 sent it all)
        return None


def _widen(pipe: int) -> None:
    """Room in the pipe for all the child's results (about 60 bytes a file), so that it
    can write them and exit while the parent still works (Linux; else a no-op)."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass  # the default (64 KiB) works too, in more steps


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def chain_numbering(
    spec: ChainSpec,
    scripts: Sequence[ParsedScript],
    prefixes: Sequence[str | None] | None = None,
) -> Numbering:
    """The chain's numbering mode and width, from its file names (or the configuration)."""
    return detected_numbering(scripts, mode=spec.numbering, width=spec.width, prefixes=prefixes)


def chain_state(spec: ChainSpec, scripts: Sequence[ParsedScript]) -> ChainState:
    """Analyse parsed scripts into the chain's state (pure)."""
    graph: ChainGraph = analyse(scripts)
    prefixes = file_prefixes(scripts)
    numbering = chain_numbering(spec, scripts, prefixes)
    chain = spec.name
    migrations = []
    numbers: list[int | None] = []
    new = tuple.__new__  # Migration(...) without its generated __new__: thousands of calls
    number_of = numbering.number_of
    for script, prefix in zip(scripts, prefixes, strict=True):
        path = script.path
        name = path[path.rfind("/") + 1 : -len(".py")]
        number = number_of(prefix)
        numbers.append(number)
        if type(script) is ScriptInfo:
            rev, parents = script.revision, script.down_revisions
        else:
            rev, parents = script.revision or "", ()
        text = prefix if number is not None and prefix is not None else ""
        migrations.append(new(Migration, (chain, number, text, name, path, rev, parents)))
    findings = graph.findings
    if numbering.mode is NumberingMode.SEQUENTIAL:
        findings = merge_findings(
            scripts, findings, numbering_findings(scripts, numbers, numbering)
        )
    return ChainState(
        spec=spec,
        migrations=tuple(migrations),
        heads=tuple(
            Head(h.revision, h.path, branch)
            for h, branch in zip(graph.heads, graph.branches, strict=True)
        ),
        findings=findings,
        numbering=numbering.mode,
        width=numbering.width,
        undecided=graph.undecided,
    )


def read_chain(tree: Tree, spec: ChainSpec, *, check_syntax: bool = False) -> ChainState:
    """Read and validate one Alembic chain. ``check_syntax`` compiles every file in full
    (slower; otherwise a syntax error after a script's header goes unnoticed)."""
    problems: list[Finding] = []
    for folder in map(_norm, spec.folders):
        if tree.is_dir(folder):
            continue
        if tree.exists(folder):
            problems.append(
                Finding(
                    "MG141",
                    f"{folder} is a file, not a versions folder",
                    folder,
                    None,
                    "point the chain's path at the folder holding the revision scripts",
                )
            )
        else:
            what = "an empty chain" if not spec.extra_paths else "empty"
            problems.append(
                Finding(
                    "MG140",
                    f"versions folder {folder} does not exist in the {tree.label}; read as {what}",
                    folder,
                    None,
                    "check the chain's path in migration-guard.toml",
                    Severity.WARNING,
                )
            )
    if any(f.code == "MG141" for f in problems):
        numbering = chain_numbering(spec, ())
        return ChainState(
            spec=spec,
            findings=tuple(problems),
            numbering=numbering.mode,
            width=numbering.width,
            unread=tuple(f"{f.path}: {f.message}" for f in problems if f.code == "MG141"),
        )
    seen: list[str] = []
    paths = chain_script_paths(tree, spec, subfolders_seen=seen)
    scripts = read_scripts(tree, spec, check_syntax=check_syntax, paths=paths)
    state = chain_state(spec, scripts)
    if seen:  # a flat chain with subfolders: do they hold scripts it does not read?
        present = [_norm(f) for f in spec.folders if tree.is_dir(_norm(f))]
        configured = set(present)
        subfolders = scripts_below(tree, [f for f in dict.fromkeys(seen) if f not in configured])
        if subfolders:
            # None read: an error. Some read: the others may be meant to stay out (neutron's
            # env.py-less tooling sets version_locations itself), a warning.
            message, hint = scripts_only_in_subfolders(
                present,
                subfolders,
                where="in migration-guard.toml, configure",
                own_scripts=bool(scripts),
            )
            severity = Severity.WARNING if scripts else Severity.ERROR
            problems.append(Finding("MG142", message, present[0], None, hint, severity))
    if problems:
        state = state._replace(findings=(*problems, *state.findings))
    return state


def current_heads(state: ChainState) -> tuple[Head, ...]:
    """The chain's heads, for commands that build on them (a new migration's down_revision).

    Raises InputError when the chain is too broken for its heads to mean anything
    (unreadable scripts, missing down revisions, cycles; see ``HEAD_BREAKING``).
    """
    broken = [f for f in state.findings if f.code in HEAD_BREAKING and f.severity is Severity.ERROR]
    if broken:
        first = broken[0]
        where = f"{first.location}: " if first.location else ""
        raise InputError(
            f"cannot tell where {state.spec.title} ends: {where}{first.code} {first.message}",
            hint=f"fix it first (migration-guard lint {state.spec.name})",
        )
    return state.heads


def current_head(state: ChainState) -> Head | None:
    """The one head of the chain (None if it has no scripts); InputError if it has several."""
    heads = current_heads(state)
    if len(heads) > 1:
        listed = ", ".join(f"{h.revision} ({h.path})" for h in heads)
        raise InputError(
            f"{state.spec.title} has {len(heads)} heads: {listed}",
            hint=f"settle them first (migration-guard heads {state.spec.name})",
        )
    return heads[0] if heads else None
