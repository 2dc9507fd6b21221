"""Generate ``atlas-1.json`` from the design data in ``atlas_src/`` (deterministic).

Run from anywhere with the project's interpreter::

    .venv/bin/python resources/atlas/make_atlas_1.py          # writes atlas-1.json next to this file
    .venv/bin/python resources/atlas/make_atlas_1.py --check  # exit 1 if the file is out of date

The JSON is the source of truth the app loads; this script is how it is authored. ``tests/test_anatomy``
rebuilds the document with :func:`build` and compares it with the file so the two cannot drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))

from atlas_src import anterior, catalog, posterior  # noqa: E402
from atlas_src.anchors import interior_anchor  # noqa: E402
from atlas_src.geometry import Canvas, mirror_closed  # noqa: E402
from atlas_src.silhouette import HALF_WIDTH, details, outline_half  # noqa: E402

VERSION = "1"
OUTPUT = HERE / f"atlas-{VERSION}.json"

# Patient's right is drawn on the viewer's LEFT in the anterior view (sign -1) and on the viewer's
# RIGHT in the posterior view (sign +1). This table is the only place where laterality is decided.
SIDE_SIGN = {
    ("anterior", "R"): -1,
    ("anterior", "L"): +1,
    ("posterior", "R"): +1,
    ("posterior", "L"): -1,
}
SHAPES = {"anterior": anterior.SHAPES, "posterior": posterior.SHAPES}
PREFIX = {"anterior": "ant", "posterior": "post"}


def _view(canvas: Canvas, view: str) -> dict[str, Any]:
    label_y = 0.035
    return {
        "caption": view.capitalize(),
        "caption_position": [0.5, 1.0],
        "aspect": round(canvas.aspect, 4),
        "outline": canvas.path(mirror_closed(outline_half(view)), +1),
        "details": details(canvas, view),
        "side_labels": {
            side: [round(canvas.norm((16.0, 0.0), SIDE_SIGN[(view, side)])[0], 4), label_y]
            for side in ("R", "L")
        },
    }


def _regions(canvas: Canvas) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for view in ("anterior", "posterior"):
        for muscle_id, points in SHAPES[view]:
            # The anchor is found once (on the viewer's-left copy) and mirrored, so both sides match.
            left = canvas.path(points, -1)
            ax, ay = interior_anchor(left, canvas.aspect)
            for side in ("R", "L"):
                sign = SIDE_SIGN[(view, side)]
                out.append(
                    {
                        "code": f"{PREFIX[view]}.{muscle_id}.{side}",
                        "muscle_id": muscle_id,
                        "view": view,
                        "side": side,
                        "anchor": [ax if sign < 0 else round(1.0 - ax, 4), ay],
                        "path": canvas.path(points, sign),
                    }
                )
    return out


def _check_catalog() -> None:
    drawn = {muscle_id for shapes in SHAPES.values() for muscle_id, _ in shapes}
    if drawn != set(catalog.MUSCLES):
        raise ValueError(f"muscles without a shape or shapes without a muscle: {drawn ^ set(catalog.MUSCLES)}")
    for muscle_id, (name, _, lung, deep) in catalog.MUSCLES.items():
        for d in deep:
            if d not in catalog.DEEP:
                raise ValueError(f"{muscle_id}: deep alternative {d!r} is not in catalog.DEEP")
        if muscle_id in catalog.DEEP and catalog.DEEP[muscle_id] != (name, lung):
            raise ValueError(f"{muscle_id}: surface and deep entries disagree")


def build() -> dict[str, Any]:
    """The atlas document, as written to ``atlas-1.json``."""
    _check_catalog()
    canvas = Canvas(HALF_WIDTH)
    return {
        "format": "tpi-notes-atlas",
        "format_version": 1,
        "version": VERSION,
        "date": "2026-11-23",
        "source": "Original artwork drawn for tpi-notes; muscle list from clinical-reference §5.",
        "coordinates": (
            "Each view is normalised 0..1: x to the viewer's right, y down; width/height = aspect. "
            "Anterior: patient's R at x < 0.5. Posterior: patient's R at x > 0.5."
        ),
        "views": {view: _view(canvas, view) for view in ("anterior", "posterior")},
        "muscles": catalog.muscles_json(),
        "deep_muscles": catalog.deep_json(),
        "regions": _regions(canvas),
    }


def render(document: dict[str, Any]) -> str:
    """JSON text with one muscle, deep muscle, view or region per line (small, readable diffs)."""
    lines = ["{"]
    items = list(document.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list):
            body = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f" {json.dumps(key)}: [\n{body}\n ]{comma}")
        elif isinstance(value, dict):
            body = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
            lines.append(f" {json.dumps(key)}: {{\n{body}\n }}{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    document = build()
    text = render(document)
    if json.loads(text) != document:
        raise AssertionError("render() lost information")
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.name} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(document['regions'])} regions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
