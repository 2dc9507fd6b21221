"""Turning what a person types into dates and weights, and dates back into words (no Qt).

The patient dialog uses these to refuse unparseable text at the field before any service is called.
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
DATE_HINT = "Use YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY."

_DATE_FORMATS: tuple[tuple[re.Pattern[str], tuple[int, int, int]], ...] = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), (3, 1, 2)),  # US month/day/year
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), (3, 2, 1)),  # European day.month.year
)
_WEIGHT = re.compile(r"^(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:kg)?$", re.IGNORECASE)


class ParseError(ValueError):
    """Text that is not a date or a weight; the message is written for the person who typed it."""


def parse_date(text: str) -> date | None:
    """``None`` for empty text; a date for one of the three accepted forms; otherwise ParseError."""
    text = text.strip()
    if not text:
        return None
    for pattern, (yi, mi, di) in _DATE_FORMATS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m.group(yi)), int(m.group(mi)), int(m.group(di)))
            except ValueError:
                raise ParseError(f"“{text}” is not a real calendar date.") from None
    raise ParseError(f"“{text}” is not a date. {DATE_HINT}")


def parse_weight(text: str) -> float | None:
    """``None`` for empty text; kilograms for "72.5", "72,5" or "72.5 kg"; otherwise ParseError."""
    text = text.strip()
    if not text:
        return None
    m = _WEIGHT.match(text)
    if not m:
        raise ParseError(f"“{text}” is not a weight. Enter kilograms as a number, e.g. 72.5.")
    return float(m.group(1).replace(",", "."))


def long_date(day: date) -> str:
    """``14 March 1980``: unambiguous whatever order the person typed it in."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """``14 Mar 1980`` for headers and lists."""
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def age_text(birth: date, today: date) -> str:
    """``46 y``, or months for children under two (``18 mo``)."""
    months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
    if months < 24:
        return f"{max(months, 0)} mo"
    return f"{months // 12} y"


def describe_birth_date(text: str, today: date) -> str:
    """The echo beside the date field: ``14 March 1980 (46 y)``, or why the text is not understood."""
    try:
        day = parse_date(text)
    except ParseError as exc:
        return str(exc)
    if day is None:
        return DATE_HINT
    if day > today:
        return f"{long_date(day)} (in the future)"
    return f"{long_date(day)} ({age_text(day, today)})"


def format_weight(kg: float | None) -> str:
    """``72.5`` or ``72``: what goes back into the weight field."""
    return "" if kg is None else f"{kg:g}"
