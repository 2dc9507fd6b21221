"""The response map (issue 17): the body diagram with each treated muscle and side coloured by its latest recorded
response (≥ 50 % for ≥ 6 weeks, partial, none, not recorded; domain/outcomes.py), a legend, and the same as text.

The colours are palette.RESPONSE_COLOURS (Okabe-Ito, safe for every kind of colour vision) and "not recorded" is
also hatched. The editor paints the same colours faintly on its own diagram (:func:`tint_regions`), so the physician
sees which muscles responded before choosing today's sites.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tpi_notes.anatomy import Atlas, load_atlas
from tpi_notes.domain.outcomes import RESPONSE_CLASSES, RESPONSE_LABELS, MuscleResponse, PatientOutcomes
from tpi_notes.palette import RESPONSE_COLOURS
from tpi_notes.ui.diagram.document import SiteDocument
from tpi_notes.ui.diagram.scene import BodyDiagramScene
from tpi_notes.ui.diagram.view import DiagramView
from tpi_notes.ui.flow_layout import FlowLayout
from tpi_notes.ui.style import set_role

MAP_ALPHA = 200  # the patient page
FAINT_ALPHA = 90  # the editor's layer under today's sites
LABEL_PT = 8.5  # the map's words on screen whatever its scale (drawn at the scene's size they were ~4 px tall)
SIDE_PREFIX = "Patient's "
LABEL_BAND = 130  # scene units added above the figures for the side labels (some 15 px on the patient page)


def response_brush(klass: str, alpha: int) -> QBrush:
    colour = QColor(RESPONSE_COLOURS[klass])
    colour.setAlpha(alpha)
    brush = QBrush(colour, Qt.BrushStyle.BDiagPattern if klass == "not_recorded" else Qt.BrushStyle.SolidPattern)
    return brush


def regions_by_response(atlas: Atlas, muscles: Iterable[MuscleResponse]) -> dict[str, MuscleResponse]:
    """Region code → the response that colours it: the region's own muscle and side, else a deep muscle reached
    through it (a muscle of another atlas version that this one does not draw is left to the text)."""
    by_key = {(m.muscle_id, m.side): m for m in muscles}
    out: dict[str, MuscleResponse] = {}
    for region in atlas.regions:
        found = by_key.get((region.muscle_id, region.side))
        if found is None:
            found = next((by_key[(d.muscle_id, region.side)] for d in region.deep
                          if (d.muscle_id, region.side) in by_key), None)
        if found is not None:
            out[region.code] = found
    return out


def tint_regions(scene: BodyDiagramScene, muscles: Iterable[MuscleResponse], alpha: int) -> dict[str, str]:
    """Colour the scene's regions by response (the rest get their own tint back); returns region code → class."""
    coloured = {code: m.klass for code, m in regions_by_response(scene.atlas, muscles).items()}
    for region in scene.atlas.regions:
        item = scene.region_item(region.code)
        if item is not None:
            klass = coloured.get(region.code)
            item.set_fill(response_brush(klass, alpha) if klass else None)
    return coloured


