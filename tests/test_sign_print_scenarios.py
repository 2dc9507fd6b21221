"""Sign and print as an outside tester tries it (issue 16 item 7): the print system refusing the job, no default
printer, a preview that is not a print, the clinic's paper changed after a note was signed, and a session that
has not happened yet. The print system is a stand-in ``lp``/``lpstat`` on PATH (tests/fake_lp.py) that keeps
every job it is given, or refuses it as CUPS does; the app runs its real printing code against it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402
from fake_lp import FakeLp, fake_lp  # noqa: E402,F401
from principals import ALL_PERMISSIONS  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import select  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic  # noqa: E402

from tpi_notes.db.models import AftercarePrint, AuditEvent, User  # noqa: E402
from tpi_notes.services import aftercare_prefs, clinic_settings, drafts, login, sessions, signing_pin  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui import file_dialogs, pdf_preview  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.signing_dialog import MissingDialog, SignDialog  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402

PIN = "482915"


def _page_size(pdf: bytes) -> str:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Page size"))


def _text(pdf: bytes) -> str:
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                   check=True).stdout.decode().split())


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes shown (a modal box would wait for a click that never comes): their text, answered OK."""
    shown: list[str] = []

    def box(_parent: object, _title: str, text: str, *_a: object, **_k: object) -> QMessageBox.StandardButton:
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(box))
    return shown


@pytest.fixture
def doctor(ctx: AppContext) -> int:
    """The physician signed in to the app (their own session, so the PIN works) with a PIN set."""
    ensure_application()
    doctor = setup_clinic(ctx)
    with ctx.read() as s:
        user = s.get(User, doctor)
        assert user is not None
        name = user.username
    login.login(ctx, name, PASSWORD)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    return doctor


@pytest.fixture
def editors(qtbot: QtBot, ctx: AppContext) -> Iterator[list[SessionEditor]]:
    opened: list[SessionEditor] = []
    yield opened
    for editor in opened:
        if editor.signed_window is not None:
            editor.signed_window.close()
        editor.deleteLater()


def _open(qtbot: QtBot, ctx: AppContext, sid: int, opened: list[SessionEditor]) -> SessionEditor:
    draft = drafts.get_draft(ctx, sid)
    editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
    opened.append(editor)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    return editor


def _press_sign(qtbot: QtBot, editor: SessionEditor) -> QDialog | None:
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    return editor.active_dialog  # type: ignore[return-value]


def _sign_and_print(qtbot: QtBot, editor: SessionEditor, *, large: bool = False) -> SessionWindow:
    dialog = _press_sign(qtbot, editor)
    assert isinstance(dialog, SignDialog) and dialog.secret_label.text() == "PIN:"
    if large != dialog.large_print.isChecked():
        qtbot.mouseClick(dialog.large_print, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.secret, PIN)
    with qtbot.waitSignal(editor.session_signed):
        qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)  # the default button: Sign and print aftercare
    window = editor.signed_window
    assert isinstance(window, SessionWindow)
    return window


def _print_rows(ctx: AppContext, sid: int) -> list[tuple[str, bool]]:
    with ctx.read() as s:
        return [(r.lang, r.large_print) for r in
                s.scalars(select(AftercarePrint).where(AftercarePrint.session_id == sid).order_by(AftercarePrint.id))]


def _print_events(ctx: AppContext, sid: int) -> list[str]:
    with ctx.read() as s:
        return [d or "" for d in s.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "print", AuditEvent.entity == "session", AuditEvent.entity_id == sid)
            .order_by(AuditEvent.id))]


class _ChooseQueue:
    """Qt's print dialog as the user leaves it: the queue ``queue``, OK (or Cancel when ``queue`` is None)."""

    queue: str | None = None
    opened = 0

    def __init__(self, printer: QPrinter, _parent: object = None) -> None:
        self.printer = printer

    def setWindowTitle(self, _title: str) -> None:  # noqa: N802 - Qt API
        pass

    def setMinMax(self, _low: int, _high: int) -> None:  # noqa: N802 - Qt API
        pass

    def exec(self) -> int:
        type(self).opened += 1
        if self.queue is None:
            return QDialog.DialogCode.Rejected
        self.printer.setPrinterName(self.queue)
        return QDialog.DialogCode.Accepted


