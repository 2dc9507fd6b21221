"""The main window: patient list on the left; the selected patient, or the first-run screen, on the right."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.permissions import Permission
from tpi_notes.domain.staff import ROLES
from tpi_notes.ui.after_paint import after_next_paint
from tpi_notes.ui.empty_state import EmptyState
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.patient_list import PatientListPanel
from tpi_notes.ui.settings import restore_layout, restore_splitters, save_layout
from tpi_notes.ui.style import set_role

# The window is painted before the database layer is loaded (issue 19: start-up ≤ 3× a bare window): the
# services (SQLAlchemy behind them), the screen lock and the Clinic menu's windows come with the clinic
# (open_clinic); the patient page (its response map reads the atlas) once the filled list is painted; the editor,
# the session window, the PDF preview (and ReportLab behind it), the patient form and the help menu when first used.
if TYPE_CHECKING:
    from tpi_notes.domain.patient import PatientRecord
    from tpi_notes.services.context import AppContext
    from tpi_notes.ui.clinic_windows import ClinicWindows
    from tpi_notes.ui.editor.window import SessionEditor
    from tpi_notes.ui.patient_dialog import PatientDialog
    from tpi_notes.ui.patient_view import PatientView
    from tpi_notes.ui.pdf_preview import PdfPreview
    from tpi_notes.ui.screen_lock import ScreenLock
    from tpi_notes.ui.session_window import SessionWindow

APP_TITLE = "tpi-notes"
DEFAULT_SIZE = (1280, 800)


def database_label(ctx: AppContext) -> str:
    """The file name for SQLite, else the database name of the URL (never its password)."""
    if ctx.database_path is not None:
        return ctx.database_path.name
    return ctx.url.rsplit("/", 1)[-1] or ctx.url.split(":", 1)[0]


def redact_url(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


class MainWindow(QMainWindow):
    """Built with a clinic (``ctx``), or without one as the frame painted at start-up (menus, an empty patient
    list saying the database is being opened, every action but Quit disabled), then given the clinic with
    :meth:`open_clinic` once it is open and a user signed in."""

    def __init__(self, ctx: AppContext | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx: AppContext = ctx  # type: ignore[assignment]  # None only in the start-up frame
        self.current_patient: PatientRecord | None = None
        self.active_dialog: PatientDialog | None = None
        self.editors: list[SessionEditor] = []
        self.clinic_windows: ClinicWindows | None = None
        self.setObjectName("main_window")
        self.setWindowTitle(APP_TITLE)

        self.patient_list = PatientListPanel(None, self)
        self.empty_state = EmptyState(self)
        self.no_selection = QLabel("Select a patient on the left, or press Ctrl+N to register one.", self)
        self.no_selection.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.no_selection, "hint")
        self.patient_view: PatientView = None  # type: ignore[assignment]  # made with the clinic (open_clinic)
        self.opening = QWidget(self)  # the right side while the database opens: nothing to show yet
        self.right_stack = QStackedWidget(self)
        for widget in (self.opening, self.empty_state, self.no_selection):
            self.right_stack.addWidget(widget)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(8)
        self.splitter.addWidget(_padded(self.patient_list, 12, 12, 4, 12))
        self.splitter.addWidget(_padded(self.right_stack, 4, 12, 12, 12))
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 860])
        self.setCentralWidget(self.splitter)
        self._make_actions()
        self._make_menus()
        self.screen_lock: ScreenLock | None = None
        self.signed_out = False

        self.patient_list.patient_selected.connect(self._on_patient_selected)
        self.patient_list.patient_activated.connect(self._on_patient_activated)
        self.empty_state.register_requested.connect(self.new_patient)
        self.empty_state.demo_requested.connect(self.load_demo)

        self._default_size()
        restore_layout(self, self._splitters())
        if ctx is None:
            for action in self.actions():
                action.setEnabled(action is self.quit_action)
        else:
            self._make_patient_view()  # made with its clinic (tests, signed in again): the page at once
            self.open_clinic(ctx)

    def open_clinic(self, ctx: AppContext) -> None:
        """Show the clinic ``ctx`` opens, as its signed-in user: what their roles allow, the patients, and the
        inactivity lock. Called by the constructor, or once for the start-up frame."""
        from tpi_notes.services import clinic
        from tpi_notes.ui.clinic_windows import ClinicWindows
        from tpi_notes.ui.screen_lock import ScreenLock

        self.ctx = ctx
        if self.patient_view is None:  # the start-up frame: the patient page (and the atlas) once the list is painted
            after_next_paint(self, self._ensure_patient_view)
        self.clinic_windows = ClinicWindows(ctx, self)
        self.clinic_windows.session_activated.connect(self.open_session_anywhere)
        self.clinic_windows.settings_saved.connect(self._on_settings_saved)
        # Qt adds " — tpi-notes" (the application's display name) to the title bar on X11 and Windows
        self.setWindowTitle(database_label(ctx))
        self.patient_list.open_clinic(ctx)
        for action in self.actions():
            action.setEnabled(True)  # refresh() disables what needs a patient or a session
        self._apply_permissions()
        if ctx.user_id is not None:  # a signed-in user: lock after the clinic's inactivity minutes
            self.screen_lock = ScreenLock(ctx, clinic.get_clinic_info(ctx).inactivity_lock_minutes, self)
            self.screen_lock.sign_out_requested.connect(self.sign_out_from_lock)
            # Signed in again after an access change: show and hide by the roles the account has now.
            self.screen_lock.locked_changed.connect(lambda locked: locked or self._apply_permissions())
        self.right_stack.setCurrentWidget(self.no_selection)
        self.refresh()
        self.patient_list.search_edit.setFocus()

    def _make_patient_view(self) -> None:
        """The selected patient's page (details, sessions, pain and PEG trends, response map)."""
        from tpi_notes.ui.patient_view import PatientView

        self.patient_view = PatientView(self)
        self.right_stack.addWidget(self.patient_view)
        self.patient_view.session_activated.connect(self.open_session)
        self.patient_view.new_session_requested.connect(self.new_session)
        self.patient_view.repeat_session_requested.connect(self.repeat_session)
        table = self.patient_view.session_view  # right-click a session: the same two actions
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        table.addActions([self.preview_note_action, self.print_aftercare_action])
        table.selectionModel().currentRowChanged.connect(self._update_document_actions)
        restore_splitters({"sessions_splitter": self.patient_view.splitter})

    def _ensure_patient_view(self) -> PatientView:
        """The patient page, made now if start-up has not made it yet (its buttons as the user's roles allow)."""
        if self.patient_view is None:
            self._make_patient_view()
            if self.ctx is not None:
                self._patient_view_permissions()
        return self.patient_view

    def _patient_view_permissions(self) -> None:
        can = self.ctx.can
        self.patient_view.repeat_session_button.setVisible(can(Permission.PREPARE_DRAFTS))
        self.patient_view.new_session_button.setVisible(can(Permission.PREPARE_DRAFTS))

    def _default_size(self) -> None:
        """1280 x 800, or less on a small screen (before any remembered geometry is applied)."""
        screen = self.screen()
        width, height = DEFAULT_SIZE
        if screen is not None:
            available = screen.availableGeometry()
            width, height = min(width, available.width() - 40), min(height, available.height() - 40)
        self.resize(max(width, 640), max(height, 480))

    def _splitters(self) -> dict[str, QSplitter]:
        if self.patient_view is None:  # the start-up frame
            return {"main_splitter": self.splitter}
        return {"main_splitter": self.splitter, "sessions_splitter": self.patient_view.splitter}

    # -- actions and menus ---------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object], shortcut: str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _clinic_window(self, name: str) -> Callable[[], object]:
        """The Clinic menu's action ``name`` (ClinicWindows, made with the clinic: after the actions)."""
        return lambda: getattr(self.clinic_windows, name)()

    def _make_actions(self) -> None:
        self.new_patient_action = self._action("&New patient…", self.new_patient, "Ctrl+N",
                                               "Register a new patient")
        self.edit_patient_action = self._action("&Edit patient…", self.edit_patient, "Ctrl+E",
                                                "Edit the selected patient's details")
        self.load_demo_action = self._action("Load &demo clinic…", self.load_demo, None,
                                             "Fill an empty database with made-up patients and sessions")
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.password_action = self._action("Change &password…", self.change_password, None,
                                            "Change your own password (the current one is asked)")
        self.pin_action = self._action("Set signing P&IN…", self.set_signing_pin, None,
                                       "A short PIN that signs your notes while you are signed in (your password "
                                       "is asked)")
        self.sign_out_action = self._action("Sign &out", self.sign_out, None,
                                            "End your session and return to the login screen")
        self.lock_action = self._action("&Lock screen", self.lock_screen, "Ctrl+L",
                                        "Cover the screen until you type your password again (open work is kept)")
        self.find_action = self._action("&Find patient", self.focus_search, "Ctrl+F",
                                        "Search by name, MRN or date of birth")
        self.refresh_action = self._action("&Refresh", self.refresh, "F5", "Reload from the database")
        self.about_action = self._action("&About tpi-notes", self.show_about)
        self.diagnostics_action = self._action("Save &diagnostics…", self.save_diagnostics, None,
                                               "A zip of the versions, settings and logs for support "
                                               "(no patient data)")
        self.new_session_action = self._action("&New session…", self.new_session, "Ctrl+Shift+N",
                                               "Chart a new session for the selected patient")
        self.repeat_session_action = self._action("&Repeat last session…", self.repeat_session, "Ctrl+Shift+R",
                                                  "A new session copied forward from the patient's last one")
        self.preview_note_action = self._action("Preview &note", self.preview_note, "Ctrl+Shift+P",
                                                "Show the selected session's procedure note (print or save it)")
        self.print_aftercare_action = self._action("Print &aftercare…", self.print_aftercare, "Ctrl+P",
                                                   "Print the selected session's aftercare sheet for the patient")
        self.history_action = self._action("Session &history…", self._clinic_window("open_history"), "Ctrl+H",
                                           "All sessions: filter, sort, chart and export")
        self.printout_action = self._action("Check a &printed note…", self._clinic_window("open_printout_check"), None,
                                            "Scan a paper note's QR code: is it what was signed, is the record intact?")
        self.outcomes_action = self._action("&Outcomes report…", self.open_outcomes, None,
                                            "Relief and PEG change by muscle group, agent and technique (issue 17)")
        self.admin_action = self._action("Clinic &administration…", self._clinic_window("open_admin"), None,
                                         "Users and roles, clinic details, formulary and lots")
        self.audit_action = self._action("Audit &trail…", self._clinic_window("open_audit"), None,
                                         "Who viewed, changed, signed, printed or exported what, and when")
        self.backup_action = self._action("&Back up database…", self._clinic_window("backup"), None,
                                          "Write a consistent copy of the clinic database to a file")

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_patient_action, self.edit_patient_action])
        file_menu.addSeparator()
        file_menu.addAction(self.load_demo_action)
        file_menu.addSeparator()
        file_menu.addActions([self.password_action, self.pin_action, self.lock_action, self.sign_out_action,
                              self.quit_action])
        session_menu = bar.addMenu("&Session")
        session_menu.addActions([self.new_session_action, self.repeat_session_action])
        session_menu.addSeparator()
        session_menu.addActions([self.preview_note_action, self.print_aftercare_action])
        clinic_menu = bar.addMenu("&Clinic")
        clinic_menu.addActions([self.history_action, self.outcomes_action, self.printout_action])
        clinic_menu.addSeparator()
        clinic_menu.addActions([self.admin_action, self.audit_action, self.backup_action])
        self.clinic_menu = clinic_menu
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.find_action, self.refresh_action])
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.diagnostics_action, self.about_action])

    def _apply_permissions(self) -> None:
        """Hide what the signed-in user's roles do not allow (the services refuse it regardless)."""
        from tpi_notes.services import clinic

        can = self.ctx.can
        self.new_patient_action.setVisible(can(Permission.EDIT_PATIENTS))
        self.edit_patient_action.setVisible(can(Permission.EDIT_PATIENTS))
        self.new_session_action.setVisible(can(Permission.PREPARE_DRAFTS))
        self.repeat_session_action.setVisible(can(Permission.PREPARE_DRAFTS))
        self.demo_allowed = can(Permission.LOAD_DEMO) and clinic.demo_allowed(self.ctx)
        self.load_demo_action.setVisible(self.demo_allowed)
        self.preview_note_action.setVisible(can(Permission.PRINT))
        self.print_aftercare_action.setVisible(can(Permission.PRINT))
        self.lock_action.setVisible(self.ctx.user_id is not None)
        self.password_action.setVisible(self.ctx.user_id is not None)
        self.pin_action.setVisible(self.ctx.user_id is not None and can(Permission.SIGN))
        self.sign_out_action.setVisible(self.ctx.user_id is not None)
        self.history_action.setVisible(can(Permission.VIEW_RECORDS))
        self.outcomes_action.setVisible(can(Permission.VIEW_OUTCOMES))  # physicians and administrators
        self.printout_action.setVisible(can(Permission.VIEW_RECORDS))
        self.admin_action.setVisible(any(can(p) for p in (Permission.MANAGE_USERS, Permission.MANAGE_CLINIC,
                                                           Permission.MANAGE_FORMULARY)))
        self.audit_action.setVisible(can(Permission.VIEW_AUDIT))
        self.backup_action.setVisible(can(Permission.BACKUP))
        self.empty_state.register_button.setVisible(can(Permission.EDIT_PATIENTS))
        self.empty_state.set_demo_available(self.demo_allowed)
        if not can(Permission.EDIT_PATIENTS):
            self.no_selection.setText("Select a patient on the left.")
        self.patient_list.demo_available = self.demo_allowed
        if self.patient_view is not None:
            self._patient_view_permissions()
        for menu_action in self.menuBar().actions():  # a menu with nothing left in it is not shown: the
            menu = menu_action.menu()                  # administrator's Session menu opened on nothing
            if menu is not None:
                menu_action.setVisible(any(a.isVisible() and not a.isSeparator() for a in menu.actions()))
        who = self.ctx.principal
        if who.is_user:
            label = self.findChild(QLabel, "signed_in_as")
            if label is None:
                label = QLabel(self)
                label.setObjectName("signed_in_as")
                set_role(label, "hint")
                self.statusBar().addPermanentWidget(label)
            label.setText(f"Signed in as {who.name} ({', '.join(ROLES[r] for r in who.roles)})")

    @Slot()
    def _on_settings_saved(self) -> None:
        """New clinic settings: the lock follows the new inactivity minutes at once."""
        from tpi_notes.services import clinic

        if self.screen_lock is not None:
            self.screen_lock.set_minutes(clinic.get_clinic_info(self.ctx).inactivity_lock_minutes)

    @Slot(int)
    def open_session_anywhere(self, session_id: int) -> QWidget | None:
        """Open a session from the history browser: select its patient here, then open it."""
        from tpi_notes.services import sessions as session_service

        try:
            record = session_service.get_session(self.ctx, session_id)
        except TpiError as exc:
            show_error(self, exc)
            return None
        if self.current_patient is None or self.current_patient.id != record.patient_id:
            if not self.patient_list.select_patient(record.patient_id):
                self.patient_list.search_edit.clear()
                self.patient_list.refresh()
                self.patient_list.select_patient(record.patient_id)
            self._show_patient(record.patient_id)
        return self.open_session(session_id)

    @Slot()
    def change_password(self) -> QWidget:
        from tpi_notes.ui.password_dialog import open_change_password

        return open_change_password(self.ctx, self)

    @Slot()
    def set_signing_pin(self) -> QWidget:
        from tpi_notes.ui.pin_dialog import open_signing_pin

        return open_signing_pin(self.ctx, self)

    @Slot()
    def sign_out(self) -> bool:
        """File → Sign out: close everything (each editor asks about unsaved changes), then back to the login."""
        for editor in list(self.editors):
            if editor.isVisible() and not editor.close():
                return False
        return self._end_session()

    @Slot()
    def sign_out_from_lock(self) -> bool:
        """Sign out from the lock screen: the person who typed is not there, so nothing is asked and unsaved
        sessions stay in the recovery journal, offered at the next sign-in."""
        answer = QMessageBox.question(
            self.screen_lock.dialog if self.screen_lock and self.screen_lock.dialog else self, "Sign out?",
            f"Sign {self.ctx.principal.name} out? Unsaved sessions are kept and offered again at the next sign-in; "
            "an unsaved patient form is closed without saving.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        if self.screen_lock is not None:
            self.screen_lock.release()  # curtains off first: they watch the windows about to close
        for editor in list(self.editors):
            editor.close_keeping_journal()
        return self._end_session()

    def _end_session(self) -> bool:
        from tpi_notes.services import login

        if self.screen_lock is not None:
            self.screen_lock.release()
        for widget in QApplication.topLevelWidgets():
            if widget is not self and widget.isVisible():
                widget.close()
        try:
            login.sign_out(self.ctx)
        except TpiError as exc:
            show_error(self, exc)
        self.signed_out = True
        self.close()
        return True

    @Slot()
    def lock_screen(self) -> None:
        from tpi_notes.ui.screen_lock import USER_LOCK

        if self.screen_lock is not None:
            self.screen_lock.lock(reason=USER_LOCK)  # said as such on the screen and in the audit trail

    # -- refreshing ----------------------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Re-read the patient list and the selected patient; show the first-run screen when empty."""
        if self.ctx is None:
            return  # the start-up frame: the database is still being opened
        from tpi_notes.services import clinic

        try:
            empty = clinic.is_empty(self.ctx)
            self.patient_list.refresh()
        except TpiError as exc:
            show_error(self, exc)
            return
        self.load_demo_action.setEnabled(empty and self.demo_allowed)
        if empty:
            self._show_patient(None)
            self.right_stack.setCurrentWidget(self.empty_state)
        else:
            if self.right_stack.currentWidget() is self.empty_state:
                self.right_stack.setCurrentWidget(self.no_selection)
            self._show_patient(self.patient_list.current_patient_id())

    @Slot(object)
    def _on_patient_selected(self, patient_id: int | None) -> None:
        self._show_patient(patient_id)

    def _show_patient(self, patient_id: int | None) -> None:
        from tpi_notes.services import patients as patient_service

        record = None
        if patient_id is not None:
            try:
                record = patient_service.get_patient(self.ctx, patient_id)
                sessions = patient_service.list_patient_sessions(self.ctx, patient_id)
            except TpiError as exc:
                show_error(self, exc)
                record = None
            else:
                self._ensure_patient_view().show_patient(record, sessions, self.ctx.today())
                self._show_outcomes(patient_id)
        self.current_patient = record
        self.edit_patient_action.setEnabled(record is not None)
        self.new_session_action.setEnabled(record is not None)
        self.repeat_session_action.setEnabled(record is not None)
        self._update_document_actions()
        if record is not None:
            self.right_stack.setCurrentWidget(self.patient_view)
        elif self.right_stack.currentWidget() is not self.empty_state:
            self.right_stack.setCurrentWidget(self.no_selection)

    @Slot()
    def open_outcomes(self) -> None:
        """Clinic → Outcomes report: one window, raised when already open."""
        from tpi_notes.ui.outcomes_report import OutcomesReportWindow

        window = getattr(self, "outcomes_window", None)
        if window is None or not window.isVisible():
            window = self.outcomes_window = OutcomesReportWindow(self.ctx, self.ctx.today(), self)
        window.show()
        window.raise_()
        window.activateWindow()

    def _show_outcomes(self, patient_id: int) -> None:
        """The patient's response map and PEG trend (issue 17); a failure there leaves the rest of the page."""
        from tpi_notes.services import outcomes as outcome_service

        try:
            self._ensure_patient_view().show_outcomes(outcome_service.patient_outcomes(self.ctx, patient_id))
        except TpiError as exc:
            show_error(self, exc)

    # -- user actions --------------------------------------------------------------------------------------
    @Slot()
    def new_patient(self) -> None:
        self._open_dialog(None)

    @Slot()
    def edit_patient(self) -> None:
        from tpi_notes.services import patients as patient_service

        if self.current_patient is None:
            return
        try:
            record = patient_service.get_patient(self.ctx, self.current_patient.id)
        except TpiError as exc:
            show_error(self, exc)
            return
        self._open_dialog(record)

    @Slot(int)
    def _on_patient_activated(self, patient_id: int) -> None:
        if self.current_patient is None or self.current_patient.id != patient_id:
            self._show_patient(patient_id)
        self.edit_patient()

    def _open_dialog(self, record: PatientRecord | None) -> None:
        from tpi_notes.ui.patient_dialog import PatientDialog

        dialog = PatientDialog(self.ctx, record, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.patient_saved.connect(self._on_patient_saved)
        dialog.finished.connect(self._on_dialog_finished)
        self.active_dialog = dialog
        dialog.open()

    @Slot(int)
    def _on_dialog_finished(self, _result: int) -> None:
        self.active_dialog = None

    @Slot(object)
    def _on_patient_saved(self, record: PatientRecord) -> None:
        self.patient_list.refresh()
        if not self.patient_list.select_patient(record.id):
            self.patient_list.search_edit.clear()  # the new patient must be visible, whatever was typed
            self.patient_list.refresh()
            self.patient_list.select_patient(record.id)
        self.refresh()
        self.statusBar().showMessage(f"Saved {record.display_name}", 5000)

    @Slot(int)
    def open_session(self, session_id: int) -> SessionWindow | SessionEditor | None:
        """Open a session in its own window: a draft in the editor, a signed one read-only on its atlas."""
        for editor in self.editors:
            if editor.draft_id == session_id:
                editor.raise_()
                editor.activateWindow()
                return editor
        with _busy():
            return self._open_session(session_id)

    def _open_session(self, session_id: int) -> SessionWindow | SessionEditor | None:
        from tpi_notes.domain.draft import draft_from_record
        from tpi_notes.services import clinic, integrity
        from tpi_notes.services import sessions as session_service
        from tpi_notes.ui.editor.opening import open_editor
        from tpi_notes.ui.session_window import SessionWindow

        try:
            record = session_service.get_session(self.ctx, session_id)
            formulary = {item.code: item for item in clinic.list_formulary(self.ctx, include_retired=True)}
            tampered = record.is_signed and not integrity.session_is_intact(self.ctx, session_id)
        except TpiError as exc:
            show_error(self, exc)
            return None
        if not record.is_signed and self.ctx.can(Permission.PREPARE_DRAFTS):
            draft = draft_from_record(record)
            return self._track(open_editor(self.ctx, draft, self, baseline=draft))
        name = self.current_patient.display_name if self.current_patient else ""
        window = SessionWindow(record, name, formulary, self, tampered=tampered, ctx=self.ctx)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        return window

    @Slot()
    def new_session(self) -> SessionEditor | None:
        """A new draft session for the selected patient, in the session editor (not saved until Save)."""
        from tpi_notes.ui.editor.opening import new_session

        if self.current_patient is None:
            return None
        with _busy():
            return self._track(new_session(self.ctx, self.current_patient.id, self))

    @Slot()
    def repeat_session(self) -> SessionEditor | None:
        """A new session copied forward from the patient's last one, in one action (issue 16): its sites,
        syringes (without lots) and clinical frame, marked to confirm."""
        from tpi_notes.ui.editor import reuse

        editor = self.new_session()
        if editor is not None:
            reuse.copy_forward(editor)
        return editor

    def offer_recovered_drafts(self) -> list[SessionEditor]:
        """After start-up: offer to reopen drafts that a crash left unsaved (from the recovery journal)."""
        from tpi_notes.recovery import nothing_to_recover

        if not self.ctx.can(Permission.PREPARE_DRAFTS):
            return []  # kept for someone who may chart
        if nothing_to_recover(self.ctx.url):
            return []  # the usual start: the editor (and ReportLab behind it) is not loaded for nothing
        from tpi_notes.ui.editor.opening import offer_recovered

        return [e for e in (self._track(editor) for editor in offer_recovered(self.ctx, self)) if e is not None]

    def _track(self, editor: SessionEditor | None) -> SessionEditor | None:
        if editor is not None:
            self.editors.append(editor)
            editor.destroyed.connect(functools.partial(self._forget, editor))
            editor.session_saved.connect(self._on_session_saved)
        return editor

    def _forget(self, editor: SessionEditor, _gone: object = None) -> None:
        if editor in self.editors:
            self.editors.remove(editor)

    @Slot(int, int)
    def _on_session_saved(self, _session_id: int, patient_id: int) -> None:
        if self.current_patient is not None and self.current_patient.id == patient_id:
            self._show_patient(patient_id)

    def selected_session_id(self) -> int | None:
        if self.patient_view is None:
            return None
        index = self.patient_view.session_view.currentIndex()
        session = self.patient_view.session_model.session_at(index.row()) if index.isValid() else None
        return session.id if session is not None and self.current_patient is not None else None

    @Slot()
    def _update_document_actions(self) -> None:
        chosen = self.selected_session_id() is not None
        self.preview_note_action.setEnabled(chosen)
        self.print_aftercare_action.setEnabled(chosen)

    @Slot()
    def preview_note(self) -> PdfPreview | None:
        from tpi_notes.ui import pdf_preview

        session_id = self.selected_session_id()
        return None if session_id is None else pdf_preview.preview_note(self.ctx, session_id, self)

    @Slot()
    def print_aftercare(self) -> PdfPreview | bool:
        from tpi_notes.ui import pdf_preview

        session_id = self.selected_session_id()
        if session_id is None or self.current_patient is None:
            return False
        session = self.patient_view.session_model.session_at(self.patient_view.session_view.currentIndex().row())
        when = f" — session of {session.performed_start:%Y-%m-%d %H:%M}" if session is not None else ""
        return pdf_preview.print_aftercare(self.ctx, session_id, self.current_patient.language, self,
                                           subject=self.current_patient.display_name + when)

    @Slot()
    def load_demo(self) -> None:
        from tpi_notes.ui.demo import load_demo_clinic

        if load_demo_clinic(self, self.ctx):
            self.refresh()
            self.statusBar().showMessage("Demo clinic loaded", 5000)

    @Slot()
    def focus_search(self) -> None:
        self.patient_list.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.patient_list.search_edit.selectAll()

    @Slot()
    def show_about(self) -> None:
        from tpi_notes.ui import help_menu

        where = str(self.ctx.database_path) if self.ctx.database_path else redact_url(self.ctx.url)
        help_menu.show_about(self, where)  # with the versions of the rules, atlas, aftercare text, formulary, ICD-10

    @Slot()
    def save_diagnostics(self) -> None:
        from tpi_notes.ui import help_menu

        help_menu.save_diagnostics(self, self.ctx.url)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        for editor in list(self.editors):  # each asks about its unsaved changes; Cancel keeps the app open
            if editor.isVisible() and not editor.close():
                event.ignore()
                return
        if self.clinic_windows is not None:
            self.clinic_windows.close_all()
        if self.screen_lock is not None:
            self.screen_lock.stop()
        if self.ctx is not None:  # not the start-up frame closed on a refused file: the layout is the user's
            save_layout(self, self._splitters())
        super().closeEvent(event)


@contextlib.contextmanager
def _busy() -> Iterator[None]:
    """The wait cursor while a session's window is built: the editor's first opening takes seconds (it is
    imported then, with what it reads), and with the arrow the click looked ignored."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def _padded(widget: QWidget, left: int, top: int, right: int, bottom: int) -> QWidget:
    holder = QWidget(widget.parentWidget())
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(left, top, right, bottom)
    layout.addWidget(widget)
    return holder
