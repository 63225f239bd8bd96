"""A new sqitch change, as ``sqitch add NAME -n NOTE`` (sqitch 1.3.1) writes it: one line
appended to the plan (``name timestamp planner <email> # note``) and the deploy, revert and
verify scripts from sqitch's own templates for the project's engine (``etc/templates/*/
ENGINE.tmpl``, without requires/conflicts: a new change here has none), in the folders and
with the extension of the plan's layout (``sqitch.conf``)."""

from __future__ import annotations

import posixpath
from datetime import datetime

from migration_guard.chains import newfile
from migration_guard.chains.kind import Author, NewMigration
from migration_guard.chains.sqitch import reader
from migration_guard.chains.sqitch.conf import SqitchConf
from migration_guard.chains.sqitch.plan import parse_plan
from migration_guard.chains.sqitch.rewrite import check_new_name
from migration_guard.edits import EditPlan, FileEdit
from migration_guard.errors import InputError, UsageError
from migration_guard.model import ChainSpec, ChainState, NumberingMode
from migration_guard.tree import Tree

_DDL = "-- XXX Add DDLs here.\n"
_CHECK = "-- XXX Add verifications here.\n"
# The template bodies (after the header line and a blank line) of sqitch 1.3.1, by engine.
_TRANSACTION = {
    "deploy": f"BEGIN;\n\n{_DDL}\nCOMMIT;\n",
    "revert": f"BEGIN;\n\n{_DDL}\nCOMMIT;\n",
    "verify": f"BEGIN;\n\n{_CHECK}\nROLLBACK;\n",
}
_COMMIT_ONLY = {
    "deploy": f"{_DDL}\nCOMMIT;\n",
    "revert": f"{_DDL}\nCOMMIT;\n",
    "verify": f"{_CHECK}\nROLLBACK;\n",
}
_PLAIN = {"deploy": _DDL, "revert": _DDL, "verify": _CHECK}
_WAREHOUSE = {k: f"USE WAREHOUSE &warehouse;\n\n{v}" for k, v in _PLAIN.items()}
BODIES: dict[str, dict[str, str]] = {
    "pg": _TRANSACTION,
    "mysql": _TRANSACTION,
    "sqlite": _TRANSACTION,
    "exasol": _COMMIT_ONLY,
    "firebird": _COMMIT_ONLY,
    "oracle": _PLAIN,
    "vertica": _PLAIN,
    "snowflake": _WAREHOUSE,
}
_HEADERS = {"deploy": "Deploy {change} to", "revert": "Revert {change} from"}
_HEADERS["verify"] = "Verify {change} on"


def script_text(kind: str, project: str, change: str, engine: str) -> str:
    """One script as sqitch's template for ``engine`` writes it (an engine without a
    template of its own, such as cockroach, gets pg's)."""
    header = _HEADERS[kind].format(change=f"{project}:{change}")
    return f"-- {header} {engine}\n\n{BODIES.get(engine, _TRANSACTION)[kind]}"


def encode_note(note: str) -> str:
    """A note as sqitch writes it in the plan: ``\\``, CR and LF escaped."""
    return note.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def plan_new(
    tree: Tree,
    spec: ChainSpec,
    state: ChainState,
    number: str,
    slug: str,
    message: str,
    now: datetime,
    author: Author,
) -> NewMigration:
    newfile.check_slug(slug)
    numbered = state.numbering is NumberingMode.SEQUENTIAL and any(
        m.number is not None for m in state.migrations
    )
    newfile.check_number(spec, number, needed=numbered)
    newfile.single_head(spec, state, "change")
    name = f"{number}{newfile.separator(state, '-')}{slug}" if number else slug
    problem = check_new_name(name)
    if problem is not None:
        raise UsageError(f"{name!r} cannot name a sqitch change: {problem}")
    data = tree.read_bytes(spec.path)
    plan = parse_plan(data, spec.path)
    if not plan.ok or plan.project is None:
        error = plan.first_error
        raise InputError(
            f"{spec.path}: sqitch cannot read the plan"
            + (f" ({error.message})" if error is not None else ""),
            hint="fix the plan first (`migration-guard lint`)",
        )
    if any(change.name == name for change in plan.changes):
        raise UsageError(
            f"change {name!r} is in {spec.path} already",
            hint="pick another name (`sqitch rework` changes an existing one)",
        )
    conf, layout = reader.chain_layout(tree, spec)
    engine = _engine(conf, spec.path)
    if engine is None:
        raise UsageError(
            f"chain {spec.name!r}: no sqitch engine is configured for {spec.path}",
            hint="sqitch add needs one too: set core.engine in sqitch.conf",
        )
    scripts = [
        posixpath.join(layout.dir_for(kind, reworked=False), f"{name}.{layout.extension}")
        for kind in ("deploy", "revert", "verify")
    ]
    for path in scripts:
        if tree.exists(path):
            raise UsageError(f"{path} exists already")
    old_text = data.decode("utf-8", "surrogateescape")
    when = newfile.utc(now).strftime("%Y-%m-%dT%H:%M:%SZ")
    note = encode_note(newfile.description(message, slug))
    line = f"{name} {when} {author.name} <{author.email}> # {note}\n"
    joint = "\n" if old_text and not old_text.endswith("\n") else ""
    edits = [FileEdit(spec.path, old_text, old_text + joint + line, reason=f"add {name}")]
    for kind, path in zip(("deploy", "revert", "verify"), scripts, strict=True):
        text = script_text(kind, plan.project, name, engine)
        edits.append(FileEdit.new_file(path, text, reason=f"{kind} script of {name}"))
    return NewMigration(EditPlan(tuple(edits)), tuple(scripts))


def _engine(conf: SqitchConf | None, plan_path: str) -> str | None:
    """The engine of the first target (default, engines, named targets) whose plan file is
    ``plan_path``, as ``sqitch add`` run with that target writes into the scripts."""
    if conf is None:
        return None
    candidates: list[str | None] = [None]
    for engine in conf.subsections("engine"):
        target = conf.get(f"engine.{engine}.target")
        candidates.append(target if target else f"db:{engine}:")
    candidates += conf.subsections("target")
    for candidate in candidates:
        try:
            layout = conf.layout(candidate)
        except InputError:
            continue
        if layout.plan_file == plan_path:
            return conf.resolve_target(candidate)[2]
    return conf.engine
