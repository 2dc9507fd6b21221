"""Page geometry and the named paragraph styles of both documents (one StyleSheet1 each, inherited).

Sizes follow clinical-reference §7.2 for the aftercare sheet: the regular sheet uses 12 pt body text;
the large-print sheet uses bold sans at 18 pt or more with 1.5 line spacing, left-aligned, no italics.
"""

from __future__ import annotations

from functools import cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm

from tpi_notes.reports.fonts import register_fonts

PAGE_SIZE = LETTER
MARGIN_LEFT = 14 * mm
MARGIN_RIGHT = 14 * mm
MARGIN_TOP = 22 * mm  # room for the running header (clinic, patient identifiers)
MARGIN_BOTTOM = 17 * mm  # room for the footer ("Page X of Y")
HEADER_BASELINE = 12 * mm  # from the top edge
FOOTER_BASELINE = 9 * mm  # from the bottom edge
FRAME_WIDTH = PAGE_SIZE[0] - MARGIN_LEFT - MARGIN_RIGHT
DIAGRAM_WIDTH = 102 * mm  # a full-width body diagram
TOP_DIAGRAM_WIDTH = 74 * mm  # the note's diagram beside the patient and encounter: at most…
TOP_DIAGRAM_MIN_WIDTH = 46 * mm  # …and at least (8 mm more beyond four markers, so crowds stay legible)
AFTERCARE_DIAGRAM_WIDTH = 84 * mm  # the smaller diagram on the patient's sheet
LARGE_DIAGRAM_WIDTH = 115 * mm  # with its 18 pt words (your right/left, front/back) it fits under the title
QR_SIZE = 19 * mm

INK_HEX = "#1d1d1d"  # body text; also written into paragraph markup
INK = colors.HexColor(INK_HEX)
SECTION_INK = colors.HexColor("#12355b")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e6ebf1")
ZEBRA_FILL = colors.HexColor("#f6f8fa")
STOP_FILL = colors.HexColor("#fde2e1")
WARN_FILL = colors.HexColor("#fff3d6")
ALERT_FILL = colors.HexColor("#fdecea")
ALERT_RULE = colors.HexColor("#b42318")
DRAFT_INK = colors.Color(0.75, 0.1, 0.1, alpha=0.16)

LARGE_PRINT_MIN_PT = 18.0
LARGE_PRINT_LEADING = 1.5


def _add(sheet: StyleSheet1, name: str, parent: str | None = None, **kw: object) -> None:
    sheet.add(ParagraphStyle(name, parent=sheet[parent] if parent else None, **kw))


@cache
def note_styles() -> StyleSheet1:
    """Styles of the procedure note (a dense chart copy)."""
    fonts = register_fonts()
    s = StyleSheet1()
    _add(s, "Body", fontName=fonts.sans, fontSize=9, leading=11.6, textColor=INK, alignment=TA_LEFT)
    _add(s, "Small", "Body", fontSize=8, leading=10, spaceBefore=1)
    _add(s, "Muted", "Small", textColor=MUTED)
    _add(s, "Cell", "Body", fontSize=7.6, leading=8.9)
    _add(s, "CellBold", "Cell", fontName=fonts.sans_bold)
    _add(s, "HeadCell", "Cell", fontName=fonts.sans_bold, textColor=INK)
    _add(s, "Title", "Body", fontName=fonts.sans_bold, fontSize=13, leading=15.5, spaceAfter=1)
    _add(s, "ClinicName", "Body", fontName=fonts.serif_bold, fontSize=12, leading=14.5)
    _add(s, "Identity", "Body", fontName=fonts.sans_bold)
    _add(s, "ClinicLine", "Small", textColor=MUTED, spaceBefore=0, alignment=TA_RIGHT)
    _add(s, "Section", "Body", fontName=fonts.sans_bold, fontSize=10, leading=12, spaceBefore=3,
         spaceAfter=1.5, textColor=SECTION_INK)
    _add(s, "Sub", "Body", fontName=fonts.sans_bold, fontSize=8.6, leading=10.6, spaceBefore=3, spaceAfter=1)
    _add(s, "Attest", "Body", fontName=fonts.serif, fontSize=9.2, leading=11.6)
    _add(s, "Hash", "Body", fontSize=7.4, leading=9, textColor=INK, wordWrap="CJK")
    return s


@cache
def aftercare_styles(large_print: bool = False) -> StyleSheet1:
    """Styles of the patient's sheet; ``large_print`` is bold sans, ≥ 18 pt, 1.5 line spacing."""
    fonts = register_fonts()
    s = StyleSheet1()
    if large_print:
        body, title, heading = 18.0, 26.0, 22.0
        face = fonts.sans_bold
        _add(s, "Body", fontName=face, fontSize=body, leading=body * LARGE_PRINT_LEADING, textColor=INK,
             alignment=TA_LEFT, spaceAfter=4)
        _add(s, "Small", "Body")  # nothing smaller than the body in large print
    else:
        body, title, heading = 11.0, 18.0, 13.0
        face = fonts.sans
        _add(s, "Body", fontName=face, fontSize=body, leading=body * 1.3, textColor=INK, alignment=TA_LEFT,
             spaceAfter=1.5)
        _add(s, "Small", "Body", fontSize=9, leading=11.5, textColor=MUTED)
    _add(s, "Title", "Body", fontName=fonts.sans_bold, fontSize=title, leading=title * 1.25, spaceAfter=4)
    _add(s, "Heading", "Body", fontName=fonts.sans_bold, fontSize=heading, leading=heading * 1.35,
         spaceBefore=heading * 0.7, spaceAfter=2, keepWithNext=1, textColor=SECTION_INK)
    _add(s, "Bullet", "Body", leftIndent=body * 1.3, bulletIndent=body * 0.2, bulletFontName=fonts.sans_bold,
         bulletFontSize=body, spaceAfter=body * 0.2)
    _add(s, "AlertHeading", "Heading", textColor=ALERT_RULE, spaceBefore=0)
    _add(s, "Strong", "Body", fontName=fonts.sans_bold)
    return s
