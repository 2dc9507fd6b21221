"""Tables for the documents: every cell is a wrapped, escaped Paragraph; long tables repeat their header.

A table breaks across pages only between rows, so a cell taller than a page (free text at its 10,000-character
maximum) would stop the document. Such a cell is cut between its lines into pieces (:func:`cut_rows`), each
in a row of its own: the rows of one entry share its shading and carry no rule between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from reportlab.lib.colors import Color
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from tpi_notes.reports.styles import FRAME_WIDTH, HEADER_FILL, RULE, ZEBRA_FILL
from tpi_notes.reports.text import Markup, bold, para

Cell = str | Paragraph | Flowable
PADDING = 3.0
PIECE_HEIGHT = 96.0  # points (about ten lines): a taller cell is cut into pieces of at most this height


def _pieces(cell: Flowable | str, width: float, limit: float = PIECE_HEIGHT) -> list[Flowable | str]:
    """A Paragraph taller than ``limit`` at ``width``, cut between its lines; anything else as it is."""
    if not isinstance(cell, Paragraph):
        return [cell]
    out: list[Flowable | str] = []
    rest: Paragraph = cell
    while True:
        _w, height = rest.wrap(width, limit)
        parts = rest.split(width, limit) if height > limit else []
        if len(parts) < 2:
            out.append(rest)
            return out
        out.append(parts[0])
        rest = parts[1]


def cut_rows(rows: Sequence[Sequence[Flowable | str]], widths: Sequence[float],
             padding: float) -> tuple[list[list[Flowable | str]], list[tuple[int, int]]]:
    """The table rows with every tall cell cut into pieces, one row per piece (the other cells of the entry
    in its first row), and for each entry the (first, last) row it now spans."""
    out: list[list[Flowable | str]] = []
    spans: list[tuple[int, int]] = []
    for row in rows:
        cut = [_pieces(cell, max(1.0, w - padding)) for cell, w in zip(row, widths, strict=True)]
        tall = max(len(c) for c in cut)
        spans.append((len(out), len(out) + tall - 1))
        out += [[c[i] if i < len(c) else "" for c in cut] for i in range(tall)]
    return out, spans


def _cell(value: Cell, style_name: str, styles: StyleSheet1) -> Flowable:
    if isinstance(value, Flowable):
        return value
    return para(value, styles[style_name])


@lru_cache(maxsize=8192)
def _word_width(word: str, font: str, size: float) -> float:
    """A word's width: the same words ("Yes", "Injection", "Negative") come back in every table of every print."""
    return stringWidth(word, font, size)


def _min_width(texts: Sequence[object], style: ParagraphStyle) -> float:
    """The widest single word among ``texts``: a column narrower than that breaks words apart."""
    words = {w for t in texts if isinstance(t, str) and not isinstance(t, Markup) for w in t.split()}
    widest = max((_word_width(w, style.fontName, style.fontSize) for w in words), default=0.0)
    return min(widest, FRAME_WIDTH * 0.3) + 2 * PADDING + 0.5


def fit_widths(shares: Sequence[float], minimums: Sequence[float], total: float = FRAME_WIDTH) -> list[float]:
    """Column widths in proportion to ``shares``, each at least its minimum where the page allows it."""
    widths = [total * s / sum(shares) for s in shares]
    if sum(minimums) >= total:
        return widths
    for _ in range(len(widths)):
        short = [i for i, w in enumerate(widths) if w < minimums[i] - 0.01]
        if not short:
            break
        need = sum(minimums[i] - widths[i] for i in short)
        for i in short:
            widths[i] = minimums[i]
        slack = {i: widths[i] - minimums[i] for i in range(len(widths)) if i not in short and widths[i] > minimums[i]}
        room = sum(slack.values())
        for i, free in slack.items():
            widths[i] -= need * free / room
    return widths


