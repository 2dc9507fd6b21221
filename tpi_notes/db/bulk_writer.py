"""Many made-up rows into their tables at once: the demo builder's writer (issue 19).

SQLAlchemy Core's ``insert(table)`` with a list of dicts compiles the statement and runs every value of every row
through its bind processors in Python; at 100,000 sessions (about 1.5 million rows) that was a third of the demo's
time. On SQLite this writer compiles each (table, columns) statement once, converts only the columns whose type
needs it (dates, times, JSON, booleans) with the very processors SQLAlchemy would use, so the stored text is the
same as the ORM's and reads back the same, and hands plain tuples to the driver's ``executemany``. A JSON value
shared by many rows (a patient's signed context, the same for each of their sessions) is serialised once per
call. Other databases (PostgreSQL) get Core's ``insert`` as before.

``fast_new_file`` is for a brand-new file only (the demo refuses any other): the driver's page cache is made
large so a long transaction does not spill and rewrite index pages, and the file is not synced until the end.
The clinic's settings come back when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Table, insert
from sqlalchemy.dialects import sqlite

CACHE_KIB = 512 * 1024  # the page cache while a demo is written (the file has nothing else to share memory with)


class RowPacker:
    """Row dicts to (statement, parameter tuples) for one dialect, with no connection: the demo's worker
    processes pack their rows so the one process that writes only hands them to the driver (issue 19)."""

    def __init__(self, dialect: Any) -> None:
        self._dialect = dialect
        self._plans: dict[tuple[str, tuple[str, ...]], tuple[str, Any, list[tuple[int, Any]]]] = {}

    def pack(self, table: Table, rows: list[dict[str, Any]]) -> tuple[str, list[Any]]:
        """The INSERT statement and its parameters; ``rows`` all have the same keys (in any order)."""
        keys = tuple(rows[0])
        plan = self._plans.get((table.name, keys))
        if plan is None:
            plan = self._plans[(table.name, keys)] = self._plan(table, keys)
        sql, getter, converters = plan
        params = [getter(row) for row in rows] if len(keys) > 1 else [(getter(row),) for row in rows]
        if converters:
            params = [list(p) for p in params]
            for index, convert in converters:
                shared: dict[int, tuple[Any, Any]] = {}
                for values in params:
                    values[index] = convert(values[index], shared)
        return sql, params

    def _plan(self, table: Table, keys: tuple[str, ...]) -> tuple[str, Any, list[tuple[int, Any]]]:
        dialect = self._dialect
        missing = [c for c in table.columns if c.name not in keys and c.default is not None
                   and c.server_default is None]
        if missing:  # a Python-side default the statement would not apply: the caller must give it
            raise ValueError(f"bulk insert into {table.name}: give {', '.join(c.name for c in missing)}")
        converters = []
        for index, key in enumerate(keys):
            column_type = table.columns[key].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is None:
                continue
            if isinstance(column_type, JSON):
                converters.append((index, _shared_json(process)))
            else:
                converters.append((index, _fast(column_type.dialect_impl(dialect), process)))
        names = ", ".join(f'"{k}"' for k in keys)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in keys)})'
        return sql, itemgetter(*keys), converters


class BulkWriter:
    """Inserts lists of row dicts (all with the same keys per call) inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._fast = conn.dialect.name == "sqlite"
        self.unguarded = False  # true inside fast_new_file: no triggers refuse a row inserted already signed
        self._packer = RowPacker(conn.dialect)

    @property
    def packs(self) -> bool:
        """Whether rows may come packed (:meth:`insert_packed`): SQLite's plain-tuple path."""
        return self._fast

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self._fast:
            self._conn.execute(insert(table), rows)
            return
        self.insert_packed(*self._packer.pack(table, rows))

    def insert_packed(self, sql: str, params: list[Any]) -> None:
        """Rows a :class:`RowPacker` for this database's dialect packed (SQLite only)."""
        if not params:
            return
        cursor = self._conn.connection.dbapi_connection.cursor()  # the transaction's own connection
        try:
            cursor.executemany(sql, params)
        finally:
            cursor.close()


# SQLite's DATETIME and DATE store this text by default; for a plain value isoformat() writes the very same, in C
# (a demo packs about a million of them). Any other value, or a column with its own format, goes to SQLAlchemy.
_SQLITE_DATETIME = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
_SQLITE_DATE = "%(year)04d-%(month)02d-%(day)02d"


def _fast(impl: Any, process: Any) -> Any:
    storage = getattr(impl, "_storage_format", None)
    if isinstance(impl, sqlite.DATETIME) and storage == _SQLITE_DATETIME and not impl._reg:
        def as_datetime(value: Any, _shared: dict) -> Any:
            if type(value) is datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return None if value is None else process(value)
        return as_datetime
    if isinstance(impl, sqlite.DATE) and storage == _SQLITE_DATE and not impl._reg:
        def as_date(value: Any, _shared: dict) -> Any:
            return value.isoformat() if type(value) is date else None if value is None else process(value)
        return as_date
    if isinstance(impl, Boolean):
        def as_bool(value: Any, _shared: dict) -> Any:
            return int(value) if type(value) is bool else None if value is None else process(value)
        return as_bool
    return _plain(process)


def _plain(process: Any) -> Any:
    def convert(value: Any, _shared: dict) -> Any:
        return None if value is None else process(value)
    return convert


def _shared_json(process: Any) -> Any:
    def convert(value: Any, shared: dict[int, tuple[Any, Any]]) -> Any:
        if type(value) is dict:  # the same object in many rows (kept alive in ``shared``, so its id stays its own)
            known = shared.get(id(value))
            if known is None:
                known = shared[id(value)] = (value, process(value))
            return known[1]
        return process(value)
    return convert


@contextmanager
def fast_new_file(writer: BulkWriter, tables: list[Table]) -> Iterator[None]:
    """Inside the transaction that fills a brand-new SQLite file (the demo refuses any other): a large page cache,
    and the tables' indexes and guard triggers set aside and put back from their own stored SQL at the end, so
    rows are appended rather than threaded into half a dozen B-trees one by one, and each index is built once,
    sorted. It is one transaction: a build that fails rolls back to the schema as it was. Other databases are
    left as they are (``writer.unguarded`` stays false, so signed rows still go in as drafts first)."""
    conn = writer._conn
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = {-CACHE_KIB}")
    names = ", ".join(f"'{t.name}'" for t in tables)
    aside = conn.exec_driver_sql(f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                                 f"AND tbl_name IN ({names}) AND sql IS NOT NULL ORDER BY type, name").all()
    for kind, name, _sql in aside:
        conn.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    writer.unguarded = True
    try:
        yield
        for _kind, _name, sql in aside:
            conn.exec_driver_sql(sql)
    finally:
        writer.unguarded = False
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
