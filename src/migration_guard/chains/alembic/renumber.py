"""Renumbering Alembic revisions: the rewrite plan (files renamed, ids and parents
rewritten, the block put on the head the chain keeps) and the refusal to move a revision a
database has applied."""

from __future__ import annotations

import re
from collections.abc import Sequence

from migration_guard.chains import read_readable
from migration_guard.chains.alembic import reader as alembic
from migration_guard.chains.alembic import rewrite as alembic_rewrite
from migration_guard.chains.alembic.graph import BranchMap, analyse, built_on
from migration_guard.chains.alembic.script import ParsedScript, ScriptInfo
from migration_guard.chains.kind import Move, RenumberContext, renamed
from migration_guard.edits import EditPlan
from migration_guard.errors import DeployedChangeError, InputError
from migration_guard.model import ChainSpec, Migration
from migration_guard.tree import Tree

_ID_NUMBER = re.compile(r"[0-9]+(?![0-9A-Za-z])")


def moved(spec: ChainSpec, migration: Migration, number: str) -> Move:
    """The revision file with the new number in its name (its folder kept); its id follows
    in ``plan_renumber`` where the id carries the number."""
    if not number:
        return Move(spec, migration, "", migration.name, migration.path)
    new_name = renamed(migration.name, migration.number_text, number, "_")
    folder, _, file_name = migration.path.rpartition("/")
    new_file = renamed(file_name, migration.number_text, number, "_")
    return Move(spec, migration, number, new_name, f"{folder}/{new_file}" if folder else new_file)


def plan_renumber(
    tree: Tree, spec: ChainSpec, moves: Sequence[Move], context: RenumberContext
) -> EditPlan:
    """The edits that give ``moves`` their new numbers (files, ids) and put the block on
    top of the head the chain keeps (``context.onto``, else the one left without the block,
    else the base's), rewriting every file that points at a moved id."""
    base_tree, down_revision = context.base_tree, context.onto
    follow_new_files = context.follow_new_files
    scripts = {s.path: s for s in alembic.read_scripts(tree, spec)}
    infos: dict[str, ScriptInfo] = {}
    for move in moves:
        script = scripts.get(move.migration.path)
        if not isinstance(script, ScriptInfo):
            reason = getattr(script, "reason", "not found")
            raise InputError(
                f"{move.migration.path} cannot be read statically: {reason}",
                hint="fix the file (see `migration-guard lint`) and retry",
            )
        infos[move.migration.path] = script
    ordered = sorted(moves, key=lambda m: (m.migration.number, m.migration.path))
    moved_ids = {infos[m.migration.path].revision for m in ordered}
    moved_paths = {m.migration.path for m in ordered}
    # The planner sees the chain as it will be once merged with the base, so a parent that
    # only the base has yet (the base's head) is a known revision.
    view: Tree = tree
    if base_tree is not None and any(base_tree.exists(p) for p in spec.folders):
        from migration_guard.merged_tree import MergedTree

        view = MergedTree(tree, base_tree, folders=spec.folders)
    parent = down_revision
    if parent is None:
        # The head the chain keeps without the moved block (after a merged collision: the
        # side that landed first), on the block's own branch where the chain has several;
        # failing a single one, the base branch's head.
        roots = [i for i in infos.values() if not moved_ids.intersection(i.down_revisions)]
        view_scripts = alembic.read_scripts(view, spec)
        survivors = surviving_heads(view_scripts, moved_paths, roots)
        parent = (
            survivors[0] if len(survivors) == 1 else _base_head(spec, base_tree, moved_ids, roots)
        )
    rewrite_moves = []
    previous_new: str | None = None
    for move in ordered:
        info = infos[move.migration.path]
        new_revision = _new_revision(info.revision, move)
        new_down: tuple[str, ...] | None = None
        outside = [d for d in info.down_revisions if d not in moved_ids]
        if outside and len(outside) == len(info.down_revisions):
            # A root of the block: the lowest goes onto the base head, later roots onto the
            # block member before them, so the block lands as one straight line.
            target = parent if previous_new is None else previous_new
            if target is not None and info.down_revisions != (target,):
                new_down = (target,)
        rewrite_moves.append(
            alembic_rewrite.Move(
                path=move.migration.path,
                new_path=move.new_path,
                new_revision=new_revision,
                new_down_revisions=new_down,
            )
        )
        previous_new = new_revision or info.revision
    # This branch's own files that point at a moved id mean the moved file (the base may hold
    # another file with the same old id: the collision being fixed), so they follow it.
    for path, script in scripts.items():
        if (
            follow_new_files
            and path not in moved_paths
            and isinstance(script, ScriptInfo)
            and (base_tree is None or not base_tree.exists(path))
            and moved_ids.intersection(script.down_revisions + script.depends_on)
        ):
            rewrite_moves.append(alembic_rewrite.Move(path=path, new_path=path, new_revision=None))
    paths = alembic.chain_script_paths(view, spec)
    sources = {p: b.decode("utf-8", "surrogateescape") for p, b in view.read_many(paths).items()}
    plan = alembic_rewrite.plan_renumber(sources, rewrite_moves)
    outside = [e.path for e in plan.edits if not tree.exists(e.path)]
    if outside:
        raise InputError(
            f"{outside[0]} (only on the base branch) would need an edit too",
            hint="rebase or merge the base branch into this branch first, then renumber",
        )
    return plan


