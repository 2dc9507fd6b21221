"""The response map (issue 17): the body diagram with each treated muscle and side coloured by its latest recorded
response (≥ 50 % for ≥ 6 weeks, partial, none, not recorded; domain/outcomes.py), a legend, and the same as text.

The colours are palette.RESPONSE_COLOURS (Okabe-Ito, safe for every kind of colour vision) and "not recorded" is
also hatched. The editor paints the same colours faintly on its own diagram (:func:`tint_regions`), so the physician
sees which muscles responded before choosing today's sites.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
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


def _swatch(klass: str) -> QPixmap:
    pixmap = QPixmap(16, 16)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#555555"))
    painter.setBrush(response_brush(klass, MAP_ALPHA))
    painter.drawRect(0, 0, 15, 15)
    painter.end()
    return pixmap
