"""The signed note's QR code (issue 19): encoded once per print and drawn as one path, holding the same modules
as a straight encoding of its payload (what a phone scanning the paper reads)."""

from __future__ import annotations

import pytest
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.shapes import Drawing, Group, Path, Rect

from tpi_notes.reports import procedure_note
from tpi_notes.reports.styles import QR_SIZE

PAYLOAD = "tpi-notes:session:4711:sha256:" + "9f2c" * 16


def _expected(payload: str) -> list[list[bool]]:
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(payload)
    qr.make()
    return [[bool(m) for m in row] for row in qr.modules]


def _dark_boxes(node: object, out: list[tuple[float, float, float, float]]) -> None:
    """Filled rectangles (x, y, width, height), whether drawn as Rect shapes or as sub-paths of a Path."""
    if isinstance(node, Group | Drawing):
        for child in node.contents:
            _dark_boxes(child, out)
    elif hasattr(node, "draw") and not isinstance(node, Path | Rect):  # a widget: what it draws
        _dark_boxes(node.draw(), out)
    elif isinstance(node, Rect) and node.fillColor is not None:
        out.append((node.x, node.y, node.width, node.height))
    elif isinstance(node, Path) and node.fillColor is not None:
        xs, ys = node.points[0::2], node.points[1::2]
        for start in range(0, len(xs), 4):
            bx, by = xs[start:start + 4], ys[start:start + 4]
            out.append((min(bx), min(by), max(bx) - min(bx), max(by) - min(by)))


def _modules(drawing: Drawing, count: int) -> list[list[bool]]:
    """The dark modules as drawn (the finder patterns fix the symbol's corners, whatever the scale)."""
    boxes: list[tuple[float, float, float, float]] = []
    _dark_boxes(drawing, boxes)
    left, top = min(b[0] for b in boxes), max(b[1] + b[3] for b in boxes)
    box = (max(b[0] + b[2] for b in boxes) - left) / count
    grid = [[False] * count for _ in range(count)]
    for x, y, w, h in boxes:
        row = round((top - (y + h)) / box)  # rows count down from the top
        for c in range(round((x - left) / box), round((x + w - left) / box)):
            grid[row][c] = True
    return grid


def test_the_qr_code_is_encoded_once_drawn_as_one_path_and_holds_the_payload(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    original = qrencoder.QRCode.make
    monkeypatch.setattr(qrencoder.QRCode, "make", lambda self, *a, **k: (made.append(1), original(self, *a, **k))[1])
    drawing = procedure_note._qr(PAYLOAD, QR_SIZE)
    pdf = renderPDF.drawToString(drawing)
    assert pdf.startswith(b"%PDF") and len(made) == 1, f"encoded {len(made)} times for one print"

    shapes: list[object] = []

    def leaves(node: object) -> None:
        if isinstance(node, Group | Drawing):
            for child in node.contents:
                leaves(child)
        else:
            shapes.append(node)

    leaves(drawing)
    assert [type(s).__name__ for s in shapes] == ["Path"], "drawn as one path, not a rectangle per run of modules"
    expected = _expected(PAYLOAD)
    monkeypatch.setattr(qrencoder.QRCode, "make", original)
    assert _modules(drawing, len(expected)) == expected
    assert abs(drawing.width - QR_SIZE) < 1e-6 and abs(drawing.height - QR_SIZE) < 1e-6
