"""The sqitch chain kind: a ``sqitch.plan`` whose change names carry a number (``07-slug``).

Reads the plan with :mod:`migration_guard.chains.sqitch.plan` (sqitch's own rules), then checks
what sqitch does not: every change name has the chain's number prefix (a configured list of old
changes may be exempt), numbers are unique and increasing in plan order, and every change has a
deploy, revert and verify script while no script lacks a plan entry. Script folders follow the
project's ``sqitch.conf`` (``top_dir``, ``deploy_dir``..., ``extension``, per engine and target)
and reworked changes (``name@tag.sql``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from migration_guard.chains.sqitch.conf import (
    SCRIPT_KINDS,
    ScriptLayout,
    SqitchConf,
    TargetLayout,
    default_layout,
    find_sqitch_conf,
    plan_layout,
)
from migration_guard.chains.sqitch.plan import (
    Change,
    ErrorKind,
    LineKind,
    Plan,
    PlanError,
    parse_plan,
)
from migration_guard.errors import InputError
from migration_guard.model import (
    ChainKind,
    ChainSpec,
    ChainState,
    Finding,
    Head,
    Migration,
    NumberingMode,
    Severity,
)
from migration_guard.numbering import Numbering, detect_numbering
from migration_guard.tree import Tree

__all__ = ["CODES", "lint_plan", "number_prefix", "read_chain"]

CODES: dict[str, str] = {
    "MG201": "sqitch rejects the plan",
    "MG202": "change name without number prefix",
    "MG203": "duplicate change number",
    "MG204": "change number out of order",
    "MG205": "missing deploy, revert or verify script",
    "MG206": "script without a plan entry",
    "MG207": "sqitch 1.3.1 would crash or hang on this plan",
    "MG208": "change number not padded to the chain's width",
    "MG209": "sqitch dependency error",
    "MG210": "plan is not valid UTF-8",
    "MG211": "sqitch.conf cannot be used",
    "MG212": "sqitch plan missing (warning)",
}

_ERROR_CODES = {
    ErrorKind.SYNTAX: "MG201",
    ErrorKind.PROJECT: "MG201",
    ErrorKind.CRASH: "MG207",
    ErrorKind.DEPENDENCY: "MG209",
    ErrorKind.ENCODING: "MG210",
}

_NUMBER_RE = re.compile(r"([0-9]+)[-_]")
_DEFAULT_WIDTH = 2


def number_prefix(name: str) -> str | None:
    """The leading number of a change name (``07`` in ``07-billing``), or None."""
    match = _NUMBER_RE.match(name)
    return match.group(1) if match else None


# --------------------------------------------------------------------------------------------
# Findings


def _error_finding(error: PlanError, plan_path: str) -> Finding:
    return Finding(
        code=_ERROR_CODES[error.kind],
        message=error.message,
        path=plan_path,
        line=error.line,
        hint=error.hint,
    )


def plan_numbering(plan: Plan, spec: ChainSpec) -> Numbering:
    """The plan's numbering mode and width from its change names (exempt ones left out), or
    as configured."""
    exempt = set(spec.exempt)
    names = [c.name for c in _first_instances(plan) if c.name not in exempt]
    return detect_numbering(
        names,
        [number_prefix(n) for n in names],
        configured_mode=spec.numbering,
        configured_width=spec.width,
        default_width=_DEFAULT_WIDTH,
    )


def _migrations(plan: Plan, spec: ChainSpec, numbering: Numbering) -> tuple[Migration, ...]:
    """Every change (a reworked one once, at its first line), in plan order; numbered only in a
    ``sequential`` plan (any number prefix counts there: MG208 reports a wrong width)."""
    sequential = numbering.mode is NumberingMode.SEQUENTIAL
    migrations = []
    previous: tuple[str, ...] = ()
    for change in _first_instances(plan):
        prefix = number_prefix(change.name) if sequential else None
        migrations.append(
            Migration(
                chain=spec.name,
                number=int(prefix) if prefix is not None else None,
                number_text=prefix or "",
                name=change.name,
                path=spec.path,
                id=change.name,
                parents=previous,
            )
        )
        previous = (change.name,)
    return tuple(migrations)


def _first_instances(plan: Plan) -> list[Change]:
    seen: set[str] = set()
    out = []
    for change in plan.changes:
        if change.name not in seen:
            seen.add(change.name)
            out.append(change)
    return out


def _convention_findings(plan: Plan, spec: ChainSpec, numbering: Numbering) -> list[Finding]:
    """The team's numbering conventions; only a ``sequential`` plan has them."""
    findings: list[Finding] = []
    if numbering.mode is not NumberingMode.SEQUENTIAL:
        return findings
    width = numbering.width
    exempt = set(spec.exempt)
    by_number: dict[int, Change] = {}
    highest: Change | None = None
    for change in _first_instances(plan):
        prefix = number_prefix(change.name)
        if prefix is None:
            if change.name not in exempt:
                findings.append(
                    Finding(
                        "MG202",
                        f'change "{change.name}" has no number prefix',
                        plan.path,
                        change.line,
                        hint=f"name it {'N' * width}-slug (e.g. "
                        f"{'0' * (width - 1)}1-{change.name}), or list it in the chain's "
                        "exempt changes if it predates the numbering",
                    )
                )
            continue
        number = int(prefix)
        if len(prefix) < width or (len(prefix) > width and prefix.startswith("0")):
            findings.append(
                Finding(
                    "MG208",
                    f'change "{change.name}" has a {len(prefix)}-digit number; the chain uses '
                    f"{width} digits",
                    plan.path,
                    change.line,
                    hint=f"write the number as {number:0{width}d}",
                )
            )
        earlier = by_number.get(number)
        if earlier is not None:
            findings.append(
                Finding(
                    "MG203",
                    f'change "{change.name}" has number {prefix}, already used by '
                    f'"{earlier.name}" (line {earlier.line})',
                    plan.path,
                    change.line,
                    hint="renumber the later change to the next free number",
                )
            )
        elif highest is not None and number < int(number_prefix(highest.name) or 0):
            findings.append(
                Finding(
                    "MG204",
                    f'change "{change.name}" (number {prefix}) comes after "{highest.name}" '
                    f"(line {highest.line}) but has a lower number",
                    plan.path,
                    change.line,
                    hint="numbers must increase in plan order; renumber it above the highest",
                )
            )
        by_number.setdefault(number, change)
        if highest is None or number > int(number_prefix(highest.name) or 0):
            highest = change
    return findings


