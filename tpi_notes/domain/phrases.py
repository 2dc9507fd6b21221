"""Phrases and ICD-10-CM favourites: which words the editor offers for a field, and which codes for the muscles.

Three sources of phrases, offered in this order: the person's own, the clinic's (kept by administrators) and the
shipped library (resources/phrases/phrases.json, versioned data). Typing filters them by words, in any order,
with or without accents. Diagnoses are suggested from the physician's favourites and from the muscles treated (by
muscle, else by the atlas group), each only when billable on the session's date.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tpi_notes.domain.icd10 import code_key
from tpi_notes.domain.patient import fold
from tpi_notes.domain.session import Diagnosis
from tpi_notes.paths import resources_dir

# Every free-text field of the note that offers phrases (SessionDraft field names; site_note is a site's note,
# override_reason the reason to proceed despite a stop or for an unticked risk, addendum an addendum's text).
PHRASE_FIELDS = {
    "location": "Location", "indication": "Indication", "conservative_care": "Conservative care",
    "position": "Position",
    "antisepsis": "Antisepsis", "complications": "Complications", "tolerance": "Tolerance",
    "blood_loss": "Blood loss", "respiratory_check": "Respiratory check", "disposition": "Disposition",
    "follow_up": "Follow-up (note)", "comments": "Comments", "site_note": "Site note",
    "override_reason": "Reason to proceed", "addendum": "Addendum text",
}
# Fields holding one answer (a choice or a short value): a phrase picked there *is* the answer and replaces what
# the field holds ("None" is not followed by "Brief vasovagal reaction…"). Elsewhere a phrase goes in at the
# cursor, in place of any selected text.
WHOLE_ANSWER_FIELDS = frozenset({"location", "position", "antisepsis", "complications", "tolerance", "blood_loss",
                                 "respiratory_check", "disposition", "follow_up"})
MAX_PHRASE = 2000  # characters: longer than any field's usual text, shorter than the long-text limit
PERSONAL, CLINIC, LIBRARY = "personal", "clinic", "library"
SCOPE_LABELS = {PERSONAL: "Mine", CLINIC: "Clinic", LIBRARY: "Library"}


@dataclass(frozen=True)
class Phrase:
    field: str
    text: str
    scope: str  # PERSONAL, CLINIC or LIBRARY
    id: int | None = None  # stored phrases only
    owner_id: int | None = None


@dataclass(frozen=True)
class Library:
    version: str
    phrases: dict[str, tuple[str, ...]]
    by_muscle: dict[str, tuple[str, ...]]
    by_group: dict[str, tuple[str, ...]]


def parse_library(raw: dict[str, Any]) -> Library:
    if raw.get("format") != "tpi-notes-phrases":
        raise ValueError("not a tpi-notes phrase library")
    suggestions = raw.get("icd10_suggestions", {})
    return Library(
        str(raw["version"]),
        {field: tuple(texts) for field, texts in raw.get("phrases", {}).items() if field in PHRASE_FIELDS},
        {k: tuple(v) for k, v in suggestions.get("by_muscle", {}).items()},
        {k: tuple(v) for k, v in suggestions.get("by_group", {}).items()},
    )


LIBRARY_FILE = ("phrases", "phrases.json")  # a folder of its own, so the wheel and the bundle carry it


@cache
def library() -> Library:
    """The shipped library (read once)."""
    path = resources_dir().joinpath(*LIBRARY_FILE)
    return parse_library(json.loads(path.read_text(encoding="utf-8")))


def clean_text(field: str, text: str) -> tuple[str, str | None]:
    """The phrase as stored (trimmed) and why it cannot be, or None."""
    if field not in PHRASE_FIELDS:
        return "", "That field does not take phrases."
    text = (text or "").strip()
    if not text:
        return text, "Write the phrase first (the field is empty)."
    if len(text) > MAX_PHRASE:
        return text, f"A phrase is at most {MAX_PHRASE:,} characters (this has {len(text):,})."
    return text, None


def offered(field: str, stored: Iterable[Phrase], user_id: int | None, lib: Library | None = None) -> list[Phrase]:
    """What the picker lists for ``field``: the user's own, then the clinic's, then the library's; a text already
    listed is not repeated. Another person's own phrases are never offered."""
    mine = [p for p in stored if p.field == field and p.scope == PERSONAL and p.owner_id == user_id
            and user_id is not None]
    clinic = [p for p in stored if p.field == field and p.scope == CLINIC]
    shipped = [Phrase(field, t, LIBRARY) for t in (lib or library()).phrases.get(field, ())]
    seen: set[str] = set()
    out = []
    for phrase in (*mine, *clinic, *shipped):
        key = fold(phrase.text)
        if key not in seen:
            seen.add(key)
            out.append(phrase)
    return out


def matching(phrases: Iterable[Phrase], query: str) -> list[Phrase]:
    """The phrases holding every typed word (anywhere, any order)."""
    words = fold(query).split()
    return [p for p in phrases if all(w in fold(p.text) for w in words)]


def region_codes(sites: Iterable[Any], group_of: Callable[[str], str | None], lib: Library | None = None
                 ) -> list[str]:
    """ICD-10-CM codes suggested for the muscles treated, most specific first, each once.

    ``sites`` have ``muscle_id`` and ``region_code``; ``group_of(region_code)`` is the atlas group."""
    lib = lib or library()
    codes: list[str] = []
    for site in sites:
        found = lib.by_muscle.get(site.muscle_id) or lib.by_group.get(group_of(site.region_code) or "", ())
        codes.extend(c for c in found if c not in codes)
    return codes


def suggestions(favourites: Iterable[Diagnosis], region: Iterable[str], lookup: Callable[[str], Diagnosis | None],
                chosen: Iterable[Diagnosis], limit: int | None = None) -> list[tuple[Diagnosis, str]]:
    """(diagnosis, why) to offer: the physician's favourites first (those the muscles treated also suggest ahead of
    the rest), then the muscles' other codes; none already chosen, none that is not billable on the session's
    date (``lookup`` returns None). With ``limit``, favourites leave room for two of the muscles' codes. Codes
    are compared by ``icd10.code_key``: a chosen "m7912" (carried, typed, imported) is M79.12, not offered again."""
    taken = {code_key(d.code) for d in chosen}
    region = list(region)
    region_keys = {code_key(c) for c in region}
    favourite_codes = [f.code for f in favourites]
    ordered = ([c for c in favourite_codes if code_key(c) in region_keys]
               + [c for c in favourite_codes if code_key(c) not in region_keys])
    favourite_out: list[tuple[Diagnosis, str]] = []
    region_out: list[tuple[Diagnosis, str]] = []
    for code, out in [*((c, favourite_out) for c in ordered), *((c, region_out) for c in region)]:
        if code_key(code) in taken:
            continue
        diagnosis = lookup(code)
        if diagnosis is not None:
            taken.update((code_key(code), code_key(diagnosis.code)))
            out.append((diagnosis, "favourite" if out is favourite_out else "treated muscles"))
    if limit is None:
        return favourite_out + region_out
    room = max(0, limit - min(2, len(region_out)))
    return (favourite_out[:room] + region_out)[:limit]
