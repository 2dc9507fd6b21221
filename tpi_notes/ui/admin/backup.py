"""Back up the clinic database from the app: a save dialog, the checked copy, and what came of it.

The copy itself runs on a worker thread (``run_with_progress``) so the window stays painted on a large
clinic; the dialogs and message boxes stay on the UI thread, before and after. One backup at a time:
while one runs, asking for another (from the admin window or the Clinic menu) only says so.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.services.backup import BackupResult, backup_to, default_backup_name
from tpi_notes.services.context import AppContext
from tpi_notes.ui import file_dialogs
from tpi_notes.ui.background import run_with_progress
from tpi_notes.ui.errors import show_error

_running = False  # a backup is being made (the UI thread sets and clears it)


def backup_running() -> bool:
    """True while a backup started from the app is being made."""
    return _running


def _say_busy(parent: QWidget | None) -> None:
    QMessageBox.information(parent, "Backup", "A backup is already being made; wait for it to finish.")


def default_backup_path(ctx: AppContext) -> Path:
    """``~/Documents/tpi-notes-backup-YYYY-MM-DD.sqlite`` (the home folder when there is no Documents)."""
    return file_dialogs.documents_folder() / default_backup_name(ctx.today().isoformat())


def run_backup(ctx: AppContext, path: Path, parent: QWidget | None) -> BackupResult | None:
    """Back up to ``path`` on a worker thread, with a busy cursor; the result (or the refusal) is shown in a
    message box. None when it failed, or when another backup is still being made."""
    global _running
    if _running:
        _say_busy(parent)
        return None
    _running = True
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = run_with_progress(parent, f"Backing up the clinic database to {path.name}…",  # type: ignore[arg-type]
                                   partial(backup_to, ctx, path))
    except TpiError as exc:
        failure: TpiError | None = exc
    else:
        failure = None
    finally:
        QApplication.restoreOverrideCursor()
        _running = False
    if failure is not None:
        show_error(parent, failure, "Backup failed")
        return None
    QMessageBox.information(parent, "Backup complete",
                            f"{result.summary}\n\nKeep the copy somewhere safe and private: it holds every "
                            "patient's record.")
    return result


def backup_database(ctx: AppContext, parent: QWidget | None = None) -> Path | None:
    """Ask where to save, back up there and show the result; the path written, or None (cancelled or failed)."""
    if ctx.database_path is None:
        show_error(parent, TpiError("This clinic's database is on a database server (PostgreSQL): back it up "
                                    "there with pg_dump."), "Backup")
        return None
    if _running:
        _say_busy(parent)
        return None
    path = file_dialogs.ask_save_path(parent, "Back up the clinic database", default_backup_path(ctx).name,
                                      "SQLite database (*.sqlite);;All files (*)")
    if path is None:
        return None
    if not path.suffix:
        path = path.with_suffix(".sqlite")
    result = run_backup(ctx, path, parent)
    return result.path if result else None
