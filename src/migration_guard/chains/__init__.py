"""Chain kinds: one module per migration framework, looked up by ``ChainKind``.

Each kind provides ``read_chain(tree, spec) -> ChainState``: list the chain's migrations,
read each one's number and links statically, and validate the chain.
"""

from __future__ import annotations

from collections.abc import Callable

from migration_guard.model import ChainKind, ChainSpec, ChainState
from migration_guard.tree import Tree

ChainReader = Callable[[Tree, ChainSpec], ChainState]


def reader_for(kind: ChainKind) -> ChainReader:
    # Imported lazily: a command touching only sqitch chains never loads the Alembic reader.
    if kind is ChainKind.ALEMBIC:
        from migration_guard.chains import alembic

        return alembic.read_chain
    from migration_guard.chains import sqitch

    return sqitch.read_chain


def read_chain(tree: Tree, spec: ChainSpec) -> ChainState:
    return reader_for(spec.kind)(tree, spec)