def surviving_heads(
    scripts: Sequence[ParsedScript],
    moved_paths: set[str],
    roots: Sequence[ParsedScript] = (),
) -> list[str]:
    """The heads of the chain without the migrations being moved (sorted, unique). With the
    block's ``roots`` (its first migrations) and several heads, only the heads on the branch
    the roots are built on: intentional branches (own branch labels) each keep their head."""
    remaining = [s for s in scripts if isinstance(s, ScriptInfo) and s.path not in moved_paths]
    graph = analyse(remaining)
    heads = list(zip(graph.heads, graph.branches, strict=True))
    infos = [r for r in roots if isinstance(r, ScriptInfo)]
    if infos and len({h.revision for h, _ in heads}) > 1:
        target = built_on(BranchMap(remaining), infos)
        if target is not None:  # None: unknown, or the roots sit on several branches
            heads = [(h, b) for h, b in heads if b == target]
    return sorted({h.revision for h, _ in heads})


def _new_revision(revision: str, move: Move) -> str | None:
    old = move.migration.number_text
    if not old and move.new_number:
        # A file without a number whose id is one (add_x.py, revision "0193"): the id follows.
        match = _ID_NUMBER.match(revision)
        old = match.group() if match and len(match.group()) == len(move.new_number) else ""
    if not old or not move.new_number:
        return None  # a migration without a number keeps its id
    if revision == old:
        return move.new_number
    if revision.startswith(old) and not revision[len(old) : len(old) + 1].isalnum():
        return move.new_number + revision[len(old) :]
    return None  # hash ids: the file is renumbered, the id stays


def _base_head(
    spec: ChainSpec,
    base_tree: Tree | None,
    moved: set[str],
    roots: Sequence[ParsedScript] = (),
) -> str | None:
    if base_tree is None:
        return None
    if not any(base_tree.exists(p) for p in spec.folders):
        return None
    state = read_readable(base_tree, spec)
    heads = [h.revision for h in state.heads if h.revision not in moved]
    if len(set(heads)) > 1 and roots:
        # Several base heads: the one on the block's branch, as in ``surviving_heads``.
        on_branch = surviving_heads(alembic.read_scripts(base_tree, spec), set(), roots)
        heads = [h for h in on_branch if h not in moved] or heads
    if not heads:
        # Every base head is being moved (recovering on main): their parents are the base.
        scripts = [s for s in alembic.read_scripts(base_tree, spec) if isinstance(s, ScriptInfo)]
        heads = sorted(
            {d for s in scripts if s.revision in moved for d in s.down_revisions if d not in moved}
        )
    unique = sorted(set(heads))
    if len(unique) != 1:
        raise InputError(
            f"the base has {len(unique)} heads in chain {spec.name!r} ({', '.join(unique)}): "
            "cannot tell which to put the migration on",
            hint="pass --down-revision REV",
        )
    return unique[0]


def database_urls(targets: Sequence[str]) -> list[str]:
    """``--target`` values meant for Alembic chains: SQLAlchemy URLs (sqitch's are ``db:``)."""
    return [t for t in targets if "://" in t and not t.startswith("db:")]


def refuse_applied(
    tree: Tree, spec: ChainSpec, moves: Sequence[Move], targets: Sequence[str]
) -> None:
    """Refuse to renumber a revision that a ``--target`` database has applied."""
    urls = database_urls(targets)
    if not urls:
        return
    from migration_guard.databases.alembic_version import applied, deployed_versions
    from migration_guard.databases.targets import mask_url

    scripts = [s for s in alembic.read_scripts(tree, spec) if isinstance(s, ScriptInfo)]
    parents = {s.revision: s.down_revisions for s in scripts}
    moved_paths = {m.migration.path for m in moves if m.spec.name == spec.name}
    moved_ids = {s.revision for s in scripts if s.path in moved_paths}
    for url in urls:
        versions = deployed_versions(url)
        hit = sorted(moved_ids & applied(versions, parents))
        if hit:
            raise DeployedChangeError(
                f"revision {hit[0]} is applied on {mask_url(url)} (alembic_version: "
                f"{', '.join(sorted(versions))}); renumbering it would leave that "
                "database pointing at a revision that no longer exists, or skipping "
                "migrations",
                hint="downgrade that database below it first (alembic downgrade <its "
                "parent>), renumber, then upgrade; --allow-deployed applies to sqitch "
                "changes only",
            )