def _list_files(tree: Tree, folder: str, file_suffix: str | None) -> list[str]:
    """Every file below ``folder`` (repo-relative paths).

    Names ending in ``file_suffix`` are taken to be files without asking the tree (one
    ``is_dir`` per script is most of the cost on a big working tree); pass None when a change
    name makes a folder with that suffix.
    """
    out: list[str] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        for name in tree.list_dir(current):
            path = posixpath.join(current, name) if current else name
            if file_suffix is not None and name.endswith(file_suffix):
                out.append(path)
            elif tree.is_dir(path):
                stack.append(path)
            else:
                out.append(path)
    return out


def _script_folders(layout: ScriptLayout) -> set[str]:
    return {
        layout.dir_for(kind, reworked=reworked)
        for kind in SCRIPT_KINDS
        for reworked in (False, True)
    }


def _present_scripts(tree: Tree, plans: Sequence[Plan], layout: ScriptLayout) -> set[str]:
    """Every file in the layout's script folders (never the whole project folder)."""
    ext = "." + layout.extension
    suffix_folders = any(
        part.endswith(ext)
        for plan in plans
        for c in plan.changes
        for part in c.name.split("/")[:-1]
    )
    present: set[str] = set()
    for folder in sorted(_script_folders(layout)):
        if folder == layout.top_dir or not tree.is_dir(folder):
            continue
        present.update(_list_files(tree, folder, None if suffix_folders else ext))
    return present


def _change_scripts(
    change: Change, layout: ScriptLayout, exists: Callable[[str], bool]
) -> dict[str, str]:
    """The deploy, revert and verify script sqitch opens for one plan line (as
    App::Sqitch::Plan::Change: an earlier instance of a reworked change uses the first
    ``name@TAG`` script found in the reworked deploy folder, else the first tag's name)."""
    ext = "." + layout.extension
    *parents, base = change.name.split("/")
    if change.is_reworked:
        candidates = [f"{base}@{tag}{ext}" for tag in change.rework_tags]
        deploy_dir = layout.reworked_deploy_dir
        chosen = next(
            (c for c in candidates if exists(posixpath.join(deploy_dir, *parents, c))),
            candidates[0],
        )
    else:
        chosen = base + ext
    relative = posixpath.join(*parents, chosen)
    return {
        kind: posixpath.join(layout.dir_for(kind, reworked=change.is_reworked), relative)
        for kind in SCRIPT_KINDS
    }


