"""Putting text into ReportLab safely: every user string is escaped before it reaches a Paragraph.

A ReportLab Paragraph reads its text as markup: an unescaped "<" silently drops what follows and an
"&" can raise (code-style.md §5.5). So the document code never builds a Paragraph itself; it calls
:func:`para`, which escapes each user string, turns newlines into ``<br/>``, sets runs of CJK
characters in a CID font (a serif paragraph with letters the serif faces lack, such as Arabic or Hebrew, is
set in sans), and prepares
any script for the page (script.py: Arabic joined, right-to-left lines drawn in reading order, characters no
font has shown as their code points). Markup written by the program (a bold label) is wrapped in
:class:`Markup` so it is the only text that passes through unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from tpi_notes.reports.fonts import register_fonts, split_runs
from tpi_notes.reports.script import BidiParagraph, prepare, serif_lacks, visual_line


class Markup(str):
    """Program-written ReportLab markup; never built from user input without :func:`fmt`."""

    __slots__ = ()


def fmt(text: object) -> Markup:
    """User text as safe Paragraph markup: escaped, newlines kept, CJK runs in a CID font."""
    value = "" if text is None else str(text)
    value = prepare(value.replace("\r\n", "\n").replace("\r", "\n"))
    parts = []
    for run, cid in split_runs(value):
        parts.append(f'<font name="{cid}">{escape(run)}</font>' if cid else escape(run))
    return Markup("".join(parts).replace("\n", "<br/>"))


def _style_for(markup: str, style: ParagraphStyle) -> ParagraphStyle:
    """``style``, or its sans twin when it is set in serif and the text has letters the serif faces lack
    (a clinic name or a signer in Hebrew or Arabic): the whole paragraph changes face, bold kept."""
    fonts = register_fonts()
    twin = {fonts.serif: fonts.sans, fonts.serif_bold: fonts.sans_bold}.get(style.fontName)
    if twin is None or twin == style.fontName:
        return style
    lacks = serif_lacks()
    if not any(ord(ch) in lacks for ch in markup):
        return style
    return ParagraphStyle(f"{style.name}-sans", parent=style, fontName=twin)


def bold(text: object) -> Markup:
    return Markup(f"<b>{fmt(text)}</b>")


def join(parts: Sequence[str], sep: str = "") -> Markup:
    """Concatenate: Markup pieces as they are, plain strings escaped."""
    return Markup(sep.join(p if isinstance(p, Markup) else fmt(p) for p in parts))


def para(text: str | Sequence[str], style: ParagraphStyle, *, bullet: str | None = None) -> Paragraph:
    """The one way to make a Paragraph: plain strings are escaped; :class:`Markup` pieces pass.

    ``bullet`` is a program-chosen bullet character (never user text)."""
    if isinstance(text, Markup):
        markup: str = text
    elif isinstance(text, str):
        markup = fmt(text)
    else:
        markup = join(text)
    return BidiParagraph(markup, _style_for(markup, style), bulletText=escape(bullet) if bullet else None)


def labelled(label: str, value: object, style: ParagraphStyle, empty: str = "—") -> Paragraph:
    """``Label: value`` with the label in bold; an empty value prints as a dash, never as nothing."""
    shown = "" if value is None else str(value)
    return para([bold(f"{label}: "), shown.strip() or empty], style)


def draw_string(canvas: Canvas, x: float, y: float, text: str, font: str, size: float,
                anchor: str = "left") -> float:
    """Draw ``text`` on the canvas (headers, footers) with CJK runs in a CID font, right-to-left runs in
    reading order; returns its width."""
    runs = [(run, cid or font) for run, cid in split_runs(visual_line(prepare(text)))]
    width = sum(canvas.stringWidth(run, name, size) for run, name in runs)
    if anchor == "right":
        x -= width
    elif anchor == "centre":
        x -= width / 2.0
    for run, name in runs:
        canvas.setFont(name, size)
        canvas.drawString(x, y, run)
        x += canvas.stringWidth(run, name, size)
    return width


def fit_string(canvas: Canvas, text: str, font: str, size: float, max_width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``max_width`` (for one-line headers), in logical order."""
    def width(value: str) -> float:
        return sum(canvas.stringWidth(run, cid or font, size) for run, cid in split_runs(value))

    text = prepare(text)
    if width(text) <= max_width:
        return text
    while text and width(text + "…") > max_width:
        text = text[:-1]
    return text + "…"
