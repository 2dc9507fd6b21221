"""The site table: one row per site, mirroring the SiteDocument (numbers match the markers)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from tpi_notes.anatomy import Atlas
from tpi_notes.domain.session import TECHNIQUES, Site
from tpi_notes.domain.sites import site_near_lung
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.diagram.items import marker_colour

COLUMNS = ("#", "Muscle", "Side", "View", "Technique", "Detail")
VIEW_SHORT = {"anterior": "Ant.", "posterior": "Post."}
Index = QModelIndex | QPersistentModelIndex


def _detail(site: Site) -> str:
    if site.technique == "injection":
        parts = [f"Syringe {site.preparation_label}" if site.preparation_label else "",
                 f"{site.volume_ml:g} mL" if site.volume_ml is not None else ""]
    else:
        parts = [f"{site.needles_in} in / {site.needles_out} out" if site.needles_in is not None else "",
                 "e-stim" if site.estim else ""]
    return ", ".join(p for p in parts if p)


class SiteTableModel(QAbstractTableModel):
    def __init__(self, document: SiteDocument, atlas: Atlas) -> None:
        super().__init__()
        self.document = document
        self.atlas = atlas
        document.site_inserting.connect(lambda row: self.beginInsertRows(QModelIndex(), row, row))
        document.site_inserted.connect(lambda _key, _row: self.endInsertRows())
        document.site_removing.connect(lambda row: self.beginRemoveRows(QModelIndex(), row, row))
        document.site_removed.connect(lambda _key, _row: self.endRemoveRows())
        document.site_changed.connect(self._changed)
        document.sites_renumbered.connect(self._renumbered)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.document)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802, ANN201
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: ANN201
        if not index.isValid():
            return None
        site = self.document.site(self.document.key_at(index.row()))
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            near = site_near_lung(self.atlas, site)
            return (str(site.number), site.muscle + (" ⚠ lung" if near else ""), site.side,
                    VIEW_SHORT[site.view], TECHNIQUES[site.technique], _detail(site))[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:  # a screen reader hears the row in words
            near = ", over the lung" if site_near_lung(self.atlas, site) else ""
            text = (f"Site {site.number}", f"{site.muscle}{near}", "patient's right" if site.side == "R" else
                    "patient's left", f"{site.view} view", TECHNIQUES[site.technique], _detail(site) or "no detail")
            return text[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1 and site_near_lung(self.atlas, site):
                return f"{site.muscle}: lies over the lung; check breathing afterwards (pneumothorax risk)."
            if column == 2:  # "R" is the patient's, never the viewer's
                return "Patient's right" if site.side == "R" else "Patient's left"
            if column == 3:
                return site.view.capitalize()
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QBrush(QColor(marker_colour(site)))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 2):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def key_for_row(self, row: int) -> int:
        return self.document.key_at(row)

    def _changed(self, key: int) -> None:
        row = self.document.row_of(key)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _renumbered(self) -> None:
        if len(self.document):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.document) - 1, 0))
