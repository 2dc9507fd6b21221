"""SQLite files encrypted at rest with SQLCipher (the ``sqlcipher3`` package, SQLCipher 4), and where the key
comes from.

An encrypted file is random bytes from its first page on: plain SQLite says "file is not a database", exactly as
for a file that is not a database at all. So a file is taken as encrypted only when plain SQLite refuses it AND
SQLCipher opens it with the key; without a key it is reported as "encrypted, or not a database" and left as it is.

The key, first found wins: the passphrase typed at start-up (``use_passphrase``, ui/unlock_dialog.py), the
environment variable ``TPI_NOTES_DB_KEY`` (the command line, tests), the operating system's keyring (the
``keyring`` library, service ``tpi-notes``, user name the file's full path; skipped where no backend exists).
The passphrase goes to SQLCipher as such (``PRAGMA key``): SQLCipher derives the page key with PBKDF2-HMAC-SHA512
and a random salt kept in the file, so the same passphrase opens every copy and backup of the file.

Plain files are read with the standard ``sqlite3`` module and encrypted ones with ``sqlcipher3`` only: the two are
separate SQLite libraries, each with its own table of POSIX locks, and closing one library's descriptor of a file
drops the other's locks on it (db/engine.py). No file is ever opened by both in one process, except by
``export_encrypted``, whose caller closes every plain connection to the source first.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from tpi_notes.domain.errors import DatabaseOpenError

ENV_KEY = "TPI_NOTES_DB_KEY"
KEYRING_SERVICE = "tpi-notes"
MIN_PASSPHRASE = 12  # the same floor as account passwords; a stolen laptop gives an attacker all the time he wants

try:
    import sqlcipher3 as _sqlcipher
except ImportError:  # pragma: no cover - the wheel is a dependency; a platform without one reads plain files only
    _sqlcipher = None

DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError,) + (
    (_sqlcipher.DatabaseError,) if _sqlcipher is not None else ())


class DatabaseKeyNeeded(DatabaseOpenError):
    """The file is not plain SQLite and may be an encrypted database, but no key was given."""


class DatabaseKeyWrong(DatabaseOpenError):
    """A key was given, but the file does not open with it (a wrong key, or not a database at all)."""


_lock = threading.Lock()
_passphrase: str | None = None
# (resolved path, size, mtime_ns, key) of files known to open with key: each check costs SQLCipher's PBKDF2
_opened: set[tuple[str, int, int, str]] = set()
# Files this process found encrypted: never probed with plain sqlite3 again (its descriptor's close would drop the
# locks an SQLCipher engine of this process holds on them).
_encrypted: set[str] = set()


def available() -> bool:
    """Whether SQLCipher is installed (the ``sqlcipher3`` wheel)."""
    return _sqlcipher is not None


def use_passphrase(passphrase: str | None) -> None:
    """The passphrase typed in this run (the start-up dialog, first-run setup); None forgets it."""
    global _passphrase
    with _lock:
        _passphrase = passphrase or None


def given_key(path: Path | None = None) -> str | None:
    """The key to try: the passphrase typed in this run, else ``TPI_NOTES_DB_KEY``, else the keyring's entry
    for ``path``; None when there is none."""
    with _lock:
        if _passphrase:
            return _passphrase
    env = os.environ.get(ENV_KEY)
    if env:
        return env
    return keyring_key(path) if path is not None else None


def keyring_key(path: Path) -> str | None:
    """The passphrase kept in the OS keyring for ``path``; None without a keyring backend or an entry."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, str(Path(path).resolve())) or None
    except Exception:  # noqa: BLE001 - no backend (a server, a container) or a locked one: simply no key
        return None


def store_in_keyring(path: Path, passphrase: str) -> bool:
    """Keep ``passphrase`` in the OS keyring for ``path``; False where no keyring backend can hold it."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, str(Path(path).resolve()), passphrase)
        return True
    except Exception:  # noqa: BLE001 - no usable backend
        return False


def keyring_usable() -> bool:
    """Whether this machine has a keyring backend that can store a secret (not the 'fail' or 'null' one)."""
    try:
        import keyring

        return keyring.get_keyring().priority > 0
    except Exception:  # noqa: BLE001
        return False


def passphrase_problem(passphrase: str, repeat: str) -> str | None:
    """Why a new database passphrase cannot be used (one line), or None."""
    if len(passphrase) < MIN_PASSPHRASE:
        return f"The passphrase must be at least {MIN_PASSPHRASE} characters long."
    if passphrase != repeat:
        return "The two passphrases differ."
    if passphrase != passphrase.strip():
        return "The passphrase must not begin or end with a space."
    return None


def _quoted(key: str) -> str:
    return "'" + key.replace("'", "''") + "'"


def connect(target: str, key: str, *, uri: bool = False, check: bool = True) -> Any:
    """An SQLCipher connection to ``target`` (a path, or a ``file:`` URI with ``uri``) keyed with ``key``;
    with ``check``, DatabaseError at once when the key does not open it (SQLCipher reads nothing before)."""
    if _sqlcipher is None:
        raise DatabaseOpenError("This database is encrypted, and SQLCipher support is not installed "
                                "(pip install sqlcipher3).")
    conn = _sqlcipher.connect(target, uri=uri)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our one-line message, not SQLCipher's log
        conn.execute(f"PRAGMA key = {_quoted(key)}")
        if check:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _plain_sqlite_refuses(path: Path) -> bool:
    """Whether plain SQLite says the file is not a database (read ``immutable``: no lock, no side file)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_NOTADB
    finally:
        conn.close()
    return False


