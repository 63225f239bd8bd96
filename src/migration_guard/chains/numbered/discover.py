"""Which preset a folder is, from its files' shapes (for repositories without a configuration).

``V<digits>...__*.sql`` files: flyway; ``*.up.sql`` files: golang-migrate; numbered ``.sql``
files with ``-- +goose Up``: goose, with ``-- migrate:up``: dbmate (a file or two are read).
The generic ``numbered`` kind is never discovered: it is configured with a pattern.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from migration_guard.chains.numbered import bodies
from migration_guard.model import ChainKind
from migration_guard.tree import SCRIPT_LIMIT, Refusal, Tree

_FLYWAY = re.compile(r"V[0-9]+(?:[._][0-9]+)*__.+\.sql")
_GOLANG = re.compile(r"[0-9]+_.*\.up\.sql")
_NUMBERED_SQL = re.compile(r"[0-9]+.*\.sql")
_READ_AT_MOST = 2


def shape_of(tree: Tree, folder: str, files: Iterable[str]) -> ChainKind | None:
    names = sorted(files)
    if any(_FLYWAY.fullmatch(n) for n in names):
        return ChainKind.FLYWAY
    if any(_GOLANG.fullmatch(n) for n in names):
        return ChainKind.GOLANG_MIGRATE
    candidates = [n for n in names if _NUMBERED_SQL.fullmatch(n)][-_READ_AT_MOST:]
    if not candidates:
        return None
    paths = [posixpath.join(folder, n) for n in candidates]
    refused: dict[str, Refusal] = {}
    texts = tree.read_many(paths, limit=SCRIPT_LIMIT, refused=refused)
    for path in paths:
        text = texts.get(path, b"").decode("utf-8", "replace")
        if bodies.has_goose_marker(text):
            return ChainKind.GOOSE
        if bodies.has_dbmate_marker(text):
            return ChainKind.DBMATE
    return None
