"""Sign in one step (issue 16 items 3, 4, 7): Sign saves a changed draft first, an empty end time becomes the
moment of signing, the signing PIN is offered only in the signer's own session, and the signed window has
Preview and Print. Driven as a user would: clicks and typing into the real dialogs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic  # noqa: E402
from test_ui_editor_fixtures import discard_and_close  # noqa: E402

from tpi_notes.db.models import User  # noqa: E402
from tpi_notes.services import drafts, login, sessions, signing_pin  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.ui.app import ensure_application  # noqa: E402
from tpi_notes.ui.editor import signing_dialog  # noqa: E402
from tpi_notes.ui.editor.reference import load_reference  # noqa: E402
from tpi_notes.ui.editor.signing_dialog import MissingDialog, SignDialog  # noqa: E402
from tpi_notes.ui.editor.window import SessionEditor  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402

PIN = "482915"
OpenEditor = Callable[[int], SessionEditor]


@pytest.fixture
def doctor(ctx: AppContext) -> int:
    ensure_application()
    return setup_clinic(ctx)


@pytest.fixture
def open_editor(qtbot: QtBot, ctx: AppContext, doctor: int) -> Iterator[OpenEditor]:
    opened: list[SessionEditor] = []

    def make(session_id: int) -> SessionEditor:
        draft = drafts.get_draft(ctx, session_id)
        editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
        opened.append(editor)
        editor.show()
        qtbot.waitExposed(editor)
        editor.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
        return editor

    yield make
    for editor in opened:
        if editor.signed_window is not None:
            editor.signed_window.close()
        discard_and_close(editor)


def sign_in(ctx: AppContext, user_id: int, password: str = PASSWORD) -> None:
    with ctx.read() as s:
        user = s.get(User, user_id)
        assert user is not None
        name = user.username
    login.login(ctx, name, password)


def press_sign(qtbot: QtBot, editor: SessionEditor) -> SignDialog | MissingDialog | None:
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    return editor.active_dialog  # type: ignore[return-value]


def test_sign_on_a_changed_draft_saves_it_then_signs_with_the_end_at_the_moment_of_signing(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor) -> None:
    patient = add_patient(ctx)
    start = datetime.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    sid = save_session(ctx, patient.id, doctor, 3, performed_start=start, performed_end=None)
    editor = open_editor(sid)
    editor.pre.indication.setFocus()
    qtbot.keyClick(editor.pre.indication, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor.pre.indication, "; worse at the desk")
    assert editor.is_dirty() and editor.editor_actions.sign.isEnabled()  # no "save first" any more
    before = datetime.now().replace(second=0, microsecond=0)
    dialog = press_sign(qtbot, editor)
    assert isinstance(dialog, SignDialog) and dialog.isVisible()
    assert not editor.is_dirty()  # saved by Sign, before the password is asked
    assert "worse at the desk" in drafts.get_draft(ctx, sid).indication
    assert "it was empty, so the end is the moment of signing" in dialog.ended.text()
    assert dialog.mode == signing_dialog.PASSWORD_MODE  # the test's principal is nobody's session: no PIN
    qtbot.keyClicks(dialog.secret, PASSWORD)
    with qtbot.waitSignal(editor.session_signed):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    record = sessions.get_session(ctx, sid)
    assert record.status == "signed" and record.indication.endswith("; worse at the desk")
    assert record.performed_end is not None and before <= record.performed_end <= datetime.now()
    window = editor.signed_window
    assert isinstance(window, SessionWindow) and "Signed at" in window.message.text()
    for key in ("preview_note", "print_note", "preview_aftercare", "print_aftercare"):
        assert window.print_buttons[key].isVisible()


def test_sign_refuses_clearly_when_the_save_is_refused(qtbot: QtBot, ctx: AppContext, doctor: int,
                                                       open_editor: OpenEditor) -> None:
    """A draft started two days ago with no end: "now" would make a 48-hour procedure, which no save accepts."""
    patient = add_patient(ctx)
    start = datetime.now().replace(second=0, microsecond=0) - timedelta(days=2)
    sid = save_session(ctx, patient.id, doctor, 2, performed_start=start, performed_end=None)
    editor = open_editor(sid)
    qtbot.keyClicks(editor.pre.indication, " (left side worse)")
    shown = press_sign(qtbot, editor)
    assert not isinstance(shown, SignDialog)
    assert sessions.get_session(ctx, sid).status == "draft"
    said = editor.statusBar().currentMessage() or (
        " ".join(shown.list.item(i).text() for i in range(shown.list.count())) if isinstance(shown, MissingDialog)
        else "")
    assert "Not signed" in said or "12 hours" in said
    assert editor.pre.performed_end.value() is None  # the end was not left at a time nobody chose


def test_the_pin_signs_in_the_physicians_own_session_and_five_wrong_ones_fall_back_to_the_password(
        qtbot: QtBot, ctx: AppContext, doctor: int, open_editor: OpenEditor) -> None:
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_in(ctx, doctor)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    editor = open_editor(sid)
    dialog = press_sign(qtbot, editor)
    assert isinstance(dialog, SignDialog) and dialog.mode == signing_dialog.PIN_MODE
    assert dialog.secret_label.text() == "PIN:" and dialog.use_password.isVisible()
    for attempt in range(5):
        qtbot.keyClicks(dialog.secret, "000001")
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and "not correct" in dialog.error.text(), attempt
    assert dialog.mode == signing_dialog.PASSWORD_MODE and dialog.pin_note.isVisible()  # locked: password now
    assert sessions.get_session(ctx, sid).status == "draft"
    qtbot.keyClicks(dialog.secret, PASSWORD)
    with qtbot.waitSignal(editor.session_signed):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert sessions.get_session(ctx, sid).status == "signed"


def test_another_users_session_is_offered_the_password_only(qtbot: QtBot, ctx: AppContext, doctor: int,
                                                             open_editor: OpenEditor) -> None:
    from tpi_notes.services import accounts, staff

    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_in(ctx, doctor)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    login.sign_out(ctx)
    from principals import ALL_PERMISSIONS

    ctx.act_as(ALL_PERMISSIONS)
    nurse = staff.add_staff(ctx, "Rosa Diaz", "RN", ("nurse", "physician"))
    accounts.set_password(ctx, nurse.id, "Fresh-password-77")
    sign_in(ctx, nurse.id, "Fresh-password-77")
    editor = open_editor(sid)
    dialog = press_sign(qtbot, editor)
    assert isinstance(dialog, SignDialog) and dialog.mode == signing_dialog.PASSWORD_MODE
    assert not dialog.use_password.isVisible()
    dialog.reject()


def test_cancelling_the_sign_dialog_leaves_no_end_time_nobody_chose(qtbot: QtBot, ctx: AppContext, doctor: int,
                                                                    open_editor: OpenEditor) -> None:
    patient = add_patient(ctx)
    start = datetime.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    sid = save_session(ctx, patient.id, doctor, 2, performed_start=start, performed_end=None)
    editor = open_editor(sid)
    dialog = press_sign(qtbot, editor)
    assert isinstance(dialog, SignDialog) and editor.pre.performed_end.value() is not None
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: editor.active_dialog is None)
    assert editor.pre.performed_end.value() is None and not editor.is_dirty()
    assert drafts.get_draft(ctx, sid).performed_end is None and sessions.get_session(ctx, sid).status == "draft"
