"""Free-text answers that mean "none" ("None", "n/a", "—", "denies"), read the same way everywhere.

A history field typed as free text (the anticoagulant / antiplatelet) is often filled with a word that means
there is nothing to record. Read as a drug, "None" put an "Anticoagulant: None" badge on the patient, a
bleeding warning on the note and "keep taking your blood thinner" on the sheet. The words are data
(``resources/rules/none-answers.json``); the whole answer must match, so "none since May, was on warfarin"
stays a drug. Stored values are read through :func:`means_none` too: saving normalises new answers, but
records written before keep what was typed.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache

from tpi_notes.paths import resources_dir

FORMAT = "tpi-notes-none-answers"


def _key(text: str) -> str:
    """Folded (case, accents), punctuation and symbols dropped, spaces collapsed: "N/A." -> "n a"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " "
                   for ch in decomposed.casefold() if not unicodedata.combining(ch))
    return " ".join(kept.split())


@cache
def _none_keys() -> frozenset[str]:
    path = resources_dir() / "rules" / "none-answers.json"
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if raw.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    keys = {_key(word) for word in raw["words"]}
    return frozenset(keys | {k.replace(" ", "") for k in keys})


def means_none(answer: str | None) -> bool:
    """True when the whole answer says there is nothing: empty, a dash, or one of the none words."""
    key = _key(answer or "")
    return not key or key in _none_keys() or key.replace(" ", "") in _none_keys()


def named_or_empty(answer: str | None) -> str:
    """The answer as typed (trimmed), or "" when it means none."""
    return "" if means_none(answer) else " ".join((answer or "").split())
