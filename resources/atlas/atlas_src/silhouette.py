"""The body outline (one half, mirrored) and the line-art details of both views, in design units.

Proportions: an adult about 7.5 heads tall standing in the anatomical position (palms forward, arms
slightly away from the body). Head top y=2, chin ~14.8, nipples ~28.5, navel ~40.5, crotch ~52,
knee ~72, ankle ~93, soles ~98.3; shoulders ~26 units wide. x is lateral from the midline.
"""

from __future__ import annotations

from .geometry import C, Canvas, DesignPoint

HALF_WIDTH = 23.0  # design units from the midline to the view's edge; aspect = 0.46

_HEAD: list[DesignPoint] = [
    (0.0, 2.0),
    (2.9, 2.45),
    (4.55, 4.3),
    (5.05, 6.9),
    (4.95, 8.45, C),  # top of the ear
    (5.45, 8.55),
    (5.6, 9.6),
    (5.35, 10.7),
    (4.85, 11.2, C),  # ear lobe
    (4.45, 12.35),
    (3.55, 13.55, C),  # behind the angle of the jaw, where the neck starts
]

_ARM: list[DesignPoint] = [
    (3.35, 14.8),
    (3.55, 16.1),
    (5.0, 17.15),
    (7.7, 18.15),
    (10.3, 19.0),
    (12.2, 20.1),
    (13.35, 22.0),
    (13.75, 24.6),
    (13.95, 28.0),
    (14.55, 32.5),
    (15.15, 36.5),
    (15.7, 39.8),  # lateral epicondyle
    (16.55, 42.8),
    (17.2, 46.8),
    (17.6, 50.5),
    (17.9, 52.9),  # radial styloid
    (18.5, 54.1),
    (19.15, 55.6),
    (19.7, 57.3),
    (20.0, 58.7),
    (19.85, 59.6),  # thumb tip
    (19.4, 59.75),
    (19.05, 58.9),
    (18.75, 57.7),
    (18.5, 56.8, C),  # web of the thumb
    (18.65, 58.6),
    (18.75, 60.9),
    (18.5, 62.3),
    (17.7, 62.85),  # middle fingertip
    (16.8, 62.55),
    (16.1, 61.2),
    (15.55, 58.6),
    (15.2, 55.8),
    (14.95, 53.1),  # ulnar styloid
    (14.45, 50.0),
    (13.5, 46.6),
    (12.45, 43.2),
    (11.95, 40.3),  # medial epicondyle
    (11.35, 36.3),
    (10.6, 32.2),
    (10.0, 29.1),
    (9.25, 26.7, C),  # armpit
]

_TRUNK_AND_LEG: list[DesignPoint] = [
    (9.3, 28.6),
    (8.9, 32.2),
    (8.3, 36.0),
    (7.95, 39.4),  # waist
    (8.1, 42.6),
    (8.75, 45.6),
    (9.3, 48.6),
    (9.5, 51.6),  # greater trochanter
    (9.4, 55.2),
    (9.0, 60.0),
    (8.25, 65.0),
    (7.15, 69.0),
    (6.8, 71.6),  # lateral knee
    (6.85, 74.2),
    (7.15, 77.6),  # lateral calf
    (6.75, 82.0),
    (5.85, 87.0),
    (5.2, 90.6),
    (5.05, 92.6),  # lateral malleolus
]

_FOOT_FRONT: list[DesignPoint] = [
    (5.4, 94.0),
    (5.9, 95.6),
    (6.0, 96.9),
    (5.7, 97.8),
    (4.9, 98.3),
    (3.8, 98.45),
    (2.6, 98.4),
    (1.9, 98.0),
    (1.75, 97.0),
    (1.95, 95.4),
    (2.3, 94.2),
]

_FOOT_BACK: list[DesignPoint] = [
    (5.35, 94.6),
    (5.3, 96.6),
    (4.75, 97.95),
    (3.8, 98.35),
    (2.85, 97.95),
    (2.35, 96.6),
    (2.35, 94.6),
]

_INNER_LEG: list[DesignPoint] = [
    (2.55, 92.8),  # medial malleolus
    (2.55, 90.0),
    (2.15, 86.0),
    (1.6, 80.5),
    (1.5, 77.0),  # medial calf
    (1.75, 73.8),
    (1.55, 71.6),  # medial knee
    (1.35, 68.5),
    (0.95, 63.5),
    (0.45, 57.0),
    (0.3, 54.0),
    (0.0, 52.1, C),  # crotch
]


