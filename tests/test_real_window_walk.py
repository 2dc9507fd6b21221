"""What a new user tripped on in a real window (Xvfb, a window manager, xdotool; brief H31), each driven here as a
user would: the wait cursor while a session window is built, window titles that name the program once, the audit
trail naming the account a login was for."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QWidget  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402
from ui_fixtures import (  # noqa: E402, F401
    MakeWindow,
    add_patient,
    clinic_ctx,
    make_window,
    message_boxes,
    open_new_dialog,
    search,
    ui_data_dir,
)

from tpi_notes.services import login  # noqa: E402
from tpi_notes.services.context import AppContext  # noqa: E402
from tpi_notes.services.demo import build_demo  # noqa: E402
from tpi_notes.ui.audit_model import HEADERS  # noqa: E402
from tpi_notes.ui.audit_screen import AuditTrailScreen  # noqa: E402
from tpi_notes.ui.login_dialog import LoginDialog  # noqa: E402

DEMO_PASSWORD = "demo clinic 2026"


def as_the_window_manager_shows(widget: QWidget) -> str:
    """The title bar's text: Qt's X11 and Windows plugins add " — <application display name>" to any title that
    is not the display name itself (QPlatformWindow::formatWindowTitle)."""
    title, name = widget.windowTitle(), QGuiApplication.applicationDisplayName()
    return title if not name or title == name else f"{title} \u2014 {name}"


def clipped_labels(window: QWidget) -> list[str]:
    """The visible labels whose text does not fit them: cut at the right (one line) or at the bottom (wrapped)."""
    cut = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        if label.wordWrap():
            if label.heightForWidth(label.width()) > label.height():
                cut.append(label.text())
        elif label.sizeHint().width() > label.width() + 1:
            cut.append(label.text())
    return cut


def test_opening_a_session_shows_the_wait_cursor_until_its_window_is_built(
        make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor's first opening took 3 to 7 s with the arrow cursor: the click looked ignored."""
    from tpi_notes.ui.editor import opening

    add_patient(clinic_ctx)
    window = make_window()
    search(qtbot, window, "Doe", ["Doe, Jane"])
    qtbot.keyClick(window.patient_list.search_edit, Qt.Key.Key_Return)  # Enter picks the one match
    qtbot.waitUntil(lambda: window.current_patient is not None)
    cursors: list[Qt.CursorShape | None] = []

    def building(*_args: object, **_kwargs: object) -> None:
        cursor = QApplication.overrideCursor()
        cursors.append(cursor.shape() if cursor is not None else None)

    monkeypatch.setattr(opening, "new_session", building)
    qtbot.mouseClick(window.patient_view.new_session_button, Qt.MouseButton.LeftButton)
    assert cursors == [Qt.CursorShape.WaitCursor]
    assert QApplication.overrideCursor() is None  # and the arrow again once it is shown


def test_every_title_bar_names_the_program_once(make_window: MakeWindow, clinic_ctx: AppContext,  # noqa: F811
                                                 qtbot: QtBot) -> None:
    """The main window read "tpi-notes — demo.sqlite — tpi-notes"."""
    window = make_window()
    shown = as_the_window_manager_shows(window)
    assert shown.count("tpi-notes") == 1 and "t.db" in shown, shown
    dialog = LoginDialog(clinic_ctx, "")  # a clinic without a name yet
    qtbot.addWidget(dialog)
    shown = as_the_window_manager_shows(dialog)
    assert shown.count("tpi-notes") == 1 and shown.startswith("Log in"), shown


def test_the_lock_dialog_names_the_program_once(clinic_ctx: AppContext, qtbot: QtBot) -> None:  # noqa: F811
    from tpi_notes.ui.screen_lock import UnlockDialog

    dialog = UnlockDialog(clinic_ctx)
    qtbot.addWidget(dialog)
    assert as_the_window_manager_shows(dialog).count("tpi-notes") == 1, dialog.windowTitle()
    dialog.ask_to_sign_in_again("your roles changed")
    assert as_the_window_manager_shows(dialog).count("tpi-notes") == 1, dialog.windowTitle()


