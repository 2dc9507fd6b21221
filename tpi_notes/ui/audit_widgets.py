"""Two small parts of the audit-trail screen: a date field that may be empty, and the Verify chain result
(with the chain head, to write down or paste as an outside anchor: docs/audit-anchor.md)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.audit_anchor import ChainHead
from tpi_notes.services.integrity import VerifyReport
from tpi_notes.ui.style import ACCENT, BORDER, DANGER, DANGER_TINT, set_role

_NO_DATE = QDate(2000, 1, 1)  # the minimum of the date fields, shown as "Any"
_PROBLEM_LINES = 6  # the problem list scrolls beyond this


class OptionalDateEdit(QDateEdit):
    """A date field that can be empty ("Any"); its calendar opens on this month while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(_NO_DATE)
        self.setSpecialValueText("Any")
        self.setDate(_NO_DATE)
        self.setMinimumWidth(120)
        self.calendarWidget().installEventFilter(self)

    def value(self) -> date | None:
        return None if self.date() == _NO_DATE else self.date().toPython()

    def set_value(self, day: date | None) -> None:
        self.setDate(QDate(day) if day else _NO_DATE)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.calendarWidget() and event.type() == QEvent.Type.Show and self.value() is None:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)


class VerifyPanel(QFrame):
    """What Verify chain found: one calm line when intact, a red panel listing each problem when not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit_verify_panel")
        self.label = QLabel(self)
        self.label.setObjectName("audit_verify_result")
        self.label.setWordWrap(True)
        self.problem_list = QListWidget(self)
        self.problem_list.setObjectName("audit_problems")
        close = QPushButton("Hide", self)
        close.clicked.connect(self.hide)
        top = QHBoxLayout()
        top.addWidget(self.label, 1)
        top.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.head_label = QLabel(self)
        self.head_label.setObjectName("audit_chain_head")
        self.head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.head_label, "hint")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("audit_copy_head")
        self.copy_button.setToolTip("Copy the chain head with its whole hash, to write down or paste into an e-mail "
                                    "(kept away from the database, it shows later whether the trail was cut back "
                                    "or rewritten)")
        self.copy_button.clicked.connect(self.copy_head)
        self._head: ChainHead | None = None
        head_row = QHBoxLayout()
        head_row.setSpacing(8)
        head_row.addWidget(self.head_label)
        head_row.addWidget(self.copy_button)
        head_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(top)
        layout.addLayout(head_row)
        layout.addWidget(self.problem_list)
        self.hide()

    @property
    def head_line(self) -> str:
        """The line the Copy button copies ("Audit chain head: event N, time, SHA-256 <hash>"), or ""."""
        return self._head.line if self._head else ""

    @Slot()
    def copy_head(self) -> None:
        if self._head is not None:
            QGuiApplication.clipboard().setText(self._head.line)
            self.copy_button.setText("Copied")

    def _show_head(self, head: ChainHead | None) -> None:
        self._head = head
        self.copy_button.setText("Copy")
        self.head_label.setVisible(head is not None)
        self.copy_button.setVisible(head is not None)
        if head is not None:
            self.head_label.setText(f"Chain head: event {head.event_id:,} · {head.at:%Y-%m-%d %H:%M:%S} · "
                                    f"SHA-256 {head.sha256[:16]}…")
            self.head_label.setToolTip(head.line)

    def show_report(self, report: VerifyReport) -> None:
        self.problem_list.clear()
        self._show_head(report.head)
        checked = (f"{report.audit_events_checked:,} audit event{'s' if report.audit_events_checked != 1 else ''} "
                   f"and {report.sessions_checked:,} signed session{'s' if report.sessions_checked != 1 else ''} "
                   "checked")
        if report.ok:
            self.label.setText(f"Intact: {checked}. Every event links to the one before it and matches its hash; "
                               "every signed note matches its signature.")
            self._colour("#ffffff", BORDER, ACCENT)
            self.problem_list.hide()
        else:
            lines = ([f"Audit event {eid}: {reason}" for eid, reason in report.audit_problems]
                     + [f"Session {sid} (patient MRN {mrn}): {reason}" for sid, mrn, reason in report.tampered]
                     + [f"Lock trigger {name} is missing: the database no longer refuses changes it should refuse"
                        for name in report.missing_locks]
                     + [f"Session {found.session_id}: its site count is kept as {found.kept}, it has {found.sites}"
                        for found in report.miscounted])
            self.label.setText(f"<b>{len(lines)} problem{'s' if len(lines) != 1 else ''} found</b> ({checked}): "
                               "the record was changed outside tpi-notes.")
            self._colour(DANGER_TINT, "#f5b5b0", DANGER)
            self.problem_list.addItems(lines)
            frame = 2 * self.problem_list.frameWidth() + 4
            rows = min(len(lines), _PROBLEM_LINES)
            self.problem_list.setFixedHeight(rows * self.problem_list.sizeHintForRow(0) + frame)
            self.problem_list.show()
        self.show()

    def _colour(self, background: str, border: str, stripe: str) -> None:
        self.setStyleSheet(f"QFrame#audit_verify_panel {{ background: {background}; border: 1px solid {border}; "
                           f"border-left: 4px solid {stripe}; border-radius: 4px; }}")
