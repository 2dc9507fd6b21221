"""First-run setup, login, the inactivity lock and what each role sees (pytest-qt, offscreen, real database)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from test_report_support import PASSWORD, add_patient, save_session, setup_clinic  # noqa: E402
from ui_fixtures import message_boxes, ui_data_dir  # noqa: E402,F401

from tpi_notes.domain.clinic import ClinicDetails  # noqa: E402
from tpi_notes.services import accounts, login, staff  # noqa: E402
from tpi_notes.services.context import AppContext, open_clinic  # noqa: E402
from tpi_notes.ui.app import create_main_window, run_app  # noqa: E402
from tpi_notes.ui.login_dialog import LoginDialog  # noqa: E402
from tpi_notes.ui.main_window import MainWindow  # noqa: E402
from tpi_notes.ui.screen_lock import Curtain, ScreenLock  # noqa: E402
from tpi_notes.ui.session_window import SessionWindow  # noqa: E402
from tpi_notes.ui.setup_dialog import SetupDialog  # noqa: E402

ADMIN_PASSWORD = "Admin first pass 1"


@pytest.fixture
def fresh(tmp_path: Path, ui_data_dir: Path) -> Iterator[AppContext]:  # noqa: F811
    """A new, empty clinic opened the way `tpi-notes` opens it: as the operating-system user."""
    ctx = open_clinic(str(tmp_path / "clinic.sqlite"))
    yield ctx
    ctx.close()


def _when_shown(kind: type, then) -> None:  # noqa: ANN001
    """Run ``then(dialog)`` on the first visible top-level ``kind`` once the event loop shows it."""
    def poll() -> None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if found:
            then(found[0])
        else:
            QTimer.singleShot(10, poll)
    QTimer.singleShot(0, poll)


def test_first_run_sets_up_logs_in_and_opens_the_main_window(fresh: AppContext, qapp: QApplication) -> None:
    seen: list[str] = []

    def fill_setup(dialog: SetupDialog) -> None:
        dialog.clinic_name.setText("Lakeside Pain Clinic")
        dialog.phone.setText("(555) 123-4567")
        dialog.full_name.setText("Grace Hopper")
        dialog.credentials.setText("MD")
        dialog.username.setText("ghopper")
        dialog.password.setText(ADMIN_PASSWORD)
        dialog.repeat.setText(ADMIN_PASSWORD)
        dialog.is_physician.setChecked(True)
        dialog.create_button.click()
        _when_shown(LoginDialog, fill_login)

    def fill_login(dialog: LoginDialog) -> None:
        assert dialog.username.text() == "ghopper"  # carried over from setup
        dialog.password.setText(ADMIN_PASSWORD)
        dialog.login_button.click()
        _when_shown(MainWindow, look_then_quit)

    def look_then_quit(window: MainWindow) -> None:
        seen.append(window.statusBar().findChild(object, "signed_in_as").text())
        QApplication.exit(3)

    _when_shown(SetupDialog, fill_setup)
    assert run_app(fresh) == 3
    assert seen == ["Signed in as Grace Hopper (Administrator, Physician)"]
    assert fresh.actor == "user:ghopper"
    for widget in QApplication.topLevelWidgets():
        widget.close()


def test_cancelling_the_login_quits_without_showing_any_record(fresh: AppContext, qapp: QApplication) -> None:
    login.setup_clinic(fresh, ClinicDetails("Lakeside", "", "555 0100"), "Grace Hopper", "MD", "ghopper",
                       ADMIN_PASSWORD)
    shown: list[str] = []

    def cancel(dialog: LoginDialog) -> None:
        shown.extend(w.objectName() for w in QApplication.topLevelWidgets() if w.isVisible())
        dialog.reject()

    _when_shown(LoginDialog, cancel)
    assert run_app(fresh) == 0
    assert "main_window" not in shown and fresh.user_id is None


def test_a_wrong_password_is_shown_at_the_field_and_counted(fresh: AppContext, qtbot: QtBot) -> None:
    login.setup_clinic(fresh, ClinicDetails("Lakeside", "", "555 0100"), "Grace Hopper", "MD", "ghopper",
                       ADMIN_PASSWORD)
    dialog = LoginDialog(fresh, "Lakeside")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("ghopper")
    dialog.password.setText("not my password")
    dialog.login_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert dialog.error.isVisibleTo(dialog) and "not correct" in dialog.error.text()
    assert dialog.password.text() == "" and fresh.user_id is None
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.login_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and fresh.actor == "user:ghopper"


def test_setup_shows_each_problem_at_its_field(fresh: AppContext, qtbot: QtBot) -> None:
    dialog = SetupDialog(fresh)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("has space")
    dialog.password.setText("short")
    dialog.repeat.setText("short")
    dialog.create_button.click()
    shown = {key for key, label in dialog.errors.items() if label.isVisibleTo(dialog)}
    assert shown == {"name", "phone", "full_name", "username", "password"}
    assert dialog.result() != QDialog.DialogCode.Accepted and login.needs_setup(fresh)


# -- a clinic with staff, for the lock and the roles ------------------------------------------------------------
@pytest.fixture
def staffed(tmp_path: Path, ui_data_dir: Path, message_boxes: list) -> Iterator[tuple[AppContext, dict[str, int]]]:  # noqa: F811
    from principals import ALL_PERMISSIONS

    ctx = open_clinic(str(tmp_path / "clinic.sqlite"), principal=ALL_PERMISSIONS)
    physician = setup_clinic(ctx)
    ids = {"physician": physician}
    for name, roles, username in (("Julia Soto", ("nurse",), "jsoto"), ("Lena Grant", ("admin",), "lgrant")):
        member = staff.add_staff(ctx, name, "", roles)
        accounts.set_password(ctx, member.id, PASSWORD)
        with sqlite3.connect(tmp_path / "clinic.sqlite") as conn:
            conn.execute("UPDATE app_user SET username = ? WHERE id = ?", (username, member.id))
        ids[roles[0]] = member.id
    with sqlite3.connect(tmp_path / "clinic.sqlite") as conn:
        conn.execute("UPDATE app_user SET username = 'ahart' WHERE id = ?", (physician,))
    patient = add_patient(ctx)
    ids["patient"] = patient.id
    ids["draft"] = save_session(ctx, patient.id, physician)
    login.sign_out(ctx)
    yield ctx, ids
    ctx.close()


def _window_as(qtbot: QtBot, ctx: AppContext, username: str) -> MainWindow:
    login.login(ctx, username, PASSWORD)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_inactivity_locks_every_window_and_unlocking_keeps_open_work(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, ids = staffed
    window = _window_as(qtbot, ctx, "ahart")
    editor = window.open_session(ids["draft"])
    qtbot.waitExposed(editor)
    editor.post.comments.setPlainText("typed, not yet saved")
    lock = ScreenLock(ctx, 10, window, interval_ms=40)  # the clinic's minutes, shortened for the test
    qtbot.waitUntil(lambda: lock.is_locked, timeout=3000)
    covered = {c.parentWidget() for c in lock.curtains}
    assert window in covered and editor in covered
    assert all(c.isVisible() and c.geometry() == c.parentWidget().rect() for c in lock.curtains)
    assert lock.dialog is not None and lock.dialog.windowModality() == Qt.WindowModality.ApplicationModal
    lock.dialog.reject()  # Escape does not unlock
    assert lock.is_locked
    lock.dialog.password.setText("wrong password 1")
    lock.dialog.unlock_button.click()
    assert lock.is_locked and "not correct" in lock.dialog.error.text()
    lock.dialog.password.setText(PASSWORD)
    lock.dialog.unlock_button.click()
    assert not lock.is_locked
    assert not [c for c in window.findChildren(Curtain) if c.isVisible()]
    assert editor.isVisible() and editor.post.comments.toPlainText() == "typed, not yet saved"
    with sqlite3.connect(ctx.database_path) as conn:
        actions = [r[0] for r in conn.execute("SELECT action || ':' || detail FROM audit_event ORDER BY id")]
    assert "lock:screen locked (inactivity)" in actions and "login:unlock: password accepted" in actions
    lock.stop()
    editor.close()


def test_activity_keeps_the_screen_unlocked(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, _ids = staffed
    window = _window_as(qtbot, ctx, "jsoto")
    lock = ScreenLock(ctx, 10, window)
    assert lock.timer.interval() == 10 * 60_000 and lock.timer.isActive()
    lock.timer.stop()
    qtbot.keyClick(window.patient_list.search_edit, "a")  # any key restarts the full countdown
    assert lock.timer.isActive() and lock.timer.remainingTime() > 9 * 60_000
    lock.timer.stop()
    qtbot.mouseClick(window.patient_list.search_edit, Qt.MouseButton.LeftButton)
    assert lock.timer.isActive()
    lock.stop()


def test_the_nurse_prepares_but_does_not_sign(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, ids = staffed
    window = _window_as(qtbot, ctx, "jsoto")
    assert window.new_patient_action.isVisible() and window.new_session_action.isVisible()
    assert window.print_aftercare_action.isVisible()
    editor = window.open_session(ids["draft"])
    assert editor.editor_actions.save.isVisible() and not editor.editor_actions.sign.isVisible()
    editor.close()
    qtbot.waitUntil(lambda: window.editors == [])


def test_the_admin_reads_but_never_edits_clinical_content(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, ids = staffed
    window = _window_as(qtbot, ctx, "lgrant")
    for action in (window.new_patient_action, window.edit_patient_action, window.new_session_action,
                   window.print_aftercare_action):
        assert not action.isVisible(), action.text()
    assert "Ctrl+N" not in window.no_selection.text()
    opened = window.open_session(ids["draft"])  # a draft opens read-only, not in the editor
    assert isinstance(opened, SessionWindow) and not opened.addendum_button.isVisible()
    assert window.editors == []


def test_the_admin_reaches_administration_and_the_audit_trail(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, _ids = staffed
    window = _window_as(qtbot, ctx, "lgrant")
    for action in (window.admin_action, window.audit_action, window.backup_action, window.history_action):
        assert action.isVisible(), action.text()
    admin = window.clinic_windows.open_audit()
    qtbot.addWidget(admin)
    assert admin.tab_titles()[-1] == "Audit trail" and admin.tabs.tabText(admin.tabs.currentIndex()) == "Audit trail"
    assert window.clinic_windows.open_admin() is admin  # one window, raised again


def test_nurse_and_physician_see_no_administration(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, _ids = staffed
    for username in ("jsoto", "ahart"):
        login.sign_out(ctx)
        window = _window_as(qtbot, ctx, username)
        hidden = (window.admin_action, window.audit_action, window.backup_action)
        assert not any(a.isVisible() for a in hidden), username
        assert window.history_action.isVisible()
        window.close()


def test_a_session_double_clicked_in_the_history_opens_with_its_patient(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, ids = staffed
    window = _window_as(qtbot, ctx, "ahart")
    assert window.current_patient is None
    browser = window.clinic_windows.open_history()
    qtbot.addWidget(browser)
    assert window.clinic_windows.open_history() is browser  # one browser, raised again
    browser.session_activated.emit(ids["draft"])
    assert window.current_patient is not None and window.current_patient.id == ids["patient"]
    assert [e.draft_id for e in window.editors] == [ids["draft"]]


def test_a_user_changes_their_own_password(staffed, qtbot: QtBot) -> None:  # noqa: ANN001
    ctx, ids = staffed
    window = _window_as(qtbot, ctx, "jsoto")
    assert window.password_action.isVisible()
    dialog = window.change_password()
    dialog.current.setText("not my password")
    dialog.new.setText("Nurse tulip lantern 1")
    dialog.repeat.setText("Nurse tulip lantern 1")
    dialog.change_button.click()
    assert dialog.isVisible() and "not correct" in dialog.error.text()  # counted, nothing changed
    dialog.current.setText(PASSWORD)
    dialog.repeat.setText("Nurse tulip lantern 2")
    dialog.change_button.click()
    assert "differ" in dialog.error.text()
    dialog.repeat.setText("Nurse tulip lantern 1")
    dialog.change_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    login.sign_out(ctx)
    assert login.login(ctx, "jsoto", "Nurse tulip lantern 1").user_id == ids["nurse"]


def test_signing_out_from_the_lock_keeps_unsaved_charting_for_the_next_sign_in(staffed, qtbot: QtBot,  # noqa: ANN001
                                                                                message_boxes: list) -> None:  # noqa: F811
    from tpi_notes.recovery import RecoveryStore

    ctx, ids = staffed
    window = _window_as(qtbot, ctx, "ahart")
    editor = window.open_session(ids["draft"])
    qtbot.waitExposed(editor)
    editor.post.comments.setPlainText("typed by Dr Hart before she left")
    assert window.screen_lock is not None
    window.screen_lock.lock()
    window.screen_lock.dialog.sign_out_button.click()  # the nurse needs the computer
    assert message_boxes[-1][0] == "question" and "Unsaved sessions are kept" in message_boxes[-1][1]
    assert window.signed_out and not window.isVisible() and not editor.isVisible()
    assert ctx.user_id is None and not window.screen_lock.is_locked
    [kept] = RecoveryStore.for_database(ctx.url).pending()
    assert kept.draft.comments == "typed by Dr Hart before she left"
    with sqlite3.connect(ctx.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_event WHERE action = 'logout'").fetchone()[0] == 1


def test_sign_out_returns_to_the_login_screen(staffed, qapp: QApplication) -> None:  # noqa: ANN001
    ctx, _ids = staffed
    logins: list[str] = []

    def log_in(dialog: LoginDialog) -> None:
        logins.append("shown")
        if len(logins) == 2:
            dialog.reject()  # the second time: nobody logs in, the app ends
            return
        dialog.username.setText("jsoto")
        dialog.password.setText(PASSWORD)
        dialog.login_button.click()
        _when_shown(MainWindow, sign_out)

    def sign_out(window: MainWindow) -> None:
        assert window.sign_out_action.isVisible()
        window.sign_out_action.trigger()
        _when_shown(LoginDialog, log_in)

    _when_shown(LoginDialog, log_in)
    assert run_app(ctx) == 0
    assert logins == ["shown", "shown"] and ctx.user_id is None