@pytest.fixture
def demo_trail(ctx: AppContext) -> Iterator[AppContext]:
    """A small demo clinic where the nurse, then the administrator, logged in (as the walk did)."""
    build_demo(ctx, patients=3, sessions=4, seed=3)
    login.login(ctx, "jsoto", DEMO_PASSWORD)
    login.login(ctx, "lgrant", DEMO_PASSWORD)
    yield ctx


def test_the_audit_trail_names_the_account_a_login_was_for(qtbot: QtBot, demo_trail: AppContext) -> None:
    """A login is made by the operating-system user (no one is signed in yet); its record read "user 5", an
    account number nobody can look up on this screen."""
    screen = AuditTrailScreen(demo_trail)
    qtbot.addWidget(screen)
    screen.resize(1300, 800)
    screen.show()
    qtbot.waitExposed(screen)
    model, record, action = screen.model, HEADERS.index("Record"), HEADERS.index("Action")
    logins = [model.index(row, record).data() for row in range(model.rowCount())
              if model.index(row, action).data() == "login"]
    assert logins[:2] == ["user Lena Grant (lgrant)", "user Julia Soto (jsoto)"], logins
    room = screen.view.columnWidth(record) - 12  # the cell's margins
    assert all(screen.view.fontMetrics().horizontalAdvance(text) <= room for text in logins[:2])  # not elided


