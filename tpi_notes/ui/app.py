"""Starting the user interface: the QApplication, the main window and the event loop."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from tpi_notes import __version__
from tpi_notes.paths import APP_AUTHOR, APP_NAME
from tpi_notes.services.context import AppContext
from tpi_notes.ui.main_window import MainWindow
from tpi_notes.ui.style import apply_theme


def ensure_application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, created (with names and theme) if there is none yet."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("tpi-notes")
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationVersion(__version__)
    apply_theme(app)
    return app


def create_main_window(ctx: AppContext) -> MainWindow:
    """A ready main window on ``ctx`` (not shown); the QApplication must exist or is created here."""
    ensure_application()
    return MainWindow(ctx)


def run_app(ctx: AppContext, argv: list[str] | None = None) -> int:
    """Show the main window and run the event loop; returns the exit code."""
    app = ensure_application(argv)
    window = create_main_window(ctx)
    window.show()
    window.offer_recovered_drafts()
    return app.exec()
