"""The findings panel, Sign…, and addenda in the UI: real SQLite, offscreen Qt, dialogs answered by the test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import replace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic, sign  # noqa: E402
from test_ui_editor_fixtures import discard_and_close  # noqa: E402

from tpi_notes.domain.draft import SessionDraft  # noqa: E402
from tpi_notes.services import clinic as clinic_service  # noqa: E402
from tpi_notes.services import drafts, sessions, staff  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.addendum_dialog import AddendumDialog  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor import signing_dialog  # noqa: E402
from tpi_notes.ui.editor.findings_panel import ReasonDialog  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.signing_dialog import MissingDialog  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402

OpenEditor = Callable[[int], SessionEditor]


@pytest.fixture
def doctor(ctx: AppContext) -> int:
    ensure_application()
    return setup_clinic(ctx)


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """QMessageBox statics answer Yes / Ok without blocking; each call is recorded as (kind, text)."""
    calls: list[tuple[str, str]] = []

    def fake(kind: str) -> Callable[..., Any]:
        def box(_parent: object, _title: str, text: str, *args: object, **kwargs: object) -> Any:
            calls.append((kind, text))
            return QMessageBox.StandardButton.Yes if kind == "question" else QMessageBox.StandardButton.Ok
        return box

    for kind in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(fake(kind)))
    return calls


@pytest.fixture
def open_editor(qtbot: QtBot, ctx: AppContext, doctor: int, boxes: list) -> Iterator[OpenEditor]:
    """An editor on a saved draft (shown offscreen); closed without questions afterwards."""
    opened: list[SessionEditor] = []

    def make(session_id: int) -> SessionEditor:
        draft = drafts.get_draft(ctx, session_id)
        editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
        opened.append(editor)
        editor.show()
        qtbot.waitExposed(editor)
        return editor

    yield make
    for editor in opened:
        discard_and_close(editor)


@pytest.fixture
def keep() -> Iterator[list[QWidget]]:
    """Top-level windows the test opens, kept alive (qtbot holds weak references) and closed after."""
    windows: list[QWidget] = []
    yield windows
    for window in windows:
        window.close()
        window.deleteLater()


def _stop(editor: SessionEditor, code: str):  # noqa: ANN202 - a Finding
    assert editor.findings.assessment is not None
    return next(f for f in editor.findings.assessment.findings if f.code == code)


def test_a_pregnant_patient_stop_needs_a_reason_that_is_saved_with_the_draft(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor) -> None:
    patient = add_patient(ctx, pregnant=True)
    sid = save_session(ctx, patient.id, doctor, 3)
    editor = open_editor(sid)
    stop = _stop(editor, "pregnancy")
    assert stop.severity == "stop" and stop.blocks_signing
    label = editor.findings.rows["finding:pregnancy:"]
    assert "STOP" in label.text() and "pregnant" in label.text() and label.toolTip().startswith("Source:")
    assert label.isVisible()
    button = editor.findings.buttons["finding:pregnancy:"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = editor.findings.active_dialog
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    dialog.reason.setPlainText("   \n ")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.error.isVisible()  # a blank reason is refused
    assert _stop(editor, "pregnancy").blocks_signing and not editor.isWindowModified()
    dialog.reason.setPlainText("Discussed with her obstetrician; lidocaine only benefits outweigh the risk.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.findings.active_dialog is None)
    stop = _stop(editor, "pregnancy")
    assert stop.override_reason.startswith("Discussed with her obstetrician") and not stop.blocks_signing
    assert editor.findings.assessment is not None
    assert not any(m.field.startswith("finding:pregnancy") for m in editor.findings.assessment.missing)
    assert "Proceeding" in editor.findings.rows["finding:pregnancy:"].text()
    assert editor.isWindowModified() and editor.editor_actions.sign.isEnabled()  # Sign saves first (issue 16)
    assert editor.save()
    stored = drafts.get_draft(ctx, sid).overrides
    assert [(o.code, o.reason) for o in stored] == [
        ("pregnancy", "Discussed with her obstetrician; lidocaine only benefits outweigh the risk.")]
    assert editor.editor_actions.sign.isEnabled()


def test_the_codes_name_the_muscles_and_follow_the_sites_live(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor) -> None:
    patient = add_patient(ctx)
    editor = open_editor(save_session(ctx, patient.id, doctor, 3))
    text = editor.findings.codes_label.text()
    assert "20553" in text
    assert "3 muscles (injection): R upper trapezius, L upper trapezius, R levator scapulae → 20553" in text
    assert "J3301" in text  # triamcinolone, in billing units
    assert "bundled" in text.lower()
    editor.document.remove(editor.document.key_at(2))  # two muscles left: recomputed after a short pause
    qtbot.waitUntil(lambda: "20552" in editor.findings.codes_label.text())
    assert "20553" not in editor.findings.codes_label.text()


def _sign_dialog(editor: SessionEditor) -> signing_dialog.SignDialog:
    editor.editor_actions.sign.trigger()
    dialog = editor.active_dialog
    assert isinstance(dialog, signing_dialog.SignDialog) and dialog.isVisible()
    return dialog


def _type_and_sign(qtbot: QtBot, dialog: signing_dialog.SignDialog, secret: str, *, then_print: bool = False) -> None:
    """Type the password or PIN as a user would and click Sign (or Sign and print aftercare)."""
    dialog.secret.selectAll()
    qtbot.keyClicks(dialog.secret, secret)
    button = dialog.sign_and_print_button if then_print else dialog.sign_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _activate(qtbot: QtBot, editor: QWidget) -> None:
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)


def test_signing_an_incomplete_note_lists_what_is_missing_and_goes_there(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing_dialog, "SignDialog", lambda *_a, **_k: pytest.fail("no password for an incomplete note"))
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 3, pain_before=None, relief_pct=None)
    editor = open_editor(sid)
    _activate(qtbot, editor)
    assert editor.editor_actions.sign.isEnabled()
    editor.editor_actions.sign.trigger()
    dialog = editor.active_dialog
    assert isinstance(dialog, MissingDialog) and dialog.isVisible()
    items = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert "Record the pain score before (NRS 0–10)." in items
    assert "Record the immediate relief in % (payers audit it)." in items
    row = items.index("Record the pain score before (NRS 0–10).")
    rect = dialog.list.visualItemRect(dialog.list.item(row))
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: editor.focusWidget() is editor.pre.pain_before)
    assert editor.tabs.currentWidget() is editor.tab_pages["pre"]
    assert sessions.get_session(ctx, sid).status == "draft"


def test_a_complete_note_signs_with_the_right_password_only(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor, boxes: list,
        monkeypatch: pytest.MonkeyPatch) -> None:
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 3)
    editor = open_editor(sid)
    dialog = _sign_dialog(editor)
    _type_and_sign(qtbot, dialog, "not the password")
    assert dialog.isVisible() and "not correct" in dialog.error.text()  # it stays open: type it again
    assert sessions.get_session(ctx, sid).status == "draft" and editor.isVisible()
    with qtbot.waitSignal(editor.session_signed):
        _type_and_sign(qtbot, dialog, PASSWORD)
    assert sessions.get_session(ctx, sid).status == "signed"
    assert not editor.isVisible()
    window = editor.signed_window
    assert isinstance(window, SessionWindow) and window.isVisible()
    qtbot.addWidget(window)
    status = window.findChild(QWidget, "session_status")
    assert status.text().startswith("Signed by Amelia Hart") and status.text().endswith("— locked")


def test_a_physician_without_a_password_is_offered_one(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor, boxes: list,
        monkeypatch: pytest.MonkeyPatch) -> None:
    newcomer = staff.add_staff(ctx, "Noor Haddad", "DO", ("physician",))
    patient = add_patient(ctx)
    editor = open_editor(save_session(ctx, patient.id, newcomer.id, 2))
    monkeypatch.setattr(signing_dialog, "ask_new_password", lambda *_a: "Fresh-password-77")
    with qtbot.waitSignal(editor.session_signed):
        _type_and_sign(qtbot, _sign_dialog(editor), "anything")
    assert any(kind == "question" and "no password yet" in text for kind, text in boxes)
    assert editor.signed_window is not None
    qtbot.addWidget(editor.signed_window)
    assert sessions.get_session(ctx, editor.draft_id or 0).status == "signed"


def test_an_addendum_is_added_from_the_read_only_window(qtbot: QtBot, ctx: AppContext, doctor: int,
                                                        keep: list[QWidget]) -> None:
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, sid, doctor)
    before = sessions.get_session(ctx, sid)
    formulary = {item.code: item for item in clinic_service.list_formulary(ctx, include_retired=True)}
    window = SessionWindow(before, patient.display_name, formulary, ctx=ctx)
    keep.append(window)
    window.show()
    assert window.addendum_button.isVisible()
    qtbot.mouseClick(window.addendum_button, Qt.MouseButton.LeftButton)
    dialog = window.active_dialog
    assert isinstance(dialog, AddendumDialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("correction"))
    dialog.text.setPlainText("Site 2 was the LEFT upper trapezius.")
    dialog.password.setText("wrong password")
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "not correct" in dialog.error.text()
    assert sessions.get_session(ctx, sid).addenda == ()
    dialog.password.setText(PASSWORD)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.active_dialog is None)
    after = sessions.get_session(ctx, sid)
    assert [(a.kind, a.text) for a in after.addenda] == [("correction", "Site 2 was the LEFT upper trapezius.")]
    assert replace(after, addenda=()) == replace(before, addenda=())
    assert "Site 2 was the LEFT upper trapezius." in window.details.toPlainText()
    assert "Correction" in window.details.toPlainText()


def test_a_draft_window_offers_no_addendum(ctx: AppContext, doctor: int, keep: list[QWidget]) -> None:
    patient = add_patient(ctx)
    record = sessions.get_session(ctx, save_session(ctx, patient.id, doctor, 1))
    window = SessionWindow(record, patient.display_name, {}, ctx=ctx)
    keep.append(window)
    assert window.addendum_button.isHidden()
    assert isinstance(drafts.get_draft(ctx, record.id), SessionDraft)


def test_unreviewed_allergies_stop_signing_and_open_the_patient_form_at_the_question(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 2: "not asked" is not "no". The missing item goes to the patient form (the history lives on
    the patient); answering there lets the note be signed."""
    from tpi_notes.domain.history_answers import History
    from tpi_notes.ui.patient_dialog import PatientDialog

    monkeypatch.setattr(signing_dialog, "SignDialog", lambda *_a, **_k: pytest.fail("no password for an incomplete note"))
    patient = add_patient(ctx, history=History())  # 65-year-old woman: allergies never asked
    sid = save_session(ctx, patient.id, doctor, 1, syringe=(("lidocaine-1", 2.0),))
    editor = open_editor(sid)
    _activate(qtbot, editor)
    assert "Allergies: not recorded" in [b.text() for b in editor.strip.findChildren(QWidget) if hasattr(b, "kind")]
    editor.editor_actions.sign.trigger()
    dialog = editor.active_dialog
    assert isinstance(dialog, MissingDialog)
    items = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    row = next(i for i, text in enumerate(items) if "No known allergies" in text)
    assert not any("pregnancy" in text for text in items)  # not asked of a 65-year-old
    rect = dialog.list.visualItemRect(dialog.list.item(row))
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: isinstance(editor.active_dialog, PatientDialog))
    form_dialog = editor.active_dialog
    status = form_dialog.form.inputs["allergy_status"]
    assert "No known allergies" in form_dialog.form.errors["allergy_status"].text()
    status.setFocus()
    qtbot.keyClick(status, Qt.Key.Key_Down)  # Not asked -> No known allergies
    assert status.currentText() == "No known allergies"
    qtbot.mouseClick(form_dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form_dialog.isVisible())
    assert "No known allergies" in [b.text() for b in editor.strip.findChildren(QWidget) if hasattr(b, "kind")]
    assessment = editor.findings.refresh_now()
    assert assessment is not None and not [m for m in assessment.missing if m.field.startswith("patient.")]


def test_a_cancelled_addendum_records_nothing_and_the_window_offers_it_again(
        qtbot: QtBot, ctx: AppContext, doctor: int, keep: list[QWidget]) -> None:
    from PySide6.QtWidgets import QPushButton

    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign(ctx, sid, doctor)
    window = SessionWindow(sessions.get_session(ctx, sid), patient.display_name, {}, ctx=ctx)
    keep.append(window)
    window.show()
    for _ in range(2):  # cancel, then open it again: the first dialog is gone, the window still answers
        qtbot.mouseClick(window.addendum_button, Qt.MouseButton.LeftButton)
        dialog = window.active_dialog
        assert isinstance(dialog, AddendumDialog)
        qtbot.waitExposed(dialog)
        dialog.text.setFocus()
        qtbot.keyClicks(dialog.text, "Typed, then thought better of it.")
        cancel = next(b for b in dialog.findChildren(QPushButton) if b.text().replace("&", "") == "Cancel")
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.active_dialog is None)
    assert sessions.get_session(ctx, sid).addenda == ()
