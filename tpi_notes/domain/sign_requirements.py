"""The note fields a note cannot be signed without, beyond the ones completeness.py always asks for
(resources/rules/sign-requirements.json).

Data, not code: clinical-reference §1.4/§1.6 list position, skin antisepsis, guidance, complications, tolerance,
blood loss, observation time, disposition and follow-up as note contents. Most start filled in (note-defaults.json),
but an emptied field, a template, a copy-forward or a nurse's draft can leave one blank, and the signed note would
then silently lack it. A clinic that documents otherwise removes the entry from the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from tpi_notes.domain.draft import DRAFT_FIELDS
from tpi_notes.paths import resources_dir

FORMAT = "tpi-notes-sign-requirements"


@dataclass(frozen=True)
class SignRequirement:
    field: str  # a SessionDraft field: the editor's field of that name is its link
    message: str  # what the findings panel and the sign check say when it is empty
    reference: str  # where the requirement comes from (clinical-reference §1.4 …)


def is_empty(value: object) -> bool:
    """No answer: None ('Not recorded'), a blank text or an empty list. 0 (minutes) is an answer."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (tuple, list)) and not value


def unanswered(draft: object, requirements: tuple[SignRequirement, ...]) -> list[SignRequirement]:
    """The requirements the draft leaves empty, in the file's order."""
    return [r for r in requirements if is_empty(getattr(draft, r.field, None))]


def parse_sign_requirements(raw: dict) -> tuple[SignRequirement, ...]:
    if raw.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} file")
    found: list[SignRequirement] = []
    for entry in raw.get("requirements", []):
        field = str(entry.get("field", ""))
        if field not in DRAFT_FIELDS:
            raise ValueError(f"unknown note field {field!r}")
        message = str(entry.get("message", "")).strip()
        if not message:
            raise ValueError(f"{field}: no message")
        found.append(SignRequirement(field, message, str(entry.get("reference", ""))))
    return tuple(found)


def sign_requirements() -> tuple[SignRequirement, ...]:
    """The clinic's list, read once per resources folder (every assessment asks)."""
    return _load(str(resources_dir() / "rules" / "sign-requirements.json"))


@cache
def _load(path: str) -> tuple[SignRequirement, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            return parse_sign_requirements(json.load(fh))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
