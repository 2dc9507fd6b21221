"""The body diagram scene: both atlas views, mirroring a SiteDocument; it never decides what exists."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
)

from tpi_notes.anatomy import Atlas, Region
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.diagram.geometry import TOP_MARGIN, VIEW_HEIGHT, ViewFrame, frame_at, frames, painter_path
from tpi_notes.ui.diagram.items import MarkerItem, RegionItem

SKIN = QColor("#f6e9e1")
OUTLINE = QColor("#6d4c41")
SIDE_LABEL = QColor("#0b3d91")


class BodyDiagramScene(QGraphicsScene):
    site_requested = Signal(str, float, float)
    """A click on a muscle asks for a new site: (view, x, y) normalised."""
    markers_moved = Signal(list)
    """A drag ended: [(key, view, x, y), ...] for every marker that moved."""
    marker_menu_requested = Signal(int, QPointF)
    """Right-click on a marker: (key, screen position)."""
    region_hovered = Signal(object)
    """The region under the pointer changed (a Region or None)."""

    def __init__(self, atlas: Atlas, document: SiteDocument, parent=None, *, editable: bool = True) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.editable = editable
        self.atlas = atlas
        self.document = document
        self.frames = frames(atlas)
        self._regions: dict[str, RegionItem] = {}
        self._markers: dict[int, MarkerItem] = {}
        self._hovered: str | None = None
        self.setBackgroundBrush(QBrush(QColor("white")))
        for frame in self.frames.values():
            self._draw_view(frame)
        right = max(f.left + f.width for f in self.frames.values())
        self.setSceneRect(-40, 0, right + 80, TOP_MARGIN + VIEW_HEIGHT + 30)
        document.site_inserted.connect(self._on_inserted)
        document.site_removed.connect(self._on_removed)
        document.site_changed.connect(self._on_changed)
        document.sites_renumbered.connect(self._on_renumbered)
        for key in document.site_keys():
            self._on_inserted(key, document.row_of(key))

    def region_item(self, code: str) -> RegionItem | None:
        """The shape of region ``code`` (the response map colours it, issue 17)."""
        return self._regions.get(code)

    # -- drawing the atlas ---------------------------------------------------------------------
    def _draw_view(self, frame: ViewFrame) -> None:
        outline = self.addPath(painter_path(self.atlas.outline(frame.name), frame), QPen(OUTLINE, 2.2), QBrush(SKIN))
        outline.setZValue(0)
        for region in self.atlas.regions_in(frame.name):
            item = RegionItem(region.code, region.group, painter_path(region.path, frame))
            self.addItem(item)
            self._regions[region.code] = item
        for detail in self.atlas.details(frame.name):
            line = self.addPath(painter_path(detail, frame), QPen(QColor(120, 80, 70, 160), 1.2))
            line.setZValue(2)
        caption = self.atlas.view(frame.name).caption
        self._text(caption, frame.to_scene(0.5, 0.0) - QPointF(0, 48), 26, QColor("#333333"), bold=True)
        for side in ("R", "L"):
            x, y = self.atlas.side_label_position(frame.name, side)
            self._text(f"Patient's {side}", frame.to_scene(x, y), 24, SIDE_LABEL, bold=True)

    def _text(self, text: str, centre: QPointF, size: int, colour: QColor, bold: bool = False) -> None:
        item = QGraphicsSimpleTextItem(text)
        font = QFont()
        font.setPixelSize(size)
        font.setBold(bold)
        item.setFont(font)
        item.setBrush(colour)
        rect = item.boundingRect()
        item.setPos(centre - QPointF(rect.width() / 2, rect.height() / 2))
        item.setZValue(3)
        self.addItem(item)

    # -- coordinates ---------------------------------------------------------------------------
    def locate(self, point: QPointF) -> tuple[str, float, float] | None:
        frame = frame_at(self.frames, point)
        if frame is None:
            return None
        x, y = frame.to_norm(point)
        return frame.name, x, y

    def scene_point(self, view: str, x: float, y: float) -> QPointF:
        return self.frames[view].to_scene(x, y)

    def region_at(self, point: QPointF) -> Region | None:
        where = self.locate(point)
        return self.atlas.hit_test(*where) if where else None

    def marker(self, key: int) -> MarkerItem:
        return self._markers[key]

    def markers(self) -> list[MarkerItem]:
        return list(self._markers.values())

    def selected_keys(self) -> list[int]:
        return [item.key for item in self.selectedItems() if isinstance(item, MarkerItem)]

    # -- mirroring the document -----------------------------------------------------------------
    def _on_inserted(self, key: int, _row: int) -> None:
        site = self.document.site(key)
        item = MarkerItem(key, site)
        item.setFlag(MarkerItem.GraphicsItemFlag.ItemIsMovable, self.editable)
        item.set_site(site)
        item.setPos(self.scene_point(site.view, site.x, site.y))
        self.addItem(item)
        self._markers[key] = item

    def _on_removed(self, key: int, _row: int) -> None:
        item = self._markers.pop(key)
        self.removeItem(item)

    def _on_changed(self, key: int) -> None:
        site = self.document.site(key)
        item = self._markers[key]
        item.set_site(site)
        item.setPos(self.scene_point(site.view, site.x, site.y))

    def _on_renumbered(self) -> None:
        for key, item in self._markers.items():
            item.set_site(self.document.site(key))

    def restore_marker(self, key: int) -> None:
        """Put a marker back where its site is (a drop outside any muscle is refused)."""
        self._on_changed(key)

    # -- interaction -----------------------------------------------------------------------------
    def finish_drag(self) -> None:
        moved = []
        for item in self._markers.values():
            if item.press_pos is not None and item.pos() != item.press_pos:
                where = self.locate(item.pos())
                moved.append((item.key, *where) if where else (item.key, None, 0.0, 0.0))
            item.press_pos = None
        if moved:
            self.markers_moved.emit(moved)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt API
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        if isinstance(item, MarkerItem) or event.button() != Qt.MouseButton.LeftButton:
            for marker in self._markers.values():
                marker.press_pos = QPointF(marker.pos())
            super().mousePressEvent(event)
            return
        self.clearSelection()
        where = self.locate(event.scenePos())
        if self.editable and where and self.atlas.hit_test(*where) is not None:
            self.site_requested.emit(*where)
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt API
        region = self.region_at(event.scenePos())
        code = region.code if region else None
        if code != self._hovered:
            if self._hovered:
                self._regions[self._hovered].set_hovered(False)
            if code:
                self._regions[code].set_hovered(True)
            self._hovered = code
            self.region_hovered.emit(region)
        super().mouseMoveEvent(event)

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:  # noqa: N802 - Qt API
        if not self.editable:
            event.ignore()
            return
        for item in self.items(event.scenePos()):
            if isinstance(item, MarkerItem):
                if not item.isSelected():
                    self.clearSelection()
                    item.setSelected(True)
                self.marker_menu_requested.emit(item.key, QPointF(event.screenPos()))
                event.accept()
                return
        event.ignore()
