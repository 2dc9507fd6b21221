"""Loading the demo clinic from the UI: confirm, build it with a wait cursor, report the outcome."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.services import clinic
from tpi_notes.services.context import AppContext
from tpi_notes.ui.errors import show_error

DEMO_PATIENTS = 60
DEMO_SESSIONS = 240
DEMO_SEED = 1


def _said_once() -> tuple[str, ...]:
    """What the demo says once rather than on each note (the ICD-10-CM set its dates are checked against)."""
    try:
        from tpi_notes.services.demo import demo_notes
    except ImportError:
        return ()
    return demo_notes()


def load_demo_clinic(parent: QWidget | None, ctx: AppContext) -> bool:
    """Ask, then fill the (empty) database with the demo clinic; True when it was loaded."""
    if not clinic.is_empty(ctx):
        QMessageBox.information(parent, "Demo clinic",
                                "The demo clinic can only be loaded into an empty database; this one "
                                "already has patients.")
        return False
    answer = QMessageBox.question(
        parent,
        "Load the demo clinic?",
        "\n\n".join([f"This fills the database with a made-up clinic: {DEMO_PATIENTS} patients and {DEMO_SESSIONS} "
                     "sessions, for trying the app out. Do not load it into a database you will use for real "
                     "patients.", *_said_once()]),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    try:
        from tpi_notes.services.demo import build_demo  # imported late: optional until it ships
    except ImportError:
        QMessageBox.warning(parent, "Demo clinic", "The demo clinic is not available in this version.")
        return False
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        build_demo(ctx, patients=DEMO_PATIENTS, sessions=DEMO_SESSIONS, seed=DEMO_SEED)
    except TpiError as exc:
        error: TpiError | None = exc
    else:
        error = None
    finally:
        QGuiApplication.restoreOverrideCursor()
    if error is not None:
        show_error(parent, error, "The demo clinic could not be loaded")
        return False
    return True