class _Printer(QPrinter):
    """Qt's printer, which knows the stand-in's queue: Qt reads its queues from CUPS itself, not from ``lp``."""

    def setPrinterName(self, name: str) -> None:  # noqa: N802 - Qt API
        self._queue = name

    def printerName(self) -> str:  # noqa: N802 - Qt API
        return getattr(self, "_queue", "")


def _choose(monkeypatch: pytest.MonkeyPatch, queue: str | None) -> type[_ChooseQueue]:
    chooser = type("Chooser", (_ChooseQueue,), {"queue": queue, "opened": 0})
    monkeypatch.setattr(file_dialogs, "PrintDialog", chooser)
    monkeypatch.setattr(pdf_preview, "QPrinter", _Printer)
    return chooser


def test_a_refused_print_after_signing_keeps_the_signature_records_no_print_and_prints_again_later(
        qtbot: QtBot, ctx: AppContext, doctor: int, fake_lp: FakeLp, boxes: list[str],  # noqa: F811
        editors: list[SessionEditor], monkeypatch: pytest.MonkeyPatch) -> None:
    patient = add_patient(ctx, family="Ortega", given="Lucía", language="es")
    sid = save_session(ctx, patient.id, doctor, 3)
    fake_lp.refuse("Unable to print: the printer is out of paper.")
    window = _sign_and_print(qtbot, _open(qtbot, ctx, sid, editors), large=True)
    assert sessions.get_session(ctx, sid).status == "signed"  # the signature is kept whatever the printer did
    said = window.message.text()
    assert "not printed" in said and "out of paper" in said and "Print aftercare" in said, said
    assert boxes == []  # said in the window, not in a box over it
    assert _print_rows(ctx, sid) == [] and _print_events(ctx, sid) == []  # nothing says it was handed over
    assert not aftercare_prefs.large_print_default(ctx, sid)  # a choice nobody got on paper is not remembered
    # Later, the printer fixed: the signed window prints it, in her language, large print as asked.
    fake_lp.accept()
    _choose(monkeypatch, fake_lp.queue)
    _answer_options_large(qtbot)
    qtbot.mouseClick(window.print_buttons["print_aftercare"], Qt.MouseButton.LeftButton)
    [job] = fake_lp.jobs
    assert "media=Letter" in job.args and "cuidado" in _text(job.pdf).lower()  # Spanish, sent as text
    assert _print_rows(ctx, sid) == [("es", True)]
    [event] = _print_events(ctx, sid)
    assert f"sent to {fake_lp.queue}" in event and "language es, large print" in event
    assert aftercare_prefs.large_print_default(ctx, sid)


def _answer_options_large(qtbot: QtBot) -> None:
    """In the aftercare options: tick large print when it is not, then Print…."""

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, pdf_preview.AftercareOptions):
            QTimer.singleShot(20, click)
            return
        if not dialog.large_print_check.isChecked():
            qtbot.mouseClick(dialog.large_print_check, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, click)


def test_sign_and_print_with_no_default_printer_says_so_without_a_dialog(
        qtbot: QtBot, ctx: AppContext, doctor: int, fake_lp: FakeLp, boxes: list[str],  # noqa: F811
        editors: list[SessionEditor], monkeypatch: pytest.MonkeyPatch) -> None:
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    fake_lp.no_default()
    chooser = _choose(monkeypatch, None)
    window = _sign_and_print(qtbot, _open(qtbot, ctx, sid, editors))
    assert sessions.get_session(ctx, sid).status == "signed"
    assert chooser.opened == 0  # one step: no print dialog popping up after the signature
    said = window.message.text()
    assert "no default printer" in said and "Print aftercare" in said, said
    assert fake_lp.jobs == [] and _print_rows(ctx, sid) == [] and _print_events(ctx, sid) == []


