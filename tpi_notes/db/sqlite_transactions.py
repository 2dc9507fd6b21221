"""SQLite transactions that begin when SQLAlchemy begins them, and writes that take the write lock at BEGIN.

Python's sqlite3 driver, left to itself, sends BEGIN only before the first INSERT, UPDATE or DELETE: the SELECTs
before it (the audit chain's newest hash, a session's row version) run outside any transaction. Two workstations
then both read the same chain head before either writes, and fork the chain; a save checks a version that
another one changes before its UPDATE. So the driver's own transaction handling is switched off on connect
and the BEGIN is sent here, when SQLAlchemy begins (SQLAlchemy's documented pysqlite recipe):

- ``BEGIN IMMEDIATE`` for a connection marked with :data:`WRITE` (``ctx.transaction()``, every write and every
  audit append): the write lock is taken before the first read, waiting up to the busy timeout for another
  writer; whatever the transaction reads, no one else changes until it commits.
- ``BEGIN`` (deferred) for everything else: reads in one consistent snapshot that never blocks a writer
  (WAL), and Alembic's migrations in a real transaction.

A PRAGMA that must run outside a transaction (``foreign_keys``) goes through :func:`outside_transaction`.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError

# Execution option naming how SQLite should begin a connection's transaction: "IMMEDIATE" or "DEFERRED".
BEGIN = "tpi_sqlite_begin"
WRITE = {BEGIN: "IMMEDIATE"}
# How many busy timeouts (PRAGMA busy_timeout, engine.py) a BEGIN IMMEDIATE waits at most, in rounds of ROUND_MS.
IMMEDIATE_ROUNDS = 3
ROUND_MS = 50
READ = {BEGIN: "DEFERRED"}


def install(engine: Engine) -> None:
    """Take transaction control over from the driver on every connection of ``engine`` (an SQLite engine)."""
    event.listen(engine, "connect", _driver_leaves_transactions_alone)
    event.listen(engine, "begin", _begin)


def _driver_leaves_transactions_alone(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI connection
    # None: the driver sends no BEGIN of its own (and never commits behind SQLAlchemy's back).
    dbapi_connection.isolation_level = None


def _begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(BEGIN, "DEFERRED")
    if mode == "DEFERRED":
        conn.exec_driver_sql("BEGIN DEFERRED")
        return
    if mode != "IMMEDIATE":
        raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
    # SQLite's busy handler polls, it does not queue, and it polls ever less often (every 100 ms after the first
    # quarter second) while a writer that just arrived polls every few ms: under a storm of saves the one that
    # has waited longest keeps losing the lock to newcomers. So BEGIN IMMEDIATE is tried in short rounds that
    # each poll quickly again, for up to IMMEDIATE_ROUNDS busy timeouts in all; then the caller hears "busy"
    # (db/transactions.py turns the refusal into DatabaseBusyError). Nothing has been done yet at BEGIN.
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    timeout_ms = dbapi.execute("PRAGMA busy_timeout").fetchone()[0]
    deadline = time.monotonic() + IMMEDIATE_ROUNDS * timeout_ms / 1000
    dbapi.execute(f"PRAGMA busy_timeout={min(timeout_ms, ROUND_MS)}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig) or time.monotonic() >= deadline:
                    raise
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={timeout_ms}")


def outside_transaction(conn: Connection, sql: str) -> None:
    """Run ``sql`` (a PRAGMA SQLite ignores inside a transaction) on ``conn`` before it begins one."""
    if conn.in_transaction():
        raise RuntimeError(f"{sql!r} must run before the connection begins a transaction")
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    dbapi.execute(sql)
