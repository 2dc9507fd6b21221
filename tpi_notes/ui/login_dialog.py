"""The login screen: user name and password; nothing of the clinic's records shows until it succeeds."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QCompleter, QDialog, QFormLayout, QLabel, QLineEdit, QWidget

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Principal
from tpi_notes.services import login
from tpi_notes.services.context import AppContext
from tpi_notes.ui.dialog_layout import cancelable_buttons, stack
from tpi_notes.ui.style import set_role


class LoginDialog(QDialog):
    """Accepted once ``login.login`` succeeded; ``principal`` is then the signed-in user."""

    def __init__(self, ctx: AppContext, clinic_name: str, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.principal: Principal | None = None
        self.setObjectName("login_dialog")
        self.setWindowTitle(f"Log in — {clinic_name}" if clinic_name else "Log in")  # Qt adds " — tpi-notes"
        intro = QLabel(f"<b>{_escape(clinic_name) or 'tpi-notes'}</b><br>Log in with your own user name and "
                       "password. Accounts are personal: every action is recorded under your name.", self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.username = QLineEdit(self)
        self.username.setObjectName("login_username")
        self.username.setMaxLength(login.USERNAME_MAX)
        completer = QCompleter(login.login_names(ctx), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.username.setCompleter(completer)
        self.password = QLineEdit(self)
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(self)
        self.error.setObjectName("login_error")
        self.error.setWordWrap(True)
        set_role(self.error, "field-error")
        self.error.hide()
        form = QFormLayout()
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        if hint:
            note = QLabel(hint, self)
            note.setObjectName("login_hint")
            note.setWordWrap(True)
            set_role(note, "hint")
            form.addRow(note)
        buttons, self.login_button = cancelable_buttons(self, "Log in")
        buttons.accepted.connect(self.try_login)
        stack(self, intro, form, self.error, buttons, (460, 260))
        self.username.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def try_login(self) -> None:
        self.error.hide()
        if not self.username.text().strip():
            self._refuse("Type your user name.", self.username)
            return
        try:
            self.principal = login.login(self._ctx, self.username.text(), self.password.text())
        except TpiError as exc:
            self.password.clear()
            self._refuse(str(exc), self.password)
            return
        self.accept()

    def _refuse(self, message: str, field: QWidget) -> None:
        self.error.setText(message)
        self.error.show()
        field.setFocus(Qt.FocusReason.OtherFocusReason)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
