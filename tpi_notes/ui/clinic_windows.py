"""The Clinic menu's windows: the session history, the printed-note check, clinic administration with the audit
trail, and backups.

One of each at a time: asking again raises the open one. The main window owns this object and connects its two
signals (a session chosen in the history, new clinic settings).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from tpi_notes.domain.permissions import Permission
from tpi_notes.services.context import AppContext

AUDIT_TAB = "Audit trail"


class ClinicWindows(QObject):
    session_activated = Signal(int)
    """A session was double-clicked in the history browser."""

    settings_saved = Signal()
    """The clinic settings were saved (the inactivity lock follows the new minutes)."""

    def __init__(self, ctx: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._parent = parent
        self.history: QWidget | None = None
        self.admin: QWidget | None = None
        self.printout_check: QWidget | None = None

    @Slot()
    def open_history(self) -> QWidget:
        """The session history browser."""
        from tpi_notes.ui.history import HistoryBrowser

        if self.history is None:
            self.history = HistoryBrowser(self._ctx, self._parent)
            self.history.session_activated.connect(self.session_activated)
        return _raise(self.history)

    @Slot(str)
    def recall_lot(self, lot_number: str) -> QWidget:
        """The session history filtered to one lot: who received it, when, from whom (a recall)."""
        from tpi_notes.domain.history import HistoryFilter

        browser = self.open_history()
        browser.set_filter(HistoryFilter(lot_number=lot_number))
        return browser

    @Slot()
    def open_printout_check(self) -> QWidget:
        """Check a printed note against the record (stays open for the next paper)."""
        from tpi_notes.ui.printout_dialog import PrintoutCheckDialog

        if self.printout_check is None:
            self.printout_check = PrintoutCheckDialog(self._ctx, self._parent)
        return _raise(self.printout_check)

    def _admin(self) -> QWidget:
        from tpi_notes.ui.admin import AdminWindow
        from tpi_notes.ui.audit_screen import AuditTrailScreen

        if self.admin is None:
            self.admin = AdminWindow(self._ctx, self._parent)
            if self._ctx.can(Permission.VIEW_AUDIT):
                self.admin.add_tab(AuditTrailScreen(self._ctx, self.admin), AUDIT_TAB)
            if self.admin.clinic_tab is not None:
                self.admin.clinic_tab.settings_saved.connect(self._on_settings_saved)
            if self.admin.formulary_tab is not None:
                self.admin.formulary_tab.recall_requested.connect(self.recall_lot)
        return self.admin

    @Slot()
    def open_admin(self) -> QWidget:
        """Users, clinic, formulary and lots (and the audit trail for whoever may see it)."""
        return _raise(self._admin())

    @Slot()
    def open_audit(self) -> QWidget:
        window = self._admin()
        window.show_tab(AUDIT_TAB)
        return _raise(window)

    @Slot()
    def backup(self) -> None:
        from tpi_notes.ui.admin import backup_database

        backup_database(self._ctx, self._parent)

    @Slot(object)
    def _on_settings_saved(self, _data: object) -> None:
        self.settings_saved.emit()

    def close_all(self) -> None:
        for window in (self.history, self.admin):
            if window is not None:
                window.close()


def _raise(window: QWidget) -> QWidget:
    window.show()
    window.raise_()
    window.activateWindow()
    return window
