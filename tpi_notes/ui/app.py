"""Starting the user interface: the main window painted first, then the clinic, the login and the event loop.

The window a person sees first is the main window's frame (menus, an empty patient list saying the database is
being opened): :func:`show_start_frame` paints it before SQLAlchemy, the services, the crypto libraries or
ReportLab are imported (issue 19: start-up to a painted window ≤ 3× a bare PySide6 window). The database layer is
then imported on a worker thread while the window stays responsive (:func:`load_while_responsive`), the
clinic is opened (the passphrase of an encrypted one asked), the user signs in over the frame, and
:func:`run_app` fills the same window. This module imports none of that layer itself.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QObject,
    QTimer,
    QtMsgType,
    Signal,
    qFormatLogMessage,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from tpi_notes import __version__, logs, startup_gc
from tpi_notes.domain.errors import TpiError
from tpi_notes.paths import APP_AUTHOR, APP_NAME
from tpi_notes.ui.after_paint import after_next_paint
from tpi_notes.ui.main_window import MainWindow
from tpi_notes.ui.spin_focus import install_spin_focus
from tpi_notes.ui.style import apply_theme
from tpi_notes.ui.wheel_guard import install_wheel_guard

if TYPE_CHECKING:
    from tpi_notes.services.context import AppContext

log = logging.getLogger(__name__)

FIRST_PAINT_WAIT_MS = 1000
"""How long the start waits for the frame's first paint: a window that is never exposed (started minimised,
say) must not hold the clinic back."""

DATABASE_LAYER = ("tpi_notes.services.context", "tpi_notes.services.encryption", "tpi_notes.services.login",
                  "tpi_notes.services.clinic", "tpi_notes.services.patients")
"""What opening the clinic, the login and filling the patient list import (none of it Qt): loaded off the GUI
thread. The patient page, and the atlas its response map reads, wait until the filled list is painted
(MainWindow.open_clinic); the services they call are imported with the patients' anyway."""


def load_database_layer() -> None:
    """Import :data:`DATABASE_LAYER`: what opening the clinic and filling the list need that is not Qt."""
    for name in DATABASE_LAYER:
        importlib.import_module(name)


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


OFFSCREEN_NOTICE = "This plugin does not support propagateSizeHints()"
"""What Qt's offscreen platform prints for every window shown: nothing a user could act on."""


def _quiet_offscreen_notice() -> None:
    """On the offscreen platform (headless runs, scripts, CI) the start-up window makes Qt print
    :data:`OFFSCREEN_NOTICE` on standard error, before a refused file's one line: drop that one message, pass
    every other on as before. Installed once; a screen's platform never prints it."""
    if QApplication.platformName() != "offscreen" or getattr(_quiet_offscreen_notice, "installed", False):
        return
    _quiet_offscreen_notice.installed = True  # type: ignore[attr-defined]
    previous = None

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message == OFFSCREEN_NOTICE:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            sys.stderr.write(qFormatLogMessage(kind, context, message) + "\n")

    previous = qInstallMessageHandler(handler)


class _FirstPaint(QObject):
    """Ends ``loop`` once the watched window has been painted whole (the children paint in the same pass, so
    the loop ends on the next turn)."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self._loop = loop

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._loop.quit)
        return False


def show_start_frame(argv: list[str] | None = None) -> MainWindow:
    """The main window without its clinic, shown and painted (or given up waiting for after
    ``FIRST_PAINT_WAIT_MS``): what the person sees while the database layer loads and the clinic opens."""
    ensure_application(argv)
    _quiet_offscreen_notice()
    window = MainWindow()
    loop = QEventLoop()
    painted = _FirstPaint(loop)
    window.installEventFilter(painted)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(loop.quit)
    window.show()
    give_up.start(FIRST_PAINT_WAIT_MS)
    loop.exec()
    give_up.stop()
    window.removeEventFilter(painted)
    return window


class _Imported(QObject):
    done = Signal()


def load_while_responsive(work: Callable[[], object] = load_database_layer) -> None:
    """Run ``work`` (imports, reading files: no Qt) on a worker thread while the GUI thread keeps handling events
    (the frame repaints and moves); returns when it is done. A failure is left to happen again, with its own
    traceback, where the GUI thread next imports or reads the same."""
    loop = QEventLoop()
    imported = _Imported()
    imported.done.connect(loop.quit)  # queued: the worker is not the loop's thread

    def run() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001, S110 - done again, and reported, on the GUI thread
            pass
        finally:
            imported.done.emit()

    worker = threading.Thread(target=run, name="tpi-notes-import", daemon=True)
    worker.start()
    loop.exec()
    worker.join()


def someone_can_answer() -> bool:
    """Whether a box would be seen and answered: the real command (not a test calling cli.main in-process) on a
    screen, not on Qt's offscreen platform (headless runs and scripts, where a modal box would wait forever)."""
    return logs.crash_handlers_installed() and QApplication.platformName() != "offscreen"


def refuse_start(window: MainWindow, error: TpiError) -> None:
    """The clinic could not be opened: say why in a box over the start-up frame when someone can answer it (the
    one line on standard error is the command line's, always), then close the frame."""
    if someone_can_answer():
        QMessageBox.critical(window, "Cannot open the clinic database", str(error))
    window.close()


def close_window(window: MainWindow) -> None:
    """Close ``window`` unless it is closed already or was deleted (a signed-out user's window is)."""
    if shiboken6.isValid(window) and window.isVisible():
        window.close()


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


def check_database_after_start(window: MainWindow, ctx: AppContext) -> threading.Thread:
    """SQLite's quick_check in the background once the window is up (ui/database_check.py, loaded then)."""
    from tpi_notes.ui import database_check

    return database_check.check_database_after_start(window, ctx)


def resume_collection() -> None:
    """The garbage collector back on after start-up (tpi_notes/startup_gc.py); the real command also freezes
    what start-up made, a test calling ``cli.main`` in-process does not."""
    startup_gc.resume(freeze=logs.crash_handlers_installed())


def run_app(ctx: AppContext, argv: list[str] | None = None, window: MainWindow | None = None) -> int:
    """Set up or log in, then show the main window and run the event loop; returns the exit code. ``window`` is
    the start-up frame (show_start_frame) when there is one: it is filled for the first user signed in."""
    from tpi_notes.ui.crash_dialog import install_crash_dialog

    app = ensure_application(argv)
    if logs.crash_handlers_installed():  # the real command (not a test): a crash report is also shown in a box
        install_crash_dialog(app)
    while True:  # after Sign out, the login screen again
        if not sign_in(ctx):
            log.info("Login cancelled; the app closes")
            if window is not None:
                window.close()
            return 0
        log.info("Signed in: user id %s", ctx.user_id)
        if window is None:
            window = create_main_window(ctx)
        else:
            window.open_clinic(ctx)
        after_next_paint(window, resume_collection)  # start-up is over once the filled list is seen
        window.show()
        check_database_after_start(window, ctx)  # in the background, once the window is up (quick_check)
        window.offer_recovered_drafts()
        code = app.exec()
        if not window.signed_out:
            log.info("Main window closed (exit code %s)", code)
            return code
        log.info("Signed out: user id %s", ctx.user_id)
        window.deleteLater()
        window = None
