"""The child process of ``gate`` for one Alembic chain: run its migrations with Alembic's API.

Started as ``python -m migration_guard.databases.alembic_runner REQUEST.json RESULT.json`` in
the folder of the chain's Alembic configuration, with the database URL in the environment, so
one chain's ``env.py`` and module state never leak into another chain or into migration-guard.
``sys.path`` is made to look like the ``alembic`` command's (the current folder is not on it;
``prepend_sys_path`` in the ini adds what the project wants).

The request is ``{"ini", "toml", "section", "url", "mode": "roundtrip"|"stairway", "cleanup",
"floors": [{"revision", "reason", "source"}], "progress", "dump"}`` (``ini`` or ``toml`` may be
null; ``floors``: the configured ``downgrade_floor`` and the revisions read as irreversible;
``progress``: a file that gets a JSON line as each step starts, ``dump``: where the stack goes
on SIGUSR1, both optional: see :mod:`.watch`); the result is
``{"revisions", "steps": [StepResult.to_json() ...], "floor": Floor.to_json() | None}``, or
``{"config_error": "..."}`` when Alembic refuses the configuration itself, or
``{"floor_error": "..."}`` when the configured floor is not a revision Alembic knows.
Downgrades stop at the floor; a revision whose own downgrade code raises NotImplementedError
becomes the floor when reached. Only stdlib and Alembic are imported here; nothing else of
migration-guard runs in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_CAP = 4000


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= 300 else line[:299] + "…"
    return ""


def error_text(exc: BaseException) -> tuple[str, str]:
    """(one line, full text) for a failure: the database's own message when there is one."""
    orig = getattr(exc, "orig", None)  # sqlalchemy.exc.DBAPIError wraps the driver's error
    if isinstance(orig, BaseException) and str(orig).strip():
        full = str(exc)
        return _first_line(str(orig)), full[:_CAP]
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "CommandError":  # Alembic's own failures: the message says it all
        return _first_line(text), text[:_CAP]
    full = f"{name}: {text}" if text else name
    return _first_line(full), full[:_CAP]


def _tracebacks(exc: BaseException) -> Iterator[types.TracebackType]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__traceback__ is not None:
            yield current.__traceback__
        current = current.__cause__ or current.__context__


def failing_script(exc: BaseException, scripts: dict[str, str]) -> str | None:
    """The revision whose file is deepest in the traceback (``scripts``: real path → id)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        found = scripts.get(os.path.realpath(exc.filename))
        if found is not None:
            return found
    for tb in _tracebacks(exc):
        last: str | None = None
        frame: types.TracebackType | None = tb
        while frame is not None:
            rev = scripts.get(os.path.realpath(frame.tb_frame.f_code.co_filename))
            if rev is not None:
                last = rev
            frame = frame.tb_next
        if last is not None:
            return last
    return None


def _step(step: str, **kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "step": step,
        "ok": True,
        "revision": None,
        "path": None,
        "error": None,
        "action": None,
        "detail": None,
    }
    out.update(kwargs)
    return out


def _connect(url: str) -> None:
    """Reach the database once before any migration runs: a missing driver or an unreachable
    server is not the fault of the first revision."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


def _config(request: dict[str, Any]) -> Any:
    """Alembic's Config as ``alembic [-c FILE] [-n SECTION]`` builds it in this folder: the
    ini and/or the pyproject.toml (``[tool.alembic]``, Alembic 1.16+)."""
    from alembic.config import Config

    ini = request.get("ini")
    toml = request.get("toml")
    section = str(request.get("section") or "alembic")
    if toml is None:
        return Config(ini, ini_section=section)
    try:
        return Config(ini, toml_file=toml, ini_section=section)
    except TypeError:  # Alembic before 1.16
        if ini is None:
            import alembic

            raise RuntimeError(
                f"Alembic {alembic.__version__} cannot read pyproject.toml [tool.alembic]; "
                "1.16 or later can"
            ) from None
        return Config(ini, ini_section=section)


