"""The child process of ``gate`` for one Alembic chain: run its migrations with Alembic's API.

Started as ``python -m migration_guard.databases.alembic_runner REQUEST.json RESULT.json`` in
the folder of the chain's Alembic configuration, with the database URL in the environment, so
one chain's ``env.py`` and module state never leak into another chain or into migration-guard.
``sys.path`` is made to look like the ``alembic`` command's (the current folder is not on it;
``prepend_sys_path`` in the ini adds what the project wants).

The request is ``{"ini", "toml", "section", "url", "mode": "roundtrip"|"stairway", "cleanup"}``
(``ini`` or ``toml`` may be null); the result is ``{"revisions", "steps":
[StepResult.to_json() ...]}``, or ``{"config_error": "..."}`` when Alembic refuses the
configuration itself. Only stdlib and Alembic are imported here; nothing else of
migration-guard runs in this process.
"""

from __future__ import annotations

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


def run(request: dict[str, Any]) -> dict[str, Any]:
    from alembic import command
    from alembic.script import ScriptDirectory

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
        _connect(str(request["url"]))
    except Exception as exc:
        line, full = error_text(exc)
        return {"revisions": None, "steps": [_step("connect", ok=False, error=line, detail=full)]}

    scripts: dict[str, str] = {}
    paths: dict[str, str] = {}
    try:
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

    index(ordered)
    # One ScriptDirectory for every command: Alembic would otherwise execute every revision
    # file again for each upgrade/downgrade (hundreds of times in a stairway). A fresh one, not
    # yet loaded: env.py may set `context.script.version_locations` itself (prefect picks a
    # folder per dialect), which counts only before the revisions are first read.
    shared = ScriptDirectory.from_config(config)
    setattr(ScriptDirectory, "from_config", classmethod(lambda cls, cfg: shared))  # noqa: B010

    refreshed = False

    def refresh() -> None:
        """After env.py first ran: the revisions it chose, when not the configured ones."""
        nonlocal ordered, refreshed
        if refreshed or list(shared.version_locations) == list(script_dir.version_locations):
            return
        refreshed = True
        try:
            ordered = list(reversed(list(shared.walk_revisions("base", "heads"))))
        except (Exception, SystemExit):
            return  # the command that loads them reports it
        index(ordered)

    def attempt(
        step: str, fn: Callable[[Any, str], None], target: str, *, revision: str | None = None
    ) -> dict[str, Any]:
        try:
            fn(config, target)
        except (Exception, SystemExit) as exc:  # env.py may call sys.exit()
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
        return _step(step)

    steps: list[dict[str, Any]] = []
    if request.get("mode") == "stairway":
        # A first pass of env.py (nothing to run) says which revisions it uses.
        probe = attempt("stairway", command.upgrade, "base")
        failed: dict[str, Any] | None = None if probe["ok"] else {**probe, "action": "upgrade"}
        refresh()
        for script in ordered if failed is None else ():
            rev = script.revision
            for action, fn, target in (
                ("upgrade", command.upgrade, rev),
                ("downgrade", command.downgrade, f"{rev}-1"),
                ("upgrade again", command.upgrade, rev),
            ):
                result = attempt("stairway", fn, target, revision=rev)
                if not result["ok"]:
                    failed = {**result, "action": action}
                    break
            if failed is not None:
                break
        steps.append(failed or _step("stairway"))
        if failed is None:
            steps.append(attempt("upgrade head", command.upgrade, "head"))
    else:
        for step, fn, target in (
            ("upgrade head", command.upgrade, "head"),
            ("downgrade base", command.downgrade, "base"),
            ("upgrade head", command.upgrade, "head"),
        ):
            steps.append(attempt(step, fn, target))
            refresh()
            if not steps[-1]["ok"]:
                break
    if request.get("cleanup") and all(s["ok"] for s in steps):
        steps.append(attempt("downgrade base (clean-up)", command.downgrade, "base"))
    return {"revisions": len(ordered), "steps": steps}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: alembic_runner REQUEST.json RESULT.json", file=sys.stderr)
        return 2
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    # Like the `alembic` command: the current folder is not importable unless the ini's
    # prepend_sys_path says so (python -m put it first on sys.path).
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    result = run(request)
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
