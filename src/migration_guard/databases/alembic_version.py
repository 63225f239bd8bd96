"""Which Alembic revisions a database has applied (its ``alembic_version`` rows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from migration_guard.errors import DatabaseError, UsageError


def deployed_versions(url: str, *, table: str = "alembic_version") -> frozenset[str]:
    """The ``version_num`` rows of ``url``'s version table; empty when it has none yet.

    A database that cannot be reached is a ``DatabaseError`` (exit 3): never "not deployed".
    """
    from migration_guard.databases.targets import (
        GATE_EXTRA_HINT,
        mask_url,
        normalize_url,
        with_driver,
    )

    try:
        import sqlalchemy
    except ImportError:
        raise UsageError(
            "checking an Alembic database needs SQLAlchemy", hint=GATE_EXTRA_HINT
        ) from None
    try:
        engine = sqlalchemy.create_engine(with_driver(normalize_url(url, "--target")))
    except (ImportError, ValueError, sqlalchemy.exc.ArgumentError) as exc:
        raise UsageError(f"cannot use {mask_url(url)}: {exc}", hint=GATE_EXTRA_HINT) from None
    try:
        with engine.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table(table):
                return frozenset()
            rows = connection.execute(sqlalchemy.text(f"SELECT version_num FROM {table}"))
            return frozenset(str(row[0]) for row in rows)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot read {table} of {mask_url(url)}: {first}") from None
    finally:
        engine.dispose()


def applied(versions: Iterable[str], parents: Mapping[str, tuple[str, ...]]) -> set[str]:
    """Every revision a database at ``versions`` has applied: them and all their ancestors."""
    seen: set[str] = set()
    todo = list(versions)
    while todo:
        revision = todo.pop()
        if revision in seen:
            continue
        seen.add(revision)
        todo.extend(parents.get(revision, ()))
    return seen
