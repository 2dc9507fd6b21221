"""The body diagram as a ReportLab ``Drawing``: both views of the atlas side by side, with site markers.

The drawing is a platypus flowable, so a document builder can append it to its story directly. It is
drawn from the same atlas data as the Qt scene: the outline, lightly shaded muscle regions, line-art
details, "Patient's R"/"Patient's L" labels on each view, the view captions and numbered markers
coloured by technique (a small legend explains the colours).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Group, Path, String
from reportlab.lib.colors import Color, HexColor, white

from tpi_notes.anatomy import ANTERIOR, POSTERIOR, Atlas, parse_path
from tpi_notes.palette import MARKER_COLOURS, MARKER_LABELS, marker_kind

INJECTION = "injection"
DRY_NEEDLING = "dry_needling"

OUTLINE_STROKE = HexColor("#5e4b43")
BODY_FILL = HexColor("#fbf6f2")
REGION_FILL = HexColor("#f1d9d0")
REGION_STROKE = HexColor("#c8a396")
DETAIL_STROKE = HexColor("#9a7d72")
TEXT = HexColor("#222222")
MARKER_FILL: dict[str, Color] = {kind: HexColor(colour) for kind, colour in MARKER_COLOURS.items()}
MARKER_OTHER = HexColor("#555555")
LEGEND = tuple(MARKER_LABELS.items())


@dataclass(frozen=True)
class DiagramMarker:
    """A site to draw: its number, view, normalised position and technique."""

    number: int
    view: str
    x: float
    y: float
    technique: str
    estim: bool = False

    @property
    def kind(self) -> str:
        return marker_kind(self.technique, self.estim)


def _as_marker(m: Any) -> DiagramMarker:
    if isinstance(m, DiagramMarker):
        return m
    estim = False
    if isinstance(m, tuple):
        number, view, x, y, technique = m[:5]
        estim = bool(m[5]) if len(m) > 5 else False
    else:
        number, view, x, y, technique = m.number, m.view, m.x, m.y, m.technique
        estim = bool(getattr(m, "estim", False))
    technique = getattr(technique, "value", technique)  # accept a str Enum
    return DiagramMarker(int(number), str(getattr(view, "value", view)), float(x), float(y), str(technique), estim)


class _ViewFrame:
    """Maps a view's normalised coordinates to drawing points (ReportLab's y axis points up)."""

    def __init__(self, left: float, top: float, height: float, aspect: float) -> None:
        self.left, self.top, self.height, self.width = left, top, height, height * aspect

    def pt(self, x: float, y: float) -> tuple[float, float]:
        return (self.left + x * self.width, self.top - y * self.height)


def _path(d: str, frame: _ViewFrame, **style: Any) -> Path:
    path = Path(**style)
    cur = (0.0, 0.0)
    for cmd, v in parse_path(d):
        pts = [frame.pt(v[i], v[i + 1]) for i in range(0, len(v), 2)]
        if cmd == "M":
            path.moveTo(*pts[0])
        elif cmd == "L":
            path.lineTo(*pts[0])
        elif cmd == "C":
            path.curveTo(*pts[0], *pts[1], *pts[2])
        elif cmd == "Q":
            (qx, qy), (ex, ey) = pts
            c1 = (cur[0] + 2 / 3 * (qx - cur[0]), cur[1] + 2 / 3 * (qy - cur[1]))
            c2 = (ex + 2 / 3 * (qx - ex), ey + 2 / 3 * (qy - ey))
            path.curveTo(*c1, *c2, ex, ey)
        elif cmd == "Z":
            path.closePath()
        if pts:
            cur = pts[-1]
    return path


def _view_group(atlas: Atlas, view: str, frame: _ViewFrame, scale: float, show_labels: bool) -> Group:
    g = Group()
    g.add(_path(atlas.outline(view), frame, fillColor=BODY_FILL, strokeColor=None))
    for region in atlas.regions_in(view):
        g.add(_path(region.path, frame, fillColor=REGION_FILL, strokeColor=REGION_STROKE, strokeWidth=0.35 * scale))
    for d in atlas.details(view):
        g.add(_path(d, frame, fillColor=None, strokeColor=DETAIL_STROKE, strokeWidth=0.4 * scale, strokeLineCap=1))
    g.add(_path(atlas.outline(view), frame, fillColor=None, strokeColor=OUTLINE_STROKE, strokeWidth=0.8 * scale))
    if show_labels:
        size = 7.5 * scale
        for side in ("R", "L"):
            x, y = frame.pt(*atlas.side_label_position(view, side))
            g.add(String(x, y - size * 0.35, f"Patient's {side}", fontName="Helvetica-Bold",
                         fontSize=size, fillColor=TEXT, textAnchor="middle"))
    caption_x, _ = frame.pt(0.5, 1.0)
    g.add(String(caption_x, frame.top - frame.height - 12 * scale, atlas.view(view).caption,
                 fontName="Helvetica-Bold", fontSize=9 * scale, fillColor=TEXT, textAnchor="middle"))
    return g


def _marker(m: DiagramMarker, frame: _ViewFrame, radius: float) -> Group:
    x, y = frame.pt(m.x, m.y)
    fill = MARKER_FILL.get(m.kind, MARKER_OTHER)
    g = Group(Circle(x, y, radius, fillColor=fill, strokeColor=white, strokeWidth=radius * 0.18))
    label = str(m.number)
    size = radius * (1.2 if len(label) < 2 else 1.0 if len(label) == 2 else 0.8)
    g.add(String(x, y - size * 0.36, label, fontName="Helvetica-Bold", fontSize=size, fillColor=white,
                 textAnchor="middle"))
    return g


def _legend(used: Iterable[str], left: float, y: float, radius: float, scale: float) -> Group:
    g = Group()
    x = left
    for technique, text in LEGEND:
        if technique not in used:
            continue
        g.add(Circle(x + radius, y, radius * 0.8, fillColor=MARKER_FILL[technique], strokeColor=None))
        g.add(String(x + radius * 2.4, y - 3 * scale, text, fontName="Helvetica", fontSize=8 * scale, fillColor=TEXT))
        x += radius * 2.4 + (len(text) * 4.6 + 14) * scale
    return g


def _geometry(atlas: Atlas, width_pt: float, legend: bool) -> tuple[float, float, float, float, float, float]:
    """(scale, gap, panel width, figure height, legend band, total height) of a diagram ``width_pt`` wide."""
    if width_pt <= 0:
        raise ValueError("width_pt must be positive")
    scale = max(0.6, min(1.6, width_pt / 420.0))
    gap = width_pt * 0.06
    panel = (width_pt - gap) / 2.0
    height = min(panel / atlas.aspect(v) for v in (ANTERIOR, POSTERIOR))
    caption_band = 18 * scale
    legend_band = 16 * scale if legend else 0.0
    return scale, gap, panel, height, legend_band, height + caption_band + legend_band


def body_diagram_height(atlas: Atlas, width_pt: float, *, with_legend: bool = True) -> float:
    """How tall :func:`body_diagram_drawing` is at ``width_pt``, without drawing it (for layout)."""
    return _geometry(atlas, width_pt, with_legend)[-1]


def body_diagram_drawing(
    atlas: Atlas, markers: Sequence[Any], width_pt: float, *, show_labels: bool = True
) -> Drawing:
    """Both views side by side, ``width_pt`` wide, with ``markers`` drawn on them.

    ``markers`` holds objects or tuples with ``number, view, x, y, technique`` (``"injection"`` or
    ``"dry_needling"``); positions are normalised to their view. ``show_labels`` draws the patient-side
    labels and the colour legend.
    """
    sites = [_as_marker(m) for m in markers]
    scale, gap, panel, height, legend_band, total = _geometry(atlas, width_pt, show_labels and bool(sites))
    drawing = Drawing(width_pt, total)
    radius = max(4.5, 6.0 * scale)
    frames: dict[str, _ViewFrame] = {}
    for i, view in enumerate((ANTERIOR, POSTERIOR)):
        w = height * atlas.aspect(view)
        frames[view] = _ViewFrame(i * (panel + gap) + (panel - w) / 2.0, total, height, atlas.aspect(view))
        drawing.add(_view_group(atlas, view, frames[view], scale, show_labels))
    for m in sorted(sites, key=lambda s: s.number):
        if m.view in frames:
            drawing.add(_marker(m, frames[m.view], radius))
    if legend_band:
        drawing.add(_legend({m.kind for m in sites}, gap, legend_band * 0.45, radius, scale))
    return drawing
