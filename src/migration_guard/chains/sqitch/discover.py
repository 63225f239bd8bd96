"""Finding sqitch chains: every ``sqitch.plan``, and the plans that a sqitch.conf's targets
name (``plan_file``: a second target's plan), each right after the sqitch.plan of its folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from migration_guard.chains.kind import Discovered, path_name_parts
from migration_guard.chains.sqitch.conf import TargetLayout, read_sqitch_conf
from migration_guard.errors import InputError
from migration_guard.model import ChainKind, ChainSpec, Finding
from migration_guard.tree import Tree


def discover(
    tree: Tree, walked: Sequence[tuple[str, list[str]]], notes: list[Finding]
) -> list[Discovered]:
    plans: list[str] = []
    conf_folders: list[str] = []
    for folder, files in walked:
        prefix = f"{folder}/" if folder else ""
        if "sqitch.plan" in files:
            plans.append(prefix + "sqitch.plan")
        if "sqitch.conf" in files:
            conf_folders.append(folder)
    plans = sorted(
        plans + _target_plans(tree, conf_folders, plans),
        key=lambda p: (
            PurePosixPath(p).parent.as_posix(),
            PurePosixPath(p).name != "sqitch.plan",
            p,
        ),
    )
    return [
        Discovered(
            tuple(path_name_parts(plan)),
            ChainSpec(name="", title="", kind=ChainKind.SQITCH, path=plan, discovered=True),
        )
        for plan in plans
    ]


def _target_plans(tree: Tree, conf_folders: list[str], known: list[str]) -> list[str]:
    """Plans that a sqitch.conf's targets use, other than ``known``: each is its own chain.

    Only plans in the conf's folder or below (where the chain finds its sqitch.conf again);
    a sqitch.conf that cannot be read is left to ``lint`` (MG211) of the plan beside it.
    """
    found: list[str] = []
    for folder in conf_folders:
        try:
            conf = read_sqitch_conf(tree, folder)
        except InputError:
            continue
        for entry in conf.target_layouts() if conf is not None else ():
            plan = entry.layout.plan_file if isinstance(entry, TargetLayout) else None
            if (
                plan is None
                or plan in known
                or plan in found
                or (folder and not plan.startswith(folder + "/"))
                or not tree.exists(plan)
                or tree.is_dir(plan)
            ):
                continue
            found.append(plan)
    return sorted(found)
