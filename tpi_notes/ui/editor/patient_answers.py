"""Going to a history answer the note cannot be signed without: it lives on the patient, so the patient form
opens over the editor at that question (a missing item ``patient.<item>``), as it would from the patient list.

Saving the form gives the editor the patient as now recorded (its strip and the assessment follow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from tpi_notes.domain.patient import PatientRecord
from tpi_notes.services import patients as patient_service
from tpi_notes.ui.editor.banners import PatientStrip
from tpi_notes.ui.patient_dialog import PatientDialog

if TYPE_CHECKING:
    from tpi_notes.ui.editor.window import SessionEditor

# The form's field for each history item (the allergies' question is their status combo).
_FIELDS = {"allergies": "allergy_status"}


def open_patient_at(editor: SessionEditor, item: str, message: str) -> PatientDialog:
    """The patient form, with ``message`` under the question ``item`` and the keyboard on it."""
    record = patient_service.get_patient(editor.ctx, editor.reference.patient.id)
    dialog = PatientDialog(editor.ctx, record, editor)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.patient_saved.connect(lambda saved: patient_changed(editor, saved))
    dialog.finished.connect(lambda _r: setattr(editor, "active_dialog", None))
    editor.active_dialog = dialog
    dialog.open()
    dialog.form.show_errors({_FIELDS.get(item, item): message})
    return dialog


def patient_changed(editor: SessionEditor, record: PatientRecord) -> None:
    """The editor's patient as saved: a new strip, and the findings and missing items worked out again."""
    editor.reference.patient = record
    strip = PatientStrip(record, editor)
    layout = editor.centralWidget().layout()
    layout.replaceWidget(editor.strip, strip)
    editor.strip.deleteLater()
    editor.strip = strip
    editor.findings.schedule()
