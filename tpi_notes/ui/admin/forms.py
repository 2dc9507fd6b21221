"""Small pieces the administration dialogs share: an intro line, numbers typed as text, error display."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.ui.editor.fields import FieldErrors
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import set_role

# The app's stylesheet gives enabled and disabled buttons and fields one look; here a disabled one is greyed.
DISABLED_STYLE = (
    "QPushButton:disabled { color: #9aa5b1; background: #f3f5f7; border-color: #e1e6eb; }"
    "QLineEdit:disabled { color: #9aa5b1; background: #eef1f4; border-color: #e1e6eb; }"
    "QCheckBox:disabled { color: #9aa5b1; }"
)
_NUMBER = re.compile(r"^\d{1,6}(?:[.,]\d{1,4})?$")


def intro(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    set_role(label, "hint")
    return label


def form_layout() -> QFormLayout:
    form = QFormLayout()
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(8)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def section(form: QFormLayout, title: str, parent: QWidget) -> None:
    label = QLabel(title.upper(), parent)
    set_role(label, "section")
    form.addRow(label)


def line(placeholder: str = "", parent: QWidget | None = None, text: str = "") -> QLineEdit:
    edit = QLineEdit(text, parent)
    edit.setPlaceholderText(placeholder)
    return edit


def number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def read_number(edit: QLineEdit, name: str, errors: dict[str, str], what: str) -> float | None:
    """``None`` for an empty field; the number typed (a comma counts as a decimal point); otherwise a message
    for ``name`` in ``errors``."""
    text = edit.text().strip()
    if not text:
        return None
    if not _NUMBER.match(text):
        errors[name] = f"“{text}” is not a number. Enter {what} as digits, e.g. 4.5."
        return None
    return float(text.replace(",", "."))


def show_refusal(dialog: QWidget, errors: FieldErrors, exc: TpiError, general: QLabel | None = None) -> None:
    """A ValidationError at its fields (the first one focused), anything else in a message box."""
    if not isinstance(exc, ValidationError):
        show_error(dialog, exc)
        return
    marked = errors.show(exc.errors)
    unplaced = [message for name, message in exc.errors.items() if name not in errors.names()]
    if unplaced:
        if general is not None:
            general.setText("\n".join(unplaced))
            general.show()
        else:
            show_error(dialog, ValidationError({"": "\n".join(unplaced)}))
    if marked:
        marked[0].setFocus(Qt.FocusReason.OtherFocusReason)
