"""Encrypting a clinic's SQLite database with SQLCipher: an encrypted copy (`tpi-notes encrypt`), or the new
clinic itself at first-run setup. The key handling is db/encryption.py's.

Both write the encrypted file whole beside its target (``.NAME.partial``, owner-only), check it with the key
(``PRAGMA integrity_check``) and only then rename it into place, so a failure leaves the target as it was.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tpi_notes import open_databases
from tpi_notes.atomic_output import open_partial, place
from tpi_notes.db import encryption
from tpi_notes.db.encryption import (  # noqa: F401 - the widgets' names for the key's handling
    DATABASE_ERRORS,
    MIN_PASSPHRASE,
    DatabaseKeyNeeded,
    DatabaseKeyWrong,
    keyring_usable,
    passphrase_problem,
    store_in_keyring,
    use_passphrase,
)
from tpi_notes.db.engine import make_engine, make_session_factory
from tpi_notes.db.repositories import audit
from tpi_notes.domain.errors import DatabaseDamagedError, TpiError
from tpi_notes.domain.numbers import plural
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext
from tpi_notes.services.database_health import require_undamaged


def available() -> bool:
    """Whether this installation can encrypt (SQLCipher is installed)."""
    return encryption.available()


def can_encrypt_new(ctx: AppContext) -> bool:
    """Whether first-run setup may offer to encrypt this clinic: SQLCipher installed, an SQLite file, not yet
    encrypted."""
    path = ctx.database_path
    return available() and path is not None and not encryption.known_encrypted(path)


def remember_in_keyring(ctx: AppContext, passphrase: str) -> bool:
    """Keep the passphrase of this clinic's file in the OS keyring; False where there is no keyring."""
    path = ctx.database_path
    return path is not None and store_in_keyring(path, passphrase)


class EncryptionError(TpiError):
    """The encrypted copy could not be made; nothing was written."""


@dataclass(frozen=True)
class EncryptResult:
    path: Path
    patients: int
    sessions: int

    @property
    def summary(self) -> str:
        return (f"Wrote an encrypted copy of the clinic ({self.patients:,} patient{'s' if self.patients != 1 else ''}, "
                f"{self.sessions:,} session{'s' if self.sessions != 1 else ''}) to {self.path}; it opens only with "
                "the same key.")


def _plain_source(ctx: AppContext) -> Path:
    source = ctx.database_path
    if source is None:
        raise EncryptionError("This clinic's database is on a database server (PostgreSQL): encrypt it there "
                              "(the server's own storage encryption), not with tpi-notes.")
    if encryption.key_of(source) is not None:
        raise EncryptionError(f"{source} is already encrypted.")
    if not encryption.available():
        raise EncryptionError("SQLCipher support is not installed (pip install sqlcipher3).")
    return source


def _write_encrypted(ctx: AppContext, source: Path, target: Path, key: str) -> tuple[int, int]:
    """The encrypted copy of ``source`` at ``target`` (placed whole); returns (patients, sessions).

    Every sqlite3 connection of this process to ``source`` is closed first (the engine's pool is disposed; the
    next action opens new ones): SQLCipher is another SQLite library, whose close would drop their locks."""
    try:
        fd, partial = open_partial(target)  # owner-only
    except OSError as exc:
        raise EncryptionError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    os.close(fd)
    ctx.engine.dispose()
    try:
        try:
            encryption.export_encrypted(source, partial, key)
            conn = encryption.connect(str(partial), key)
            try:
                result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
                counts = (conn.execute("SELECT count(*) FROM patient").fetchone()[0],
                          conn.execute("SELECT count(*) FROM procedure_session").fetchone()[0])
            finally:
                conn.close()
        except (sqlite3.Error, *DATABASE_ERRORS) as exc:
            raise EncryptionError(f"The encrypted copy could not be made ({exc}); nothing was written.") from None
        if result != ["ok"]:
            raise EncryptionError(f"The encrypted copy failed its integrity check ({'; '.join(result[:3])}); "
                                  "nothing was written.")
        place(partial, target)
    except OSError as exc:
        raise EncryptionError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return counts


def encrypt_copy(ctx: AppContext, out: Path, key: str) -> EncryptResult:
    """`tpi-notes encrypt`: an encrypted copy of the (plain) clinic at ``out``, made like a backup (the same
    permission, the same refusal of a damaged file), with an audit event "backup" in the clinic."""
    ctx.require(Permission.BACKUP)
    source = _plain_source(ctx)
    target = Path(out).expanduser()
    if target.is_dir():
        raise EncryptionError(f"Cannot write {target}: it is a folder.")
    if target.exists():
        raise EncryptionError(f"{target} already exists; choose a new file for the encrypted copy.")
    open_databases.refuse_as_target(target)
    try:
        require_undamaged(ctx, "nothing was written: an encrypted copy of a damaged file would pass for a good one")
    except DatabaseDamagedError as exc:
        raise EncryptionError(str(exc)) from None
    patients, sessions = _write_encrypted(ctx, source, target, key)
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="backup", entity="clinic",
                     detail=f"encrypted copy of the database written to {target} ({plural(patients, 'patient')}, "
                            f"{plural(sessions, 'session')})")
    return EncryptResult(target, patients, sessions)


def encrypt_new_clinic(ctx: AppContext, passphrase: str) -> None:
    """First-run setup: the new clinic's own file replaced by its encrypted copy, before anyone enters patient
    data, and ``ctx`` reopened on it with ``passphrase`` (kept for this run). Only a clinic without users."""
    from tpi_notes.services import login

    if not login.needs_setup(ctx):
        raise EncryptionError("Only a new clinic is encrypted in place; make an encrypted copy with "
                              "`tpi-notes encrypt --db DB -o OUT` and use that file instead.")
    source = _plain_source(ctx)
    _write_encrypted(ctx, source, source, passphrase)  # the pool is disposed: the plain file is closed
    for side in ("-wal", "-shm", "-journal"):  # the plain file's, left by a connection of another program
        Path(f"{source}{side}").unlink(missing_ok=True)
    encryption.use_passphrase(passphrase)
    ctx.engine = make_engine(ctx.url)
    ctx.factory = make_session_factory(ctx.engine)
