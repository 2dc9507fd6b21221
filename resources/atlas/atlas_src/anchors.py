"""A guaranteed interior point per region: the sampled point farthest from the shape's edges."""

from __future__ import annotations

import math

from tpi_notes.anatomy.hittest import point_in_ring, ring_bbox
from tpi_notes.anatomy.pathdata import flatten, parse_path

Point = tuple[float, float]


def _edge_distance(ring: tuple[Point, ...], x: float, y: float, aspect: float) -> float:
    best = math.inf
    for i in range(len(ring)):
        x0, y0 = ring[i - 1]
        x1, y1 = ring[i]
        ax, ay, bx, by, px = x0 * aspect, y0, x1 * aspect, y1, x * aspect
        dx, dy = bx - ax, by - ay
        t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(px - (ax + t * dx), y - (ay + t * dy)))
    return best


def interior_anchor(path: str, aspect: float, samples: int = 28) -> Point:
    """Normalised (x, y), rounded to 4 decimals, well inside the (single-ring) path."""
    ring = flatten(parse_path(path), scale_x=aspect)[0]
    x0, y0, x1, y1 = ring_bbox(ring)
    best: tuple[float, Point] = (-1.0, (x0, y0))
    for step in range(3):  # coarse grid, then two refinements around the best point
        cx, cy = best[1] if step else ((x0 + x1) / 2, (y0 + y1) / 2)
        sx = (x1 - x0) / samples / (4**step)
        sy = (y1 - y0) / samples / (4**step)
        half = samples // 2 if step else samples // 2 + 1
        for i in range(-half, half + 1):
            for j in range(-half, half + 1):
                x, y = cx + i * sx, cy + j * sy
                if point_in_ring(ring, x, y):
                    d = _edge_distance(ring, x, y, aspect)
                    if d > best[0]:
                        best = (d, (x, y))
    x, y = round(best[1][0], 4), round(best[1][1], 4)
    if not point_in_ring(ring, x, y):
        raise ValueError(f"no interior anchor found for path {path[:40]}…")
    return (x, y)
