"""Printing sends the PDF itself to CUPS, on the clinic's paper (issue 16 item 7 acceptance): the aftercare sheet
after "Sign and print aftercare" and the note from the signed window, to a CUPS-PDF queue of a private CUPS
server (tests/cups_pdf.py). The files CUPS-PDF writes must hold text (pdftotext finds the patient's words, so the
pages went as vectors, not images) on Letter paper (pdfinfo "612 x 792"), or A4 when the clinic says so."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from cups_pdf import PdfQueue, cups_pdf_queue  # noqa: E402,F401
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import select  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic  # noqa: E402

from tpi_notes import printing  # noqa: E402
from tpi_notes.db.models import AftercarePrint, User  # noqa: E402
from tpi_notes.services import aftercare_prefs, clinic_settings, drafts, login, sessions, signing_pin  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui import file_dialogs  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.signing_dialog import SignDialog  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402

PIN = "482915"
# Alone, after the parallel part (.ci/pytest-phases.sh): a cupsd of its own per test, and Qt's print support
# reads CUPS_SERVER once per process.
pytestmark = pytest.mark.serial


def _info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def _text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


@pytest.fixture
def doctor(ctx: AppContext) -> int:
    ensure_application()
    doctor = setup_clinic(ctx)
    with ctx.read() as s:
        user = s.get(User, doctor)
        assert user is not None
        name = user.username
    login.login(ctx, name, PASSWORD)  # the physician's own session: the PIN works here
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    return doctor


def test_sign_and_print_sends_the_aftercare_sheet_to_cups_as_vector_text_on_letter(
        qtbot: QtBot, ctx: AppContext, doctor: int, cups_pdf_queue: PdfQueue) -> None:  # noqa: F811
    assert printing.default_queue() == cups_pdf_queue.name
    patient = add_patient(ctx, family="Whitfield", given="Harriet")
    sid = save_session(ctx, patient.id, doctor, 3)
    draft = drafts.get_draft(ctx, sid)
    editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = editor.active_dialog
    assert isinstance(dialog, SignDialog) and dialog.secret_label.text() == "PIN:"
    assert not dialog.large_print.isChecked()  # nothing remembered for her yet
    qtbot.mouseClick(dialog.large_print, Qt.MouseButton.LeftButton)
    before = cups_pdf_queue.existing()
    qtbot.keyClicks(dialog.secret, PIN)
    with qtbot.waitSignal(editor.session_signed):
        qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)  # Enter: the default button, Sign and print aftercare
    window = editor.signed_window
    assert isinstance(window, SessionWindow)
    try:
        assert sessions.get_session(ctx, sid).status == "signed"
        [sheet] = cups_pdf_queue.wait_for(qtbot.waitUntil, before)
        assert "612 x 792 pts (letter)" in _info(sheet)
        words = _text(sheet)
        assert "Whitfield" in words and "trigger point" in words.lower()  # text, so vectors: not page images
        assert f"sent to {cups_pdf_queue.name} as PDF on Letter paper" in window.message.text()
        assert aftercare_prefs.large_print_default(ctx, sid)  # remembered for her next sheet
        with ctx.read() as s:  # the print is recorded as every aftercare print is (issue 13)
            rows = s.scalars(select(AftercarePrint).where(AftercarePrint.session_id == sid)).all()
            assert [(r.lang, r.large_print) for r in rows] == [("en", True)]
    finally:
        window.close()
        window.deleteLater()
        editor.deleteLater()


class _ChooseQueue:
    """The print dialog as the user leaves it: the default printer, OK."""

    def __init__(self, printer: QPrinter, _parent: object = None) -> None:
        self.printer = printer

    def setWindowTitle(self, _title: str) -> None:  # noqa: N802 - Qt API
        pass

    def setMinMax(self, _low: int, _high: int) -> None:  # noqa: N802 - Qt API
        pass

    def exec(self) -> int:
        self.printer.setPrinterName(os.environ.get("TPI_TEST_QUEUE", ""))
        return QDialog.DialogCode.Accepted


def test_the_signed_window_prints_the_note_to_cups_as_pdf_on_the_clinics_a4(
        qtbot: QtBot, ctx: AppContext, doctor: int, cups_pdf_queue: PdfQueue,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from principals import ALL_PERMISSIONS

    from tpi_notes.services import documents
    from tpi_notes.services.signing import sign_session

    patient = add_patient(ctx, family="Whitfield", given="Harriet")
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_session(ctx, sid, doctor, None, pin=PIN, row_version=drafts.get_draft(ctx, sid).row_version or 1)
    own = ctx.principal
    ctx.act_as(ALL_PERMISSIONS)  # the administrator's setting
    clinic_settings.update_settings(ctx, clinic_settings.get_settings(ctx).__class__(
        **{**clinic_settings.get_settings(ctx).__dict__, "paper_size": "a4"}))
    ctx.act_as(own)
    assert "(A4)" in subprocess.run(["pdfinfo", "-"], input=documents.procedure_note_pdf(ctx, sid),
                                    capture_output=True, check=True).stdout.decode()
    monkeypatch.setenv("TPI_TEST_QUEUE", cups_pdf_queue.name)
    monkeypatch.setattr(file_dialogs, "PrintDialog", _ChooseQueue)
    window = SessionWindow(sessions.get_session(ctx, sid), patient.display_name, {}, ctx=ctx)
    window.show()
    try:
        before = cups_pdf_queue.existing()
        qtbot.mouseClick(window.print_buttons["print_note"], Qt.MouseButton.LeftButton)
        [note] = cups_pdf_queue.wait_for(qtbot.waitUntil, before)
        assert "(A4)" in _info(note)
        words = _text(note)
        assert "Whitfield" in words and "Procedure note" in words
        assert "as PDF on A4 paper" in window.message.text()
    finally:
        window.close()
        window.deleteLater()


def test_a_queue_that_does_not_exist_is_named_in_one_line(cups_pdf_queue: PdfQueue) -> None:  # noqa: F811
    with pytest.raises(printing.PrintError, match="Not printed on NO_SUCH_QUEUE: .*does not exist"):
        printing.send_pdf(b"%PDF-1.4\n", "NO_SUCH_QUEUE", paper="letter", title="nothing")
