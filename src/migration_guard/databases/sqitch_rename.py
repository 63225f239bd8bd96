"""Rename sqitch changes that are already deployed (``--allow-deployed``), with the real sqitch.

A change's ID covers its name and its parent's ID, so a rename gives the renamed change and
every later one new IDs; a target that recorded the old IDs then fails ``sqitch status`` and
``deploy`` ("Cannot find this change in sqitch.plan"). The safe procedure only rewrites the
registry, never the database objects (``--log-only`` runs no script):

1. :func:`prepare` reads every target's registry, checks that ``sqitch status`` is clean
   there and that the deployed changes are the start of the plan, and works out, for each
   target with an affected change deployed, the commands below. Nothing is changed yet.
2. ``before_edit()``: ``sqitch revert --log-only -y --to ID`` with ID the last deployed change
   before the first affected one (no ``--to`` when that is the first change of the plan: ``--to
   @ROOT`` would keep the first change recorded under its old ID).
3. The caller applies the file edits (plan, scripts).
4. ``after_edit()``: ``sqitch deploy --log-only --to @ROOT~N`` re-records the same number of
   changes under their new IDs, then proves the result: ``sqitch status`` exits 0 on the same
   current change position with the same undeployed tail (names mapped), and the registry
   holds exactly the renamed prefix of the plan.
5. If anything fails after step 2, the caller restores the old files and calls ``rollback()``:
   it log-only reverts whatever the new plan recorded, log-only deploys the old plan back to
   where it was, and checks that the registry holds the *same change IDs* as before (IDs are
   deterministic: the same plan gives the same IDs). If even that fails, it raises with the
   commands that put the registry back by hand.

sqitch runs in the project folder with only the project's ``sqitch.conf`` (``SQITCH_CONFIG``;
user and system configurations are ``/dev/null``), English messages, and a fixed committer
(``SQITCH_FULLNAME`` / ``SQITCH_EMAIL``, from the caller, else the environment, else
``migration-guard``). libpq's ``PG*`` variables, ``SQITCH_USERNAME``/``SQITCH_PASSWORD`` and
Perl's library path are passed through; ``SQITCH_TARGET`` is not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_guard.chains.sqitch.plan import parse_plan
from migration_guard.chains.sqitch.rewrite import SqitchRename
from migration_guard.databases.sqitch_registry import (
    RegistryState,
    SqitchTarget,
    read_registry,
)
from migration_guard.errors import DatabaseError, InputError

if TYPE_CHECKING:
    from migration_guard.chains.sqitch.conf import SqitchConf

__all__ = [
    "DeployedRename",
    "DeployedRenameError",
    "RegistryMismatchError",
    "TargetStep",
    "from_record",
    "prepare",
    "sqitch_env",
]

_TIMEOUT = 600
_PASS_THROUGH = frozenset(
    {"PATH", "HOME", "TMPDIR", "PERL5LIB", "PERL_LOCAL_LIB_ROOT", "SQITCH_USERNAME"}
    | {"SQITCH_PASSWORD"}
)
_STATUS_CHANGE_RE = re.compile(r"^# Change:\s+([0-9a-f]{40})\s*$", re.MULTILINE)


class DeployedRenameError(DatabaseError):
    """sqitch could not re-record a target's registry (exit 3). The message says in what
    state the registry was left."""


class RegistryMismatchError(InputError):
    """A target's registry does not match the plan, so a rename cannot be recorded safely."""


@dataclass(frozen=True)
class TargetStep:
    """What the procedure does on one target."""

    target: SqitchTarget
    before: RegistryState
    keep: int  # deployed changes that keep their IDs (the first affected change's index)
    revert: tuple[str, ...]  # sqitch arguments
    deploy: tuple[str, ...]
    undeployed: tuple[str, ...]  # `sqitch status` before, names mapped to the new ones

    @property
    def count(self) -> int:
        return len(self.before.changes)


