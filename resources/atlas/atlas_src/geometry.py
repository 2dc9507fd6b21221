"""Geometry helpers for authoring the atlas: smooth closed/open curves through points, mirroring.

Artwork is authored in *design units*: y runs 0..100 down the view (percent of its height) and x is
measured LATERALLY from the body's midline (x >= 0 is the side being drawn). A shape is written once
for one side and placed on the view with ``sign`` = -1 (viewer's left) or +1 (viewer's right).

A curve is given as a list of points; a point written as ``(x, y, C)`` is a corner (its tangent is
broken), any other point is smooth. Between points we emit cubic Béziers whose handles follow the
direction through the neighbouring points, with a length proportional to the segment (no overshoot).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

C = "corner"
DesignPoint = tuple[float, float] | tuple[float, float, str]
Vec = tuple[float, float]

HANDLE = 0.37  # handle length as a fraction of the segment (0.39 draws a circle from 4 points)


def _xy(p: DesignPoint) -> Vec:
    return (float(p[0]), float(p[1]))


def _unit(dx: float, dy: float) -> Vec:
    n = math.hypot(dx, dy)
    return (0.0, 0.0) if n == 0 else (dx / n, dy / n)


def _tangents(pts: Sequence[DesignPoint], closed: bool) -> list[tuple[Vec, Vec]]:
    """(incoming, outgoing) unit tangents per point."""
    n = len(pts)
    out: list[tuple[Vec, Vec]] = []
    for i, p in enumerate(pts):
        x, y = _xy(p)
        if closed:
            prev, nxt = _xy(pts[i - 1]), _xy(pts[(i + 1) % n])
        else:
            prev = _xy(pts[i - 1]) if i > 0 else (x, y)
            nxt = _xy(pts[i + 1]) if i < n - 1 else (x, y)
        corner = len(p) == 3 and p[2] == C  # type: ignore[misc]
        if corner or (not closed and i in (0, n - 1)):
            t_in = _unit(x - prev[0], y - prev[1])
            t_out = _unit(nxt[0] - x, nxt[1] - y)
            out.append((t_in, t_out))
        else:
            t = _unit(nxt[0] - prev[0], nxt[1] - prev[1])
            out.append((t, t))
    return out


def bezier_segments(pts: Sequence[DesignPoint], *, closed: bool) -> list[tuple[Vec, Vec, Vec, Vec]]:
    """Cubic segments (p0, c1, c2, p1) through the points, in design units."""
    tans = _tangents(pts, closed)
    n = len(pts)
    segs = []
    for i in range(n if closed else n - 1):
        j = (i + 1) % n
        p0, p1 = _xy(pts[i]), _xy(pts[j])
        length = math.hypot(p1[0] - p0[0], p1[1] - p0[1]) * HANDLE
        t0, t1 = tans[i][1], tans[j][0]
        c1 = (p0[0] + t0[0] * length, p0[1] + t0[1] * length)
        c2 = (p1[0] - t1[0] * length, p1[1] - t1[1] * length)
        segs.append((p0, c1, c2, p1))
    return segs


class Canvas:
    """Maps design units to a view's normalised coordinates and writes path strings."""

    def __init__(self, half_width: float) -> None:
        self.half_width = half_width  # design units from the midline to the view's edge
        self.aspect = 2.0 * half_width / 100.0

    def norm(self, p: Vec, sign: int) -> Vec:
        return (0.5 + sign * p[0] / (2.0 * self.half_width), p[1] / 100.0)

    @staticmethod
    def fmt(v: float) -> str:
        s = f"{v:.4f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s

    def _pt(self, p: Vec, sign: int) -> str:
        x, y = self.norm(p, sign)
        return f"{self.fmt(x)} {self.fmt(y)}"

    def path(self, pts: Sequence[DesignPoint], sign: int, *, closed: bool = True) -> str:
        """A smooth path through design points, placed on the view side given by ``sign``."""
        segs = bezier_segments(pts, closed=closed)
        parts = [f"M {self._pt(segs[0][0], sign)}"]
        for _, c1, c2, p1 in segs:
            parts.append(f"C {self._pt(c1, sign)} {self._pt(c2, sign)} {self._pt(p1, sign)}")
        if closed:
            parts.append("Z")
        return " ".join(parts)

    def polyline(self, pts: Sequence[Vec], sign: int, *, closed: bool = False) -> str:
        """Straight segments (used for short detail strokes)."""
        parts = [f"M {self._pt(pts[0], sign)}"] + [f"L {self._pt(p, sign)}" for p in pts[1:]]
        if closed:
            parts.append("Z")
        return " ".join(parts)


def mirror_closed(half: Sequence[DesignPoint]) -> list[DesignPoint]:
    """A symmetric closed loop from a half running from the midline (x=0) round one side back to it.

    The result has x signed (negative = the mirrored side); place it with ``sign=+1``.
    """
    other = [(-p[0], p[1], *p[2:]) for p in reversed(half[1:-1])]
    return [*half, *other]  # type: ignore[list-item]


def offset_strap(centre: Sequence[Vec], widths: Sequence[float]) -> list[DesignPoint]:
    """A closed strap shape around a centre line with the given half-widths per centre point."""
    left: list[DesignPoint] = []
    right: list[DesignPoint] = []
    n = len(centre)
    for i, (x, y) in enumerate(centre):
        a = centre[max(i - 1, 0)]
        b = centre[min(i + 1, n - 1)]
        tx, ty = _unit(b[0] - a[0], b[1] - a[1])
        w = widths[i]
        left.append((x - ty * w, y + tx * w))
        right.append((x + ty * w, y - tx * w))
    return [*left, *reversed(right)]
