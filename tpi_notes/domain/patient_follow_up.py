"""The patient-facing follow-up: when the patient should come back, as a pick or a date (issue 13 item 6).

It is kept apart from the clinician's free-text follow-up (``follow_up``), which is clinical shorthand in
the clinician's language ("Reassess in 6 weeks; consider PT") and is never printed on the patient's sheet:
on a translated sheet it would be English text in a Spanish handout, and on any sheet it may say what the
patient should not read as an instruction. The stored value (``follow_up_in``) is one of the codes of
:data:`FOLLOW_UP_CHOICES` or an ISO date ("2026-12-17"); "" means not set. The aftercare library words it
in the patient's language; the note and the exports use the English label.
"""

from __future__ import annotations

from datetime import date, timedelta

# code -> the clinician's (English) label, in the order the editor offers them
FOLLOW_UP_CHOICES = {
    "1w": "In 1 week", "2w": "In 2 weeks", "4w": "In 4 weeks", "6w": "In 6 weeks", "3m": "In 3 months",
    "as_needed": "As needed", "none": "No follow-up needed",
}
MAX_DAYS_AHEAD = 2 * 366  # a follow-up date further ahead is a mistyped year


def follow_up_date(value: str) -> date | None:
    """The date of a dated follow-up (None for a code, "" or anything else)."""
    try:
        return date.fromisoformat(value) if value and value[0].isdigit() else None
    except ValueError:
        return None


def follow_up_problem(value: str, session_day: date) -> str | None:
    """Why ``value`` is not a patient follow-up for a session on ``session_day`` (None when it is one)."""
    if not value or value in FOLLOW_UP_CHOICES:
        return None
    day = follow_up_date(value)
    if day is None:
        return f"Pick a follow-up from the list or a date (not {value[:40]!r})."
    if day <= session_day:
        return f"The follow-up date {day.isoformat()} is not after the session ({session_day.isoformat()})."
    if day > session_day + timedelta(days=MAX_DAYS_AHEAD):
        return f"The follow-up date {day.isoformat()} is more than two years after the session. Check the year."
    return None


def follow_up_label(value: str) -> str:
    """The follow-up in the clinician's words: "In 2 weeks", "On 2026-12-17", "" when not set."""
    if value in FOLLOW_UP_CHOICES:
        return FOLLOW_UP_CHOICES[value]
    day = follow_up_date(value)
    return f"On {day.isoformat()}" if day else value
