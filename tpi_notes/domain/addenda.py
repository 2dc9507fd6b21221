"""Addenda (addendum, correction, late entry): their rules, their own hash, and how a signed record is checked.

An addendum is a separate signed record (clinical-reference §8.1): labelled, dated with the current time,
authored, never replacing the original. Its hash binds it to the session it amends: the session's id and
the content hash that session was signed with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tpi_notes.domain.errors import ValidationError
from tpi_notes.domain.signing import content_sha256, record_sha256

KINDS = ("addendum", "correction", "late_entry")
MAX_TEXT = 10_000


@dataclass(frozen=True)
class StoredAddendum:
    """An addendum row as stored, with everything its hash covers."""

    id: int
    session_id: int
    kind: str
    text: str
    author_id: int
    created_at: datetime
    content_sha256: str


def addendum_content_sha256(session_id: int, session_sha256: str | None, kind: str, text: str, author_id: int,
                            created_at: datetime) -> str:
    """SHA-256 of the canonical addendum content (the same canonical JSON as a signed session)."""
    return content_sha256({
        "type": "addendum", "session_id": session_id, "session_sha256": session_sha256, "kind": kind,
        "text": text, "author_id": author_id, "created_at": created_at,
    })


def clean_addendum(kind: str, text: str) -> str:
    """The text to store (surrounding white space trimmed); raises ValidationError for bad input."""
    errors = {}
    if kind not in KINDS:
        errors["kind"] = "Choose addendum, correction or late entry."
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned.strip():
        errors["text"] = "Write the addendum's text."
    elif len(cleaned) > MAX_TEXT:
        errors["text"] = f"An addendum can be at most {MAX_TEXT:,} characters (this one has {len(cleaned):,})."
    if errors:
        raise ValidationError(errors)
    return cleaned


def signed_record_problem(record: Any, stored_sha256: str | None, addenda: Iterable[StoredAddendum]) -> str | None:
    """Why a signed session no longer matches its signature, or None when it is intact.

    ``record`` is the SessionRecord read back from the database; ``stored_sha256`` the hash kept
    with the signature; ``addenda`` its stored addenda.
    """
    if not stored_sha256:
        return "signed without a content hash"
    return hash_problem(stored_sha256, record_sha256(record), addenda)


def hash_problem(stored_sha256: str | None, computed: str, addenda: Iterable[StoredAddendum]) -> str | None:
    """:func:`signed_record_problem` once the content's hash is ``computed`` (verify computes it from the rows,
    domain/canonical_rows.py)."""
    if not stored_sha256:
        return "signed without a content hash"
    if computed != stored_sha256:
        return f"content does not match its signature (stored {stored_sha256[:12]}…, now {computed[:12]}…)"
    for a in addenda:
        expected = addendum_content_sha256(a.session_id, stored_sha256, a.kind, a.text, a.author_id, a.created_at)
        if expected != a.content_sha256:
            return f"{a.kind.replace('_', ' ')} {a.id} of {a.created_at:%Y-%m-%d %H:%M} does not match its hash"
    return None
