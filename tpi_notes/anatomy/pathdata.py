"""Path strings of the atlas: parsing (a small SVG subset) and flattening curves to polygons.

The atlas stores shapes as SVG-like path strings using absolute commands only: ``M x y``, ``L x y``,
``H x``, ``V y``, ``C x1 y1 x2 y2 x y``, ``Q x1 y1 x y`` and ``Z``. :func:`parse_path` normalises them to
``M``, ``L``, ``C``, ``Q`` and ``Z`` (``H``/``V`` become ``L``) so a renderer (QPainterPath, ReportLab
``Path``) can replay the list without tracking state.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Command = tuple[str, tuple[float, ...]]
Point = tuple[float, float]
Ring = tuple[Point, ...]

_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "Q": 4, "Z": 0}
_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_JUNK = re.compile(r"[\s,]+")


def _tokenise(d: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(d):
        gap = d[pos : match.start()]
        if gap and not _JUNK.fullmatch(gap):
            raise ValueError(f"path data: unexpected {gap.strip()!r} at offset {pos}")
        tokens.append(match.group())
        pos = match.end()
    tail = d[pos:]
    if tail and not _JUNK.fullmatch(tail):
        raise ValueError(f"path data: unexpected {tail.strip()!r} at offset {pos}")
    return tokens


def parse_path(d: str) -> list[Command]:
    """Parse a path string into ``[(command, numbers), ...]`` with commands in ``M L C Q Z``.

    Raises :class:`ValueError` for unsupported commands (relative lower-case ones, arcs, ``S``/``T``),
    missing coordinates, or drawing before the first ``M``.
    """
    tokens = _tokenise(d)
    out: list[Command] = []
    cur: Point | None = None
    start: Point | None = None
    i = 0
    cmd = ""
    while i < len(tokens):
        tok = tokens[i]
        if tok.isalpha():
            if tok not in _ARITY:
                raise ValueError(
                    f"path data: unsupported command {tok!r}; supported are absolute M, L, H, V, C, Q, Z"
                )
            cmd = tok
            i += 1
        elif not cmd or cmd == "Z":
            raise ValueError(f"path data: number {tok!r} without a command")
        arity = _ARITY[cmd]
        if arity == 0:
            if cur is None or start is None:
                raise ValueError("path data: Z before M")
            out.append(("Z", ()))
            cur = start
            continue
        nums = tokens[i : i + arity]
        if len(nums) < arity or any(t.isalpha() for t in nums):
            raise ValueError(f"path data: command {cmd!r} needs {arity} numbers")
        values = tuple(float(t) for t in nums)
        i += arity
        if cmd != "M" and cur is None:
            raise ValueError("path data: must start with M")
        if cmd == "M":
            out.append(("M", values))
            cur = start = (values[0], values[1])
            cmd = "L"  # SVG: further pairs after M are line-tos
            continue
        if cmd == "H":
            assert cur is not None
            values = (values[0], cur[1])
        elif cmd == "V":
            assert cur is not None
            values = (cur[0], values[0])
        out.append(("L" if cmd in "HV" else cmd, values))
        cur = (values[-2], values[-1])
    return out


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point, steps: int) -> list[Point]:
    pts: list[Point] = []
    for k in range(1, steps + 1):
        t = k / steps
        u = 1.0 - t
        a, b, c, e = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        pts.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1],
            )
        )
    return pts


def _steps(points: Sequence[Point], scale_x: float, segment: float) -> int:
    """Segments for a curve: its control polygon's length over ``segment``, clamped to 2..16."""
    length = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        length += (((x1 - x0) * scale_x) ** 2 + (y1 - y0) ** 2) ** 0.5
    return max(2, min(16, round(length / segment) + 1))


def flatten(commands: Sequence[Command], *, scale_x: float = 1.0, segment: float = 0.006) -> list[Ring]:
    """Flatten a parsed path to closed rings of points (one per subpath; open subpaths are closed).

    Curves become straight pieces about ``segment`` long (in view heights); ``scale_x`` is the view's
    aspect (width/height) so that lengths are measured isotropically.
    """
    rings: list[Ring] = []
    ring: list[Point] = []
    cur: Point = (0.0, 0.0)
    for cmd, v in commands:
        if cmd == "M":
            if len(ring) > 2:
                rings.append(tuple(ring))
            cur = (v[0], v[1])
            ring = [cur]
        elif cmd == "L":
            cur = (v[0], v[1])
            ring.append(cur)
        elif cmd == "C":
            ctrl = [cur, (v[0], v[1]), (v[2], v[3]), (v[4], v[5])]
            ring.extend(_cubic(*ctrl, steps=_steps(ctrl, scale_x, segment)))
            cur = ctrl[3]
        elif cmd == "Q":
            q0, q1, q2 = cur, (v[0], v[1]), (v[2], v[3])
            c1 = (q0[0] + 2 / 3 * (q1[0] - q0[0]), q0[1] + 2 / 3 * (q1[1] - q0[1]))
            c2 = (q2[0] + 2 / 3 * (q1[0] - q2[0]), q2[1] + 2 / 3 * (q1[1] - q2[1]))
            ctrl = [q0, c1, c2, q2]
            ring.extend(_cubic(*ctrl, steps=_steps(ctrl, scale_x, segment)))
            cur = q2
        elif cmd == "Z" and ring:
            cur = ring[0]
    if len(ring) > 2:
        rings.append(tuple(ring))
    return [_drop_closing_duplicate(r) for r in rings]


def _drop_closing_duplicate(ring: Ring) -> Ring:
    if len(ring) > 3 and ring[0] == ring[-1]:
        return ring[:-1]
    return ring