def test_a_refusal_while_a_session_opens_is_answered_with_the_arrow(
        make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait cursor is for the building; a box saying why nothing opened is not something to wait on."""
    from PySide6.QtWidgets import QMessageBox

    from tpi_notes.domain.errors import TpiError
    from tpi_notes.ui.editor import opening
    from tpi_notes.ui.errors import show_error

    add_patient(clinic_ctx)
    window = make_window()
    search(qtbot, window, "Doe", ["Doe, Jane"])
    qtbot.keyClick(window.patient_list.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    under_the_box: list[Qt.CursorShape | None] = []

    def box(*_args: object, **_kwargs: object) -> QMessageBox.StandardButton:
        cursor = QApplication.overrideCursor()
        under_the_box.append(cursor.shape() if cursor is not None else None)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(box))
    monkeypatch.setattr(opening, "new_session", lambda _ctx, _pid, parent: show_error(parent, TpiError("No.")))
    qtbot.mouseClick(window.patient_view.new_session_button, Qt.MouseButton.LeftButton)
    assert under_the_box == [Qt.CursorShape.ArrowCursor]
    assert QApplication.overrideCursor() is None


def test_tab_walks_out_of_the_tables_through_the_patients_page(
        make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:  # noqa: F811
    """Tab in the patient list moved from cell to cell of the list and never left it; the sessions table did the
    same. Now Tab goes search → patients → New session → the sessions → the map, as the page reads."""
    from tpi_notes.services import drafts

    patient = add_patient(clinic_ctx)
    drafts.save_draft(clinic_ctx, drafts.new_draft(clinic_ctx, patient.id))  # a session: Repeat is enabled
    window = make_window()
    window.activateWindow()
    search(qtbot, window, "Doe", ["Doe, Jane"])
    qtbot.keyClick(window.patient_list.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    window.patient_list.search_edit.setFocus()
    page = window.patient_view
    walked = []
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        walked.append(QApplication.focusWidget())
    assert walked == [window.patient_list.view, page.repeat_session_button, page.new_session_button,
                      page.session_view, page.response_map.view, page.response_map.as_text], [
        w.objectName() for w in walked]


def test_the_session_the_keyboard_reaches_is_shown_chosen_before_ctrl_p_prints_it(
        make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:  # noqa: F811
    """Tabbing into the sessions table made its first row current without marking it: Preview note and Print
    aftercare… (Ctrl+P) were enabled and acted on a session no row showed as chosen."""
    from tpi_notes.services import drafts

    patient = add_patient(clinic_ctx)
    for _ in range(2):
        drafts.save_draft(clinic_ctx, drafts.new_draft(clinic_ctx, patient.id))
    window = make_window()
    window.activateWindow()
    search(qtbot, window, "Doe", ["Doe, Jane"])
    qtbot.keyClick(window.patient_list.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    table = window.patient_view.session_view
    while QApplication.focusWidget() is not table:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    chosen = [index.row() for index in table.selectionModel().selectedRows()]
    assert window.print_aftercare_action.isEnabled()
    assert chosen == [table.currentIndex().row()] == [0]
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert [index.row() for index in table.selectionModel().selectedRows()] == [1]
    assert window.selected_session_id() == window.patient_view.session_model.session_at(1).id


def test_the_patient_form_shows_its_date_hint_whole(make_window: MakeWindow, qtbot: QtBot) -> None:  # noqa: F811
    """Ctrl+N: "Use YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY." beside Date of birth was cut at the dialog's edge."""
    window = make_window()
    dialog = open_new_dialog(qtbot, window)
    qtbot.waitExposed(dialog)
    hint = dialog.form.echoes["birth_date"]
    assert hint.isVisible() and "DD.MM.YYYY" in hint.text()
    assert clipped_labels(dialog) == []


def test_a_name_typed_as_the_list_shows_it_finds_the_patient(
        make_window: MakeWindow, qtbot: QtBot, clinic_ctx: AppContext) -> None:  # noqa: F811
    """The list shows "Doe, Jane"; typing "doe, j" (the comma too) said "No patient matches"."""
    add_patient(clinic_ctx)
    add_patient(clinic_ctx, mrn="MRN-2", given_name="John", family_name="Smith")
    window = make_window()
    search(qtbot, window, "doe, j", ["Doe, Jane"])
    search(qtbot, window, "Doe,Jane", ["Doe, Jane"])
    search(qtbot, window, "smith,", ["Smith, John"])


@pytest.mark.parametrize("menu_action", ["history_action", "outcomes_action"])
def test_the_clinic_windows_close_with_ctrl_w(make_window: MakeWindow, qtbot: QtBot, menu_action: str) -> None:  # noqa: F811
    """Session history (Ctrl+H) and Clinic outcomes stayed open under Ctrl+W, which closes the editor, the PDF
    preview and Clinic administration."""
    window = make_window()
    before = {w for w in QApplication.topLevelWidgets() if w.isVisible()}
    getattr(window, menu_action).trigger()
    opened = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w not in before]
    assert len(opened) == 1
    qtbot.waitExposed(opened[0])
    opened[0].activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is opened[0])
    qtbot.keyClick(opened[0], Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not opened[0].isVisible())


def test_a_menu_with_nothing_the_user_may_do_is_not_shown(qtbot: QtBot, demo_trail: AppContext,
                                                          ui_data_dir: object) -> None:  # noqa: F811
    """Signed in as the administrator (lgrant), the Session menu opened on nothing: every action in it is a
    physician's or a nurse's."""
    from tpi_notes.ui.app import create_main_window

    assert demo_trail.principal.roles == ("admin",)
    window = create_main_window(demo_trail)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    shown = [a.text() for a in window.menuBar().actions() if a.isVisible()]
    assert shown == ["&File", "&Clinic", "&View", "&Help"]
    for action in window.menuBar().actions():
        if action.isVisible() and action.menu() is not None:
            assert any(a.isVisible() and not a.isSeparator() for a in action.menu().actions()), action.text()


@pytest.fixture
def signed(ctx: AppContext) -> tuple[AppContext, int, str]:
    """A signed session (the report tests' clinic): the context, its id and the patient's name."""
    from test_report_support import add_patient as add_report_patient
    from test_report_support import save_session, setup_clinic
    from test_report_support import sign as sign_session

    doctor = setup_clinic(ctx)
    patient = add_report_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 2)
    sign_session(ctx, session_id, doctor)
    return ctx, session_id, patient.display_name




