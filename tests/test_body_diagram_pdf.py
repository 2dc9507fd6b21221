"""The ReportLab body diagram: both views, patient-side labels, captions and numbered technique markers."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Circle, Drawing, Group, String
from reportlab.platypus import SimpleDocTemplate

from tpi_notes.anatomy import ANTERIOR, POSTERIOR, load_atlas
from tpi_notes.reports.body_diagram import MARKER_FILL, body_diagram_drawing


@dataclass
class Site:
    number: int
    view: str
    x: float
    y: float
    technique: str


def _markers() -> list[object]:
    atlas = load_atlas()
    trap = atlas.region("post.upper_trapezius.R").anchor
    pec = atlas.region("ant.pectoralis_major.L").anchor
    glute = atlas.region("post.gluteus_medius.L").anchor
    return [
        (1, POSTERIOR, *trap, "injection"),
        Site(2, ANTERIOR, *pec, "injection"),
        Site(3, POSTERIOR, *glute, "dry_needling"),
    ]


def _pdf(drawing: Drawing) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, invariant=1).build([drawing])
    return buf.getvalue()


def _walk(node: object) -> list[object]:
    found: list[object] = [node]
    for child in getattr(node, "contents", []):
        found.extend(_walk(child))
    return found


def test_pdf_carries_labels_captions_and_marker_numbers() -> None:
    pdf = _pdf(body_diagram_drawing(load_atlas(), _markers(), 480))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert text.count("Patient's R") == 2 and text.count("Patient's L") == 2
    for word in ("Anterior", "Posterior", "Injection", "Dry needling"):
        assert word in text
    tokens = text.split()
    for number in ("1", "2", "3"):
        assert number in tokens


def test_pdf_is_reproducible() -> None:
    assert _pdf(body_diagram_drawing(load_atlas(), _markers(), 480)) == _pdf(
        body_diagram_drawing(load_atlas(), _markers(), 480)
    )


def test_drawing_geometry_and_marker_colours() -> None:
    atlas = load_atlas()
    drawing = body_diagram_drawing(atlas, _markers(), 400)
    assert drawing.width == 400
    assert drawing.height > 400  # two tall figures side by side
    circles = [n for n in _walk(drawing) if isinstance(n, Circle)]
    fills = [c.fillColor for c in circles]
    assert fills.count(MARKER_FILL["injection"]) >= 2 and fills.count(MARKER_FILL["dry_needling"]) >= 1
    marker_2 = next(g for g in _walk(drawing) if isinstance(g, Group)
                    and any(isinstance(s, String) and s.text == "2" for s in g.contents))
    circle = next(c for c in marker_2.contents if isinstance(c, Circle))
    # Site 2 is on the patient's LEFT pectoralis in the anterior view: the viewer's right half of the left figure.
    assert drawing.width * 0.25 < circle.cx < drawing.width * 0.5


def test_labels_can_be_left_out() -> None:
    drawing = body_diagram_drawing(load_atlas(), [], 300, show_labels=False)
    texts = [n.text for n in _walk(drawing) if isinstance(n, String)]
    assert not any("Patient's" in t for t in texts)
    assert {"Anterior", "Posterior"} <= set(texts)


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError):
        body_diagram_drawing(load_atlas(), [], 0)


def test_the_layout_height_matches_the_drawn_diagram() -> None:
    """The note sizes its diagram from body_diagram_height; a drift would leave the columns uneven or cut."""
    from tpi_notes.anatomy import load_atlas
    from tpi_notes.reports.body_diagram import body_diagram_drawing, body_diagram_height

    atlas = load_atlas()
    marker = (1, "anterior", 0.5, 0.4, "injection")
    for width in (130.0, 176.0, 210.0, 290.0):
        assert body_diagram_height(atlas, width, with_legend=False) == body_diagram_drawing(atlas, [], width).height
        assert body_diagram_height(atlas, width) == body_diagram_drawing(atlas, [marker], width).height