def sqitch_env(conf: Path, committer: tuple[str, str] | None = None) -> dict[str, str]:
    """The environment sqitch runs in: only ``conf``, English, a fixed committer."""
    env = {k: v for k, v in os.environ.items() if k in _PASS_THROUGH or k.startswith("PG")}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    if committer is None:
        committer = (
            os.environ.get("SQITCH_FULLNAME") or "migration-guard",
            os.environ.get("SQITCH_EMAIL") or "migration-guard@localhost",
        )
    env.update(
        SQITCH_CONFIG=str(conf),
        SQITCH_USER_CONFIG=os.devnull,
        SQITCH_SYSTEM_CONFIG=os.devnull,
        SQITCH_FULLNAME=committer[0],
        SQITCH_EMAIL=committer[1],
        LC_ALL="C",
    )
    return env


@dataclass
class DeployedRename:
    """The procedure for one rename over several targets; see the module docstring.

    ``state``: ``prepared`` → ``reverted`` → ``done``; after a failure past ``reverted``,
    ``failed`` until ``rollback()`` makes it ``rolled back``.
    """

    rename: SqitchRename
    conf_dir: Path
    plan_file: Path
    steps: tuple[TargetStep, ...]
    sqitch: str
    env: dict[str, str] = field(repr=False)
    state: str = "prepared"
    log: list[str] = field(default_factory=list)

    # -- what will run

    @property
    def commands(self) -> tuple[str, ...]:
        """The sqitch commands of the procedure, in order (targets shown without password)."""
        out: list[str] = []
        for step in self.steps:
            out.append(self._show(step, step.revert))
        for step in self.steps:
            out.append(self._show(step, step.deploy))
            out.append(self._show(step, self._status_args(step)))
        return tuple(out)

    def _show(self, step: SqitchTarget | TargetStep, args: Sequence[str]) -> str:
        target = step.target if isinstance(step, TargetStep) else step
        shown = [target.uri.safe if a == target.name and ":" in a else a for a in args]
        return "sqitch " + " ".join(shown)

    # -- running sqitch

    def _run(self, target: SqitchTarget, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.log.append(self._show(target, args))
        try:
            proc = subprocess.run(
                [self.sqitch, *args],
                cwd=self.conf_dir,
                env=self.env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                check=False,
                timeout=_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeployedRenameError(f"sqitch could not run: {exc}") from exc
        self.log.append(proc.stdout + proc.stderr)
        return proc

    @staticmethod
    def _status_args(step: TargetStep) -> tuple[str, ...]:
        return ("status", "--target", step.target.name)

    def _check_plan_file(self, text: str, what: str) -> None:
        try:
            on_disk = self.plan_file.read_bytes()
        except OSError as exc:
            raise DeployedRenameError(f"cannot read {self.plan_file}: {exc}") from exc
        if on_disk != text.encode("utf-8"):
            raise DeployedRenameError(
                f"{self.plan_file} is not the {what} plan",
                hint="the files must be in the state this step expects; nothing was run",
            )

    # -- the steps

    def before_edit(self) -> None:
        """Log-only revert of the affected changes on every target (files still old).

        On failure the targets already reverted are restored, and
        :class:`DeployedRenameError` is raised.
        """
        if self.state != "prepared":
            raise RuntimeError(f"before_edit() in state {self.state}")
        self._check_plan_file(self.rename.old_plan_text, "old")
        for index, step in enumerate(self.steps):
            proc = self._run(step.target, step.revert)
            if proc.returncode != 0:
                problem = _last_lines(proc)
                self.state = "failed"
                try:
                    self._restore(self.steps[: index + 1])
                except DatabaseError as exc:
                    raise DeployedRenameError(
                        f"sqitch revert --log-only failed on {step.target.label}: {problem}; "
                        f"then restoring the registries failed too: {exc.message}",
                        hint=exc.hint,
                    ) from exc
                self.state = "rolled back"
                raise DeployedRenameError(
                    f"sqitch revert --log-only failed on {step.target.label}: {problem}",
                    hint="the registries were restored; nothing was renamed",
                )
        self.state = "reverted"

    def after_edit(self) -> None:
        """Log-only deploy with the renamed plan, then prove every target is as before.

        Raises :class:`DeployedRenameError` on failure (or :class:`DatabaseError` if a
        registry cannot be read): on any exception the caller restores the old files and
        calls :meth:`rollback`.
        """
        if self.state != "reverted":
            raise RuntimeError(f"after_edit() in state {self.state}")
        self.state = "failed"
        self._check_plan_file(self.rename.new_plan_text, "renamed")
        new_names = [
            self.rename.renames.get(c.name, c.name)
            for c in parse_plan(self.rename.old_plan_text.encode(), "old").changes
        ]
        for step in self.steps:
            proc = self._run(step.target, step.deploy)
            if proc.returncode != 0:
                raise self._after_failure(step, f"sqitch deploy --log-only: {_last_lines(proc)}")
            problem = self._verify(step, new_names[: step.count], step.undeployed)
            if problem is not None:
                raise self._after_failure(step, problem)
        self.state = "done"

    def _after_failure(self, step: TargetStep, problem: str) -> DeployedRenameError:
        return DeployedRenameError(
            f"recording the renamed changes on {step.target.label} failed: {problem}",
            hint="restore the old files, then rollback() re-records the old changes",
        )

    def _verify(
        self, step: TargetStep, names: Sequence[str], undeployed: tuple[str, ...]
    ) -> str | None:
        state = read_registry(step.target, self.rename.project, conf_dir=self.conf_dir)
        if [c.name for c in state.changes] != list(names):
            return (
                f"the registry holds {', '.join(c.name for c in state.changes) or 'nothing'}, "
                f"expected {', '.join(names)}"
            )
        proc = self._run(step.target, self._status_args(step))
        if proc.returncode != 0:
            return f"sqitch status exited {proc.returncode}: {_last_lines(proc)}"
        current = _STATUS_CHANGE_RE.search(proc.stdout)
        if current is None or current.group(1) != state.changes[-1].change_id:
            return "sqitch status does not show the last recorded change as current"
        after = _undeployed(proc.stdout, {})
        if after != undeployed:
            return (
                f"sqitch status lists undeployed {', '.join(after) or 'nothing'}, "
                f"expected {', '.join(undeployed) or 'nothing'}"
            )
        return None

    def rollback(self) -> None:
        """Put every target's registry back as it was, with the old files restored.

        Raises :class:`DeployedRenameError` (with the commands to do it by hand) if it cannot.
        """
        if self.state not in ("reverted", "failed"):
            raise RuntimeError(f"rollback() in state {self.state}")
        self._check_plan_file(self.rename.old_plan_text, "old")
        self._restore(self.steps)
        self.state = "rolled back"

    def _restore(self, steps: Sequence[TargetStep]) -> None:
        for step in steps:
            now = read_registry(step.target, self.rename.project, conf_dir=self.conf_dir)
            ids = [c.change_id for c in now.changes]
            wanted = [c.change_id for c in step.before.changes]
            if ids == wanted:
                continue
            if ids[: step.keep] != wanted[: step.keep]:
                raise self._manual(step, "its first changes are not the ones it had")
            if len(ids) > step.keep:  # partly re-recorded under the new IDs
                proc = self._run(step.target, step.revert)
                if proc.returncode != 0:
                    raise self._manual(step, f"sqitch revert --log-only: {_last_lines(proc)}")
            proc = self._run(step.target, step.deploy)
            if proc.returncode != 0:
                raise self._manual(step, f"sqitch deploy --log-only: {_last_lines(proc)}")
            now = read_registry(step.target, self.rename.project, conf_dir=self.conf_dir)
            if [c.change_id for c in now.changes] != wanted:
                raise self._manual(step, "the change IDs differ from the ones it had")

    # -- one step at a time, for the journal (apply.Registry); each may be repeated

    @property
    def target_count(self) -> int:
        return len(self.steps)

    def revert_target(self, index: int) -> None:
        """Log-only revert on one target (the files are still the old ones); skipped when
        the registry already holds only the changes that keep their IDs."""
        step = self.steps[index]
        self._check_plan_file(self.rename.old_plan_text, "old")
        now = read_registry(step.target, self.rename.project, conf_dir=self.conf_dir)
        wanted = [c.change_id for c in step.before.changes[: step.keep]]
        if [c.change_id for c in now.changes] == wanted:
            return
        proc = self._run(step.target, step.revert)
        if proc.returncode != 0:
            raise DeployedRenameError(
                f"sqitch revert --log-only failed on {step.target.label}: {_last_lines(proc)}"
            )

    def deploy_target(self, index: int) -> None:
        """Log-only deploy with the renamed plan on one target, then prove it is as before
        (names mapped); the deploy is skipped when the renamed changes are recorded."""
        step = self.steps[index]
        self._check_plan_file(self.rename.new_plan_text, "renamed")
        new_names = [
            self.rename.renames.get(c.name, c.name)
            for c in parse_plan(self.rename.old_plan_text.encode(), "old").changes
        ]
        now = read_registry(step.target, self.rename.project, conf_dir=self.conf_dir)
        if [c.name for c in now.changes] != new_names[: step.count]:
            proc = self._run(step.target, step.deploy)
            if proc.returncode != 0:
                raise self._after_failure(step, f"sqitch deploy --log-only: {_last_lines(proc)}")
        problem = self._verify(step, new_names[: step.count], step.undeployed)
        if problem is not None:
            raise self._after_failure(step, problem)

    def restore_all(self) -> None:
        """Every target's registry as it was (the old files must be back): whatever was
        reverted is re-recorded, whatever the renamed plan recorded is reverted first."""
        self._check_plan_file(self.rename.old_plan_text, "old")
        self._restore(self.steps)
        self.state = "rolled back"

    def record(self, root: Path) -> dict[str, Any]:
        """What the journal keeps to redo or undo the registry steps, paths relative to the
        repository ``root``. No passwords: a URI target is kept without its password; sqitch
        finds it in SQITCH_PASSWORD or ~/.pgpass when the journal is resolved."""
        targets = []
        for step in self.steps:
            name = step.target.name
            safe = step.target.uri.safe if ":" in name else name
            targets.append(
                {
                    "name": safe,
                    "label": step.target.label,
                    "before": [[c.change_id, c.name, c.committed_at] for c in step.before.changes],
                    "location": step.before.location,
                    "keep": step.keep,
                    "revert": [safe if a == name else a for a in step.revert],
                    "deploy": [safe if a == name else a for a in step.deploy],
                    "undeployed": list(step.undeployed),
                }
            )
        return {
            "conf_dir": os.path.relpath(self.conf_dir, root),
            "plan_file": os.path.relpath(self.plan_file, root),
            "plan_path": self.rename.plan_path,
            "project": self.rename.project,
            "renames": dict(self.rename.renames),
            "first_affected": self.rename.first_affected,
            "affected": list(self.rename.affected),
            "old_plan": self.rename.old_plan_text,
            "new_plan": self.rename.new_plan_text,
            "sqitch": self.sqitch,
            "committer": [self.env["SQITCH_FULLNAME"], self.env["SQITCH_EMAIL"]],
            "targets": targets,
        }

    def _manual(self, step: TargetStep, problem: str) -> DeployedRenameError:
        return DeployedRenameError(
            f"could not restore the sqitch registry of {step.target.label}: {problem}",
            hint=(
                "with the old plan and scripts in place, in "
                f"{self.conf_dir}: {self._show(step, step.revert)}; then "
                f"{self._show(step, step.deploy)}; then check with sqitch status"
            ),
        )


def _last_lines(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (proc.stderr or proc.stdout).strip().splitlines()]
    return " ".join(lines[-3:]) or f"exit status {proc.returncode}"


def _undeployed(status: str, renames: dict[str, str]) -> tuple[str, ...]:
    """The names `sqitch status` lists under "Undeployed changes:", mapped by ``renames``."""
    out: list[str] = []
    listing = False
    for line in status.splitlines():
        if line.startswith("Undeployed change"):
            listing = True
        elif listing and line.startswith("  * "):
            name = line[4:].split(" ", 1)[0]
            out.append(renames.get(name, name))
        elif listing:
            break
    return tuple(out)


def prepare(
    rename: SqitchRename,
    targets: Sequence[SqitchTarget],
    *,
    conf_dir: Path,
    plan_file: Path | None = None,
    sqitch: str = "sqitch",
    committer: tuple[str, str] | None = None,
) -> DeployedRename:
    """Work out the procedure for ``rename`` on ``targets``; nothing is changed.

    ``conf_dir`` is the folder of the project's ``sqitch.conf`` (sqitch runs there);
    ``plan_file`` the plan on disk (default ``conf_dir/sqitch.plan``). Targets where no
    affected change is deployed get no step, nor do targets whose registry another target
    already uses (SQLite databases in one folder share ``sqitch.db``).

    Raises :class:`DatabaseError` if a target cannot be checked or sqitch is missing,
    :class:`RegistryMismatchError` if a target's deployed changes are not the start of the
    plan or ``sqitch status`` is not clean there.
    """
    binary = shutil.which(sqitch)
    if binary is None:
        raise DatabaseError(
            f"{sqitch} was not found",
            hint="renaming a deployed change needs sqitch (Debian: apt-get install sqitch)",
        )
    conf = conf_dir / "sqitch.conf"
    env = sqitch_env(conf, committer)
    old_names = [c.name for c in parse_plan(rename.old_plan_text.encode(), "old").changes]
    procedure = DeployedRename(
        rename=rename,
        conf_dir=conf_dir,
        plan_file=plan_file or conf_dir / "sqitch.plan",
        steps=(),
        sqitch=binary,
        env=env,
    )
    steps: list[TargetStep] = []
    keep = rename.first_affected
    seen: set[str] = set()
    for target in targets:
        state = read_registry(target, rename.project, conf_dir=conf_dir)
        deployed = [c.name for c in state.changes]
        if len(deployed) <= keep or state.location in seen:
            continue  # nothing affected is deployed there, or its registry is done already
        seen.add(state.location)
        if deployed != old_names[: len(deployed)]:
            raise RegistryMismatchError(
                f"{target.label} has {', '.join(deployed)} deployed, which is not the start "
                f"of the plan ({', '.join(old_names[: len(deployed)])})",
                hint="run sqitch status there and bring it in line with the plan first",
            )
        status_args = ("status", "--target", target.name)
        proc = procedure._run(target, status_args)
        current = _STATUS_CHANGE_RE.search(proc.stdout)
        if (
            proc.returncode != 0
            or current is None
            or current.group(1) != state.changes[-1].change_id
        ):
            raise RegistryMismatchError(
                f"sqitch status is not clean on {target.label}: {_last_lines(proc)}",
                hint="fix the target first; a rename is recorded only on a clean registry",
            )
        revert = ["revert", "--log-only", "-y", "--target", target.name]
        if keep > 0:
            revert += ["--to", state.changes[keep - 1].change_id]
        last = len(deployed) - 1
        deploy = ["deploy", "--log-only", "--target", target.name]
        deploy += ["--to", f"@ROOT~{last}" if last else "@ROOT"]
        steps.append(
            TargetStep(
                target=target,
                before=state,
                keep=keep,
                revert=tuple(revert),
                deploy=tuple(deploy),
                undeployed=_undeployed(proc.stdout, dict(rename.renames)),
            )
        )
    procedure.steps = tuple(steps)
    return procedure


def from_record(record: Mapping[str, Any], conf: SqitchConf | None, root: Path) -> DeployedRename:
    """The procedure a journal recorded (see :meth:`DeployedRename.record`), to finish or
    undo it in the repository at ``root``; ``conf`` is the project's sqitch.conf, which
    names the targets."""
    from migration_guard.databases.sqitch_registry import DeployedChange, resolve_target
    from migration_guard.edits import EditPlan

    conf_dir = root / record["conf_dir"]
    rename = SqitchRename(
        plan_path=record["plan_path"],
        renames=dict(record["renames"]),
        edit_plan=EditPlan(),
        old_plan_text=record["old_plan"],
        new_plan_text=record["new_plan"],
        project=record["project"],
        first_affected=int(record["first_affected"]),
        affected=tuple(record["affected"]),
    )
    steps = []
    for item in record["targets"]:
        target = resolve_target(conf, item["name"])
        before = RegistryState(
            target=target,
            project=rename.project,
            location=item["location"],
            exists=True,
            changes=tuple(DeployedChange(*change) for change in item["before"]),
        )
        steps.append(
            TargetStep(
                target=target,
                before=before,
                keep=int(item["keep"]),
                revert=tuple(item["revert"]),
                deploy=tuple(item["deploy"]),
                undeployed=tuple(item["undeployed"]),
            )
        )
    committer = record["committer"]
    return DeployedRename(
        rename=rename,
        conf_dir=conf_dir,
        plan_file=root / record["plan_file"],
        steps=tuple(steps),
        sqitch=record["sqitch"],
        env=sqitch_env(conf_dir / "sqitch.conf", (committer[0], committer[1])),
        state="failed",
    )
