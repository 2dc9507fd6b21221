"""A patient's sessions: date, status (signed sessions show a lock; tampered ones are red), muscles,
agents, pain before → after and the number of sites."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from tpi_notes.domain.session import TECHNIQUES, SessionSummary
from tpi_notes.ui.style import DANGER, DANGER_TINT, lock_icon
from tpi_notes.ui.table_view import read_only_table

COLUMNS = ("Date", "Status", "Muscles", "Agents", "Pain", "Sites")
DATE, STATUS, MUSCLES, AGENTS, PAIN, SITES = range(len(COLUMNS))
SESSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def status_text(session: SessionSummary) -> str:
    if session.tampered:
        return "⚠ TAMPERED"
    text = "Signed" if session.status == "signed" else "Draft"
    if session.addenda:
        text += f" +{session.addenda}"  # the tooltip spells out "1 addendum"
    return text


def muscles_text(session: SessionSummary) -> str:
    """``L/R upper trapezius, R levator scapulae``: one entry per muscle, both sides folded together."""
    sides: dict[str, list[str]] = {}
    for label in session.muscles:
        side, _, muscle = label.partition(" ")
        if side not in ("L", "R") or not muscle:
            side, muscle = "", label
        sides.setdefault(muscle, [])
        if side and side not in sides[muscle]:
            sides[muscle].append(side)
    parts = []
    for muscle, found in sides.items():
        prefix = "/".join(sorted(found)) if found else ""
        parts.append(f"{prefix} {muscle}".strip())
    return ", ".join(parts) or "—"


def agents_text(session: SessionSummary) -> str:
    """Drugs drawn up, plus dry needling when it was done (it has no agent of its own)."""
    parts = list(session.agents)
    parts.extend(TECHNIQUES[t] for t in session.techniques if t != "injection" and t in TECHNIQUES)
    return ", ".join(parts) or "—"


class SessionTableModel(QAbstractTableModel):
    """Read-only rows of :class:`SessionSummary`, newest first as the service returns them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[SessionSummary] = []
        self._lock: QIcon | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_sessions(self, rows: list[SessionSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def session_at(self, row: int) -> SessionSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (PAIN, SITES):
            return Qt.AlignmentFlag.AlignCenter
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        session = self.session_at(index.row()) if index.isValid() else None
        if session is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(session, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(session, column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS and session.status == "signed":
            if session.tampered:
                return None
            if self._lock is None:
                self._lock = lock_icon()
            return self._lock
        if role == Qt.ItemDataRole.ForegroundRole and session.tampered:
            return QBrush(QColor(DANGER))
        if role == Qt.ItemDataRole.BackgroundRole and session.tampered:
            return QBrush(QColor(DANGER_TINT))
        if role == Qt.ItemDataRole.FontRole and session.tampered and column == STATUS:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (PAIN, SITES):
            return Qt.AlignmentFlag.AlignCenter
        if role == SESSION_ID_ROLE:
            return session.id
        return None

    @staticmethod
    def _display(session: SessionSummary, column: int) -> str:
        if column == DATE:
            return session.performed_start.strftime("%Y-%m-%d %H:%M")
        if column == STATUS:
            return status_text(session)
        if column == MUSCLES:
            return muscles_text(session)
        if column == AGENTS:
            return agents_text(session)
        if column == PAIN:
            return session.pain_text
        return str(session.site_count)

    @staticmethod
    def _tooltip(session: SessionSummary, column: int) -> str | None:
        if session.tampered:
            return ("This signed note no longer matches its signature hash: its content was changed "
                    "outside the app. Do not rely on it; report it to the clinic administrator.")
        if column == STATUS and session.addenda:
            plural = "addenda" if session.addenda != 1 else "addendum"
            return f"{session.status.capitalize()}, {session.addenda} {plural}; performed by {session.physician}"
        if column in (DATE, STATUS):
            return f"Performed by {session.physician}"
        if column == MUSCLES and session.muscles:
            return "\n".join(session.muscles)
        if column == AGENTS:
            return agents_text(session)
        return None


def make_session_table(model: SessionTableModel, parent: QWidget | None = None) -> QTableView:
    """The sessions view: whole-row selection; muscles and agents share the spare width."""
    view = read_only_table(model, "session_view", parent, min_section=48)
    header = view.horizontalHeader()
    for column, width in ((DATE, 136), (STATUS, 124), (PAIN, 70), (SITES, 56)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, width)
    header.setSectionResizeMode(MUSCLES, QHeaderView.ResizeMode.Stretch)
    header.setSectionResizeMode(AGENTS, QHeaderView.ResizeMode.Stretch)
    return view
