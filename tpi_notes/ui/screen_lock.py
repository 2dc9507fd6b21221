"""The automatic lock after inactivity (product.md §9; HIPAA automatic logoff): open work stays open.

Any key, click, wheel or touch restarts the countdown. When it runs out, every window of the app is covered by
a blank curtain (no patient data stays on screen) and an application-modal dialog asks the signed-in user's
password. Nothing is closed, hidden or saved on the user's behalf: editors, dialogs and their unsaved text are
exactly as they were when the password is given.

The same lock falls when the user's access changed on any workstation (deactivated, locked, a role taken away;
issue 14 item 4): at their next action, when a service raises AccessChanged (``AppContext.on_access_changed``
tells the lock, from whichever thread ran it), and at the latest within ACCESS_CHECK_MS by a periodic check
while nothing is done. The dialog then asks them to sign in again, which gives the roles the account has now
(or, for a deactivated or locked account, nothing: they can only sign out).
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPushButton,
    QWidget,
)

from tpi_notes.domain.errors import TpiError
from tpi_notes.services import login
from tpi_notes.services.context import AppContext
from tpi_notes.ui.dialog_layout import error_line, intro_label, secret_field, stack

ACCESS_CHECK_MS = 60_000  # an idle screen learns of a revoked access within a minute (one small SELECT)
ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
            QEvent.Type.TouchBegin}


class Curtain(QWidget):
    """An opaque cover over one window while the app is locked; follows the window's size."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.setObjectName("lock_curtain")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize and watched is self._window:
            self.setGeometry(self._window.rect())
        return False

    def detach(self) -> None:
        """Stop following the window and go (before the window itself may be closed and deleted)."""
        self._window.removeEventFilter(self)
        self.hide()
        self.deleteLater()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2b3440"))
        painter.setPen(QColor("#e8edf2"))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "tpi-notes is locked")


USER_LOCK = "locked by the user"  # the lock reason of Ctrl+L (File → Lock screen)


