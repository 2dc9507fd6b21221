"""The layout every small form dialog shares: an intro, the form, a message line, the buttons."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget


def cancelable_buttons(dialog: QDialog, accept_text: str) -> tuple[QDialogButtonBox, QWidget]:
    """Buttons with ``accept_text`` as the default action and Cancel; returns the box and the accept button."""
    buttons = QDialogButtonBox(dialog)
    accept = buttons.addButton(accept_text, QDialogButtonBox.ButtonRole.AcceptRole)
    accept.setDefault(True)
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    buttons.rejected.connect(dialog.reject)
    return buttons, accept


def stack(dialog: QDialog, intro: QLabel, form: QFormLayout, message: QWidget, buttons: QDialogButtonBox,
          size: tuple[int, int]) -> None:
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addLayout(form)
    layout.addWidget(message)
    layout.addWidget(buttons)
    dialog.resize(*size)