class ResponseMap(QWidget):
    """The patient page's response map with its legend; "As text" shows the same per muscle in words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("response_map")
        self.atlas = load_atlas()
        self.document = SiteDocument(parent=self)
        self.scene = BodyDiagramScene(self.atlas, self.document, self, editable=False)
        self.labels = readable_labels(self.scene)
        self.view = DiagramView(self.scene)
        self.view.setParent(self)
        self.view.setAccessibleName("Response map")
        self.view.setMinimumSize(160, 120)  # beside the pain trend in a window of any size; the map scales
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("response_map_text")
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Response map as text")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.text)
        title = QLabel("RESPONSE MAP", self)
        title.setToolTip("The latest recorded response of each muscle and side treated")
        set_role(title, "section")
        self.as_text = QToolButton(self)
        self.as_text.setObjectName("response_map_as_text")
        self.as_text.setText("As text")
        self.as_text.setCheckable(True)
        self.as_text.toggled.connect(lambda on: self.stack.setCurrentWidget(self.text if on else self.view))
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.as_text)
        legend = FlowLayout(spacing=8)  # wraps in a narrow window
        for klass in RESPONSE_CLASSES:
            swatch = QLabel(self)
            swatch.setObjectName(f"response_legend_{klass}")
            swatch.setPixmap(_swatch(klass))
            words = QLabel(RESPONSE_LABELS[klass] + (" (hatched)" if klass == "not_recorded" else ""), self)
            entry = QWidget(self)
            row = QHBoxLayout(entry)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
            row.addWidget(swatch)
            row.addWidget(words)
            legend.addWidget(entry)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)
        layout.addLayout(legend)
        self.coloured: dict[str, str] = {}
        self.show_outcomes(PatientOutcomes((), ()))

    def show_outcomes(self, outcomes: PatientOutcomes) -> None:
        self.coloured = tint_regions(self.scene, outcomes.muscles, MAP_ALPHA)
        words = outcomes.text()
        self.text.setPlainText(words)
        self.view.setAccessibleDescription(words)
        self.view.fit()

    def region_colour(self, code: str) -> str | None:
        """The colour region ``code`` is drawn with now (``#rrggbb``, read from its shape), None when it has no
        response colour (its own tint)."""
        item = self.scene.region_item(code)
        if item is None or code not in self.coloured:
            return None
        return item.brush().color().name()


def readable_labels(scene: BodyDiagramScene) -> list[QGraphicsSimpleTextItem]:
    """Draw the scene's side labels ("Patient's R") at :data:`LABEL_PT` on screen, not at the scene's scale:
    on the patient page the map is some 150 px tall and they were unreadable, a left/right risk.

    At that size they would cover the heads, so they go in a band added above the figures (the scene grows;
    nothing of the figures is cut), and four do not fit on one line: an outer label grows from its inner edge
    outwards (into the view's margin), and the two that face each other between the figures (both the patient's
    left: the front view's left is on the viewer's right, the back view's on the viewer's left) become one,
    centred over the gap. Returns the labels shown."""
    area = scene.sceneRect()
    scene.setSceneRect(area.adjusted(0, -LABEL_BAND, 0, 0))
    band = area.top() - LABEL_BAND / 2
    words = [i for i in scene.items() if isinstance(i, QGraphicsSimpleTextItem)]
    centres = {id(i): i.sceneBoundingRect().center() for i in words}
    mids = sorted(f.left + f.width / 2 for f in scene.frames.values())
    shown: list[QGraphicsSimpleTextItem] = []
    sides = [i for i in words if i.text().startswith(SIDE_PREFIX)]
    for text in dict.fromkeys(i.text() for i in sides):
        same = [i for i in sides if i.text() == text]
        facing = [i for i in same if _faces_a_neighbour(centres[id(i)].x(), mids)]
        if len(facing) == 2:  # one label between the two figures
            first, second = (centres[id(i)] for i in facing)
            facing[1].hide()
            shown.append(_on_screen(facing[0], QPointF((first.x() + second.x()) / 2, band), "centre"))
            same = [i for i in same if i not in facing]
        for item in same:
            rect = item.sceneBoundingRect()
            outward_left = centres[id(item)].x() < min(mids, key=lambda m: abs(m - rect.center().x()))
            anchor = QPointF(rect.right() if outward_left else rect.left(), band)
            shown.append(_on_screen(item, anchor, "right" if outward_left else "left"))
    return shown  # the views' captions keep the scene's scale: beside the merged label they would overlap it


def _faces_a_neighbour(x: float, mids: list[float]) -> bool:
    """A label on the side of its figure that faces the next figure."""
    nearest = min(range(len(mids)), key=lambda k: abs(mids[k] - x))
    return (x > mids[nearest] and nearest + 1 < len(mids)) or (x < mids[nearest] and nearest > 0)


def _on_screen(item: QGraphicsSimpleTextItem, anchor: QPointF, edge: str) -> QGraphicsSimpleTextItem:
    """``item`` drawn at :data:`LABEL_PT` whatever the zoom, its ``edge`` ("left", "right", "centre") at
    ``anchor``."""
    font = QFont(item.font())
    font.setPointSizeF(LABEL_PT)
    item.setFont(font)
    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
    rect = item.boundingRect()
    dx = {"left": 0.0, "right": -rect.width(), "centre": -rect.width() / 2}[edge]
    item.setPos(anchor)
    item.setTransform(QTransform.fromTranslate(dx, -rect.height() / 2))
    return item


def _swatch(klass: str) -> QPixmap:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#555555"))
    painter.setBrush(response_brush(klass, MAP_ALPHA))
    painter.drawRect(0, 0, 15, 15)
    painter.end()
    return pixmap
