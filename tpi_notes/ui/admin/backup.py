"""Back up the clinic database from the app: a save dialog, the checked copy, and what came of it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.services.backup import BackupResult, backup_to, default_backup_name
from tpi_notes.services.context import AppContext
from tpi_notes.ui.errors import show_error


def default_backup_path(ctx: AppContext) -> Path:
    """``~/Documents/tpi-notes-backup-YYYY-MM-DD.sqlite`` (the home folder when there is no Documents)."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(documents) if documents and Path(documents).is_dir() else Path.home()
    return folder / default_backup_name(ctx.today().isoformat())


def run_backup(ctx: AppContext, path: Path, parent: QWidget | None) -> BackupResult | None:
    """Back up to ``path`` with a busy cursor; the result (or the refusal) is shown in a message box."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = backup_to(ctx, path)
    except TpiError as exc:
        QApplication.restoreOverrideCursor()
        show_error(parent, exc, "Backup failed")
        return None
    QApplication.restoreOverrideCursor()
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
    name, _filter = QFileDialog.getSaveFileName(parent, "Back up the clinic database", str(default_backup_path(ctx)),
                                                "SQLite database (*.sqlite);;All files (*)")
    if not name:
        return None
    path = Path(name)
    if not path.suffix:
        path = path.with_suffix(".sqlite")
    result = run_backup(ctx, path, parent)
    return result.path if result else None
