"""The aftercare sheet (the patient's copy), laid out from an AftercareDoc; regular or large print.

Regular print sets 12 pt text with the small body diagram beside "What we did today". Large print
(clinical-reference §7.2) re-flows the same words in bold sans at 18 pt or more with 1.5 line spacing,
left-aligned, one column, no italics; the diagram goes full width below the first block. Warning blocks
(breathing, 911) are boxed. Every page shows the patient's name and date of birth, and the footer the
library version the words came from.

The picture speaks to the patient: "Your right" / "Your left" (in the sheet's language) over each view on the
patient's own side, "Front" / "Back" under them, and markers numbered as the list of places beside or
below it. In large print the picture's words and numbers are set at the large-print size too.
"""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from tpi_notes.anatomy import load_atlas
from tpi_notes.domain.aftercare import AftercareBlock, AftercareDoc
from tpi_notes.reports.body_diagram import body_diagram_drawing
from tpi_notes.reports.logo import logo_flowable
from tpi_notes.reports.page import PageDecor, render_pdf
from tpi_notes.reports.styles import (
    AFTERCARE_DIAGRAM_WIDTH,
    ALERT_FILL,
    ALERT_RULE,
    FRAME_WIDTH,
    HEADER_FILL,
    LARGE_DIAGRAM_WIDTH,
    LARGE_PRINT_MIN_PT,
    RULE,
    aftercare_styles,
)
from tpi_notes.reports.text import bold, para

BULLET = "•"
DIARY_DAYS = 7
DIAGRAM_TEXT_PT = 9.0  # the picture's words and numbers on the regular sheet (large print: LARGE_PRINT_MIN_PT)


def _place_style(st: StyleSheet1) -> ParagraphStyle:
    """A numbered place: room for "10." before the words."""
    bullet = st["Bullet"]
    return ParagraphStyle("Place", parent=bullet, leftIndent=bullet.fontSize * 2.0)


def _items(block: AftercareBlock, st: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = []
    for item in block.items:
        if item.kind == "bullet":
            out.append(para(item.text, st["Bullet"], bullet=BULLET))
        elif item.kind == "place":  # numbered as its markers on the picture
            out.append(para(item.text, _place_style(st), bullet=f"{item.number}."))
        elif item.kind == "diary":
            continue  # drawn by _diary with the labels
        else:
            out.append(para(item.text, st["Body"]))
    return out


def _diary(doc: AftercareDoc, st: StyleSheet1, large: bool) -> Table:
    labels = doc.labels
    days = 4 if large else DIARY_DAYS
    head = [para("", st["Body"])] + [para(f"{labels['day']} {d}", st["Strong"]) for d in range(1, days + 1)]
    rows = [head, [para(labels["pain"], st["Strong"])] + [""] * days,
            [para(labels["days_of_relief"], st["Strong"])] + [""] * days]
    first = FRAME_WIDTH * (0.3 if large else 0.2)
    widths = [first] + [(FRAME_WIDTH - first) / days] * days
    height = st["Body"].leading * 1.6
    table = Table(rows, colWidths=widths, rowHeights=[None, height, height], hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.7, RULE), ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 4)]))
    return table


def _boxed(flowables: list[Flowable]) -> Table:
    table = Table([[flowables]], colWidths=[FRAME_WIDTH], hAlign="LEFT")
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.6, ALERT_RULE), ("BACKGROUND", (0, 0), (-1, -1), ALERT_FILL),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    return table


def _block(doc: AftercareDoc, block: AftercareBlock, st: StyleSheet1, large: bool) -> list[Flowable]:
    if block.alert:
        return [Spacer(1, st["Heading"].spaceBefore),
                KeepTogether(_boxed([para(block.heading, st["AlertHeading"]), *_items(block, st)]))]
    body = _items(block, st)
    head = [para(block.heading, st["Heading"])]
    if any(item.kind == "diary" for item in block.items):  # the diary and how to fill it in stay together
        return [KeepTogether([*head, *body, Spacer(1, 4), _diary(doc, st, large)])]
    # The heading always stays with its first lines. In regular print a short block is kept whole; in
    # large print blocks are tall, and keeping them whole would leave half-empty pages.
    if not large and len(body) <= 5:
        return [KeepTogether(head + body)]
    return [KeepTogether(head + body[:2]), *body[2:]]


