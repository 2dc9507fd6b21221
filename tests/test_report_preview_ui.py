"""The PDF preview window, printing through Qt, and the main window's "Preview note" / "Print aftercare…"."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtPdfWidgets import QPdfView  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QDialog  # noqa: E402
from sqlalchemy import select  # noqa: E402
from test_report_support import add_patient, pdf_pages, save_session, setup_clinic  # noqa: E402

from tpi_notes.db.models import AuditEvent  # noqa: E402
from tpi_notes.services import documents  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.demo import build_demo  # noqa: E402
from tpi_notes.ui import file_dialogs, pdf_preview  # noqa: E402
from tpi_notes.ui.app import create_main_window  # noqa: E402


@pytest.fixture
def note_pdf(ctx: AppContext) -> bytes:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    return documents.procedure_note_pdf(ctx, save_session(ctx, patient.id, doctor, 12))


def _pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setResolution(96)
    return printer


def test_preview_shows_every_page_fitted_to_the_width(qtbot, note_pdf: bytes) -> None:  # noqa: ANN001
    window = pdf_preview.PdfPreview(note_pdf, "Procedure note", "note.pdf")
    qtbot.addWidget(window)
    window.show()
    pages = len(pdf_pages(note_pdf))
    assert pages >= 2 and window.document.pageCount() == pages
    assert window.view.pageMode() == QPdfView.PageMode.MultiPage
    assert window.view.zoomMode() == QPdfView.ZoomMode.FitToWidth
    assert window.statusBar().currentMessage() == f"{pages} pages"
    window.zoom(1.25)
    assert window.view.zoomMode() == QPdfView.ZoomMode.Custom
    window.fit_width()
    assert window.view.zoomMode() == QPdfView.ZoomMode.FitToWidth


def test_printing_renders_each_page_into_the_printer(qtbot, note_pdf: bytes, tmp_path: Path) -> None:  # noqa: ANN001
    document, buffer = pdf_preview.load_pdf(note_pdf)
    pages = document.pageCount()
    out = tmp_path / "printed.pdf"
    assert pdf_preview.print_pdf(document, _pdf_printer(out)) == pages
    assert len(pdf_pages(out.read_bytes())) == pages
    ranged = _pdf_printer(tmp_path / "page2.pdf")
    ranged.setFromTo(2, 2)
    assert pdf_preview.print_pdf(document, ranged) == 1
    buffer.close()


def test_save_as_writes_the_document_or_says_why_not(qtbot, note_pdf: bytes, tmp_path: Path,  # noqa: ANN001
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    window = pdf_preview.PdfPreview(note_pdf, "Procedure note", "note.pdf")
    qtbot.addWidget(window)
    target = tmp_path / "saved.pdf"
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: target)
    assert window.save_as() is True and target.read_bytes() == note_pdf
    errors: list[str] = []
    monkeypatch.setattr(pdf_preview, "show_error", lambda _parent, exc, *a: errors.append(str(exc)))
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: tmp_path / "missing" / "x.pdf")
    assert window.save_as() is False and errors and "Cannot save" in errors[0]
    monkeypatch.setattr(file_dialogs, "ask_save_path", lambda *a, **k: None)
    assert window.save_as() is False


class _FakePrintDialog:
    """Stands in for the print dialog (file_dialogs.PrintDialog): "prints" to a PDF file at a low resolution."""

    target: Path

    def __init__(self, printer: QPrinter, _parent: object = None) -> None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(self.target))
        printer.setResolution(96)

    def setWindowTitle(self, _title: str) -> None:  # noqa: N802 - Qt API
        pass

    def setMinMax(self, _low: int, _high: int) -> None:  # noqa: N802 - Qt API
        pass

    def exec(self) -> int:
        return QDialog.DialogCode.Accepted


def test_main_window_previews_the_note_and_prints_aftercare(qtbot, ctx: AppContext, tmp_path: Path,  # noqa: ANN001
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    build_demo(ctx, patients=5, sessions=20, seed=3)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    window.patient_list.select_patient(2)
    qtbot.waitUntil(lambda: window.patient_view.session_model.rowCount() > 0)
    assert not window.print_aftercare_action.isEnabled() and window.print_aftercare() is False
    assert window.print_aftercare_action.shortcut().toString() == "Ctrl+P"
    table = window.patient_view.session_view
    assert window.print_aftercare_action in table.actions() and window.preview_note_action in table.actions()
    table.setCurrentIndex(window.patient_view.session_model.index(0, 0))
    assert window.print_aftercare_action.isEnabled() and window.preview_note_action.isEnabled()
    session_id = window.selected_session_id()

    preview = window.preview_note()
    assert isinstance(preview, pdf_preview.PdfPreview)
    qtbot.addWidget(preview)
    assert preview.document.pageCount() >= 2 and f"session #{session_id}" in preview.windowTitle()

    chosen: dict[str, object] = {}

    def answer(dialog: pdf_preview.AftercareOptions) -> int:
        chosen["default"] = dialog.language()
        dialog.large_print_check.setChecked(True)
        return QDialog.DialogCode.Accepted

    _FakePrintDialog.target = tmp_path / "aftercare.pdf"
    monkeypatch.setattr(pdf_preview.AftercareOptions, "exec", answer)
    monkeypatch.setattr(file_dialogs, "PrintDialog", _FakePrintDialog)
    assert window.print_aftercare() is True
    assert chosen["default"] == window.current_patient.language
    assert len(pdf_pages(_FakePrintDialog.target.read_bytes())) >= 3  # large print runs longer
    with ctx.transaction() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "print").order_by(AuditEvent.id.desc())
                          ).first()
    assert event is not None and event.entity_id == session_id and "large print" in event.detail

    def preview_instead(dialog: pdf_preview.AftercareOptions) -> int:
        dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("es"))
        dialog.preview_button.click()
        return dialog.result()

    monkeypatch.setattr(pdf_preview.AftercareOptions, "exec", preview_instead)
    sheet = window.print_aftercare()
    assert isinstance(sheet, pdf_preview.PdfPreview)
    qtbot.addWidget(sheet)
    assert sheet.file_name.endswith("-es.pdf")
