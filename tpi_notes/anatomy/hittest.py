"""Fast point-in-region lookup: a coarse grid of candidate regions, then banded even-odd ray casting.

Built once per view when an atlas loads. A query looks up its grid cell (a short tuple of candidate
regions, topmost first), checks each candidate's bounding box, and casts a ray only against the few
edges of that region that span the query's height (edges are bucketed in horizontal bands).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from .model import BBox, Point

T = TypeVar("T")
Edge = tuple[float, float, float, float]  # x0, y0, x1, y1 with y0 != y1

_GRID = 48
_BANDS = 24


def ring_bbox(ring: Sequence[Point]) -> BBox:
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def point_in_ring(ring: Sequence[Point], x: float, y: float) -> bool:
    """Even-odd rule; plain O(n) version used by the atlas generator and tests."""
    inside = False
    n = len(ring)
    for i in range(n):
        x0, y0 = ring[i - 1]
        x1, y1 = ring[i]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


class _Banded:
    """One polygon's edges bucketed by horizontal band for O(few) ray casts."""

    __slots__ = ("bbox", "y0", "scale", "bands")

    def __init__(self, ring: Sequence[Point]) -> None:
        self.bbox = ring_bbox(ring)
        _, self.y0, _, y1 = self.bbox
        height = max(y1 - self.y0, 1e-12)
        self.scale = _BANDS / height
        buckets: list[list[Edge]] = [[] for _ in range(_BANDS)]
        n = len(ring)
        for i in range(n):
            ax, ay = ring[i - 1]
            bx, by = ring[i]
            if ay == by:
                continue  # horizontal edges never cross a horizontal ray
            lo = int((min(ay, by) - self.y0) * self.scale)
            hi = int((max(ay, by) - self.y0) * self.scale)
            for b in range(max(lo, 0), min(hi, _BANDS - 1) + 1):
                buckets[b].append((ax, ay, bx, by))
        self.bands = tuple(tuple(b) for b in buckets)

    def contains(self, x: float, y: float) -> bool:
        bx0, by0, bx1, by1 = self.bbox
        if x < bx0 or x > bx1 or y < by0 or y > by1:
            return False
        band = int((y - self.y0) * self.scale)
        if band >= _BANDS:
            band = _BANDS - 1
        inside = False
        for x0, y0, x1, y1 in self.bands[band]:
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                inside = not inside
        return inside


class GridIndex(Generic[T]):
    """Maps a normalised point of one view to the topmost item whose polygon contains it."""

    def __init__(self, items: Sequence[tuple[T, Sequence[Point]]]) -> None:
        shapes = [(item, _Banded(ring)) for item, ring in items]
        cells: list[list[tuple[T, _Banded]]] = [[] for _ in range(_GRID * _GRID)]
        for item, shape in reversed(shapes):  # last drawn is on top, so it is tested first
            x0, y0, x1, y1 = shape.bbox
            for gy in range(self._cell(y0), self._cell(y1) + 1):
                for gx in range(self._cell(x0), self._cell(x1) + 1):
                    cells[gy * _GRID + gx].append((item, shape))
        self._cells = tuple(tuple(c) for c in cells)

    @staticmethod
    def _cell(v: float) -> int:
        return min(max(int(v * _GRID), 0), _GRID - 1)

    def lookup(self, x: float, y: float) -> T | None:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            return None
        gx = int(x * _GRID)
        gy = int(y * _GRID)
        if gx == _GRID:
            gx -= 1
        if gy == _GRID:
            gy -= 1
        for item, shape in self._cells[gy * _GRID + gx]:
            if shape.contains(x, y):
                return item
        return None