def _signed_window(ctx: AppContext, doctor: int) -> tuple[int, SessionWindow]:
    """A new patient's two-site session signed with the PIN, and its read-only window shown."""
    from tpi_notes.services.signing import sign_session

    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_session(ctx, sid, doctor, None, pin=PIN, row_version=drafts.get_draft(ctx, sid).row_version or 1)
    window = SessionWindow(sessions.get_session(ctx, sid), patient.display_name, {}, ctx=ctx)
    window.show()
    return sid, window


def test_a_preview_or_a_cancelled_print_is_not_recorded_as_a_sheet_handed_over(
        qtbot: QtBot, ctx: AppContext, doctor: int, fake_lp: FakeLp, boxes: list[str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    sid, window = _signed_window(ctx, doctor)
    try:
        qtbot.mouseClick(window.print_buttons["preview_aftercare"], Qt.MouseButton.LeftButton)
        preview = window.active_dialog
        assert isinstance(preview, pdf_preview.PdfPreview)
        preview.close()
        _choose(monkeypatch, None)  # the print dialog cancelled
        _answer_options_large(qtbot)
        qtbot.mouseClick(window.print_buttons["print_aftercare"], Qt.MouseButton.LeftButton)
        assert _print_rows(ctx, sid) == [] and _print_events(ctx, sid) == []
        assert not aftercare_prefs.large_print_default(ctx, sid)  # large print ticked, but nothing printed
        # From the preview's own Print: that one is a print.
        qtbot.mouseClick(window.print_buttons["preview_aftercare"], Qt.MouseButton.LeftButton)
        preview = window.active_dialog
        assert isinstance(preview, pdf_preview.PdfPreview)
        _choose(monkeypatch, fake_lp.queue)
        assert preview.print_document()
        assert len(fake_lp.jobs) == 1 and _print_rows(ctx, sid) == [("en", False)]
        preview.close()
    finally:
        window.close()
        window.deleteLater()


def _set_paper(ctx: AppContext, paper: str) -> None:
    own = ctx.principal
    ctx.act_as(ALL_PERMISSIONS)  # the administrator's setting
    settings = clinic_settings.get_settings(ctx)
    clinic_settings.update_settings(ctx, settings.__class__(**{**settings.__dict__, "paper_size": paper}))
    ctx.act_as(own)


def test_a_note_signed_on_letter_prints_on_a4_once_the_clinic_changes_its_paper(
        qtbot: QtBot, ctx: AppContext, fake_lp: FakeLp, boxes: list[str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a clinic root the note is PAdES-signed at signing, on the paper of that day; the paper copy printed
    after the clinic moved to A4 is laid out on A4 (the page itself, not only the lp option)."""
    from principals import ALL_PERMISSIONS as ANYONE
    from test_pades import ADMIN_PASSWORD, _admin, _as_doctor

    from tpi_notes.services import documents
    from tpi_notes.services.signing import sign_session

    ensure_application()
    doctor = setup_clinic(ctx)
    _admin(ctx)
    login.login(ctx, "lgrant", ADMIN_PASSWORD)  # the clinic root is made, the physician certified
    _as_doctor(ctx, doctor)
    patient = add_patient(ctx, family="Whitfield", given="Harriet")
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_session(ctx, sid, doctor, PASSWORD, row_version=drafts.get_draft(ctx, sid).row_version or 1)
    ctx.act_as(ANYONE)
    assert "(letter)" in _page_size(documents.procedure_note_pdf(ctx, sid))  # as signed, PAdES
    _set_paper(ctx, "a4")
    _choose(monkeypatch, fake_lp.queue)
    window = SessionWindow(sessions.get_session(ctx, sid), patient.display_name, {}, ctx=ctx)
    window.show()
    try:
        qtbot.mouseClick(window.print_buttons["print_note"], Qt.MouseButton.LeftButton)
        [job] = fake_lp.jobs
        assert "media=A4" in job.args
        assert "(A4)" in _page_size(job.pdf), _page_size(job.pdf)
        assert "Whitfield" in _text(job.pdf)
        assert "as PDF on A4 paper" in window.message.text()
    finally:
        window.close()
        window.deleteLater()


def test_a_session_that_starts_later_today_cannot_be_signed_yet(
        qtbot: QtBot, ctx: AppContext, doctor: int, boxes: list[str], editors: list[SessionEditor]) -> None:
    from tpi_notes.services.signing import NotReadyToSign, sign_session

    now = datetime.now().replace(second=0, microsecond=0)
    start = now + timedelta(minutes=90)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2, performed_start=start, performed_end=start + timedelta(minutes=20),
                       timeout_at=start + timedelta(minutes=2))
    # The service refuses whoever calls it (a draft prepared for later is fine; signing it is not).
    with pytest.raises(NotReadyToSign, match="after now"):
        sign_session(ctx, sid, doctor, None, pin=PIN, row_version=drafts.get_draft(ctx, sid).row_version or 1)
    # In the editor: Sign lists it, and the item goes to the start field.
    editor = _open(qtbot, ctx, sid, editors)
    shown = _press_sign(qtbot, editor)
    assert isinstance(shown, MissingDialog), shown
    items = [shown.list.item(i).text() for i in range(shown.list.count())]
    assert any("starts" in text and "after now" in text for text in items), items
    assert sessions.get_session(ctx, sid).status == "draft"
    shown.reject()


def test_an_empty_end_with_a_start_still_to_come_names_the_start_not_the_end(
        qtbot: QtBot, ctx: AppContext, doctor: int, boxes: list[str], editors: list[SessionEditor]) -> None:
    """The end would default to now, before the start: the problem to fix is the start, and no end is kept."""
    now = datetime.now().replace(second=0, microsecond=0)
    start = now + timedelta(minutes=90)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2, performed_start=start, performed_end=None)
    editor = _open(qtbot, ctx, sid, editors)
    shown = _press_sign(qtbot, editor)
    assert isinstance(shown, MissingDialog), shown
    items = [shown.list.item(i).text() for i in range(shown.list.count())]
    assert any("starts" in text and "after now" in text for text in items), items
    assert editor.pre.performed_end.value() is None and sessions.get_session(ctx, sid).status == "draft"
    shown.reject()


def test_the_notes_preview_is_a_view_and_only_a_note_that_went_out_is_a_print(
        qtbot: QtBot, ctx: AppContext, doctor: int, fake_lp: FakeLp, boxes: list[str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    sid, window = _signed_window(ctx, doctor)

    def events(action: str) -> list[str]:
        with ctx.read() as s:
            return [d or "" for d in s.scalars(select(AuditEvent.detail).where(
                AuditEvent.action == action, AuditEvent.entity_id == sid,
                AuditEvent.detail.like("procedure note%")).order_by(AuditEvent.id))]

    try:
        qtbot.mouseClick(window.print_buttons["preview_note"], Qt.MouseButton.LeftButton)
        preview = window.active_dialog
        assert isinstance(preview, pdf_preview.PdfPreview)
        preview.close()
        assert len(events("view")) == 1 and events("print") == []  # looked at, not printed
        _choose(monkeypatch, None)
        qtbot.mouseClick(window.print_buttons["print_note"], Qt.MouseButton.LeftButton)  # dialog cancelled
        fake_lp.refuse("Unable to print: the printer is out of paper.")
        _choose(monkeypatch, fake_lp.queue)
        qtbot.mouseClick(window.print_buttons["print_note"], Qt.MouseButton.LeftButton)  # refused by lp
        assert any("out of paper" in text for text in boxes) and events("print") == []
        fake_lp.accept()
        qtbot.mouseClick(window.print_buttons["print_note"], Qt.MouseButton.LeftButton)
        [printed] = events("print")
        assert f"sent to {fake_lp.queue} as PDF on Letter, job {fake_lp.queue}-1" in printed, printed
        assert len(fake_lp.jobs) == 1
    finally:
        window.close()
        window.deleteLater()
