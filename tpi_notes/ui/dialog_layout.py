"""The layout every small form dialog shares: an intro, the form, a message line, the buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from tpi_notes.ui.style import set_role


def cancelable_buttons(dialog: QDialog, accept_text: str) -> tuple[QDialogButtonBox, QWidget]:
    """Buttons with ``accept_text`` as the default action and Cancel; returns the box and the accept button."""
    buttons = QDialogButtonBox(dialog)
    accept = buttons.addButton(accept_text, QDialogButtonBox.ButtonRole.AcceptRole)
    accept.setDefault(True)
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    buttons.rejected.connect(dialog.reject)
    return buttons, accept


def intro_label(parent: QWidget, rich_text: str) -> QLabel:
    """The dialog's opening sentence(s), wrapped; ``rich_text`` must have its user values escaped."""
    intro = QLabel(rich_text, parent)
    intro.setWordWrap(True)
    intro.setTextFormat(Qt.TextFormat.RichText)
    return intro


def secret_field(parent: QWidget, name: str) -> QLineEdit:
    """A password or passphrase box: typing shows dots."""
    field = QLineEdit(parent)
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def error_line(parent: QWidget, name: str) -> QLabel:
    """The dialog's message line in the field-error style, hidden until there is something to say."""
    error = QLabel(parent)
    error.setObjectName(name)
    error.setWordWrap(True)
    set_role(error, "field-error")
    error.hide()
    return error


def stack(dialog: QDialog, intro: QLabel, form: QFormLayout, message: QWidget, buttons: QDialogButtonBox,
          size: tuple[int, int]) -> None:
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addLayout(form)
    layout.addWidget(message)
    layout.addStretch(1)  # the room ``size`` leaves goes above the buttons, not around the intro's text (it
    layout.addWidget(buttons)  # stood in an empty band at the top of the login and lock dialogs)
    dialog.resize(*size)
