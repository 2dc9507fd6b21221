"""The page furniture shared by both documents and the one function that turns a story into PDF bytes.

Every page carries the clinic name, the document title and the patient's identifiers (name, date of
birth, MRN: two identifiers on every page, clinical-reference §1.1) at the top, and "Page X of Y" at
the bottom. A watermark (the note's "DRAFT — NOT SIGNED") is drawn diagonally across every page, over
the content and translucent so the content stays legible. The total page count is known only at the
end, so the canvas keeps each page's state and draws the furniture when the document is saved
(the NumberedCanvas pattern of pretix and the ReportLab snippets).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFStream, PDFZCompress
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from tpi_notes.reports.fonts import register_fonts
from tpi_notes.reports.styles import DRAFT_INK, FRAME_WIDTH, INK, MUTED, RULE
from tpi_notes.reports.text import draw_string, fit_string

TOP_EDGE = 8 * mm
BOTTOM_EDGE = 7 * mm
# The clinic's paper (clinic settings, migration 0021). The content keeps one width on both (the frame is laid
# out for Letter's 14 mm margins); A4, 6 mm narrower and 17 mm taller, gets 11 mm side margins and more lines.
PAPER_SIZES: dict[str, tuple[float, float]] = {"letter": LETTER, "a4": A4}


def page_size(paper: str) -> tuple[float, float]:
    return PAPER_SIZES.get(paper, LETTER)


def side_margin(paper: str) -> float:
    return (page_size(paper)[0] - FRAME_WIDTH) / 2


@dataclass(frozen=True)
class PageDecor:
    """What every page shows besides the story."""

    clinic: str
    identity: str  # "Family, Given · DOB 1970-05-01 · MRN 1000007"
    title: str  # the document, e.g. "Procedure note · session 12"
    page_label: str = "Page {page} of {pages}"
    watermark: str = ""
    footer: str = ""  # a line left of the page number (e.g. the aftercare library version)
    font_size: float = 8.0
    # False when the story opens with its own letterhead carrying the clinic and the patient's identifiers:
    # the first page then skips the running header and its room goes to the content.
    first_page_header: bool = True
    paper: str = "letter"  # a key of PAPER_SIZES

    @property
    def top_margin(self) -> float:
        return TOP_EDGE + self.font_size * 2.5 + 3 * mm

    @property
    def bottom_margin(self) -> float:
        return BOTTOM_EDGE + self.font_size * 1.2 + 3.5 * mm


def _draw_furniture(canvas: Canvas, decor: PageDecor, page: int, pages: int) -> None:
    fonts = register_fonts()
    width, height = page_size(decor.paper)
    size = decor.font_size
    left = side_margin(decor.paper)
    right = left + FRAME_WIDTH
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    if page > 1 or decor.first_page_header:
        canvas.setFillColor(INK)
        y = height - TOP_EDGE - size
        title_width = draw_string(canvas, right, y, decor.title, fonts.sans, size, anchor="right")
        clinic = fit_string(canvas, decor.clinic, fonts.sans_bold, size, right - left - title_width - 6 * mm)
        draw_string(canvas, left, y, clinic, fonts.sans_bold, size)
        y -= size * 1.3
        identity = fit_string(canvas, decor.identity, fonts.sans_bold, size, right - left)
        draw_string(canvas, left, y, identity, fonts.sans_bold, size)
        canvas.line(left, y - size * 0.55, right, y - size * 0.55)
    foot_y = BOTTOM_EDGE
    canvas.line(left, foot_y + size * 1.25, right, foot_y + size * 1.25)
    canvas.setFillColor(MUTED)
    label = decor.page_label.format(page=page, pages=pages)
    label_width = draw_string(canvas, right, foot_y, label, fonts.sans, size, anchor="right")
    if decor.footer:
        footer = fit_string(canvas, decor.footer, fonts.sans, size, right - left - label_width - 6 * mm)
        draw_string(canvas, left, foot_y, footer, fonts.sans, size)
    if decor.watermark:
        _draw_watermark(canvas, decor.watermark, fonts.sans_bold, (width, height))
    canvas.restoreState()


def _draw_watermark(canvas: Canvas, text: str, font: str, size_of_page: tuple[float, float]) -> None:
    width, height = size_of_page
    diagonal = math.hypot(width, height)
    size = min(64.0, 0.78 * diagonal / max(1.0, canvas.stringWidth(text, font, 1.0)))
    canvas.saveState()
    canvas.setFillColor(DRAFT_INK)
    canvas.translate(width / 2.0, height / 2.0)
    canvas.rotate(math.degrees(math.atan2(height, width)))
    canvas.setFont(font, size)
    canvas.drawCentredString(0, -size * 0.35, text)
    canvas.restoreState()


def _canvas_class(decor: PageDecor) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _draw_furniture(self, decor, number, total)
                Canvas.showPage(self)
            _flate_only(self)
            Canvas.save(self)

    return NumberedCanvas


def _flate_only(canvas: Canvas) -> None:
    """Each page's content stream compressed (Flate) but not also ASCII85-encoded, ReportLab's default.

    ASCII85 keeps a PDF 7-bit for old mail and print paths; these files are binary anyway (the embedded fonts
    are), and without ReportLab's C accelerator the encoding ran in Python, a tenth of a note's time (issue 19).
    The page draws the same; the file is about a fifth smaller."""
    for page in canvas._doc.Pages.pages:
        if page.compression and page.stream and not page.Contents:
            page.Contents = PDFStream(content=page.stream, filters=[PDFZCompress])
            page.Contents.__Comment__ = "page stream"


def render_pdf(story: Sequence[Flowable], decor: PageDecor, *, title: str, subject: str = "",
               author: str = "") -> bytes:
    """Lay ``story`` out on pages with ``decor`` and return the PDF; ``invariant`` keeps it deterministic."""
    register_fonts()
    buf = io.BytesIO()
    size, margin = page_size(decor.paper), side_margin(decor.paper)
    doc = BaseDocTemplate(
        buf, pagesize=size, leftMargin=margin, rightMargin=margin,
        topMargin=decor.top_margin, bottomMargin=decor.bottom_margin, title=title, subject=subject,
        author=author, creator="tpi-notes", invariant=1,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    later = PageTemplate(id="page", frames=[frame])
    if decor.first_page_header:
        doc.addPageTemplates([later])
    else:  # the first page's frame reaches up to where the running header would have been
        tall = Frame(doc.leftMargin, doc.bottomMargin, doc.width, size[1] - TOP_EDGE - doc.bottomMargin,
                     id="first", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="first", frames=[tall], autoNextPageTemplate="page"), later])
    doc.build(list(story), canvasmaker=_canvas_class(decor))
    return buf.getvalue()
