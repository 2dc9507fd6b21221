"""The engine: where the database is, and the settings every SQLite or PostgreSQL connection gets."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from tpi_notes import clinic_location, open_databases
from tpi_notes.atomic_output import create_private_file, tighten
from tpi_notes.db import encryption, sqlite_transactions
from tpi_notes.db.url_check import database_url_problem
from tpi_notes.domain.errors import DatabaseOpenError
from tpi_notes.paths import default_database_path

SQLITE_MAGIC = b"SQLite format 3\x00"
ENV_VAR = "TPI_NOTES_DB"


def resolve_database_url(db: str | None) -> str:
    """``--db`` (a path or an SQLAlchemy URL), else ``TPI_NOTES_DB``, else the per-user default file."""
    chosen = db or os.environ.get(ENV_VAR)
    if not chosen:
        path = default_database_path()  # the clinic chosen for this computer (tpi_notes/clinic_location.py)
        _refuse_network_file(path)
        clinic_location.prepare_folder(path.parent)  # 0700 of one user's own, 2770 the machine-wide one
        return f"sqlite:///{path}"
    problem = database_url_problem(chosen)
    if problem:
        raise DatabaseOpenError(problem)
    if "://" in chosen:
        return chosen
    return f"sqlite:///{Path(chosen).expanduser().resolve()}"


def _refuse_network_file(path: Path) -> None:
    """An SQLite file on NFS, SMB/CIFS or another network file system: refused before anything opens it."""
    problem = clinic_location.network_problem(path)
    if problem:
        raise DatabaseOpenError(problem)


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for other databases and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


SQLITE_MIN_PAGE = 512  # no SQLite database file is shorter than its smallest page


def check_sqlite_file(path: Path) -> None:
    """Refuse, without touching it, a path whose folder is missing or a file that is not SQLite.

    The header is read through SQLite itself, never with open(): SQLite's locks are POSIX locks, which belong to
    the process, so closing ANY descriptor of the file drops every lock an engine of this process holds on it
    (a second engine on the same file, for a backup, a verify or an export, used to do exactly that here), and
    another process may then checkpoint and delete the -wal that engine is still writing to. SQLite keeps one
    record per file (device and inode) for all its connections in a process and holds back the close of a
    descriptor while any of them has a lock on that file, so its reads are safe whoever else has the file open
    (engines, backups, sqlite3 connections), with no registry of ours to keep in step with their lifetimes."""
    if not path.parent.is_dir():
        raise DatabaseOpenError(f"The folder {path.parent} does not exist; create it or choose another --db.")
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a folder, not a database file.")
    size = path.stat().st_size if path.exists() else 0
    if 0 < size < SQLITE_MIN_PAGE:  # SQLite itself reads such a file as an empty database and would write into it
        raise DatabaseOpenError(f"{path} is not a tpi-notes database (it is not an SQLite file).")
    if size > 0:
        _check_sqlite_header(path)


def _check_sqlite_header(path: Path) -> None:
    """SQLite reads page 1 (``immutable``: no lock taken, no -wal, -shm or -journal made) and says whether it
    starts with its magic string and a sane header (SQLITE_NOTADB when not). A file that is SQLite but damaged
    further on passes here; opening it (db/database_file.py, ``quick_check``) says what is wrong."""
    if not os.access(path, os.R_OK):
        raise DatabaseOpenError(f"Cannot read {path}: {os.strerror(errno.EACCES)}.")
    if encryption.known_encrypted(path):  # never through sqlite3 again: its close would drop SQLCipher's locks
        encryption.key_of(path)
        return
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?immutable=1", uri=True)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_NOTADB and encryption.key_of(path) is not None:
            return  # an SQLCipher database that opens with the key given (else key_of said why not)
        if code == sqlite3.SQLITE_NOTADB:
            raise DatabaseOpenError(f"{path} is not a tpi-notes database (it is not an SQLite file).") from None
        if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
            raise DatabaseOpenError(f"Cannot read {path}: {exc}.") from None
    finally:
        conn.close()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI connection
    cursor = dbapi_connection.cursor()
    # Enforce the foreign keys the schema declares (SQLite leaves them off by default).
    cursor.execute("PRAGMA foreign_keys=ON")
    # Write-ahead logging: readers never block the writer, and a crash leaves the last commit intact.
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed save survives a power cut too, not only a crash of the app.
    cursor.execute("PRAGMA synchronous=FULL")
    # Two workstations on one file wait up to 5 s for each other's writes instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _postgres_session(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI connection
    # CURRENT_TIMESTAMP (created_at, updated_at) is stored in the session's time zone; UTC, as SQLite stores it,
    # so that workstations with different time zones (PGTZ, the server's default) write comparable times.
    # Outside a transaction: a SET inside one would be undone when the pool rolls the connection back.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def make_engine(url: str) -> Engine:
    """Build (never at import time) an engine for ``url``, with the SQLite or PostgreSQL settings applied."""
    path = sqlite_path(url)
    key = None
    if path is not None:
        check_sqlite_file(path)
        key = encryption.key_of(path)
        _owner_only_database(path)
        open_databases.note(path)  # so that file dialogs never open it behind SQLite's back
    try:
        if key is not None:  # SQLCipher (PRAGMA key first, on every connection), pooled as plain files are
            engine = create_engine(encryption.sqlalchemy_url(path, key), poolclass=QueuePool)
        else:
            engine = create_engine(url)
    except ImportError as exc:  # the URL's driver is not installed (psycopg for postgresql+psycopg://)
        extra = ("; PostgreSQL is used through postgresql+psycopg://… with psycopg installed "
                 "(pip install 'tpi-notes[postgres]')" if make_url(url).get_backend_name() == "postgresql" else "")
        raise DatabaseOpenError(f"The database driver for this URL is not installed ({exc.name}){extra}.") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        sqlite_transactions.install(engine)  # BEGIN IMMEDIATE for writes, so appends and saves serialise
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_session)
    return engine


def _owner_only_database(path: Path) -> None:
    """A new database file is created 0600 before SQLite creates it (SQLite gives its -wal, -shm and -journal
    the file's mode); an existing one of ours that others may read is made owner-only, with a warning."""
    if create_private_file(path):
        return
    loosened = [side for side in ("", "-wal", "-shm", "-journal") if tighten(f"{path}{side}")]
    if loosened:
        logging.getLogger("tpi_notes").warning(
            "tpi-notes: %s was readable by other users of this computer; it is now readable by its owner only.",
            path)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects stay readable after commit while they are mapped to plain data.
    return sessionmaker(engine, expire_on_commit=False)
