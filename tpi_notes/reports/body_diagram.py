"""The body diagram as a ReportLab ``Drawing``: both views of the atlas side by side, with site markers.

The drawing is a platypus flowable, so a document builder can append it to its story directly. It is
drawn from the same atlas data as the Qt scene: the outline, lightly shaded muscle regions, line-art
details, "Patient's R"/"Patient's L" labels on each view, the view captions and numbered markers
coloured by technique (a small legend explains the colours).

The patient's sheet draws it in the patient's words: ``side_labels`` ("Your right" / "Your left", translated)
over each view, each on the patient's own side (anterior: the patient's right is on the viewer's left;
posterior: on the viewer's right, as the atlas places them), ``captions`` for the views ("Front" / "Back"),
and ``text_pt`` to set labels, captions and marker numbers at a reading size (larger in large print).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportlab.graphics.renderPDF import _PDFRenderer
from reportlab.graphics.shapes import Circle, DirectDraw, Drawing, Group, Line, Path, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFFormXObject, PDFName, PDFStream
from reportlab.pdfbase.pdfmetrics import stringWidth

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


@lru_cache(maxsize=4096)
def _drawn(d: str, left: float, top: float, height: float, width: float) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """A path string as drawing operations in a view's frame (moveTo, lineTo, curveTo, closePath with their
    points), parsed and mapped once per process: every print draws the same atlas paths at the same place
    (issue 19: they were parsed again on every print)."""
    ops: list[tuple[str, tuple[float, ...]]] = []
    cur = (0.0, 0.0)
    for cmd, v in parse_path(d):
        pts = [(left + v[i] * width, top - v[i + 1] * height) for i in range(0, len(v), 2)]
        if cmd == "M":
            ops.append(("moveTo", pts[0]))
        elif cmd == "L":
            ops.append(("lineTo", pts[0]))
        elif cmd == "C":
            ops.append(("curveTo", (*pts[0], *pts[1], *pts[2])))
        elif cmd == "Q":
            (qx, qy), (ex, ey) = pts
            c1 = (cur[0] + 2 / 3 * (qx - cur[0]), cur[1] + 2 / 3 * (qy - cur[1]))
            c2 = (ex + 2 / 3 * (qx - ex), ey + 2 / 3 * (qy - ey))
            ops.append(("curveTo", (*c1, *c2, ex, ey)))
        elif cmd == "Z":
            ops.append(("closePath", ()))
        if pts:
            cur = pts[-1]
    return tuple(ops)


def _path(d: str, frame: _ViewFrame, **style: Any) -> Path:
    path = Path(**style)
    for op, args in _drawn(d, frame.left, frame.top, frame.height, frame.width):
        getattr(path, op)(*args)
    return path


LABEL_FONT = "Helvetica-Bold"


def _label_lines(side_labels: Mapping[str, str] | None, width: float, size: float) -> int:
    """How many lines the side labels above a view need: one when both fit side by side, else two."""
    if not side_labels:
        return 0
    need = sum(stringWidth(side_labels[side], LABEL_FONT, size) for side in ("R", "L")) + size
    return 1 if need <= width else 2


def _side_labels(atlas: Atlas, view: str, frame: _ViewFrame, labels: Mapping[str, str], size: float,
                 lines: int) -> Group:
    """The patient's right and left over the view, each at the edge of the patient's own side."""
    g = Group()
    for row, side in enumerate(sorted(("R", "L"), key=lambda s: atlas.side_label_position(view, s)[0])):
        on_left = atlas.side_label_position(view, side)[0] < 0.5
        x = frame.left if on_left else frame.left + frame.width
        y = frame.top + size * 0.35 + (lines - 1 - min(row, lines - 1)) * size * 1.25
        g.add(String(x, y, labels[side], fontName=LABEL_FONT, fontSize=size, fillColor=TEXT,
                     textAnchor="start" if on_left else "end"))
    return g


def _figure_paths(atlas: Atlas, view: str, frame: _ViewFrame, scale: float) -> list[Path]:
    """The figure of one view: the body filled, the muscle regions, the line-art details, the outline stroked."""
    paths = [_path(atlas.outline(view), frame, fillColor=BODY_FILL, strokeColor=None)]
    for region in atlas.regions_in(view):
        paths.append(_path(region.path, frame, fillColor=REGION_FILL, strokeColor=REGION_STROKE,
                           strokeWidth=0.35 * scale))
    for d in atlas.details(view):
        paths.append(_path(d, frame, fillColor=None, strokeColor=DETAIL_STROKE, strokeWidth=0.4 * scale,
                           strokeLineCap=1))
    paths.append(_path(atlas.outline(view), frame, fillColor=None, strokeColor=OUTLINE_STROKE,
                       strokeWidth=0.8 * scale))
    return paths


@dataclass(frozen=True)
class _Kept:
    """A view's figure as drawn once: its Form XObject's name and Flate-compressed operators, its bounding box,
    and the renderer's fill and stroke flags after the last path."""

    atlas: Atlas
    name: str
    deflated: bytes
    bbox: tuple[float, float, float, float]
    fill: int
    stroke: int


