"""Starting the user interface: the QApplication, the main window and the event loop."""

from __future__ import annotations

import logging
import sys

from PySide6.QtWidgets import QApplication, QDialog

from tpi_notes import __version__, logs
from tpi_notes.paths import APP_AUTHOR, APP_NAME
from tpi_notes.services.context import AppContext
from tpi_notes.ui.crash_dialog import install_crash_dialog
from tpi_notes.ui.database_check import check_database_after_start
from tpi_notes.ui.main_window import MainWindow
from tpi_notes.ui.spin_focus import install_spin_focus
from tpi_notes.ui.style import apply_theme
from tpi_notes.ui.wheel_guard import install_wheel_guard

log = logging.getLogger(__name__)


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
    install_wheel_guard(app)  # the wheel scrolls forms, never a field the user is not editing
    install_spin_focus(app)  # a number box clicked into takes the digits typed next
    return app


def create_main_window(ctx: AppContext) -> MainWindow:
    """A ready main window on ``ctx`` (not shown); the QApplication must exist or is created here."""
    ensure_application()
    return MainWindow(ctx)


def sign_in(ctx: AppContext) -> bool:
    """First-run setup when the clinic has no administrator yet, then the login screen; True once a user is
    signed in (``ctx`` then acts as them), False when the person cancelled."""
    from tpi_notes.services import clinic, login
    from tpi_notes.services.demo_data import DEMO_PASSWORD, STAFF
    from tpi_notes.ui.login_dialog import LoginDialog
    from tpi_notes.ui.setup_dialog import SetupDialog

    username = ""
    if login.needs_setup(ctx):
        setup = SetupDialog(ctx)
        if setup.exec() != QDialog.DialogCode.Accepted:
            return False
        username = setup.created.username if setup.created else ""
    info = clinic.get_clinic_info(ctx)
    hint = ""
    if info.demo:
        names = ", ".join(f"{u} ({' and '.join(roles)})" for u, _n, _c, roles in STAFF[:1] + STAFF[4:5] + STAFF[-1:])
        hint = (f"Demo clinic — made-up data. Log in as {names}; every demo user's password is "
                f"“{DEMO_PASSWORD}”.")
    dialog = LoginDialog(ctx, info.name, hint)
    dialog.username.setText(username)
    if username:
        dialog.password.setFocus()
    return dialog.exec() == QDialog.DialogCode.Accepted


def run_app(ctx: AppContext, argv: list[str] | None = None) -> int:
    """Set up or log in, then show the main window and run the event loop; returns the exit code."""
    app = ensure_application(argv)
    if logs.crash_handlers_installed():  # the real command (not a test): a crash report is also shown in a box
        install_crash_dialog(app)
    while True:  # after Sign out, the login screen again
        if not sign_in(ctx):
            log.info("Login cancelled; the app closes")
            return 0
        log.info("Signed in: user id %s", ctx.user_id)
        window = create_main_window(ctx)
        window.show()
        check_database_after_start(window, ctx)  # in the background, once the window is up (quick_check)
        window.offer_recovered_drafts()
        code = app.exec()
        if not window.signed_out:
            log.info("Main window closed (exit code %s)", code)
            return code
        log.info("Signed out: user id %s", ctx.user_id)
        window.deleteLater()
