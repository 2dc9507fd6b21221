"""Where each view sits in the scene, and atlas path strings turned into QPainterPaths."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

from tpi_notes.anatomy import VIEWS, Atlas, parse_path

VIEW_HEIGHT = 1000.0  # scene units per view height; everything else scales with it
VIEW_GAP = 170.0
TOP_MARGIN = 70.0


@dataclass(frozen=True)
class ViewFrame:
    """One view's rectangle in scene coordinates."""

    name: str
    left: float
    width: float

    @property
    def rect(self) -> QRectF:
        return QRectF(self.left, TOP_MARGIN, self.width, VIEW_HEIGHT)

    def to_scene(self, x: float, y: float) -> QPointF:
        return QPointF(self.left + x * self.width, TOP_MARGIN + y * VIEW_HEIGHT)

    def to_norm(self, point: QPointF) -> tuple[float, float]:
        return ((point.x() - self.left) / self.width, (point.y() - TOP_MARGIN) / VIEW_HEIGHT)


def frames(atlas: Atlas) -> dict[str, ViewFrame]:
    """Anterior on the left, posterior on the right, as on a paper chart."""
    out, left = {}, 0.0
    for name in VIEWS:
        width = atlas.aspect(name) * VIEW_HEIGHT
        out[name] = ViewFrame(name, left, width)
        left += width + VIEW_GAP
    return out


def frame_at(frames_by_view: dict[str, ViewFrame], point: QPointF) -> ViewFrame | None:
    for frame in frames_by_view.values():
        if frame.rect.contains(point):
            return frame
    return None


@lru_cache(maxsize=4096)
def _commands(d: str) -> tuple:
    return tuple(parse_path(d))


def painter_path(d: str, frame: ViewFrame) -> QPainterPath:
    """The atlas path ``d`` (normalised to its view) in scene coordinates: a copy of the one built the first time
    (copies share Qt's data until changed, so a caller may change its own without touching the others)."""
    return QPainterPath(_built(d, frame))


@lru_cache(maxsize=4096)
def _built(d: str, frame: ViewFrame) -> QPainterPath:
    """Built once per process for each path and view frame (H32): every editor, the patient page's response map
    and each signed session's window draw the same atlas, and building its outlines again took 1.6 s of the
    editor's first opening in a real window. The key is the path's own text and its frame (the view's place and
    width, from the atlas version's aspect): two atlas versions share only what they draw the same way."""
    path = QPainterPath()
    pt = frame.to_scene
    for op, args in _commands(d):
        if op == "M":
            path.moveTo(pt(*args[:2]))
        elif op == "L":
            path.lineTo(pt(*args[:2]))
        elif op == "C":
            path.cubicTo(pt(*args[0:2]), pt(*args[2:4]), pt(*args[4:6]))
        elif op == "Q":
            path.quadTo(pt(*args[0:2]), pt(*args[2:4]))
        elif op == "Z":
            path.closeSubpath()
        else:  # pragma: no cover - parse_path rejects what it does not know
            raise ValueError(f"unsupported path command {op!r}")
    return path
