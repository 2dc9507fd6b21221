"""Small defects of issue 16 and the PIN's menu: Ctrl+L is not "inactivity", the account menu sets a signing PIN,
and signing an addendum says so."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3  # noqa: E402

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import PASSWORD, sign  # noqa: E402
from test_ui_login import _window_as, staffed  # noqa: E402,F401
from ui_fixtures import message_boxes, ui_data_dir  # noqa: E402,F401

from tpi_notes.services import signing_pin  # noqa: E402
from tpi_notes.ui.addendum_dialog import AddendumDialog  # noqa: E402
from tpi_notes.ui.pin_dialog import SigningPinDialog  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402


def test_ctrl_l_says_the_screen_was_locked_not_that_it_was_idle(staffed, qtbot: QtBot) -> None:  # noqa: ANN001, F811
    ctx, _ids = staffed
    window = _window_as(qtbot, ctx, "ahart")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    lock = window.screen_lock
    assert lock is not None and lock.is_locked and lock.dialog is not None
    intro = lock.dialog.intro.text()
    assert intro.startswith("Screen locked.") and "inactivity" not in intro
    with sqlite3.connect(ctx.database_path) as conn:
        details = [r[0] for r in conn.execute("SELECT detail FROM audit_event WHERE action = 'lock'")]
    assert details == ["screen locked (locked by the user)"]
    qtbot.keyClicks(lock.dialog.password, PASSWORD)
    qtbot.mouseClick(lock.dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert not lock.is_locked
    lock.stop()


def test_the_account_menu_sets_a_signing_pin_with_the_password(staffed, qtbot: QtBot) -> None:  # noqa: ANN001, F811
    ctx, _ids = staffed
    window = _window_as(qtbot, ctx, "ahart")
    assert window.pin_action.isVisible()
    window.pin_action.trigger()
    dialog = window.findChild(SigningPinDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClicks(dialog.pin, "123456")
    qtbot.keyClicks(dialog.repeat, "123456")
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "run of digits" in dialog.error.text()
    assert signing_pin.pin_state(ctx).state == signing_pin.NONE
    for field in (dialog.pin, dialog.repeat):
        field.selectAll()
        qtbot.keyClicks(field, "482915")
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert signing_pin.pin_state(ctx).state == signing_pin.READY
    assert "signing PIN is set" in window.statusBar().currentMessage()
    if window.screen_lock is not None:
        window.screen_lock.stop()


def test_a_nurse_has_no_pin_to_set(staffed, qtbot: QtBot) -> None:  # noqa: ANN001, F811
    ctx, _ids = staffed
    window = _window_as(qtbot, ctx, "jsoto")
    assert not window.pin_action.isVisible()
    if window.screen_lock is not None:
        window.screen_lock.stop()


def test_signing_an_addendum_is_confirmed_in_the_window(staffed, qtbot: QtBot) -> None:  # noqa: ANN001, F811
    from principals import ALL_PERMISSIONS

    from tpi_notes.services import sessions

    ctx, ids = staffed
    ctx.act_as(ALL_PERMISSIONS)
    sign(ctx, ids["draft"], ids["physician"])
    record = sessions.get_session(ctx, ids["draft"])
    window = SessionWindow(record, "Nguyễn, Thị Ánh", {}, ctx=ctx)
    window.show()
    assert not window.message.isVisible()
    qtbot.mouseClick(window.addendum_button, Qt.MouseButton.LeftButton)
    dialog = window.active_dialog
    assert isinstance(dialog, AddendumDialog)
    dialog.text.setPlainText("Patient called: soreness gone by day 2.")
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.active_dialog is None)
    assert window.message.isVisible()
    assert "signed by Amelia Hart" in window.message.text() and "prints with the note" in window.message.text()
    window.close()
    window.deleteLater()
