"""Dense label/value blocks on the note (reports/tables.pair_rows): short values share rows, free text
gets a full-width row, nothing is dropped and labels are not broken mid-word."""

from __future__ import annotations

from reportlab.lib.styles import StyleSheet1
from reportlab.platypus import Paragraph, Table

from tpi_notes.reports.styles import FRAME_WIDTH, note_styles
from tpi_notes.reports.tables import pair_rows


def _cells(table: Table) -> list[list[str]]:
    return [[c.text if isinstance(c, Paragraph) else str(c) for c in row] for row in table._cellvalues]


def _styles() -> StyleSheet1:
    return note_styles()


def test_short_values_share_rows_and_long_ones_get_their_own() -> None:
    long = "bleeding or bruising, infection, post-needling soreness, vasovagal reaction, local anesthetic reaction"
    pairs = [("Allergies", "None"), ("Diabetes", "No"), ("Risks discussed", long), ("Position", "Prone")]
    short, wide = pair_rows(pairs, _styles())
    assert len(_cells(short)[0]) == 6  # three label/value pairs side by side
    assert [row[0] for row in _cells(wide)] == ["<b>Risks discussed</b>"]
    shown = " ".join(" ".join(row) for t in (short, wide) for row in _cells(t))
    for label, value in pairs:
        assert label in shown and value in shown


def test_long_first_puts_the_free_text_on_top() -> None:
    pairs = [("Consent", "Written consent obtained after a long discussion of the procedure and risks"),
             ("Position", "Prone")]
    wide, short = pair_rows(pairs, _styles(), long_first=True)
    assert "Consent" in _cells(wide)[0][0] and "Position" in _cells(short)[0][0]


def test_labels_get_room_for_their_longest_word() -> None:
    """The label column is as wide as the widest label, so "Immunosuppressed" is never split into
    "Immunosuppre-ssed"; with wide labels three pairs no longer fit and the block falls back to two."""
    pairs = [("Anticoagulant / antiplatelet", "None recorded"), ("Immunosuppressed", "No"),
             ("Implanted electronic device", "No"), ("Diabetes", "No")]
    (table,) = pair_rows(pairs, _styles())
    widths = table._colWidths
    assert len(widths) == 4  # two pairs per row
    st = _styles()["CellBold"]
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for label, _value in pairs:
        assert stringWidth(label, st.fontName, st.fontSize) + 6 <= widths[0]
    assert abs(sum(widths) - FRAME_WIDTH) < 0.5
