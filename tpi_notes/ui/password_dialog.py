"""Changing one's own password: the current one (counted towards the lock when wrong), the new one twice."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QMainWindow, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.services import accounts
from tpi_notes.services.context import AppContext
from tpi_notes.ui.dialog_layout import cancelable_buttons, stack
from tpi_notes.ui.style import set_role


class ChangePasswordDialog(QDialog):
    """Accepted once the new password is stored; nothing changes otherwise."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("change_password_dialog")
        self.setWindowTitle("Change your password")
        intro = QLabel(f"{ctx.principal.name}: at least 12 characters and hard to guess: not built on your "
                       "name or a common password (three or four unrelated words with spaces will do).", self)
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.current = self._password("current_password")
        self.new = self._password("new_password")
        self.repeat = self._password("repeat_password")
        self.error = QLabel(self)
        self.error.setObjectName("change_password_error")
        self.error.setWordWrap(True)
        set_role(self.error, "field-error")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Current password:", self.current)
        form.addRow("New password:", self.new)
        form.addRow("New password again:", self.repeat)
        buttons, self.change_button = cancelable_buttons(self, "Change password")
        buttons.accepted.connect(self.change)
        stack(self, intro, form, self.error, buttons, (460, 230))
        self.current.setFocus(Qt.FocusReason.OtherFocusReason)

    def _password(self, name: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        return edit

    def _refuse(self, message: str, field: QLineEdit) -> None:
        self.error.setText(message)
        self.error.show()
        # The password rule's advice runs to three lines: grow to show it whole, never shrink.
        needed = self.layout().totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)
        field.setFocus(Qt.FocusReason.OtherFocusReason)
        field.selectAll()

    @Slot()
    def change(self) -> None:
        self.error.hide()
        if self._ctx.user_id is None:
            self._refuse("Nobody is signed in.", self.current)
            return
        if self.new.text() != self.repeat.text():
            self._refuse("The two new passwords differ.", self.repeat)
            return
        try:
            accounts.set_password(self._ctx, self._ctx.user_id, self.new.text(), current_password=self.current.text())
        except ValidationError as exc:
            self._refuse(" ".join(exc.errors.values()), self.new if "password" in exc.errors else self.current)
            return
        except TpiError as exc:  # a wrong current password (counted), or a locked account
            self.current.clear()
            self._refuse(str(exc), self.current)
            return
        self.accept()


def open_change_password(ctx: AppContext, window: QMainWindow) -> ChangePasswordDialog:
    """The dialog, opened over ``window``; its status bar confirms the change."""
    dialog = ChangePasswordDialog(ctx, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # A partial, not a lambda: a lambda connected to a dialog that deletes itself crashed PySide.
    dialog.accepted.connect(partial(window.statusBar().showMessage, "Your password was changed", 5000))
    dialog.open()
    return dialog
