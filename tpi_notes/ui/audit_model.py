"""The audit trail as a table model that pages itself in from the service and sorts on the server."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from tpi_notes.domain.audit_query import SORT_KEYS, AuditFilter, AuditRow
from tpi_notes.domain.errors import TpiError
from tpi_notes.services import audit_trail
from tpi_notes.services.context import AppContext

AnyIndex = QModelIndex | QPersistentModelIndex
HEADERS = ("Time", "User", "Action", "Record", "Patient", "Detail")
DETAIL_COLUMN = 5
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class AuditTableModel(QAbstractTableModel):
    """Rows of :class:`AuditRow`, one page at a time (``canFetchMore``/``fetchMore``), newest first by default.

    ``reload`` asks for the first page of the current filter and sort (an audited view of the trail) and
    remembers the newest event id it saw; later pages ask for nothing newer, so they never shift.
    """

    failed = Signal(object)
    """A page could not be read: the TpiError to show."""

    reloaded = Signal()
    """A new first page is in (the filter or the sort changed, or the trail was refreshed)."""

    def __init__(self, ctx: AppContext, parent: QObject | None = None, page_size: int = audit_trail.PAGE_SIZE) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._page_size = page_size
        self._rows: list[AuditRow] = []
        self._filter = AuditFilter()
        self._snapshot = AuditFilter()
        self.total = 0
        self.sort_key = "time"
        self.descending = True
        self.account_names: dict[int, str] = {}
        """User id → "Full Name (username)": a login's record names the account, not its number (the screen
        sets it from the user filter's choices)."""

    # -- what is shown -------------------------------------------------------------------------------------
    @property
    def filter(self) -> AuditFilter:
        return self._filter

    @property
    def snapshot(self) -> AuditFilter:
        """The filter as the rows were read: with the newest event id seen (what an export should take)."""
        return self._snapshot

    def set_filter(self, flt: AuditFilter) -> bool:
        self._filter = flt
        return self.reload()

    def reload(self) -> bool:
        """Read the first page again from a fresh snapshot; False (rows kept) when the service refused."""
        try:
            page = audit_trail.list_events(self._ctx, self._filter, self.sort_key, self.descending, 0,
                                           self._page_size)
        except TpiError as exc:
            self.failed.emit(exc)
            return False
        self.beginResetModel()
        self._rows = list(page.rows)
        self.total = page.total
        self._snapshot = replace(self._filter, up_to_id=page.up_to_id)
        self.endResetModel()
        self.reloaded.emit()
        return True

    def row_at(self, row: int) -> AuditRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- paging --------------------------------------------------------------------------------------------
    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt API
        return not parent.isValid() and len(self._rows) < self.total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008, N802 - Qt API
        if parent.isValid() or len(self._rows) >= self.total:
            return
        try:
            page = audit_trail.list_events(self._ctx, self._snapshot, self.sort_key, self.descending,
                                           len(self._rows), self._page_size)
        except TpiError as exc:
            self.total = len(self._rows)  # stop asking; the message says why
            self.failed.emit(exc)
            return
        if not page.rows:
            self.total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
        self._rows.extend(page.rows)
        self.endInsertRows()

    # -- sorting (on the server) ---------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(SORT_KEYS):
            return
        key, descending = SORT_KEYS[column], order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        self.reload()

    # -- the table -----------------------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.InitialSortOrderRole:
            # A first click on Time shows the newest first; on the other columns, A to Z.
            return Qt.SortOrder.DescendingOrder if section == 0 else Qt.SortOrder.AscendingOrder
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return f"Sort by {HEADERS[section].lower()} (click again to reverse)"
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        event = self.row_at(index.row()) if index.isValid() else None
        if event is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _cells(event, self.account_names)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == DETAIL_COLUMN:
                # Plain-text tooltips do not wrap: the full text, in lines a screen can hold.
                return "\n".join(textwrap.fill(line, 100) for line in event.detail.splitlines()) or None
            text = _cells(event, self.account_names)[index.column()]
            return f"{text}\nEvent {event.id}" if text else f"Event {event.id}"
        if role == EVENT_ID_ROLE:
            return event.id
        return None


def _cells(event: AuditRow, account_names: dict[int, str]) -> tuple[str, ...]:
    entity = event.entity.replace("_", " ")  # "audit_trail" reads as "audit trail"
    which = event.entity_id
    if which is not None and event.entity == "user":  # "user 5" told no one whose login it was
        which = account_names.get(which, which)
    record = f"{entity} {which}" if which is not None else entity
    return (event.at.strftime("%Y-%m-%d %H:%M:%S"), event.user, event.action, record, event.patient,
            " ".join(event.detail.split()))
