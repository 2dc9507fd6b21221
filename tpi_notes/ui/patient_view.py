"""The right-hand side for one patient: header, sessions table and pain trend."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.domain.outcomes import PatientOutcomes
from tpi_notes.domain.patient import PatientRecord
from tpi_notes.domain.session import SessionSummary
from tpi_notes.ui.pain_chart import PainChart
from tpi_notes.ui.patient_header import PatientHeader
from tpi_notes.ui.response_map import ResponseMap
from tpi_notes.ui.session_list import SessionTableModel, make_session_table
from tpi_notes.ui.style import DANGER, set_role


class PatientView(QWidget):
    """Everything about the selected patient; the sessions/chart split is a splitter the window saves."""

    session_activated = Signal(int)
    """A session row was double-clicked or Enter was pressed on it: the session id."""

    new_session_requested = Signal()
    """The "New session" button above the sessions table was clicked."""

    repeat_session_requested = Signal()
    """"Repeat last session" was clicked: a new session copied forward from the last one (issue 16)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patient_view_panel")
        self.header = PatientHeader(self)
        self.sessions_title = QLabel("SESSIONS", self)
        set_role(self.sessions_title, "section")
        self.tampered_label = QLabel(self)
        self.tampered_label.setObjectName("tampered_warning")
        self.tampered_label.setStyleSheet(f"color: {DANGER}; font-weight: 700; padding-top: 6px;")
        self.tampered_label.hide()
        self.session_model = SessionTableModel(self)
        self.session_view = make_session_table(self.session_model, self)
        self.session_view.activated.connect(self._on_session_activated)
        self.session_view.selectionModel().currentRowChanged.connect(self._choose_current_row)
        self.no_sessions = QLabel("No sessions recorded for this patient yet.", self)
        self.no_sessions.setObjectName("no_sessions")
        self.no_sessions.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.no_sessions, "hint")
        self._sessions_stack = QStackedWidget(self)
        self._sessions_stack.addWidget(self.session_view)
        self._sessions_stack.addWidget(self.no_sessions)
        self.pain_chart = PainChart(self)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(4)
        title_row = QHBoxLayout()
        title_row.addWidget(self.sessions_title)
        title_row.addWidget(self.tampered_label)
        title_row.addStretch(1)
        self.new_session_button = QPushButton("New session…", self)
        self.new_session_button.setObjectName("new_session_button")
        self.new_session_button.setProperty("primary", True)
        self.new_session_button.setToolTip("Chart a new session for this patient (Ctrl+Shift+N)")
        self.new_session_button.clicked.connect(self.new_session_requested)
        self.repeat_session_button = QPushButton("Repeat last session…", self)
        self.repeat_session_button.setObjectName("repeat_session_button")
        self.repeat_session_button.setToolTip("A new session with the last one's sites, syringes and clinical frame "
                                              "to confirm (Ctrl+Shift+R)")
        self.repeat_session_button.clicked.connect(self.repeat_session_requested)
        title_row.addWidget(self.repeat_session_button)
        title_row.addWidget(self.new_session_button)
        top_layout.addLayout(title_row)
        top_layout.addWidget(self._sessions_stack, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("sessions_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(10)
        self.splitter.addWidget(top)
        # The pain and PEG trend beside the response map (issue 17).
        self.response_map = ResponseMap(self)
        trends = QWidget(self)
        trends_row = QHBoxLayout(trends)
        trends_row.setContentsMargins(0, 0, 0, 0)
        trends_row.addWidget(self.pain_chart, 3)
        trends_row.addWidget(self.response_map, 2)
        self.splitter.addWidget(trends)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([420, 230])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)
        # Tab as the page reads: the two buttons above the sessions (left to right), the sessions, the map.
        chain = (self.repeat_session_button, self.new_session_button, self.session_view, self.response_map.view,
                 self.response_map.as_text)
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    @Slot(QModelIndex, QModelIndex)
    def _choose_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """The row the keyboard is on is the row chosen, and shown so: Tab into the table made its first row
        current without marking it, and Preview note / Print aftercare (Ctrl+P) acted on a session the user
        could not see chosen."""
        selection = self.session_view.selectionModel()
        if current.isValid() and not selection.isRowSelected(current.row(), QModelIndex()):
            selection.select(current, QItemSelectionModel.SelectionFlag.ClearAndSelect
                             | QItemSelectionModel.SelectionFlag.Rows)

    @Slot(QModelIndex)
    def _on_session_activated(self, index: QModelIndex) -> None:
        session = self.session_model.session_at(index.row())
        if session is not None:
            self.session_activated.emit(session.id)

    def show_outcomes(self, outcomes: PatientOutcomes) -> None:
        """The response map and the PEG trend (services/outcomes.py ``patient_outcomes``)."""
        self.response_map.show_outcomes(outcomes)
        self.pain_chart.set_peg(list(outcomes.peg))

    def show_patient(self, record: PatientRecord, sessions: list[SessionSummary], today: date) -> None:
        self.header.show_patient(record, today)
        self.session_model.set_sessions(sessions)
        self.repeat_session_button.setEnabled(bool(sessions))
        self.pain_chart.set_sessions(sessions)
        tampered = sum(1 for s in sessions if s.tampered)
        self.tampered_label.setText(f"⚠ {tampered} TAMPERED")
        self.tampered_label.setToolTip("A signed note whose content no longer matches its signature hash was "
                                       "changed outside the app. Report it to the clinic administrator.")
        self.tampered_label.setVisible(tampered > 0)
        if sessions:
            signed = sum(1 for s in sessions if s.status == "signed")
            self.sessions_title.setText(f"SESSIONS  ·  {len(sessions)} ({signed} signed)")
            self._sessions_stack.setCurrentWidget(self.session_view)
        else:
            self.sessions_title.setText("SESSIONS")
            self._sessions_stack.setCurrentWidget(self.no_sessions)