def test_the_aftercare_print_dialog_names_the_patient_and_the_session(
        qtbot: QtBot, signed: tuple[AppContext, int, str], ui_data_dir: object) -> None:  # noqa: F811
    """A nurse at the main window pressed Ctrl+P: the options said only "The sheet is written for the patient in
    plain words." — nothing said whose sheet, or which visit's, would print."""
    from PySide6.QtCore import QTimer

    from tpi_notes.services import sessions
    from tpi_notes.ui import pdf_preview
    from tpi_notes.ui.app import create_main_window

    ctx, session_id, name = signed
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    record = sessions.get_session(ctx, session_id)
    window.patient_list.select_patient(record.patient_id)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    qtbot.mouseClick(window.patient_view.session_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.patient_view.session_view.visualRect(
                         window.patient_view.session_model.index(0, 0)).center())
    said: list[str] = []

    def read_and_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, pdf_preview.AftercareOptions):
            QTimer.singleShot(20, read_and_cancel)
            return
        said.append(" ".join(label.text() for label in dialog.findChildren(QLabel) if label.isVisible()))
        dialog.reject()

    QTimer.singleShot(0, read_and_cancel)
    window.print_aftercare_action.trigger()
    assert said, "no aftercare options"
    assert name in said[0] and f"{record.performed_start:%Y-%m-%d %H:%M}" in said[0], said[0]


def test_clinic_outcomes_shows_every_column_of_its_table(qtbot: QtBot, ctx: AppContext,
                                                         ui_data_dir: object) -> None:  # noqa: F811
    """The report opened with its last column (Mean PEG change) scrolled off to the right of the table."""
    from PySide6.QtCore import QDate

    from tpi_notes.ui.app import create_main_window

    build_demo(ctx, patients=10, sessions=60, seed=3)
    window = create_main_window(ctx)
    qtbot.addWidget(window)
    window.show()
    window.outcomes_action.trigger()
    report = window.outcomes_window
    qtbot.waitExposed(report)
    report.date_from.setDate(QDate(2000, 1, 1))  # every session the demo made
    table = report.table
    for index in range(report.by.count()):
        report.by.setCurrentIndex(index)
        qtbot.waitUntil(lambda: table.rowCount() > 0)
        last = table.columnCount() - 1
        assert table.columnViewportPosition(last) + table.columnWidth(last) <= table.viewport().width(), (
            report.by.currentText())

@pytest.mark.parametrize("keys", [(Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
                                  (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)])
def test_the_signed_session_window_closes_from_the_keyboard(
        qtbot: QtBot, signed: tuple[AppContext, int, str], keys: tuple[Qt.Key, Qt.KeyboardModifier]) -> None:
    """After "Sign and print" the signed note's window had no Close, and Escape and Ctrl+W did nothing: the title
    bar's ✕ was the only way back to the patient list."""
    from tpi_notes.services import sessions
    from tpi_notes.ui.session_window import SessionWindow

    ctx, session_id, name = signed
    window = SessionWindow(sessions.get_session(ctx, session_id), name, {}, ctx=ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(QApplication.focusWidget() or window, *keys)
    qtbot.waitUntil(lambda: not window.isVisible())


def test_the_login_and_lock_dialogs_start_with_their_text(clinic_ctx: AppContext, qtbot: QtBot) -> None:  # noqa: F811
    """The dialogs' spare height went to their first paragraph, whose text then stood in the middle of an empty
    band under the title bar (the login, the lock, the signing dialog)."""
    from tpi_notes.ui.screen_lock import UnlockDialog

    for dialog in (LoginDialog(clinic_ctx, "Riverside Pain & Spine Clinic (demo)", "Demo clinic — made-up data."),
                   UnlockDialog(clinic_ctx)):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        first = min((label for label in dialog.findChildren(QLabel) if label.isVisible() and label.text()),
                    key=lambda label: label.y())
        assert first.height() <= first.heightForWidth(first.width()) + 2, (type(dialog).__name__, first.height())