class _Progress:
    """The steps as they start, one JSON line each, for the parent's per-step deadline (and
    the revision files, so that a stack dump names the revision that hangs)."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def __call__(self, **event: Any) -> None:
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(event) + "\n")


def run(request: dict[str, Any]) -> dict[str, Any]:
    from alembic import command
    from alembic.script import ScriptDirectory

    progress = _Progress(request.get("progress"))

    # The configuration first: what Alembic refuses there is the configuration's fault
    # (exit 2), not a failed chain, and needs no database.
    try:
        config = _config(request)
        # configparser interpolation: a literal '%' in the URL (an escaped password) is '%%'.
        config.set_main_option("sqlalchemy.url", str(request["url"]).replace("%", "%%"))
        script_dir = ScriptDirectory.from_config(config)
    except (Exception, SystemExit) as exc:
        return {"revisions": None, "steps": [], "config_error": error_text(exc)[0]}

    try:
        progress(step="connect")
        _connect(str(request["url"]))
    except Exception as exc:
        line, full = error_text(exc)
        return {"revisions": None, "steps": [_step("connect", ok=False, error=line, detail=full)]}

    scripts: dict[str, str] = {}
    paths: dict[str, str] = {}
    try:
        progress(step="read revisions")
        ordered = list(reversed(list(script_dir.walk_revisions("base", "heads"))))
    except (Exception, SystemExit) as exc:
        line, full = error_text(exc)
        path = (
            os.path.abspath(exc.filename) if isinstance(exc, SyntaxError) and exc.filename else None
        )
        return {
            "revisions": None,
            "steps": [
                _step("read revisions", ok=False, path=path, error=line, detail=full),
            ],
        }

    def index(found: list[Any]) -> None:
        scripts.clear()
        paths.clear()
        for script in found:
            scripts[os.path.realpath(script.path)] = script.revision
            paths[script.revision] = os.path.abspath(script.path)
        progress(scripts=scripts)

    index(ordered)
    try:
        floors = _Floors(ordered, request.get("floors") or [])
    except _UnknownFloor as exc:
        return {"revisions": len(ordered), "steps": [], "floor_error": str(exc)}
    # One ScriptDirectory for every command: Alembic would otherwise execute every revision
    # file again for each upgrade/downgrade (hundreds of times in a stairway). A fresh one, not
    # yet loaded: env.py may set `context.script.version_locations` itself (prefect picks a
    # folder per dialect), which counts only before the revisions are first read.
    shared = ScriptDirectory.from_config(config)
    setattr(ScriptDirectory, "from_config", classmethod(lambda cls, cfg: shared))  # noqa: B010

    refreshed = False

    def refresh() -> None:
        """After env.py first ran: the revisions it chose, when not the configured ones."""
        nonlocal ordered, refreshed, floors
        if refreshed or list(shared.version_locations) == list(script_dir.version_locations):
            return
        refreshed = True
        try:
            ordered = list(reversed(list(shared.walk_revisions("base", "heads"))))
        except (Exception, SystemExit):
            return  # the command that loads them reports it
        index(ordered)
        known = [{"revision": rev, **why} for rev, why in floors.candidates.items()]
        # The floor among the revisions env.py chose; a configured floor outside them leaves
        # the configured revisions' floor standing.
        with contextlib.suppress(_UnknownFloor):
            floors = _Floors(ordered, [*(request.get("floors") or []), *known])

    own_code = _own_code_check(scripts)

    def failure(step: str, exc: BaseException, *, revision: str | None = None) -> dict[str, Any]:
        line, full = error_text(exc)
        refresh()
        rev = failing_script(exc, scripts) or revision
        return _step(
            step,
            ok=False,
            revision=rev,
            path=paths.get(rev) if rev else None,
            error=line,
            detail=full,
        )

    def attempt(step: str, fn: Callable[[Any, str], None], target: str) -> dict[str, Any]:
        progress(step=step)
        exc = _call(fn, config, target)
        return _step(step) if exc is None else failure(step, exc)

    def down_to_floor(suffix: str = "") -> dict[str, Any]:
        """Downgrade to the floor (base when there is none); a revision whose own code raises
        NotImplementedError on the way becomes the floor, and the downgrade is tried again."""
        while True:
            floor = floors.floor
            step = ("downgrade to floor" if floor else "downgrade base") + suffix
            progress(step=step)
            exc = _call(command.downgrade, config, floor or "base")
            if exc is None:
                return _step(step)
            rev = own_code(exc)
            # On PostgreSQL the failed downgrade rolled back to head; on SQLite it stopped at
            # that revision: downgrading to it again is right (or a no-op) for both.
            if rev is None or not floors.add_runtime(rev, exc):
                return failure(step, exc)

    steps: list[dict[str, Any]] = []
    if request.get("mode") == "stairway":
        # A first pass of env.py (nothing to run) says which revisions it uses.
        probe = attempt("stairway", command.upgrade, "base")
        failed: dict[str, Any] | None = None if probe["ok"] else {**probe, "action": "upgrade"}
        refresh()
        for script in ordered if failed is None else ():
            rev = script.revision
            moves: tuple[tuple[str, Callable[[Any, str], None], str], ...] = (
                ("upgrade", command.upgrade, rev),
            )
            if not floors.covers(rev):  # at or below the floor: nothing to step down
                moves += (
                    ("downgrade", command.downgrade, f"{rev}-1"),
                    ("upgrade again", command.upgrade, rev),
                )
            for action, fn, target in moves:
                progress(step="stairway", action=action, revision=rev)
                error = _call(fn, config, target)
                if error is None:
                    continue
                if (
                    action == "downgrade"
                    and own_code(error) == rev
                    and floors.add_runtime(rev, error)
                ):
                    break  # the database is still at rev: go on with the next revision
                failed = {**failure("stairway", error, revision=rev), "action": action}
                break
            if failed is not None:
                break
        steps.append(failed or _step("stairway"))
        if failed is None:
            steps.append(attempt("upgrade head", command.upgrade, "head"))
    else:
        steps.append(attempt("upgrade head", command.upgrade, "head"))
        refresh()
        if steps[-1]["ok"]:
            steps.append(down_to_floor())
        if steps[-1]["ok"]:
            steps.append(attempt("upgrade head", command.upgrade, "head"))
    if request.get("cleanup") and all(s["ok"] for s in steps):
        steps.append(down_to_floor(" (clean-up)"))
    heads = tuple(script_dir.get_heads())
    return {"revisions": len(ordered), "steps": steps, "floor": floors.describe(paths, heads)}


def _call(fn: Callable[[Any, str], None], config: Any, target: str) -> BaseException | None:
    try:
        fn(config, target)
    except (Exception, SystemExit) as exc:  # env.py may call sys.exit()
        return exc
    return None


def _own_code_check(scripts: dict[str, str]) -> Callable[[BaseException], str | None]:
    """A check: the revision whose own code raised ``exc``, when it is a NotImplementedError
    raised outside Alembic and SQLAlchemy (which raise it for operations a dialect lacks,
    e.g. ALTER of constraints on SQLite: a real failure, not an irreversible revision)."""
    import alembic
    import sqlalchemy

    libraries = tuple(
        os.path.realpath(os.path.dirname(m.__file__ or "")) + os.sep for m in (alembic, sqlalchemy)
    )

    def check(exc: BaseException) -> str | None:
        if not isinstance(exc, NotImplementedError) or exc.__traceback__ is None:
            return None
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        if os.path.realpath(tb.tb_frame.f_code.co_filename).startswith(libraries):
            return None
        return failing_script(exc, scripts)

    return check


class _UnknownFloor(Exception):
    pass


def _parents(script: Any) -> tuple[str, ...]:
    """Down revisions and dependencies: both must be downgraded after the revision."""
    down = getattr(script, "_all_down_revisions", None)  # Alembic's resolved tuple
    if down is None:
        raw = script.down_revision
        down = (raw,) if isinstance(raw, str) else tuple(raw or ())
    return tuple(down)


class _Floors:
    """Where downgrades stop: the first revision (base first) at or above every revision that
    cannot be downgraded, or that the configuration names. In a linear chain that is the
    highest of them; with irreversible revisions on branches that merge, the merge."""

    def __init__(self, ordered: list[Any], requested: list[dict[str, Any]]) -> None:
        self.order = [script.revision for script in ordered]
        self.pos = {rev: i for i, rev in enumerate(self.order)}
        self.parents = {script.revision: _parents(script) for script in ordered}
        self.children: dict[str, list[str]] = {}
        for rev, parents in self.parents.items():
            for parent in parents:
                self.children.setdefault(parent, []).append(rev)
        self.candidates: dict[str, dict[str, str]] = {}
        for raw in requested:
            rev = str(raw["revision"])
            if rev not in self.pos:
                if raw.get("source") == "config":
                    raise _UnknownFloor(f"downgrade_floor {rev!r} is not a revision of the chain")
                continue  # read statically from a file Alembic does not load: nothing to do
            self.candidates.setdefault(rev, {"reason": raw["reason"], "source": raw["source"]})
        for script in ordered:
            if not callable(getattr(script.module, "downgrade", None)):
                reason = {"reason": "defines no downgrade()", "source": "run time"}
                self.candidates.setdefault(script.revision, reason)
        self.floor: str | None = None
        self.below: frozenset[str] = frozenset()
        self._settle()

    def _closure(self, start: str, links: dict[str, Any]) -> set[str]:
        seen = {start}
        todo = [start]
        while todo:
            for rev in links.get(todo.pop(), ()):
                if rev not in seen and rev in self.pos:
                    seen.add(rev)
                    todo.append(rev)
        return seen

    def _settle(self) -> bool:
        if not self.candidates:
            return True
        wanted = set(self.candidates)
        latest = max(wanted, key=self.pos.__getitem__)
        above = self._closure(latest, self.children)
        for rev in self.order[self.pos[latest] :]:
            if rev in above:
                below = self._closure(rev, self.parents)
                if wanted <= below:
                    self.floor, self.below = rev, frozenset(below)
                    return True
        return False  # several heads: no revision is above them all

    def covers(self, rev: str) -> bool:
        """Whether ``rev`` is the floor or below it (never downgraded)."""
        return rev in self.below

    def add_runtime(self, rev: str, exc: BaseException) -> bool:
        """Make ``rev`` (whose downgrade raised NotImplementedError) a floor; False when it
        already was one, or no single floor covers it."""
        if rev in self.candidates:
            return False
        message = _first_line(str(exc))
        reason = "downgrade() raised NotImplementedError at run time"
        self.candidates[rev] = {"reason": f"{reason}: {message}" if message else reason}
        self.candidates[rev]["source"] = "run time"
        return self._settle()

    def describe(self, paths: dict[str, str], heads: tuple[str, ...]) -> dict[str, Any] | None:
        floor = self.floor
        if floor is None:
            return None
        found = self.candidates.get(floor)
        if found is not None:
            reason, source = found["reason"], found["source"]
        else:  # a merge above irreversible revisions on several branches
            tops = [
                rev
                for rev in self.candidates
                if not any(
                    rev != other and rev in self._closure(other, self.parents)
                    for other in self.candidates
                )
            ]
            tops.sort(key=self.pos.__getitem__)
            listed = " and ".join(f"{rev} ({self.candidates[rev]['reason']})" for rev in tops)
            reason = f"the first revision above {listed}"
            source = ", ".join(sorted({self.candidates[rev]["source"] for rev in tops}))
        return {
            "revision": floor,
            "path": paths.get(floor),
            "reason": reason,
            "source": source,
            "head": heads == (floor,),
        }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: alembic_runner REQUEST.json RESULT.json", file=sys.stderr)
        return 2
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    if request.get("dump"):
        # Asked by the parent when a step outlives --timeout: where every thread is, even in
        # a blocking call (faulthandler writes from the signal handler itself).
        import faulthandler
        import signal

        dump = open(request["dump"], "w", encoding="utf-8")  # noqa: SIM115 (open until exit)
        faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)
    # Like the `alembic` command: the current folder is not importable unless the ini's
    # prepend_sys_path says so (python -m put it first on sys.path).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    result = run(request)
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