class UnlockDialog(QDialog):
    """The signed-in user's password, and nothing else; Escape and the close button do nothing."""

    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, reason: str = "inactivity") -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.access_changed = False
        self.setObjectName("unlock_dialog")
        self.setWindowTitle("Screen locked")  # Qt adds " — tpi-notes"
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        why = "Locked after inactivity." if reason == "inactivity" else "Screen locked."  # Ctrl+L is not idleness
        self.intro = intro = intro_label(self, f"{why} <b>{_escape(ctx.principal.name)}</b>, "
                                         "type your password to continue; your open work is kept exactly as you "
                                         "left it.")
        intro.setObjectName("unlock_intro")
        self.password = secret_field(self, "unlock_password")
        self.error = error_line(self, "unlock_error")
        form = QFormLayout()
        form.addRow("Password:", self.password)
        buttons = QDialogButtonBox(self)
        self.unlock_button = QPushButton("Unlock", self)
        self.unlock_button.setDefault(True)
        buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.try_unlock)
        # Someone else needs this workstation: sign the locked-out user out; their unsaved charting stays in
        # the recovery journal and is offered at the next sign-in.
        self.sign_out_button = QPushButton("Sign out…", self)
        self.sign_out_button.setObjectName("lock_sign_out")
        self.sign_out_button.setToolTip("Another user needs this computer: sign out; unsaved sessions are kept for "
                                        "recovery")
        buttons.addButton(self.sign_out_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        stack(self, intro, form, self.error, buttons, (440, 190))

    def ask_to_sign_in_again(self, problem: str) -> None:
        """The account changed since sign-in: the password signs the same user in afresh (login.sign_in_again)."""
        self.access_changed = True
        self.setWindowTitle("Sign in again")
        self.intro.setText(f"Your access to tpi-notes changed since you signed in ({_escape(problem)}). "
                           f"<b>{_escape(self._ctx.principal.name)}</b>, sign in again with your password to go on; "
                           "your open work is kept exactly as you left it. If your account was deactivated or "
                           "locked, ask an administrator, or sign out.")
        self.unlock_button.setText("Sign in again")
        self.error.hide()

    @Slot()
    def try_unlock(self) -> None:
        try:
            if self.access_changed:
                login.sign_in_again(self._ctx, self.password.text())
            else:
                login.unlock(self._ctx, self.password.text())
        except TpiError as exc:
            self.password.clear()
            self.error.setText(str(exc))
            self.error.show()
            self.password.setFocus()
            return
        self.unlocked.emit()
        self.accept()

    def reject(self) -> None:  # Escape must not unlock
        pass


class ScreenLock(QObject):
    """Watches the whole application's input; locks after ``minutes`` without any (0 turns it off)."""

    locked_changed = Signal(bool)
    sign_out_requested = Signal()
    # Emitted by AppContext.check_access from any thread; queued, so the lock falls once the refused action
    # has unwound (and in the GUI thread).
    access_changed = Signal(str)

    def __init__(self, ctx: AppContext, minutes: int, parent: QObject | None = None, *,
                 interval_ms: int | None = None, access_check_ms: int = ACCESS_CHECK_MS) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.curtains: list[Curtain] = []
        self.dialog: UnlockDialog | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms if interval_ms is not None else max(0, minutes) * 60_000)
        self.timer.timeout.connect(self.lock)
        self.access_changed.connect(self.lock_for_access_change, Qt.ConnectionType.QueuedConnection)
        self._notify = self.access_changed.emit
        ctx.on_access_changed = self._notify
        self.access_timer = QTimer(self)
        self.access_timer.setInterval(access_check_ms)
        self.access_timer.timeout.connect(self.check_access)
        self.access_timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        if self.timer.interval() > 0:
            self.timer.start()

    def set_minutes(self, minutes: int) -> None:
        """The clinic changed its inactivity minutes: restart the countdown with the new length (0: off)."""
        self.timer.setInterval(max(0, minutes) * 60_000)
        if self.timer.interval() > 0 and not self.is_locked:
            self.timer.start()
        else:
            self.timer.stop()

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in ACTIVITY and not self.is_locked and self.timer.interval() > 0:
            self.timer.start()
        return False

    @Slot()
    def check_access(self) -> None:
        """The periodic check while the screen is open: an access changed elsewhere locks it (via the signal)."""
        if self.is_locked and self.dialog is not None and self.dialog.access_changed:
            return
        with contextlib.suppress(TpiError):  # AccessChanged has already told the lock; a busy database waits
            self._ctx.check_access()

    @Slot(str)
    def lock_for_access_change(self, problem: str) -> None:
        """The signed-in user's access changed: cover every window (if not yet) and ask them to sign in again."""
        if self._ctx.user_id is None:
            return
        self.lock(reason="access changed")
        if self.dialog is not None:
            self.dialog.ask_to_sign_in_again(problem)

    @Slot()
    def lock(self, reason: str = "inactivity") -> None:
        """Cover every window and ask for the password (also the "Lock now" action)."""
        if self.is_locked or self._ctx.user_id is None:
            return
        self.timer.stop()
        with contextlib.suppress(TpiError):  # locking the screen must never fail because the audit write did
            login.lock(self._ctx, reason)
        self.curtains = [Curtain(w) for w in QApplication.topLevelWidgets()
                         if w.isVisible() and not isinstance(w, UnlockDialog)
                         and w.windowType() != Qt.WindowType.ToolTip]
        self.dialog = UnlockDialog(self._ctx, reason=reason)
        self.dialog.unlocked.connect(self._unlocked)
        self.dialog.sign_out_requested.connect(self.sign_out_requested)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.locked_changed.emit(True)

    def release(self) -> None:
        """Take the curtains and the dialog away without a password (the user is being signed out)."""
        if self.dialog is not None:
            self.dialog.hide()
        self._unlocked()
        self.stop()

    @Slot()
    def _unlocked(self) -> None:
        for curtain in self.curtains:
            curtain.detach()
        self.curtains = []
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
        if self.timer.interval() > 0:
            self.timer.start()
        self.locked_changed.emit(False)

    def stop(self) -> None:
        self.timer.stop()
        self.access_timer.stop()
        if self._ctx.on_access_changed is self._notify:
            self._ctx.on_access_changed = None
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