# (atlas id, view, frame, scale) -> what was drawn; the atlas is kept too, so its id is never another's
_FIGURE_OPS: dict[tuple, _Kept] = {}
_FIGURE_OPS_KEPT = 64  # sizes: the note's diagram takes one of about fifteen widths, the sheet's two
_MARGIN = 6.0  # points around the figure in its bounding box (strokes reach past the outline)


class _Figure(DirectDraw):
    """One view's figure (about 80 paths, the same on every print at a given size) as a Form XObject whose
    operators ReportLab wrote, and zlib compressed, the first time: turning the curves into text and compressing
    them were most of the diagram's cost on every print (issue 19). The operators are those of the paths drawn
    one by one in the same graphics state, so the page is the same.

    Only the PDF renderer takes the shortcut; any other draws the paths."""

    def __init__(self, atlas: Atlas, view: str, frame: _ViewFrame, scale: float) -> None:
        self._atlas, self._view, self._frame, self._scale = atlas, view, frame, scale

    def _paths(self) -> list[Path]:
        return _figure_paths(self._atlas, self._view, self._frame, self._scale)

    def _drawn(self, renderer: Any, code: list[str]) -> _Kept:
        """The paths drawn through ``renderer`` as usual, their operators taken back out of the stream."""
        start = len(code)
        for path in self._paths():
            renderer.drawNode(path)
        ops = "\n".join(code[start:]) + "\n"
        del code[start:]
        f = self._frame
        bbox = (f.left - _MARGIN, f.top - f.height - _MARGIN, f.left + f.width + _MARGIN, f.top + _MARGIN)
        data = ops.encode("latin-1")
        return _Kept(self._atlas, f"tpiFigure{hashlib.sha1(data).hexdigest()[:16]}", zlib.compress(data), bbox,
                     renderer._fill, renderer._stroke)

    def drawDirectly(self, renderer: Any) -> None:  # noqa: N802 - ReportLab API
        canvas = getattr(renderer, "_canvas", None)
        code = getattr(canvas, "_code", None)
        if not isinstance(renderer, _PDFRenderer) or not isinstance(code, list):
            for path in self._paths():
                renderer.drawNode(path)
            return
        f = self._frame
        key = (id(self._atlas), self._view, f.left, f.top, f.height, f.width, self._scale)
        kept = _FIGURE_OPS.get(key)
        if kept is None or kept.atlas is not self._atlas:
            kept = self._drawn(renderer, code)
            if len(_FIGURE_OPS) >= _FIGURE_OPS_KEPT:
                _FIGURE_OPS.pop(next(iter(_FIGURE_OPS)))
            _FIGURE_OPS[key] = kept
        doc = canvas._doc
        if not doc.hasForm(kept.name):
            form = PDFFormXObject(*kept.bbox)
            form.Contents = PDFStream(PDFDictionary({"Filter": PDFArray([PDFName("FlateDecode")])}), kept.deflated)
            doc.addForm(kept.name, form)
        canvas.doForm(kept.name)
        renderer._fill, renderer._stroke = kept.fill, kept.stroke


def _view_group(atlas: Atlas, view: str, frame: _ViewFrame, scale: float, show_labels: bool,
                caption: str | None = None, caption_pt: float | None = None) -> Group:
    g = Group()
    g.add(_Figure(atlas, view, frame, scale))
    if show_labels:
        size = 7.5 * scale
        for side in ("R", "L"):
            x, y = frame.pt(*atlas.side_label_position(view, side))
            g.add(String(x, y - size * 0.35, f"Patient's {side}", fontName="Helvetica-Bold",
                         fontSize=size, fillColor=TEXT, textAnchor="middle"))
    caption_x, _ = frame.pt(0.5, 1.0)
    size = caption_pt or 9 * scale
    g.add(String(caption_x, frame.top - frame.height - max(12 * scale, size * 1.25), caption or atlas.view(view).caption,
                 fontName="Helvetica-Bold", fontSize=size, fillColor=TEXT, textAnchor="middle"))
    return g


def _spread(points: list[tuple[float, float]], apart: float, rounds: int = 40) -> list[tuple[float, float]]:
    """Positions moved just enough that no two are closer than ``apart`` (large markers on the patient's
    sheet would hide each other's numbers); each pair that overlaps is pushed apart along the line between."""
    moved = [list(p) for p in points]
    for _ in range(rounds):
        clash = False
        for i in range(len(moved)):
            for j in range(i + 1, len(moved)):
                dx, dy = moved[j][0] - moved[i][0], moved[j][1] - moved[i][1]
                d = (dx * dx + dy * dy) ** 0.5
                if d >= apart:
                    continue
                clash = True
                ux, uy = (dx / d, dy / d) if d > 1e-6 else (1.0, 0.0)
                push = (apart - d) / 2 + 0.01
                moved[i][0] -= ux * push
                moved[i][1] -= uy * push
                moved[j][0] += ux * push
                moved[j][1] += uy * push
        if not clash:
            break
    return [(x, y) for x, y in moved]