def may_be_encrypted(path: Path) -> bool:
    """A file plain SQLite refuses that could be SQLCipher's: whole pages (every SQLCipher page size is a
    multiple of 512), starting with what looks like its random salt (not SQLite's own header, not zeros).
    The first bytes are looked at only when no engine of this process has the file open (open_databases.py)."""
    from tpi_notes import open_databases

    size = path.stat().st_size
    if size < 1024 or size % 512:
        return False
    if open_databases.database_file_at(path) is not None:
        return True
    with path.open("rb") as fh:
        salt = fh.read(16)
    # 16 random bytes almost surely hold 8 or more distinct values; a zero-filled or text file does not look so
    return not salt.startswith(b"SQLite format 3") and len(set(salt)) >= 8


def key_of(path: Path | None) -> str | None:
    """The key ``path`` opens with when it is an SQLCipher database; None for a plain SQLite file, a missing or
    empty one, or a non-file database. DatabaseKeyNeeded / DatabaseKeyWrong when it is not plain SQLite and may
    be encrypted; DatabaseOpenError when it cannot be a database. Nothing is written."""
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return None
    if not known_encrypted(path):
        if not _plain_sqlite_refuses(path):
            return None
        if not may_be_encrypted(path):
            raise DatabaseOpenError(f"{path} is not a tpi-notes database (it is not an SQLite file).")
    key = given_key(path)
    if key is None:
        raise DatabaseKeyNeeded(f"{path} is encrypted (or is not a database at all); set {ENV_KEY} or enter the "
                                "passphrase; nothing was changed.")
    stat = path.stat()
    seen = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, key)
    with _lock:
        if seen in _opened:
            return key
    try:
        conn = connect(f"{path.resolve().as_uri()}?immutable=1", key, uri=True)
    except DATABASE_ERRORS:
        raise DatabaseKeyWrong(f"{path} does not open with the key given (the passphrase, {ENV_KEY} or the "
                               "keyring): a wrong key, or not a tpi-notes database; nothing was changed.") from None
    conn.close()
    with _lock:
        _opened.add(seen)
        _encrypted.add(seen[0])
    return key


def known_encrypted(path: Path) -> bool:
    """Whether this process already opened ``path`` as an encrypted database."""
    with _lock:
        return str(path.resolve()) in _encrypted


def sqlalchemy_url(path: Path, key: str | None) -> Any:
    """The SQLAlchemy URL of the file ``path``: SQLCipher's dialect (``sqlite+pysqlcipher``, which sends
    ``PRAGMA key`` first on every connection) when ``key`` is given, plain SQLite otherwise."""
    from sqlalchemy.engine import URL

    if key is None:
        return URL.create("sqlite", database=str(path))
    return URL.create("sqlite+pysqlcipher", password=key, database=str(path))


def connect_file(path: Path, *, query: str | None = None, key: str | None = None) -> Any:
    """A connection to ``path`` through the right library: ``sqlite3`` for a plain file, SQLCipher with its key
    for an encrypted one (``key`` given, or found by ``key_of``). ``query`` (``mode=ro``, ``immutable=1``) opens
    it as a URI."""
    key = key if key is not None else key_of(path)
    target = f"{path.resolve().as_uri()}?{query}" if query else str(path)
    if key is None:
        return sqlite3.connect(target, uri=bool(query))
    return connect(target, key, uri=bool(query))


def export_encrypted(source: Path, target: Path, key: str) -> None:
    """Write the plain database ``source`` into the new, empty file ``target`` encrypted with ``key``
    (``sqlcipher_export``: schema, rows, triggers and user_version). The caller has closed every ``sqlite3``
    connection of this process to ``source`` (see the module's docstring)."""
    if _sqlcipher is None:
        raise DatabaseOpenError("SQLCipher support is not installed (pip install sqlcipher3).")
    conn = _sqlcipher.connect(str(source))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"ATTACH DATABASE {_quoted(str(target))} AS encrypted KEY {_quoted(key)}")
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
