"""The strips above the editor's work area: who the patient is, and what stopped the last save."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tpi_notes.domain.patient import PatientRecord
from tpi_notes.ui.patient_header import Badge, PatientHeader, allergy_badge, risk_badges
from tpi_notes.ui.style import set_role


class PatientStrip(QFrame):
    """One line: name, age, MRN and weight, then the allergy and risk badges (always in sight)."""

    def __init__(self, patient: PatientRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        name = QLabel(patient.display_name, self)
        name.setObjectName("editor_patient_name")
        name.setStyleSheet("font-size: 13pt; font-weight: 600;")
        details = QLabel(PatientHeader.details_text(patient, date.today()), self)
        details.setWordWrap(True)  # breaks only between parts (they hold non-breaking spaces)
        set_role(details, "hint")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.setSpacing(10)
        row.addWidget(name)
        row.addWidget(details, 1)
        allergy = Badge(*allergy_badge(patient), self)  # "not recorded" until someone asks
        row.addWidget(allergy)
        for text, kind in risk_badges(patient):
            row.addWidget(Badge(text, kind, self))


class EditorBanners(QWidget):
    """A refused save (messages not shown at a field) and a lost race with another workstation."""

    reload_requested = Signal()
    """"Reload" was clicked on the concurrent-edit banner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.validation = QFrame(self)
        self.validation.setObjectName("concurrent_banner")
        self.validation_label = QLabel(self.validation)
        self.validation_label.setObjectName("validation_message")
        self.validation_label.setWordWrap(True)
        set_role(self.validation_label, "field-error")
        row = QHBoxLayout(self.validation)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.validation_label, 1)
        self.validation.hide()

        self.concurrent = QFrame(self)
        self.concurrent.setObjectName("concurrent_banner")
        self.concurrent_label = QLabel(self.concurrent)
        self.concurrent_label.setObjectName("concurrent_message")
        self.concurrent_label.setWordWrap(True)
        set_role(self.concurrent_label, "field-error")
        self.reload_button = QPushButton("Reload", self.concurrent)
        self.reload_button.setObjectName("reload_button")
        self.reload_button.setToolTip("Show the version saved on the other workstation (your changes here are "
                                      "dropped)")
        self.keep_button = QPushButton("Keep editing", self.concurrent)
        self.keep_button.setObjectName("keep_editing_button")
        self.keep_button.setToolTip("Hide this message; saving will be refused again until you reload")
        row = QHBoxLayout(self.concurrent)
        row.setContentsMargins(12, 6, 8, 6)
        row.addWidget(self.concurrent_label, 1)
        row.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.keep_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.concurrent.hide()
        self.reload_button.clicked.connect(self.reload_requested)
        self.keep_button.clicked.connect(self.keep_editing)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.validation)
        column.addWidget(self.concurrent)
        self.hide()

    def show_validation(self, count: int, unplaced: list[str]) -> None:
        lines = [f"Not saved: {count} entr{'y needs' if count == 1 else 'ies need'} attention (marked in red)."]
        lines += unplaced
        self.validation_label.setText("\n".join(lines))
        self.validation.show()
        self._update()

    def show_concurrent(self, message: str) -> None:
        self.concurrent_label.setText(message)
        self.concurrent.show()
        self._update()
        self.reload_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def keep_editing(self) -> None:
        self.concurrent.hide()
        self._update()

    @Slot()
    def clear(self) -> None:
        self.validation.hide()
        self.concurrent.hide()
        self._update()

    def _update(self) -> None:
        self.setVisible(not self.validation.isHidden() or not self.concurrent.isHidden())
