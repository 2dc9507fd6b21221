"""Backing up the clinic database to a file (Permission.BACKUP), from the admin screen or `tpi-notes backup`.

The copy is made with SQLite's online backup (safe while other workstations read and write), into a
temporary file beside the target; it is checked with ``PRAGMA integrity_check`` and only then renamed over
the target, so the target is written whole or not at all. The copy is a single self-contained file
(rollback journal, no -wal beside it) that opens as a clinic. A PostgreSQL clinic is backed up with pg_dump.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tpi_notes.db.migrate import backup_sqlite
from tpi_notes.db.repositories import audit
from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext


class BackupError(TpiError):
    """The backup could not be made; the target was left as it was."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    patients: int
    sessions: int
    seconds: float

    @property
    def summary(self) -> str:
        return (f"Backed up {self.patients:,} patient{'s' if self.patients != 1 else ''} and {self.sessions:,} "
                f"session{'s' if self.sessions != 1 else ''} to {self.path} ({_size(self.size_bytes)}, "
                f"integrity check passed).")


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(n // 1024, 1):,} kB"


def default_backup_name(day: object) -> str:
    """``tpi-notes-backup-YYYY-MM-DD.sqlite`` for ``day`` (a date)."""
    return f"tpi-notes-backup-{day}.sqlite"


def _check_target(target: Path, source: Path) -> None:
    if target.is_dir():
        raise BackupError(f"Cannot write {target}: it is a folder.")
    if not target.parent.is_dir():
        raise BackupError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    if not os.access(target.parent, os.W_OK):
        raise BackupError(f"Cannot write {target}: the folder {target.parent} is not writable.")
    resolved, own = target.resolve(), source.resolve()
    if resolved == own or (resolved.parent == own.parent
                           and resolved.name in {f"{own.name}-wal", f"{own.name}-shm", f"{own.name}-journal"}):
        raise BackupError("The backup cannot replace the clinic's own database file; choose another file name.")


def _check_copy(path: Path) -> tuple[int, int]:
    """Make the copy one self-contained file and check it; returns (patients, sessions)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError(f"The copy failed its integrity check ({'; '.join(map(str, result[:3]))}); "
                              "nothing was written.")
        patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
        sessions = conn.execute("SELECT count(*) FROM procedure_session").fetchone()[0]
        return patients, sessions
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The copy cannot be read back ({exc}); nothing was written.") from None
    finally:
        conn.close()


def backup_to(ctx: AppContext, path: Path) -> BackupResult:
    """Copy the clinic's SQLite database to ``path`` (replacing it), checked; an audit event "backup"."""
    ctx.require(Permission.BACKUP)
    source = ctx.database_path
    if source is None:
        raise BackupError("This clinic's database is on a database server (PostgreSQL): back it up there with "
                          "pg_dump, not with tpi-notes.")
    if not source.exists():
        raise BackupError(f"The database {source} does not exist; there is nothing to back up.")
    target = Path(path).expanduser()
    _check_target(target, source)
    started = time.perf_counter()
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    partial = Path(name)
    try:
        try:
            backup_sqlite(source, partial)
        except sqlite3.Error as exc:
            raise BackupError(f"The database could not be copied: {exc}; nothing was written.") from None
        patients, sessions = _check_copy(partial)
        os.replace(partial, target)
    except OSError as exc:
        raise BackupError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    result = BackupResult(target, target.stat().st_size, patients, sessions, time.perf_counter() - started)
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="backup", entity="clinic",
                     detail=f"database backed up to {target} ({result.size_bytes:,} bytes, {patients} patients, "
                            f"{sessions} sessions)")
    return result
