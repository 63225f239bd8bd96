"""Chain kinds: one package per migration framework (``chains/<kind>/``), each exposing a
``KIND`` that satisfies ``kind.Kind``; ``registry`` maps ``ChainKind`` keys to them.
"""

from __future__ import annotations

from collections.abc import Callable

from migration_guard.errors import UnreadableChainError
from migration_guard.model import ChainSpec, ChainState
from migration_guard.tree import Tree

ChainReader = Callable[[Tree, ChainSpec], ChainState]


def read_chain(tree: Tree, spec: ChainSpec) -> ChainState:
    """The chain as its kind reads it (``chains.registry``)."""
    from migration_guard.chains import registry

    return registry.kind_of(spec.kind).read_chain(tree, spec)


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
