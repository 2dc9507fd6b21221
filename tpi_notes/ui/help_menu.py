"""The Help menu's boxes: About (the app and its data versions, tpi_notes/versions.py) and Save diagnostics…
(a zip for support, tpi_notes/diagnostics.py, saved through the app's file dialog and written whole)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from tpi_notes import atomic_output
from tpi_notes.diagnostics import diagnostics_zip
from tpi_notes.ui import file_dialogs
from tpi_notes.versions import components


def about_html(database: str) -> str:
    (app, version), *rest = components()
    rows = "".join(f"<tr><td>{escape(name)}</td><td>&nbsp;{escape(value)}</td></tr>" for name, value in rest)
    return (f"<b>{escape(app)} {escape(version)}</b><br>Charting trigger point injections and dry needling."
            f"<br><br>Database: {escape(database)}<br><br><table>{rows}</table>")


def show_about(parent: QWidget, database: str) -> None:
    QMessageBox.about(parent, "About tpi-notes", about_html(database))


def save_diagnostics(parent: QWidget, database_url: str) -> Path | None:
    """Ask where, write the zip there whole; the path written, or None (cancelled or failed, said)."""
    from datetime import date

    target = file_dialogs.ask_save_path(parent, "Save diagnostics", f"tpi-notes-diagnostics-{date.today().isoformat()}.zip",
                           "Zip archives (*.zip)")
    if target is None:
        return None
    try:
        atomic_output.write_bytes(target, diagnostics_zip(database_url))
    except OSError as exc:
        QMessageBox.warning(parent, "Save diagnostics", f"Could not write {target}: {exc.strerror or exc}")
        return None
    QMessageBox.information(parent, "Save diagnostics",
                            f"Saved {target.name}: the versions, settings and logs, without patient data.")
    return target
