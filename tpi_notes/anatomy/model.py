"""The atlas's value types: views, regions and their deep alternatives (plain frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field

ANTERIOR = "anterior"
POSTERIOR = "posterior"
VIEWS: tuple[str, str] = (ANTERIOR, POSTERIOR)
SIDES: tuple[str, str] = ("R", "L")

Point = tuple[float, float]
BBox = tuple[float, float, float, float]  # min x, min y, max x, max y


def check_view(view: str) -> str:
    """Return ``view`` if it is ``"anterior"`` or ``"posterior"``; raise :class:`ValueError` otherwise."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; expected one of {', '.join(VIEWS)}")
    return view


@dataclass(frozen=True)
class DeepAlternative:
    """A deep muscle reached through a surface region (it takes the region's side)."""

    muscle_id: str
    muscle: str
    near_lung: bool


@dataclass(frozen=True)
class Region:
    """One muscle, one patient side, one view: the clickable shape of the body diagram.

    Coordinates are normalised to the view: 0..1, x to the viewer's right, y down. ``side`` is the
    PATIENT's side. ``anchor`` is a point well inside the shape (it hit-tests back to this region).
    """

    code: str
    muscle_id: str
    muscle: str
    side: str
    view: str
    group: str
    near_lung: bool
    path: str
    polygon: tuple[Point, ...] = field(repr=False)
    bbox: BBox = field(repr=False)
    anchor: Point
    deep: tuple[DeepAlternative, ...] = ()

    @property
    def centroid(self) -> Point:
        """The area centroid of the polygon (may lie outside a strongly concave shape; see ``anchor``)."""
        pts = self.polygon
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area == 0.0:
            return self.anchor
        return (cx / (3.0 * area), cy / (3.0 * area))

    @property
    def label(self) -> str:
        """Display text such as ``"Pectoralis major (R)"``."""
        return f"{self.muscle} ({self.side})"


@dataclass(frozen=True)
class ViewInfo:
    """Everything a renderer needs about one view besides its regions.

    ``aspect`` is width/height: a renderer drawing the view ``h`` units tall makes it ``aspect * h``
    wide and maps ``(x, y)`` to ``(x * aspect * h, y * h)``. ``details`` are open line-art strokes
    (clavicles, navel, kneecaps, fingers …) drawn thinly over the regions; they are not clickable.
    ``side_labels`` maps ``"R"``/``"L"`` to where the patient-side label goes.
    """

    name: str
    caption: str
    aspect: float
    outline: str
    outline_polygon: tuple[Point, ...] = field(repr=False)
    details: tuple[str, ...] = field(repr=False)
    side_labels: dict[str, Point] = field(hash=False)
    caption_position: Point = (0.5, 1.0)
