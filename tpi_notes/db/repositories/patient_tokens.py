"""The patient search's words (migration 0026): written with every patient, read as prefix ranges (issue 19).

A patient is found by each word of their folded name (``search_key``), their MRN and their date of birth, kept
as tagged rows of ``patient_search_token`` (``n:garcia``, ``m:ab-12``, ``b:1975-06-30``). A typed word's
prefix is then one range of the table's key, ``token >= 'n:gar' AND token < 'n:gas'``, read in a few pages
whatever the clinic's size, where ``search_key LIKE '% gar%'`` read every patient.

Whoever writes a patient's name, MRN or date of birth calls :func:`store` (or, for the demo's new file,
:func:`insert_bulk`); a deleted patient's rows go with it (ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, select
from sqlalchemy.orm import Session

from tpi_notes.db.bulk_writer import BulkWriter
from tpi_notes.db.models import PatientSearchToken

T = PatientSearchToken
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
NAME, MRN, BIRTH = "n:", "m:", "b:"
_LAST = 0x10FFFF


def mrn_form(text: str) -> str:
    """The MRN as it is searched: ASCII letters lower-cased, nothing else touched (what SQLite's ``lower()``
    and ``LIKE`` compare, so an MRN prefix matches exactly what ``mrn ILIKE 'x%'`` did)."""
    return text.translate(_ASCII_LOWER)


def tokens(search_key: str, mrn: str, birth_date: date) -> set[str]:
    """Every token a patient is found by (migration 0026 derives the same from the stored columns)."""
    found = {NAME + word for word in search_key.split()}
    found.add(MRN + mrn_form(mrn))
    found.add(BIRTH + birth_date.isoformat())
    return found


def after_prefix(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (code-point order, which is UTF-8
    byte order, SQLite's BINARY and PostgreSQL's "C"); None when there is none (a prefix of U+10FFFF only)."""
    text = prefix.rstrip(chr(_LAST))
    if not text:
        return None
    point = ord(text[-1]) + 1
    if 0xD800 <= point <= 0xDFFF:  # surrogates are never stored text: the next stored character is U+E000
        point = 0xE000
    return text[:-1] + chr(point)


def starting(prefix: str) -> ColumnElement[bool]:
    """Tokens that start with ``prefix``: one range of the primary key."""
    end = after_prefix(prefix)
    return T.token >= prefix if end is None else and_(T.token >= prefix, T.token < end)


def store(s: Session, patient_id: int, search_key: str, mrn: str, birth_date: date) -> None:
    """Bring a patient's tokens up to date with the values just written: rows that no longer apply go, new
    ones come; an unchanged patient costs one read."""
    wanted = tokens(search_key, mrn, birth_date)
    held = set(s.scalars(select(T.token).where(T.patient_id == patient_id)))
    gone = held - wanted
    if gone:
        s.execute(delete(T).where(T.patient_id == patient_id, T.token.in_(gone)))
    new = wanted - held
    if new:
        s.execute(insert(T), [{"token": t, "patient_id": patient_id} for t in sorted(new)])


def rows_for(patients: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Token rows of patient rows (dicts with ``id``, ``search_key``, ``mrn``, ``birth_date``), in key order."""
    found = [{"token": t, "patient_id": p["id"]}
             for p in patients for t in tokens(p["search_key"], p["mrn"], p["birth_date"])]
    found.sort(key=lambda r: (r["token"], r["patient_id"]))
    return found


def insert_bulk(writer: BulkWriter, patients: list[dict[str, Any]]) -> None:
    """The demo's bulk writer: the tokens of patients it has just inserted (a new file, no tokens yet)."""
    rows = rows_for(patients)
    for start in range(0, len(rows), 50_000):
        writer.insert(T.__table__, rows[start:start + 50_000])