def _script_findings(
    tree: Tree, plan: Plan, layout: ScriptLayout, others: Sequence[_OtherPlan] = ()
) -> list[Finding]:
    """MG205 for scripts a change lacks, MG206 for scripts no plan of the project names.

    ``others`` are the project's other plans (and this plan under other targets): a script
    folder can serve several plans, so a script one of them names is not an orphan, and an
    orphan in a folder an earlier target's plan also uses is that plan's finding (reported
    once). A missing verify script is a warning (sqitch only warns and deploys without
    verifying), and none at all when the project has no verify folder.
    """
    findings: list[Finding] = []
    ext = "." + layout.extension
    folders = _script_folders(layout)
    present = _present_scripts(tree, [plan, *(o.plan for o in others)], layout)
    verifies = any(tree.is_dir(layout.dir_for("verify", reworked=r)) for r in (False, True))
    expected: set[str] = set()
    for change in plan.changes:
        scripts = _change_scripts(change, layout, present.__contains__)
        expected.update(scripts.values())
        if change.is_reworked:
            base = change.name.split("/")[-1]
            hint = (
                "sqitch rework keeps the scripts of the earlier version as "
                f"{base}@TAG{ext}, TAG being one of: {', '.join(change.rework_tags)}"
            )
        else:
            hint = "sqitch add creates the deploy, revert and verify scripts"
        for kind, script in scripts.items():
            if script in present or (kind == "verify" and not verifies):
                continue
            verify = kind == "verify"
            findings.append(
                Finding(
                    "MG205",
                    f'change "{change.name}" has no {kind} script {script}',
                    plan.path,
                    change.line,
                    hint=f"sqitch deploys it without verifying (it only warns); {hint}"
                    if verify
                    else hint,
                    severity=Severity.WARNING if verify else Severity.ERROR,
                )
            )
    deferred: set[str] = set()
    for other in others:
        # Its reworked scripts may lie outside this layout's folders: ask the tree.
        for change in other.plan.changes:
            expected.update(_change_scripts(change, other.layout, tree.exists).values())
        if other.earlier:
            deferred |= _script_folders(other.layout)
    names = {c.name for c in plan.changes}
    slugs = {_slug(c.name): c.name for c in plan.changes}
    for script in sorted(present - expected):
        if not script.endswith(ext):
            continue
        folder = next(f for f in sorted(folders, key=len, reverse=True) if _under(script, f))
        if folder in deferred:
            continue
        stem = script[len(folder) + 1 : -len(ext)] if folder else script[: -len(ext)]
        name = stem.split("@", 1)[0] if "@" in posixpath.basename(stem) else stem
        if name in names:
            hint = (
                f'"{name}" is in the plan, but this file name is not one sqitch uses for it '
                "(a reworked change's old scripts are name@TAG" + ext + ")"
            )
        elif _slug(name) in slugs:
            hint = f'renamed? the plan has "{slugs[_slug(name)]}"'
        else:
            hint = f"add the change to {posixpath.basename(plan.path)}, or delete the script"
        findings.append(
            Finding("MG206", f'script for "{stem}" has no plan entry', script, None, hint=hint)
        )
    return findings


class _OtherPlan(NamedTuple):
    plan: Plan
    layout: ScriptLayout
    earlier: bool  # its target comes before this plan's in sqitch.conf (default first)


def _other_plans(
    tree: Tree, conf: SqitchConf | None, plan_path: str, layout: ScriptLayout
) -> list[_OtherPlan]:
    """The project's other plans with their layouts: other targets' plans, and this plan under
    targets with other script folders. Plans that do not exist are left out."""
    if conf is None:
        return []
    entries = [e for e in conf.target_layouts() if isinstance(e, TargetLayout)]
    own = next((i for i, e in enumerate(entries) if e.layout == layout), len(entries))
    out: list[_OtherPlan] = []
    parsed: dict[str, Plan] = {}
    seen = {layout}
    for index, entry in enumerate(entries):
        if entry.layout in seen:
            continue
        seen.add(entry.layout)
        path = entry.layout.plan_file
        if path not in parsed:
            if not tree.exists(path) or tree.is_dir(path):
                continue
            parsed[path] = parse_plan(tree.read_bytes(path), path)
        earlier = index < own and path != plan_path
        out.append(_OtherPlan(parsed[path], entry.layout, earlier))
    return out


def _slug(name: str) -> str:
    prefix = number_prefix(name)
    return name[len(prefix) + 1 :] if prefix is not None else name


def _under(path: str, folder: str) -> bool:
    return not folder or path.startswith(folder + "/")


# --------------------------------------------------------------------------------------------
# Entry points


def _read_plan(tree: Tree, plan_path: str) -> Plan:
    if not tree.exists(plan_path) or tree.is_dir(plan_path):
        raise InputError(
            f"sqitch plan {plan_path} does not exist in the {tree.label}",
            hint="check the chain's path in migration-guard.toml",
        )
    return parse_plan(tree.read_bytes(plan_path), plan_path)


def _findings(
    tree: Tree, plan: Plan, spec: ChainSpec, numbering: Numbering, *, syntax_only: bool
) -> list[Finding]:
    findings = [_error_finding(error, plan.path) for error in plan.errors]
    if syntax_only:
        return findings
    findings.extend(_convention_findings(plan, spec, numbering))
    try:
        conf = find_sqitch_conf(tree, plan.path)
        layout = plan_layout(conf, plan.path)
    except InputError as exc:
        findings.append(Finding("MG211", exc.message, plan.path, None, hint=exc.hint))
        return findings
    findings.extend(
        _script_findings(tree, plan, layout, _other_plans(tree, conf, plan.path, layout))
    )
    return findings


