"""Numbers as clinicians write them (issue 15 item 8): "30.67", never "30.6667"; "40", never "40.0".

One wording for every text the app writes outside the report layer (code reasons, finding messages, the
CSV export, the discarded-drug line): at most two decimals, trailing zeros dropped.
"""

from __future__ import annotations


def amount(value: float | None, digits: int = 2) -> str:
    """``30.6667`` → ``"30.67"``, ``40.0`` → ``"40"``, ``0.125`` → ``"0.13"``; None → ``""``."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plural(count: int, word: str) -> str:
    """``1 vial``, ``2 vials``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
