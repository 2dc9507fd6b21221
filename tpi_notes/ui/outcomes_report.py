"""Clinic → Outcomes report (issue 17 item 4): relief and PEG change by muscle group, agent or technique over a
date range, with counts, as a table and a chart, exportable as CSV.

A grouping's daily sums are read once (services/outcomes_report.py, on a worker thread with a busy box when it
takes a while); a date change is answered from them without asking the database again.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QRectF, Qt
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.outcomes import RESPONSE_LABELS
from tpi_notes.domain.outcomes_report import BY, OutcomeCube, ReportRow
from tpi_notes.palette import RESPONSE_COLOURS
from tpi_notes.services import outcomes_report
from tpi_notes.services.context import AppContext
from tpi_notes.ui.background import run_with_progress
from tpi_notes.ui.errors import show_error
from tpi_notes.ui.file_dialogs import ask_save_path
from tpi_notes.ui.style import BORDER, MUTED, TEXT

HEADER = ("Group", "Responses", "Mean relief", "≥ 50 % for ≥ 6 wk", "Partial", "None", "PEG pairs",
          "Mean PEG change")


def _text(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


class ReliefChart(QWidget):
    """One bar per group: the share of responses ≥ 50 % for ≥ 6 weeks, partial and none, stacked, with the count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outcomes_chart")
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.rows: list[ReportRow] = []

    def set_rows(self, rows: list[ReportRow]) -> None:
        self.rows = rows[:12]
        self.setAccessibleDescription("; ".join(
            f"{r.label}: {r.sums.n} responses, {_text(r.good_pct, '{:.0f}')} % at least 50 % for 6 weeks"
            for r in self.rows))
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QPen(QColor(BORDER), 1))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        metrics = painter.fontMetrics()
        if not self.rows:
            painter.setPen(QColor(MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No recorded responses in this range.")
            painter.end()
            return
        label_width = min(220, max(metrics.horizontalAdvance(r.label) for r in self.rows) + 16)
        legend_y = self.height() - metrics.height() - 8
        x = 8.0
        for klass in ("good", "partial", "none"):  # the legend, under the bars
            painter.fillRect(QRectF(x, legend_y + 2, 12, 12), QColor(RESPONSE_COLOURS[klass]))
            words = RESPONSE_LABELS[klass]
            painter.setPen(QColor(TEXT))
            painter.drawText(QRectF(x + 16, legend_y, 200, metrics.height() + 4), Qt.AlignmentFlag.AlignVCenter,
                             words)
            x += 16 + metrics.horizontalAdvance(words) + 16
        line = max(18.0, (legend_y - 12) / len(self.rows))
        width = self.width() - label_width - 90
        for i, r in enumerate(self.rows):
            y = 8 + i * line
            painter.setPen(QColor(TEXT))
            painter.drawText(QRectF(8, y, label_width - 12, line), Qt.AlignmentFlag.AlignVCenter, r.label)
            x = float(label_width)
            for klass, count in (("good", r.sums.good), ("partial", r.sums.partial), ("none", r.sums.none)):
                w = width * count / r.sums.n if r.sums.n else 0
                painter.fillRect(QRectF(x, y + 3, w, line - 6), QColor(RESPONSE_COLOURS[klass]))
                x += w
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(label_width + width + 6, y, 84, line), Qt.AlignmentFlag.AlignVCenter,
                             f"n = {r.sums.n}")
        painter.end()


GROUP_COLUMN_MAX = 240  # px: the group's name; the figures beside it stay in sight


class OutcomesReportWindow(QMainWindow):
    """The report: grouping and dates on top, the table beside the chart, Export CSV…."""

    def __init__(self, ctx: AppContext, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.setObjectName("outcomes_report")
        self.setWindowTitle("Clinic outcomes")
        QShortcut(QKeySequence.StandardKey.Close, self, activated=self.close)  # Ctrl+W, as the other windows
        self.cubes: dict[str, OutcomeCube] = {}
        self.rows: list[ReportRow] = []
        self.by = QComboBox(self)
        self.by.setObjectName("outcomes_by")
        for key, label in BY.items():
            self.by.addItem(label, key)
        self.date_from = QDateEdit(QDate(today.year - 1, today.month, 1), self)
        self.date_from.setObjectName("outcomes_from")
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day), self)
        self.date_to.setObjectName("outcomes_to")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.refresh)
        self.by.currentIndexChanged.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setObjectName("outcomes_export")
        self.export_button.clicked.connect(self.export_csv)
        self.summary = QLabel(self)
        self.summary.setObjectName("outcomes_summary")
        self.table = QTableWidget(0, len(HEADER), self)
        self.table.setObjectName("outcomes_table")
        self.table.setHorizontalHeaderLabels(HEADER)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.chart = ReliefChart(self)
        bar = QHBoxLayout()
        for widget in (QLabel("Group by:", self), self.by, QLabel("Treated from:", self), self.date_from,
                       QLabel("to:", self), self.date_to):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.table)
        split.addWidget(self.chart)
        split.setSizes([960, 380])  # every column of the table in sight (Mean PEG change was scrolled off)
        note = QLabel("Each response recorded at a later visit counts on the day of the session it is about; the "
                      "PEG change is the PEG then minus the PEG at that session (negative is better). Signed "
                      "sessions only.", self)
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {MUTED};")
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(note)
        self.setCentralWidget(central)
        self.resize(1360, 640)
        self.refresh()

    def _range(self) -> tuple[date, date]:
        return self.date_from.date().toPython(), self.date_to.date().toPython()  # type: ignore[return-value]

    def cube(self, by: str) -> OutcomeCube:
        if by not in self.cubes:
            self.cubes[by] = run_with_progress(self, "Adding up the recorded responses…",
                                               lambda: outcomes_report.outcome_cube(self.ctx, by))
        return self.cubes[by]

    def refresh(self, *_args: object) -> None:
        """Apply the grouping and dates (from the grouping's daily sums; read once per grouping)."""
        start, end = self._range()
        if end < start:
            self.summary.setText("The end date is before the start date.")
            return
        try:
            cube = self.cube(self.by.currentData())
        except TpiError as exc:
            show_error(self, exc)
            return
        self.rows = cube.rows(start, end)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            values = (r.label, str(r.sums.n), _text(r.mean_relief, "{:.0f} %"), _text(r.good_pct, "{:.0f} %"),
                      str(r.sums.partial), str(r.sums.none), str(r.sums.peg_n),
                      _text(r.mean_peg_change, "{:+.1f}"))
            for j, value in enumerate(values):
                item = QTableWidgetItem(value)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                else:
                    item.setToolTip(value)  # a long agent name is cut in the column, whole here
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, min(self.table.columnWidth(0), GROUP_COLUMN_MAX))
        self.chart.set_rows(self.rows)
        total = sum(r.sums.n for r in self.rows)
        self.summary.setText(f"{total} recorded responses to sessions from {start:%Y-%m-%d} to {end:%Y-%m-%d}, "
                             f"by {self.by.currentText().lower()}.")

    def export_csv(self) -> None:
        start, end = self._range()
        path = ask_save_path(self, "Export the outcomes report", f"outcomes-{start:%Y%m%d}-{end:%Y%m%d}.csv",
                             "CSV files (*.csv)")
        if not path:
            return
        try:
            outcomes_report.export_report_csv(self.ctx, self.by.currentData(), start, end, path)
        except TpiError as exc:
            show_error(self, exc)