def outline_half(view: str) -> list[DesignPoint]:
    """One half of the outline, from the top of the head round the side to the crotch."""
    foot = _FOOT_FRONT if view == "anterior" else _FOOT_BACK
    return [*_HEAD, *_ARM, *_TRUNK_AND_LEG, *foot, *_INNER_LEG]


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> list[DesignPoint]:
    return [(cx, cy - ry), (cx + rx, cy), (cx, cy + ry), (cx - rx, cy)]


# Open strokes drawn on BOTH sides (mirrored), per view.
_FRONT_STROKES: list[list[DesignPoint]] = [
    [(0.9, 7.05), (1.8, 6.75), (2.95, 7.05)],  # eyebrow
    [(1.15, 8.4), (1.9, 8.0), (2.7, 8.35)],  # upper eyelid
    [(1.3, 8.5), (1.95, 8.7), (2.55, 8.45)],  # lower eyelid
    [(0.5, 8.6), (0.6, 9.7), (0.75, 10.35)],  # side of the nose
    [(0.8, 10.45), (0.45, 10.75), (0.0, 10.7)],  # nostril
    [(1.3, 12.2), (0.65, 12.1), (0.0, 12.2)],  # mouth
    [(5.05, 8.9), (5.3, 9.7), (5.05, 10.6)],  # ear
    [(0.7, 19.15), (2.5, 19.35), (4.4, 19.45), (6.8, 19.7), (8.8, 19.8), (10.4, 19.75)],  # clavicle
    [(0.45, 34.0), (2.1, 34.15), (3.75, 33.9)],  # tendinous intersections of rectus abdominis
    [(0.45, 37.3), (2.1, 37.45), (3.8, 37.2)],
    [(0.45, 40.7), (2.1, 40.8), (3.8, 40.55)],
    [(3.8, 74.6), (3.55, 82.0), (3.5, 89.5)],  # shin (tibial crest)
    [(16.55, 59.6), (16.6, 61.9)],  # fingers
    [(17.2, 59.7), (17.3, 62.6)],
    [(17.95, 59.7), (18.15, 62.5)],
    [(2.95, 97.55), (2.95, 98.35)],  # toes
    [(3.75, 97.65), (3.8, 98.4)],
    [(4.45, 97.6), (4.55, 98.3)],
    [(5.1, 97.45), (5.2, 98.15)],
]
_FRONT_RINGS: list[list[DesignPoint]] = [
    _ellipse(5.6, 27.7, 0.28, 0.28),  # nipple
    _ellipse(4.3, 71.3, 1.0, 1.3),  # patella
]
_BACK_STROKES: list[list[DesignPoint]] = [
    [(5.05, 8.9), (5.3, 9.7), (5.05, 10.6)],  # ear
    [(4.3, 23.35), (6.2, 23.15), (7.8, 22.75), (9.5, 22.35), (10.3, 22.05)],  # spine of the scapula
    [(13.3, 40.0), (13.8, 40.4), (14.3, 40.0)],  # olecranon
    [(2.0, 71.8), (4.0, 72.0), (6.2, 71.8)],  # popliteal crease
    [(3.55, 89.8), (3.7, 93.3)],  # Achilles tendon
    [(4.55, 89.8), (4.35, 93.3)],
    [(16.55, 59.6), (16.6, 61.9)],  # fingers
    [(17.2, 59.7), (17.3, 62.6)],
    [(17.95, 59.7), (18.15, 62.5)],
]
_MIDLINE_BACK: list[list[DesignPoint]] = [
    [(0.0, 48.6), (0.0, 50.4), (0.0, 52.1)],  # gluteal cleft
]
_MIDLINE_FRONT: list[list[DesignPoint]] = [
    [(0.0, 40.15), (0.3, 40.5), (0.0, 40.95), (-0.3, 40.5), (0.0, 40.15)],  # navel
]


def details(canvas: Canvas, view: str) -> list[str]:
    """Thin, non-clickable line art that makes the figure readable at a glance (both sides)."""
    front = view == "anterior"
    strokes = _FRONT_STROKES if front else _BACK_STROKES
    rings = _FRONT_RINGS if front else []
    out: list[str] = []
    for sign in (-1, 1):
        out.extend(canvas.path(s, sign, closed=False) for s in strokes)
        out.extend(canvas.path(r, sign) for r in rings)
    out.extend(canvas.path(s, 1, closed=False) for s in (_MIDLINE_FRONT if front else _MIDLINE_BACK))
    return out
