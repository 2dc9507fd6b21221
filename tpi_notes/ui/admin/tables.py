"""One small read-only table model for the administration tabs: rows of cells, each row carrying its record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from tpi_notes.ui.style import DANGER, DANGER_TINT, MUTED
from tpi_notes.ui.table_view import read_only_table

AnyIndex = QModelIndex | QPersistentModelIndex
AMBER = "#8a5a00"
AMBER_TINT = "#fff4d6"


@dataclass(frozen=True)
class Cell:
    """What one table cell shows: text, and optionally a colour, a tint, a tooltip and bold type."""

    text: str
    colour: str | None = None
    tint: str | None = None
    tooltip: str = ""
    bold: bool = False


def danger(text: str, tooltip: str = "") -> Cell:
    return Cell(text, DANGER, DANGER_TINT, tooltip, bold=True)


def warning(text: str, tooltip: str = "") -> Cell:
    return Cell(text, AMBER, AMBER_TINT, tooltip, bold=True)


def muted(text: str, tooltip: str = "") -> Cell:
    return Cell(text, MUTED, None, tooltip)


class RowsModel(QAbstractTableModel):
    """Rows of :class:`Cell` with a record behind each row (``record_at``)."""

    def __init__(self, headers: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = headers
        self._rows: list[tuple[object, list[Cell]]] = []

    def set_rows(self, rows: list[tuple[object, list[Cell]]]) -> None:
        self.beginResetModel()
        self._rows = [(record, list(cells)) for record, cells in rows]
        self.endResetModel()

    def record_at(self, row: int) -> Any:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def records(self) -> list[Any]:
        return [record for record, _cells in self._rows]

    def cell(self, row: int, column: int) -> Cell:
        return self._rows[row][1][column]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        cell = self._rows[index.row()][1][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tooltip or cell.text or None
        if role == Qt.ItemDataRole.ForegroundRole and cell.colour:
            return QBrush(QColor(cell.colour))
        if role == Qt.ItemDataRole.BackgroundRole and cell.tint:
            return QBrush(QColor(cell.tint))
        if role == Qt.ItemDataRole.FontRole and cell.bold:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        return None


def make_table(model: RowsModel, name: str, parent: QWidget, stretch: int = 0) -> QTableView:
    """A single-selection, read-only table in the app's style; column ``stretch`` takes the spare width."""
    view = read_only_table(model, name, parent, row_height=30)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    model.modelReset.connect(lambda: _fit(view, stretch))
    return view


def _fit(view: QTableView, stretch: int) -> None:
    header = view.horizontalHeader()
    for column in range(view.model().columnCount()):
        if column != stretch:
            view.resizeColumnToContents(column)
            header.resizeSection(column, header.sectionSize(column) + 16)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def selected_row(view: QTableView) -> int:
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return rows[0].row() if rows else -1


def select_row(view: QTableView, row: int) -> None:
    if 0 <= row < view.model().rowCount():
        view.selectRow(row)
        view.scrollTo(view.model().index(row, 0))
