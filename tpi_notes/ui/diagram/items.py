"""The scene's items: shaded muscle regions and numbered, draggable site markers."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from tpi_notes.domain.session import Site
from tpi_notes.palette import MARKER_COLOURS, MARKER_LABELS, marker_kind

GROUP_TINTS = {
    "cephalic": "#c9a27e", "cervical": "#c98f7e", "scapular": "#c27f86", "chest": "#c98f86",
    "thoracic": "#bf7f8c", "abdominal": "#c99a86", "lumbar": "#b9838f", "hip": "#b98a99",
    "upper_limb": "#c99480", "lower_limb": "#bd8f8a",
}
MARKER_RADIUS = 15.0


def marker_colour(site: Site) -> str:
    return MARKER_COLOURS[marker_kind(site.technique, site.estim)]


def technique_words(site: Site) -> str:
    """"injection", "dry needling" or "dry needling + e-stim" (the legend's words)."""
    return MARKER_LABELS[marker_kind(site.technique, site.estim)].lower()


def site_words(site: Site) -> str:
    """"Site 1: patient's right upper trapezius, back view, injection": a marker's tooltip and a screen reader's
    words (the PATIENT's side, never "R" to be read as the viewer's)."""
    return (f"Site {site.number}: patient's {'right' if site.side == 'R' else 'left'} {site.muscle.lower()}, "
            f"{'back' if site.view == 'posterior' else 'front'} view, {technique_words(site)}")


class RegionItem(QGraphicsPathItem):
    """A muscle region: lightly shaded; stronger while hovered."""

    def __init__(self, code: str, group: str, path: QPainterPath) -> None:
        super().__init__(path)
        self.code = code
        tint = QColor(GROUP_TINTS.get(group, "#c4948a"))
        self._normal = QColor(tint)
        self._normal.setAlpha(70)
        self._hover = QColor(tint.darker(115))
        self._hover.setAlpha(170)
        self.setPen(QPen(QColor(150, 95, 90, 150), 1.2))
        self.setBrush(QBrush(self._normal))
        self.setZValue(1)

    def set_hovered(self, hovered: bool) -> None:
        fill = getattr(self, "_fill", None)
        self.setBrush(QBrush(self._hover) if hovered else fill if fill is not None else QBrush(self._normal))

    def set_fill(self, brush: QBrush | None) -> None:
        """Fill the region with ``brush`` from now on, None for its own tint (the response map, issue 17)."""
        self._fill = brush
        self.setBrush(brush if brush is not None else QBrush(self._normal))


class MarkerItem(QGraphicsItem):
    """A numbered circle at a site; movable and selectable. The scene turns a drag into one command."""

    def __init__(self, key: int, site: Site) -> None:
        super().__init__()
        self.key = key
        self.site = site
        self.press_pos: QPointF | None = None
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(10)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setAcceptHoverEvents(True)

    def set_site(self, site: Site) -> None:
        self.site = site
        self.setToolTip(site_words(site))
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        r = MARKER_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), MARKER_RADIUS + 2, MARKER_RADIUS + 2)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(marker_colour(self.site))
        selected = self.isSelected()
        painter.setPen(QPen(QColor("#111111") if selected else QColor("white"), 4.0 if selected else 2.5))
        painter.setBrush(colour)
        painter.drawEllipse(QPointF(0, 0), MARKER_RADIUS, MARKER_RADIUS)
        font = QFont()
        font.setPixelSize(17)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, str(self.site.number))

    def mousePressEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        self.press_pos = QPointF(self.pos())
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        super().mouseReleaseEvent(event)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        scene = self.scene()
        if scene is not None and hasattr(scene, "finish_drag"):
            scene.finish_drag()
