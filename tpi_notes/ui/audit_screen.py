"""The audit trail (product.md §9): filter, sort by any column, verify the hash chain, export as CSV.

``AuditTrailScreen`` is a plain QWidget: the admin window puts it in a tab, and it can be shown alone.
Every first page it reads is itself an audited view of the trail; the export is an audited export.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.audit_query import AuditFilter, UserChoice
from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.services import audit_trail, integrity
from tpi_notes.services.context import AppContext
from tpi_notes.services.integrity import VerifyReport
from tpi_notes.ui import file_dialogs
from tpi_notes.ui.audit_model import DETAIL_COLUMN, AuditTableModel
from tpi_notes.ui.audit_widgets import OptionalDateEdit, VerifyPanel
from tpi_notes.ui.background import run_with_progress
from tpi_notes.ui.errors import error_text, show_error
from tpi_notes.ui.style import ACCENT, DANGER, set_invalid, set_role

FILTER_DELAY_MS = 300
_COLUMN_WIDTHS = (150, 150, 80, 190, 230)  # Record holds "user Full Name (login)" whole


class AuditTrailScreen(QWidget):
    """Filter bar, count, Verify chain and Export CSV…, and the paged, server-sorted table of events."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit_trail_screen")
        self._ctx = ctx
        self._focused = False
        self._verifying = False
        self._build_filter_bar()
        self._build_actions()
        self._build_table()
        self.verify_panel = VerifyPanel(self)
        self.verify_label, self.problem_list = self.verify_panel.label, self.verify_panel.problem_list

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(self._filter_grid)
        layout.addLayout(self._action_row)
        layout.addWidget(self.verify_panel)
        layout.addWidget(self._stack, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.apply_filter)
        for edit in (self.patient_edit, self.text_edit):
            edit.textChanged.connect(self._timer.start)
            edit.returnPressed.connect(self.apply_filter)
        for field in (self.from_date, self.to_date):
            field.dateChanged.connect(self._timer.start)
        for combo in (self.user_combo, self.action_combo, self.entity_combo):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.model.failed.connect(self._on_failed)
        self.model.reloaded.connect(self._on_reloaded)
        self.model.rowsInserted.connect(self._update_count)

        try:
            self._load_choices()
        except TpiError as exc:  # e.g. PermissionDenied: say so instead of an empty screen
            self._refuse(exc)
            return
        self.model.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._focused and self.view.isEnabled():
            self._focused = True  # start on the table, not in the first date field
            self.view.setFocus()

    # -- building ------------------------------------------------------------------------------------------
    def _build_filter_bar(self) -> None:
        self.from_date = OptionalDateEdit(self)
        self.from_date.setObjectName("audit_from")
        self.to_date = OptionalDateEdit(self)
        self.to_date.setObjectName("audit_to")
        self.user_combo = self._combo("audit_user", 220)
        self.action_combo = self._combo("audit_action", 120)
        self.entity_combo = self._combo("audit_entity", 130)
        self.patient_edit = self._line("audit_patient", "Patient name or MRN")
        self.text_edit = self._line("audit_text", "Text in the detail")
        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setObjectName("audit_clear")
        self.clear_button.clicked.connect(self.clear_filters)
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(8)
        for column, (label, widget) in enumerate((("From", self.from_date), ("To", self.to_date),
                                                  ("User", self.user_combo), ("Action", self.action_combo),
                                                  ("Record", self.entity_combo))):
            grid.addWidget(self._label(label, widget), 0, 2 * column)
            grid.addWidget(widget, 0, 2 * column + 1)
        grid.addWidget(self._label("Patient", self.patient_edit), 1, 0)
        grid.addWidget(self.patient_edit, 1, 1, 1, 3)
        grid.addWidget(self._label("Detail", self.text_edit), 1, 4)
        grid.addWidget(self.text_edit, 1, 5, 1, 3)
        grid.addWidget(self.clear_button, 1, 8, 1, 2)
        grid.setColumnStretch(5, 1)
        self._filter_grid = grid

    def _build_actions(self) -> None:
        self.count_label = QLabel(self)
        self.count_label.setObjectName("audit_count")
        set_role(self.count_label, "count")
        self.message_label = QLabel(self)
        self.message_label.setObjectName("audit_message")
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("audit_refresh")
        self.refresh_button.setToolTip("Read the trail again, with the events added since")
        self.refresh_button.clicked.connect(self.refresh)
        self.verify_button = QPushButton("Verify chain", self)
        self.verify_button.setObjectName("audit_verify")
        self.verify_button.setToolTip("Check that no audit event was changed or deleted, and that every signed "
                                      "note still matches its signature")
        self.verify_button.clicked.connect(self.verify_chain)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setObjectName("audit_export")
        self.export_button.setToolTip("Save the events the filter matches as a CSV file (an audited export)")
        self.export_button.clicked.connect(self.export_csv)
        row = QHBoxLayout()
        row.addWidget(self.count_label)
        row.addSpacing(12)
        row.addWidget(self.message_label, 1)
        for button in (self.refresh_button, self.verify_button, self.export_button):
            row.addWidget(button)
        self._action_row = row

    def _build_table(self) -> None:
        self.model = AuditTableModel(self._ctx, self)
        self.view = QTableView(self)
        self.view.setObjectName("audit_view")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table for the buttons, not cell by cell
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(26)
        header = self.view.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)  # newest first, before sorting is switched on
        for column, width in enumerate(_COLUMN_WIDTHS):
            self.view.setColumnWidth(column, width)
        self.view.setSortingEnabled(True)
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("audit_hint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.hint_label.setContentsMargins(12, 32, 12, 12)
        set_role(self.hint_label, "hint")
        self._hint_card = QFrame(self)
        self._hint_card.setObjectName("card")
        card = QVBoxLayout(self._hint_card)
        card.addWidget(self.hint_label)
        card.addStretch(1)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.view)
        self._stack.addWidget(self._hint_card)

    def _combo(self, name: str, width: int) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setMinimumWidth(width)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        return combo

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.setMaxLength(200)
        return edit

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    # -- the filter ----------------------------------------------------------------------------------------
    def _load_choices(self) -> None:
        users = audit_trail.user_choices(self._ctx)
        actions = audit_trail.action_choices(self._ctx)
        entities = audit_trail.entity_choices(self._ctx)
        self.model.account_names = {u.user_id: u.label for u in users if u.user_id is not None}
        for combo, everything, items in (
            (self.user_combo, "All users", [(u.label, u) for u in users]),
            (self.action_combo, "All actions", [(a, a) for a in actions]),
            (self.entity_combo, "All records", [(e.replace("_", " "), e) for e in entities]),
        ):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for label, data in items:
                combo.addItem(label, data)
            at = combo.findData(keep) if keep is not None else 0
            combo.setCurrentIndex(max(at, 0))
            combo.blockSignals(False)

    def current_filter(self) -> AuditFilter:
        """The filter the bar shows."""
        user: UserChoice | None = self.user_combo.currentData()
        return AuditFilter(
            date_from=self.from_date.value(), date_to=self.to_date.value(),
            user_id=user.user_id if user else None, actor=user.actor if user else None,
            action=self.action_combo.currentData(), entity=self.entity_combo.currentData(),
            patient_text=self.patient_edit.text().strip(), detail_text=self.text_edit.text().strip())

    @property
    def filter_pending(self) -> bool:
        """True between typing in a filter field and the (debounced) reload it starts."""
        return self._timer.isActive()

    @Slot()
    def apply_filter(self) -> None:
        """Show the first page of the bar's filter (an audited view), unless it is the one shown."""
        self._timer.stop()
        flt = self.current_filter()
        if flt == self.model.filter and self.model.snapshot.up_to_id is not None:
            return
        set_invalid(self.to_date, False)
        self.model.set_filter(flt)

    @Slot()
    def clear_filters(self) -> None:
        for widget in (self.from_date, self.to_date, self.user_combo, self.action_combo, self.entity_combo,
                       self.patient_edit, self.text_edit):
            widget.blockSignals(True)
        self.from_date.set_value(None)
        self.to_date.set_value(None)
        for combo in (self.user_combo, self.action_combo, self.entity_combo):
            combo.setCurrentIndex(0)
        self.patient_edit.clear()
        self.text_edit.clear()
        for widget in (self.from_date, self.to_date, self.user_combo, self.action_combo, self.entity_combo,
                       self.patient_edit, self.text_edit):
            widget.blockSignals(False)
        self.apply_filter()

    @Slot()
    def refresh(self) -> None:
        """The trail again from a new snapshot (events added since show up), filter choices included."""
        try:
            self._load_choices()
        except TpiError as exc:
            show_error(self, exc)
            return
        self._timer.stop()
        self.model.set_filter(self.current_filter())

    # -- results -------------------------------------------------------------------------------------------
    @Slot()
    def _on_reloaded(self) -> None:
        self.message_label.clear()
        self._update_count()
        if self.model.total:
            self._stack.setCurrentWidget(self.view)
            self.view.scrollToTop()
        else:
            filtered = self.model.filter != AuditFilter()
            self.hint_label.setText("No audit event matches these filters. Widen the dates, or press Clear filters."
                                    if filtered else "The audit trail is empty.")
            self._stack.setCurrentWidget(self._hint_card)

    @Slot()
    def _update_count(self) -> None:
        total = self.model.total
        noun = "event" if total == 1 else "events"
        filtered = self.model.filter != AuditFilter()
        amount = f"{total:,}" if total else "No"
        loaded = self.model.rowCount()
        self.count_label.setText(f"{amount} {noun} {'match' if filtered else 'in the trail'}"
                                 + (f" · {loaded:,} loaded (scroll for more)" if loaded < total else ""))

    @Slot(object)
    def _on_failed(self, error: TpiError) -> None:
        if isinstance(error, ValidationError):
            set_invalid(self.to_date, "date_to" in error.errors)
            self._say(error_text(error), DANGER)
            return
        show_error(self, error)

    def _say(self, text: str, colour: str = ACCENT) -> None:
        self.message_label.setStyleSheet(f"color: {colour};")
        self.message_label.setText(text)

    def _refuse(self, error: TpiError) -> None:
        for widget in (self.from_date, self.to_date, self.user_combo, self.action_combo, self.entity_combo,
                       self.patient_edit, self.text_edit, self.clear_button, self.refresh_button,
                       self.verify_button, self.export_button):
            widget.setEnabled(False)
        self.count_label.clear()
        self.hint_label.setText(error_text(error))
        self._stack.setCurrentWidget(self._hint_card)

    # -- verify and export ---------------------------------------------------------------------------------
    @property
    def verifying(self) -> bool:
        """True while a verify runs on its worker thread (the button is disabled meanwhile)."""
        return self._verifying

    @Slot()
    def verify_chain(self) -> VerifyReport | None:
        """Check the whole chain and every signed session (recorded as a "verify" event); show what was found.

        The check runs on a worker thread (100,000 sessions take a while) while the window stays painted;
        a second verify cannot start until this one is done.
        """
        if self._verifying:
            return None
        self._verifying = True
        enabled = self.verify_button.isEnabled()
        self.verify_button.setEnabled(False)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = run_with_progress(self, "Verifying the audit chain and the signed sessions…",
                                       partial(_verify_and_record, self._ctx))
        except TpiError as exc:
            failure: TpiError | None = exc
        else:
            failure = None
        finally:
            QApplication.restoreOverrideCursor()
            self.verify_button.setEnabled(enabled)
            self._verifying = False
        if failure is not None:
            show_error(self, failure)
            return None
        self.show_report(report)
        self.refresh()  # the count and the table as of now: the events added meanwhile and this check's own
        return report

    def show_report(self, report: VerifyReport) -> None:
        self.verify_panel.show_report(report)

    @Slot()
    def export_csv(self) -> int | None:
        """Ask where, then write the events the filter matches (as loaded: nothing newer) to a CSV file."""
        suggested = f"audit-trail-{date.today().isoformat()}.csv"
        path = file_dialogs.ask_save_path(self, "Export the audit trail", suggested, "CSV files (*.csv)")
        if path is None:
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = audit_trail.export_events_csv(self._ctx, self.model.snapshot, path)
        except TpiError as exc:
            show_error(self, exc)
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self._say(f"Exported {written:,} event{'s' if written != 1 else ''} to {path}")
        return written


def _verify_and_record(ctx: AppContext) -> VerifyReport:
    """The worker's part of Verify chain: the check, then its "verify" audit event (no widgets here)."""
    report = integrity.verify_database(ctx)
    integrity.record_verification(ctx, report)
    return report


def render_audit_screenshot(ctx: AppContext, path: str | Path, size: tuple[int, int] = (1300, 800)) -> Path:
    """Draw the audit trail screen of ``ctx`` (acting as someone who may view the trail) into a PNG."""
    from tpi_notes.ui.style import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)  # type: ignore[arg-type]
    screen = AuditTrailScreen(ctx)
    screen.resize(*size)
    screen.show()
    app.processEvents()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    screen.grab().save(str(out))
    screen.close()
    screen.deleteLater()
    return out


__all__ = ["DETAIL_COLUMN", "AuditTrailScreen", "render_audit_screenshot"]
