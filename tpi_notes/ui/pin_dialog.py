"""Setting one's signing PIN (account menu): the password (which opens the signing key to copy), the PIN twice.

Setting a new PIN is also how a PIN locked by five wrong ones is unlocked: it needs the password, which a
colleague at an unlocked screen does not have.
"""

from __future__ import annotations

from functools import partial
from html import escape

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QDialog, QFormLayout, QLineEdit, QMainWindow, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.signing_pin import MAX_PIN_FAILURES, MIN_PIN_DIGITS, pin_problem
from tpi_notes.services import signing_pin
from tpi_notes.services.context import AppContext
from tpi_notes.ui.dialog_layout import cancelable_buttons, error_line, intro_label, secret_field, stack


class SigningPinDialog(QDialog):
    """Accepted once the PIN is stored; nothing changes otherwise."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.setObjectName("signing_pin_dialog")
        self.setWindowTitle("Set your signing PIN")
        intro = intro_label(self, f"<b>{escape(ctx.principal.name)}</b>: a PIN of {MIN_PIN_DIGITS} or more digits "
                            "signs your notes in place of your password, only while you are signed in here. "
                            f"{MAX_PIN_FAILURES} wrong PINs lock it; your password still signs, and sets a new one.")
        self.password = secret_field(self, "pin_password")
        self.pin = self._digits("new_pin")
        self.repeat = self._digits("repeat_pin")
        self.error = error_line(self, "signing_pin_error")
        form = QFormLayout()
        form.addRow("Your password:", self.password)
        form.addRow("New PIN:", self.pin)
        form.addRow("New PIN again:", self.repeat)
        buttons, self.set_button = cancelable_buttons(self, "Set PIN")
        buttons.accepted.connect(self.set_pin)
        stack(self, intro, form, self.error, buttons, (460, 230))
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _digits(self, name: str) -> QLineEdit:
        edit = secret_field(self, name)
        edit.setMaxLength(12)
        edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        return edit

    def _refuse(self, message: str, field: QLineEdit) -> None:
        self.error.setText(message)
        self.error.show()
        field.setFocus(Qt.FocusReason.OtherFocusReason)
        field.selectAll()

    @Slot()
    def set_pin(self) -> None:
        self.error.hide()
        problem = pin_problem(self.pin.text())
        if problem:
            self._refuse(problem, self.pin)
            return
        if self.pin.text() != self.repeat.text():
            self._refuse("The two PINs differ.", self.repeat)
            return
        try:
            signing_pin.set_signing_pin(self._ctx, self.password.text(), self.pin.text())
        except ValidationError as exc:
            self._refuse(" ".join(exc.errors.values()), self.pin if "pin" in exc.errors else self.password)
            return
        except TpiError as exc:  # a locked account, a delay after wrong passwords, no longer a physician
            self._refuse(str(exc), self.password)
            return
        self.accept()


def open_signing_pin(ctx: AppContext, window: QMainWindow) -> SigningPinDialog:
    """The dialog over ``window``; its status bar confirms the new PIN."""
    dialog = SigningPinDialog(ctx, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(partial(window.statusBar().showMessage,
                                    "Your signing PIN is set: the sign dialog asks for it in your own session", 8000))
    dialog.open()
    return dialog
