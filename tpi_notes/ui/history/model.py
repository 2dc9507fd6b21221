"""The history table model: pages of sessions fetched from the service as the view scrolls.

Never holds the whole history: the first page comes alone (the browser's worker counts the filter, unless the
page is the whole answer), and Qt asks for the next page (``canFetchMore``/``fetchMore``) when the view reaches
the last row loaded. Each next page starts after the last row loaded (keyset paging: the service seeks to it on
the sort's index, as quick at the millionth session as at the first).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QIcon

from tpi_notes.domain.errors import TpiError
from tpi_notes.domain.history import HistoryFilter, HistoryRow, Sort
from tpi_notes.services import history as history_service
from tpi_notes.services.context import AppContext
from tpi_notes.ui.style import lock_icon

PAGE_SIZE = history_service.PAGE_SIZE
COLUMNS = ("Date", "Patient", "MRN", "Physician", "Status", "Muscles", "Agents", "Sites", "Pain")
DATE, PATIENT, MRN, PHYSICIAN, STATUS, MUSCLES, AGENTS, SITES, PAIN = range(len(COLUMNS))
# Header columns the server can sort by (domain/history.py SORT_KEYS); the others are not sortable.
SORT_COLUMNS = {DATE: "performed", PATIENT: "patient", PHYSICIAN: "physician", STATUS: "status", SITES: "sites"}
COLUMN_OF_SORT = {key: column for column, key in SORT_COLUMNS.items()}
SESSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


def status_text(row: HistoryRow) -> str:
    text = "Signed" if row.status == "signed" else "Draft"
    return f"{text} +{row.addenda}" if row.addenda else text


class HistoryTableModel(QAbstractTableModel):
    """Read-only session rows for a filter and sort, loaded a page (200 rows) at a time."""

    load_failed = Signal(object)
    """Fetching a later page failed: the TpiError to show (the rows loaded so far stay)."""

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._rows: list[HistoryRow] = []
        self._ids: set[int] = set()
        self._total: int | None = 0
        self._exhausted = True
        self._next_after: tuple | None = None
        self.filter = HistoryFilter()
        self.sort_order = Sort()
        self._lock: QIcon | None = None

    # -- loading -----------------------------------------------------------------------------------------
    def load(self, flt: HistoryFilter, sort: Sort | None = None) -> int | None:
        """Run ``flt`` (audited by the service) and show its first page; returns the total (None: not
        counted yet, see :meth:`set_total`; known now only when the first page holds every match).

        Raises the service's TpiError and keeps the current rows when the filter is refused."""
        sort = sort or self.sort_order
        page = history_service.browse(self._ctx, flt, sort, limit=PAGE_SIZE, with_total=False)
        self.beginResetModel()
        self.filter, self.sort_order = flt, sort
        self._rows = list(page.rows)
        self._ids = {r.id for r in self._rows}
        self._total = page.total
        self._next_after = page.next_after
        self._exhausted = len(self._rows) < PAGE_SIZE
        self.endResetModel()
        return self._total

    @property
    def total(self) -> int | None:
        """The number of sessions the filter matches, None until counted (rows loaded so far: ``rowCount``)."""
        return self._total

    def set_total(self, total: int) -> None:
        """The count of a broad filter, known once its chart is in (it does not change the rows)."""
        self._total = total

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt API
        if parent.isValid() or self._exhausted:
            return False
        return self._total is None or len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008, N802 - Qt API
        if not self.canFetchMore(parent):
            return
        try:
            page = history_service.browse(self._ctx, self.filter, self.sort_order, limit=PAGE_SIZE,
                                          after=self._next_after)
        except TpiError as error:
            self._exhausted = True
            self.load_failed.emit(error)
            return
        # Never list a session twice (a session re-dated meanwhile may move past the cursor).
        fresh = [r for r in page.rows if r.id not in self._ids]
        if page.next_after is not None:
            self._next_after = page.next_after
        if len(page.rows) < PAGE_SIZE:
            self._exhausted = True
        if not fresh:
            self._exhausted = True
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self._ids.update(r.id for r in fresh)
        self.endInsertRows()

    # -- access ------------------------------------------------------------------------------------------
    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Click to sort" if section in SORT_COLUMNS else "Not sortable"
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (SITES, PAIN):
            return Qt.AlignmentFlag.AlignCenter
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS and row.status == "signed":
            if self._lock is None:
                self._lock = lock_icon()
            return self._lock
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SITES, PAIN):
            return Qt.AlignmentFlag.AlignCenter
        if role == SESSION_ID_ROLE:
            return row.id
        return None

    @staticmethod
    def _display(row: HistoryRow, column: int) -> str:
        if column == DATE:
            return row.performed_start.strftime("%Y-%m-%d %H:%M")
        if column == PATIENT:
            return row.patient_name
        if column == MRN:
            return row.mrn
        if column == PHYSICIAN:
            return row.physician or "—"
        if column == STATUS:
            return status_text(row)
        if column == MUSCLES:
            return row.muscles_text
        if column == AGENTS:
            return row.agents_text
        if column == SITES:
            return str(row.site_count)
        return row.pain_text

    @staticmethod
    def _tooltip(row: HistoryRow, column: int) -> str | None:
        if column == STATUS and row.addenda:
            plural = "addenda" if row.addenda != 1 else "addendum"
            return f"{row.status.capitalize()}, {row.addenda} {plural}"
        if column == MUSCLES and row.muscles:
            return "\n".join(row.muscles)
        if column == AGENTS:
            return row.agents_text
        if column == PAIN:
            return "Pain before → after (NRS 0–10)"
        if column in (DATE, PATIENT, MRN):
            return f"{row.patient_name} · MRN {row.mrn}\nDouble-click or press Enter to open the session"
        return None
