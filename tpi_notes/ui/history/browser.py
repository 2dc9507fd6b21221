"""The session history browser (product.md §2): every session, filtered, sorted and paged by the database.

A filter change shows the first page at once (a few milliseconds at any size); the count, when the page did
not give it, and the chart follow from a worker thread (summary_worker.py), so the window never waits for
them and a result of a filter already replaced is dropped.
"""

from __future__ import annotations

import sys
from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import TpiError, ValidationError
from tpi_notes.domain.history import ChartData, HistoryFilter, Sort
from tpi_notes.domain.permissions import Permission
from tpi_notes.services import exports
from tpi_notes.services import history as history_service
from tpi_notes.services.context import AppContext
from tpi_notes.ui import file_dialogs
from tpi_notes.ui.background import run_with_progress
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.history.chart import HistoryChart
from tpi_notes.ui.history.filter_bar import FilterBar
from tpi_notes.ui.history.model import (
    AGENTS,
    COLUMN_OF_SORT,
    DATE,
    MRN,
    MUSCLES,
    PAIN,
    PATIENT,
    PHYSICIAN,
    SITES,
    SORT_COLUMNS,
    STATUS,
    HistoryTableModel,
)
from tpi_notes.ui.history.summary_worker import SummaryRelay, SummaryTask
from tpi_notes.ui.settings import ui_settings
from tpi_notes.ui.style import set_role
from tpi_notes.ui.table_view import read_only_table

# (format passed to exports.export_to_file, menu text, file-dialog filter)
EXPORT_FORMATS = (
    ("csv", "CSV (spreadsheet)…", "CSV files (*.csv)"),
    ("jsonl", "JSON Lines…", "JSON Lines files (*.jsonl)"),
    ("fhir", "FHIR R4 bundle…", "FHIR JSON files (*.json)"),
)
DESCENDING_FIRST = {"performed", "sites"}  # a first click on these shows the newest / the most first
SETTINGS_GROUP = "history_window"


