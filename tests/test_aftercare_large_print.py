"""Large print (clinical-reference §7.2): measured from the PDF, no text of the sheet is under 18 pt, and it
is bold sans with 1.5 line spacing; the regular sheet is smaller (so the measurement does measure)."""

from __future__ import annotations

import io
import math

from pypdf import PdfReader
from test_report_support import add_patient, flat, pdf_pages, save_session, setup_clinic

from tpi_notes.reports.styles import LARGE_PRINT_LEADING, LARGE_PRINT_MIN_PT, aftercare_styles
from tpi_notes.services.context import AppContext
from tpi_notes.services.documents import aftercare_pdf

# The body diagram is a drawing (outline, markers and their numbers in Helvetica); the sheet's text is in
# the registered DejaVu (or Vera) fonts. The measurement is over the sheet's text.
DRAWING_FONTS = ("Helvetica",)


def text_sizes(pdf: bytes) -> list[tuple[float, str, str]]:
    """(effective size in points, font name, text) of every text run: the font size scaled by the text and
    graphics matrices, as a reader sees it on the page."""
    runs: list[tuple[float, str, str]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        def visit(text: str, cm: list, tm: list, font: dict | None, size: float) -> None:
            if not text.strip() or font is None:
                return
            # the vertical scale of tm x cm: the length of the transformed unit y vector
            a, b, c, d = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3], \
                tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            scale = math.sqrt(c * c + d * d) or math.sqrt(a * a + b * b)
            runs.append((size * scale, str(font.get("/BaseFont", "")), text))

        page.extract_text(visitor_text=visit)
    return runs


def _sheet_runs(pdf: bytes) -> list[tuple[float, str, str]]:
    return [r for r in text_sizes(pdf) if not any(f in r[1] for f in DRAWING_FONTS)]


def test_large_print_has_no_text_under_18_pt(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx, diabetes=True, anticoagulant="warfarin")
    session_id = save_session(ctx, patient.id, doctor, 6)
    pdf = aftercare_pdf(ctx, session_id, "en", large_print=True)
    runs = _sheet_runs(pdf)
    assert len(runs) > 100
    small = [(round(size, 1), text) for size, _font, text in runs if size < LARGE_PRINT_MIN_PT - 0.01]
    assert small == []
    assert all("Bold" in font for size, font, text in runs if size < 19 and "Page" not in text
               and "version" not in text)  # body text is bold; the page footer is the only regular text
    text = flat("\n".join(pdf_pages(pdf)))
    assert "Watch your breathing" in text and "Aftercare sheet version 2" in text


def test_regular_print_is_smaller_and_large_print_reflows(ctx: AppContext) -> None:
    doctor = setup_clinic(ctx)
    patient = add_patient(ctx)
    session_id = save_session(ctx, patient.id, doctor, 3)
    regular = aftercare_pdf(ctx, session_id, "es")
    large = aftercare_pdf(ctx, session_id, "es", large_print=True)
    assert min(size for size, _f, _t in _sheet_runs(regular)) < 12
    assert len(pdf_pages(large)) > len(pdf_pages(regular))
    assert "Hoja de cuidados, versión 2" in flat(pdf_pages(large)[-1])


def test_large_print_styles_follow_the_guidelines() -> None:
    styles = aftercare_styles(large_print=True)
    for name in ("Body", "Bullet", "Small", "Heading", "Title", "Strong"):
        style = styles[name]
        assert style.fontSize >= LARGE_PRINT_MIN_PT, name
        assert style.leading >= LARGE_PRINT_LEADING * style.fontSize - 0.01 or name in ("Heading", "Title"), name
        assert "Bold" in style.fontName, name  # bold sans, never italic
        assert "Oblique" not in style.fontName and "Italic" not in style.fontName
        assert style.alignment == 0  # left-aligned
