"""Spreadsheet-safe CSV cells (product.md §8): a cell a spreadsheet would run as a formula is neutralised.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before looking) gets a
leading apostrophe, the OWASP advice for CSV injection; the text is otherwise kept exactly.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell text: None → "", numbers as they are (a negative number stays a number), text neutralised."""
    if type(value) is str:  # most cells: the same as the last line, without the checks before it
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
