"""Clinic → Check a printed note…: scan the QR code of a paper note (a USB scanner types it and presses Enter)
or type the session number and the footer's hash; the answer says whether the paper is what was signed and
whether the record is still intact."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.services.context import AppContext
from tpi_notes.services.printout_check import MATCHES, NOT_SIGNED, UNKNOWN, PrintoutCheck, check_printout
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.style import ACCENT, DANGER, DANGER_TINT, set_invalid, set_role

_GOOD = ("#e7f4ec", "#1f7a3f")
_DOUBT = ("#fff3d6", "#8a5a00")


class PrintoutCheckDialog(QDialog):
    """Stays open for the next paper: each check replaces the last answer."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.result: PrintoutCheck | None = None
        self.setObjectName("printout_check_dialog")
        self.setWindowTitle("Check a printed note")
        intro = QLabel("Scan the QR code at the end of a signed procedure note, or type the session number and the "
                       "hash from the note's footer (for example: 21 2c3ce37289ed2c32).", self)
        intro.setWordWrap(True)
        set_role(intro, "hint")
        self.field = QLineEdit(self)
        self.field.setObjectName("printout_field")
        self.field.setPlaceholderText("tpi-notes:session:…  or  21 2c3ce37289ed2c32")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self.check)
        self.field.textEdited.connect(lambda _text: set_invalid(self.field, False))
        form = QFormLayout()
        form.addRow("Printed note:", self.field)
        self.verdict = QLabel(self)
        self.verdict.setObjectName("printout_verdict")
        self.verdict.setWordWrap(True)
        self.verdict.hide()
        self.patient = QLabel(self)
        self.patient.setObjectName("printout_patient")
        self.patient.hide()  # an empty line would stand between the answer and the buttons
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        set_role(self.error, "field-error")
        self.error.hide()
        buttons = QDialogButtonBox(self)
        check = buttons.addButton("Check", QDialogButtonBox.ButtonRole.ActionRole)
        check.setDefault(True)
        check.clicked.connect(self.check)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.verdict)
        layout.addWidget(self.patient)
        layout.addWidget(buttons)
        # as tall as what it shows, the buttons right under it (a fixed 300 px left an empty band above them);
        # it grows when an answer appears (_fit)
        self.resize(600, self.heightForWidth(600) if self.hasHeightForWidth() else self.sizeHint().height())

    @Slot()
    def check(self) -> PrintoutCheck | None:
        self.error.hide()
        try:
            result = check_printout(self._ctx, self.field.text())
        except ValidationError as exc:
            set_invalid(self.field, True)
            self.error.setText(next(iter(exc.errors.values())))
            self.error.show()
            self.verdict.hide()
            self.patient.clear()
            self.patient.hide()
            self._fit()
            return None
        except TpiError as exc:
            show_error(self, exc)
            return None
        self.result = result
        background, ink = _GOOD if result.verdict == MATCHES else \
            _DOUBT if result.verdict in (NOT_SIGNED, UNKNOWN) else (DANGER_TINT, DANGER)
        self.verdict.setStyleSheet(f"QLabel {{ background: {background}; color: {ink}; border: 1px solid {ink};"
                                   " border-radius: 4px; padding: 8px; font-weight: 600; }")
        self.verdict.setText(result.message)
        self.verdict.show()
        self.patient.setText(f"Patient: {result.patient}" if result.patient else "")
        self.patient.setVisible(bool(result.patient))
        self.patient.setStyleSheet(f"color: {ACCENT};")
        self.field.selectAll()  # the next scan replaces this one
        self._fit()
        return result

    def _fit(self) -> None:
        """Tall enough for the answer shown (never shrunk under the user: a dialog they made taller stays so)."""
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else self.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)


def open_printout_check(ctx: AppContext, parent: QWidget | None = None) -> PrintoutCheckDialog:
    dialog = PrintoutCheckDialog(ctx, parent)
    dialog.show()
    return dialog
