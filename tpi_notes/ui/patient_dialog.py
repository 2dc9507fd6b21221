"""Register a patient or edit one: a modal dialog whose Save calls the patient services.

Refused input is shown at the field and nothing is written; a save that lost a race with another
workstation shows a banner with a Reload button instead of overwriting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import ConcurrentEditError, TpiError, ValidationError
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.services import patients as patient_service
from tpi_notes.services.context import AppContext
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.patient_form import PatientForm
from tpi_notes.ui.style import set_role


class PatientDialog(QDialog):
    """Modal create/edit dialog. After ``exec()`` returns Accepted, :attr:`saved` holds the stored record."""

    patient_saved = Signal(object)
    """A patient was created or updated: the new :class:`PatientRecord`."""

    def __init__(self, ctx: AppContext, record: PatientRecord | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._record = record
        self.saved: PatientRecord | None = None
        self.setModal(True)
        self.setObjectName("patient_dialog")
        self.setWindowTitle("Register a patient" if record is None else f"Edit patient — {record.display_name}")

        self.banner = self._make_banner()
        self.form = PatientForm(ctx.today(), self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.form)
        scroll.viewport().setAutoFillBackground(False)
        self.form.setAutoFillBackground(False)

        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("save_button")
        self.save_button.setDefault(True)
        self.save_button.setAutoDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.resize(680, 840)  # the history answers are a row each
        if record is not None:
            self.form.load(record)
        self.form.mrn.setFocus(Qt.FocusReason.OtherFocusReason)

    def _make_banner(self) -> QFrame:
        banner = QFrame(self)
        banner.setObjectName("concurrent_banner")
        row = QHBoxLayout(banner)
        row.setContentsMargins(12, 8, 8, 8)
        self.banner_label = QLabel(banner)
        self.banner_label.setObjectName("concurrent_message")
        self.banner_label.setWordWrap(True)
        set_role(self.banner_label, "field-error")
        self.reload_button = QPushButton("Reload", banner)
        self.reload_button.setObjectName("reload_button")
        self.reload_button.setAutoDefault(False)
        self.reload_button.clicked.connect(self.reload)
        row.addWidget(self.banner_label, 1)
        row.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignVCenter)
        banner.hide()
        return banner

    @property
    def record(self) -> PatientRecord | None:
        """The record as last loaded (None when registering a new patient)."""
        return self._record

    @Slot()
    def save(self) -> None:
        """Check, then create or update; stay open with the messages at the fields when refused."""
        self.form.clear_errors()
        try:
            data = self.form.read()
            if self._record is None:
                saved = patient_service.create_patient(self._ctx, data)
            else:
                saved = patient_service.update_patient(self._ctx, self._record.id, data,
                                                       self._record.row_version)
        except ValidationError as exc:
            self.form.show_errors(exc.errors)
            return
        except ConcurrentEditError as exc:
            self.banner_label.setText(str(exc))
            self.banner.show()
            self.reload_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        except TpiError as exc:
            show_error(self, exc)
            return
        self.saved = saved
        self.patient_saved.emit(saved)
        self.accept()

    @Slot()
    def reload(self) -> None:
        """Load the current stored version into the form (discarding what was typed) and hide the banner."""
        if self._record is None:
            return
        try:
            fresh = patient_service.get_patient(self._ctx, self._record.id)
        except TpiError as exc:
            show_error(self, exc)
            return
        self._record = fresh
        self.form.clear_errors()
        self.form.load(fresh)
        self.banner.hide()
        self.setWindowTitle(f"Edit patient — {fresh.display_name}")
        self.form.mrn.setFocus(Qt.FocusReason.OtherFocusReason)