def _marker(m: DiagramMarker, frame: _ViewFrame, radius: float, at: tuple[float, float] | None = None) -> Group:
    """A numbered marker; drawn ``at`` another point (moved off a neighbour) with a thin line to its site."""
    fill = MARKER_FILL.get(m.kind, MARKER_OTHER)
    g = Group()
    x, y = frame.pt(m.x, m.y)
    if at is not None and ((at[0] - x) ** 2 + (at[1] - y) ** 2) ** 0.5 > radius * 0.3:
        g.add(Line(x, y, *at, strokeColor=fill, strokeWidth=max(0.8, radius * 0.12)))
        g.add(Circle(x, y, max(1.2, radius * 0.18), fillColor=fill, strokeColor=None))
        x, y = at
    g.add(Circle(x, y, radius, fillColor=fill, strokeColor=white, strokeWidth=radius * 0.18))
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


def _geometry(atlas: Atlas, width_pt: float, legend: bool, text_pt: float | None = None,
              label_lines: int = 0) -> tuple[float, float, float, float, float, float]:
    """(scale, gap, panel width, figure height, legend band, total height) of a diagram ``width_pt`` wide;
    ``text_pt`` and ``label_lines`` make room for captions and side labels above the figure at that size."""
    if width_pt <= 0:
        raise ValueError("width_pt must be positive")
    scale = max(0.6, min(1.6, width_pt / 420.0))
    gap = width_pt * 0.06
    panel = (width_pt - gap) / 2.0
    height = min(panel / atlas.aspect(v) for v in (ANTERIOR, POSTERIOR))
    caption_band = max(18 * scale, (text_pt or 0.0) * 1.7)
    label_band = label_lines * (text_pt or 0.0) * 1.25
    legend_band = 16 * scale if legend else 0.0
    return scale, gap, panel, height, legend_band, height + caption_band + legend_band + label_band


def body_diagram_height(atlas: Atlas, width_pt: float, *, with_legend: bool = True) -> float:
    """How tall :func:`body_diagram_drawing` is at ``width_pt``, without drawing it (for layout)."""
    return _geometry(atlas, width_pt, with_legend)[-1]


def body_diagram_drawing(
    atlas: Atlas, markers: Sequence[Any], width_pt: float, *, show_labels: bool = True,
    side_labels: Mapping[str, str] | None = None, captions: Mapping[str, str] | None = None,
    text_pt: float | None = None,
) -> Drawing:
    """Both views side by side, ``width_pt`` wide, with ``markers`` drawn on them.

    ``markers`` holds objects or tuples with ``number, view, x, y, technique`` (``"injection"`` or
    ``"dry_needling"``); positions are normalised to their view. ``show_labels`` draws the patient-side
    labels and the colour legend. ``side_labels`` ({"R": ..., "L": ...}) are drawn above each view on the
    patient's own side instead; ``captions`` (by view) replace the atlas's; ``text_pt`` sets the labels,
    captions and marker numbers at that size (the markers grow to hold their numbers).
    """
    sites = [_as_marker(m) for m in markers]
    size = text_pt or 7.5
    panel_width = (width_pt - width_pt * 0.06) / 2.0
    figure_height = min(panel_width / atlas.aspect(v) for v in (ANTERIOR, POSTERIOR))
    narrowest = min(figure_height * atlas.aspect(v) for v in (ANTERIOR, POSTERIOR))
    lines = _label_lines(side_labels, narrowest, size)
    scale, gap, panel, height, legend_band, total = _geometry(atlas, width_pt, show_labels and bool(sites), text_pt,
                                                              lines)
    drawing = Drawing(width_pt, total)
    radius = max(4.5, 6.0 * scale, (text_pt or 0.0) * 0.75)
    top = total - lines * size * 1.25
    frames: dict[str, _ViewFrame] = {}
    for i, view in enumerate((ANTERIOR, POSTERIOR)):
        w = height * atlas.aspect(view)
        frames[view] = _ViewFrame(i * (panel + gap) + (panel - w) / 2.0, top, height, atlas.aspect(view))
        drawing.add(_view_group(atlas, view, frames[view], scale, show_labels and not side_labels,
                                (captions or {}).get(view), text_pt))
        if side_labels:
            drawing.add(_side_labels(atlas, view, frames[view], side_labels, size, lines))
    for view, frame in frames.items():
        shown = sorted((m for m in sites if m.view == view), key=lambda s: s.number)
        # Markers sized for reading (text_pt) are spread so none hides another's number; the note's stay put.
        spots = _spread([frame.pt(m.x, m.y) for m in shown], radius * 2.05) if text_pt else [None] * len(shown)
        for m, spot in zip(shown, spots, strict=True):
            drawing.add(_marker(m, frame, radius, spot))
    if legend_band:
        drawing.add(_legend({m.kind for m in sites}, gap, legend_band * 0.45, radius, scale))
    return drawing
