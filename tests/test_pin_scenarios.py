"""The signing PIN as an outside tester tries it (issue 16 item 7): what typed at signing counts as a wrong PIN.

Only a guess that could be someone's PIN is counted towards the lock of five: a slip that no PIN can be (too
short, a letter, a space) is refused at once and counted nothing, so a physician's typo never locks them out,
and an attacker learns nothing from it either (no PIN could match it)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from sqlalchemy import select  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic  # noqa: E402

from tpi_notes.db.models import AuditEvent, SigningPin, User  # noqa: E402
from tpi_notes.domain.errors import TpiError  # noqa: E402
from tpi_notes.services import drafts, login, sessions, signing_pin  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.signing import sign_session  # noqa: E402

PIN = "482915"


def _signed_in_with_pin(ctx: AppContext) -> int:
    doctor = setup_clinic(ctx)
    with ctx.read() as s:
        user = s.get(User, doctor)
        assert user is not None
        name = user.username
    login.login(ctx, name, PASSWORD)
    signing_pin.set_signing_pin(ctx, PASSWORD, PIN)
    return doctor


def _failures(ctx: AppContext) -> int:
    with ctx.read() as s:
        return s.scalar(select(SigningPin.failed_attempts)) or 0


@pytest.mark.parametrize("typed", ["48291", "4829150000000", "48291a", " 482915", "482 915", "４８２９１５", "abcdef"])
def test_a_slip_no_pin_can_be_is_refused_uncounted_and_the_pin_still_signs(ctx: AppContext, typed: str) -> None:
    doctor = _signed_in_with_pin(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    version = drafts.get_draft(ctx, sid).row_version or 1
    for _ in range(6):  # more than the five that lock
        with pytest.raises(TpiError) as refused:
            sign_session(ctx, sid, doctor, None, pin=typed, row_version=version)
        assert "not counted" in str(refused.value) and not isinstance(refused.value, signing_pin.WrongPinError)
    assert _failures(ctx) == 0 and signing_pin.pin_state(ctx).state == signing_pin.READY
    assert sign_session(ctx, sid, doctor, None, pin=PIN, row_version=version).status == "signed"


def test_a_real_guess_is_still_counted_and_audited(ctx: AppContext) -> None:
    """The other side: a well-formed wrong PIN counts, and the slip before it is audited as refused."""
    doctor = _signed_in_with_pin(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    version = drafts.get_draft(ctx, sid).row_version or 1
    with pytest.raises(TpiError, match="not counted"):
        sign_session(ctx, sid, doctor, None, pin="4829", row_version=version)
    with pytest.raises(signing_pin.WrongPinError, match="4 tries left"):
        sign_session(ctx, sid, doctor, None, pin="583920", row_version=version)
    assert _failures(ctx) == 1
    with ctx.read() as s:
        details = list(s.scalars(select(AuditEvent.detail).where(AuditEvent.detail.like("signing PIN:%"))
                                 .order_by(AuditEvent.id)))
    assert details == ["signing PIN: refused unchecked, not a PIN (not counted)", "signing PIN: wrong PIN (1 of 5)"]


def test_a_typo_in_the_sign_dialog_costs_no_try(qtbot: QtBot, ctx: AppContext) -> None:
    from test_ui_editor_fixtures import discard_and_close

    from tpi_notes.ui.app import ensure_application
    from tpi_notes.ui.editor import signing_dialog
    from tpi_notes.ui.editor.reference import load_reference
    from tpi_notes.ui.editor.window import SessionEditor

    ensure_application()
    doctor = _signed_in_with_pin(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    draft = drafts.get_draft(ctx, sid)
    editor = SessionEditor(ctx, draft, load_reference(ctx, draft.patient_id), baseline=draft)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    try:
        qtbot.keyClick(editor, Qt.Key.Key_S,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        dialog = editor.active_dialog
        assert isinstance(dialog, signing_dialog.SignDialog) and dialog.mode == signing_dialog.PIN_MODE
        for _ in range(5):  # five times one digit short: a typo, not five guesses
            dialog.secret.selectAll()
            qtbot.keyClicks(dialog.secret, PIN[:-1])
            qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
            assert dialog.isVisible() and "at least 6 digits" in dialog.error.text(), dialog.error.text()
        assert dialog.mode == signing_dialog.PIN_MODE and not dialog.pin_note.isVisible()
        dialog.secret.selectAll()
        qtbot.keyClicks(dialog.secret, PIN)
        with qtbot.waitSignal(editor.session_signed):
            qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        assert sessions.get_session(ctx, sid).status == "signed" and _failures(ctx) == 0
    finally:
        if editor.signed_window is not None:
            editor.signed_window.close()
        discard_and_close(editor)


def test_the_pin_signs_the_physicians_own_addendum_in_the_signed_window(qtbot: QtBot, ctx: AppContext) -> None:
    from tpi_notes.services import integrity
    from tpi_notes.ui.addendum_dialog import AddendumDialog
    from tpi_notes.ui.app import ensure_application
    from tpi_notes.ui.session_window import SessionWindow

    ensure_application()
    doctor = _signed_in_with_pin(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_session(ctx, sid, doctor, None, pin=PIN, row_version=drafts.get_draft(ctx, sid).row_version or 1)
    window = SessionWindow(sessions.get_session(ctx, sid), patient.display_name, {}, ctx=ctx)
    window.show()
    try:
        qtbot.mouseClick(window.addendum_button, Qt.MouseButton.LeftButton)
        dialog = window.active_dialog
        assert isinstance(dialog, AddendumDialog) and dialog.secret_label.text() == "PIN:"
        qtbot.keyClicks(dialog.text, "Called the patient next day: no bruising, pain 2/10.")
        qtbot.keyClicks(dialog.password, "583920")  # a wrong PIN is counted, as at signing
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and "4 tries left" in dialog.error.text() and _failures(ctx) == 1
        qtbot.keyClicks(dialog.password, PIN)
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible())
        [added] = sessions.get_session(ctx, sid).addenda
        assert added.text.startswith("Called the patient") and _failures(ctx) == 0
        assert "signed by" in window.message.text()
    finally:
        window.close()
        window.deleteLater()
    from principals import ALL_PERMISSIONS

    ctx.act_as(ALL_PERMISSIONS)
    assert integrity.verify_database(ctx).ok  # signed with the same key as the note


def test_a_pin_signs_no_addendum_in_another_physicians_name(ctx: AppContext) -> None:
    from tpi_notes.domain.permissions import PermissionDenied
    from tpi_notes.services import accounts, addenda, staff

    doctor = _signed_in_with_pin(ctx)
    patient = add_patient(ctx)
    sid = save_session(ctx, patient.id, doctor, 2)
    sign_session(ctx, sid, doctor, None, pin=PIN, row_version=drafts.get_draft(ctx, sid).row_version or 1)
    from principals import ALL_PERMISSIONS

    ctx.act_as(ALL_PERMISSIONS)
    other = staff.add_staff(ctx, "Noor Haddad", "DO", ("physician",))
    accounts.set_password(ctx, other.id, "Fresh-password-77")
    login.login(ctx, "nhaddad", "Fresh-password-77")  # Dr Haddad at the keyboard types Dr Hart's PIN
    with pytest.raises(PermissionDenied, match="own signed-in session"):
        addenda.add_addendum(ctx, sid, "addendum", "Added by someone else.", doctor, None, pin=PIN)
    assert sessions.get_session(ctx, sid).addenda == ()
