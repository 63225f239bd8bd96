"""How broken a chain may be once a write is done: the check ``--continue`` repeats.

A writing command validates its result before keeping it (renumber: no worse than before;
recover: settled). A run killed before that validation is finished by ``renumber --continue``
in a new process, which no longer has the chain as it was; so the bound is written to the
journal and checked again there, before the run is reported finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migration_guard.chains import registry
from migration_guard.chains.kind import Capability
from migration_guard.model import ChainState, Severity


def error_count(state: ChainState) -> int:
    return sum(1 for f in state.findings if f.severity is Severity.ERROR)


@dataclass(frozen=True)
class ChainBound:
    """At most ``errors`` error findings, and at most ``max(1, heads)`` Alembic heads unless
    each ends a labelled branch (or, with ``undecided_ok``, the heads cannot be judged)."""

    chain: str
    errors: int
    heads: int
    undecided_ok: bool = False

    @classmethod
    def no_worse_than(cls, state: ChainState) -> ChainBound:
        return cls(state.spec.name, error_count(state), len(state.heads))

    @classmethod
    def settled(cls, chain: str) -> ChainBound:
        return cls(chain, 0, 1, undecided_ok=True)

    def exceeded_by(self, state: ChainState) -> bool:
        if error_count(state) > self.errors:
            return True
        graph = Capability.HEADS in registry.kind_of(state.spec.kind).capabilities
        if not graph or len(state.heads) <= max(1, self.heads):
            return False
        return not state.branched and not (self.undecided_ok and state.undecided)

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "errors": self.errors,
            "heads": self.heads,
            "undecided_ok": self.undecided_ok,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainBound:
        return cls(
            str(data["chain"]),
            int(data["errors"]),
            int(data["heads"]),
            bool(data.get("undecided_ok", False)),
        )
