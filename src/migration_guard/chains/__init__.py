"""Chain kinds: one module per migration framework, looked up by ``ChainKind``.

Each kind provides ``read_chain(tree, spec) -> ChainState``: list the chain's migrations,
read each one's number and links statically, and validate the chain.
"""

from __future__ import annotations

from collections.abc import Callable

from migration_guard.errors import UnreadableChainError
from migration_guard.model import ChainKind, ChainSpec, ChainState
from migration_guard.tree import Tree

ChainReader = Callable[[Tree, ChainSpec], ChainState]


def reader_for(kind: ChainKind) -> ChainReader:
    # Imported lazily: a command touching only sqitch chains never loads the Alembic reader.
    if kind is ChainKind.ALEMBIC:
        from migration_guard.chains.alembic import reader as alembic

        return alembic.read_chain
    from migration_guard.chains.sqitch import reader as sqitch

    return sqitch.read_chain


def read_chain(tree: Tree, spec: ChainSpec) -> ChainState:
    return reader_for(spec.kind)(tree, spec)


def readable(state: ChainState, where: str) -> ChainState:
    """``state`` when every migration of the chain was read; else UnreadableChainError (exit
    3). ``check``, ``next``, ``renumber`` and ``recover`` compare migrations: a plan sqitch
    cannot read must never look like a chain with fewer (or no) new migrations. ``lint``
    and ``heads`` report the same problems as findings instead."""
    if not state.unread:
        return state
    raise UnreadableChainError(
        f"could not read chain {state.spec.name}: {'; '.join(state.unread)} (in the {where})",
        hint=f"fix it first (migration-guard lint {state.spec.name} names the problem)",
    )


def read_readable(tree: Tree, spec: ChainSpec) -> ChainState:
    """``read_chain``, refusing a chain that could not be read in full (see ``readable``)."""
    return readable(read_chain(tree, spec), tree.label)
