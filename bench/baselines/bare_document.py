"""A bare ReportLab document: given text and SVG-style paths drawn on a canvas, nothing else (no flowables,
no tables, no view-model). The floor under the procedure note and the aftercare sheet."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from tpi_notes.anatomy import load_atlas
from tpi_notes.anatomy.pathdata import parse_path


def atlas_paths(views: tuple[str, ...] = ("anterior", "posterior")) -> list[list[tuple[str, list[float]]]]:
    """The paths a body diagram draws for ``views`` (outline filled, regions, details, outline stroked), parsed
    once: the floor does not re-parse them."""
    atlas = load_atlas()
    found = []
    for view in views:
        found.append(atlas.outline(view))
        found += [region.path for region in atlas.regions_in(view)]
        found += list(atlas.details(view))
        found.append(atlas.outline(view))
    return [list(parse_path(d)) for d in found]


def render(lines: list[str], paths: list[list[tuple[str, list[float]]]]) -> bytes:
    """``lines`` of text in pages of 60, then every path scaled into a 200-point box on the last page."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, pageCompression=1)
    for start in range(0, max(len(lines), 1), 60):
        text = canvas.beginText(54, 740)
        text.setFont("Helvetica", 9)
        for line in lines[start:start + 60]:
            text.textLine(line)
        canvas.drawText(text)
        if start + 60 < len(lines):
            canvas.showPage()
    for n, commands in enumerate(paths):
        path = canvas.beginPath()
        left = 54 + (n % 2) * 220
        for cmd, v in commands:
            pts = [(left + v[i] * 200, 300 - v[i + 1] * 200) for i in range(0, len(v), 2)]
            if cmd == "M":
                path.moveTo(*pts[0])
            elif cmd == "L":
                path.lineTo(*pts[0])
            elif cmd == "C":
                path.curveTo(*pts[0], *pts[1], *pts[2])
            elif cmd == "Q":
                path.curveTo(*pts[0], *pts[0], *pts[1])
            elif cmd == "Z":
                path.close()
        canvas.drawPath(path, stroke=1, fill=n % 3 == 0)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