def lint_plan(
    tree: Tree, plan_path: str, spec: ChainSpec | None, *, syntax_only: bool
) -> list[Finding]:
    """Lint one plan. ``syntax_only``: exactly what sqitch's parser checks.

    Without ``spec`` (a plan that is not a configured chain) the numbering mode and width are
    detected from the plan, and nothing is exempt.
    """
    plan = _read_plan(tree, plan_path)
    if spec is None:
        spec = ChainSpec(name=plan_path, title=plan_path, kind=ChainKind.SQITCH, path=plan_path)
    return _findings(tree, plan, spec, plan_numbering(plan, spec), syntax_only=syntax_only)


def read_chain(tree: Tree, spec: ChainSpec) -> ChainState:
    """The chain at ``spec.path``: one migration per change (a reworked change counts once, at
    its first line), the last change as head, and every finding.

    A plan that does not exist is an empty chain with a warning (MG212), as Alembic's missing
    versions folder (MG140): a git revision older than the chain (a new project, a second
    target's plan added by this change) has none; config validation already fails on a
    configured plan missing from the working tree.
    """
    if not tree.exists(spec.path):
        numbering = plan_numbering(parse_plan(b"", spec.path), spec)
        finding = Finding(
            "MG212",
            f"sqitch plan {spec.path} does not exist in the {tree.label}; read as an empty chain",
            spec.path,
            None,
            "check the chain's path in migration-guard.toml",
            Severity.WARNING,
        )
        return ChainState(
            spec=spec, findings=(finding,), numbering=numbering.mode, width=numbering.width
        )
    plan = _read_plan(tree, spec.path)
    numbering = plan_numbering(plan, spec)
    last = plan.last_change
    heads = (Head(revision=last.name, path=spec.path),) if last is not None else ()
    findings = tuple(_findings(tree, plan, spec, numbering, syntax_only=False))
    return ChainState(
        spec=spec,
        migrations=_migrations(plan, spec, numbering),
        heads=heads,
        findings=findings,
        numbering=numbering.mode,
        width=numbering.width,
        unread=unread_lines(plan),
    )


def unread_lines(plan: Plan) -> tuple[str, ...]:
    """Why some changes of the plan may be missing from what was read: sqitch stops reading
    at a byte that is not UTF-8 (nothing of the plan is listed), and rejects a line it
    cannot parse (a change written there is not listed)."""
    reasons = []
    for error in plan.errors:
        if error.kind is ErrorKind.ENCODING:
            where = f"{plan.path}:{error.line}" if error.line is not None else plan.path
            reasons.append(f"{where}: {error.message} (sqitch reads no change of this plan)")
    invalid = {line.number for line in plan.lines if line.kind is LineKind.INVALID}
    for error in plan.errors:
        if error.line in invalid and error.kind is ErrorKind.SYNTAX:
            invalid.discard(error.line)
            reasons.append(f"{plan.path}:{error.line}: sqitch rejects this line: {error.message}")
    return tuple(reasons)


def chain_layout(tree: Tree, spec: ChainSpec) -> tuple[SqitchConf | None, ScriptLayout]:
    """The chain's sqitch.conf (if any) and where its scripts live (the layout of the target
    that uses this plan)."""
    conf = find_sqitch_conf(tree, spec.path)
    return conf, plan_layout(conf, spec.path)


def script_folders(tree: Tree, spec: ChainSpec) -> tuple[tuple[str, ...], str]:
    """The deploy/revert/verify folders and the script extension (``.sql``) of the chain.

    Another PR is known only by its file paths; these say which of them are this chain's
    scripts. An unusable sqitch.conf falls back to sqitch's defaults beside the plan.
    """
    try:
        _, layout = chain_layout(tree, spec)
    except InputError:
        layout = default_layout(spec.path)
    folders = tuple(dict.fromkeys((layout.deploy_dir, layout.revert_dir, layout.verify_dir)))
    return folders, f".{layout.extension}"


def plan_migrations(
    data: bytes, spec: ChainSpec, numbering: Numbering | None = None
) -> tuple[Migration, ...]:
    """The changes of another version of the chain's plan (e.g. an open PR's), numbered as
    ``numbering`` says (the base's; detected from this plan when None)."""
    plan = parse_plan(data, spec.path)
    return _migrations(plan, spec, numbering or plan_numbering(plan, spec))


def plan_unread(data: bytes, spec: ChainSpec) -> tuple[str, ...]:
    """``unread_lines`` of another version of the chain's plan: why its changes may not all
    be listed by ``plan_migrations``."""
    return unread_lines(parse_plan(data, spec.path))