def grid(header: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[float], styles: StyleSheet1,
         *, fills: dict[int, Color] | None = None, font: str = "Cell", total: float = FRAME_WIDTH) -> Table:
    """A ruled table with a shaded header row repeated on every page it spans.

    ``widths`` are shares of the frame; a column is widened to its longest word (header or cell) so that
    words are never broken mid-word, taking the room from columns that have some to spare."""
    minimums = [max(_min_width([h], styles["HeadCell"]), _min_width([r[i] for r in rows], styles[font]))
                for i, h in enumerate(header)]
    col_widths = fit_widths(widths, minimums, total)
    body, spans = cut_rows([[_cell(v, font, styles) for v in row] for row in rows], col_widths, 2 * PADDING)
    data = [[_cell(h, "HeadCell", styles) for h in header], *body]
    commands: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("LINEAFTER", (0, 1), (-2, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
    ]
    for index, (first, last) in enumerate(spans):
        colour = (fills or {}).get(index, ZEBRA_FILL if index % 2 else None)
        if colour is not None:
            commands.append(("BACKGROUND", (0, first + 1), (-1, last + 1), colour))
        if index < len(spans) - 1:
            commands.append(("LINEBELOW", (0, last + 1), (-1, last + 1), 0.25, RULE))
        if last > first:  # the pieces of one entry read as one cell
            commands += [("TOPPADDING", (0, first + 2), (-1, last + 1), 0),
                         ("BOTTOMPADDING", (0, first + 1), (-1, last), 0)]
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT", splitByRow=1)
    table.setStyle(TableStyle(commands))
    return table


def key_values(pairs: Sequence[tuple[str, object]], styles: StyleSheet1, *, columns: int = 2,
               label_share: float = 0.34, total: float = FRAME_WIDTH) -> Table:
    """Label/value pairs in ``columns`` side-by-side columns (labels bold); empty values print as "—"."""
    width = total / columns
    col_widths = [width * label_share, width * (1 - label_share)] * columns
    rows: list[list[Flowable | str]] = []
    for start in range(0, len(pairs), columns):
        row: list[Flowable | str] = []
        for label, value in pairs[start:start + columns]:
            shown = "" if value is None else str(value)
            row += [para(bold(label), styles["Cell"]),
                    para(value if isinstance(value, Markup) else (shown.strip() or "—"), styles["Cell"])]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    rows, spans = cut_rows(rows, col_widths, 6)
    commands: list[tuple] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 0.9),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.3),
    ]
    for first, last in spans:
        commands.append(("LINEBELOW", (0, last), (-1, last), 0.2, RULE))
        if last > first:
            commands += [("TOPPADDING", (0, first + 1), (-1, last), 0), ("BOTTOMPADDING", (0, first), (-1, last - 1), 0)]
    table = Table(rows, colWidths=col_widths, hAlign="LEFT", splitByRow=1)
    table.setStyle(TableStyle(commands))
    return table


def pair_rows(pairs: Sequence[tuple[str, object]], styles: StyleSheet1, *, columns: int = 3,
              long_first: bool = False, total: float = FRAME_WIDTH) -> list[Table]:
    """Label/value pairs packed densely. The labels get the width of the widest one (within limits) so
    they line up and rarely wrap; values that fit one line of their cell go ``columns`` to a row (two if
    three would leave the values too little room); longer ones (free text) get full-width rows of their
    own. The order is kept within each kind; the long rows come after the short ones unless ``long_first``.
    """
    cell, head = styles["Cell"], styles["CellBold"]
    widest = max((stringWidth(str(k), head.fontName, head.fontSize) for k, _v in pairs), default=0.0)
    label_width = min(max(widest + 9, 60.0), 132.0)
    while columns > 1 and total / columns - label_width < 72:
        columns -= 1
    room = total / columns - label_width - 6

    def fits(value: object) -> bool:
        text = "" if value is None else str(value)
        return "\n" not in text and stringWidth(text, cell.fontName, cell.fontSize) <= room

    short = [(k, v) for k, v in pairs if fits(v)]
    long = [(k, v) for k, v in pairs if not fits(v)]
    out = []
    if short:
        out.append(key_values(short, styles, columns=columns, label_share=label_width * columns / total,
                              total=total))
    if long:
        wide = key_values(long, styles, columns=1, label_share=label_width / total, total=total)
        out.insert(0 if long_first else len(out), wide)
    return out
