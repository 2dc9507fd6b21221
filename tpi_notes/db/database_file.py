"""What is behind ``--db``, found out without changing it, before any engine opens the file.

An engine switches every file it connects to into WAL mode (db/engine.py), so a file must be known to be
a tpi-notes database (or a new one) before the engine sees it: a refused file keeps its bytes, its
modification time and its folder (no -wal, -shm or -journal left beside it).

The file is read through SQLite itself, never parsed here: SQLite knows a truncated file (its header
counts more pages than the file holds) and a file that is not a database. Opening read-only is not enough
on its own: a read-only connection to a WAL-mode file creates its -wal and -shm and cannot remove them.
So a file with no -wal and no -journal beside it (nothing but the file itself to read) is opened
``immutable`` (no locks, no side files); otherwise it is in use, or was left by a crash, and is opened
``mode=ro`` like any other reader, reading its WAL too.

An SQLCipher file is read the same way, through SQLCipher with its key (db/encryption.py): with the key it
passes like any other; without it, or with a wrong one, it is refused in one line and left as it is.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tpi_notes.db import encryption
from tpi_notes.db.encryption import DATABASE_ERRORS
from tpi_notes.db.engine import check_sqlite_file
from tpi_notes.domain.errors import DatabaseDamagedError, DatabaseOpenError

SIDE_FILES = ("-wal", "-journal")


@dataclass(frozen=True)
class DatabaseFile:
    """A file that may be opened: a tpi-notes database at ``revision``, or a place for a new one."""

    path: Path
    revision: str | None  # the Alembic revision; None for a new file
    missing: bool = False
    empty: bool = False  # zero bytes
    no_tables: bool = False  # an SQLite file with no tables at all

    @property
    def new(self) -> bool:
        return self.missing or self.empty or self.no_tables

    def new_file_problem(self) -> str:
        """Why a command that only reads cannot use this new file (one line)."""
        if self.missing:
            return f"{self.path} does not exist; it is not a tpi-notes database."
        if self.empty:
            return f"{self.path} is empty; it is not a tpi-notes database."
        return f"{self.path} is an SQLite file with no tables; it is not a tpi-notes database."


def read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that cannot change ``path`` nor leave anything beside it (see the module's docstring);
    an SQLCipher connection, keyed, for an encrypted file."""
    in_use = any(Path(f"{path}{suffix}").exists() for suffix in SIDE_FILES)
    return encryption.connect_file(path, query="mode=ro" if in_use else "immutable=1")


def inspect_file(path: Path, *, quick_check: bool = False) -> DatabaseFile:
    """What ``path`` holds; DatabaseOpenError (nothing changed) when it is not a tpi-notes database.

    With ``quick_check``, a damaged file raises DatabaseDamagedError (SQLite's ``PRAGMA quick_check``)."""
    check_sqlite_file(path)  # the folder exists, it is not a folder, its first bytes are SQLite's
    if not path.exists():
        return DatabaseFile(path, None, missing=True)
    if path.stat().st_size == 0:
        return DatabaseFile(path, None, empty=True)
    try:
        conn = read_only_connection(path)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
            if revision is None and tables - {"alembic_version"}:
                raise DatabaseOpenError(f"{path} was not made by tpi-notes (it has other tables); it is not a "
                                        "tpi-notes database and nothing was changed.")
            problems = quick_check_problems(conn) if quick_check and revision is not None else []
        finally:
            conn.close()
    except DATABASE_ERRORS as exc:
        raise DatabaseOpenError(f"{path} cannot be read as a database ({exc}: damaged, truncated or not a "
                                "tpi-notes database); nothing was changed.") from None
    if problems:
        raise DatabaseDamagedError(str(path), problems)
    return DatabaseFile(path, revision, no_tables=revision is None)  # no tables, or only an empty alembic_version


def quick_check_problems(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA quick_check`` on an SQLite connection: its findings, one per line; [] when the file is fine.

    quick_check walks every page and b-tree (not index contents), so it finds torn, overwritten or truncated
    pages in a fraction of integrity_check's time."""
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except DATABASE_ERRORS as exc:
        return [str(exc)]
    if rows == ["ok"]:
        return []
    return [line for row in rows for line in row.splitlines() if line and not line.startswith("*** in database")]