def _diagram(doc: AftercareDoc, st: StyleSheet1, width: float, large: bool) -> list[Flowable]:
    words = doc.diagram_labels
    side_labels = {"R": words["your_right"], "L": words["your_left"]} if words else None
    captions = {"anterior": words["front"], "posterior": words["back"]} if words else None
    drawing = body_diagram_drawing(load_atlas(doc.atlas_version), doc.markers, width, show_labels=False,
                                   side_labels=side_labels, captions=captions,
                                   text_pt=LARGE_PRINT_MIN_PT if large else DIAGRAM_TEXT_PT)
    drawing.hAlign = "LEFT"
    if large and words:  # the views are captioned at 18 pt: the sentence saying which is which is not needed
        return [drawing]
    return [drawing, Spacer(1, 2), para(doc.labels["diagram"], st["Small"])]


def _identity(doc: AftercareDoc, st: StyleSheet1, large: bool) -> Flowable:
    labels = doc.labels
    rows = [(labels["patient"], doc.patient_name), (labels["date"], doc.visit_date),
            (labels["phone"], doc.phone or "—")]
    if doc.after_hours:
        rows.append((labels["after_hours"], doc.after_hours))
    if large:
        return KeepTogether([para([bold(f"{label}: "), value], st["Body"]) for label, value in rows])
    cells = [[para(bold(label), st["Body"]), para(value, st["Body"])] for label, value in rows]
    table = Table(cells, colWidths=[FRAME_WIDTH * 0.3, FRAME_WIDTH * 0.7], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))
    return table


def build_story(doc: AftercareDoc, large_print: bool = False) -> list[Flowable]:
    st = aftercare_styles(large_print)
    logo = logo_flowable(doc.clinic_logo, 16 * mm if large_print else 12 * mm, FRAME_WIDTH * 0.4)
    story: list[Flowable] = [logo, Spacer(1, 4)] if logo else []
    story += [para(doc.title, st["Title"]), _identity(doc, st, large_print), Spacer(1, 4)]
    blocks = list(doc.blocks)
    first = blocks.pop(0) if blocks and blocks[0].id == "what_was_done" else None
    if first is not None:
        if large_print or not doc.markers:
            # one column: the picture first (it fits under the title), then the words
            if doc.markers:
                story.append(KeepTogether(_diagram(doc, st, LARGE_DIAGRAM_WIDTH, large_print)))
            story += _block(doc, first, st, large_print)
        else:
            left = [para(first.heading, st["Heading"]), *_items(first, st)]
            right = _diagram(doc, st, AFTERCARE_DIAGRAM_WIDTH, large_print)
            table = Table([[left, right]], colWidths=[FRAME_WIDTH - AFTERCARE_DIAGRAM_WIDTH - 6,
                                                      AFTERCARE_DIAGRAM_WIDTH + 6], hAlign="LEFT")
            table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                       ("RIGHTPADDING", (0, 0), (0, 0), 8), ("TOPPADDING", (0, 0), (-1, -1), 0),
                                       ("LEFTPADDING", (1, 0), (1, 0), 6)]))
            story.append(table)
    for block in blocks:
        story += _block(doc, block, st, large_print)
    return story


def render_aftercare(doc: AftercareDoc, *, large_print: bool = False, paper: str = "letter") -> bytes:
    """The aftercare sheet as PDF bytes on the clinic's ``paper``; the footer names the text version it used."""
    labels = doc.labels
    size = aftercare_styles(large_print)["Body"].fontSize if large_print else 9.0
    identity = f"{doc.patient_name} · DOB {doc.patient_dob}" if doc.patient_dob else doc.patient_name
    decor = PageDecor(clinic=doc.clinic_name, identity=identity, title="" if large_print else labels["document"],
                      page_label=labels["page"], footer=labels["version"].format(version=doc.version),
                      font_size=size, paper=paper)
    return render_pdf(build_story(doc, large_print), decor, title=f"{doc.title} — {doc.patient_name}",
                      subject=f"aftercare {doc.lang} v{doc.version}")
