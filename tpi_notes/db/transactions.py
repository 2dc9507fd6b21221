"""How one user action's transaction begins on each database, and how a lost race reaches the user.

- A **write** (``ctx.transaction()``): on SQLite ``BEGIN IMMEDIATE`` (db/sqlite_transactions.py), so writers
  take turns from their first read; on PostgreSQL READ COMMITTED, where audit appends wait on an advisory lock
  (repositories/audit.py) and a save locks the row it checks the version of (repositories/locks.py).
- A **read** (``ctx.read()``): one consistent snapshot that never holds the write lock: a deferred ``BEGIN`` on
  SQLite, REPEATABLE READ READ ONLY on PostgreSQL (several SELECTs of one session never see half of a save).

Whatever slips through anyway (the ORM's row-version check, a deadlock, a lock wait that ran out) is raised as
the user's error, never as the driver's: :func:`plain_refusals`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from tpi_notes.db import sqlite_transactions
from tpi_notes.domain.errors import ConcurrentEditError, DatabaseBusyError

SAVED_ELSEWHERE = ("Another workstation saved this first; nothing here was saved. Reload to see its version, "
                   "then make your change again.")
BUSY = ("The database stayed busy with another workstation's work for too long; nothing was saved. "
        "Try again in a moment.")
# PostgreSQL's SQLSTATEs for "someone else got there first" and "waited too long / deadlocked".
_PG_LOST_RACE = {"23505", "40001"}  # unique_violation, serialization_failure
_PG_BUSY = {"40P01", "55P03", "57014"}  # deadlock_detected, lock_not_available, query_canceled (timeouts)
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def options(dialect: str, *, write: bool) -> dict[str, Any]:
    """The execution options a transaction of this kind begins with on ``dialect``."""
    if dialect == "sqlite":
        return dict(sqlite_transactions.WRITE if write else sqlite_transactions.READ)
    if dialect == "postgresql" and not write:
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    return {}


@contextmanager
def plain_refusals() -> Iterator[None]:
    """Turn a lost race into ConcurrentEditError and a lock wait that ran out into DatabaseBusyError."""
    try:
        yield
    except StaleDataError:  # an UPDATE … WHERE row_version = … that found the row saved by someone else
        raise ConcurrentEditError(SAVED_ELSEWHERE) from None
    except DBAPIError as exc:
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in _PG_LOST_RACE:
            raise ConcurrentEditError(SAVED_ELSEWHERE) from None
        if code in _PG_BUSY or any(words in str(exc.orig).lower() for words in _SQLITE_BUSY):
            raise DatabaseBusyError(BUSY) from None
        raise
