"""Backing up the clinic database to a file (Permission.BACKUP), from the admin screen or `tpi-notes backup`.

The copy is made with SQLite's online backup (safe while other workstations read and write), into a
temporary file beside the target; it is checked with ``PRAGMA integrity_check`` and only then renamed over
the target, so the target is written whole or not at all. The copy is a single self-contained file
(rollback journal, no -wal beside it) that opens as a clinic. A PostgreSQL clinic is backed up with pg_dump.

Beside the copy goes ``<backup>.anchor.json`` (0600): the head of the copy's audit chain (docs/audit-anchor.md).
Every backup then also anchors the trail as it was: someone who later deletes the newest audit events from
the live file, or rewrites the trail and recomputes its hashes, must also find and edit every copy and
every anchor, or `tpi-notes verify --anchor` shows it.

The copy of an encrypted (SQLCipher) clinic is encrypted with the same key, and every file is owner-only (0600).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from tpi_notes.atomic_output import open_partial, place
from tpi_notes.db import encryption
from tpi_notes.db.encryption import DATABASE_ERRORS
from tpi_notes.db.migrate import backup_sqlite
from tpi_notes.db.repositories import audit
from tpi_notes.domain.audit_anchor import partial_anchor_file
from tpi_notes.domain.errors import DatabaseDamagedError, TpiError
from tpi_notes.domain.numbers import plural
from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext
from tpi_notes.services.database_health import require_undamaged
from tpi_notes.services.integrity import anchor_of_copy


class BackupError(TpiError):
    """The backup could not be made; the target was left as it was."""


# A damaged file is not copied: a copy would pass for a good backup, and replace the last good one of that name.
NOT_COPIED = ("nothing was written: a copy of a damaged file would pass for a good backup (to salvage what can be "
              "read, copy the file by hand while the app is closed)")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    patients: int
    sessions: int
    seconds: float
    anchor: Path | None = None  # <backup>.anchor.json, the head of the copy's audit chain (None: empty trail)

    @property
    def summary(self) -> str:
        return (f"Backed up {self.patients:,} patient{'s' if self.patients != 1 else ''} and {self.sessions:,} "
                f"session{'s' if self.sessions != 1 else ''} to {self.path} ({_size(self.size_bytes)}, "
                f"integrity check passed)." + (f" Audit chain anchor: {self.anchor}." if self.anchor else ""))


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(n // 1024, 1):,} kB"


def anchor_path(backup: Path) -> Path:
    """Where the anchor of ``backup`` goes: ``<backup>.anchor.json`` beside it."""
    return backup.with_name(backup.name + ".anchor.json")


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
    conn = encryption.connect_file(path)  # a copy of an encrypted clinic is encrypted with the same key
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError(f"The copy failed its integrity check ({'; '.join(map(str, result[:3]))}); "
                              "nothing was written.")
        patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
        sessions = conn.execute("SELECT count(*) FROM procedure_session").fetchone()[0]
        return patients, sessions
    except DATABASE_ERRORS as exc:
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
    try:
        require_undamaged(ctx, NOT_COPIED)
    except DatabaseDamagedError as exc:
        raise BackupError(str(exc)) from None
    started = time.perf_counter()
    try:  # .NAME.partial, owner-only: a leftover from a killed backup of this name is removed here
        fd, partial = open_partial(target, private=True)
    except OSError as exc:
        raise BackupError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    os.close(fd)
    anchor_file = anchor_path(target)
    anchor_partial: Path | None = None
    try:
        try:
            backup_sqlite(source, partial)
        except (sqlite3.Error, *DATABASE_ERRORS) as exc:
            raise BackupError(f"The database could not be copied: {exc}; nothing was written.") from None
        patients, sessions = _check_copy(partial)
        anchor = anchor_of_copy(partial)
        if anchor is not None:  # written before the copy is put in place: only renames are left after
            try:
                anchor_partial = partial_anchor_file(anchor, target.parent, anchor_file.name)
            except TpiError as exc:
                raise BackupError(str(exc)) from None
        place(partial, target)
        if anchor_partial is not None:
            place(anchor_partial, anchor_file)
        else:  # an empty trail: no anchor, and none left from an earlier backup of this name
            anchor_file.unlink(missing_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot write {target}: {exc.strerror or exc}; nothing was written.") from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal"), anchor_partial):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
    result = BackupResult(target, target.stat().st_size, patients, sessions, time.perf_counter() - started,
                          anchor_file if anchor is not None else None)
    anchored = f"; audit chain anchor: event {anchor.event_id}" if anchor is not None else ""
    with ctx.transaction() as s:
        audit.append(s, actor=ctx.actor, user_id=ctx.user_id, action="backup", entity="clinic",
                     detail=f"database backed up to {target} ({result.size_bytes:,} bytes, "
                            f"{plural(patients, 'patient')}, {plural(sessions, 'session')}){anchored}")
    return result