class HistoryBrowser(QMainWindow):
    """A window of its own: filter bar, a paged table of sessions, the count, a small chart, Export…."""

    session_activated = Signal(int)
    """A session was double-clicked or Enter was pressed on it: open it (its id)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._stale = False
        self.setWindowTitle("Session history")
        self.setObjectName("history_browser")
        self.filter_bar = FilterBar(self)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("history_count")
        set_role(self.count_label, "count")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("history_export")
        self.export_button.setToolTip("Export the sessions this filter matches")
        menu = QMenu(self.export_button)
        for fmt, text, _pattern in EXPORT_FORMATS:
            action = menu.addAction(text)
            action.setObjectName(f"history_export_{fmt}")
            action.triggered.connect(partial(self.export, fmt))
        self.export_button.setMenu(menu)
        self.export_button.setVisible(ctx.can(Permission.EXPORT))

        self.model = HistoryTableModel(ctx, self)
        self.view = self._make_view()
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("history_hint")
        self.hint_label.setWordWrap(True)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.hint_label.setContentsMargins(12, 32, 12, 12)
        set_role(self.hint_label, "hint")
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.view)
        self._stack.addWidget(self.hint_label)
        self.chart = HistoryChart(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("history_splitter")
        self.splitter.addWidget(self._stack)
        self.splitter.addWidget(self.chart)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.filter_bar)
        counts = QHBoxLayout()
        counts.addWidget(self.count_label)
        counts.addStretch(1)
        counts.addWidget(self.export_button)
        layout.addLayout(counts)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        # The count and the chart of each query run here (two threads: a replaced query's step may still be
        # finishing while the new one starts). A child of the window: destroying it waits for them.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = SummaryRelay(self)
        self._relay.counted.connect(self._on_counted)
        self._relay.charted.connect(self._on_charted)
        self._relay.failed.connect(self._on_summary_failed)
        self._query = 0  # the number of the query on screen; results tagged with another are dropped
        self._charted = 0  # the number of the query the chart shows
        self._tasks: list[SummaryTask] = []
        self._next: SummaryTask | None = None
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.setInterval(0)  # after the table has painted: the worker never slows its first paint
        self._start_timer.timeout.connect(self._start_next)
        self.filter_bar.changed.connect(self.refresh)
        self.model.load_failed.connect(lambda error: show_error(self, error))
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.view.doubleClicked.connect(self._on_double_clicked)
        self.view.installEventFilter(self)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.focus_patient_filter)
        refresh = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self)
        refresh.activated.connect(self.refresh)
        # Ctrl+W (and Ctrl+F4), as the editor and the preview: the StandardKey itself, which gives every binding
        QShortcut(QKeySequence.StandardKey.Close, self, activated=self.close)

        self._restore_layout()
        self._load_choices()
        self.refresh()
        self.view.setFocus()

    def _make_view(self) -> QTableView:
        view = read_only_table(self.model, "history_view", self)
        header = view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(DATE, Qt.SortOrder.DescendingOrder)
        for column, width in ((DATE, 128), (PATIENT, 170), (MRN, 84), (PHYSICIAN, 150), (STATUS, 100),
                              (SITES, 52), (PAIN, 64)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSectionResizeMode(MUSCLES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(AGENTS, QHeaderView.ResizeMode.Stretch)
        header.sectionClicked.connect(self._on_header_clicked)
        return view

    # -- querying ----------------------------------------------------------------------------------------
    def _load_choices(self) -> None:
        try:
            self.filter_bar.set_choices(history_service.filter_choices(self._ctx))
        except TpiError as error:
            show_error(self, error)

    @Slot()
    def refresh(self) -> None:
        """Run the filter bar's filter with the current sort: the first page now, the count and chart after."""
        self.run(self.filter_bar.current_filter(), self.model.sort_order)

    def run(self, flt: HistoryFilter, sort: Sort, *, reorder: bool = False) -> None:
        """Show the first page of ``flt`` in ``sort`` order, then count and chart it on the worker; with
        ``reorder`` (a header click: the same sessions in another order) the count and chart shown stay, when
        they are in: a chart of 1,000,000 sessions is seconds of a core, and it would be the same chart."""
        known = self.model.total if reorder and flt == self.model.filter and not self.chart_pending else None
        problems = flt.problems()
        self.filter_bar.show_problems(problems)
        if problems:
            self.count_label.setText(" ".join(problems.values()))
            return
        try:
            self.model.load(flt, sort)
        except ValidationError as error:
            self.filter_bar.show_problems(error.errors)
            self.count_label.setText(" ".join(error.errors.values()))
            return
        except TpiError as error:
            show_error(self, error)
            return
        self.view.horizontalHeader().setSortIndicator(
            COLUMN_OF_SORT[sort.key], Qt.SortOrder.DescendingOrder if sort.descending else Qt.SortOrder.AscendingOrder)
        self.view.scrollToTop()
        if known is not None:
            if self.model.total is None:
                self.model.set_total(known)
                self._update_count()
            return
        self._summarise()

    def set_filter(self, flt: HistoryFilter) -> None:
        """Show ``flt`` in the filter bar and run it (the patient id is not a bar control and is ignored)."""
        self.filter_bar.set_filter(flt)

    @property
    def chart_pending(self) -> bool:
        """True between a query and its chart."""
        return self._charted != self._query

    @Slot()
    def refresh_chart(self) -> None:
        """Chart the shown filter again (on the worker thread; the rows stay as they are)."""
        self._summarise()

    def wait_for_chart(self) -> None:
        """Block until the worker is done and its results are shown (screenshots and benchmarks only)."""
        self._start_next()
        self._pool.waitForDone()
        QApplication.processEvents()  # the queued results: the chart and the count's new text
        QApplication.processEvents()  # the layout that text asks for (a longer count label)

    def _summarise(self) -> None:
        """Count (unless the page counted) and chart the shown filter on the worker, as a new query, once the
        table has painted; the tasks of older queries are stopped (their statement interrupted) and whatever
        they still send is dropped."""
        self._query += 1
        for task in self._tasks:
            task.cancel()
        self._pool.clear()  # queued, never started
        self._tasks = [t for t in self._tasks if not t.done.is_set()]
        self._next = SummaryTask(self._ctx, self.model.filter, self._query, self.model.total is None, self._relay)
        self.chart.set_busy(True)
        self._start_timer.start()

    @Slot()
    def _start_next(self) -> None:
        self._start_timer.stop()
        if self._next is not None:
            task, self._next = self._next, None
            self._tasks.append(task)
            self._pool.start(task)

    @Slot(int, int)
    def _on_counted(self, query: int, total: int) -> None:
        if query == self._query and self.model.total is None:
            self.model.set_total(total)
            self._update_count()

    @Slot(int, object)
    def _on_charted(self, query: int, data: ChartData) -> None:
        if query != self._query:
            return  # the chart of a filter no longer shown
        self._charted = query
        self.chart.set_data(data)
        if self.model.total is None:  # its months add up to the count
            self.model.set_total(data.total)
            self._update_count()

    @Slot(int, object)
    def _on_summary_failed(self, query: int, error: Exception) -> None:
        if query != self._query:
            return
        self._charted = query
        self.chart.set_data(None)
        if isinstance(error, TpiError):
            show_error(self, error)
        else:  # a bug: the crash reporter, as for one on this thread
            sys.excepthook(type(error), error, error.__traceback__)

    @Slot()
    def _update_count(self) -> None:
        total = self.model.total
        if total is None:  # the first page is full; the worker is counting the rest
            self.count_label.setText(f"1–{self.model.rowCount():,} of many")
            self.count_label.setToolTip("Counting the sessions this filter matches…")
            total = self.model.rowCount()
        elif total == 0:
            self.count_label.setText("No sessions match")
            self.hint_label.setText("No sessions match these filters.\n\nWiden the dates, or press "
                                    "“Clear filters” to see every session.")
        else:
            self.count_label.setText(f"{total:,} session{'s' if total != 1 else ''}")
        if self.model.total is not None:
            self.count_label.setToolTip("")
        self._stack.setCurrentWidget(self.view if total else self.hint_label)
        self.chart.setVisible(total > 0)  # nothing to chart: the hint says so once
        self.export_button.setEnabled(total > 0)

    @Slot(int)
    def _on_header_clicked(self, column: int) -> None:
        current = self.model.sort_order
        key = SORT_COLUMNS.get(column)
        if key is None:
            sort = current  # not sortable: put the indicator back where the rows are sorted
        elif key == current.key:
            sort = Sort(key, not current.descending)
        else:
            sort = Sort(key, key in DESCENDING_FIRST)
        self.view.horizontalHeader().setSortIndicator(
            COLUMN_OF_SORT[sort.key], Qt.SortOrder.DescendingOrder if sort.descending else Qt.SortOrder.AscendingOrder)
        if sort != current:
            self.run(self.model.filter, sort, reorder=True)

    # -- opening a session -------------------------------------------------------------------------------
    def current_session_id(self) -> int | None:
        row = self.model.row_at(self.view.currentIndex().row())
        return row.id if row is not None else None

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.session_activated.emit(row.id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.view and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            session_id = self.current_session_id()
            if session_id is not None:
                self.session_activated.emit(session_id)
                return True
        return super().eventFilter(watched, event)

    @Slot()
    def focus_patient_filter(self) -> None:
        self.filter_bar.patient.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.patient.selectAll()

    # -- export ------------------------------------------------------------------------------------------
    def export(self, fmt: str) -> Path | None:
        """Ask for a file and export the sessions of the filter shown (not a half-typed one) as ``fmt``."""
        self.filter_bar.apply_patient_now()
        _fmt, text, pattern = next(f for f in EXPORT_FORMATS if f[0] == fmt)
        suffix = exports.SUFFIXES[fmt]
        suggested = f"tpi-sessions-{date.today().isoformat()}{suffix}"
        path = file_dialogs.ask_save_path(self, f"Export sessions as {text.rstrip('…')}", suggested, pattern)
        if path is None:
            return None
        if not path.suffix:
            path = path.with_suffix(suffix)
        flt = self.model.filter
        try:
            summary = run_with_progress(self, f"Exporting the sessions to {path.name}…",
                                        partial(exports.export_to_file, self._ctx, fmt, path, flt))
        except TpiError as error:
            show_error(self, error, "Export failed")
            return None
        count = summary.sessions
        QMessageBox.information(self, "Export finished",
                                f"Exported {count:,} session{'s' if count != 1 else ''} to\n{path}")
        return path

    # -- layout ------------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = ui_settings()
        geometry = settings.value(f"{SETTINGS_GROUP}/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(1300, 800)
        state = settings.value(f"{SETTINGS_GROUP}/splitter")
        if not (isinstance(state, QByteArray) and self.splitter.restoreState(state)):
            self.splitter.setSizes([560, 220])

    def save_layout(self) -> None:
        settings = ui_settings()
        settings.setValue(f"{SETTINGS_GROUP}/geometry", self.saveGeometry())
        settings.setValue(f"{SETTINGS_GROUP}/splitter", self.splitter.saveState())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.save_layout()
        for task in self._tasks:  # nobody is looking: stop the step under way
            task.cancel()
        self._pool.clear()
        self._start_timer.stop()
        self._next = None
        self._stale = True  # sessions may be saved while the window is closed
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:  # shown again after a close: run the filter again on today's data
            self._stale = False
            self._load_choices()
            self.refresh()
